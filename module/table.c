// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded table of table.h. An entry comes from the current CPU's free
 * list, else from the part of the pool never handed out (one atomic
 * increment), else from another CPU's free list: so an insert fails only
 * when all of the pool is in use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "lockmon.h"
#include "table.h"

static u32 lm_table_bits(u32 nr)
{
	/* one bucket per entry: chains of about one */
	return max_t(u32, ilog2(roundup_pow_of_two(nr)), 1);
}

/**
 * lm_table_bytes() - memory a table of @nr entries of @size bytes holds
 * @nr: pool entries
 * @size: bytes per entry
 *
 * Return: bytes, pool and buckets.
 */
size_t lm_table_bytes(u32 nr, size_t size)
{
	return (size_t)nr * size +
	       (sizeof(struct lm_bucket) << lm_table_bits(nr));
}

/**
 * lm_table_init() - allocate a table
 * @t: the table
 * @name: for messages
 * @nr: pool entries
 * @size: bytes per entry, starting with a struct lm_tnode
 * @full: the counter (enum lm_counter) of refused inserts
 *
 * Return: 0 or -ENOMEM.
 */
int lm_table_init(struct lm_table *t, const char *name, u32 nr, size_t size,
		  unsigned int full)
{
	unsigned int i;
	int cpu;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->nr = nr;
	t->size = size;
	t->full = full;
	t->bits = lm_table_bits(nr);
	t->pool = vzalloc((size_t)nr * size);
	t->buckets = vmalloc(sizeof(*t->buckets) << t->bits);
	t->free = alloc_percpu(struct lm_table_free);
	if (!t->pool || !t->buckets || !t->free) {
		lm_table_exit(t);
		return -ENOMEM;
	}
	for (i = 0; i < (1U << t->bits); i++) {
		raw_spin_lock_init(&t->buckets[i].lock);
		lockdep_set_class_and_name(&t->buckets[i].lock,
					   &t->bucket_class, name);
		INIT_HLIST_HEAD(&t->buckets[i].head);
	}
	for_each_possible_cpu(cpu) {
		struct lm_table_free *f = per_cpu_ptr(t->free, cpu);

		raw_spin_lock_init(&f->lock);
		lockdep_set_class_and_name(&f->lock, &t->free_class, name);
		INIT_HLIST_HEAD(&f->head);
	}
	atomic_set(&t->fresh, 0);
	return 0;
}

/**
 * lm_table_exit() - free a table
 * @t: the table
 */
void lm_table_exit(struct lm_table *t)
{
	vfree(t->pool);
	vfree(t->buckets);
	free_percpu(t->free);
	t->pool = NULL;
	t->buckets = NULL;
	t->free = NULL;
}

/**
 * lm_table_reset() - empty a table
 * @t: the table
 *
 * For a disabled lockmon only: no probe may be inside the table.
 */
void lm_table_reset(struct lm_table *t)
{
	unsigned long flags;
	unsigned int i;
	int cpu;

	for (i = 0; i < (1U << t->bits); i++) {
		lm_bucket_lock(&t->buckets[i], &flags);
		INIT_HLIST_HEAD(&t->buckets[i].head);
		lm_bucket_unlock(&t->buckets[i], flags);
	}
	for_each_possible_cpu(cpu) {
		struct lm_table_free *f = per_cpu_ptr(t->free, cpu);

		raw_spin_lock_irqsave(&f->lock, flags);
		INIT_HLIST_HEAD(&f->head);
		raw_spin_unlock_irqrestore(&f->lock, flags);
	}
	memset(t->pool, 0, (size_t)t->nr * t->size);
	atomic_set(&t->fresh, 0);
}

static struct lm_tnode *lm_table_pop(struct lm_table_free *f)
{
	struct lm_tnode *n = NULL;
	unsigned long flags;

	raw_spin_lock_irqsave(&f->lock, flags);
	if (!hlist_empty(&f->head)) {
		n = hlist_entry(f->head.first, struct lm_tnode, node);
		hlist_del(&n->node);
	}
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return n;
}

static struct lm_tnode *lm_table_alloc(struct lm_table *t)
{
	struct lm_tnode *n;
	int idx, cpu;

	n = lm_table_pop(this_cpu_ptr(t->free));
	if (n)
		return n;
	if (atomic_read(&t->fresh) < t->nr) {
		idx = atomic_inc_return(&t->fresh) - 1;
		if (idx < t->nr)
			return t->pool + (size_t)idx * t->size;
	}
	/* the pool is handed out: take back what other CPUs freed */
	for_each_possible_cpu(cpu) {
		n = lm_table_pop(per_cpu_ptr(t->free, cpu));
		if (n)
			return n;
	}
	return NULL;
}

/**
 * lm_table_insert() - take an entry from the pool and put it on a chain
 * @t: the table
 * @b: the bucket, locked by the caller, the entry's key hashes to
 *
 * Return: the zeroed entry, linked and marked used, or NULL when every
 * entry is in use (counted in the table's counter).
 */
void *lm_table_insert(struct lm_table *t, struct lm_bucket *b)
{
	struct lm_tnode *n = lm_table_alloc(t);

	if (!n) {
		lm_count(t->full);
		return NULL;
	}
	memset(n, 0, t->size);
	n->bucket = (u32)(b - t->buckets);
	n->used = 1;
	hlist_add_head(&n->node, &b->head);
	return n;
}

/**
 * lm_table_remove() - take an entry off its chain and back to the pool
 * @t: the table
 * @e: the entry; its bucket is locked by the caller
 */
void lm_table_remove(struct lm_table *t, void *e)
{
	struct lm_tnode *n = e;
	struct lm_table_free *f;
	unsigned long flags;

	hlist_del(&n->node);
	n->used = 0;
	f = this_cpu_ptr(t->free);
	raw_spin_lock_irqsave(&f->lock, flags);
	hlist_add_head(&n->node, &f->head);
	raw_spin_unlock_irqrestore(&f->lock, flags);
}
