// SPDX-License-Identifier: GPL-2.0
/*
 * Lock owners: the TID in a PI futex word, or the __owner field of the
 * glibc mutex around a futex, read in probe context without faults and
 * again by the scan, which may sleep. See Documentation/owners.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "lockmon.h"
#include "graph.h"

/**
 * lm_task_alive() - is @tid a live thread?
 * @tid: thread id
 * @tgid: the process it must belong to, unless @any_tgid
 * @any_tgid: any process will do (a process-shared lock)
 *
 * Return: true if it exists and is not exiting.
 */
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
 * Exited tasks, for orphans: the last exit of each TID modulo LM_EXITED,
 * written by the sched_process_exit probe. A record is replaced by the exit
 * of a TID LM_EXITED apart (exits_overwritten); it stays when its TID is
 * given to a new task, which is how a reused TID is told apart. Every task
 * exit of the system writes one, so the entries are locked in 64 stripes,
 * not under one lock that every exiting CPU would share.
 */
#define LM_EXITED	1024
#define LM_EXITED_LOCKS	64

struct lm_exited {
	pid_t tid;
	pid_t tgid;
	u64 exit_ns;
	char comm[TASK_COMM_LEN];
};

static raw_spinlock_t lm_exited_locks[LM_EXITED_LOCKS];
static struct lm_exited lm_exited[LM_EXITED];

static raw_spinlock_t *lm_exited_lock(pid_t tid)
{
	return &lm_exited_locks[(tid & (LM_EXITED - 1)) % LM_EXITED_LOCKS];
}

/**
 * lm_exited_init() - set up the exited-task table's locks, once at load
 */
void lm_exited_init(void)
{
	unsigned int i;

	for (i = 0; i < LM_EXITED_LOCKS; i++)
		raw_spin_lock_init(&lm_exited_locks[i]);
}

/**
 * lm_exited_record() - remember a task that exits
 * @p: the exiting task (current)
 *
 * Called for every task exit while lockmon is enabled: one short critical
 * section under the lock of the entry's stripe, which no futex path takes.
 */
void lm_exited_record(const struct task_struct *p)
{
	struct lm_exited *e = &lm_exited[p->pid & (LM_EXITED - 1)];
	raw_spinlock_t *lock = lm_exited_lock(p->pid);
	unsigned long flags;
	bool over;

	raw_spin_lock_irqsave(lock, flags);
	over = e->tid && e->tid != p->pid;
	e->tid = p->pid;
	e->tgid = p->tgid;
	e->exit_ns = lm_now();
	memcpy(e->comm, p->comm, sizeof(e->comm));
	raw_spin_unlock_irqrestore(lock, flags);
	lm_count(LM_CNT_exits_recorded);
	if (over)
		lm_count(LM_CNT_exits_overwritten);
}

/**
 * lm_exited_reset() - forget every exited task
 */
void lm_exited_reset(void)
{
	unsigned long flags;
	pid_t i;

	for (i = 0; i < LM_EXITED; i++) {
		raw_spin_lock_irqsave(lm_exited_lock(i), flags);
		memset(&lm_exited[i], 0, sizeof(lm_exited[i]));
		raw_spin_unlock_irqrestore(lm_exited_lock(i), flags);
	}
}

/**
 * lm_exited_bytes() - memory of the exited-task table
 *
 * Return: bytes.
 */
size_t lm_exited_bytes(void)
{
	return sizeof(lm_exited);
}

/* The record of @tid's exit from @tgid (any process if @any_tgid). */
static bool lm_exited_find(pid_t tid, pid_t tgid, bool any_tgid,
			   struct lm_gone *g)
{
	struct lm_exited *e = &lm_exited[tid & (LM_EXITED - 1)];
	raw_spinlock_t *lock = lm_exited_lock(tid);
	unsigned long flags;
	bool hit;

	raw_spin_lock_irqsave(lock, flags);
	hit = e->tid == tid && (any_tgid || e->tgid == tgid);
	if (hit && g) {
		g->tgid = e->tgid;
		g->exit_ns = e->exit_ns;
		memcpy(g->comm, e->comm, sizeof(g->comm));
	}
	raw_spin_unlock_irqrestore(lock, flags);
	return hit;
}

/**
 * lm_owner_gone() - has the owner named by a lock word gone?
 * @tid: the owner TID read from the word
 * @tgid: the waiter's process
 * @any_tgid: a process-shared lock: the owner may be in any process
 * @since: when the wait began
 * @bound: a time after the word was read: a task started later did not
 *	write it
 * @g: filled with what lockmon knows of the owner (tgid 0 if nothing)
 *
 * The owner lives if a task @tid exists, is not exiting, belongs to the
 * waiter's process (any process for a shared lock) and started no later
 * than @bound. Any other task with that TID is a reuse of it. So is one
 * that started after lockmon saw a task with that TID leave the process
 * during the wait: the word names the task that exited, which held the
 * lock when the wait began, unless the lock passed on and came back to a
 * new task with the same TID while the waiter slept unwoken.
 *
 * Return: true if the owner is gone.
 */
bool lm_owner_gone(pid_t tid, pid_t tgid, bool any_tgid, u64 since,
		   u64 bound, struct lm_gone *g)
{
	struct task_struct *p;
	bool mine, gone;
	u64 start = 0;

	memset(g, 0, sizeof(*g));
	rcu_read_lock();
	p = pid_task(find_vpid(tid), PIDTYPE_PID);
	mine = p && (any_tgid || p->tgid == tgid);
	gone = !mine || (p->flags & PF_EXITING) || p->start_time > bound;
	if (mine && (p->flags & PF_EXITING)) {
		/* dying now: its exit is not recorded yet */
		g->tgid = p->tgid;
		memcpy(g->comm, p->comm, sizeof(g->comm));
	}
	if (mine)
		start = p->start_time;
	rcu_read_unlock();
	if (gone && !g->tgid)
		lm_exited_find(tid, tgid, any_tgid, g);
	/* a task started during the wait: did its TID's last holder exit? */
	if (!gone && start > since && lm_exited_find(tid, tgid, any_tgid, g)) {
		gone = g->exit_ns > since && start > g->exit_ns;
		if (!gone)
			memset(g, 0, sizeof(*g));
	}
	return gone;
}

/*
 * A glibc owner that is not a live thread, the first time a futex is seen:
 * is it a thread lockmon saw die in the waiter's process (any process, for
 * a shared futex)? Then the futex is a mutex its owner left locked. Without
 * that proof a dead TID is taken for a word that only looks like a mutex.
 */
static bool lm_owner_died(pid_t tid, pid_t tgid, bool any_tgid)
{
	struct task_struct *p;
	bool dying;

	rcu_read_lock();
	p = pid_task(find_vpid(tid), PIDTYPE_PID);
	dying = p && (p->flags & PF_EXITING) && (any_tgid || p->tgid == tgid);
	rcu_read_unlock();
	return dying || lm_exited_find(tid, tgid, any_tgid, NULL);
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
 * lm_owner_from_words(), below, inlined into lm_resolve_owner(): the
 * call, with its two arguments on the stack, cost a blocking wait as much
 * as reading the words.
 */
static __always_inline pid_t
__lm_owner_from_words(const s32 *w, bool pi, bool shared, s64 val, pid_t tgid,
		      bool dead_ok, u8 *how, u8 *kind)
{
	*how = LOCKMON_OWNER_NONE;
	*kind = 0;
	if (pi) {
		if (!(w[0] & FUTEX_TID_MASK))
			return 0;
		*how = LOCKMON_OWNER_PI;
		return w[0] & FUTEX_TID_MASK;
	}
	if (!lm_glibc_locked(w, val))
		return 0;
	if (!dead_ok && !lm_task_alive(w[2], tgid, shared)) {
		if (!lm_owner_died(w[2], tgid, shared))
			return 0;
		*kind = LM_KIND_DEAD | (w[4] & LM_GLIBC_KIND_MASK);
		return w[2];
	}
	*how = LOCKMON_OWNER_GLIBC;
	*kind = w[4] & LM_GLIBC_KIND_MASK;
	return w[2];
}

/**
 * lm_owner_from_words() - the owner in a futex word or the mutex around it
 * @w: five ints read from the futex address: __lock, __count, __owner,
 *	__nusers, __kind
 * @pi: a PI futex: the owner TID is in the word
 * @shared: a process-shared futex: the owner may be in another process
 * @val: the value the waiter expects, or -1 if unknown
 * @tgid: the waiter's process
 * @dead_ok: the lock is known to be a glibc mutex already, so an owner
 *	that has exited is returned too: that is an orphan. Otherwise a glibc
 *	owner must be a live thread.
 * @how: set to enum lockmon_owner_how
 * @kind: set to the glibc mutex kind
 *
 * Without @dead_ok, an owner that is not a live thread but that lockmon saw
 * die (lm_owner_died()) is returned with @how LOCKMON_OWNER_NONE and
 * LM_KIND_DEAD in @kind: the caller makes it an orphan. That is off the
 * path of a live owner, which costs what it did.
 *
 * Return: the owner TID, or 0.
 */
pid_t lm_owner_from_words(const s32 *w, bool pi, bool shared, s64 val,
			  pid_t tgid, bool dead_ok, u8 *how, u8 *kind)
{
	return __lm_owner_from_words(w, pi, shared, val, tgid, dead_ok, how,
				     kind);
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
 * A glibc owner that failed the liveness check but died under lockmon's
 * eyes comes back as its TID with @how LOCKMON_OWNER_NONE and LM_KIND_DEAD
 * set in @kind (lm_owner_from_words()).
 *
 * Reads user memory with lm_uread_nofault(), which never sleeps or faults,
 * so it is safe in probe context. A glibc owner is believed only when the futex
 * word says "locked with waiters" and, the first time, the TID is a live
 * thread of the waiter's process (any process, for a shared mutex).
 *
 * Return: the owner TID, or 0 with @how set to LOCKMON_OWNER_NONE.
 */
pid_t lm_resolve_owner(u64 uaddr, bool pi, bool shared, s64 val, bool known,
		       u8 *how, u8 *kind)
{
	/* read whole, or not used: the one word of a PI lock is all it uses */
	s32 w[5] __uninitialized;

	/* each with a constant count, so each is a few loads with no loop */
	if (pi ? !lm_uread_nofault(w, uaddr, 1, sizeof(w[0])) :
		 !lm_uread_nofault(w, uaddr, 5, sizeof(w[0]))) {
		*how = LOCKMON_OWNER_NONE;
		*kind = 0;
		return 0;
	}
	return __lm_owner_from_words(w, pi, shared, val, current->tgid, known,
				     how, kind);
}

/**
 * lm_refresh_owner() - read a blocked task's owner again
 * @t: snapshot of the task; its owner fields are updated
 * @sleepable: called from the scan, which may read another process's
 *	memory with access_process_vm()
 *
 * The owner may have changed since the task blocked (the lock passed to
 * another waiter), so glibc and PI owners are read again while the chain
 * is followed: without a fault from probe context when the task shares
 * current's mm, and with access_process_vm() from the scan.
 *
 * Return: false when the owner cannot be read again.
 */
bool lm_refresh_owner(struct lm_task *t, bool sleepable)
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
		got = lm_uread_nofault(w, t->uaddr, len / sizeof(w[0]),
				       sizeof(w[0])) ? len : 0;
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

/**
 * lm_same_wait() - is the task still in the wait of @t, unwoken?
 * @t: snapshot of the task
 *
 * The owner is read while the waiter may be woken and take the lock: an
 * owner read is only trusted if the waiter is still in the same wait,
 * unwoken, afterwards. glibc stores the owner only after the futex wait
 * returns, so a value read before that point predates the wake-up.
 *
 * Return: true if it is.
 */
bool lm_same_wait(const struct lm_task *t)
{
	struct lm_task now;

	return lm_task_copy(t->tid, &now) && now.state == LM_T_WAITING &&
	       !now.woken && now.since == t->since;
}

static const char *const lm_how_names[] = {
	[LOCKMON_OWNER_NONE] = "unknown",
	[LOCKMON_OWNER_PI] = "pi-word",
	[LOCKMON_OWNER_GLIBC] = "glibc-owner",
	[LOCKMON_OWNER_INFERRED] = "inferred",
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
