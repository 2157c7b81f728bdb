/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon: the columns of the debugfs table files, one list per file.
 *
 * Each list is an X-macro: LOCKMON_<TABLE>_COLUMNS(C) expands C() once per
 * column, in the order the module prints them:
 *
 *	C(name, type, since, get, field, json, view)
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
 * view   lockmon-report's lock tables (user/columns.c: -F, -k, --help of
 *        locks, top and report): what the column is there (below);
 *        LMV_NONE in every list but locks
 *
 * The module prints the header line and each row from the list
 * (lm_<table>_show()); lockmon-report reads the cells by the names of the
 * header line into those members (user/debugfs_parse.c), and so do the
 * selftests through it; its --json writes a lock's and a live task's
 * object from those members (user/json.c), and its lock tables show them
 * by view (user/columns.c). Only the expansion site sees get, field, json
 * or view, so neither side compiles the other's: the LMV_*() of view are
 * read by lockmon-report alone (LMR_VIEW() of user/lockmon-report.h).
 *
 * A new column goes at the end of its list (readers older than it find
 * columns by name, but scripts may not), with since set to the
 * LOCKMON_ABI_MINOR it bumps in include/uapi/linux/lockmon.h. A new
 * locks, tasks or waitgraph column with a json key is added to the JSON
 * schema by that alone, and a new locks column with an LMV_COUNT() or
 * LMV_NS() view to the lock tables' fields, sort keys and --help: say so
 * in Documentation/reporter.rst and user/lockmon-report.1.
 *
 * Views of a locks column, in the lock tables' order (a FIELD is its name
 * for -F and -k, ALIAS another or NULL, HEADER its heading, IHEADER top's
 * heading for the change since the previous screen or NULL, WIDTH its
 * cells' width, below 0 left-aligned, HELP its line of --help):
 *
 * LMV_COUNT(FIELD, ALIAS, HEADER, IHEADER, WIDTH, HELP)
 *          a u64 or u32 count: a field and a sort key, printed %llu
 * LMV_NS(FIELD, ALIAS, HEADER, IHEADER, WIDTH, HELP)
 *          a u64 of ns: a field and a sort key, printed as a duration
 * LMV_TEXT(FIELD, HEADER, WIDTH, HELP)
 *          a hex64, word or flag: a field, printed as %016llx, the word,
 *          or yes/no
 * LMV_HAND(ID) the fields user/columns.c writes by hand for it (procs:
 *          uaddr, pid and process; owner: owner; hist: wait_p50 and
 *          wait_p99)
 * LMV_PART(FIELD) no field of its own: shown within FIELD's cells
 * LMV_NONE not shown in the lock tables
 *
 * A locks column with a json key is a field of the lock tables too, and
 * each count or duration sorts by its member (user/tests/cli_test.c
 * checks both).
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
	C("futex", hex64, 0, r->id, id, "futex",			\
	  LMV_TEXT("futex", "FUTEX", -16,				\
		   "the module's id of the futex (a keyed hash)"))	\
	C("class", word, 0, lm_class_names[lm_futex_class(r)], klass,	\
	  "class",							\
	  LMV_TEXT("class", "CLASS", -7,				\
		   "lock, event or unknown, from how it is used"))	\
	C("pi", flag, 0, r->pi, pi, "pi",				\
	  LMV_TEXT("pi", "PI", -3, "a priority-inheritance futex"))	\
	C("procs", procs, 0, r, procs, NULL, LMV_HAND(procs))		\
	C("blocked", u64, 0, r->blocked, waits, "waits",		\
	  LMV_COUNT("waits", "contended", "WAITS", "WAITS/i", 7,	\
		    "waits that blocked"))				\
	C("again", u64, 0, r->again, again, "again",			\
	  LMV_COUNT("again", NULL, "AGAIN", NULL, 7,			\
		    "waits that returned at once with EAGAIN"))		\
	C("timeouts", u64, 0, r->timeouts, timeouts, "timeouts",	\
	  LMV_COUNT("timeouts", NULL, "TIMEOUTS", NULL, 8,		\
		    "blocking waits that timed out"))			\
	C("signals", u64, 0, r->signals, signals, "signals",		\
	  LMV_COUNT("signals", NULL, "SIGNALS", NULL, 7,		\
		    "blocking waits ended by a signal"))		\
	C("wakes", u64, 0, r->wakes, wakes, "wakes",			\
	  LMV_COUNT("wakes", NULL, "WAKES", NULL, 7,			\
		    "waiters woken on it"))				\
	C("total_ns", u64, 0, r->total_ns, total_ns, "total_wait_ns",	\
	  LMV_NS("wait_total", "total", "TOTAL", "WAIT/i", 9,		\
		 "time spent waiting, all waits"))			\
	C("max_ns", u64, 0, r->max_ns, max_ns, "max_wait_ns",		\
	  LMV_NS("wait_max", "max", "MAX", NULL, 9,			\
		 "the longest wait"))					\
	C("avg_ns", u64, 0, lm_avg(r->total_ns, r->blocked), avg_ns,	\
	  "avg_wait_ns",						\
	  LMV_NS("avg", "avg_wait", "AVG", NULL, 9,			\
		 "wait time per wait"))					\
	C("handoff_avg_ns", u64, 0, lm_avg(r->hand_ns, r->hand_count),	\
	  handoff_avg_ns, "handoff_avg_ns",				\
	  LMV_NS("handoff", NULL, "HANDOFF", NULL, 9,			\
		 "wake to return of the woken waiter, mean"))		\
	C("handoff_max_ns", u64, 0, r->hand_max_ns, handoff_max_ns,	\
	  "handoff_max_ns",						\
	  LMV_NS("handoff_max", NULL, "HANDOFF_MAX", NULL, 11,		\
		 "the longest handoff"))				\
	C("waiters", u32, 0, r->waiters, waiters, "waiters",		\
	  LMV_COUNT("waiters", NULL, "WAITERS", NULL, 7,		\
		    "tasks waiting on it now"))				\
	C("distinct", u32, 0, r->distinct, distinct, "distinct",	\
	  LMV_COUNT("distinct", NULL, "DISTINCT", NULL, 8,		\
		    "tasks seen to block on it (can be low)"))		\
	C("owner", pid, 0, r->waiters ? r->owner : 0, owner, "owner",	\
	  LMV_HAND(owner))						\
	C("owner_how", word, 0,						\
	  lm_owner_how_name(r->waiters ? r->owner_how : 0), owner_how,	\
	  "owner_how", LMV_PART("owner"))				\
	C("hist", hist, 0, r->hist, hist, NULL, LMV_HAND(hist))		\
	C("hold_running_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_RUNNING], hold_running_ns,		\
	  "holder_running_ns",						\
	  LMV_NS("holder_running", NULL, "H_RUN", NULL, 9,		\
		 "wait time while the holder ran"))			\
	C("hold_preempted_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_PREEMPTED], hold_preempted_ns,	\
	  "holder_preempted_ns",					\
	  LMV_NS("holder_preempted", NULL, "H_PREEMPT", NULL, 9,	\
		 "wait time while the holder waited for a CPU"))	\
	C("hold_futex_ns", u64, 4, r->hold_ns[LOCKMON_HOLDER_FUTEX],	\
	  hold_futex_ns, "holder_futex_ns",				\
	  LMV_NS("holder_futex", NULL, "H_FUTEX", NULL, 9,		\
		 "wait time while the holder waited on a futex"))	\
	C("hold_sleeping_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_SLEEPING], hold_sleeping_ns,	\
	  "holder_sleeping_ns",						\
	  LMV_NS("holder_sleeping", NULL, "H_SLEEP", NULL, 9,		\
		 "wait time while the holder slept otherwise (I/O, ...)")) \
	C("hold_stopped_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_STOPPED], hold_stopped_ns,		\
	  "holder_stopped_ns",						\
	  LMV_NS("holder_stopped", NULL, "H_STOP", NULL, 9,		\
		 "wait time while the holder was stopped or traced"))	\
	C("hold_exited_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_EXITED], hold_exited_ns,		\
	  "holder_exited_ns",						\
	  LMV_NS("holder_exited", NULL, "H_EXIT", NULL, 9,		\
		 "wait time after the holder exited"))			\
	C("hold_unknown_ns", u64, 4,					\
	  r->hold_ns[LOCKMON_HOLDER_UNKNOWN], hold_unknown_ns,		\
	  "holder_unknown_ns",						\
	  LMV_NS("holder_unknown", NULL, "H_UNKN", NULL, 9,		\
		 "wait time not sampled (waits shorter than a scan)"))	\
	C("hold_syscall", pid, 4, (pid_t)r->hold_sys - 1, hold_syscall,	\
	  "holder_syscall",						\
	  LMV_TEXT("holder_syscall", "H_SYSCALL", 9,			\
		   "the syscall a sleeping holder was in, by number"))	\
	C("rewaits", u64, 5, r->rewaits, rewaits, "rewaits",		\
	  LMV_COUNT("rewaits", "barging", "REWAITS", "REWAITS/i", 7,	\
		    "woken waiters that lost it and blocked again"))	\
	C("starve_ns", u64, 5, r->starve_ns, starve_ns, "starve_ns",	\
	  LMV_NS("starve", NULL, "STARVE", NULL, 9,			\
		 "longest wait while starve_hands others were woken"))	\
	C("starve_hands", u32, 5, r->starve_hands, starve_hands,	\
	  "starve_hands",						\
	  LMV_COUNT("starve_hands", NULL, "S_HANDS", NULL, 7,		\
		    "waiters woken during that wait"))

/* tasks: one row per task blocked in a futex wait (struct lm_task) */
#define LOCKMON_TASKS_COLUMNS(C)					\
	C("tid", pid, 0, r->tid, tid, "tid", LMV_NONE)			\
	C("tgid", pid, 0, r->tgid, tgid, "tgid", LMV_NONE)		\
	C("comm", comm, 0, r->comm, comm, "comm", LMV_NONE)		\
	C("futex", hex64, 0, r->futex_id, futex_id, "futex", LMV_NONE)	\
	C("uaddr", addr, 0, r->uaddr, uaddr, "uaddr", LMV_NONE)	\
	C("kind", word, 0, r->pi ? "pi" : "futex", kind, NULL,		\
	  LMV_NONE)							\
	C("wait_ns", u64, 0, s->now > r->since ? s->now - r->since : 0,	\
	  wait_ns, "wait_ns", LMV_NONE)					\
	C("owner", pid, 0, r->owner, owner, "owner", LMV_NONE)		\
	C("owner_how", word, 0, lm_owner_how_name(r->owner_how),	\
	  owner_how, "owner_how", LMV_NONE)				\
	C("timed", flag, 0, r->timed, timed, "timed", LMV_NONE)	\
	C("woken", flag, 0, r->woken, woken, "woken", LMV_NONE)	\
	C("last_waker", pid, 0, r->last_waker, last_waker, NULL,	\
	  LMV_NONE)							\
	C("stack", u32, 0, r->stack_id, stack_id, NULL, LMV_NONE)

/*
 * waitgraph: one wait-for edge per blocked, unwoken task (struct lm_task);
 * lockmon-report reads it into the tasks' rows, so only the columns tasks
 * has not got have a json key
 */
#define LOCKMON_WAITGRAPH_COLUMNS(C)					\
	C("waiter", pid, 0, r->tid, tid, NULL, LMV_NONE)		\
	C("tgid", pid, 0, r->tgid, tgid, NULL, LMV_NONE)		\
	C("comm", comm, 0, r->comm, comm, NULL, LMV_NONE)		\
	C("futex", hex64, 0, r->futex_id, futex_id, NULL, LMV_NONE)	\
	C("uaddr", addr, 0, r->uaddr, uaddr, NULL, LMV_NONE)		\
	C("owner", pid, 0, r->owner, owner, NULL, LMV_NONE)		\
	C("owner_how", word, 0, lm_owner_how_name(r->owner_how),	\
	  owner_how, NULL, LMV_NONE)					\
	C("owner_waits_on", opthex, 0, lm_graph_owner_futex(s, r),	\
	  owner_waits_on, "owner_waits_on", LMV_NONE)			\
	C("cycle", cycle, 0, lm_snap_on_cycle(s, r), cycle, "cycle",	\
	  LMV_NONE)

/* stacks: one row per captured user stack (struct lm_stack_row) */
#define LOCKMON_STACKS_COLUMNS(C)					\
	C("stack", u32, 0, r->id, id, NULL, LMV_NONE)			\
	C("tgid", pid, 0, r->tgid, tgid, NULL, LMV_NONE)		\
	C("ips...", ips, 0, r, ips, NULL, LMV_NONE)

#endif /* _LOCKMON_COLUMNS_H */
