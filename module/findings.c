// SPDX-License-Identifier: GPL-2.0
/*
 * Findings: a fixed ring under lm_findings_lock, which is taken only when
 * something is found, never on the ordinary event path; the cycles held
 * back because a wait in them is timed; deduplication; and the kernel-log
 * report, printed by a worker in the shape lockdep users know.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include "lockmon.h"
#include "graph.h"
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
atomic_t lm_nr_pending = ATOMIC_INIT(0);
static u64 lm_printed_seq;		/* only the report worker touches it */

/* Keep the mappings of each process of @f, once each, and its tasks' stacks. */
static void lm_report_maps(const struct lm_finding *f)
{
	unsigned int i, j;

	for (i = 0; i < f->nr; i++) {
		for (j = 0; j < i && f->t[j].tgid != f->t[i].tgid; j++)
			;
		if (j == i)
			lm_maps_note(f->t[i].tgid);
		lm_ucopy_note(&f->t[i]);
	}
}

static void lm_report_fn(struct work_struct *work);
static DECLARE_WORK(lm_report_work, lm_report_fn);

/**
 * lm_finding_task_from() - a finding's member from a task snapshot
 * @ft: the member to fill
 * @t: the task
 */
void lm_finding_task_from(struct lm_finding_task *ft, const struct lm_task *t)
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
	struct lm_bucket *b;
	unsigned int i;

	for (i = 0; i < f->nr; i++) {
		b = lm_task_lock(f->t[i].tid, false, &flags, &slot);
		if (slot && slot->state == LM_T_WAITING &&
		    slot->futex_id == f->t[i].futex_id)
			slot->reported |= BIT(f->kind);
		lm_bucket_unlock(b, flags);
	}
}

/**
 * lm_finding_marked() - was this finding made already for these waits?
 * @f: the finding
 *
 * Return: true if every member is still in the wait a finding of this
 * kind was made for.
 */
bool lm_finding_marked(const struct lm_finding *f)
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

/**
 * lm_finding_record() - put a finding in the ring, once
 * @f: the finding; its sig, time, latency and seq are filled in
 * @since: when the wait that closed it began, 0 if none
 *
 * Return: false when the same finding is in the ring already.
 */
bool lm_finding_record(struct lm_finding *f, u64 since)
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

/**
 * lm_orphan_record() - record an orphan if a wait's owner is gone
 * @f: room for the finding
 * @t: snapshot of a waiting task
 * @bound: a time after @t's owner was read from its lock word
 *
 * Only a PI or glibc owner that is not the task itself counts (an inferred
 * owner is a guess: its exit proves nothing), and only once per wait. The
 * owner is gone when no task could have written its TID in the word
 * (lm_owner_gone()); what lockmon knows of it goes in the finding. A PI
 * futex is keyed per process whether or not it is shared, so its owner
 * may be in any process.
 *
 * Return: true if a new finding was recorded.
 */
bool lm_orphan_record(struct lm_finding *f, const struct lm_task *t, u64 bound)
{
	struct lm_gone g;

	if ((t->reported & BIT(LOCKMON_FINDING_ORPHAN)) ||
	    t->owner <= 0 || t->owner == t->tid ||
	    (t->owner_how != LOCKMON_OWNER_GLIBC &&
	     t->owner_how != LOCKMON_OWNER_PI) ||
	    !lm_owner_gone(t->owner, t->tgid, t->shared || t->pi, t->since,
			   bound, &g))
		return false;
	f->kind = LOCKMON_FINDING_ORPHAN;
	f->nr = 1;
	f->seq = 0;
	f->stall_threads = 0;
	f->stall_blocked_ns = 0;
	f->owner_tgid = g.tgid;
	memcpy(f->owner_comm, g.comm, sizeof(f->owner_comm));
	lm_finding_task_from(&f->t[0], t);
	return lm_finding_record(f, t->since);
}

/* Is @t (tid, futex) a member of finding @f? */
static bool lm_finding_has(const struct lm_finding *f,
			   const struct lm_finding_task *t)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (f->t[i].tid == t->tid && f->t[i].futex_id == t->futex_id)
			return true;
	return false;
}

/**
 * lm_findings_add_stall() - a stall that only adds to findings made already
 * @stall: the stall, every thread of one process
 * @threads: the process's threads
 * @blocked_ns: how long the oldest of their waits has lasted
 *
 * The scan found every thread of a process blocked, and each of them is in
 * a cycle or an orphan finding, or waits on a thread that is. Rather than
 * a second finding for the same deadlock, each of those findings still in
 * the ring is marked: the whole process is now blocked behind it. The
 * stall's members are marked as reported, so later scans do not ask again.
 *
 * Return: how many findings were marked; 0 when none is left in the ring
 * (then the caller records the stall itself).
 */
unsigned int lm_findings_add_stall(const struct lm_finding *stall,
				   u32 threads, u64 blocked_ns)
{
	u64 seqs[LOCKMON_MAX_CHAIN];
	struct lm_finding *r;
	unsigned int found = 0, n = 0, i, j;
	unsigned long flags;
	u64 kept;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	kept = min_t(u64, lm_finding_seq, lm_max_findings);
	for (i = 0; i < kept; i++) {
		r = &lm_findings[i];
		if (r->kind != LOCKMON_FINDING_CYCLE &&
		    r->kind != LOCKMON_FINDING_ORPHAN)
			continue;
		for (j = 0; j < stall->nr; j++)
			if (lm_finding_has(r, &stall->t[j]))
				break;
		if (j == stall->nr)
			continue;
		found++;
		if (!r->stall_threads && n < ARRAY_SIZE(seqs))
			seqs[n++] = r->seq;
		r->stall_threads = threads;
		r->stall_blocked_ns = blocked_ns;
	}
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);

	if (!found)
		return 0;
	lm_finding_mark(stall);
	for (i = 0; i < n; i++) {
		pr_info("finding %llu: every thread of %s/%d (%u threads) is now blocked, the longest for %llu ms\n",
			seqs[i], stall->t[0].comm, stall->t[0].tgid, threads,
			div_u64(blocked_ns, NSEC_PER_MSEC));
		trace_lockmon_stall(seqs[i], stall->t[0].tgid, threads,
				    div_u64(blocked_ns, NSEC_PER_MSEC));
	}
	return found;
}

/**
 * lm_pending_add() - hold a cycle back until its timed waits settle
 * @f: the cycle
 */
void lm_pending_add(struct lm_finding *f)
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
noinline void lm_pending_settle(pid_t tid, int result)
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
 * lm_starvation_record() - a wait ended that starved
 * @ft: the waiter, as its wait was
 * @since: when the wait began
 * @waited_ns: how long it was
 * @median_ns: its futex's median wait then
 * @hands: the hand changes during it
 *
 * Called by the wait's end outside every lock. Off the common path: the
 * finding is big, and the stack zeroes it.
 */
noinline void lm_starvation_record(const struct lm_finding_task *ft, u64 since,
				   u64 waited_ns, u64 median_ns, u32 hands)
{
	struct lm_finding f = { .kind = LOCKMON_FINDING_STARVATION, .nr = 1 };

	f.t[0] = *ft;
	f.waited_ns = waited_ns;
	f.median_ns = median_ns;
	f.hands = hands;
	lm_finding_record(&f, since);
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

static const char *const lm_kind_names[] = {
	[LOCKMON_FINDING_CYCLE] = "cycle",
	[LOCKMON_FINDING_PI_EDEADLK] = "pi-edeadlk",
	[LOCKMON_FINDING_ORPHAN] = "orphan",
	[LOCKMON_FINDING_STALL] = "stall",
	[LOCKMON_FINDING_TRANSIENT] = "transient",
	[LOCKMON_FINDING_STARVATION] = "starvation",
	[LOCKMON_FINDING_HOLDER_PREEMPTED] = "holder-preempted",
	[LOCKMON_FINDING_PRIO_INVERSION] = "priority-inversion",
};

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

/* A stall's member: what it waits on and who, if anyone, holds that. */
static void lm_report_member(const struct lm_finding_task *t)
{
	if (t->owner > 0)
		pr_info("  %s/%d waits on 0x%llx held by %d [%s]%s\n", t->comm,
			t->tid, t->uaddr, t->owner,
			lm_owner_how_name(t->owner_how),
			t->timed ? " (timed)" : "");
	else
		pr_info("  %s/%d waits on 0x%llx, no owner known%s\n", t->comm,
			t->tid, t->uaddr, t->timed ? " (timed)" : "");
}

static void lm_report_stall(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];
	unsigned int i;

	pr_info("every thread of %s/%d (%u threads) has been blocked in an untimed futex wait for over %u ms, the longest for %llu ms\n",
		a->comm, a->tgid, f->stall_threads, lm_stall_ms,
		div_u64(f->stall_blocked_ns, NSEC_PER_MSEC));
	for (i = 0; i < f->nr; i++)
		lm_report_member(&f->t[i]);
}

static void lm_report_orphan(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];

	pr_info("%s/%d (tgid %d) waits on futex 0x%llx held by task %d [%s], which has exited\n",
		a->comm, a->tid, a->tgid, a->uaddr, a->owner,
		lm_owner_how_name(a->owner_how));
	if (f->owner_tgid)
		pr_info("the owner was %s/%d (tgid %d); it exited holding the lock\n",
			f->owner_comm, a->owner, f->owner_tgid);
	else
		pr_info("the owner exited before lockmon could see it\n");
	pr_info("found %llu ns after the wait began\n", f->latency_ns);
}

static void lm_report_refused(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];

	pr_info("%s/%d (tgid %d) was refused PI futex 0x%llx with EDEADLK\n",
		a->comm, a->tid, a->tgid, a->uaddr);
	pr_info("the kernel found that the wait would deadlock; the lock is held by task %d [%s]\n",
		a->owner, lm_owner_how_name(a->owner_how));
	pr_info("\n");
	pr_info(" *** DEADLOCK ***\n");
}

static void lm_report_starvation(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];

	pr_info("%s/%d (tgid %d) waited %llu us for futex 0x%llx, %llu times the lock's median wait of %llu us\n",
		a->comm, a->tid, a->tgid, div_u64(f->waited_ns, NSEC_PER_USEC),
		a->uaddr, div64_u64(f->waited_ns, f->median_ns ?: 1),
		div_u64(f->median_ns, NSEC_PER_USEC));
	pr_info("while the lock changed hands %u times: others took it first\n",
		f->hands);
	pr_info("the lock is unfair (it lets newcomers barge in); a fair (FIFO or ticket) lock would serve this task in turn\n");
}

/* A priority as a user sets it: "FIFO/RR 30" or "nice 0". */
static void lm_prio_str(char *buf, size_t len, int prio)
{
	if (prio < 0)
		strscpy(buf, "?", len);
	else if (prio < MAX_RT_PRIO)
		snprintf(buf, len, "rt %d", MAX_RT_PRIO - 1 - prio);
	else
		snprintf(buf, len, "nice %d", prio - DEFAULT_PRIO);
}

static void lm_report_blame(const struct lm_finding *f)
{
	const struct lm_blame_info *b = &f->blame;
	char hp[16], wp[16], rp[16];
	unsigned int i;

	lm_prio_str(hp, sizeof(hp), b->holder_prio);
	lm_prio_str(wp, sizeof(wp), b->waiter_prio);
	lm_prio_str(rp, sizeof(rp), b->ran_prio);
	pr_info("%s/%d (tgid %d, %s) holds futex 0x%llx and has been runnable but off CPU %u for %llu ms\n",
		b->holder_comm, b->holder, b->holder_tgid, hp, f->t[0].uaddr,
		b->cpu, div_u64(b->off_ns, NSEC_PER_MSEC));
	if (b->ran)
		pr_info("running on CPU %u instead: %s/%d (tgid %d, %s)\n",
			b->cpu, b->ran_comm, b->ran, b->ran_tgid, rp);
	for (i = 0; i < f->nr; i++)
		pr_info("  %s/%d waits on it%s\n", f->t[i].comm, f->t[i].tid,
			i || f->kind != LOCKMON_FINDING_PRIO_INVERSION ? "" :
			", the waiter of highest priority");
	if (f->kind == LOCKMON_FINDING_PRIO_INVERSION)
		pr_info("priority inversion: %s/%d (%s) waits for %s/%d (%s), which %s/%d (%s) keeps off the CPU; a PI mutex (PTHREAD_PRIO_INHERIT) would lend the holder the waiter's priority\n",
			f->t[0].comm, f->t[0].tid, wp, b->holder_comm,
			b->holder, hp, b->ran_comm, b->ran, rp);
	else
		pr_info("the lock's holder is preempted while tasks wait: check CPU contention, affinity or isolation on CPU %u\n",
			b->cpu);
}

/* A cycle, as lockdep prints one: the chain and, for two, the scenario. */
static void lm_report_cycle(const struct lm_finding *f)
{
	const struct lm_finding_task *a = &f->t[0];
	unsigned int i;

	pr_info("%s/%d is trying to acquire futex 0x%llx (tgid %d)\n",
		a->comm, a->tid, a->uaddr, a->tgid);
	pr_info("but it is held by task %d [%s]\n", a->owner,
		lm_owner_how_name(a->owner_how));
	pr_info("\n");
	pr_info("Chain exists of:\n");
	for (i = 0; i < f->nr; i++)
		pr_info("  -> #%u %s/%d (tgid %d) waits on 0x%llx held by %d [%s]%s\n",
			f->nr - 1 - i, f->t[i].comm, f->t[i].tid, f->t[i].tgid,
			f->t[i].uaddr, f->t[i].owner,
			lm_owner_how_name(f->t[i].owner_how),
			f->t[i].timed ? " (timed)" : "");
	if (f->nr == 2) {
		pr_info("\n");
		pr_info(" Possible scenario:\n");
		pr_info("       T%-18d T%d\n", f->t[0].tid, f->t[1].tid);
		pr_info("       ----                ----\n");
		pr_info("  lock(0x%llx);\n", f->t[1].uaddr);
		pr_info("                           lock(0x%llx);\n", f->t[0].uaddr);
		pr_info("  lock(0x%llx);\n", f->t[0].uaddr);
		pr_info("                           lock(0x%llx);\n", f->t[1].uaddr);
	}
	pr_info("\n");
	if (f->kind == LOCKMON_FINDING_TRANSIENT) {
		pr_info("it dissolved when one of its timed waits ended\n");
		return;
	}
	pr_info(" *** DEADLOCK ***\n");
	pr_info("found %llu ns after %s/%d's wait began\n", f->latency_ns,
		a->comm, a->tid);
}

/* The kernel log report: a format of its own for each kind of finding. */
static void lm_report_print(const struct lm_finding *f)
{
	static const char *const title[] = {
		[LOCKMON_FINDING_CYCLE] = "deadlock cycle",
		[LOCKMON_FINDING_PI_EDEADLK] = "PI lock refused",
		[LOCKMON_FINDING_ORPHAN] = "orphaned lock",
		[LOCKMON_FINDING_STALL] = "stall",
		[LOCKMON_FINDING_TRANSIENT] = "transient cycle",
		[LOCKMON_FINDING_STARVATION] = "lock starvation",
		[LOCKMON_FINDING_HOLDER_PREEMPTED] = "lock holder preempted",
		[LOCKMON_FINDING_PRIO_INVERSION] = "priority inversion",
	};

	pr_info("======================================================\n");
	pr_info("user-space %s: %u task%s [finding %llu]\n",
		f->kind < ARRAY_SIZE(title) && title[f->kind] ?
		title[f->kind] : "?", f->nr, f->nr == 1 ? "" : "s", f->seq);
	pr_info("------------------------------------------------------\n");
	switch (f->kind) {
	case LOCKMON_FINDING_STALL:
		lm_report_stall(f);
		break;
	case LOCKMON_FINDING_ORPHAN:
		lm_report_orphan(f);
		break;
	case LOCKMON_FINDING_PI_EDEADLK:
		lm_report_refused(f);
		break;
	case LOCKMON_FINDING_STARVATION:
		lm_report_starvation(f);
		break;
	case LOCKMON_FINDING_HOLDER_PREEMPTED:
	case LOCKMON_FINDING_PRIO_INVERSION:
		lm_report_blame(f);
		break;
	default:
		lm_report_cycle(f);
		break;
	}
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
		lm_report_maps(f);
		if (burst++ < LM_LOG_BURST)
			lm_report_print(f);
		else if (burst == LM_LOG_BURST + 1)
			pr_info("more findings: see /sys/kernel/debug/lockmon/deadlocks\n");
	}
	kfree(f);
}

/**
 * lm_pending_prune() - drop held-back cycles whose tasks are gone
 *
 * A held-back cycle whose tasks exited never sees its waits end: drop it,
 * so lm_graph_wait_ended() goes back to its one-atomic-read fast path.
 */
void lm_pending_prune(void)
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

/**
 * lm_findings_set_stack() - give a finding's member the stack of its wait
 * @tid: the member's task
 * @futex_id: the futex it waits on
 * @stack_id: the stack
 *
 * Only members that have none yet are given it.
 */
void lm_findings_set_stack(pid_t tid, u64 futex_id, u32 stack_id)
{
	unsigned long flags;
	u64 i, kept;
	int j;

	raw_spin_lock_irqsave(&lm_findings_lock, flags);
	kept = min_t(u64, lm_finding_seq, lm_max_findings);
	for (i = 0; i < kept; i++)
		for (j = 0; j < lm_findings[i].nr; j++)
			if (lm_findings[i].t[j].tid == tid &&
			    lm_findings[i].t[j].futex_id == futex_id &&
			    !lm_findings[i].t[j].stack_id)
				lm_findings[i].t[j].stack_id = stack_id;
	raw_spin_unlock_irqrestore(&lm_findings_lock, flags);
}

/**
 * lm_findings_reset() - forget every finding
 */
void lm_findings_reset(void)
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
	lm_maps_reset();
	lm_ucopy_reset();
}

/**
 * lm_findings_bytes() - memory held for findings (the kept mappings apart)
 *
 * Return: bytes.
 */
size_t lm_findings_bytes(void)
{
	return sizeof(*lm_findings) * lm_max_findings + sizeof(lm_pending);
}

/**
 * lm_findings_init() - allocate the findings ring
 *
 * Return: 0 or -ENOMEM.
 */
int lm_findings_init(void)
{
	lm_findings = vzalloc(sizeof(*lm_findings) * lm_max_findings);
	if (!lm_findings || lm_maps_init() || lm_ucopy_init()) {
		vfree(lm_findings);
		lm_findings = NULL;
		lm_maps_exit();
		return -ENOMEM;
	}
	return 0;
}

/**
 * lm_findings_exit() - wait for the report worker and free the ring
 */
void lm_findings_exit(void)
{
	flush_work(&lm_report_work);
	vfree(lm_findings);
	lm_findings = NULL;
	lm_maps_exit();
	lm_ucopy_exit();
}
