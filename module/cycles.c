// SPDX-License-Identifier: GPL-2.0
/*
 * The wait-for graph: a blocked task -> the futex it waits on -> that
 * futex's owner -> the futex the owner waits on -> ...
 *
 * Edges are not stored separately: each blocked task's slot in waits.c holds
 * its futex and owner, so following a chain is a series of O(1) lookups,
 * one bucket lock at a time. A chain is followed when a task blocks (the
 * moment a cycle closes) and again by the periodic scan (scan.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/percpu.h>
#include "compat.h"
#include "lockmon.h"
#include "graph.h"
#include "trace.h"

static bool lm_self_deadlock(const struct lm_task *self)
{
	if (self->owner != self->tid)
		return false;
	/* a recursive or errorcheck mutex never blocks on itself */
	return self->owner_how == LOCKMON_OWNER_GLIBC &&
	       (self->kind == LM_GLIBC_KIND_NORMAL ||
		self->kind == LM_GLIBC_KIND_ADAPTIVE);
}

/*
 * Is @tid blocked, unwoken, right now? Most owners are running, and one
 * lockless load of lm_blocked_hint[] says so; only an owner that may be
 * blocked costs the bucket lookup.
 */
static bool lm_task_blocked(pid_t tid)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	bool blocked;

	if (!lm_hint_may_block(tid))
		return false;
	b = lm_task_lock(tid, false, &flags, &t);
	blocked = t && t->state == LM_T_WAITING && !t->woken;
	lm_bucket_unlock(b, flags);
	return blocked;
}

/**
 * lm_wait_set_stack() - give a wait under way its stack
 * @t: snapshot of the waiting task
 * @stack_id: the stack, 0 for none (then nothing is done)
 *
 * The stack goes in the slot (if it is still that wait), in
 * the findings that hold it, and to the trace as a lockmon_wait_stack
 * event, so a recording knows it too.
 */
void lm_wait_set_stack(const struct lm_task *t, u32 stack_id)
{
	unsigned long flags;
	struct lm_task *slot;
	struct lm_bucket *b;

	if (!stack_id)
		return;
	b = lm_task_lock(t->tid, false, &flags, &slot);
	if (slot && slot->state == LM_T_WAITING && slot->since == t->since)
		slot->stack_id = stack_id;
	lm_bucket_unlock(b, flags);
	lm_findings_set_stack(t->tid, t->futex_id, stack_id);
	trace_lockmon_wait_stack(t->tid, t->tgid, t->futex_id, t->owner,
				 t->owner_how, stack_id);
}

/* Probe context builds its chain here: the scan has a buffer of its own. */
static DEFINE_PER_CPU(struct lm_finding, lm_chain_buf);
static DEFINE_PER_CPU(struct lm_task, lm_self_buf);
static struct lm_finding lm_scan_chain;

static void lm_graph_follow(const struct lm_task *self, bool settled,
			    struct lm_finding *f)
{
	u64 old = lm_now() - (u64)lm_scan_ms * NSEC_PER_MSEC;
	bool timed = self->timed;
	bool guess = self->owner_how == LOCKMON_OWNER_INFERRED;
	struct lm_task t;
	pid_t cur;
	int i;

	lm_count(LM_CNT_cycle_checks);
	f->kind = LOCKMON_FINDING_CYCLE;
	f->seq = 0;
	f->stall_threads = 0;
	f->stall_blocked_ns = 0;
	f->owner_tgid = 0;
	f->owner_comm[0] = '\0';
	lm_finding_task_from(&f->t[0], self);
	f->nr = 1;
	if (lm_self_deadlock(self))
		goto found;

	for (cur = self->owner; cur; cur = t.owner) {
		if (cur == self->tid)
			goto found;
		if (f->nr == LOCKMON_MAX_CHAIN)
			return;	/* longer than lockmon follows */
		for (i = 1; i < f->nr; i++)
			if (f->t[i].tid == cur)
				return;	/* a cycle we are not part of */
		if (!lm_task_copy(cur, &t) || t.state != LM_T_WAITING || t.woken)
			return;
		if (settled && t.since > old)
			return;
		if (!lm_refresh_owner(&t, settled) ||
		    (settled && !lm_same_wait(&t)))
			return;
		timed |= t.timed;
		guess |= t.owner_how == LOCKMON_OWNER_INFERRED;
		lm_finding_task_from(&f->t[f->nr++], &t);
	}
	return;

found:
	if (guess && !settled)
		return;
	if (settled && lm_finding_marked(f))
		return;	/* made already, perhaps pushed out of the ring */
	if (!settled && !f->t[0].stack_id) {
		/* self is current: its stack is at hand, and findings are rare */
		f->t[0].stack_id = lm_stack_capture();
		lm_wait_set_stack(self, f->t[0].stack_id);
	}
	if (timed)
		lm_pending_add(f);
	else
		lm_finding_record(f, self->since);
}

/**
 * lm_graph_check() - follow the wait-for chain from a blocked task
 * @self: snapshot of the task that is blocking (or has been blocked)
 * @settled: called by the scan: every wait in the chain must be older than
 *	one scan period, and inferred owners are trusted
 *
 * Follows owner -> the futex the owner waits on -> its owner, at most
 * LOCKMON_MAX_CHAIN hops, and records a cycle that comes back to @self.
 * Cost is one lookup when the owner is not blocked itself, the usual
 * case, and O(chain length) otherwise. Cycles that do not pass through
 * @self were found when they closed. An inferred owner is only a guess,
 * so a cycle through one is reported by the scan once it has lasted,
 * never at once.
 */
void lm_graph_check(const struct lm_task *self, bool settled)
{
	if (!self->owner)
		return;
	if (!lm_self_deadlock(self) &&
	    (self->owner == self->tid || !lm_task_blocked(self->owner)))
		return;
	if (settled)
		lm_graph_follow(self, true, &lm_scan_chain);
	else
		lm_graph_follow(self, false, this_cpu_ptr(&lm_chain_buf));
}

/**
 * __lm_graph_check_block() - the chain check of a task that is blocking now
 * @tid: current, just blocked
 * @owner: the owner it blocked on, not 0
 * @how: enum lockmon_owner_how
 * @kind: glibc mutex kind
 *
 * Called by lm_graph_check_block() (lockmon.h) for an owner that may be
 * blocked or is the task itself: one lookup of the owner, and a copy of
 * the blocking task's slot only when the owner is blocked itself (or it
 * is the task itself), the rare case where a cycle can close.
 */
void __lm_graph_check_block(pid_t tid, pid_t owner, u8 how, u8 kind)
{
	struct lm_task *self;

	if (owner == tid) {
		/* a recursive or errorcheck mutex never blocks on itself */
		if (how != LOCKMON_OWNER_GLIBC ||
		    (kind != LM_GLIBC_KIND_NORMAL && kind != LM_GLIBC_KIND_ADAPTIVE))
			return;
	} else if (!lm_task_blocked(owner)) {
		return;
	}
	self = this_cpu_ptr(&lm_self_buf);
	if (!lm_task_copy(tid, self) || self->state != LM_T_WAITING)
		return;
	lm_graph_follow(self, false, this_cpu_ptr(&lm_chain_buf));
}

/**
 * lm_graph_orphan_block() - the wait current begins is on an orphaned lock
 * @tid: current, just blocked on a glibc mutex whose owner lockmon saw die
 *
 * Called by the probes only when owner resolution found such an owner
 * (LM_KIND_DEAD), never for a live one. Records the orphan now, with the
 * waiter's stack, instead of leaving it to the scan.
 */
void lm_graph_orphan_block(pid_t tid)
{
	struct lm_task *self = this_cpu_ptr(&lm_self_buf);
	struct lm_finding *f = this_cpu_ptr(&lm_chain_buf);

	if (!lm_task_copy(tid, self) || self->state != LM_T_WAITING)
		return;
	if (!lm_orphan_record(f, self, self->since))
		return;
	/* self is current: its stack is at hand, and findings are rare */
	if (!self->stack_id)
		lm_wait_set_stack(self, lm_stack_capture());
}
