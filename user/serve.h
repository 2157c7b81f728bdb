/* SPDX-License-Identifier: GPL-2.0 */
/* "lockmon-report serve" and "metrics" (serve.c). */
#ifndef LOCKMON_REPORT_SERVE_H
#define LOCKMON_REPORT_SERVE_H

#include "lockmon-report.h"
#include "http.h"

struct lmr_serve {
	const struct lmr_opts *o;
	unsigned int max_locks;		/* the series cap */
	bool serving;			/* the HTTP counters mean something */
	struct lmr_http http;
	u64 scrapes, read_errors, folded_locks, folded_procs;
	int recordings;			/* seconds=N children running */
	/* the module's files into @st; NULL: debugfs (tests give another) */
	int (*load)(struct lmr_serve *sv, struct lmr_state *st,
		    unsigned int files);
	/* seconds=N's child: NULL runs record (tests give another) */
	int (*record)(const struct lmr_opts *ro);
};

#define LMR_SERVE_RECORDINGS	4	/* seconds=N profiles at once */

int lmr_serve_load(struct lmr_serve *sv, struct lmr_state *st,
		   unsigned int files);
/* the exposition; -ENODEV when the module was not read (lockmon_up 0) */
int lmr_metrics_write(struct lmr_serve *sv, FILE *f);
int lmr_serve_handle(void *ctx, const struct lmr_http_req *rq,
		     struct lmr_http_resp *rs, void **pending, u64 *until);

#endif
