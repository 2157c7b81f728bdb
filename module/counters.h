/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon's event and drop counters, named once. Each is a per-CPU u64,
 * summed when the stats file is read. Include with LM_COUNTER defined.
 */
LM_COUNTER(waits,		"futex waits: blocked or returned at once")
LM_COUNTER(blocked,		"futex waits that blocked")
LM_COUNTER(again,		"futex waits that returned at once")
LM_COUNTER(again_unkeyed,	"shared-futex immediate returns not attributed")
LM_COUNTER(pi_waits,		"PI lock waits")
LM_COUNTER(waitv_waits,		"futex_waitv() waits, filed under their first futex")
LM_COUNTER(wakes,		"waiters woken")
LM_COUNTER(handoffs,		"handoff latencies measured")
LM_COUNTER(spurious,		"waits that ended with no wake, timeout or signal")
LM_COUNTER(hook_recursion,	"hook calls skipped by ftrace's recursion guard")
LM_COUNTER(filtered,		"events skipped by the pid/comm filter")
LM_COUNTER(task_table_full,	"tasks not tracked: task table bucket full")
LM_COUNTER(futex_table_full,	"futexes not tracked: futex table bucket full")
LM_COUNTER(stacks_captured,	"user stacks captured")
LM_COUNTER(stacks_dropped,	"user stacks not stored: stack table full")
LM_COUNTER(stacks_deferred,	"long waits whose stack the scan left for its next run")
LM_COUNTER(key_mismatch,	"futex_q layout checks that failed")
LM_COUNTER(bad_sequence,	"impossible event sequences seen")
LM_COUNTER(cycle_checks,	"wait-for chains followed")
LM_COUNTER(findings,		"findings recorded")
LM_COUNTER(findings_dropped,	"findings overwritten before being read")
LM_COUNTER(tasks_exited,	"tracked tasks that exited")
LM_COUNTER(scans,		"periodic scans completed")
