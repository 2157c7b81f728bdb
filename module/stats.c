// SPDX-License-Identifier: GPL-2.0
/*
 * Per-futex contention figures.
 *
 * A futex is keyed the way the kernel keys it (union futex_key): a private
 * futex by mm and address, a shared one by its backing object and offset, so
 * two processes that share a mutex meet in one entry. The printable id is a
 * keyed hash of that key, so no kernel pointer leaves the module. Entries
 * live until reset in a bounded table (table.h); when its pool is used up
 * a new futex is dropped (counted).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/math64.h>
#include "lockmon.h"

struct lm_table lm_futexes;
static siphash_key_t lm_id_key;

/*
 * EAGAIN returns are the cheapest futex event and the most frequent, so
 * they are counted per CPU first, in a 4-way set-associative cache of
 * private futexes (1,024 per CPU, 24 KiB), and moved to the futex table
 * when a way is taken by another futex, or when the locks file is read
 * (lm_stats_flush_again()). A miss takes an empty way, else the way with
 * the smallest count, so the hot futexes of an EAGAIN storm stay cached
 * even while more futexes than ways cycle through a set.
 */
#define LM_AGAIN_SET_BITS	8
#define LM_AGAIN_WAYS		4

struct lm_again {
	u64 mm, uaddr;
	pid_t tgid;
	u32 count;
};

struct lm_again_cache {
	struct lm_again set[1 << LM_AGAIN_SET_BITS][LM_AGAIN_WAYS];
};

static struct lm_again_cache __percpu *lm_agains;

/**
 * lm_fkey_private() - the kernel's key for a private futex
 * @k: key to fill
 * @mm: the process's mm
 * @uaddr: user address of the futex word
 *
 * Mirrors get_futex_key() for !fshared: mm, page address, offset in page.
 */
void lm_fkey_private(struct lm_fkey *k, struct mm_struct *mm, u64 uaddr)
{
	k->ptr = (u64)(unsigned long)mm;
	k->word = uaddr & PAGE_MASK;
	k->offset = uaddr & ~PAGE_MASK;
}

/**
 * lm_fkey_id() - printable id of a futex key
 * @k: the key
 *
 * Return: a keyed hash of @k; stable while the module is loaded.
 */
u64 lm_fkey_id(const struct lm_fkey *k)
{
	return siphash_3u64(k->ptr, k->word, k->offset, &lm_id_key);
}

/**
 * lm_futex_insert() - claim an entry for a futex not tracked yet
 * @b: its bucket, locked
 * @k: the futex key
 *
 * The slow path of lm_futex_lock() (lockmon.h).
 *
 * Return: the entry, or NULL when the pool is empty.
 */
struct lm_futex *lm_futex_insert(struct lm_bucket *b, const struct lm_fkey *k)
{
	struct lm_futex *f = lm_table_insert(&lm_futexes, b);

	if (f) {
		f->key = *k;
		f->id = lm_fkey_id(k);
	}
	return f;
}

/* A first look, without the lock, for walks over the whole pool. */
static bool lm_futex_in_use(u32 idx)
{
	const struct lm_futex *f = lm_table_entry(&lm_futexes, idx);

	return f && READ_ONCE(f->tn.used);
}

/* Move a cached count to the futex table; interrupts are off. */
static void lm_again_flush_slot(struct lm_again *a)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	struct lm_fkey k;
	u32 idx;

	k.ptr = a->mm;
	k.word = a->uaddr & PAGE_MASK;
	k.offset = a->uaddr & ~PAGE_MASK;
	b = lm_futex_lock(&k, true, &idx, &flags, &f);
	if (f) {
		f->again += a->count;
		if (!f->tgid) {
			f->tgid = a->tgid;
			f->uaddr = a->uaddr;
		}
	}
	lm_bucket_unlock(b, flags);
	a->count = 0;
}

/**
 * lm_futex_add_again() - count an EAGAIN return on a private futex
 * @mm: the process's mm
 * @uaddr: the futex word's address
 * @tgid: the process
 *
 * Probe context, preemption off: one per-CPU slot is updated with
 * interrupts off, so a flush from another CPU's IPI sees it whole.
 */
void lm_futex_add_again(struct mm_struct *mm, u64 uaddr, pid_t tgid)
{
	u64 key = (u64)(unsigned long)mm;
	struct lm_again *set, *a;
	unsigned long flags;
	unsigned int i;

	set = this_cpu_ptr(lm_agains)->set[hash_64(key ^ uaddr,
						   LM_AGAIN_SET_BITS)];
	local_irq_save(flags);
	for (i = 0; i < LM_AGAIN_WAYS; i++) {
		a = &set[i];
		if (a->mm == key && a->uaddr == uaddr)
			goto hit;
	}
	a = &set[0];
	for (i = 1; i < LM_AGAIN_WAYS && a->count; i++)
		if (set[i].count < a->count)
			a = &set[i];
	if (a->count)
		lm_again_flush_slot(a);
	a->mm = key;
	a->uaddr = uaddr;
	a->tgid = tgid;
hit:
	a->count++;
	local_irq_restore(flags);
}

static void lm_again_flush_cpu(void *clear)
{
	struct lm_again *a = this_cpu_ptr(lm_agains)->set[0];
	unsigned int i;

	for (i = 0; i < (1U << LM_AGAIN_SET_BITS) * LM_AGAIN_WAYS; i++) {
		if (a[i].count && !clear)
			lm_again_flush_slot(&a[i]);
		if (clear)
			memset(&a[i], 0, sizeof(a[i]));
	}
}

/**
 * lm_stats_flush_again() - move every CPU's cached EAGAIN counts to the
 *	futex table
 *
 * Process context: one IPI per CPU.
 */
void lm_stats_flush_again(void)
{
	on_each_cpu(lm_again_flush_cpu, NULL, 1);
}

/**
 * lm_futex_median() - the median of a futex's blocking waits
 * @f: locked entry
 *
 * From the log2 histogram, within its bucket [2^b, 2^(b+1)) linearly, so
 * it is off by less than a factor of two.
 *
 * Return: ns, 0 when no wait has ended.
 */
u64 lm_futex_median(const struct lm_futex *f)
{
	u64 total = 0, half, acc = 0, lo;
	unsigned int i;

	for (i = 0; i < LM_HIST; i++)
		total += f->hist[i];
	if (!total)
		return 0;
	half = (total + 1) / 2;
	for (i = 0; i < LM_HIST; i++) {
		if (acc + f->hist[i] >= half) {
			lo = 1ULL << i;
			return lo + div64_u64(lo * (half - acc), f->hist[i]);
		}
		acc += f->hist[i];
	}
	return 0;
}

/**
 * lm_futex_class() - classify a futex from what was seen of it
 * @f: entry (locked or a copy)
 *
 * Lock-like: a PI futex; a glibc mutex whose owner was found; or a futex
 * whose wakers mostly had waited on it themselves (a lock handed from one
 * contender to the next). Event-like: woken by tasks that never wait on
 * it (condition variables, work queues, pthread_join).
 *
 * Return: enum lockmon_class.
 */
enum lockmon_class lm_futex_class(const struct lm_futex *f)
{
	if (f->pi || f->glibc)
		return LOCKMON_CLASS_LOCK;
	if (!f->wakes)
		return LOCKMON_CLASS_UNKNOWN;
	if (f->mutual_wakes * 2 >= f->wakes)
		return LOCKMON_CLASS_LOCK;
	return LOCKMON_CLASS_EVENT;
}

/**
 * lm_stats_copy_chunk() - snapshot one chunk of the futex pool
 * @c: chunk number, below lm_stats_nr_chunks()
 * @out: room for LM_CHUNK entries
 *
 * Return: the number of entries copied.
 */
unsigned int lm_stats_copy_chunk(unsigned int c, struct lm_futex *out)
{
	unsigned long flags;
	unsigned int i, n = 0;

	for (i = c * LM_CHUNK; i < (c + 1) * LM_CHUNK && i < lm_futexes.nr; i++) {
		struct lm_bucket *b;
		struct lm_futex *f;

		if (!lm_futex_in_use(i))
			continue;
		b = lm_futex_lock_idx(i, &flags, &f);
		if (f)
			out[n++] = *f;
		lm_bucket_unlock(b, flags);
	}
	return n;
}

/**
 * lm_stats_nr_chunks() - number of LM_CHUNK-entry chunks of the futex pool
 *
 * Return: the chunk count.
 */
unsigned int lm_stats_nr_chunks(void)
{
	return DIV_ROUND_UP(lm_futexes.nr, LM_CHUNK);
}

/**
 * lm_stats_bytes() - memory held by the futex table and the EAGAIN caches
 *
 * Return: bytes.
 */
size_t lm_stats_bytes(void)
{
	return lm_table_bytes(lm_max_futexes, sizeof(struct lm_futex)) +
	       num_possible_cpus() * sizeof(struct lm_again_cache);
}

/**
 * lm_stats_forget_waiters() - no task is waiting any more
 *
 * Called when the task table is cleared on disable: the waits in flight
 * then never end, so the waiters-now counts are zeroed with them.
 */
void lm_stats_forget_waiters(void)
{
	unsigned long flags;
	struct lm_bucket *b;
	struct lm_futex *f;
	unsigned int i;

	for (i = 0; i < lm_futexes.nr; i++) {
		if (!lm_futex_in_use(i))
			continue;
		b = lm_futex_lock_idx(i, &flags, &f);
		if (f) {
			f->waiters = 0;
			f->owner = 0;
		}
		lm_bucket_unlock(b, flags);
	}
}

/**
 * lm_stats_reset() - forget every futex and zero the counters
 */
void lm_stats_reset(void)
{
	on_each_cpu(lm_again_flush_cpu, (void *)1, 1);
	lm_table_reset(&lm_futexes);
	lm_counters_reset();
}

/**
 * lm_stats_init() - allocate the futex table for lm_max_futexes futexes
 *
 * Return: 0 or -ENOMEM.
 */
int lm_stats_init(void)
{
	int err;

	get_random_bytes(&lm_id_key, sizeof(lm_id_key));
	lm_agains = alloc_percpu(struct lm_again_cache);
	if (!lm_agains)
		return -ENOMEM;
	err = lm_table_init(&lm_futexes, "futexes", lm_max_futexes,
			    sizeof(struct lm_futex), LM_CNT_futex_table_full);
	if (err)
		free_percpu(lm_agains);
	return err;
}

/**
 * lm_stats_exit() - free the futex table
 */
void lm_stats_exit(void)
{
	lm_table_exit(&lm_futexes);
	free_percpu(lm_agains);
}
