/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lockmon: user-space lock contention and deadlock tracer.
 *
 * The one header shared by lockmon.ko and lockmon-report. It holds the ABI
 * version of the module's output (debugfs files, trace events) and the
 * codes that appear in them. Data layout only. lockmon-report's record
 * files have a format of their own: user/record_format.h.
 */
#ifndef _UAPI_LINUX_LOCKMON_H
#define _UAPI_LINUX_LOCKMON_H

#include <linux/types.h>

/*
 * The major version changes when a debugfs column or an event field
 * changes meaning; the minor version when something is added.
 */
#define LOCKMON_ABI_MAJOR	1
#define LOCKMON_ABI_MINOR	8

/* How a futex is used, as lockmon has observed it. */
enum lockmon_class {
	LOCKMON_CLASS_UNKNOWN	= 0,	/* not enough evidence yet */
	LOCKMON_CLASS_LOCK	= 1,	/* mutual exclusion: contention */
	LOCKMON_CLASS_EVENT	= 2,	/* condvar, semaphore signal, parking */
};

/* How the owner of a waited-on futex was found. */
enum lockmon_owner_how {
	LOCKMON_OWNER_NONE	= 0,	/* no owner known */
	LOCKMON_OWNER_PI	= 1,	/* TID in a PI futex word */
	LOCKMON_OWNER_GLIBC	= 2,	/* __owner field of a glibc mutex */
	LOCKMON_OWNER_INFERRED	= 3,	/* last task that woke the futex */
};

/* How a futex wait ended. */
enum lockmon_wait_result {
	LOCKMON_WAIT_WOKEN	= 0,	/* woken by another task */
	LOCKMON_WAIT_AGAIN	= 1,	/* value changed: returned at once */
	LOCKMON_WAIT_TIMEOUT	= 2,
	LOCKMON_WAIT_SIGNAL	= 3,
	LOCKMON_WAIT_DEADLK	= 4,	/* PI lock refused with EDEADLK */
	LOCKMON_WAIT_ERROR	= 5,
};

/*
 * What the owner of a lock was doing while a task waited for it: the
 * locks file splits each futex's wait time into these (hold_*_ns).
 */
enum lockmon_holder_state {
	LOCKMON_HOLDER_UNKNOWN		= 0,	/* no owner known, or not sampled */
	LOCKMON_HOLDER_RUNNING		= 1,	/* on a CPU */
	LOCKMON_HOLDER_PREEMPTED	= 2,	/* runnable, waiting for a CPU */
	LOCKMON_HOLDER_FUTEX		= 3,	/* blocked in a futex wait itself */
	LOCKMON_HOLDER_SLEEPING		= 4,	/* asleep in the kernel otherwise */
	LOCKMON_HOLDER_STOPPED		= 5,	/* stopped or traced */
	LOCKMON_HOLDER_EXITED		= 6,	/* no longer alive */
	LOCKMON_HOLDER_NR		= 7,
};

/* Kinds of finding in the deadlocks file and the lockmon_finding event. */
enum lockmon_finding_kind {
	LOCKMON_FINDING_CYCLE		= 1,
	LOCKMON_FINDING_PI_EDEADLK	= 2,
	LOCKMON_FINDING_ORPHAN		= 3,
	LOCKMON_FINDING_STALL		= 4,
	LOCKMON_FINDING_TRANSIENT	= 5,
	LOCKMON_FINDING_STARVATION	= 6,	/* ABI 1.6 */
	LOCKMON_FINDING_HOLDER_PREEMPTED = 7,	/* ABI 1.7 */
	LOCKMON_FINDING_PRIO_INVERSION	= 8,	/* ABI 1.7 */
};

/* Longest chain lockmon follows and reports. */
#define LOCKMON_MAX_CHAIN	16
/* Deepest user stack lockmon captures. */
#define LOCKMON_MAX_STACK	16

#endif /* _UAPI_LINUX_LOCKMON_H */
