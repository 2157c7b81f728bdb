// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler tracepoints. They are not exported to modules, so they are
 * found by name with for_each_kernel_tracepoint().
 *
 *   sched_process_exit  forget the task, remember its exit for orphans;
 *                       a process whose last thread exits leaves the tree
 *   sched_process_fork  a reused TID must not inherit a stale wait; a
 *                       process forked by one in the tree joins it; a
 *                       thread created by a traced thread is an event
 *                       with the creator's stack (lockmon_thread_create)
 *
 * Nothing here runs on a context switch or a wakeup: the handoff latency
 * ends where the woken waiter's own futex_unqueue() runs (probes_futex.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include "lockmon.h"
#include "trace.h"

static void lm_sched_exit(void *data, struct task_struct *p)
{
	lm_task_forget(p->pid);
	lm_exited_record(p);
	lm_tree_exit(p);
}

/*
 * A thread of a traced process creates another thread of it (clone with
 * CLONE_THREAD): Go's threadcreate profile counts these by the creator's
 * user stack. The tracepoint runs in the parent, preemption disabled, so
 * its stack is read as a finished wait's is; every creation is an event,
 * and a full stack table leaves it stack 0 (stacks_dropped), not uncounted.
 */
static void lm_thread_create(struct task_struct *parent,
			     struct task_struct *child)
{
	u32 stack_id = 0;

	if (parent != current || child->tgid != parent->tgid ||
	    (parent->flags & PF_KTHREAD) || lm_filtered(parent))
		return;
	lm_count(LM_CNT_thread_creates);
	if (lm_stacks_on())
		stack_id = lm_stack_capture();
	trace_lockmon_thread_create(parent->pid, parent->tgid, child->pid,
				    stack_id);
}

static void lm_sched_fork(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	lm_task_forget(child->pid);
	lm_tree_fork(parent, child);
	lm_thread_create(parent, child);
}

struct lm_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct lm_tp lm_sched_tps[] = {
	{ .name = "sched_process_exit", .probe = lm_sched_exit },
	{ .name = "sched_process_fork", .probe = lm_sched_fork },
};

static void lm_tp_find(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lm_sched_tps); i++)
		if (!strcmp(tp->name, lm_sched_tps[i].name))
			lm_sched_tps[i].tp = tp;
}

/**
 * lm_probes_sched_register() - attach to the scheduler tracepoints
 *
 * A tracepoint the kernel lacks is named in the log; the others are used.
 *
 * Return: 0 (a missing tracepoint only loses what it measures).
 */
int lm_probes_sched_register(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(lm_tp_find, NULL);
	for (i = 0; i < ARRAY_SIZE(lm_sched_tps); i++) {
		struct lm_tp *t = &lm_sched_tps[i];

		if (!t->tp) {
			pr_warn("no tracepoint %s: what it measures is not traced\n",
				t->name);
			continue;
		}
		err = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (err) {
			pr_warn("cannot attach to %s (%d)\n", t->name, err);
			continue;
		}
		t->registered = true;
	}
	return 0;
}

/**
 * lm_probes_sched_unregister() - detach and wait for running probes
 */
void lm_probes_sched_unregister(void)
{
	int i;

	for (i = ARRAY_SIZE(lm_sched_tps) - 1; i >= 0; i--) {
		struct lm_tp *t = &lm_sched_tps[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
	tracepoint_synchronize_unregister();
}

/**
 * lm_probes_sched_show() - print each tracepoint's state for stats
 * @m: the seq_file
 */
void lm_probes_sched_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lm_sched_tps); i++)
		seq_printf(m, "tracepoint_%s %s\n", lm_sched_tps[i].name,
			   lm_sched_tps[i].registered ? "on" : "off");
}
