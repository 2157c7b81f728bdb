/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lockmon: user-space lock contention and deadlock tracer.
 *
 * The one header shared by lockmon.ko and lockmon-report. It holds the ABI
 * version, the codes that appear in debugfs files and trace events, and the
 * layout of lockmon-report's record files. Data layout only.
 */
#ifndef _UAPI_LINUX_LOCKMON_H
#define _UAPI_LINUX_LOCKMON_H

#include <linux/types.h>

/*
 * The major version changes when a debugfs column, an event field or the
 * record layout changes meaning; the minor version when something is added.
 */
#define LOCKMON_ABI_MAJOR	1
#define LOCKMON_ABI_MINOR	2

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

/* Kinds of finding in the deadlocks file and the lockmon_finding event. */
enum lockmon_finding_kind {
	LOCKMON_FINDING_CYCLE		= 1,
	LOCKMON_FINDING_PI_EDEADLK	= 2,
	LOCKMON_FINDING_ORPHAN		= 3,
	LOCKMON_FINDING_STALL		= 4,
	LOCKMON_FINDING_TRANSIENT	= 5,
};

/* Longest chain lockmon follows and reports. */
#define LOCKMON_MAX_CHAIN	16
/* Deepest user stack lockmon captures. */
#define LOCKMON_MAX_STACK	16

/*
 * lockmon-report record files: a header, then fixed-size records, all
 * little-endian as written on x86_64.
 */
#define LOCKMON_FILE_MAGIC	"LOCKMON\0"

struct lockmon_file_header {
	char	magic[8];
	__u16	abi_major;
	__u16	abi_minor;
	__u32	record_size;	/* sizeof(struct lockmon_record) */
	__u64	lost_events;	/* ring buffer overruns while recording */
	__u64	start_ns;	/* trace clock at the start */
	__u64	reserved[4];	/* must be zero */
};

enum lockmon_record_type {
	LOCKMON_REC_WAIT_BEGIN	= 1,	/* a task blocked on a futex */
	LOCKMON_REC_WAIT_END	= 2,	/* ... and returned from it */
	LOCKMON_REC_WAKE	= 3,	/* a task woke a waiter */
	LOCKMON_REC_FINDING	= 4,	/* one task of a finding */
	LOCKMON_REC_STACK	= 5,	/* user stack: ips in stack[] */
	LOCKMON_REC_MAPS	= 6,	/* one line of /proc/PID/maps in text */
	LOCKMON_REC_OWNER	= 7,	/* the scan re-read a waiter's owner */
	LOCKMON_REC_STALL	= 8,	/* a stall finding: its process */
	LOCKMON_REC_WAIT_STACK	= 9,	/* a wait under way got its stack */
};

/*
 * Fields each type uses; the others are zero. The records of events (all
 * but STACK and MAPS) also carry ts_ns and comm, the task's command name
 * (STALL: the process's).
 *   WAIT_BEGIN	tid, tgid, futex_id, uaddr, peer = owner, owner_how,
 *		stack_id
 *   WAIT_END	tid, tgid, futex_id, uaddr, value = wait ns, result;
 *		since ABI 1.2 also nr = 1, stack_id (0: none) and weight_ns,
 *		the wait time this wait stands for in a stack profile (0: not
 *		sampled, other waits stand for it)
 *   WAKE	tid = waker, tgid = waker's process, peer = wakee, futex_id
 *   FINDING	value = finding seq, result = kind, nr = task index, tid,
 *		tgid, futex_id, uaddr, peer = owner, owner_how
 *   STACK	stack_id, tgid, nr = depth, stack[] (innermost first)
 *   MAPS	tgid, nr = piece of the line, text
 *   OWNER	tid, tgid, futex_id, peer = owner read now (0: none),
 *		owner_how (how the wait's owner was found: 1 or 2)
 *   STALL	value = finding seq, tgid, peer = number of threads,
 *		blocked_ms = since the oldest of their waits began
 *   WAIT_STACK	tid, tgid, futex_id, stack_id: the scan (or a cycle found)
 *		took the stack of a wait that is still under way
 */

struct lockmon_record {
	__u16	type;		/* enum lockmon_record_type */
	__u16	result;		/* wait result, finding kind */
	__u16	owner_how;	/* enum lockmon_owner_how */
	__u16	nr;		/* stack depth; finding: task index */
	__u64	ts_ns;
	__u32	tgid;
	__u32	tid;
	__u32	peer;		/* owner; wakee (wake); threads (stall) */
	__u32	stack_id;	/* 0: none */
	__u64	futex_id;	/* stable id of the futex, not a pointer */
	__u64	uaddr;		/* user address in tgid */
	__u64	value;		/* wait ns (end), finding seq (finding, stall) */
	char	comm[16];
	union {
		__u64	stack[LOCKMON_MAX_STACK];
		char	text[LOCKMON_MAX_STACK * 8];
		__u64	blocked_ms;	/* stall: since the oldest wait began */
		__u64	weight_ns;	/* wait end: its weight in profiles */
	};
};

#endif /* _UAPI_LINUX_LOCKMON_H */
