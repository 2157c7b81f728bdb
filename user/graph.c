// SPDX-License-Identifier: GPL-2.0
/*
 * The wait-for graph the graph views draw (text and DOT), built once from
 * the waits in the snapshot so that both say the same thing:
 *
 *  - each waiter has one edge, to the futex it waits on;
 *  - each futex has at most one holder, chosen among the owners its
 *    current waiters reported when their waits began: a task that waits
 *    on the futex itself is no holder of it (it released it and came
 *    back), a PI word beats a glibc owner field beats an inferred owner,
 *    and among equals the waiter whose wait began last has the freshest;
 *  - an owner is only ever taken from a wait that is still in the graph,
 *    so a wait that ended takes the owner it reported with it;
 *  - a cycle is one of these edges coming back to where it started; an
 *    orphan is a futex whose holder has exited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lockmon-report.h"

static bool in_graph(const struct lmr_state *st, const struct lmr_task *t)
{
	/* a recording's graph: the waits still open at its end */
	return !st->recorded || t->waiting;
}

static int how_rank(const char *how)
{
	if (!strcmp(how, "pi-word"))
		return 3;
	if (!strcmp(how, "glibc-owner"))
		return 2;
	return 1;
}

static struct lmr_gedge *edge_of(struct lmr_graph *g, pid_t tid)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->e[i].t->tid == tid)
			return &g->e[i];
	return NULL;
}

/* The holder of the futex of edge @i, from the waits on it. */
static void pick_holder(struct lmr_graph *g, size_t i)
{
	const struct lmr_task *best = NULL, *w;
	u64 futex = g->e[i].t->futex_id;
	struct lmr_gedge *h;
	size_t j;

	for (j = 0; j < g->n; j++) {
		w = g->e[j].t;
		if (w->futex_id != futex || w->owner <= 0)
			continue;
		h = edge_of(g, w->owner);
		if (h && h->t->futex_id == futex)
			continue;	/* stale: it waits on this futex */
		if (!best || how_rank(w->owner_how) > how_rank(best->owner_how) ||
		    (how_rank(w->owner_how) == how_rank(best->owner_how) &&
		     w->wait_ns < best->wait_ns))
			best = w;
	}
	for (j = 0; j < g->n; j++) {
		if (g->e[j].t->futex_id != futex)
			continue;
		g->e[j].holder = best ? best->owner : 0;
		g->e[j].how = best ? best->owner_how : "unknown";
	}
}

/* Has @tid exited? A finding of the module, or /proc for a live graph. */
static bool exited(const struct lmr_ctx *c, pid_t tid, u64 futex)
{
	const struct lmr_state *st = c->st;
	char path[64];
	size_t i;
	unsigned int k;

	for (i = 0; i < st->nr_findings; i++) {
		const struct lmr_finding *f = &st->findings[i];

		if (strcmp(f->kind, "orphan"))
			continue;
		for (k = 0; k < f->nr; k++)
			if (f->t[k].owner == tid && f->t[k].futex_id == futex)
				return true;
	}
	if (st->recorded)
		return false;
	snprintf(path, sizeof(path), "/proc/%d", tid);
	return access(path, F_OK) != 0;
}

/**
 * lmr_graph_build() - the wait-for graph of the state in @c
 * @c: the context
 * @g: filled in; lmr_graph_free() it
 *
 * Return: 0, or -ENOMEM.
 */
int lmr_graph_build(struct lmr_ctx *c, struct lmr_graph *g)
{
	struct lmr_state *st = c->st;
	size_t i, j, steps;

	memset(g, 0, sizeof(*g));
	g->e = calloc(st->nr_tasks ? st->nr_tasks : 1, sizeof(*g->e));
	if (!g->e)
		return -ENOMEM;
	for (i = 0; i < st->nr_tasks; i++)
		if (in_graph(st, &st->tasks[i]))
			g->e[g->n++].t = &st->tasks[i];
	for (i = 0; i < g->n; i++)
		if (!g->e[i].how)
			pick_holder(g, i);
	for (i = 0; i < g->n; i++) {
		struct lmr_gedge *e = &g->e[i];

		e->holder_waits = e->holder > 0 ? edge_of(g, e->holder) : NULL;
		e->orphan = e->holder > 0 && !e->holder_waits &&
			    exited(c, e->holder, e->t->futex_id);
	}
	/* on a cycle: following holders comes back to this edge */
	for (i = 0; i < g->n; i++) {
		const struct lmr_gedge *e = g->e[i].holder_waits;

		for (steps = 0, j = 0; e && steps < g->n; steps++) {
			if (e == &g->e[i]) {
				j = 1;
				break;
			}
			e = e->holder_waits;
		}
		g->e[i].cycle = j;
	}
	return 0;
}

void lmr_graph_free(struct lmr_graph *g)
{
	free(g->e);
	g->e = NULL;
	g->n = 0;
}

/**
 * lmr_graph_name() - "comm/tid" of a task of the graph or of a holder
 * @c: the context
 * @tid: the task
 * @buf: where to write
 * @len: its size
 *
 * The comm is the snapshot's when the task is in it, else the one an
 * orphan finding saw the owner exit with, else /proc's for a live graph;
 * "?" when none knows.
 *
 * Return: @buf.
 */
const char *lmr_graph_name(struct lmr_ctx *c, pid_t tid, char *buf, size_t len)
{
	const struct lmr_state *st = c->st;
	char comm[16] = "?";
	size_t i, k;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == tid && st->tasks[i].comm[0]) {
			snprintf(comm, sizeof(comm), "%s", st->tasks[i].comm);
			break;
		}
	for (k = 0; i == st->nr_tasks && k < st->nr_findings; k++) {
		const struct lmr_finding *f = &st->findings[k];

		/* the owner an orphan finding saw exit */
		if (!strcmp(f->kind, "orphan") && f->nr && f->t[0].owner == tid &&
		    f->owner_comm[0]) {
			snprintf(comm, sizeof(comm), "%s", f->owner_comm);
			break;
		}
	}
	if (i == st->nr_tasks && k == st->nr_findings && !st->recorded) {
		lmr_proc_comm(tid, comm, sizeof(comm));
		if (!strcmp(comm, "-"))
			snprintf(comm, sizeof(comm), "?");
	}
	snprintf(buf, len, "%s/%d", comm, tid);
	return buf;
}
