/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pprof profiles lockmon-report writes: the one API that builds them,
 * for --pprof FILE --profile KIND (record, report, the live views) and for
 * whatever serves them (lockmon-report serve's /debug/pprof/KIND).
 * user/pprof.c holds the whole of it; its head comment says what each
 * profile holds. The profiles have Go's meaning and sample types:
 *
 *   mutex         contentions/count, delay/nanoseconds: waits on lock-class
 *                 futexes, charged to the stack that released the lock
 *                 (the waker's user stack at the wake that ended the wait);
 *                 LMR_BY_WAITER charges the waiter's stack instead
 *   block         contentions/count, delay/nanoseconds: every futex wait,
 *                 lock or event class, by the waiter's stack
 *   threads       goroutine/count: every thread of the selected processes
 *                 blocked in a futex now, by its stack (Go's goroutine
 *                 profile: pprof shows it the way Go users know)
 *   threadcreate  threadcreate/count: the stacks at which threads were
 *                 created, one count per pthread_create() (clone of a
 *                 thread into its own process)
 *
 * LMR_PROFILE_WAITS is what --pprof wrote before --profile: wait time by
 * the waiter's stack of the futexes --class keeps (lock by default).
 *
 * What the context must hold (struct lmr_ctx: st, syms, o; o may be NULL
 * for no filter and the defaults):
 *   mutex, block  a recording (st->recorded: st->waits), or a live state
 *                 (st->tasks: the waits under way, so far)
 *   threads       a live state (debugfs tasks and stacks), or a recording
 *                 (the waits under way at its end)
 *   threadcreate  a recording (st->creates, from lockmon_thread_create
 *                 events); a live state gives a profile without samples
 * A recording is what record/report load, or what lmr_analysis_new(),
 * lmr_analysis_add() of stream records and lmr_analysis_finish() build:
 * a server takes ?seconds=N of the stream that way.
 *
 * Every function returns 0, or below 0 after one line on stderr
 * (lmr_profile_parse(): -EINVAL, silent, for the caller to word).
 */
#ifndef LOCKMON_REPORT_PPROF_H
#define LOCKMON_REPORT_PPROF_H

#include <stdio.h>

enum lmr_profile {
	LMR_PROFILE_WAITS = 0,		/* --pprof without --profile */
	LMR_PROFILE_MUTEX,
	LMR_PROFILE_BLOCK,
	LMR_PROFILE_THREADS,
	LMR_PROFILE_THREADCREATE,
	LMR_NR_PROFILES,
};

/* --by: whose stack a mutex profile charges */
enum lmr_profile_by {
	LMR_BY_DEFAULT = 0,		/* mutex: waker; the others: waiter */
	LMR_BY_WAITER,
	LMR_BY_WAKER,
};

struct lmr_ctx;
struct lmr_pb;

/* "mutex", "block", "threads", "threadcreate" (and "waits") */
int lmr_profile_parse(const char *name, enum lmr_profile *kind);
const char *lmr_profile_name(enum lmr_profile kind);

/* the profile.proto message, not compressed, appended to @out */
int lmr_pprof_build(struct lmr_ctx *c, enum lmr_profile kind,
		    enum lmr_profile_by by, struct lmr_pb *out);

/* the profile gzip-compressed, as go tool pprof fetches it, to @f */
int lmr_pprof_write_profile(struct lmr_ctx *c, enum lmr_profile kind,
			    enum lmr_profile_by by, FILE *f);

/* lmr_pprof_build() of LMR_PROFILE_WAITS, the name before pprof.h */
int lmr_pprof_encode(struct lmr_ctx *c, struct lmr_pb *out);

/* --pprof FILE: the profile c->o->profile, c->o->by to @path */
int lmr_pprof_write(struct lmr_ctx *c, const char *path);

#endif /* LOCKMON_REPORT_PPROF_H */
