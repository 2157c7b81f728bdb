/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon: the columns of the debugfs table files, one list per file.
 *
 * Each list is an X-macro: LOCKMON_<TABLE>_COLUMNS(C) expands C() once per
 * column, in the order the module prints them:
 *
 *	C(name, type, since, get, field, json)
 *
 * name   the column's name in the file's header line
 * type   how its cell is written and read (below)
 * since  the ABI minor version that added it; a reader accepts a file of
 *        an older minor without it
 * get    module/debugfs.c: the cell's value, an expression of the row
 *        being printed (r) and its snapshot (s)
 * field  lockmon-report: the member of its row struct the cell is read into
 *        (struct lmr_lock and struct lmr_stack declare theirs from here)
 * json   lockmon-report --json: the key field has in the row's object
 *        (user/json.c: a lock's, a live task's), a string never renamed
 *        within a schema; NULL for none, or for a column json.c writes by
 *        hand (procs is a lock's "tgid" and "uaddr", a task's stack its
 *        frames; stacks has no object of its own)
 *
 * The module prints the header line and each row from the list
 * (lm_<table>_show()); lockmon-report reads the cells by the names of the
 * header line into those members (user/debugfs_parse.c), and so do the
 * selftests through it; its --json writes a lock's and a live task's
 * object from those members (user/json.c). Only the expansion site sees
 * get, field or json, so neither side compiles the other's.
 *
 * A new column goes at the end of its list (readers older than it find
 * columns by name, but scripts may not), with since set to the
 * LOCKMON_ABI_MINOR it bumps in include/uapi/linux/lockmon.h. A new
 * locks, tasks or waitgraph column with a json key is added to the JSON
 * schema by that alone: say so in Documentation/reporter.rst and
 * user/lockmon-report.1.
 *
 * Types, as the module writes them:
 *
 * hex64    %016llx: a futex id
 * addr     0x%llx: a user address
 * u64      %llu
 * u32      %u
 * flag     %u: a truth value, 0 or 1
 * pid      %d
 * word     one word without blanks
 * comm     a task's comm, blanks as '_', "-" when empty
 * procs    TGID:0xUADDR[,TGID:0xUADDR]: the (at most two) users of a futex
 * hist     BUCKET:COUNT[,BUCKET:COUNT...] of the non-empty log2(ns)
 *          buckets, or "-"
 * opthex   %016llx, or "-" for none
 * cycle    "CYCLE" or "-"
 * ips      0x%llx cells, one per frame, to the end of the line: last only
 */
#ifndef _LOCKMON_COLUMNS_H
#define _LOCKMON_COLUMNS_H

/* locks: one row per futex with a blocking wait (struct lm_futex) */
#define LOCKMON_LOCKS_COLUMNS(C)					\
	C("futex", hex64, 0, r->id, id, "futex")			\
	C("class", word, 0, lm_class_names[lm_futex_class(r)], klass,	\
	  "class")							\
	C("pi", flag, 0, r->pi, pi, "pi")				\
	C("procs", procs, 0, r, procs, NULL)				\
	C("blocked", u64, 0, r->blocked, waits, "waits")		\
	C("again", u64, 0, r->again, again, "again")			\
	C("timeouts", u64, 0, r->timeouts, timeouts, "timeouts")	\
	C("signals", u64, 0, r->signals, signals, "signals")		\
	C("wakes", u64, 0, r->wakes, wakes, "wakes")			\
	C("total_ns", u64, 0, r->total_ns, total_ns, "total_wait_ns")	\
	C("max_ns", u64, 0, r->max_ns, max_ns, "max_wait_ns")		\
	C("avg_ns", u64, 0, lm_avg(r->total_ns, r->blocked), avg_ns,	\
	  "avg_wait_ns")						\
	C("handoff_avg_ns", u64, 0, lm_avg(r->hand_ns, r->hand_count),	\
	  handoff_avg_ns, "handoff_avg_ns")				\
	C("handoff_max_ns", u64, 0, r->hand_max_ns, handoff_max_ns,	\
	  "handoff_max_ns")						\
	C("waiters", u32, 0, r->waiters, waiters, "waiters")		\
	C("distinct", u32, 0, r->distinct, distinct, "distinct")	\
	C("owner", pid, 0, r->waiters ? r->owner : 0, owner, "owner")	\
	C("owner_how", word, 0,						\
	  lm_owner_how_name(r->waiters ? r->owner_how : 0), owner_how,	\
	  "owner_how")							\
	C("hist", hist, 0, r->hist, hist, NULL)				\
	C("hold_running_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_RUNNING], hold_running_ns,		\
	  "holder_running_ns")						\
	C("hold_preempted_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_PREEMPTED], hold_preempted_ns,	\
	  "holder_preempted_ns")					\
	C("hold_futex_ns", u64, 4, r->hold_ns[LOCKMON_HOLDER_FUTEX],	\
	  hold_futex_ns, "holder_futex_ns")				\
	C("hold_sleeping_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_SLEEPING], hold_sleeping_ns,	\
	  "holder_sleeping_ns")						\
	C("hold_stopped_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_STOPPED], hold_stopped_ns,		\
	  "holder_stopped_ns")						\
	C("hold_exited_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_EXITED], hold_exited_ns,		\
	  "holder_exited_ns")						\
	C("hold_unknown_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_UNKNOWN], hold_unknown_ns,		\
	  "holder_unknown_ns")						\
	C("hold_syscall", pid, 4, (pid_t)r->hold_sys - 1, hold_syscall,	\
	  "holder_syscall")

/* tasks: one row per task blocked in a futex wait (struct lm_task) */
#define LOCKMON_TASKS_COLUMNS(C)					\
	C("tid", pid, 0, r->tid, tid, "tid")				\
	C("tgid", pid, 0, r->tgid, tgid, "tgid")			\
	C("comm", comm, 0, r->comm, comm, "comm")			\
	C("futex", hex64, 0, r->futex_id, futex_id, "futex")		\
	C("uaddr", addr, 0, r->uaddr, uaddr, "uaddr")			\
	C("kind", word, 0, r->pi ? "pi" : "futex", kind, NULL)		\
	C("wait_ns", u64, 0, s->now > r->since ? s->now - r->since : 0,	\
	  wait_ns, "wait_ns")						\
	C("owner", pid, 0, r->owner, owner, "owner")			\
	C("owner_how", word, 0, lm_owner_how_name(r->owner_how),	\
	  owner_how, "owner_how")					\
	C("timed", flag, 0, r->timed, timed, "timed")			\
	C("woken", flag, 0, r->woken, woken, "woken")			\
	C("last_waker", pid, 0, r->last_waker, last_waker, NULL)	\
	C("stack", u32, 0, r->stack_id, stack_id, NULL)

/*
 * waitgraph: one wait-for edge per blocked, unwoken task (struct lm_task);
 * lockmon-report reads it into the tasks' rows, so only the columns tasks
 * has not got have a json key
 */
#define LOCKMON_WAITGRAPH_COLUMNS(C)					\
	C("waiter", pid, 0, r->tid, tid, NULL)				\
	C("tgid", pid, 0, r->tgid, tgid, NULL)				\
	C("comm", comm, 0, r->comm, comm, NULL)				\
	C("futex", hex64, 0, r->futex_id, futex_id, NULL)		\
	C("uaddr", addr, 0, r->uaddr, uaddr, NULL)			\
	C("owner", pid, 0, r->owner, owner, NULL)			\
	C("owner_how", word, 0, lm_owner_how_name(r->owner_how),	\
	  owner_how, NULL)						\
	C("owner_waits_on", opthex, 0, lm_graph_owner_futex(s, r),	\
	  owner_waits_on, "owner_waits_on")				\
	C("cycle", cycle, 0, lm_snap_on_cycle(s, r), cycle, "cycle")

/* stacks: one row per captured user stack (struct lm_stack_row) */
#define LOCKMON_STACKS_COLUMNS(C)					\
	C("stack", u32, 0, r->id, id, NULL)				\
	C("tgid", pid, 0, r->tgid, tgid, NULL)				\
	C("ips...", ips, 0, r, ips, NULL)

#endif /* _LOCKMON_COLUMNS_H */
