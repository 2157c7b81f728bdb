/* SPDX-License-Identifier: GPL-2.0 */
/* Wait samples shared by --folded and --pprof. */
#ifndef LOCKMON_REPORT_SAMPLES_H
#define LOCKMON_REPORT_SAMPLES_H

#include "lockmon-report.h"

struct lmr_sample {
	pid_t tgid;
	char comm[16];
	u32 stack_id;
	u64 futex_id, uaddr;
	u64 count, ns;
};

struct lmr_samples {
	struct lmr_sample *v;
	size_t n, cap;
	/* left out by --class (lock by default): lock, event, unknown */
	u64 out_waits[3], out_ns[3];
};

int lmr_samples(struct lmr_ctx *c, struct lmr_samples *s);

#endif
