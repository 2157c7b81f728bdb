/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One bounded table for tasks, futexes and stacks: a pool of entries
 * allocated at load, and hashed chains (hlist) with a lock per bucket. An
 * insert is refused only when every entry of the pool is in use, never
 * because one bucket is crowded; the refusal is counted in the table's own
 * counter. Freed entries go to a per-CPU free list, so neither insert nor
 * free takes a lock shared by every CPU.
 *
 * Each entry type starts with a struct lm_tnode. Callers lock a bucket,
 * walk its chain with lm_table_for_each(), insert or remove, and unlock.
 */
#ifndef LOCKMON_TABLE_H
#define LOCKMON_TABLE_H

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct lm_tnode {
	struct hlist_node node;
	u32 bucket;		/* the chain it is on, to lock it by index */
	u32 used;		/* 0: free (in the pool or a free list) */
};

struct lm_bucket {
	raw_spinlock_t lock;
	struct hlist_head head;
};

struct lm_table_free {
	raw_spinlock_t lock;
	struct hlist_head head;
};

struct lm_table {
	const char *name;
	void *pool;
	size_t size;			/* of one entry */
	u32 nr;				/* entries in the pool */
	u32 bits;			/* 1 << bits buckets */
	atomic_t fresh;			/* entries never handed out: from here */
	struct lm_bucket *buckets;
	struct lm_table_free __percpu *free;
	unsigned int full;		/* enum lm_counter of refused inserts */
	/*
	 * A lock class per table, not one for every bucket of every table:
	 * a futex bucket is taken inside a task bucket, which lockdep
	 * would otherwise report as recursive locking.
	 */
	struct lock_class_key bucket_class, free_class;
};

int lm_table_init(struct lm_table *t, const char *name, u32 nr, size_t size,
		  unsigned int full);
void lm_table_exit(struct lm_table *t);
void lm_table_reset(struct lm_table *t);
size_t lm_table_bytes(u32 nr, size_t size);

static inline struct lm_bucket *lm_table_bucket(struct lm_table *t, u32 hash)
{
	return &t->buckets[hash >> (32 - t->bits)];
}

static inline void *lm_table_entry(struct lm_table *t, u32 idx)
{
	return idx < t->nr ? t->pool + (size_t)idx * t->size : NULL;
}

static inline u32 lm_table_idx(struct lm_table *t, const void *e)
{
	return (u32)((e - t->pool) / t->size);
}

/*
 * Sparse names the context "lm_bucket", whichever bucket it is: it counts
 * contexts, it cannot tell one lock instance from another.
 */
static inline void lm_bucket_lock(struct lm_bucket *b, unsigned long *flags)
	__acquires(lm_bucket)
{
	raw_spin_lock_irqsave(&b->lock, *flags);
}

static inline void lm_bucket_unlock(struct lm_bucket *b, unsigned long flags)
	__releases(lm_bucket)
{
	raw_spin_unlock_irqrestore(&b->lock, flags);
}

/* Walk bucket @b's chain; @e is a pointer to the entry type. */
#define lm_table_for_each(e, b) \
	hlist_for_each_entry(e, &(b)->head, tn.node)

void *lm_table_insert(struct lm_table *t, struct lm_bucket *b);
void lm_table_remove(struct lm_table *t, void *e);

#endif /* LOCKMON_TABLE_H */
