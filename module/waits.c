// SPDX-License-Identifier: GPL-2.0
/*
 * Per-task wait state: which futex a task is blocked on, since when, and
 * who owns it. A fixed set-associative table keyed by TID; each bucket has
 * its own lock, so probes on different CPUs rarely meet and no global lock
 * sits on the event path. A full bucket drops the task (counted).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "lockmon.h"

struct lm_task_bucket {
	raw_spinlock_t lock;
	struct lm_task slot[LM_WAYS];
};

static struct lm_task_bucket *lm_tasks;
static unsigned int lm_task_bits;

static struct lm_task_bucket *lm_task_bucket(pid_t tid)
{
	return &lm_tasks[hash_32((u32)tid, lm_task_bits)];
}

/**
 * lm_task_lock() - find a task's slot and lock its bucket
 * @tid: thread id
 * @create: claim a free slot when the task is not tracked yet
 * @flags: saved irq flags, for lm_task_unlock()
 *
 * Return: the locked slot, or NULL (bucket unlocked) when the task is not
 * tracked and @create is false or its bucket is full.
 */
struct lm_task *lm_task_lock(pid_t tid, bool create, unsigned long *flags)
{
	struct lm_task_bucket *b = lm_task_bucket(tid);
	struct lm_task *free = NULL;
	int i;

	raw_spin_lock_irqsave(&b->lock, *flags);
	for (i = 0; i < LM_WAYS; i++) {
		if (b->slot[i].tid == tid)
			goto found;
		if (!free && !b->slot[i].tid)
			free = &b->slot[i];
	}
	if (create && free) {
		memset(free, 0, sizeof(*free));
		free->tid = tid;
		free->futex_idx = LM_NONE;
		i = free - b->slot;
		goto found;
	}
	if (create)
		lm_count(LM_CNT_task_table_full);
	raw_spin_unlock_irqrestore(&b->lock, *flags);
	return NULL;

found:
	__release(&b->lock);	/* held for the caller: lm_task_unlock() */
	return &b->slot[i];
}

/**
 * lm_task_unlock() - unlock the bucket of a slot from lm_task_lock()
 * @t: the slot
 * @flags: the flags lm_task_lock() saved
 */
void lm_task_unlock(struct lm_task *t, unsigned long flags)
{
	__acquire(&lm_task_bucket(t->tid)->lock);	/* from lm_task_lock() */
	raw_spin_unlock_irqrestore(&lm_task_bucket(t->tid)->lock, flags);
}

/**
 * lm_task_copy() - snapshot a tracked task
 * @tid: thread id
 * @out: where to copy the slot
 *
 * Return: false when the task is not tracked.
 */
bool lm_task_copy(pid_t tid, struct lm_task *out)
{
	unsigned long flags;
	struct lm_task *t = lm_task_lock(tid, false, &flags);

	if (!t)
		return false;
	*out = *t;
	lm_task_unlock(t, flags);
	return true;
}

/**
 * lm_task_forget() - stop tracking a task (it exited, or its TID is reused)
 * @tid: thread id
 *
 * A task that exits while queued on a futex gives its waiter count back.
 */
void lm_task_forget(pid_t tid)
{
	unsigned long flags, fflags;
	struct lm_task *t = lm_task_lock(tid, false, &flags);
	struct lm_futex *f;
	u32 idx;

	if (!t)
		return;
	idx = t->state == LM_T_WAITING ? t->futex_idx : LM_NONE;
	memset(t, 0, sizeof(*t));
	/* the bucket is found from the tid, which is now cleared */
	__acquire(&lm_task_bucket(tid)->lock);	/* from lm_task_lock() */
	raw_spin_unlock_irqrestore(&lm_task_bucket(tid)->lock, flags);
	lm_count(LM_CNT_tasks_exited);
	if (idx == LM_NONE)
		return;
	f = lm_futex_lock_idx(idx, &fflags);
	if (f) {
		if (f->waiters)
			f->waiters--;
		lm_futex_unlock(idx, fflags);
	}
}

/**
 * lm_waits_copy_bucket() - snapshot one bucket of the task table
 * @b: bucket number, below lm_waits_nr_buckets()
 * @out: room for LM_WAYS tasks
 *
 * Return: the number of tracked tasks copied.
 */
unsigned int lm_waits_copy_bucket(unsigned int b, struct lm_task *out)
{
	struct lm_task_bucket *bk = &lm_tasks[b];
	unsigned long flags;
	unsigned int i, n = 0;

	raw_spin_lock_irqsave(&bk->lock, flags);
	for (i = 0; i < LM_WAYS; i++)
		if (bk->slot[i].tid)
			out[n++] = bk->slot[i];
	raw_spin_unlock_irqrestore(&bk->lock, flags);
	return n;
}

/**
 * lm_waits_nr_buckets() - number of buckets in the task table
 *
 * Return: the bucket count.
 */
unsigned int lm_waits_nr_buckets(void)
{
	return 1U << lm_task_bits;
}

/**
 * lm_waits_bytes() - memory held by the task table
 *
 * Return: bytes.
 */
size_t lm_waits_bytes(void)
{
	return sizeof(*lm_tasks) << lm_task_bits;
}

/**
 * lm_waits_reset() - forget every task
 */
void lm_waits_reset(void)
{
	unsigned int b;
	unsigned long flags;

	for (b = 0; b < lm_waits_nr_buckets(); b++) {
		raw_spin_lock_irqsave(&lm_tasks[b].lock, flags);
		memset(lm_tasks[b].slot, 0, sizeof(lm_tasks[b].slot));
		raw_spin_unlock_irqrestore(&lm_tasks[b].lock, flags);
	}
}

/**
 * lm_waits_init() - allocate the task table for lm_max_tasks tasks
 *
 * Return: 0 or -ENOMEM.
 */
int lm_waits_init(void)
{
	unsigned int b;

	lm_task_bits = ilog2(roundup_pow_of_two(lm_max_tasks / LM_WAYS));
	lm_tasks = vzalloc(lm_waits_bytes());
	if (!lm_tasks)
		return -ENOMEM;
	for (b = 0; b < lm_waits_nr_buckets(); b++)
		raw_spin_lock_init(&lm_tasks[b].lock);
	return 0;
}

/**
 * lm_waits_exit() - free the task table
 */
void lm_waits_exit(void)
{
	vfree(lm_tasks);
	lm_tasks = NULL;
}
