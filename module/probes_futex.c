// SPDX-License-Identifier: GPL-2.0
/*
 * kprobes on the futex paths.
 *
 *   futex_wait / futex_wait_requeue_pi  entry: the task enters a wait
 *   futex_wait_queue                    the task is queued: it blocks
 *   futex_wait / ... return             the wait ended, with its result
 *   futex_wake_mark                     a waker picked a waiter
 *   futex_lock_pi entry / return        a PI lock wait
 *   futex_unlock_pi                     a PI lock release
 *
 * futex_wake_mark() is the one place every wake path (futex_wake,
 * futex_wake_op, futex_requeue, thread exit) passes each woken waiter, with
 * its futex_q, so one probe sees waker, wakee and futex together.
 *
 * Handlers run with preemption disabled: they take one bucket lock at a
 * time (task, then futex), never sleep, never allocate, never print.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include "compat.h"
#include "lockmon.h"
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

/* The futex key from a futex_q, checked against what lockmon knows. */
static bool lm_key_from_q(const struct lm_futex_q_head *q, u64 uaddr,
			  struct lm_fkey *k)
{
	const union futex_key *key = &q->key;

	k->ptr = key->both.ptr;
	k->word = key->both.word;
	k->offset = key->both.offset;
	if (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED))
		return !!(key->both.offset & FUT_OFF_INODE);
	/* private: the key must be exactly mm + uaddr */
	if (k->ptr != (u64)(unsigned long)current->mm ||
	    k->word + k->offset != uaddr) {
		lm_count(LM_CNT_key_mismatch);
		lm_fkey_private(k, current->mm, uaddr);
	}
	return false;
}

/* Account the end of a wait on the futex entry; task slot is locked. */
static void lm_wait_account(struct lm_task *t, u64 now, int result)
{
	unsigned long flags;
	struct lm_futex *f;
	bool handoff = t->woken && t->wake_ns;

	f = lm_futex_lock_idx(t->futex_idx, &flags);
	if (!f)
		goto out;
	lm_futex_add_wait(f, now - t->since, result);
	if (handoff) {
		u64 h = now - t->wake_ns;

		f->hand_ns += h;
		f->hand_count++;
		if (h > f->hand_max_ns)
			f->hand_max_ns = h;
	}
	lm_futex_unlock(t->futex_idx, flags);
out:
	if (handoff) {
		atomic_dec(&lm_pending_handoffs);
		lm_count(LM_CNT_handoffs);
	}
}

/* A task enters futex_wait() or futex_wait_requeue_pi(). */
static int lm_wait_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_task *t;

	lm_count(LM_CNT_waits);
	if (lm_filtered(current))
		return 1;
	t = lm_task_lock(current->pid, true, &flags);
	if (!t)
		return 1;
	if (t->state == LM_T_WAITING)
		lm_count(LM_CNT_bad_sequence);
	t->tgid = current->tgid;
	t->state = LM_T_ENTERED;
	t->waitv = 0;
	t->pi = 0;
	t->uaddr = regs_get_kernel_argument(regs, 0);
	t->shared = !!(regs_get_kernel_argument(regs, 1) & LM_FLAGS_SHARED);
	t->val = regs_get_kernel_argument(regs, 2);
	t->timed = !!regs_get_kernel_argument(regs, 3);
	lm_task_unlock(t, flags);
	return 0;
}

NOKPROBE_SYMBOL(lm_wait_entry);

/* The wait did not block: the futex value had changed. */
static void lm_wait_again(const struct lm_task *t)
{
	unsigned long flags;
	struct lm_futex *f;
	struct lm_fkey k;
	u32 idx;

	lm_count(LM_CNT_again);
	if (t->shared) {
		/* a shared key needs the page lookup only the kernel does */
		lm_count(LM_CNT_again_unkeyed);
		return;
	}
	lm_fkey_private(&k, current->mm, t->uaddr);
	f = lm_futex_lock(&k, true, &idx, &flags);
	if (!f)
		return;
	f->again++;
	if (!f->tgid) {
		f->tgid = t->tgid;
		f->uaddr = t->uaddr;
	}
	lm_futex_unlock(idx, flags);
}

/* futex_wait() and friends return. */
static int lm_wait_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* the probed functions return int: the upper half of rax is junk */
	int result = lm_result((int)regs_return_value(regs));
	u64 now = ktime_get_ns();
	struct lm_task *t, me;
	unsigned long flags;

	t = lm_task_lock(current->pid, false, &flags);
	if (!t)
		return 0;
	me = *t;
	if (t->state == LM_T_WAITING)
		lm_wait_account(t, now, result);
	t->state = LM_T_IDLE;
	t->woken = 0;
	t->wake_ns = 0;
	t->owner = 0;
	lm_task_unlock(t, flags);

	if (me.state == LM_T_ENTERED) {
		if (result == LOCKMON_WAIT_AGAIN)
			lm_wait_again(&me);
		return 0;
	}
	if (me.state != LM_T_WAITING)
		return 0;
	trace_lockmon_wait_end(me.tid, me.tgid, me.futex_id, me.uaddr,
			       now - me.since, result);
	if (result == LOCKMON_WAIT_DEADLK)
		lm_graph_pi_edeadlk(&me);
	lm_graph_wait_ended(me.tid, result);
	return 0;
}

NOKPROBE_SYMBOL(lm_wait_ret);

/*
 * The task blocks on @k: record it on the futex and the task, resolve the
 * owner and follow the chain. @t is locked and is unlocked here.
 */
static void lm_block(struct lm_task *t, unsigned long tflags,
		     const struct lm_fkey *k, bool inode, u32 stack_id)
{
	struct lm_task me;
	struct lm_futex *f;
	unsigned long flags;
	u8 how, kind;
	pid_t owner;
	u32 idx;

	lm_count(LM_CNT_blocked);
	owner = lm_resolve_owner(t->uaddr, t->pi, inode, t->pi ? -1 : t->val,
				 &how, &kind);
	f = lm_futex_lock(k, true, &idx, &flags);
	if (f) {
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
		 */
		if (how == LOCKMON_OWNER_NONE && !f->glibc && !f->pi &&
		    f->last_waker && f->last_waker != t->tid &&
		    lm_futex_class(f) == LOCKMON_CLASS_LOCK) {
			owner = f->last_waker;
			how = LOCKMON_OWNER_INFERRED;
		}
		f->owner = owner;
		f->owner_how = how;
		t->futex_id = f->id;
		lm_futex_unlock(idx, flags);
	} else {
		idx = LM_NONE;
		t->futex_id = lm_fkey_id(k);
	}
	t->state = LM_T_WAITING;
	t->since = ktime_get_ns();
	t->futex_idx = idx;
	t->shared = inode;
	t->owner = owner;
	t->owner_how = how;
	t->kind = kind;
	t->woken = 0;
	t->wake_ns = 0;
	t->reported = 0;
	t->stack_id = stack_id;
	memcpy(t->comm, current->comm, sizeof(t->comm));
	me = *t;
	lm_task_unlock(t, tflags);

	trace_lockmon_wait_begin(me.tid, me.tgid, me.futex_id, me.uaddr,
				 me.owner, me.owner_how, me.timed, me.stack_id);
	lm_graph_check(&me, false);
}

/* futex_wait_queue(hb, q, timeout): the task is about to sleep. */
static int lm_wait_queue_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long flags;
	struct lm_task *t;
	struct lm_fkey k;
	u32 stack_id;
	bool inode;

	if (lm_filtered(current))
		return 0;	/* never entered: no stack to take */
	stack_id = lm_stack_capture();
	t = lm_task_lock(current->pid, false, &flags);
	if (!t)
		return 0;
	if (t->state != LM_T_ENTERED) {
		/* a spurious wakeup requeues: still the same wait */
		lm_task_unlock(t, flags);
		return 0;
	}
	inode = lm_key_from_q(q, t->uaddr, &k);
	lm_block(t, flags, &k, inode, stack_id);
	return 0;
}

NOKPROBE_SYMBOL(lm_wait_queue_pre);

/*
 * futex_waitv(): futex_wait_multiple(vs, count, to) is the whole wait. It
 * queues each futex with __futex_queue() before it sleeps; lockmon files
 * the wait under the first futex queued, and a wake of any of them ends it
 * (see Documentation/design.rst). __futex_queue() also runs for every other
 * futex wait, so its handler returns at once unless a waitv is under way.
 */
static atomic_t lm_waitv_active = ATOMIC_INIT(0);

static int lm_waitv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct futex_waitv *w = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long flags;
	struct lm_task *t;

	lm_count(LM_CNT_waits);
	lm_count(LM_CNT_waitv_waits);
	if (lm_filtered(current) || !regs_get_kernel_argument(regs, 1))
		return 1;
	t = lm_task_lock(current->pid, true, &flags);
	if (!t)
		return 1;
	if (t->state == LM_T_WAITING)
		lm_count(LM_CNT_bad_sequence);
	t->tgid = current->tgid;
	t->state = LM_T_ENTERED;
	t->waitv = 1;
	t->pi = 0;
	t->uaddr = w->uaddr;
	t->shared = !(w->flags & FUTEX_PRIVATE_FLAG);
	t->val = (u32)w->val;
	t->timed = !!regs_get_kernel_argument(regs, 2);
	lm_task_unlock(t, flags);
	atomic_inc(&lm_waitv_active);
	return 0;
}

NOKPROBE_SYMBOL(lm_waitv_entry);

static int lm_waitv_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_dec(&lm_waitv_active);
	return lm_wait_ret(ri, regs);
}

NOKPROBE_SYMBOL(lm_waitv_ret);

/* __futex_queue(q, hb): in a waitv, the first futex is queued */
static int lm_futex_queue_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long flags;
	struct lm_task *t;
	struct lm_fkey k;
	u32 stack_id;
	bool inode;

	if (!atomic_read(&lm_waitv_active) || lm_filtered(current))
		return 0;
	stack_id = lm_stack_capture();
	t = lm_task_lock(current->pid, false, &flags);
	if (!t)
		return 0;
	if (t->state != LM_T_ENTERED || !t->waitv) {
		/* not a waitv, or a later futex of the vector */
		lm_task_unlock(t, flags);
		return 0;
	}
	inode = lm_key_from_q(q, t->uaddr, &k);
	lm_block(t, flags, &k, inode, stack_id);
	return 0;
}

NOKPROBE_SYMBOL(lm_futex_queue_pre);

/* futex_wake_mark(wake_q, q): current wakes q->task. */
static int lm_wake_mark_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct lm_futex_q_head *q = (void *)regs_get_kernel_argument(regs, 1);
	struct task_struct *wakee = q->task;
	unsigned long flags;
	struct lm_futex *f;
	struct lm_task *t;
	struct lm_fkey k;
	u64 id = 0;
	u32 idx;

	lm_count(LM_CNT_wakes);
	k.ptr = q->key.both.ptr;
	k.word = q->key.both.word;
	k.offset = q->key.both.offset;
	f = lm_futex_lock(&k, false, &idx, &flags);
	if (f) {
		f->wakes++;
		if (lm_futex_had_waiter(f, current->pid))
			f->mutual_wakes++;
		f->last_waker = current->pid;
		id = f->id;
		lm_futex_unlock(idx, flags);
	}
	t = lm_task_lock(wakee->pid, false, &flags);
	if (!t)
		return 0;
	if (t->state == LM_T_WAITING && !t->woken) {
		t->woken = 1;
		t->wake_ns = ktime_get_ns();
		t->last_waker = current->pid;
		atomic_inc(&lm_pending_handoffs);
	}
	lm_task_unlock(t, flags);
	if (id)
		trace_lockmon_wake(current->pid, wakee->pid, id);
	return 0;
}

NOKPROBE_SYMBOL(lm_wake_mark_pre);

/* futex_lock_pi(uaddr, flags, time, trylock): blocked from entry on. */
static int lm_lock_pi_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_task *t;
	struct lm_fkey k;
	u32 stack_id;

	if (regs_get_kernel_argument(regs, 3))
		return 1;	/* trylock never waits */
	lm_count(LM_CNT_waits);
	lm_count(LM_CNT_pi_waits);
	if (lm_filtered(current))
		return 1;
	stack_id = lm_stack_capture();
	t = lm_task_lock(current->pid, true, &flags);
	if (!t)
		return 1;
	t->tgid = current->tgid;
	t->waitv = 0;
	t->pi = 1;
	t->uaddr = regs_get_kernel_argument(regs, 0);
	t->timed = !!regs_get_kernel_argument(regs, 2);
	/* shared PI futexes are keyed per process too: see owners.rst */
	lm_fkey_private(&k, current->mm, t->uaddr);
	lm_block(t, flags, &k, false, stack_id);
	return 0;
}

NOKPROBE_SYMBOL(lm_lock_pi_entry);

/* futex_unlock_pi(uaddr, flags): the owner releases a PI futex. */
static int lm_unlock_pi_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;
	struct lm_futex *f;
	struct lm_fkey k;
	u32 idx;

	lm_fkey_private(&k, current->mm, regs_get_kernel_argument(regs, 0));
	f = lm_futex_lock(&k, false, &idx, &flags);
	if (!f)
		return 0;
	f->wakes++;
	f->mutual_wakes++;
	f->last_waker = current->pid;
	lm_futex_unlock(idx, flags);
	return 0;
}

NOKPROBE_SYMBOL(lm_unlock_pi_pre);

static struct kretprobe lm_rp_wait = {
	.kp.symbol_name = LM_SYM_FUTEX_WAIT,
	.entry_handler = lm_wait_entry,
	.handler = lm_wait_ret,
};

static struct kretprobe lm_rp_wait_requeue_pi = {
	.kp.symbol_name = LM_SYM_FUTEX_WAIT_REQUEUE_PI,
	.entry_handler = lm_wait_entry,
	.handler = lm_wait_ret,
};

static struct kretprobe lm_rp_lock_pi = {
	.kp.symbol_name = LM_SYM_FUTEX_LOCK_PI,
	.entry_handler = lm_lock_pi_entry,
	.handler = lm_wait_ret,
};

static struct kretprobe lm_rp_waitv = {
	.kp.symbol_name = LM_SYM_FUTEX_WAIT_MULTIPLE,
	.entry_handler = lm_waitv_entry,
	.handler = lm_waitv_ret,
};

static struct kprobe lm_kp_futex_queue = {
	.symbol_name = LM_SYM_FUTEX_QUEUE,
	.pre_handler = lm_futex_queue_pre,
};

static struct kprobe lm_kp_wait_queue = {
	.symbol_name = LM_SYM_FUTEX_WAIT_QUEUE,
	.pre_handler = lm_wait_queue_pre,
};

static struct kprobe lm_kp_wake_mark = {
	.symbol_name = LM_SYM_FUTEX_WAKE_MARK,
	.pre_handler = lm_wake_mark_pre,
};

static struct kprobe lm_kp_unlock_pi = {
	.symbol_name = LM_SYM_FUTEX_UNLOCK_PI,
	.pre_handler = lm_unlock_pi_pre,
};

struct lm_probe {
	struct kprobe *kp;
	struct kretprobe *rp;
	bool required;		/* without it, lockmon sees no futex wait */
	bool registered;
};

static struct lm_probe lm_futex_probes[] = {
	{ .rp = &lm_rp_wait, .required = true },
	{ .kp = &lm_kp_wait_queue, .required = true },
	{ .kp = &lm_kp_wake_mark },
	{ .rp = &lm_rp_lock_pi },
	{ .kp = &lm_kp_unlock_pi },
	{ .rp = &lm_rp_wait_requeue_pi },
	{ .rp = &lm_rp_waitv },
	{ .kp = &lm_kp_futex_queue },
};

static const char *lm_probe_name(const struct lm_probe *p)
{
	return p->rp ? p->rp->kp.symbol_name : p->kp->symbol_name;
}

static void lm_probe_clear(struct lm_probe *p)
{
	/* register_kprobe() fills these in; a second register needs them clear */
	struct kprobe *kp = p->rp ? &p->rp->kp : p->kp;
	const char *name = kp->symbol_name;
	kprobe_pre_handler_t pre = kp->pre_handler;

	memset(kp, 0, sizeof(*kp));
	kp->symbol_name = name;
	kp->pre_handler = pre;
	if (p->rp)
		p->rp->nmissed = 0;
}

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

	for (i = 0; i < ARRAY_SIZE(lm_futex_probes); i++)
		if (lm_futex_probes[i].rp)
			sum += (size_t)lm_max_tasks *
			       (sizeof(struct kretprobe_instance) +
				lm_futex_probes[i].rp->data_size);
	return sum;
}

/**
 * lm_probes_futex_register() - register every futex probe the kernel has
 *
 * A probe whose symbol is missing is named in the kernel log and the rest
 * keep working; lockmon refuses to enable only without the wait probes.
 *
 * Return: 0, or the error of a required probe.
 */
int lm_probes_futex_register(void)
{
	unsigned int i, int3 = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(lm_futex_probes); i++) {
		struct lm_probe *p = &lm_futex_probes[i];

		lm_probe_clear(p);
		if (p->rp) {
			/* every blocked task holds one instance */
			p->rp->maxactive = lm_max_tasks;
			err = register_kretprobe(p->rp);
		} else {
			err = register_kprobe(p->kp);
		}
		if (err) {
			pr_warn("cannot probe %s (%d): %s\n", lm_probe_name(p),
				err, p->required ? "lockmon cannot trace futex waits" :
				"the events it gives are not traced");
			if (p->required)
				goto err_unregister;
			continue;
		}
		p->registered = true;
		if (!kprobe_ftrace(p->rp ? &p->rp->kp : p->kp))
			int3++;
	}
	if (int3)
		pr_warn("%u futex probes use int3, not ftrace: their handlers run in NMI context, where lockmon's locking is not lockdep-clean (see Documentation/design.rst)\n",
			int3);
	return 0;

err_unregister:
	lm_probes_futex_unregister();
	return err;
}

/**
 * lm_probes_futex_unregister() - remove every registered futex probe
 *
 * On return no handler runs any more (unregister waits for them).
 */
void lm_probes_futex_unregister(void)
{
	int i;

	for (i = ARRAY_SIZE(lm_futex_probes) - 1; i >= 0; i--) {
		struct lm_probe *p = &lm_futex_probes[i];

		if (!p->registered)
			continue;
		if (p->rp)
			unregister_kretprobe(p->rp);
		else
			unregister_kprobe(p->kp);
		p->registered = false;
	}
}

/**
 * lm_probes_futex_show() - print each probe's state for the stats file
 * @m: the seq_file
 */
void lm_probes_futex_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lm_futex_probes); i++) {
		const struct lm_probe *p = &lm_futex_probes[i];
		unsigned long missed = p->rp ? p->rp->nmissed + p->rp->kp.nmissed :
					       p->kp->nmissed;

		seq_printf(m, "probe_%s %s missed=%lu\n", lm_probe_name(p),
			   p->registered ? "on" : "off", missed);
	}
}
