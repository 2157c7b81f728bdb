/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the four files of the wait-for graph share among themselves:
 * owners.c (who holds a lock), cycles.c (following chains), findings.c
 * (the ring, dedup, the log report) and scan.c (the periodic scan). The
 * rest of the module sees them through lockmon.h.
 */
#ifndef LOCKMON_GRAPH_H
#define LOCKMON_GRAPH_H

#include "lockmon.h"

/* owners.c */
struct lm_gone {
	pid_t tgid;		/* the owner's process; 0: lockmon never saw it */
	u64 exit_ns;		/* when it exited; 0: exiting now, or unknown */
	char comm[TASK_COMM_LEN];
};

bool lm_owner_gone(pid_t tid, pid_t tgid, bool any_tgid, u64 since,
		   u64 bound, struct lm_gone *g);
pid_t lm_owner_from_words(const s32 *w, bool pi, bool shared, s64 val,
			  pid_t tgid, bool dead_ok, u8 *how, u8 *kind);
bool lm_refresh_owner(struct lm_task *t, bool sleepable);
bool lm_same_wait(const struct lm_task *t);

/* findings.c */
void lm_finding_task_from(struct lm_finding_task *ft, const struct lm_task *t);
bool lm_finding_marked(const struct lm_finding *f);
bool lm_finding_record(struct lm_finding *f, u64 since);
void lm_pending_add(struct lm_finding *f);
void lm_pending_prune(void);
void lm_findings_set_stack(pid_t tid, u64 futex_id, u32 stack_id);
bool lm_orphan_record(struct lm_finding *f, const struct lm_task *t, u64 bound);
unsigned int lm_findings_add_stall(const struct lm_finding *stall,
				   u32 threads, u64 blocked_ns);

/* cycles.c */
void lm_wait_set_stack(const struct lm_task *t, u32 stack_id);

#endif /* LOCKMON_GRAPH_H */
