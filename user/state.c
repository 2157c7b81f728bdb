// SPDX-License-Identifier: GPL-2.0
/* The state every view prints: growth, lookups, ordering, freeing. */
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

/* Make room for element @n of @arr; doubles the capacity. NULL: no memory. */
void *lmr_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(arr, ncap * size);
	if (!p)
		return NULL;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*cap = ncap;
	return p;
}

void lmr_state_free(struct lmr_state *st)
{
	size_t i;

	free(st->locks);
	free(st->tasks);
	free(st->findings);
	free(st->stacks);
	free(st->stats);
	free(st->waits);
	free(st->creates);
	for (i = 0; i < st->nr_maps; i++)
		free(st->maps[i].text);
	free(st->maps);
	memset(st, 0, sizeof(*st));
}

struct lmr_lock *lmr_find_lock(struct lmr_state *st, u64 id)
{
	size_t i;

	for (i = 0; i < st->nr_locks; i++)
		if (st->locks[i].id == id)
			return &st->locks[i];
	return NULL;
}

const struct lmr_stack *lmr_find_stack(const struct lmr_state *st, u32 id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < st->nr_stacks; i++)
		if (st->stacks[i].id == id)
			return &st->stacks[i];
	return NULL;
}

/* The comm of a process from what the state knows, else from /proc. */
const char *lmr_tgid_comm(struct lmr_state *st, pid_t tgid)
{
	static char comm[16];
	size_t i;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == tgid)
			return st->tasks[i].comm;
	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tgid == tgid)
			return st->tasks[i].comm;
	for (i = 0; i < st->nr_waits; i++)
		if (st->waits[i].tgid == tgid)
			return st->waits[i].comm;
	if (st->recorded)
		return "-";
	lmr_proc_comm(tgid, comm, sizeof(comm));
	return comm;
}

static int lmr_cmp_lock(const void *a, const void *b)
{
	const struct lmr_lock *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	if (x->waiters != y->waiters)
		return x->waiters < y->waiters ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int lmr_cmp_task(const void *a, const void *b)
{
	const struct lmr_task *x = a, *y = b;

	if (x->wait_ns != y->wait_ns)
		return x->wait_ns < y->wait_ns ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Most contended first: what a reader looks at first. */
void lmr_state_sort(struct lmr_state *st)
{
	if (st->nr_locks)
		qsort(st->locks, st->nr_locks, sizeof(*st->locks), lmr_cmp_lock);
	if (st->nr_tasks)
		qsort(st->tasks, st->nr_tasks, sizeof(*st->tasks), lmr_cmp_task);
}
