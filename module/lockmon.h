/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon internals shared by the module's files.
 *
 * Data path: probes_futex.c (ftrace hooks and three kretprobes) and
 * probes_sched.c (exit, fork) -> waits.c (per-task state)
 * and stats.c (per-futex figures), both in table.c's tables -> owners.c,
 * cycles.c, findings.c and scan.c (the wait-for graph and its findings)
 * -> debugfs.c and trace.h -> lockmon-report.
 */
#ifndef LOCKMON_H
#define LOCKMON_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <uapi/linux/lockmon.h>
#include "table.h"

#define LM_CHUNK	8	/* table entries a snapshot copies at once */
#define LM_NONE		U32_MAX
#define LM_HIST		40	/* log2(ns) buckets: 1 ns .. ~18 min */

/* Module parameters, fixed at load (main.c). */
extern unsigned int lm_max_tasks;
extern unsigned int lm_max_futexes;
extern unsigned int lm_max_stacks;
extern unsigned int lm_max_findings;
extern unsigned int lm_stall_ms;
extern unsigned int lm_scan_ms;
extern unsigned int lm_again_keyed;
extern unsigned int lm_starve_hands;
extern unsigned int lm_starve_factor;
extern unsigned int lm_lhp_ms;
extern unsigned int lm_lhp_waiters;
extern unsigned int lm_max_maps;
extern unsigned int lm_max_ucopies;

/* Counters, see counters.h. */
enum lm_counter {
#define LM_COUNTER(name, desc) LM_CNT_##name,
#include "counters.h"
#undef LM_COUNTER
	LM_NR_COUNTERS
};

struct lm_counters {
	u64 c[LM_NR_COUNTERS];
};

DECLARE_PER_CPU(struct lm_counters, lm_counters);

/*
 * The clock of every wait: CLOCK_MONOTONIC without the seqcount retry
 * loop of ktime_get_ns(), and safe in any context.
 */
static inline u64 lm_now(void)
{
	return ktime_get_mono_fast_ns();
}

/*
 * The handoff of a woken waiter: how long it waited for a CPU after its
 * wake-up. With CONFIG_SCHED_INFO the scheduler adds exactly that to the
 * task's own sched_info.run_delay (from the enqueue of the wake-up to the
 * switch onto a CPU), so the waiter reads the counter as it blocks and
 * again as it runs, and the waker needs no clock read. Without it, the
 * waker's hook stamps the wake and the waiter takes the difference.
 * Both are called by the waiter, and lm_handoff_woken() by its waker.
 */
#ifdef CONFIG_SCHED_INFO
#define lm_run_delay(p)		((p)->sched_info.run_delay)
#else
#define lm_run_delay(p)		0ULL
#endif

static inline u64 lm_handoff_blocked(void)
{
	return IS_ENABLED(CONFIG_SCHED_INFO) ? lm_run_delay(current) : 0;
}

static inline u64 lm_handoff_woken(void)
{
	return IS_ENABLED(CONFIG_SCHED_INFO) ? 0 : lm_now();
}

static inline u64 lm_handoff_ns(u64 mark, u64 now)
{
	if (IS_ENABLED(CONFIG_SCHED_INFO))
		return lm_run_delay(current) - mark;
	return mark && now > mark ? now - mark : 0;
}

/*
 * @n words of @size bytes (4 or 8) of current's memory at @addr, without
 * faults: what copy_from_user_nofault() does, as word loads in one
 * user-access window. That skips its hardened-usercopy check of the
 * destination and its string copy (which -icount counts byte by byte);
 * the owner's words and the user stack are read this way.
 */
static __always_inline bool lm_uread_nofault(void *dst, unsigned long addr,
					     unsigned int n, unsigned int size)
{
	unsigned int i;
	bool ok = false;

	pagefault_disable();
	if (!user_access_begin((const void __user *)addr, n * size))
		goto out;
	for (i = 0; i < n; i++) {
		if (size == 4)
			unsafe_get_user(((u32 *)dst)[i],
					(const u32 __user *)addr + i, fault);
		else
			unsafe_get_user(((u64 *)dst)[i],
					(const u64 __user *)addr + i, fault);
	}
	ok = true;
fault:
	user_access_end();
out:
	pagefault_enable();
	return ok;
}

static inline void lm_count(enum lm_counter c)
{
	this_cpu_inc(lm_counters.c[c]);
}

u64 lm_counter_sum(enum lm_counter c);
void lm_counters_reset(void);
const char *lm_counter_name(enum lm_counter c);

/*
 * Filter and capture settings written through the control file. The comm
 * filter is 16 bytes no store writes at once: it is written under @lock in
 * a write section of @seq and read with read_seqcount_begin() and
 * read_seqcount_retry(), so no reader sees half of it. Not a seqlock_t:
 * on PREEMPT_RT its lock is a sleeping one, which a reader that finds a
 * write in progress takes, and the readers are the probes, which must not
 * sleep; the raw lock keeps the writer on its CPU with interrupts off.
 */
struct lm_settings {
	raw_spinlock_t lock;		/* serialises the writers of comm */
	seqcount_raw_spinlock_t seq;	/* for comm */
	pid_t pid;			/* 0: every process */
	pid_t tree;			/* else only the tgids lm_tree_has() */
	char comm[TASK_COMM_LEN];	/* "": every command */
	unsigned int capture_pct;	/* user stacks on this % of waits */
	unsigned int stack_ns;		/* or: Go's block-profile rate (ns) */
};

extern struct lm_settings lm_settings;

bool __lm_filtered(struct task_struct *t);

/* Is this task outside the pid/comm/tree filter? Inline for no filter. */
static inline bool lm_filtered(struct task_struct *t)
{
	if (!READ_ONCE(lm_settings.pid) && !READ_ONCE(lm_settings.comm[0]) &&
	    !READ_ONCE(lm_settings.tree))
		return false;
	return __lm_filtered(t);
}

void lm_settings_comm(char *comm);
void lm_settings_set_filter(int pid, const char *comm);
void lm_tree_set(pid_t root);
bool lm_tree_has(pid_t tgid);
void lm_tree_fork(struct task_struct *parent, struct task_struct *child);
void lm_tree_exit(struct task_struct *p);

/* ---- waits.c: per-task wait state ------------------------------------ */

enum lm_task_state {
	LM_T_IDLE = 0,		/* tracked, not in a futex wait */
	LM_T_ENTERED,		/* inside futex_wait_requeue_pi, not queued yet */
	LM_T_WAITING,		/* queued: blocked on futex_id */
};

/* Which hook ends a wait: the path it came in by. */
enum lm_via {
	LM_VIA_WAIT = 0,	/* futex_wait: ends in futex_unqueue() */
	LM_VIA_REQUEUE_PI,	/* futex_wait_requeue_pi: its kretprobe */
	LM_VIA_PI,		/* futex_lock_pi: its kretprobe */
	LM_VIA_WAITV,		/* futex_wait_multiple: its kretprobe */
};

struct lm_task {
	struct lm_tnode tn;	/* first: the table's */
	pid_t tid;
	pid_t tgid;
	u8 state;
	u8 timed;		/* the wait has a timeout */
	u8 woken;		/* a waker marked it; handoff pending */
	u8 owner_how;		/* enum lockmon_owner_how */
	u8 pi;
	u8 kind;		/* glibc mutex kind, when owner_how is GLIBC */
	u8 shared;
	u8 via;			/* enum lm_via */
	u8 val_known;		/* val is the value the waiter expects */
	u8 hinted;		/* counted in lm_blocked_hint[] */
	u8 rewoken;		/* the last blocking wait ended woken */
	u16 reported;		/* BIT(finding kind)s made for this wait */
	pid_t owner;
	pid_t last_waker;
	u32 val;		/* expected futex value (futex_wait) */
	u32 futex_idx;		/* slot in the futex table, or LM_NONE */
	u32 stack_id;
	u64 futex_id;
	u64 uaddr;
	u64 since;		/* when it blocked */
	u64 wake_ns;		/* lm_handoff_mark(): see compat.h */
	/*
	 * The futex's wakes when the wait blocked; from its end on, when it
	 * ended, with lm_woke_gen[] of the tid then (woke_gen): a re-wait
	 * is told by both unchanged (design.rst, "Fairness").
	 */
	u64 fwakes;
	u32 woke_gen;
	/* the wait's hrtimer_sleeper, to tell a timeout; never printed */
	const struct hrtimer_sleeper *timer;
	char comm[TASK_COMM_LEN];
	/*
	 * The owner's state, sampled by the scan (holder.c). Each field
	 * belongs to this wait only when hseen >= since, so blocking resets
	 * none of them.
	 */
	u64 hseen;		/* last sample */
	u64 hmark;		/* wait time charged to the futex up to here */
	u64 hrun, hdelay;	/* owner's run time and run delay at hseen */
	pid_t howner;		/* whose run time and delay those are */
	u16 hrun_f, hdelay_f;	/* last measured split, in 1/1024 */
	u8 hstate;		/* enum lockmon_holder_state at hseen */
	u8 hoff;		/* where off-CPU time went in that split */
};

/*
 * Whether a TID may be blocked, without its slot's lock: a count per TID
 * hash of the tasks in LM_T_WAITING. Zero means "not blocked", and the
 * chain check of a wait whose owner is not blocked stops at that one load.
 * A count is raised with a full barrier before the blocker reads its
 * owner's, so of two tasks blocking on each other at once at least one
 * sees the other and takes the locked path. Slots dropped by a table reset
 * leave their counts raised: a false "may be", never a false "not".
 */
#define LM_BLOCKED_HINTS	4096
extern atomic_t lm_blocked_hint[LM_BLOCKED_HINTS];

static inline void lm_hint_raise(struct lm_task *t)
{
	atomic_inc(&lm_blocked_hint[t->tid & (LM_BLOCKED_HINTS - 1)]);
	/* the raise before the owner's count is read: see above */
	smp_mb__after_atomic();
	t->hinted = 1;
}

static inline void lm_hint_drop(struct lm_task *t)
{
	if (t->hinted) {
		atomic_dec(&lm_blocked_hint[t->tid & (LM_BLOCKED_HINTS - 1)]);
		t->hinted = 0;
	}
}

/*
 * Whether a TID has woken a futex waiter lately: a generation per TID
 * hash that futex_wake_mark() bumps for the waker, without a lock. A
 * collision only makes a re-wait look like a wait after a release.
 */
extern u32 lm_woke_gen[LM_BLOCKED_HINTS];

static inline u32 lm_woke_gen_of(pid_t tid)
{
	return READ_ONCE(lm_woke_gen[tid & (LM_BLOCKED_HINTS - 1)]);
}

static inline bool lm_hint_may_block(pid_t tid)
{
	return atomic_read(&lm_blocked_hint[tid & (LM_BLOCKED_HINTS - 1)]) > 0;
}

size_t lm_memory_bytes(void);
size_t lm_probes_futex_bytes(void);
void lm_stats_forget_waiters(void);
int lm_waits_init(void);
void lm_waits_exit(void);
void lm_waits_reset(void);
size_t lm_waits_bytes(void);
unsigned int lm_waits_nr_chunks(void);

/*
 * The lock calls return the bucket locked whether or not they found the
 * entry, and lm_bucket_unlock() (table.h) releases it: the lock is never
 * held on some returns only, so sparse checks every caller's pairing.
 */
extern struct lm_table lm_tasks;
struct lm_task *lm_task_insert(struct lm_bucket *b, pid_t tid);

/**
 * lm_task_lock() - find a task's slot and lock its bucket
 * @tid: thread id
 * @create: claim a free slot when the task is not tracked yet
 * @flags: saved irq flags, for lm_bucket_unlock()
 * @tp: set to the slot, or NULL when the task is not tracked and @create
 *      is false or the pool is empty
 *
 * Inline: each hook of a wait takes one, and a call, its saved registers
 * and the two results through memory cost as much as the lookup.
 *
 * Return: the task's bucket, locked in either case.
 */
static inline struct lm_bucket *lm_task_lock(pid_t tid, bool create,
					     unsigned long *flags,
					     struct lm_task **tp)
	__acquires(lm_bucket)
{
	struct lm_bucket *b = lm_table_bucket(&lm_tasks,
					      hash_32((u32)tid, 32));
	struct lm_task *t;

	lm_bucket_lock(b, flags);
	lm_table_for_each(t, b)
		if (t->tid == tid)
			goto found;
	t = create ? lm_task_insert(b, tid) : NULL;
found:
	*tp = t;
	return b;
}

bool lm_task_copy(pid_t tid, struct lm_task *out);
void lm_task_forget(pid_t tid);
/* Copy chunk @c's tracked tasks into @out; returns how many. */
unsigned int lm_waits_copy_chunk(unsigned int c, struct lm_task *out);

/* ---- stats.c: per-futex figures -------------------------------------- */

struct lm_fkey {
	u64 ptr;
	u64 word;
	u64 offset;
};

struct lm_futex {
	struct lm_tnode tn;	/* first: the table's */
	struct lm_fkey key;
	u64 id;			/* keyed hash of the key: never a pointer */
	u64 uaddr;		/* address in tgid (first process seen) */
	u64 uaddr2;		/* address in tgid2 (shared futexes) */
	pid_t tgid;
	pid_t tgid2;
	u8 shared;
	u8 pi;
	u8 glibc;		/* owner found in a glibc mutex at least once */
	u8 owner_how;
	pid_t owner;		/* last owner resolved by a blocking waiter */
	pid_t last_waker;
	u32 waiters;		/* blocked right now */
	u32 distinct;		/* distinct waiting tids (bloom estimate) */
	u64 blocked, again, timeouts, signals, wakes, mutual_wakes;
	u64 rewaits;		/* woken waiters that blocked again at once */
	u64 starve_ns;		/* longest wait with >= starve_hands wakes */
	u32 starve_hands;	/* ... and the wakes during it */
	u64 starve_found_ns;	/* the longest wait a starvation finding named */
	u64 total_ns, max_ns;
	u64 hand_ns, hand_max_ns, hand_count;
	u64 bloom[4];
	u32 hist[LM_HIST];
	u64 hold_ns[LOCKMON_HOLDER_NR];	/* wait time by owner state */
	u32 hold_sys;		/* syscall + 1 a sleeping owner was in; 0 none */
};

int lm_stats_init(void);
void lm_stats_exit(void);
void lm_stats_reset(void);
size_t lm_stats_bytes(void);
unsigned int lm_stats_nr_chunks(void);

void lm_fkey_private(struct lm_fkey *k, struct mm_struct *mm, u64 uaddr);
u64 lm_fkey_id(const struct lm_fkey *k);
extern struct lm_table lm_futexes;
struct lm_futex *lm_futex_insert(struct lm_bucket *b, const struct lm_fkey *k);

static inline u32 lm_fkey_hash(const struct lm_fkey *k)
{
	return (u32)hash_64(k->ptr ^ (k->word + k->offset), 32);
}

/*
 * The two lookups of a futex entry are inline, as lm_task_lock() is: each
 * blocking wait takes both, one as it blocks and one as it ends.
 */

/**
 * lm_futex_lock() - find a futex's entry and lock its bucket
 * @k: the futex key
 * @create: claim a free entry when the futex is new
 * @idx: set to the entry's index in the table
 * @flags: saved irq flags, for lm_bucket_unlock()
 * @fp: set to the entry, or NULL when it is not tracked
 *
 * Return: the futex's bucket, locked in either case.
 */
static inline struct lm_bucket *lm_futex_lock(const struct lm_fkey *k,
					      bool create, u32 *idx,
					      unsigned long *flags,
					      struct lm_futex **fp)
	__acquires(lm_bucket)
{
	struct lm_bucket *b = lm_table_bucket(&lm_futexes, lm_fkey_hash(k));
	struct lm_futex *f;

	lm_bucket_lock(b, flags);
	lm_table_for_each(f, b)
		if (f->key.ptr == k->ptr && f->key.word == k->word &&
		    f->key.offset == k->offset)
			goto found;
	f = create ? lm_futex_insert(b, k) : NULL;
found:
	*idx = f ? lm_table_idx(&lm_futexes, f) : LM_NONE;
	*fp = f;
	return b;
}

/**
 * lm_futex_lock_idx() - lock a futex entry by index
 * @idx: index from lm_futex_lock()
 * @flags: saved irq flags, for lm_bucket_unlock()
 * @fp: set to the entry, or NULL if it is not in use (reset, or a bad
 *      index)
 *
 * An entry not in use has no bucket of its own, and the first one is
 * locked then, so that the caller's unlock is the same on every path.
 *
 * Return: the entry's bucket (or the first), locked.
 */
static inline struct lm_bucket *lm_futex_lock_idx(u32 idx,
						  unsigned long *flags,
						  struct lm_futex **fp)
	__acquires(lm_bucket)
{
	struct lm_futex *f = lm_table_entry(&lm_futexes, idx);
	u32 bk = f && READ_ONCE(f->tn.used) ? READ_ONCE(f->tn.bucket) : 0;
	struct lm_bucket *b = &lm_futexes.buckets[bk];

	lm_bucket_lock(b, flags);
	*fp = f && f->tn.used && f->tn.bucket == bk ? f : NULL;
	return b;
}

/*
 * The figures a wait adds to its futex's entry, inline: the probes call
 * them on every blocking wait, under the entry's bucket lock.
 */
static inline void lm_bloom_bits(pid_t tid, unsigned int *a, unsigned int *b)
{
	u32 h = hash_32((u32)tid, 16);

	*a = h & 255;
	*b = (h >> 8) & 255;
}

/**
 * lm_futex_add_waiter() - note a task blocking on the futex
 * @f: locked entry
 * @tid: the waiter
 *
 * Distinct waiters are counted with a 256-bit, two-hash Bloom filter: a tid
 * already seen is never counted twice; a new one is missed only when both
 * its bits were set by others.
 */
static inline void lm_futex_add_waiter(struct lm_futex *f, pid_t tid)
{
	unsigned int a, b;
	bool seen;

	lm_bloom_bits(tid, &a, &b);
	seen = (f->bloom[a / 64] & BIT_ULL(a % 64)) &&
	       (f->bloom[b / 64] & BIT_ULL(b % 64));
	if (!seen) {
		f->distinct++;
		f->bloom[a / 64] |= BIT_ULL(a % 64);
		f->bloom[b / 64] |= BIT_ULL(b % 64);
	}
	f->waiters++;
}

/**
 * lm_futex_had_waiter() - has @tid ever blocked on this futex?
 * @f: locked entry
 * @tid: the task
 *
 * Return: true if probably yes (Bloom filter).
 */
static inline bool lm_futex_had_waiter(const struct lm_futex *f, pid_t tid)
{
	unsigned int a, b;

	lm_bloom_bits(tid, &a, &b);
	return (f->bloom[a / 64] & BIT_ULL(a % 64)) &&
	       (f->bloom[b / 64] & BIT_ULL(b % 64));
}

/**
 * lm_futex_add_wake() - account the wake that ended a wait
 * @f: locked entry
 * @waker: the task that woke the waiter
 *
 * A waker that has blocked on this futex itself hands a lock along; see
 * lm_futex_class().
 */
static inline void lm_futex_add_wake(struct lm_futex *f, pid_t waker)
{
	f->wakes++;
	if (lm_futex_had_waiter(f, waker))
		f->mutual_wakes++;
	f->last_waker = waker;
}

/**
 * lm_futex_add_wait() - account a finished blocking wait
 * @f: locked entry
 * @ns: how long the task was blocked
 * @result: enum lockmon_wait_result
 */
static inline void lm_futex_add_wait(struct lm_futex *f, u64 ns, int result)
{
	unsigned int bucket = ns ? min_t(unsigned int, ilog2(ns), LM_HIST - 1) : 0;

	if (f->waiters)
		f->waiters--;
	if (result == LOCKMON_WAIT_AGAIN) {
		/* futex_waitv(): a value had changed, nothing slept */
		f->again++;
		return;
	}
	f->blocked++;
	f->total_ns += ns;
	if (ns > f->max_ns)
		f->max_ns = ns;
	f->hist[bucket]++;
	if (result == LOCKMON_WAIT_TIMEOUT)
		f->timeouts++;
	else if (result == LOCKMON_WAIT_SIGNAL)
		f->signals++;
}

void lm_futex_add_again(struct mm_struct *mm, u64 uaddr, pid_t tgid);
void lm_stats_flush_again(void);
enum lockmon_class lm_futex_class(const struct lm_futex *f);
unsigned int lm_stats_copy_chunk(unsigned int c, struct lm_futex *out);

/* ---- stacks.c: bounded, deduplicated user stacks --------------------- */

int lm_stacks_init(void);
void lm_stacks_exit(void);
void lm_stacks_reset(void);
size_t lm_stacks_bytes(void);

/**
 * lm_stacks_on() - does any stack setting ask for stacks?
 *
 * Inline: each wake of a lock's waiter asks.
 *
 * Return: false when both capture and stack_ns are 0.
 */
static inline bool lm_stacks_on(void)
{
	return READ_ONCE(lm_settings.capture_pct) ||
	       READ_ONCE(lm_settings.stack_ns);
}

/* stacks.c's sampling state, per CPU */
DECLARE_PER_CPU(u32, lm_capture_tick);
DECLARE_PER_CPU(u32, lm_rand);

/**
 * lm_stack_weight() - does a finished wait get a stack, and what it weighs
 * @wait_ns: how long the wait lasted
 * @take: set when a stack is to be taken for it
 *
 * By default Go's block-profile rule with rate R = stack_ns: a wait of at
 * least R is always sampled; a shorter one with probability wait/R, and
 * then stands for R nanoseconds, so wait time summed by stack is unbiased.
 * With capture set instead, capture percent of the waits are sampled (a
 * per-CPU counter, not a draw), each standing for wait * 100 / capture.
 * With both 0 no stack is taken and each wait stands for itself.
 *
 * Inline: every blocking wait's end and every wake of a lock asks.
 *
 * Return: the nanoseconds this wait stands for in a stack profile; 0 when
 * it was not sampled (other samples stand for it).
 */
static inline u64 lm_stack_weight(u64 wait_ns, bool *take)
{
	unsigned int pct = READ_ONCE(lm_settings.capture_pct);
	u64 rate = READ_ONCE(lm_settings.stack_ns);
	u32 x;

	*take = false;
	if (current->flags & PF_KTHREAD)
		return wait_ns;
	if (pct) {
		if (this_cpu_inc_return(lm_capture_tick) % 100 >= pct)
			return 0;
		*take = true;
		return div_u64(wait_ns * 100, pct);
	}
	if (!rate)
		return wait_ns;
	if (wait_ns < rate) {
		/* xorshift32: cheap, and good enough to pick samples */
		x = this_cpu_read(lm_rand) ?: 2463534242U;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		this_cpu_write(lm_rand, x);
		if (((u64)x * rate) >> 32 >= wait_ns)
			return 0;
		wait_ns = rate;
	}
	*take = true;
	return wait_ns;
}

u32 lm_stack_capture(void);
u32 lm_stack_capture_task(struct task_struct *p);
/* Copy stack @id; returns its depth (0: none). */
unsigned int lm_stack_get(u32 id, pid_t *tgid, u64 *ips);

/* ---- owners.c, cycles.c, findings.c, scan.c: the wait-for graph ------ */

struct lm_finding_task {
	pid_t tid;
	pid_t tgid;
	pid_t owner;
	u8 owner_how;
	u8 timed;
	u32 stack_id;
	u64 futex_id;
	u64 uaddr;
	char comm[TASK_COMM_LEN];
};

struct lm_finding {
	u64 seq;		/* 1, 2, ... */
	u64 time_ns;		/* when it was recorded */
	u64 latency_ns;		/* from the closing wait to the record */
	u64 sig;		/* identity, for reporting once */
	u8 kind;		/* enum lockmon_finding_kind */
	u8 nr;
	u32 stall_threads;	/* the process all blocked (stall): threads */
	u64 stall_blocked_ns;	/* ... and how long its oldest wait had lasted */
	/* what only one kind has: a union, so a finding's copy stays small */
	union {
		struct {
			/* orphan: the dead owner's process, 0 unknown */
			pid_t owner_tgid;
			char owner_comm[TASK_COMM_LEN];	/* "" unknown */
		};
		struct {
			/* starvation (ABI 1.6): the wait, its median, hands */
			u64 waited_ns, median_ns;
			u32 hands;
		};
		/*
		 * holder preempted, priority inversion (ABI 1.7); t[0] is
		 * the waiter of highest priority
		 */
		struct lm_blame_info {
			pid_t holder, holder_tgid;
			int holder_prio;	/* the kernel's: 0-99 RT, 100-139 */
			u32 cpu;		/* where the holder waits for one */
			u64 off_ns;		/* runnable, not running, so long */
			pid_t ran, ran_tgid;	/* on that CPU instead; 0 unknown */
			int ran_prio, waiter_prio;
			char holder_comm[TASK_COMM_LEN];
			char ran_comm[TASK_COMM_LEN];
		} blame;
	};
	struct lm_finding_task t[LOCKMON_MAX_CHAIN];
};

int lm_findings_init(void);
void lm_findings_exit(void);
void lm_findings_reset(void);
size_t lm_findings_bytes(void);
int lm_scan_init(void);
void lm_scan_exit(void);
size_t lm_scan_bytes(void);

pid_t lm_resolve_owner(u64 uaddr, bool pi, bool shared, s64 val, bool known,
		       u8 *how, u8 *kind);
/* lm_resolve_owner()'s @kind when the owner is a thread that has died */
#define LM_KIND_DEAD	0x80
void lm_exited_init(void);
void lm_exited_record(const struct task_struct *p);
void lm_exited_reset(void);
size_t lm_exited_bytes(void);
void lm_graph_orphan_block(pid_t tid);
void lm_graph_check(const struct lm_task *self, bool settled);
void __lm_graph_check_block(pid_t tid, pid_t owner, u8 how, u8 kind);

/**
 * lm_graph_check_block() - the chain check of a task that is blocking now
 * @tid: current, just blocked
 * @owner: the owner it blocked on, 0 if none
 * @how: enum lockmon_owner_how
 * @kind: glibc mutex kind
 *
 * Inline, the tests that end most checks: no owner, or one that the
 * lockless hint says is not blocked (lm_hint_may_block()). The rest is
 * __lm_graph_check_block().
 */
static inline void lm_graph_check_block(pid_t tid, pid_t owner, u8 how,
					u8 kind)
{
	if (!owner || (owner != tid && !lm_hint_may_block(owner)))
		return;
	__lm_graph_check_block(tid, owner, how, kind);
}

void lm_graph_pi_edeadlk(const struct lm_task *self);
void lm_starvation_record(const struct lm_finding_task *ft, u64 since,
			  u64 waited_ns, u64 median_ns, u32 hands);
u64 lm_futex_median(const struct lm_futex *f);
/* held-back cycles (findings.c): none, the common case, is one load */
extern atomic_t lm_nr_pending;
void lm_pending_settle(pid_t tid, int result);

/**
 * lm_graph_wait_ended() - a wait ended: settle held-back cycles through it
 * @tid: the task whose wait ended
 * @result: enum lockmon_wait_result
 *
 * A cycle that contains a timed wait is held back. If that wait then times
 * out or is interrupted, the cycle dissolved: it is reported as transient,
 * never as a deadlock. If it ends any other way it is dropped. Inline: every
 * wait's end asks, and there is seldom a held-back cycle.
 */
static inline void lm_graph_wait_ended(pid_t tid, int result)
{
	if (atomic_read(&lm_nr_pending))
		lm_pending_settle(tid, result);
}

void lm_graph_set_stack(pid_t tid, u64 futex_id, u32 stack_id);
/* Copy finding number @i (0 = oldest kept); false past the end. */
bool lm_finding_get(unsigned int i, struct lm_finding *out);
void lm_graph_scan_start(void);
const char *lm_owner_how_name(unsigned int how);
const char *lm_finding_kind_name(unsigned int kind);
void lm_graph_scan_stop(void);

/* ---- maps.c: file mappings of processes with findings ----------------- */

void lm_maps_note(pid_t tgid);
void lm_maps_show(struct seq_file *m);
void lm_maps_reset(void);
size_t lm_maps_bytes(void);
int lm_maps_init(void);
void lm_maps_exit(void);

/* ---- ucopy.c: user registers and stack of tasks in findings ---------- */
#define LM_UCOPY_BYTES	4096
extern const struct file_operations lm_ucopy_fops;
void lm_ucopy_note(const struct lm_finding_task *ft);
void lm_ucopy_reset(void);
size_t lm_ucopy_bytes(void);
int lm_ucopy_init(void);
void lm_ucopy_exit(void);

/* ---- holder.c: what the owner does while tasks wait ------------------ */

/* A preempted owner, as the scan's look at it found it. */
struct lm_hpreempt {
	u64 off_ns;		/* runnable but off-CPU so long; 0: not */
	int prio;
	u32 cpu;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
};

void lm_holder_sample(const struct lm_task *t, u64 now,
		      struct lm_hpreempt *hp);
int lm_task_prio(pid_t tid);
bool lm_cpu_running(u32 cpu, struct lm_blame_info *b);
void lm_holder_wait_seen(struct lm_futex *f, const struct lm_task *t, u64 now);

/**
 * lm_holder_wait_end() - charge the rest of a blocking wait that ends
 * @f: the wait's futex, locked
 * @t: the waiting task, locked
 * @now: the end of the wait
 *
 * A wait no scan looked at, the common one, is charged unknown here, with
 * no call; the rest of one it did, by the split the last look measured.
 */
static inline void lm_holder_wait_end(struct lm_futex *f,
				      const struct lm_task *t, u64 now)
{
	if (t->hseen >= t->since)
		lm_holder_wait_seen(f, t, now);
	else if (now > t->since)
		f->hold_ns[LOCKMON_HOLDER_UNKNOWN] += now - t->since;
}

/* ---- probes ---------------------------------------------------------- */

int lm_probes_futex_register(void);
void lm_probes_futex_unregister(void);
void lm_probes_futex_release(void);
void lm_probes_futex_show(struct seq_file *m);
int lm_probes_sched_register(void);
void lm_probes_sched_unregister(void);
void lm_probes_sched_show(struct seq_file *m);

/* ---- main.c: on/off switch -------------------------------------------- */

int lm_enable(void);
void lm_disable(void);
bool lm_is_enabled(void);
void lm_reset(void);

/* ---- debugfs.c ------------------------------------------------------- */

int lm_debugfs_init(void);
void lm_debugfs_exit(void);

#endif /* LOCKMON_H */
