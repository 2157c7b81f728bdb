// SPDX-License-Identifier: GPL-2.0
/*
 * The pid/comm/tree filter and the stack settings, written through the
 * control file and read by every probe.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seqlock.h>
#include <linux/string.h>
#include "lockmon.h"

struct lm_settings lm_settings = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(lm_settings.lock),
	.seq = SEQCNT_RAW_SPINLOCK_ZERO(lm_settings.seq, &lm_settings.lock),
};

/**
 * __lm_filtered() - the filter, once lm_filtered() has seen one is set
 * @t: the task
 *
 * Return: true when its events are to be skipped.
 */
bool __lm_filtered(struct task_struct *t)
{
	pid_t pid = READ_ONCE(lm_settings.pid);
	char comm[TASK_COMM_LEN];

	if (pid && t->tgid != pid)
		goto filtered;
	if (READ_ONCE(lm_settings.tree) && !lm_tree_has(t->tgid))
		goto filtered;
	if (!READ_ONCE(lm_settings.comm[0]))
		return false;
	lm_settings_comm(comm);
	if (comm[0] && strncmp(t->comm, comm, TASK_COMM_LEN))
		goto filtered;
	return false;
filtered:
	lm_count(LM_CNT_filtered);
	return true;
}

/**
 * lm_settings_comm() - copy the comm filter, never half of an update
 * @comm: TASK_COMM_LEN bytes; "" when there is no comm filter
 */
void lm_settings_comm(char *comm)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&lm_settings.seq);
		memcpy(comm, lm_settings.comm, TASK_COMM_LEN);
	} while (read_seqcount_retry(&lm_settings.seq, seq));
	comm[TASK_COMM_LEN - 1] = 0;
}

/**
 * lm_settings_set_filter() - set the pid and/or comm filter
 * @pid: the tgid to trace, 0 for all, -1 to leave it as it is
 * @comm: the command to trace, "" for all, NULL to leave it as it is
 *
 * Interrupts and preemption are off while comm is written, on PREEMPT_RT
 * too (a raw lock): neither a probe that fires in an interrupt on this CPU
 * nor a task that preempts the writer must spin on a write it stopped.
 */
void lm_settings_set_filter(int pid, const char *comm)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lm_settings.lock, flags);
	write_seqcount_begin(&lm_settings.seq);
	if (pid >= 0)
		WRITE_ONCE(lm_settings.pid, pid);
	if (comm)
		strscpy_pad(lm_settings.comm, comm, sizeof(lm_settings.comm));
	write_seqcount_end(&lm_settings.seq);
	raw_spin_unlock_irqrestore(&lm_settings.lock, flags);
}

/*
 * The tree filter: the tgids of the root process and of every process
 * forked from one in the tree since. Each slot holds generation << 32 |
 * tgid, 0 when free. "tree N" starts a new generation, so the slots of the
 * previous tree are free at once without a writer touching them. A tgid
 * lives in one of LM_TREE_PROBE slots from its hash: a lookup reads at most
 * that many words, lock-free; adding and removing are one cmpxchg. A
 * process that finds its slots taken is not traced and is counted
 * (tree_full).
 */
#define LM_TREE_BITS	12
#define LM_TREE_SLOTS	BIT(LM_TREE_BITS)
#define LM_TREE_PROBE	16

static atomic64_t lm_tree_slot[LM_TREE_SLOTS];
static atomic_t lm_tree_gen = ATOMIC_INIT(0);

static u64 lm_tree_key(u32 gen, pid_t tgid)
{
	return (u64)gen << 32 | (u32)tgid;
}

static atomic64_t *lm_tree_at(pid_t tgid, unsigned int i)
{
	return &lm_tree_slot[(hash_32((u32)tgid, LM_TREE_BITS) + i) &
			     (LM_TREE_SLOTS - 1)];
}

/**
 * lm_tree_has() - is this process in the traced tree?
 * @tgid: its tgid
 *
 * Return: true when it is.
 */
bool lm_tree_has(pid_t tgid)
{
	u64 key = lm_tree_key((u32)atomic_read(&lm_tree_gen), tgid);
	unsigned int i;

	for (i = 0; i < LM_TREE_PROBE; i++)
		if (atomic64_read(lm_tree_at(tgid, i)) == key)
			return true;
	return false;
}

/* A slot is free when empty or left by an older tree. */
static void lm_tree_add(u32 gen, pid_t tgid)
{
	u64 key = lm_tree_key(gen, tgid), old;
	unsigned int i;

	for (i = 0; i < LM_TREE_PROBE; i++) {
		atomic64_t *s = lm_tree_at(tgid, i);

		old = atomic64_read(s);
		if (old == key)
			return;
		if (old && old >> 32 == gen)
			continue;
		if (atomic64_cmpxchg(s, old, key) == old)
			return;
	}
	lm_count(LM_CNT_tree_full);
}

/**
 * lm_tree_set() - trace process @root and what it forks from now on
 * @root: its tgid; 0 turns the tree filter off
 *
 * Processes that already exist are not in the new tree, the root's
 * children included: the root is meant to be one that has not forked yet.
 */
void lm_tree_set(pid_t root)
{
	u32 gen;

	if (!root) {
		WRITE_ONCE(lm_settings.tree, 0);
		return;
	}
	gen = (u32)atomic_inc_return(&lm_tree_gen);
	lm_tree_add(gen, root);
	WRITE_ONCE(lm_settings.tree, root);
}

/**
 * lm_tree_fork() - a new process joins the tree if its parent is in it
 * @parent: the forking task
 * @child: the new task, not yet running
 *
 * A new thread is in its process's tree already: only a new thread group
 * (fork, vfork, clone without CLONE_THREAD) is added.
 */
void lm_tree_fork(struct task_struct *parent, struct task_struct *child)
{
	if (!READ_ONCE(lm_settings.tree) || child->tgid == parent->tgid)
		return;
	if (lm_tree_has(parent->tgid))
		lm_tree_add((u32)atomic_read(&lm_tree_gen), child->tgid);
}

/**
 * lm_tree_exit() - a process whose last thread exits leaves the tree
 * @p: the exiting task
 *
 * Its tgid may be reused by a process that is not in the tree.
 */
void lm_tree_exit(struct task_struct *p)
{
	u64 key;
	unsigned int i;

	if (!READ_ONCE(lm_settings.tree) || atomic_read(&p->signal->live))
		return;
	key = lm_tree_key((u32)atomic_read(&lm_tree_gen), p->tgid);
	for (i = 0; i < LM_TREE_PROBE; i++)
		atomic64_cmpxchg(lm_tree_at(p->tgid, i), key, 0);
}
