// SPDX-License-Identifier: GPL-2.0
/*
 * The periodic scan, in process context: it reads long waits' owners
 * again, samples what every blocked task's owner is doing (holder.c), and
 * finds orphaned locks, whole-process stalls, cycles through inferred
 * owners, waits that starve while the lock changes hands, owners that are
 * preempted while tasks wait (and priority inversions among them), and
 * the stacks of waits that last.
 *
 * It runs on the unbound workqueue, so that a real-time task spinning on
 * one CPU, the very case a priority inversion needs, cannot starve it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include "lockmon.h"
#include "graph.h"
#include "trace.h"

static void lm_scan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(lm_scan_work, lm_scan_fn);
static bool lm_scanning;

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

/*
 * A lock whose owner the scan found runnable but off-CPU for lhp_ms or
 * more, with the tasks waiting on it; the finding is made, or not, once
 * the whole table has been walked.
 */
struct lm_blame {
	u64 futex_id;
	bool pi;		/* a PI futex: the kernel boosts its owner */
	struct lm_finding f;	/* the waiters; the owner is f.blame */
};

#define LM_SCAN_BLAMES	8

static struct lm_blame *lm_blames;

static void lm_blame_add(const struct lm_task *t, const struct lm_hpreempt *hp)
{
	struct lm_blame *e = NULL;
	unsigned int i;

	/* an inferred owner is a guess: blame only an owner the lock names */
	if (t->owner_how != LOCKMON_OWNER_GLIBC &&
	    t->owner_how != LOCKMON_OWNER_PI)
		return;
	for (i = 0; i < LM_SCAN_BLAMES; i++) {
		e = &lm_blames[i];
		if (!e->f.nr || (e->futex_id == t->futex_id &&
				 e->f.blame.holder == t->owner))
			break;
	}
	if (i == LM_SCAN_BLAMES) {
		lm_count(LM_CNT_blame_full);
		return;
	}
	if (!e->f.nr) {
		e->futex_id = t->futex_id;
		e->pi = t->pi;
		e->f.blame.holder = t->owner;
		e->f.blame.holder_tgid = hp->tgid;
		e->f.blame.holder_prio = hp->prio;
		e->f.blame.cpu = hp->cpu;
		e->f.blame.off_ns = hp->off_ns;
		memcpy(e->f.blame.holder_comm, hp->comm, TASK_COMM_LEN);
	}
	if (e->f.nr < LOCKMON_MAX_CHAIN)
		lm_finding_task_from(&e->f.t[e->f.nr++], t);
}

/* Was a finding of this kind made already for one of these waits? */
static bool lm_blame_marked(const struct lm_finding *f)
{
	struct lm_task t;
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (lm_task_copy(f->t[i].tid, &t) &&
		    t.state == LM_T_WAITING &&
		    t.futex_id == f->t[i].futex_id &&
		    (t.reported & BIT(f->kind)))
			return true;
	return false;
}

/*
 * Each lock with a preempted owner: a priority inversion when a non-PI
 * lock's best waiter outranks its owner and what runs on the owner's CPU
 * ranks between the two; else lock-holder preemption once lhp_waiters
 * tasks wait. The best waiter goes first. One finding per episode: none
 * while any of its waits has one of the kind already.
 */
static void lm_scan_blames(void)
{
	unsigned int i, k, top;
	int prio, best;

	for (i = 0; i < LM_SCAN_BLAMES && lm_blames[i].f.nr; i++) {
		struct lm_blame *e = &lm_blames[i];
		struct lm_blame_info *b = &e->f.blame;
		struct lm_finding_task tmp;

		best = INT_MAX;
		top = 0;
		for (k = 0; k < e->f.nr; k++) {
			prio = lm_task_prio(e->f.t[k].tid);
			if (prio >= 0 && prio < best) {
				best = prio;
				top = k;
			}
		}
		if (top) {
			tmp = e->f.t[0];
			e->f.t[0] = e->f.t[top];
			e->f.t[top] = tmp;
		}
		b->waiter_prio = best == INT_MAX ? -1 : best;
		lm_cpu_running(b->cpu, b);
		if (!e->pi && b->ran && b->waiter_prio >= 0 &&
		    b->waiter_prio < b->ran_prio && b->ran_prio < b->holder_prio)
			e->f.kind = LOCKMON_FINDING_PRIO_INVERSION;
		else if (e->f.nr >= READ_ONCE(lm_lhp_waiters))
			e->f.kind = LOCKMON_FINDING_HOLDER_PREEMPTED;
		else
			continue;
		if (!lm_blame_marked(&e->f))
			lm_finding_record(&e->f, 0);
	}
}

/*
 * A wait that has lasted a scan period and is still waiting while its
 * lock changed hands starve_hands times, for starve_factor times the
 * lock's median wait: a starvation finding now, since a wait that never
 * ends would never be found by its end. The end's rule, as the end
 * applies it (probes_futex.c), and once per wait.
 */
static void lm_scan_starve(const struct lm_task *t, u64 age)
{
	struct lm_finding_task ft;
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	u64 median = 0;
	u32 hands = 0;

	if ((t->reported & BIT(LOCKMON_FINDING_STARVATION)) ||
	    t->futex_idx == LM_NONE)
		return;
	b = lm_futex_lock_idx(t->futex_idx, &flags, &f);
	if (f && f->wakes >= t->fwakes + READ_ONCE(lm_starve_hands)) {
		hands = f->wakes - t->fwakes;
		if (age > f->starve_ns) {
			f->starve_ns = age;
			f->starve_hands = hands;
		}
		median = lm_futex_median(f);
		if (age < 2 * f->starve_found_ns ||
		    age < median * READ_ONCE(lm_starve_factor))
			median = 0;
		if (median)
			f->starve_found_ns = age;
	}
	lm_bucket_unlock(b, flags);
	if (!median)
		return;
	lm_finding_task_from(&ft, t);
	lm_starvation_record(&ft, t->since, age, median, hands);
}

/* The scan's own finding buffer: it runs on one CPU at a time. */
static struct lm_finding lm_scan_finding;

/*
 * A wait older than one scan period, or one whose owner looks gone: read
 * its owner again, and if the task is still in that same wait, look for
 * an orphan and a cycle.
 */
static void lm_scan_wait(struct lm_task *t)
{
	pid_t before = t->owner;
	unsigned long flags;
	struct lm_task *slot;
	struct lm_bucket *b;
	u64 read;

	if (!lm_refresh_owner(t, true) || !lm_same_wait(t))
		return;
	/* no task started after this wrote the owner word lockmon read */
	read = lm_now();
	if (t->owner != before) {
		/* keep the new owner for tasks, waitgraph and the next scan */
		b = lm_task_lock(t->tid, false, &flags, &slot);
		if (slot && slot->state == LM_T_WAITING && !slot->woken &&
		    slot->since == t->since) {
			slot->owner = t->owner;
			slot->owner_how = t->owner_how;
		}
		lm_bucket_unlock(b, flags);
		trace_lockmon_owner(t->tid, t->tgid, t->futex_id, t->owner,
				    t->owner_how, t->stack_id);
	}
	lm_orphan_record(&lm_scan_finding, t, read);
	lm_graph_check(t, true);
}

/*
 * A young wait (under one scan period) is looked at again only when its
 * owner looks gone: one PID lookup, and no read of the process's memory
 * for a wait whose owner lives.
 */
static bool lm_scan_owner_gone(const struct lm_task *t)
{
	struct lm_gone g;

	if (t->owner_how != LOCKMON_OWNER_GLIBC &&
	    t->owner_how != LOCKMON_OWNER_PI)
		return false;
	if (t->owner <= 0 || t->owner == t->tid ||
	    (t->reported & BIT(LOCKMON_FINDING_ORPHAN)))
		return false;
	return lm_owner_gone(t->owner, t->tgid, t->shared || t->pi, t->since,
			     t->since, &g);
}

/*
 * Does the stall of @pr only add to findings made already? Every thread
 * must be, right now, in the wait of the snapshot and either a member of a
 * reported cycle or orphan, or waiting on a thread that is: blocked on a
 * lock it holds, or joining it (a futex wait for the value of its TID, as
 * pthread_join() does). Each member is looked up again: a cycle found by
 * this same scan marked its members after the snapshot was taken.
 */
static bool lm_stall_covered(struct lm_proc *pr)
{
	bool in[LOCKMON_MAX_CHAIN] = { };
	s64 val[LOCKMON_MAX_CHAIN];
	pid_t owner[LOCKMON_MAX_CHAIN];
	unsigned int i, j, n = pr->f.nr, covered = 0, before;
	struct lm_task t;

	if (n != pr->blocked)
		return false;	/* threads past LOCKMON_MAX_CHAIN not seen */
	for (i = 0; i < n; i++) {
		if (!lm_task_copy(pr->f.t[i].tid, &t) ||
		    t.state != LM_T_WAITING || t.futex_id != pr->f.t[i].futex_id)
			return false;
		val[i] = t.val_known ? t.val : -1;
		owner[i] = t.owner;
		if (t.reported & (BIT(LOCKMON_FINDING_CYCLE) |
				  BIT(LOCKMON_FINDING_ORPHAN))) {
			in[i] = true;
			covered++;
		}
	}
	do {
		before = covered;
		for (i = 0; i < n; i++) {
			for (j = 0; j < n && !in[i]; j++) {
				if (!in[j])
					continue;
				if (owner[i] == pr->f.t[j].tid ||
				    val[i] == pr->f.t[j].tid) {
					in[i] = true;
					covered++;
				}
			}
		}
	} while (covered && covered < n && covered != before);
	return covered && covered == n;
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
			u64 blocked_ns = lm_now() - pr->oldest;

			pr->f.kind = LOCKMON_FINDING_STALL;
			if (lm_finding_marked(&pr->f))
				continue;
			/* a deadlock that stops the whole process: one finding */
			if (lm_stall_covered(pr) &&
			    lm_findings_add_stall(&pr->f, threads, blocked_ns))
				continue;
			pr->f.stall_threads = threads;
			pr->f.stall_blocked_ns = blocked_ns;
			if (lm_finding_record(&pr->f, 0))
				trace_lockmon_stall(pr->f.seq, pr->tgid, threads,
						    div_u64(blocked_ns,
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
	u64 lhp_ns = (u64)READ_ONCE(lm_lhp_ms) * NSEC_PER_MSEC;
	unsigned int b, i, n, budget = LM_SCAN_STACKS;
	struct lm_hpreempt hp;

	memset(lm_procs, 0, sizeof(*lm_procs) * LM_SCAN_PROCS);
	memset(lm_blames, 0, sizeof(*lm_blames) * LM_SCAN_BLAMES);
	for (b = 0; b < lm_waits_nr_chunks(); b++) {
		n = lm_waits_copy_chunk(b, buf);
		for (i = 0; i < n; i++) {
			struct lm_task *t = &buf[i];
			struct lm_proc *pr;
			u64 age;

			if (t->state != LM_T_WAITING || t->woken)
				continue;
			/* a wait that began after @now, during this walk, is new */
			age = now > t->since ? now - t->since : 0;
			if (age > (u64)lm_scan_ms * NSEC_PER_MSEC) {
				lm_scan_stack(t, &budget);
				lm_scan_wait(t);
				lm_scan_starve(t, age);
			} else if (lm_scan_owner_gone(t)) {
				lm_scan_wait(t);
			}
			lm_holder_sample(t, lm_now(), &hp);
			if (hp.off_ns >= lhp_ns && t->owner > 0)
				lm_blame_add(t, &hp);
			pr = lm_proc_of(t->tgid);
			if (!pr)
				continue;
			if (t->timed || t->shared || t->pi) {
				pr->other = true;
			} else if (age >= stall_ns) {
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
	lm_scan_blames();
	lm_pending_prune();
	lm_count(LM_CNT_scans);
	if (READ_ONCE(lm_scanning))
		queue_delayed_work(system_unbound_wq, &lm_scan_work,
				   msecs_to_jiffies(lm_scan_ms));
}

/**
 * lm_graph_scan_start() - start the periodic scan
 */
void lm_graph_scan_start(void)
{
	WRITE_ONCE(lm_scanning, true);
	queue_delayed_work(system_unbound_wq, &lm_scan_work,
			   msecs_to_jiffies(lm_scan_ms));
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
 * lm_scan_bytes() - memory held by the scan
 *
 * Return: bytes.
 */
size_t lm_scan_bytes(void)
{
	return sizeof(*lm_procs) * LM_SCAN_PROCS +
	       sizeof(*lm_blames) * LM_SCAN_BLAMES;
}

/**
 * lm_scan_init() - allocate the scan's table of processes
 *
 * Return: 0 or -ENOMEM.
 */
int lm_scan_init(void)
{
	lm_procs = vzalloc(sizeof(*lm_procs) * LM_SCAN_PROCS);
	lm_blames = vzalloc(sizeof(*lm_blames) * LM_SCAN_BLAMES);
	if (!lm_procs || !lm_blames) {
		vfree(lm_procs);
		vfree(lm_blames);
		lm_procs = NULL;
		lm_blames = NULL;
		return -ENOMEM;
	}
	return 0;
}

/**
 * lm_scan_exit() - stop the scan and free its memory
 */
void lm_scan_exit(void)
{
	lm_graph_scan_stop();
	vfree(lm_procs);
	vfree(lm_blames);
	lm_procs = NULL;
	lm_blames = NULL;
}
