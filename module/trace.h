/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of the lockmon system: they ride the ftrace ring buffer, so
 * trace-cmd, perf and lockmon-report read them with no extra plumbing.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lockmon

#if !defined(_LOCKMON_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LOCKMON_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/lockmon.h>

/*
 * Codes print as names, so trace-cmd and perf read the events with no
 * decoder; TRACE_DEFINE_ENUM puts their values in the format files.
 */
TRACE_DEFINE_ENUM(LOCKMON_OWNER_NONE);
TRACE_DEFINE_ENUM(LOCKMON_OWNER_PI);
TRACE_DEFINE_ENUM(LOCKMON_OWNER_GLIBC);
TRACE_DEFINE_ENUM(LOCKMON_OWNER_INFERRED);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_WOKEN);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_AGAIN);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_TIMEOUT);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_SIGNAL);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_DEADLK);
TRACE_DEFINE_ENUM(LOCKMON_WAIT_ERROR);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_CYCLE);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_PI_EDEADLK);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_ORPHAN);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_STALL);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_TRANSIENT);
TRACE_DEFINE_ENUM(LOCKMON_FINDING_STARVATION);

#define lm_show_how(h) __print_symbolic(h,				\
	{ LOCKMON_OWNER_NONE, "unknown" }, { LOCKMON_OWNER_PI, "pi-word" },	\
	{ LOCKMON_OWNER_GLIBC, "glibc-owner" },				\
	{ LOCKMON_OWNER_INFERRED, "inferred" })
#define lm_show_result(r) __print_symbolic(r,				\
	{ LOCKMON_WAIT_WOKEN, "woken" }, { LOCKMON_WAIT_AGAIN, "again" },	\
	{ LOCKMON_WAIT_TIMEOUT, "timeout" }, { LOCKMON_WAIT_SIGNAL, "signal" },	\
	{ LOCKMON_WAIT_DEADLK, "edeadlk" }, { LOCKMON_WAIT_ERROR, "error" })
#define lm_show_kind(k) __print_symbolic(k,				\
	{ LOCKMON_FINDING_CYCLE, "cycle" },					\
	{ LOCKMON_FINDING_PI_EDEADLK, "pi-edeadlk" },				\
	{ LOCKMON_FINDING_ORPHAN, "orphan" }, { LOCKMON_FINDING_STALL, "stall" },	\
	{ LOCKMON_FINDING_TRANSIENT, "transient" },				\
	{ LOCKMON_FINDING_STARVATION, "starvation" })

TRACE_EVENT(lockmon_wait_begin,

	TP_PROTO(pid_t tid, pid_t tgid, u64 futex_id, u64 uaddr, pid_t owner,
		 u8 owner_how, u8 timed, u32 stack_id),

	TP_ARGS(tid, tgid, futex_id, uaddr, owner, owner_how, timed, stack_id),

	TP_STRUCT__entry(
		__field(pid_t,	tid)
		__field(pid_t,	tgid)
		__field(u64,	futex_id)
		__field(u64,	uaddr)
		__field(pid_t,	owner)
		__field(u8,	owner_how)
		__field(u8,	timed)
		__field(u32,	stack_id)
	),

	TP_fast_assign(
		__entry->tid = tid;
		__entry->tgid = tgid;
		__entry->futex_id = futex_id;
		__entry->uaddr = uaddr;
		__entry->owner = owner;
		__entry->owner_how = owner_how;
		__entry->timed = timed;
		__entry->stack_id = stack_id;
	),

	TP_printk("tid=%d tgid=%d futex=%016llx uaddr=0x%llx owner=%d how=%s timed=%u stack=%u",
		  __entry->tid, __entry->tgid, __entry->futex_id, __entry->uaddr,
		  __entry->owner, lm_show_how(__entry->owner_how),
		  __entry->timed, __entry->stack_id)
);

TRACE_EVENT(lockmon_wait_end,

	TP_PROTO(pid_t tid, pid_t tgid, u64 futex_id, u64 uaddr, u64 wait_ns,
		 u8 result, u32 stack_id, u64 weight_ns),

	TP_ARGS(tid, tgid, futex_id, uaddr, wait_ns, result, stack_id, weight_ns),

	TP_STRUCT__entry(
		__field(pid_t,	tid)
		__field(pid_t,	tgid)
		__field(u64,	futex_id)
		__field(u64,	uaddr)
		__field(u64,	wait_ns)
		__field(u8,	result)
		__field(u32,	stack_id)
		__field(u64,	weight_ns)
	),

	TP_fast_assign(
		__entry->tid = tid;
		__entry->tgid = tgid;
		__entry->futex_id = futex_id;
		__entry->uaddr = uaddr;
		__entry->wait_ns = wait_ns;
		__entry->result = result;
		__entry->stack_id = stack_id;
		__entry->weight_ns = weight_ns;
	),

	TP_printk("tid=%d tgid=%d futex=%016llx uaddr=0x%llx wait_ns=%llu result=%s stack=%u weight_ns=%llu",
		  __entry->tid, __entry->tgid, __entry->futex_id, __entry->uaddr,
		  __entry->wait_ns, lm_show_result(__entry->result),
		  __entry->stack_id, __entry->weight_ns)
);

TRACE_EVENT(lockmon_wake,

	TP_PROTO(pid_t waker, pid_t wakee, u64 futex_id, u32 stack_id,
		 u64 wait_ns, u64 weight_ns),

	TP_ARGS(waker, wakee, futex_id, stack_id, wait_ns, weight_ns),

	TP_STRUCT__entry(
		__field(pid_t,	waker)
		__field(pid_t,	wakee)
		__field(u64,	futex_id)
		__field(u32,	stack_id)
		__field(u64,	wait_ns)
		__field(u64,	weight_ns)
	),

	TP_fast_assign(
		__entry->waker = waker;
		__entry->wakee = wakee;
		__entry->futex_id = futex_id;
		__entry->stack_id = stack_id;
		__entry->wait_ns = wait_ns;
		__entry->weight_ns = weight_ns;
	),

	TP_printk("waker=%d wakee=%d futex=%016llx stack=%u wait_ns=%llu weight_ns=%llu",
		  __entry->waker, __entry->wakee, __entry->futex_id,
		  __entry->stack_id, __entry->wait_ns, __entry->weight_ns)
);

TRACE_EVENT(lockmon_thread_create,

	TP_PROTO(pid_t tid, pid_t tgid, pid_t child, u32 stack_id),

	TP_ARGS(tid, tgid, child, stack_id),

	TP_STRUCT__entry(
		__field(pid_t,	tid)
		__field(pid_t,	tgid)
		__field(pid_t,	child)
		__field(u32,	stack_id)
	),

	TP_fast_assign(
		__entry->tid = tid;
		__entry->tgid = tgid;
		__entry->child = child;
		__entry->stack_id = stack_id;
	),

	TP_printk("tid=%d tgid=%d child=%d stack=%u",
		  __entry->tid, __entry->tgid, __entry->child,
		  __entry->stack_id)
);

TRACE_EVENT(lockmon_finding,

	TP_PROTO(u64 seq, u8 kind, u8 index, u8 nr, pid_t tid, pid_t tgid,
		 u64 futex_id, u64 uaddr, pid_t owner, u8 owner_how),

	TP_ARGS(seq, kind, index, nr, tid, tgid, futex_id, uaddr, owner,
		owner_how),

	TP_STRUCT__entry(
		__field(u64,	seq)
		__field(u8,	kind)
		__field(u8,	index)
		__field(u8,	nr)
		__field(u8,	owner_how)
		__field(pid_t,	tid)
		__field(pid_t,	tgid)
		__field(pid_t,	owner)
		__field(u64,	futex_id)
		__field(u64,	uaddr)
	),

	TP_fast_assign(
		__entry->seq = seq;
		__entry->kind = kind;
		__entry->index = index;
		__entry->nr = nr;
		__entry->owner_how = owner_how;
		__entry->tid = tid;
		__entry->tgid = tgid;
		__entry->owner = owner;
		__entry->futex_id = futex_id;
		__entry->uaddr = uaddr;
	),

	TP_printk("seq=%llu kind=%s task=%u/%u tid=%d tgid=%d futex=%016llx uaddr=0x%llx owner=%d how=%s",
		  __entry->seq, lm_show_kind(__entry->kind), __entry->index,
		  __entry->nr, __entry->tid, __entry->tgid, __entry->futex_id,
		  __entry->uaddr, __entry->owner,
		  lm_show_how(__entry->owner_how))
);

/*
 * A wait still under way changed: the scan found it a new owner
 * (lockmon_owner), or the scan or a cycle found gave it a stack
 * (lockmon_wait_stack). Both carry the wait's owner and stack as they
 * are now.
 */
DECLARE_EVENT_CLASS(lockmon_wait_update,

	TP_PROTO(pid_t tid, pid_t tgid, u64 futex_id, pid_t owner, u8 owner_how,
		 u32 stack_id),

	TP_ARGS(tid, tgid, futex_id, owner, owner_how, stack_id),

	TP_STRUCT__entry(
		__field(pid_t,	tid)
		__field(pid_t,	tgid)
		__field(u64,	futex_id)
		__field(pid_t,	owner)
		__field(u32,	stack_id)
		__field(u8,	owner_how)
	),

	TP_fast_assign(
		__entry->tid = tid;
		__entry->tgid = tgid;
		__entry->futex_id = futex_id;
		__entry->owner = owner;
		__entry->stack_id = stack_id;
		__entry->owner_how = owner_how;
	),

	TP_printk("tid=%d tgid=%d futex=%016llx owner=%d how=%s stack=%u",
		  __entry->tid, __entry->tgid, __entry->futex_id,
		  __entry->owner, lm_show_how(__entry->owner_how),
		  __entry->stack_id)
);

DEFINE_EVENT(lockmon_wait_update, lockmon_owner,

	TP_PROTO(pid_t tid, pid_t tgid, u64 futex_id, pid_t owner, u8 owner_how,
		 u32 stack_id),

	TP_ARGS(tid, tgid, futex_id, owner, owner_how, stack_id)
);

DEFINE_EVENT(lockmon_wait_update, lockmon_wait_stack,

	TP_PROTO(pid_t tid, pid_t tgid, u64 futex_id, pid_t owner, u8 owner_how,
		 u32 stack_id),

	TP_ARGS(tid, tgid, futex_id, owner, owner_how, stack_id)
);

TRACE_EVENT(lockmon_stall,

	TP_PROTO(u64 seq, pid_t tgid, u32 threads, u64 blocked_ms),

	TP_ARGS(seq, tgid, threads, blocked_ms),

	TP_STRUCT__entry(
		__field(u64,	seq)
		__field(pid_t,	tgid)
		__field(u32,	threads)
		__field(u64,	blocked_ms)
	),

	TP_fast_assign(
		__entry->seq = seq;
		__entry->tgid = tgid;
		__entry->threads = threads;
		__entry->blocked_ms = blocked_ms;
	),

	TP_printk("seq=%llu tgid=%d threads=%u blocked_ms=%llu",
		  __entry->seq, __entry->tgid, __entry->threads,
		  __entry->blocked_ms)
);

#endif /* _LOCKMON_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
