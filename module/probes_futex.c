// SPDX-License-Identifier: GPL-2.0
/*
 * Hooks on the futex paths.
 *
 * A plain futex wait costs two hooks, both ftrace callbacks at function
 * entry, and an immediate return costs one:
 *
 *   futex_wait_queue(hb, q, timeout)  the task is about to sleep on q
 *   futex_unqueue(q)                  ... and runs again: the wait is over
 *   futex_q_unlock(hb)                from futex_wait_setup(): EAGAIN
 *   futex_wake_mark(wake_q, q)        a waker picked a waiter
 *   futex_unlock_pi(uaddr, flags)     a PI lock release
 *
 * futex_wake_mark() is the one place every wake path (futex_wake,
 * futex_wake_op, futex_requeue, thread exit) passes each woken waiter, with
 * its futex_q, so one hook sees waker, wakee and futex together. The
 * waiter's own futex_unqueue() tells how the wait ended and when it ran
 * again, which is also the end of the handoff: no hook on the scheduler.
 *
 * Three rarer waits end where only the return value tells how, so they
 * keep a kretprobe each: futex_lock_pi, futex_wait_requeue_pi and
 * futex_wait_multiple (futex_waitv). A kretprobe that would have to be an
 * int3 breakpoint is refused: see lm_probes_futex_register().
 *
 * Handlers run with preemption disabled: they take one bucket lock at a
 * time (task, then futex), never sleep, never allocate, never print.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <linux/timekeeping.h>
#include <asm/syscall.h>
#include "compat.h"
#include "lockmon.h"
#include "graph.h"
#include "trace.h"

static int lm_result(int ret)
{
	if (ret > 0)		/* futex_waitv: the index of the woken futex */
		return LOCKMON_WAIT_WOKEN;
	switch (ret) {
	case 0:
		return LOCKMON_WAIT_WOKEN;
	case -EAGAIN:
		return LOCKMON_WAIT_AGAIN;
	case -ETIMEDOUT:
		return LOCKMON_WAIT_TIMEOUT;
	case -EINTR:
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTART_RESTARTBLOCK:
		return LOCKMON_WAIT_SIGNAL;
	case -EDEADLK:
		return LOCKMON_WAIT_DEADLK;
	default:
		return LOCKMON_WAIT_ERROR;
	}
}

/*
 * The user registers of the futex(2) call current is in: the hooks deep in
 * the wait path see no uaddr (di), op (si) or value (dx) of their own. NULL
 * for any other system call (a restarted wait runs under restart_syscall).
 * Returned, not copied out: locals whose address is taken are zeroed on
 * every call (INIT_STACK_ALL_ZERO).
 */
static const struct pt_regs *lm_futex_call(void)
{
	struct pt_regs *ur = task_pt_regs(current);

	if (in_compat_syscall() || syscall_get_nr(current, ur) != __NR_futex)
		return NULL;
	return ur;
}

/*
 * The futex key from a futex_q. A private key is mm + page + offset, so it
 * also gives the user address; it is checked against current's mm, since a
 * RANDSTRUCT kernel would reorder struct futex_q (stats: key_mismatch).
 * Returns true for an inode-backed (shared) key.
 */
static bool lm_key_from_q(const struct lm_futex_q_head *q, struct lm_task *t,
			  struct lm_fkey *k)
{
	const union futex_key *key = &q->key;
	const struct pt_regs *ur;

	k->ptr = key->both.ptr;
	k->word = key->both.word;
	k->offset = key->both.offset;
	if (!(key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED))) {
		if (k->ptr == (u64)(unsigned long)current->mm) {
			if (t->via == LM_VIA_WAIT)
				t->uaddr = k->word + k->offset;
			else if (t->uaddr != k->word + k->offset)
				goto mismatch;
			return false;
		}
		goto mismatch;
	}
	if (t->via == LM_VIA_WAIT) {
		ur = lm_futex_call();
		t->uaddr = ur ? ur->di : 0;
	}
	return !!(key->both.offset & FUT_OFF_INODE);

mismatch:
	lm_count(LM_CNT_key_mismatch);
	if (t->via == LM_VIA_WAIT) {
		ur = lm_futex_call();
		if (ur)
			t->uaddr = ur->di;
	}
	lm_fkey_private(k, current->mm, t->uaddr);
	return false;
}

/*
 * Account the end of a wait on the futex entry; task slot is locked. The
 * wake that ended it is accounted here too, not by the waker's hook: the
 * waiter's slot holds who woke it, and its futex entry is locked anyway.
 */
/* A starving wait the end found, recorded once every lock is released. */
struct lm_starve {
	u64 waited_ns, median_ns;
	u32 hands;
};

/*
 * The wait had starve_hands hand changes: is it starve_factor times its
 * futex's median? Each lock's finding is made again only for a wait twice
 * as long as the last one it named, so a lock makes few.
 */
static void lm_starve_check(struct lm_futex *f, const struct lm_task *t,
			    u64 ns, struct lm_starve *sv)
{
	u64 median;

	if (ns < 2 * f->starve_found_ns ||
	    (t->reported & BIT(LOCKMON_FINDING_STARVATION)))
		return;	/* or the scan found this wait starving already */
	median = lm_futex_median(f);
	if (!median || ns < median * READ_ONCE(lm_starve_factor))
		return;
	f->starve_found_ns = ns;
	sv->waited_ns = ns;
	sv->median_ns = median;
	sv->hands = f->wakes - t->fwakes;
}

static void lm_wait_account(struct lm_task *t, u64 now, int result,
			    struct lm_starve *sv)
{
	bool woken = t->woken && result == LOCKMON_WAIT_WOKEN;
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	u64 h = 0;

	if (woken)
		h = lm_handoff_ns(t->wake_ns, now);
	b = lm_futex_lock_idx(t->futex_idx, &flags, &f);
	if (f) {
		lm_futex_add_wait(f, now - t->since, result);
		if (result != LOCKMON_WAIT_AGAIN)
			lm_holder_wait_end(f, t, now);
		/* the lock changed hands that often while it waited */
		if (f->wakes >= t->fwakes + READ_ONCE(lm_starve_hands)) {
			if (now - t->since > f->starve_ns) {
				f->starve_ns = now - t->since;
				f->starve_hands = f->wakes - t->fwakes;
			}
			if (result != LOCKMON_WAIT_AGAIN)
				lm_starve_check(f, t, now - t->since, sv);
		}
		if (t->woken)
			lm_futex_add_wake(f, t->last_waker);
		if (woken) {
			f->hand_ns += h;
			f->hand_count++;
			if (h > f->hand_max_ns)
				f->hand_max_ns = h;
		}
		t->fwakes = f->wakes;
	}
	lm_bucket_unlock(b, flags);
	t->rewoken = woken && f;
	t->woke_gen = lm_woke_gen_of(t->tid);
	if (woken)
		lm_count(LM_CNT_handoffs);
}

/*
 * A blocking wait is over: account it, then, outside every lock, take the
 * waiter's stack if sampling picks this wait and emit the event. @t is
 * locked (its bucket @tb) and is unlocked here.
 */
static void lm_wait_finish(struct lm_task *t, struct lm_bucket *tb,
			   unsigned long tflags, int result)
	__releases(lm_bucket)
{
	u64 now = lm_now();
	pid_t tid = t->tid, tgid = t->tgid;
	u64 futex_id = t->futex_id, uaddr = t->uaddr, ns = now - t->since;
	u32 stack_id = t->stack_id;
	struct lm_starve sv = { };
	/* filled only for a starving wait: not zeroed on every call */
	struct lm_finding_task ft __uninitialized;
	u64 weight, since = t->since;
	bool take;

	lm_wait_account(t, now, result, &sv);
	if (sv.waited_ns)
		lm_finding_task_from(&ft, t);
	lm_hint_drop(t);
	t->state = LM_T_IDLE;
	t->woken = 0;
	t->wake_ns = 0;
	t->owner = 0;
	t->timer = NULL;
	lm_bucket_unlock(tb, tflags);

	weight = lm_stack_weight(ns, &take);
	if (take && !stack_id)
		stack_id = lm_stack_capture();
	trace_lockmon_wait_end(tid, tgid, futex_id, uaddr, ns, result, stack_id,
			       weight);
	lm_graph_wait_ended(tid, result);
	if (sv.waited_ns) {
		ft.stack_id = stack_id;
		lm_starvation_record(&ft, since, sv.waited_ns, sv.median_ns,
				     sv.hands);
	}
}

/* The kernel refused a PI lock: the finding needs the wait as it was. */
static noinline void lm_wait_refused(struct lm_task *t, struct lm_bucket *tb,
				     unsigned long tflags)
	__releases(lm_bucket)
{
	struct lm_task me = *t;

	lm_wait_finish(t, tb, tflags, LOCKMON_WAIT_DEADLK);
	lm_graph_pi_edeadlk(&me);
}

/* The owner lm_resolve_owner() found has died: it is a glibc owner. */
static bool lm_dead_owner(u8 *how, u8 *kind)
{
	*how = LOCKMON_OWNER_GLIBC;
	*kind &= LM_GLIBC_KIND_MASK;
	return true;
}

/*
 * The task blocks on @k: record it on the futex and the task, resolve the
 * owner and follow the chain. @t is locked (its bucket @tb) and is
 * unlocked here.
 */
static void lm_block(struct lm_task *t, struct lm_bucket *tb,
		     unsigned long tflags, const struct lm_fkey *k, bool inode)
	__releases(lm_bucket)
{
	struct lm_bucket *b;
	struct lm_futex *f;
	unsigned long flags;
	bool dead = false;
	u8 how, kind;
	pid_t owner;
	u32 idx;

	lm_count(LM_CNT_blocked);
	b = lm_futex_lock(k, true, &idx, &flags, &f);
	/* a futex already seen as a glibc mutex needs no liveness check */
	owner = lm_resolve_owner(t->uaddr, t->pi, inode,
				 t->pi || !t->val_known ? -1 : t->val,
				 f && f->glibc, &how, &kind);
	if (f) {
		/*
		 * Woken last time, it blocks again on this futex with no
		 * waiter woken on it since and no wake of its own: it did not
		 * get the lock, a newcomer did (barging).
		 */
		if (t->rewoken && t->futex_id == f->id &&
		    t->fwakes == f->wakes &&
		    t->woke_gen == lm_woke_gen_of(t->tid))
			f->rewaits++;
		t->fwakes = f->wakes;
		lm_futex_add_waiter(f, t->tid);
		if (!f->tgid) {
			f->tgid = t->tgid;
			f->uaddr = t->uaddr;
		} else if (f->tgid != t->tgid && !f->tgid2) {
			f->tgid2 = t->tgid;
			f->uaddr2 = t->uaddr;
		}
		f->shared |= inode;
		f->pi |= t->pi;
		if (how == LOCKMON_OWNER_GLIBC)
			f->glibc = 1;
		/*
		 * Infer only for lock-like futexes that carry no owner of
		 * their own: a glibc or PI lock seen unowned is simply free.
		 * A mutex whose owner lockmon saw die is an orphan; that is
		 * tested here, off the path of an owner found alive.
		 */
		if (how == LOCKMON_OWNER_NONE) {
			if (unlikely(kind & LM_KIND_DEAD)) {
				dead = lm_dead_owner(&how, &kind);
				f->glibc = 1;
			} else if (!f->glibc && !f->pi && f->last_waker &&
				   f->last_waker != t->tid &&
				   lm_futex_class(f) == LOCKMON_CLASS_LOCK) {
				owner = f->last_waker;
				how = LOCKMON_OWNER_INFERRED;
			}
		}
		f->owner = owner;
		f->owner_how = how;
		t->futex_id = f->id;
	}
	lm_bucket_unlock(b, flags);
	t->rewoken = 0;
	if (!f) {
		t->futex_id = lm_fkey_id(k);
		if (unlikely(kind & LM_KIND_DEAD))
			dead = lm_dead_owner(&how, &kind);
	}
	t->state = LM_T_WAITING;
	lm_hint_raise(t);
	t->since = lm_now();
	t->futex_idx = idx;
	t->shared = inode;
	t->owner = owner;
	t->owner_how = how;
	t->kind = kind;
	t->woken = 0;
	t->wake_ns = lm_handoff_blocked();
	t->reported = 0;
	t->stack_id = 0;
	memcpy(t->comm, current->comm, sizeof(t->comm));
	trace_lockmon_wait_begin(t->tid, t->tgid, t->futex_id, t->uaddr,
				 owner, how, t->timed, 0);
	lm_bucket_unlock(tb, tflags);

	if (unlikely(dead))
		lm_graph_orphan_block(current->pid);
	else	/* the slot itself is copied only if the owner is blocked too */
		lm_graph_check_block(current->pid, owner, how, kind);
}

/* futex_wait_queue(hb, q, timeout): the task is about to sleep. */
static void lm_on_wait_queue(unsigned long pip, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 1);
	const void *timer = (void *)regs_get_kernel_argument(regs, 2);
	const struct pt_regs *ur;
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	struct lm_fkey k __uninitialized;	/* lm_key_from_q() fills it */
	bool inode;

	lm_count(LM_CNT_waits);
	if (lm_filtered(current))
		return;
	b = lm_task_lock(current->pid, true, &flags, &t);
	if (!t) {
		lm_bucket_unlock(b, flags);
		return;
	}
	if (t->state != LM_T_ENTERED || t->via != LM_VIA_REQUEUE_PI) {
		/* futex_wait(): no hook saw it enter */
		if (t->state == LM_T_WAITING)
			lm_count(LM_CNT_bad_sequence);
		t->tgid = current->tgid;
		t->via = LM_VIA_WAIT;
		t->pi = 0;
		t->timed = !!timer;
		ur = lm_futex_call();
		t->val_known = !!ur;
		t->val = ur ? ur->dx : 0;
	}
	t->timer = timer;
	inode = lm_key_from_q(q, t, &k);
	lm_block(t, b, flags, &k, inode);
}

/*
 * futex_unqueue(q), called by futex_wait() once it runs again: q's lock
 * pointer is cleared by the waker, so a set one means the wait ended by
 * timeout, signal or a spurious wakeup (counted as woken: futex_wait()
 * then waits again, and that is a new wait).
 */
static void lm_on_unqueue(unsigned long pip, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	int result;

	b = lm_task_lock(current->pid, false, &flags, &t);
	if (!t || t->state != LM_T_WAITING || t->via != LM_VIA_WAIT) {
		lm_bucket_unlock(b, flags);
		return;
	}
	if (!READ_ONCE(q->lock_ptr)) {
		result = LOCKMON_WAIT_WOKEN;
	} else if (t->timer && !READ_ONCE(t->timer->task)) {
		result = LOCKMON_WAIT_TIMEOUT;
	} else if (signal_pending(current)) {
		result = LOCKMON_WAIT_SIGNAL;
	} else {
		lm_count(LM_CNT_spurious);
		result = LOCKMON_WAIT_WOKEN;
	}
	lm_wait_finish(t, b, flags, result);
}

/* Where futex_wait_setup() lies, to tell its futex_q_unlock() calls. */
static unsigned long lm_setup_start, lm_setup_size;

/*
 * futex_q_unlock(hb) from futex_wait_setup(): the futex word did not hold
 * the expected value, and the wait returns EAGAIN. (Its other call there,
 * a fault while reading the word, is followed by a retry: rare, and counted
 * here too; see Documentation/design.rst.) Per-futex figures, only with
 * again_keyed=1, need the key, rebuilt from the futex(2) arguments for
 * private futexes only, and are counted per CPU first
 * (lm_futex_add_again()).
 */
static void lm_on_q_unlock(unsigned long pip, struct pt_regs *regs)
{
	const struct pt_regs *ur;

	if (pip - lm_setup_start >= lm_setup_size)
		return;
	lm_count(LM_CNT_waits);
	lm_count(LM_CNT_again);
	/* per futex only when asked: the key and the cache cost ~110 */
	if (!READ_ONCE(lm_again_keyed) || lm_filtered(current))
		return;
	ur = lm_futex_call();
	if (!ur || !(ur->si & FUTEX_PRIVATE_FLAG)) {
		/* a shared key needs the page lookup only the kernel does */
		lm_count(LM_CNT_again_unkeyed);
		return;
	}
	lm_futex_add_again(current->mm, ur->di, current->tgid);
}

/*
 * futex_wake_mark(wake_q, q): current wakes q->task. Only the wakee's slot
 * is marked, under its lock: the futex's wake figures are added when the
 * wakee runs again (lm_wait_account()), so a wake costs one lookup.
 *
 * The waker of a lock's waiter is the task that released the lock: Go's
 * mutex profile charges the wait to its stack. When stacks are on and the
 * wait was on a lock (an owner was found for it, or it is PI), the wait so
 * far is sampled by the rule of a finished wait (lm_stack_weight()) and a
 * sampled one takes the waker's user stack, outside the wakee's slot lock
 * but under the futex bucket lock of the wake path, where the word loads
 * of lm_stack_capture() never fault or sleep.
 */
static void lm_on_wake_mark(unsigned long pip, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 1);
	pid_t wakee = q->task->pid;
	u64 id = 0, since = 0, ns = 0, weight = 0;
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	bool lock = false, take;
	u32 stack_id = 0;

	lm_count(LM_CNT_wakes);
	b = lm_task_lock(wakee, false, &flags, &t);
	if (t && t->state == LM_T_WAITING && !t->woken) {
		t->woken = 1;
		if (!IS_ENABLED(CONFIG_SCHED_INFO))
			t->wake_ns = lm_handoff_woken();
		t->last_waker = current->pid;
		id = t->futex_id;
		since = t->since;
		lock = t->pi || t->owner_how != LOCKMON_OWNER_NONE;
	}
	lm_bucket_unlock(b, flags);
	/* the waker has released what it held: lm_block() tells re-waits */
	WRITE_ONCE(lm_woke_gen[current->pid & (LM_BLOCKED_HINTS - 1)],
		   lm_woke_gen_of(current->pid) + 1);
	if (!id)
		return;
	if (lock && lm_stacks_on()) {
		ns = lm_now() - since;
		weight = lm_stack_weight(ns, &take);
		if (take) {
			stack_id = lm_stack_capture();
			lm_count(LM_CNT_waker_stacks);
		}
	}
	trace_lockmon_wake(current->pid, wakee, id, stack_id, ns, weight);
}

/* futex_unlock_pi(uaddr, flags): the owner releases a PI futex. */
static void lm_on_unlock_pi(unsigned long pip, struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	struct lm_fkey k;
	u32 idx;

	lm_fkey_private(&k, current->mm, regs_get_kernel_argument(regs, 0));
	b = lm_futex_lock(&k, false, &idx, &flags, &f);
	if (f) {
		f->wakes++;
		f->mutual_wakes++;
		f->last_waker = current->pid;
	}
	lm_bucket_unlock(b, flags);
}

/* ---- the kretprobes ------------------------------------------------- */

/* A kretprobe's wait returns: end it, whatever state it reached. */
static int lm_rp_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* the probed functions return int: the upper half of rax is junk */
	int result = lm_result((int)regs_return_value(regs));
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;

	b = lm_task_lock(current->pid, false, &flags, &t);
	if (t && t->state == LM_T_WAITING && t->via != LM_VIA_WAIT) {
		if (result == LOCKMON_WAIT_DEADLK)
			lm_wait_refused(t, b, flags);
		else
			lm_wait_finish(t, b, flags, result);
		return 0;
	}
	/* requeue_pi's EAGAIN was counted by lm_on_q_unlock() */
	if (t) {
		lm_hint_drop(t);
		t->state = LM_T_IDLE;
	}
	lm_bucket_unlock(b, flags);
	return 0;
}

NOKPROBE_SYMBOL(lm_rp_ret);

/* futex_wait_requeue_pi(uaddr, flags, val, abs_time, bitset, uaddr2) */
static int lm_requeue_pi_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;

	if (lm_filtered(current))
		return 1;
	b = lm_task_lock(current->pid, true, &flags, &t);
	if (!t) {
		lm_bucket_unlock(b, flags);
		return 1;
	}
	if (t->state == LM_T_WAITING)
		lm_count(LM_CNT_bad_sequence);
	t->tgid = current->tgid;
	t->state = LM_T_ENTERED;
	t->via = LM_VIA_REQUEUE_PI;
	t->pi = 0;
	t->uaddr = regs_get_kernel_argument(regs, 0);
	t->val = regs_get_kernel_argument(regs, 2);
	t->val_known = 1;
	t->timed = !!regs_get_kernel_argument(regs, 3);
	lm_bucket_unlock(b, flags);
	return 0;
}

NOKPROBE_SYMBOL(lm_requeue_pi_entry);

/*
 * A wait that blocks from the probed function's entry on: count it, and
 * say whether the filter lets it through.
 */
static bool lm_enter_wanted(u8 via)
{
	lm_count(LM_CNT_waits);
	lm_count(via == LM_VIA_PI ? LM_CNT_pi_waits : LM_CNT_waitv_waits);
	return !lm_filtered(current);
}

/* ... and fill current's slot with it; @t is locked. */
static void lm_enter(struct lm_task *t, u8 via, u64 uaddr, bool timed)
{
	if (t->state == LM_T_WAITING)
		lm_count(LM_CNT_bad_sequence);
	t->tgid = current->tgid;
	t->via = via;
	t->pi = via == LM_VIA_PI;
	t->uaddr = uaddr;
	t->timed = timed;
	t->timer = NULL;
}

/*
 * futex_wait_multiple(vs, count, to) is the whole futex_waitv() wait. It
 * is filed under the first futex of the vector, keyed by process and
 * address (Documentation/design.rst), and a wake of any of them ends it.
 */
static int lm_waitv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct futex_waitv *w = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	struct lm_fkey k;

	if (!regs_get_kernel_argument(regs, 1) || !lm_enter_wanted(LM_VIA_WAITV))
		return 1;
	b = lm_task_lock(current->pid, true, &flags, &t);
	if (!t) {
		lm_bucket_unlock(b, flags);
		return 1;
	}
	lm_enter(t, LM_VIA_WAITV, w->uaddr, !!regs_get_kernel_argument(regs, 2));
	t->val = (u32)w->val;
	t->val_known = 1;
	lm_fkey_private(&k, current->mm, t->uaddr);
	lm_block(t, b, flags, &k, false);
	return 0;
}

NOKPROBE_SYMBOL(lm_waitv_entry);

/* futex_lock_pi(uaddr, flags, time, trylock): blocked from entry on. */
static int lm_lock_pi_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_task *t;
	struct lm_fkey k;

	/* trylock never waits */
	if (regs_get_kernel_argument(regs, 3) || !lm_enter_wanted(LM_VIA_PI))
		return 1;
	b = lm_task_lock(current->pid, true, &flags, &t);
	if (!t) {
		lm_bucket_unlock(b, flags);
		return 1;
	}
	lm_enter(t, LM_VIA_PI, regs_get_kernel_argument(regs, 0),
		 !!regs_get_kernel_argument(regs, 2));
	t->val_known = 0;
	/* shared PI futexes are keyed per process too: see owners.rst */
	lm_fkey_private(&k, current->mm, t->uaddr);
	lm_block(t, b, flags, &k, false);
	return 0;
}

NOKPROBE_SYMBOL(lm_lock_pi_entry);

static struct kretprobe lm_rp_wait_requeue_pi = {
	.kp.symbol_name = LM_SYM_FUTEX_WAIT_REQUEUE_PI,
	.entry_handler = lm_requeue_pi_entry,
	.handler = lm_rp_ret,
};

static struct kretprobe lm_rp_lock_pi = {
	.kp.symbol_name = LM_SYM_FUTEX_LOCK_PI,
	.entry_handler = lm_lock_pi_entry,
	.handler = lm_rp_ret,
};

static struct kretprobe lm_rp_waitv = {
	.kp.symbol_name = LM_SYM_FUTEX_WAIT_MULTIPLE,
	.entry_handler = lm_waitv_entry,
	.handler = lm_rp_ret,
};

static struct kretprobe *const lm_rps[] = {
	&lm_rp_lock_pi, &lm_rp_wait_requeue_pi, &lm_rp_waitv,
};

static bool lm_rp_registered[ARRAY_SIZE(lm_rps)];

/* ---- the ftrace hooks ----------------------------------------------- */

enum lm_hook_id {
	LM_H_WAIT_QUEUE, LM_H_UNQUEUE, LM_H_Q_UNLOCK, LM_H_WAKE_MARK,
	LM_H_UNLOCK_PI, LM_NR_HOOKS
};

struct lm_hook {
	const char *sym;
	bool required;		/* without it, lockmon sees no futex wait */
	bool registered;
};

static struct lm_hook lm_hooks[LM_NR_HOOKS] = {
	[LM_H_WAIT_QUEUE] = { LM_SYM_FUTEX_WAIT_QUEUE, true },
	[LM_H_UNQUEUE] = { LM_SYM_FUTEX_UNQUEUE, true },
	[LM_H_Q_UNLOCK] = { LM_SYM_FUTEX_Q_UNLOCK },
	[LM_H_WAKE_MARK] = { LM_SYM_FUTEX_WAKE_MARK },
	[LM_H_UNLOCK_PI] = { LM_SYM_FUTEX_UNLOCK_PI },
};

/* Each hooked function's address: the ip ftrace passes its callback. */
static unsigned long lm_hook_ip[LM_NR_HOOKS];

static DEFINE_PER_CPU(bool, lm_in_hook);

#ifdef LM_HOOK_COST
/*
 * A developer's meter (make LOCKMON_HOOK_COST=1): guest nanoseconds spent
 * in each handler, which under QEMU -icount are instructions. The clock
 * read itself is measured once at enable and taken off.
 */
struct lm_hook_cost {
	u64 ns[LM_NR_HOOKS];
	u64 calls[LM_NR_HOOKS];
};

static DEFINE_PER_CPU(struct lm_hook_cost, lm_hook_cost);
static u64 lm_clock_ns;

static void lm_hook_cost_calibrate(void)
{
	u64 best = U64_MAX, t0, t1;
	int i;

	for (i = 0; i < 64; i++) {
		t0 = lm_now();
		t1 = lm_now();
		best = min(best, t1 - t0);
	}
	lm_clock_ns = best;
}

static void lm_hook_cost_show(struct seq_file *m)
{
	unsigned int i;
	int cpu;

	for (i = 0; i < LM_NR_HOOKS; i++) {
		u64 ns = 0, calls = 0;

		for_each_possible_cpu(cpu) {
			ns += per_cpu(lm_hook_cost, cpu).ns[i];
			calls += per_cpu(lm_hook_cost, cpu).calls[i];
		}
		seq_printf(m, "hook_cost_%s calls=%llu ns=%llu per_call=%llu\n",
			   lm_hooks[i].sym, calls, ns,
			   calls ? div64_u64(ns, calls) : 0);
	}
}

static inline u64 lm_cost_start(void)
{
	return lm_now();
}

static inline void lm_cost_end(unsigned int id, u64 t0)
{
	u64 d = lm_now() - t0;

	__this_cpu_add(lm_hook_cost.ns[id], d > lm_clock_ns ? d - lm_clock_ns : 0);
	__this_cpu_inc(lm_hook_cost.calls[id]);
}
#else
static inline void lm_hook_cost_calibrate(void) { }
static inline void lm_hook_cost_show(struct seq_file *m) { }
static inline u64 lm_cost_start(void) { return 0; }
static inline void lm_cost_end(unsigned int id, u64 t0) { }
#endif

/*
 * The one ftrace callback, for every hooked function, so that disable
 * unregisters once (each unregister waits for an RCU-tasks grace period).
 * Dispatch is by address, most frequent first, with direct calls.
 *
 * The filter holds only the five futex functions, which no handler calls
 * and no interrupt runs, so the callback cannot recurse into itself; a
 * per-CPU flag checks that for less than ftrace's general recursion lock
 * costs, and a refused entry would be counted. Preemption is disabled,
 * which the handlers rely on.
 */
static void notrace lm_hook_entry(unsigned long ip, unsigned long pip,
				  struct ftrace_ops *op,
				  struct ftrace_regs *fregs)
{
	struct pt_regs *regs = LM_FTRACE_REGS(fregs);
	u64 t0;

	preempt_disable_notrace();
	if (unlikely(__this_cpu_read(lm_in_hook))) {
		lm_count(LM_CNT_hook_recursion);
		goto out;
	}
	__this_cpu_write(lm_in_hook, true);
	t0 = lm_cost_start();
	if (ip == lm_hook_ip[LM_H_WAIT_QUEUE]) {
		lm_on_wait_queue(pip, regs);
		lm_cost_end(LM_H_WAIT_QUEUE, t0);
	} else if (ip == lm_hook_ip[LM_H_UNQUEUE]) {
		lm_on_unqueue(pip, regs);
		lm_cost_end(LM_H_UNQUEUE, t0);
	} else if (ip == lm_hook_ip[LM_H_Q_UNLOCK]) {
		lm_on_q_unlock(pip, regs);
		lm_cost_end(LM_H_Q_UNLOCK, t0);
	} else if (ip == lm_hook_ip[LM_H_WAKE_MARK]) {
		lm_on_wake_mark(pip, regs);
		lm_cost_end(LM_H_WAKE_MARK, t0);
	} else if (ip == lm_hook_ip[LM_H_UNLOCK_PI]) {
		lm_on_unlock_pi(pip, regs);
		lm_cost_end(LM_H_UNLOCK_PI, t0);
	}
	__this_cpu_write(lm_in_hook, false);
out:
	preempt_enable_notrace();
}

static struct ftrace_ops lm_ftrace_ops;

static bool lm_ftrace_registered;

/*
 * Never called. While lockmon is disabled its ftrace_ops stays registered
 * with this function alone in its filter (an empty filter would trace
 * every function), so the futex functions' sites are NOPs again and
 * enable and disable never unregister the ops: a module's ftrace_ops is
 * dynamic, and unregistering one waits for an RCU-tasks grace period,
 * over a minute on a loaded debug kernel. rmmod unregisters it.
 */
static noinline void lm_hook_park(void)
{
	barrier();
}

static bool lm_ftrace_parked;

/*
 * A function's address, from the kprobes core's lookup of its name
 * (kallsyms_lookup_name() is not exported), and optionally its size,
 * from the symbol's printed extent ("name+0x0/0x1a0").
 */
static int lm_sym_addr(const char *sym, unsigned long *addr,
		       unsigned long *size)
{
	/*
	 * Registered disabled, so it is never armed: arming the first kprobe
	 * on an ftrace site registers the kprobes core's ftrace_ops, and
	 * disarming the last one unregisters it, which waits for an RCU-tasks
	 * grace period (seconds under load on the debug kernel).
	 */
	struct kprobe kp = { .symbol_name = sym, .flags = KPROBE_FLAG_DISABLED };
	char buf[KSYM_SYMBOL_LEN];
	char *slash;
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	*addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	if (!size)
		return 0;
	sprint_symbol(buf, *addr);
	slash = strrchr(buf, '/');
	if (!slash || kstrtoul(slash + 1, 16, size) || !*size)
		return -ENOENT;
	return 0;
}

/*
 * Looked up at the first enable and kept: addresses do not change while
 * the kernel runs, and each lookup costs a kprobe registration.
 */
static unsigned long lm_sym_cache[LM_NR_HOOKS];
static unsigned long lm_setup_cache[2];

/* Put one function under lm_ftrace_ops's filter. */
static int lm_hook_add(enum lm_hook_id id)
{
	struct lm_hook *h = &lm_hooks[id];
	int err;

	if (id == LM_H_Q_UNLOCK) {
		if (!lm_setup_cache[1] &&
		    lm_sym_addr(LM_SYM_FUTEX_WAIT_SETUP, &lm_setup_cache[0],
				&lm_setup_cache[1])) {
			lm_setup_cache[1] = 0;
			return -ENOENT;
		}
		lm_setup_start = lm_setup_cache[0];
		lm_setup_size = lm_setup_cache[1];
	}
	if (!lm_sym_cache[id]) {
		err = lm_sym_addr(h->sym, &lm_sym_cache[id], NULL);
		if (err) {
			lm_sym_cache[id] = 0;
			return err;
		}
	}
	lm_hook_ip[id] = lm_sym_cache[id];
	/* not traceable (notrace, or inlined away): no ftrace site */
	if (ftrace_set_filter_ip(&lm_ftrace_ops, lm_hook_ip[id], 0, 0)) {
		lm_hook_ip[id] = 0;
		return -ENOENT;
	}
	h->registered = true;
	return 0;
}

static void lm_hooks_forget(void)
{
	unsigned int i;

	for (i = 0; i < LM_NR_HOOKS; i++) {
		lm_hooks[i].registered = false;
		WRITE_ONCE(lm_hook_ip[i], 0);
	}
	lm_setup_size = 0;
}

static void lm_hooks_clear(void)
{
	ftrace_free_filter(&lm_ftrace_ops);
	lm_hooks_forget();
}

/*
 * Park the registered ops: lm_hook_park() into the filter first, so that
 * it is never empty, then every futex function out of it. Each filter
 * change patches the sites at once; a task already inside the trampoline
 * may still call lm_hook_entry() later, but with every lm_hook_ip[] zero
 * it matches no handler, and synchronize_rcu() waits for the handlers
 * under way (they run with preemption disabled).
 *
 * Return: 0, or an error from ftrace (the caller then unregisters).
 */
static int lm_hooks_park(void)
{
	unsigned int i;
	int err;

	err = ftrace_set_filter_ip(&lm_ftrace_ops,
				   (unsigned long)lm_hook_park, 0, 0);
	if (err)
		return err;
	for (i = 0; i < LM_NR_HOOKS; i++) {
		unsigned long ip = lm_hook_ip[i];

		if (!lm_hooks[i].registered)
			continue;
		WRITE_ONCE(lm_hook_ip[i], 0);
		err = ftrace_set_filter_ip(&lm_ftrace_ops, ip, 1, 0);
		if (err)
			break;
	}
	synchronize_rcu();
	lm_hooks_forget();
	return err;
}

static const char *lm_rp_name(const struct kretprobe *rp)
{
	return rp->kp.symbol_name;
}

static void lm_rp_clear(struct kretprobe *rp)
{
	/* register_kprobe() fills these in; a second register needs them clear */
	const char *name = rp->kp.symbol_name;

	memset(&rp->kp, 0, sizeof(rp->kp));
	rp->kp.symbol_name = name;
	rp->nmissed = 0;
}

#ifdef LM_TEST_FORCE_INT3
/* the selftests' variant: behave as if no kprobe could sit on ftrace */
#define lm_kprobe_ftrace(kp)	false
#else
#define lm_kprobe_ftrace(kp)	kprobe_ftrace(kp)
#endif

/**
 * lm_probes_futex_bytes() - memory of the kretprobe instances
 *
 * register_kretprobe() preallocates maxactive instances of each; this is
 * an estimate from the instance size, counted whether or not enabled.
 *
 * Return: bytes.
 */
size_t lm_probes_futex_bytes(void)
{
	size_t sum = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lm_rps); i++)
		sum += (size_t)lm_max_tasks *
		       (sizeof(struct kretprobe_instance) + lm_rps[i]->data_size);
	return sum;
}

static int lm_rps_register(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(lm_rps); i++) {
		struct kretprobe *rp = lm_rps[i];

		lm_rp_clear(rp);
		/* every blocked task holds one instance */
		rp->maxactive = lm_max_tasks;
		err = register_kretprobe(rp);
		if (err) {
			pr_warn("cannot probe %s (%d): the events it gives are not traced\n",
				lm_rp_name(rp), err);
			continue;
		}
		if (!lm_kprobe_ftrace(&rp->kp)) {
			/* an int3 handler runs in NMI-like context: refused */
			unregister_kretprobe(rp);
			pr_warn("not probing %s: it would be an int3 breakpoint, which lockmon refuses (needs %s)\n",
				lm_rp_name(rp), LM_KPROBE_NEED);
			continue;
		}
		lm_rp_registered[i] = true;
	}
	return 0;
}

static void lm_rps_unregister(void)
{
	struct kretprobe *rps[ARRAY_SIZE(lm_rps)];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(lm_rps); i++) {
		if (lm_rp_registered[i])
			rps[n++] = lm_rps[i];
		lm_rp_registered[i] = false;
	}
	/* one grace period for all of them */
	if (n)
		unregister_kretprobes(rps, n);
}

/**
 * lm_probes_futex_register() - hook every futex function the kernel has
 *
 * A hook whose function is missing or not traceable is named in the kernel
 * log and the rest keep working; lockmon refuses to enable only without
 * the two hooks every wait passes, or without ftrace argument access.
 *
 * Return: 0, or the error of a required hook.
 */
int lm_probes_futex_register(void)
{
	unsigned int i;
	int err;

	if (!LM_HAVE_FTRACE_ARGS) {
		pr_err("this kernel lacks %s: lockmon's hooks need it\n",
		       LM_FTRACE_NEED);
		return -EOPNOTSUPP;
	}
	/*
	 * ftrace_free_filter() frees the filter hashes but leaves the ops
	 * pointing at them: an enable after an unregister starts from a new
	 * ops. A parked ops takes the hooks into its filter as it runs.
	 */
	if (!lm_ftrace_registered) {
		memset(&lm_ftrace_ops, 0, sizeof(lm_ftrace_ops));
		lm_ftrace_ops.func = lm_hook_entry;
	}
	lm_hook_cost_calibrate();
	for (i = 0; i < LM_NR_HOOKS; i++) {
		const struct lm_hook *h = &lm_hooks[i];

		err = lm_hook_add(i);
		if (!err)
			continue;
		if (i == LM_H_Q_UNLOCK && !lm_setup_size) {
			pr_warn("cannot find %s: immediate returns are not counted\n",
				LM_SYM_FUTEX_WAIT_SETUP);
			continue;
		}
		pr_warn("cannot probe %s (%d): %s\n", h->sym, err,
			h->required ? "lockmon cannot trace futex waits" :
			"the events it gives are not traced");
		if (h->required)
			goto err_clear;
	}
	if (lm_ftrace_parked) {
		err = ftrace_set_filter_ip(&lm_ftrace_ops,
					   (unsigned long)lm_hook_park, 1, 0);
		if (err) {
			pr_err("cannot take the ftrace hooks out of park (%d)\n",
			       err);
			goto err_clear;
		}
		lm_ftrace_parked = false;
		return lm_rps_register();
	}
	err = register_ftrace_function(&lm_ftrace_ops);
	if (err) {
		pr_err("cannot register the ftrace hooks (%d)\n", err);
		goto err_clear;
	}
	lm_ftrace_registered = true;
	return lm_rps_register();

err_clear:
	if (lm_ftrace_registered)
		lm_probes_futex_release();
	else
		lm_hooks_clear();
	return err;
}

/**
 * lm_probes_futex_unregister() - stop every hook, remove every kretprobe
 *
 * The hooks' ftrace_ops is parked rather than unregistered (see
 * lm_hook_park()); if ftrace cannot park it, it is unregistered.
 * On return no handler runs any more.
 */
void lm_probes_futex_unregister(void)
{
	lm_rps_unregister();
	if (!lm_ftrace_registered || lm_ftrace_parked)
		return;
	if (!lm_hooks_park()) {
		lm_ftrace_parked = true;
		return;
	}
	pr_warn("cannot park the ftrace hooks: unregistering them\n");
	lm_probes_futex_release();
}

/**
 * lm_probes_futex_release() - unregister the hooks' ftrace_ops, at unload
 *
 * Waits for an RCU-tasks grace period. Call after
 * lm_probes_futex_unregister(), or on its own.
 */
void lm_probes_futex_release(void)
{
	lm_rps_unregister();
	if (lm_ftrace_registered)
		unregister_ftrace_function(&lm_ftrace_ops);
	lm_ftrace_registered = false;
	lm_ftrace_parked = false;
	lm_hooks_clear();
}

/**
 * lm_probes_futex_show() - print each hook's state for the stats file
 * @m: the seq_file
 */
void lm_probes_futex_show(struct seq_file *m)
{
	unsigned int i;

	seq_printf(m, "hooks_ftrace_ops %s\n",
		   !lm_ftrace_registered ? "off" :
		   lm_ftrace_parked ? "parked" : "on");
	for (i = 0; i < LM_NR_HOOKS; i++)
		seq_printf(m, "hook_%s %s\n", lm_hooks[i].sym,
			   lm_hooks[i].registered ? "on" : "off");
	for (i = 0; i < ARRAY_SIZE(lm_rps); i++) {
		const struct kretprobe *rp = lm_rps[i];

		seq_printf(m, "probe_%s %s missed=%lu\n", lm_rp_name(rp),
			   lm_rp_registered[i] ? "on" : "off",
			   rp->nmissed + rp->kp.nmissed);
	}
	lm_hook_cost_show(m);
}
