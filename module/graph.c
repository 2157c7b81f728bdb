// SPDX-License-Identifier: GPL-2.0
/*
 * The wait-for graph: a blocked task -> the futex it waits on -> that
 * futex's owner -> the futex the owner waits on -> ...
 *
 * Edges are not stored separately: each blocked task's slot in waits.c holds
 * its futex and owner, so following a chain is a series of O(1) lookups,
 * one bucket lock at a time. A chain is followed when a task blocks (the
 * moment a cycle closes) and again by a periodic scan in process context,
 * which also finds orphaned locks and whole-process stalls.
 *
 * Findings go to a fixed ring under lm_findings_lock, which is taken only
 * when something is found, never on the ordinary event path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include "compat.h"
#include "lockmon.h"
#include "trace.h"

#define LM_PENDING	16	/* cycles held back because a wait is timed */
#define LM_LOG_BURST	8	/* reports printed per scan, at most */

struct lm_pending {
	u64 sig;
	struct lm_finding f;
};

static DEFINE_RAW_SPINLOCK(lm_findings_lock);
static struct lm_finding *lm_findings;	/* ring of lm_max_findings */
static u64 lm_finding_seq;		/* findings recorded so far */
static struct lm_pending lm_pending[LM_PENDING];
static atomic_t lm_nr_pending = ATOMIC_INIT(0);
static u64 lm_printed_seq;		/* only the report worker touches it */

static void lm_report_fn(struct work_struct *work);
static DECLARE_WORK(lm_report_work, lm_report_fn);
static void lm_scan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(lm_scan_work, lm_scan_fn);
static bool lm_scanning;

static bool lm_task_alive(pid_t tid, pid_t tgid, bool any_tgid)
{
	struct task_struct *p;
	bool alive;

	rcu_read_lock();
	p = pid_task(find_vpid(tid), PIDTYPE_PID);
	alive = p && !(p->flags & PF_EXITING) &&
		(any_tgid || p->tgid == tgid);
	rcu_read_unlock();
	return alive;
}

/*
 * Does @w look like a locked glibc mutex? The futex word says "locked with
 * waiters" (2, from lll_lock_wait) or holds the owner TID (robust mutexes),
 * matching the value the waiter slept on (@val, or -1 when unknown); the
 * owner is positive, __nusers counts it, __count is only used by recursive
 * mutexes, and __kind has no bits glibc does not define. A condition
 * variable or semaphore word with a TID-like neighbour fails one of these.
 */
static bool lm_glibc_locked(const s32 *w, s64 val)
{
	u32 kind = (u32)w[4];

	if (w[2] <= 0 || w[3] < 1 || (kind & ~LM_GLIBC_KIND_BITS))
		return false;
	if ((kind & LM_GLIBC_KIND_MASK) != LM_GLIBC_KIND_RECURSIVE && w[1])
		return false;
	if (w[0] == 2)
		return val < 0 || val == 2;
	return (w[0] & FUTEX_TID_MASK) == w[2] && (val < 0 || val == w[0]);
}

/*
 * The owner in a futex word (PI) or in the glibc mutex around it. @w holds
 * five ints read from the futex address: __lock, __count, __owner,
 * __nusers, __kind. A glibc owner seen for the first time must be a live
 * thread; when @dead_ok, the lock was already known to be a glibc mutex
 * and an owner that has exited is returned too: that is an orphan.
 */
static pid_t lm_owner_from_words(const s32 *w, bool pi, bool shared, s64 val,
				 pid_t tgid, bool dead_ok, u8 *how, u8 *kind)
{
	*how = LOCKMON_OWNER_NONE;
	*kind = 0;
	if (pi) {
		if (!(w[0] & FUTEX_TID_MASK))
			return 0;
		*how = LOCKMON_OWNER_PI;
		return w[0] & FUTEX_TID_MASK;
	}
	if (!lm_glibc_locked(w, val) ||
	    (!dead_ok && !lm_task_alive(w[2], tgid, shared)))
		return 0;
	*how = LOCKMON_OWNER_GLIBC;
	*kind = w[4] & LM_GLIBC_KIND_MASK;
	return w[2];
}

/**
 * lm_resolve_owner() - who holds the futex current is about to wait on
 * @uaddr: the futex word, in current's address space
 * @pi: a PI futex: the owner TID is in the word
 * @shared: a process-shared futex: the owner may be in another process
 * @val: the value the waiter expects in the word, or -1 if unknown
 * @how: set to enum lockmon_owner_how
 * @kind: set to the glibc mutex kind when @how is LOCKMON_OWNER_GLIBC
 * @known: the futex is known to be a glibc mutex already: its owner is
 *	believed without the liveness check, and a dead one is an orphan
 *
 * Reads user memory with copy_from_user_nofault(), which never sleeps, so it
 * is safe in probe context. A glibc owner is believed only when the futex
 * word says "locked with waiters" and, the first time, the TID is a live
 * thread of the waiter's process (any process, for a shared mutex).
 *
 * Return: the owner TID, or 0 with @how set to LOCKMON_OWNER_NONE.
 */
pid_t lm_resolve_owner(u64 uaddr, bool pi, bool shared, s64 val, bool known,
		       u8 *how, u8 *kind)
{
	s32 w[5] = { 0 };

	if (copy_from_user_nofault(w, (void __user *)(unsigned long)uaddr,
				   pi ? sizeof(w[0]) : sizeof(w))) {
		*how = LOCKMON_OWNER_NONE;
		*kind = 0;
		return 0;
	}
	return lm_owner_from_words(w, pi, shared, val, current->tgid, known,
				   how, kind);
}

static void lm_finding_task_from(struct lm_finding_task *ft,
				 const struct lm_task *t)
{
	ft->tid = t->tid;
	ft->tgid = t->tgid;
	ft->owner = t->owner;
	ft->owner_how = t->owner_how;
	ft->timed = t->timed;
	ft->stack_id = t->stack_id;
	ft->futex_id = t->futex_id;
	ft->uaddr = t->uaddr;
	memcpy(ft->comm, t->comm, sizeof(ft->comm));
}

static u64 lm_finding_sig(const struct lm_finding *f)
{
	u64 sig = f->kind;
	unsigned int i;

	/* order-free: the same cycle found from any member is one finding */
	for (i = 0; i < f->nr; i++)
		sig += hash_64(((u64)f->t[i].tid << 32) ^ f->t[i].futex_id, 63);
	return sig;
}

/* Caller holds lm_findings_lock. */
static bool lm_finding_known(u64 sig)
{
	u64 kept = min_t(u64, lm_finding_seq, lm_max_findings);
	u64 i;

	lockdep_assert_held(&lm_findings_lock);
	for (i = 0; i < kept; i++)
		if (lm_findings[i].sig == sig)
			return true;
	return false;
}

/*
 * Mark the members' waits with the kind of finding just made for them, so
 * the scan does not make it again while the waits last, even after the
 * finding has been pushed out of the ring. A new wait clears the mark.
 */
static void lm_finding_mark(const struct lm_finding *f)
{
	unsigned long flags;
	struct lm_task *slot;
	unsigned int i;

	for (i = 0; i < f->nr; i++) {
		slot = lm_task_lock(f->t[i].tid, false, &flags);
		if (!slot)
			continue;
		if (slot->state == LM_T_WAITING &&
		    slot->futex_id == f->t[i].futex_id)
			slot->reported |= BIT(f->kind);
		lm_task_unlock(slot, flags);
	}
}

/* Every member is still in the wait a finding of this kind was made for. */
static bool lm_finding_marked(const struct lm_finding *f)
{
	struct lm_task t;
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (!lm_task_copy(f->t[i].tid, &t) ||
		    t.state != LM_T_WAITING ||
		    t.futex_id != f->t[i].futex_id ||
		    !(t.reported & BIT(f->kind)))
			return false;
	return f->nr > 0;
}

static bool lm_finding_record(struct lm_finding *f, u64 since)
{
	struct lm_finding *slot;
	unsigned long flags;
	unsigned int i;

	f->sig = lm_finding_sig(f);
	f->time_ns = lm_now();
	f->latency_ns = since && f->time_ns > since ? f->time_ns - since : 0;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	if (lm_finding_known(f->sig)) {
		raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
		return false;
	}
	f->seq = ++lm_finding_seq;
	if (f->seq > lm_max_findings)
		lm_count(LM_CNT_findings_dropped);
	slot = &lm_findings[(f->seq - 1) % lm_max_findings];
	*slot = *f;
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);

	lm_finding_mark(f);
	lm_count(LM_CNT_findings);
	for (i = 0; i < f->nr; i++)
		trace_lockmon_finding(f->seq, f->kind, i, f->nr, f->t[i].tid,
				      f->t[i].tgid, f->t[i].futex_id,
				      f->t[i].uaddr, f->t[i].owner,
				      f->t[i].owner_how);
	/* printing may wake the console: never from the scheduler's paths */
	queue_work(system_unbound_wq, &lm_report_work);
	return true;
}

static void lm_pending_add(struct lm_finding *f)
{
	unsigned long flags;
	u64 sig = lm_finding_sig(f);
	int i, free = -1;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	for (i = 0; i < LM_PENDING; i++) {
		if (lm_pending[i].sig == sig)
			goto out;
		if (!lm_pending[i].sig && free < 0)
			free = i;
	}
	if (free >= 0) {
		lm_pending[free].sig = sig;
		lm_pending[free].f = *f;
		atomic_inc(&lm_nr_pending);
	}
out:
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
}

/* Off the common path: its finding is big, and the stack zeroes it. */
static noinline void lm_pending_settle(pid_t tid, int result)
{
	struct lm_finding f;
	unsigned long flags;
	bool found = false;
	int i, j;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	for (i = 0; i < LM_PENDING && !found; i++) {
		if (!lm_pending[i].sig)
			continue;
		for (j = 0; j < lm_pending[i].f.nr; j++) {
			if (lm_pending[i].f.t[j].tid != tid)
				continue;
			f = lm_pending[i].f;
			lm_pending[i].sig = 0;
			atomic_dec(&lm_nr_pending);
			found = true;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
	if (found && (result == LOCKMON_WAIT_TIMEOUT ||
		      result == LOCKMON_WAIT_SIGNAL)) {
		f.kind = LOCKMON_FINDING_TRANSIENT;
		lm_finding_record(&f, 0);
	}
}

/**
 * lm_graph_wait_ended() - a wait ended: settle held-back cycles through it
 * @tid: the task whose wait ended
 * @result: enum lockmon_wait_result
 *
 * A cycle that contains a timed wait is held back. If that wait then times
 * out or is interrupted, the cycle dissolved: it is reported as transient,
 * never as a deadlock. If it ends any other way it is dropped.
 */
void lm_graph_wait_ended(pid_t tid, int result)
{
	if (atomic_read(&lm_nr_pending))
		lm_pending_settle(tid, result);
}

/*
 * A blocked task's owner may have changed since it blocked (the lock passed
 * to another waiter), so glibc and PI owners are read again while the chain
 * is followed: without a fault from probe context when the task shares
 * current's mm, and with access_process_vm() from the scan, which may sleep.
 * Returns false when the owner cannot be read again.
 */
static bool lm_refresh_owner(struct lm_task *t, bool sleepable)
{
	struct task_struct *p;
	s32 w[5] = { 0 };
	size_t len = t->pi ? sizeof(w[0]) : sizeof(w);
	u8 how, kind;
	int got = 0;

	if (t->owner_how != LOCKMON_OWNER_GLIBC &&
	    t->owner_how != LOCKMON_OWNER_PI)
		return true;
	if (current->mm && t->tgid == current->tgid) {
		got = copy_from_user_nofault(w, (void __user *)(unsigned long)t->uaddr,
					     len) ? 0 : len;
	} else if (sleepable) {
		struct pid *pid = find_get_pid(t->tid);

		/* the task holds its own reference; drop the pid's at once */
		p = get_pid_task(pid, PIDTYPE_PID);
		put_pid(pid);
		if (p) {
			got = access_process_vm(p, t->uaddr, w, len, 0);
			put_task_struct(p);
		}
	}
	if (got != len)
		return !sleepable;	/* probe context: keep the block-time owner */
	t->owner = lm_owner_from_words(w, t->pi, t->shared, -1, t->tgid, true,
				       &how, &kind);
	if (how != LOCKMON_OWNER_NONE)
		t->owner_how = how;
	return true;
}

/*
 * The owner is read while the waiter may be woken and take the lock: an
 * owner read is only trusted if the waiter is still in the same wait,
 * unwoken, afterwards. glibc stores the owner only after the futex wait
 * returns, so a value read before that point predates the wake-up.
 */
static bool lm_same_wait(const struct lm_task *t)
{
	struct lm_task now;

	return lm_task_copy(t->tid, &now) && now.state == LM_T_WAITING &&
	       !now.woken && now.since == t->since;
}

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
 * Is @tid blocked, unwoken, right now? One bucket lookup: most owners are
 * running, and then there is no chain to follow.
 */
static bool lm_task_blocked(pid_t tid)
{
	unsigned long flags;
	struct lm_task *t = lm_task_lock(tid, false, &flags);
	bool blocked;

	if (!t)
		return false;
	blocked = t->state == LM_T_WAITING && !t->woken;
	lm_task_unlock(t, flags);
	return blocked;
}

/*
 * Give the wait @t a stack: in its slot (if it is still that wait), in
 * the findings that hold it, and to the trace as a lockmon_wait_stack
 * event, so a recording knows it too.
 */
static void lm_wait_set_stack(const struct lm_task *t, u32 stack_id)
{
	unsigned long flags;
	struct lm_task *slot;
	u64 i, kept;
	int j;

	if (!stack_id)
		return;
	slot = lm_task_lock(t->tid, false, &flags);
	if (slot) {
		if (slot->state == LM_T_WAITING && slot->since == t->since)
			slot->stack_id = stack_id;
		lm_task_unlock(slot, flags);
	}
	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	kept = min_t(u64, lm_finding_seq, lm_max_findings);
	for (i = 0; i < kept; i++)
		for (j = 0; j < lm_findings[i].nr; j++)
			if (lm_findings[i].t[j].tid == t->tid &&
			    lm_findings[i].t[j].futex_id == t->futex_id &&
			    !lm_findings[i].t[j].stack_id)
				lm_findings[i].t[j].stack_id = stack_id;
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
	trace_lockmon_wait_stack(t->tid, t->tgid, t->futex_id, stack_id);
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
 * lm_graph_check_block() - the chain check of a task that is blocking now
 * @tid: current, just blocked
 * @owner: the owner it blocked on, 0 if none
 * @how: enum lockmon_owner_how
 * @kind: glibc mutex kind
 *
 * The probes' fast path: one lookup of the owner, and a copy of the
 * blocking task's slot only when the owner is blocked itself (or it is
 * the task itself), the rare case where a cycle can close.
 */
void lm_graph_check_block(pid_t tid, pid_t owner, u8 how, u8 kind)
{
	struct lm_task *self;

	if (!owner)
		return;
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
 * lm_graph_pi_edeadlk() - the kernel refused a PI lock with EDEADLK
 * @self: the refused task
 *
 * glibc then parks the thread for good on a private futex, so this is
 * recorded as a finding of its own next to the cycle it proves.
 */
void lm_graph_pi_edeadlk(const struct lm_task *self)
{
	struct lm_finding f = { .kind = LOCKMON_FINDING_PI_EDEADLK, .nr = 1 };

	lm_finding_task_from(&f.t[0], self);
	lm_finding_record(&f, self->since);
}

/**
 * lm_finding_get() - copy a kept finding
 * @i: 0 for the oldest kept finding
 * @out: where to copy it
 *
 * Return: false when there is no finding @i.
 */
bool lm_finding_get(unsigned int i, struct lm_finding *out)
{
	unsigned long flags;
	u64 first, seq;
	bool ok = false;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	first = lm_finding_seq > lm_max_findings ?
		lm_finding_seq - lm_max_findings : 0;
	seq = first + i + 1;
	if (seq <= lm_finding_seq) {
		*out = lm_findings[(seq - 1) % lm_max_findings];
		ok = true;
	}
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
	return ok;
}

static const char *const lm_how_names[] = {
	[LOCKMON_OWNER_NONE] = "unknown",
	[LOCKMON_OWNER_PI] = "pi-word",
	[LOCKMON_OWNER_GLIBC] = "glibc-owner",
	[LOCKMON_OWNER_INFERRED] = "inferred",
};

static const char *const lm_kind_names[] = {
	[LOCKMON_FINDING_CYCLE] = "cycle",
	[LOCKMON_FINDING_PI_EDEADLK] = "pi-edeadlk",
	[LOCKMON_FINDING_ORPHAN] = "orphan",
	[LOCKMON_FINDING_STALL] = "stall",
	[LOCKMON_FINDING_TRANSIENT] = "transient",
};

/**
 * lm_owner_how_name() - printable name of an owner resolution
 * @how: enum lockmon_owner_how
 *
 * Return: a static string.
 */
const char *lm_owner_how_name(unsigned int how)
{
	return how < ARRAY_SIZE(lm_how_names) ? lm_how_names[how] : "?";
}

/**
 * lm_finding_kind_name() - printable name of a finding kind
 * @kind: enum lockmon_finding_kind
 *
 * Return: a static string.
 */
const char *lm_finding_kind_name(unsigned int kind)
{
	return kind < ARRAY_SIZE(lm_kind_names) && lm_kind_names[kind] ?
	       lm_kind_names[kind] : "?";
}

/* The kernel log report, in the shape lockdep users know. */
static void lm_report_print(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];
	unsigned int i;

	pr_info("======================================================\n");
	pr_info("user-space %s: %u task%s [finding %llu]\n",
		f->kind == LOCKMON_FINDING_CYCLE ? "deadlock cycle" :
		lm_finding_kind_name(f->kind), f->nr, f->nr == 1 ? "" : "s",
		f->seq);
	pr_info("------------------------------------------------------\n");
	if (f->kind == LOCKMON_FINDING_STALL) {
		pr_info("every thread of %s/%d has been blocked in an untimed futex wait for over %u ms\n",
			a->comm, a->tgid, lm_stall_ms);
	} else if (f->kind == LOCKMON_FINDING_ORPHAN) {
		pr_info("%s/%d waits on futex 0x%llx held by task %d, which has exited\n",
			a->comm, a->tid, a->uaddr, a->owner);
	} else {
		pr_info("%s/%d is trying to acquire futex 0x%llx (tgid %d)\n",
			a->comm, a->tid, a->uaddr, a->tgid);
		pr_info("but it is held by task %d [%s]\n", a->owner,
			lm_owner_how_name(a->owner_how));
	}
	pr_info("\n");
	pr_info("Chain exists of:\n");
	for (i = 0; i < f->nr; i++)
		pr_info("  -> #%u %s/%d (tgid %d) waits on 0x%llx held by %d [%s]%s\n",
			f->nr - 1 - i, f->t[i].comm, f->t[i].tid, f->t[i].tgid,
			f->t[i].uaddr, f->t[i].owner,
			lm_owner_how_name(f->t[i].owner_how),
			f->t[i].timed ? " (timed)" : "");
	if (f->kind == LOCKMON_FINDING_CYCLE && f->nr == 2) {
		pr_info("\n");
		pr_info(" Possible scenario:\n");
		pr_info("       T%-18d T%d\n", f->t[0].tid, f->t[1].tid);
		pr_info("       ----                ----\n");
		pr_info("  lock(0x%llx);\n", f->t[1].uaddr);
		pr_info("                           lock(0x%llx);\n", f->t[0].uaddr);
		pr_info("  lock(0x%llx);\n", f->t[0].uaddr);
		pr_info("                           lock(0x%llx);\n", f->t[1].uaddr);
	}
	if (f->kind == LOCKMON_FINDING_CYCLE ||
	    f->kind == LOCKMON_FINDING_PI_EDEADLK) {
		pr_info("\n");
		pr_info(" *** DEADLOCK ***\n");
	}
	pr_info("found %llu ns after the last wait began\n", f->latency_ns);
}

static void lm_report_fn(struct work_struct *work)
{
	struct lm_finding *f;
	unsigned int burst = 0;
	unsigned long flags;
	u64 last;

	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return;
	for (;;) {
		raw_spin_lock_irqsave(&lm_findings_lock, flags);
		last = lm_finding_seq;
		if (lm_printed_seq + lm_max_findings < last)
			lm_printed_seq = last - lm_max_findings;
		if (lm_printed_seq < last)
			*f = lm_findings[lm_printed_seq % lm_max_findings];
		raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
		if (lm_printed_seq >= last)
			break;
		lm_printed_seq++;
		if (burst++ < LM_LOG_BURST)
			lm_report_print(f);
		else if (burst == LM_LOG_BURST + 1)
			pr_info("more findings: see /sys/kernel/debug/lockmon/deadlocks\n");
	}
	kfree(f);
}

/* ---- the periodic scan: orphans, stalls, late cycles ----------------- */

struct lm_proc {
	pid_t tgid;
	unsigned int blocked;	/* untimed private waits over lm_stall_ms */
	bool other;		/* a timed or shared wait: not a stall */
	u64 oldest;		/* start of the oldest blocked wait */
	struct lm_finding f;
};

#define LM_SCAN_PROCS	32

static struct lm_proc *lm_procs;

static struct lm_proc *lm_proc_of(pid_t tgid)
{
	unsigned int i;

	for (i = 0; i < LM_SCAN_PROCS; i++) {
		if (lm_procs[i].tgid == tgid)
			return &lm_procs[i];
		if (!lm_procs[i].tgid) {
			lm_procs[i].tgid = tgid;
			return &lm_procs[i];
		}
	}
	return NULL;
}

static void lm_scan_orphan(const struct lm_task *t)
{
	struct lm_finding f = { .kind = LOCKMON_FINDING_ORPHAN, .nr = 1 };

	/* an inferred owner is a guess: its exit proves nothing */
	if ((t->reported & BIT(LOCKMON_FINDING_ORPHAN)) ||
	    t->owner <= 0 || t->owner == t->tid ||
	    (t->owner_how != LOCKMON_OWNER_GLIBC &&
	     t->owner_how != LOCKMON_OWNER_PI) ||
	    lm_task_alive(t->owner, 0, true))
		return;
	lm_finding_task_from(&f.t[0], t);
	lm_finding_record(&f, t->since);
}

/*
 * A held-back cycle whose tasks exited never sees its waits end: drop it,
 * so lm_graph_wait_ended() goes back to its one-atomic-read fast path.
 */
static void lm_pending_prune(void)
{
	unsigned long flags;
	struct lm_task t;
	u64 sig;
	int i, j;

	for (i = 0; i < LM_PENDING && atomic_read(&lm_nr_pending); i++) {
		pid_t tids[LOCKMON_MAX_CHAIN];
		bool gone = false;
		int nr;

		raw_spin_lock_irqsave(&lm_findings_lock, flags);
		sig = lm_pending[i].sig;
		nr = lm_pending[i].f.nr;
		for (j = 0; j < nr; j++)
			tids[j] = lm_pending[i].f.t[j].tid;
		raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
		if (!sig)
			continue;
		/* lm_task_copy() takes a bucket lock: not under ours */
		for (j = 0; j < nr && !gone; j++)
			gone = !lm_task_copy(tids[j], &t) ||
			       t.state != LM_T_WAITING;
		if (!gone)
			continue;
		raw_spin_lock_irqsave(&lm_findings_lock, flags);
		if (lm_pending[i].sig == sig) {
			lm_pending[i].sig = 0;
			atomic_dec(&lm_nr_pending);
		}
		raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
	}
}

/*
 * A wait older than one scan period: read its owner again, and if the
 * task is still in that same wait, look for an orphan and a cycle.
 */
static void lm_scan_wait(struct lm_task *t)
{
	pid_t before = t->owner;
	unsigned long flags;
	struct lm_task *slot;

	if (!lm_refresh_owner(t, true) || !lm_same_wait(t))
		return;
	if (t->owner != before) {
		/* keep the new owner for tasks, waitgraph and the next scan */
		slot = lm_task_lock(t->tid, false, &flags);
		if (slot && slot->state == LM_T_WAITING && !slot->woken &&
		    slot->since == t->since) {
			slot->owner = t->owner;
			slot->owner_how = t->owner_how;
		}
		if (slot)
			lm_task_unlock(slot, flags);
		trace_lockmon_owner(t->tid, t->tgid, t->futex_id, t->owner,
				    t->owner_how);
	}
	lm_scan_orphan(t);
	lm_graph_check(t, true);
}

static void lm_scan_stalls(void)
{
	struct task_struct *p;
	unsigned int i, threads;

	for (i = 0; i < LM_SCAN_PROCS && lm_procs[i].tgid; i++) {
		struct lm_proc *pr = &lm_procs[i];

		if (pr->other || !pr->blocked)
			continue;
		rcu_read_lock();
		p = pid_task(find_vpid(pr->tgid), PIDTYPE_PID);
		threads = p ? get_nr_threads(p) : 0;
		rcu_read_unlock();
		if (threads && pr->blocked == threads) {
			pr->f.kind = LOCKMON_FINDING_STALL;
			if (lm_finding_marked(&pr->f))
				continue;
			if (lm_finding_record(&pr->f, 0))
				trace_lockmon_stall(pr->f.seq, pr->tgid, threads,
						    div_u64(lm_now() - pr->oldest,
							    NSEC_PER_MSEC));
		}
	}
}

/*
 * One bucket's copy. The scan is a single work item, which the workqueue
 * never runs on two CPUs at once, so the copy need not be on its stack
 * (the cycle check it calls is already deep, more so under KASAN).
 */
static struct lm_task lm_scan_buf[LM_CHUNK];

#define LM_SCAN_STACKS	64	/* stacks the scan reads, at most, per run */

/*
 * A wait that has lasted a scan period without a stack gets one now, read
 * from the sleeping task's memory: so deadlocked and stalled waits, which
 * never end, carry stacks, and so do the long waits a live view shows.
 */
static void lm_scan_stack(struct lm_task *t, unsigned int *budget)
{
	struct task_struct *p;
	struct pid *pid;

	if (t->stack_id || !lm_stacks_on())
		return;
	if (!*budget) {
		lm_count(LM_CNT_stacks_deferred);
		return;
	}
	(*budget)--;
	pid = find_get_pid(t->tid);
	p = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!p)
		return;
	if (p->tgid == t->tgid)
		t->stack_id = lm_stack_capture_task(p);
	put_task_struct(p);
	lm_wait_set_stack(t, t->stack_id);
}

static void lm_scan_fn(struct work_struct *work)
{
	struct lm_task *buf = lm_scan_buf;
	u64 now = lm_now();
	u64 stall_ns = (u64)READ_ONCE(lm_stall_ms) * NSEC_PER_MSEC;
	unsigned int b, i, n, budget = LM_SCAN_STACKS;

	memset(lm_procs, 0, sizeof(*lm_procs) * LM_SCAN_PROCS);
	for (b = 0; b < lm_waits_nr_chunks(); b++) {
		n = lm_waits_copy_chunk(b, buf);
		for (i = 0; i < n; i++) {
			struct lm_task *t = &buf[i];
			struct lm_proc *pr;

			if (t->state != LM_T_WAITING || t->woken)
				continue;
			if (now - t->since > (u64)lm_scan_ms * NSEC_PER_MSEC) {
				lm_scan_stack(t, &budget);
				lm_scan_wait(t);
			}
			pr = lm_proc_of(t->tgid);
			if (!pr)
				continue;
			if (t->timed || t->shared || t->pi) {
				pr->other = true;
			} else if (now - t->since >= stall_ns) {
				if (pr->f.nr < LOCKMON_MAX_CHAIN)
					lm_finding_task_from(&pr->f.t[pr->f.nr++], t);
				if (!pr->oldest || t->since < pr->oldest)
					pr->oldest = t->since;
				pr->blocked++;
			}
		}
		cond_resched();
	}
	lm_scan_stalls();
	lm_pending_prune();
	lm_count(LM_CNT_scans);
	if (READ_ONCE(lm_scanning))
		schedule_delayed_work(&lm_scan_work, msecs_to_jiffies(lm_scan_ms));
}

/**
 * lm_graph_scan_start() - start the periodic scan
 */
void lm_graph_scan_start(void)
{
	WRITE_ONCE(lm_scanning, true);
	schedule_delayed_work(&lm_scan_work, msecs_to_jiffies(lm_scan_ms));
}

/**
 * lm_graph_scan_stop() - stop the periodic scan and wait for it
 */
void lm_graph_scan_stop(void)
{
	WRITE_ONCE(lm_scanning, false);
	cancel_delayed_work_sync(&lm_scan_work);
}

/**
 * lm_graph_reset() - forget every finding
 */
void lm_graph_reset(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	memset(lm_findings, 0, sizeof(*lm_findings) * lm_max_findings);
	memset(lm_pending, 0, sizeof(lm_pending));
	atomic_set(&lm_nr_pending, 0);
	lm_finding_seq = 0;
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
	flush_work(&lm_report_work);
	lm_printed_seq = 0;
}

/**
 * lm_graph_bytes() - memory held for findings and the scan
 *
 * Return: bytes.
 */
size_t lm_graph_bytes(void)
{
	return sizeof(*lm_findings) * lm_max_findings +
	       sizeof(*lm_procs) * LM_SCAN_PROCS + sizeof(lm_pending);
}

/**
 * lm_graph_init() - allocate the findings ring and the scan's table
 *
 * Return: 0 or -ENOMEM.
 */
int lm_graph_init(void)
{
	lm_findings = vzalloc(sizeof(*lm_findings) * lm_max_findings);
	if (!lm_findings)
		goto err_findings;
	lm_procs = vzalloc(sizeof(*lm_procs) * LM_SCAN_PROCS);
	if (!lm_procs)
		goto err_procs;
	return 0;

err_procs:
	vfree(lm_findings);
err_findings:
	return -ENOMEM;
}

/**
 * lm_graph_exit() - stop the workers and free the graph's memory
 */
void lm_graph_exit(void)
{
	lm_graph_scan_stop();
	flush_work(&lm_report_work);
	vfree(lm_procs);
	vfree(lm_findings);
}
