// SPDX-License-Identifier: GPL-2.0
/*
 * Per-task wait state: which futex a task is blocked on, since when, and
 * who owns it. A bounded table (table.h) keyed by TID; each bucket has its
 * own lock, so probes on different CPUs rarely meet and no global lock
 * sits on the event path. A full pool drops the task (counted).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "lockmon.h"
#include "table.h"

struct lm_table lm_tasks;

/**
 * lm_task_insert() - claim a slot for a task not tracked yet
 * @b: its bucket, locked
 * @tid: thread id
 *
 * The slow path of lm_task_lock() (lockmon.h).
 *
 * Return: the slot, or NULL when the pool is empty.
 */
struct lm_task *lm_task_insert(struct lm_bucket *b, pid_t tid)
{
	struct lm_task *t = lm_table_insert(&lm_tasks, b);

	if (t) {
		t->tid = tid;
		t->futex_idx = LM_NONE;
	}
	return t;
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
	struct lm_bucket *b;
	struct lm_task *t;

	b = lm_task_lock(tid, false, &flags, &t);
	if (t)
		*out = *t;
	lm_bucket_unlock(b, flags);
	return t;
}

atomic_t lm_blocked_hint[LM_BLOCKED_HINTS];
u32 lm_woke_gen[LM_BLOCKED_HINTS];

/**
 * lm_task_forget() - stop tracking a task (it exited, or its TID is reused)
 * @tid: thread id
 *
 * A task that exits while queued on a futex gives its waiter count back.
 */
void lm_task_forget(pid_t tid)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	struct lm_task *t;
	u32 idx;

	b = lm_task_lock(tid, false, &flags, &t);
	if (!t) {
		lm_bucket_unlock(b, flags);
		return;
	}
	idx = t->state == LM_T_WAITING ? t->futex_idx : LM_NONE;
	lm_hint_drop(t);
	lm_table_remove(&lm_tasks, t);
	lm_bucket_unlock(b, flags);
	lm_count(LM_CNT_tasks_exited);
	if (idx == LM_NONE)
		return;
	b = lm_futex_lock_idx(idx, &flags, &f);
	if (f && f->waiters)
		f->waiters--;
	lm_bucket_unlock(b, flags);
}

/**
 * lm_waits_copy_chunk() - snapshot one chunk of the task pool
 * @c: chunk number, below lm_waits_nr_chunks()
 * @out: room for LM_CHUNK tasks
 *
 * Return: the number of tracked tasks copied.
 */
unsigned int lm_waits_copy_chunk(unsigned int c, struct lm_task *out)
{
	unsigned int i, n = 0;

	for (i = c * LM_CHUNK; i < (c + 1) * LM_CHUNK && i < lm_tasks.nr; i++) {
		struct lm_task *t = lm_table_entry(&lm_tasks, i);
		struct lm_bucket *b;
		unsigned long flags;
		u32 bk = READ_ONCE(t->tn.bucket);

		if (!READ_ONCE(t->tn.used))
			continue;
		b = &lm_tasks.buckets[bk];
		lm_bucket_lock(b, &flags);
		/* it may have been freed, or reused in another chain */
		if (t->tn.used && t->tn.bucket == bk)
			out[n++] = *t;
		lm_bucket_unlock(b, flags);
	}
	return n;
}

/**
 * lm_waits_nr_chunks() - number of LM_CHUNK-task chunks of the task pool
 *
 * Return: the chunk count.
 */
unsigned int lm_waits_nr_chunks(void)
{
	return DIV_ROUND_UP(lm_tasks.nr, LM_CHUNK);
}

/**
 * lm_waits_bytes() - memory held by the task table
 *
 * Return: bytes.
 */
size_t lm_waits_bytes(void)
{
	return lm_table_bytes(lm_max_tasks, sizeof(struct lm_task)) +
	       sizeof(lm_blocked_hint) + sizeof(lm_woke_gen);
}

/**
 * lm_waits_reset() - forget every task
 */
void lm_waits_reset(void)
{
	lm_table_reset(&lm_tasks);
}

/**
 * lm_waits_init() - allocate the task table for lm_max_tasks tasks
 *
 * Return: 0 or -ENOMEM.
 */
int lm_waits_init(void)
{
	return lm_table_init(&lm_tasks, "tasks", lm_max_tasks,
			     sizeof(struct lm_task), LM_CNT_task_table_full);
}

/**
 * lm_waits_exit() - free the task table
 */
void lm_waits_exit(void)
{
	lm_table_exit(&lm_tasks);
}
