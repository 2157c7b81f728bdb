// SPDX-License-Identifier: GPL-2.0
/*
 * What the owner of a lock does while tasks wait for it: running,
 * preempted, blocked on a futex, asleep, stopped, or gone.
 *
 * All of it is done by the periodic scan, none on the futex paths: on
 * each pass, for each blocked task with a known owner, the owner's state
 * and its scheduler counters (run time, run-queue delay) are read. Between
 * two passes the counters' deltas say how much of the interval the owner
 * ran and how much it waited for a CPU; the rest it was off the run queue,
 * charged to the sleep state it was seen in. The wait's time up to the
 * pass is added to its futex's split at once, so a wait that lasts shows
 * there while it lasts. The stretch before the first pass that saw a wait
 * is charged at the second, with the split measured there; the end of a
 * wait, after its last pass, is charged by the waiter's own wait-end path
 * with the last split measured, a few multiplications under the futex
 * lock it holds already.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <asm/syscall.h>
#include "lockmon.h"

/* What one look at the owner found. */
struct lm_hread {
	u8 state;		/* enum lockmon_holder_state */
	bool counted;		/* run and delay are the owner's counters */
	int sys;		/* syscall a sleeping owner is in, or -1 */
	u64 run, delay;
	struct lm_hpreempt *hp;	/* filled in for a preempted owner */
};

static bool lm_holder_asleep(unsigned int state)
{
	return state == LOCKMON_HOLDER_FUTEX ||
	       state == LOCKMON_HOLDER_SLEEPING ||
	       state == LOCKMON_HOLDER_STOPPED;
}

static bool lm_holder_live(unsigned int state)
{
	return state >= LOCKMON_HOLDER_RUNNING &&
	       state <= LOCKMON_HOLDER_STOPPED;
}

static bool lm_on_cpu(const struct task_struct *p)
{
#ifdef CONFIG_SMP
	return READ_ONCE(p->on_cpu);
#else
	return false;	/* the scan has the only CPU */
#endif
}

/*
 * How long runnable @p has waited for a CPU: the scheduler stamps
 * sched_info.last_queued with its run queue's clock when the task is
 * queued (woken, or preempted while runnable) and clears it when the task
 * runs, and that clock follows sched_clock_cpu() of the queue's CPU.
 * Without CONFIG_SCHED_INFO there is no stamp, and no figure.
 */
static void lm_holder_preempted(struct task_struct *p, struct lm_hpreempt *hp)
{
#ifdef CONFIG_SCHED_INFO
	u64 queued = READ_ONCE(p->sched_info.last_queued), now;
	u32 cpu = task_cpu(p);

	if (!hp || !queued)
		return;
	now = sched_clock_cpu(cpu);
	if (now <= queued || !READ_ONCE(p->on_rq) || lm_on_cpu(p))
		return;
	hp->off_ns = now - queued;
	hp->cpu = cpu;
	hp->prio = READ_ONCE(p->prio);
	hp->tgid = p->tgid;
	get_task_comm(hp->comm, p);
#endif
}

/*
 * Read the state of @t's owner. Its task is found under RCU and
 * referenced; its user registers, for the syscall number, are read under
 * task_lock() while ->mm is set, as lm_stack_capture_task() does.
 */
static void lm_holder_read(const struct lm_task *t, struct lm_hread *rd)
{
	bool any = t->shared || t->pi;
	struct task_struct *p;
	unsigned int st;
	struct lm_task o;

	struct lm_hpreempt *hp = rd->hp;

	memset(rd, 0, sizeof(*rd));
	rd->hp = hp;
	rd->sys = -1;
	if (t->owner <= 0)
		return;		/* LOCKMON_HOLDER_UNKNOWN */
	rcu_read_lock();
	p = pid_task(find_vpid(t->owner), PIDTYPE_PID);
	if (!p || (!any && p->tgid != t->tgid) || (p->flags & PF_EXITING) ||
	    p->start_time > t->since) {
		rcu_read_unlock();
		rd->state = LOCKMON_HOLDER_EXITED;
		return;
	}
	get_task_struct(p);
	rcu_read_unlock();

	rd->run = READ_ONCE(p->se.sum_exec_runtime);
#ifdef CONFIG_SCHED_INFO
	rd->delay = READ_ONCE(p->sched_info.run_delay);
	rd->counted = true;
#endif
	st = READ_ONCE(p->__state);
	if (lm_on_cpu(p)) {
		rd->state = LOCKMON_HOLDER_RUNNING;
	} else if (READ_ONCE(p->on_rq) || st == TASK_RUNNING) {
		rd->state = LOCKMON_HOLDER_PREEMPTED;
		lm_holder_preempted(p, hp);
	} else if (st & (__TASK_STOPPED | __TASK_TRACED)) {
		rd->state = LOCKMON_HOLDER_STOPPED;
	} else {
		rd->state = LOCKMON_HOLDER_SLEEPING;
		task_lock(p);
		if (p->mm && !(p->flags & PF_KTHREAD))
			rd->sys = syscall_get_nr(p, task_pt_regs(p));
		task_unlock(p);
	}
	put_task_struct(p);
	if (rd->state == LOCKMON_HOLDER_SLEEPING &&
	    lm_task_copy(t->owner, &o) && o.state == LM_T_WAITING)
		rd->state = LOCKMON_HOLDER_FUTEX;
	if (rd->sys < 0 || rd->state != LOCKMON_HOLDER_SLEEPING)
		rd->sys = -1;
}

/* Add @ns to @ch: run_f/1024 running, delay_f/1024 preempted, rest @off. */
static void lm_holder_split(u64 *ch, u64 ns, unsigned int run_f,
			    unsigned int delay_f, unsigned int off)
{
	u64 run = mul_u64_u32_shr(ns, run_f, 10);
	u64 delay = mul_u64_u32_shr(ns, delay_f, 10);

	if (run > ns)
		run = ns;
	if (delay > ns - run)
		delay = ns - run;
	ch[LOCKMON_HOLDER_RUNNING] += run;
	ch[LOCKMON_HOLDER_PREEMPTED] += delay;
	ch[off] += ns - run - delay;
}

/* The split a single look at the owner implies: all of it in its state. */
static void lm_holder_split_of(struct lm_task *s, unsigned int state)
{
	s->hrun_f = state == LOCKMON_HOLDER_RUNNING ? 1024 : 0;
	s->hdelay_f = state == LOCKMON_HOLDER_PREEMPTED ? 1024 : 0;
	s->hoff = lm_holder_asleep(state) || !lm_holder_live(state) ?
		  state : LOCKMON_HOLDER_SLEEPING;
}

/*
 * The split measured from the owner's counters over the interval since
 * the last look; off-CPU time goes to the sleep state seen now, or then.
 */
static void lm_holder_measure(struct lm_task *s, const struct lm_hread *rd,
			      u64 now)
{
	u64 dt = now - s->hseen;
	u64 run = rd->run > s->hrun ? rd->run - s->hrun : 0;
	u64 delay = rd->delay > s->hdelay ? rd->delay - s->hdelay : 0;

	if (run > dt)
		run = dt;
	if (delay > dt - run)
		delay = dt - run;
	s->hrun_f = div64_u64(run << 10, dt);
	s->hdelay_f = div64_u64(delay << 10, dt);
	if (lm_holder_asleep(rd->state))
		s->hoff = rd->state;
	else if (lm_holder_asleep(s->hstate))
		s->hoff = s->hstate;
	else
		s->hoff = LOCKMON_HOLDER_SLEEPING;
}

/**
 * lm_holder_sample() - look at a blocked task's owner and charge its wait
 * @t: the scan's snapshot of the task, its owner read again
 * @now: the time of the look
 * @hp: where a preempted owner's off-CPU time, CPU and priority go; its
 *	off_ns is left 0 when the owner is not runnable off a CPU
 *
 * Scan context. The wait's time since its last charge goes to its futex,
 * split by what the owner did in it; the task's slot keeps the look.
 */
void lm_holder_sample(const struct lm_task *t, u64 now,
		      struct lm_hpreempt *hp)
{
	u64 ch[LOCKMON_HOLDER_NR] = { };
	struct lm_hread rd;
	struct lm_bucket *b, *fb;
	unsigned long flags, fflags;
	struct lm_futex *f;
	struct lm_task *s;
	bool seen, charge = false;
	u64 from;

	hp->off_ns = 0;
	if (t->owner <= 0 && t->hseen < t->since)
		return;	/* never owned: the wait's end charges it unknown */
	rd.hp = hp;
	lm_holder_read(t, &rd);
	b = lm_task_lock(t->tid, false, &flags, &s);
	if (!s || s->state != LM_T_WAITING || s->woken ||
	    s->since != t->since || s->futex_idx == LM_NONE ||
	    now <= s->since)
		goto out;
	from = s->hmark >= s->since ? s->hmark : s->since;
	seen = s->hseen >= s->since && now > s->hseen;
	if (!lm_holder_live(rd.state)) {
		/* exited, or no owner now: all of it since the last charge */
		ch[rd.state] += now - from;
		lm_holder_split_of(s, rd.state);
		charge = true;
	} else if (seen && rd.counted && s->howner == t->owner &&
		   lm_holder_live(s->hstate)) {
		lm_holder_measure(s, &rd, now);
		lm_holder_split(ch, now - from, s->hrun_f, s->hdelay_f,
				s->hoff);
		charge = true;
	} else if (seen) {
		/* another owner, or no counters: the last look's split */
		lm_holder_split(ch, now - from, s->hrun_f, s->hdelay_f,
				s->hoff);
		lm_holder_split_of(s, rd.state);
		charge = true;
	} else {
		/* the first look: charged at the next, or at the wait's end */
		lm_holder_split_of(s, rd.state);
	}
	s->hseen = now;
	s->hrun = rd.run;
	s->hdelay = rd.delay;
	s->howner = t->owner;
	s->hstate = rd.state;
	if (charge)
		s->hmark = now;
	if (charge || rd.sys >= 0) {
		fb = lm_futex_lock_idx(s->futex_idx, &fflags, &f);
		if (f) {
			unsigned int i;

			for (i = 0; i < LOCKMON_HOLDER_NR; i++)
				f->hold_ns[i] += ch[i];
			if (rd.sys >= 0)
				f->hold_sys = rd.sys + 1;
		}
		lm_bucket_unlock(fb, fflags);
	}
out:
	lm_bucket_unlock(b, flags);
}

/**
 * lm_holder_wait_seen() - charge the rest of a wait a scan looked at
 * @f: the wait's futex, locked
 * @t: the waiting task, locked
 * @now: the end of the wait
 *
 * By the split the last look measured; lm_holder_wait_end() (lockmon.h)
 * charges a wait no scan looked at.
 */
void lm_holder_wait_seen(struct lm_futex *f, const struct lm_task *t, u64 now)
{
	u64 from = t->hmark >= t->since ? t->hmark : t->since;

	if (now > from)
		lm_holder_split(f->hold_ns, now - from, t->hrun_f,
				t->hdelay_f, t->hoff);
}

/**
 * lm_task_prio() - a live task's scheduling priority
 * @tid: the task
 *
 * Scan context.
 *
 * Return: the kernel's prio (0-99 real-time, highest first; 100-139 nice
 * -20 to 19), or -1 if @tid is not alive.
 */
int lm_task_prio(pid_t tid)
{
	struct task_struct *p;
	int prio = -1;

	rcu_read_lock();
	p = pid_task(find_vpid(tid), PIDTYPE_PID);
	if (p && !(p->flags & PF_EXITING))
		prio = READ_ONCE(p->prio);
	rcu_read_unlock();
	return prio;
}

/**
 * lm_cpu_running() - what runs on a CPU now, for a preempted owner's finding
 * @cpu: the CPU
 * @b: its ran, ran_tgid, ran_prio and ran_comm are filled in; ran is 0
 *	when no task of a process is on @cpu (idle, or a kernel thread)
 *
 * The run queue's current task is private to the scheduler, so this walks
 * every thread under RCU: only for a finding about to be made, at most a
 * few per scan. The scan itself runs on another CPU or has just preempted
 * that task; it is skipped.
 *
 * Return: true if a task was found.
 */
bool lm_cpu_running(u32 cpu, struct lm_blame_info *b)
{
	struct task_struct *g, *p;
	bool found = false;

	b->ran = 0;
	rcu_read_lock();
	for_each_process_thread(g, p) {
		if (p == current || task_cpu(p) != cpu || !lm_on_cpu(p) ||
		    (p->flags & PF_KTHREAD))
			continue;
		b->ran = p->pid;
		b->ran_tgid = p->tgid;
		b->ran_prio = READ_ONCE(p->prio);
		get_task_comm(b->ran_comm, p);
		found = true;
		break;
	}
	rcu_read_unlock();
	return found;
}
