// SPDX-License-Identifier: GPL-2.0
/*
 * The wait-for graph (graph.c) in Graphviz: tasks are boxes, futexes
 * ellipses, each once and named; an edge task -> futex means "waits on",
 * futex -> task "held by", one per futex. Edges on a cycle are red and
 * bold; a futex whose holder has exited, the holder and the edge between
 * them are orange and say so.
 */
#include <string.h>
#include "lockmon-report.h"

static void dot_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Does an edge before @n have the futex @id (so it is drawn already)? */
static bool futex_before(const struct lmr_graph *g, size_t n, u64 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g->e[i].t->futex_id == id)
			return true;
	return false;
}

/* Is a waiter of futex @id on a cycle? Then so is its held-by edge. */
static bool futex_on_cycle(const struct lmr_graph *g, u64 id)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->e[i].t->futex_id == id && g->e[i].cycle)
			return true;
	return false;
}

static void task_node(struct lmr_ctx *c, pid_t tid, bool gone)
{
	char label[96], who[64];

	lmr_graph_name(c, tid, who, sizeof(who));
	snprintf(label, sizeof(label), "%s%s", who, gone ? " (exited)" : "");
	fprintf(c->out, "\tt%d [shape=box, label=", tid);
	dot_label(c->out, label);
	fprintf(c->out, "%s];\n", gone ? ", style=dashed, color=orange" : "");
}

void lmr_view_dot(struct lmr_ctx *c)
{
	char name[LMR_NAME_LEN], label[LMR_NAME_LEN + 16];
	struct lmr_graph g;
	size_t i;

	if (lmr_graph_build(c, &g)) {
		lmr_err("out of memory");
		return;
	}
	fprintf(c->out, "digraph lockmon {\n");
	fprintf(c->out, "\trankdir=LR;\n");
	/* every task once: the waiters, then holders that do not wait */
	for (i = 0; i < g.n; i++)
		task_node(c, g.e[i].t->tid, false);
	for (i = 0; i < g.n; i++) {
		const struct lmr_gedge *e = &g.e[i];

		if (e->holder > 0 && !e->holder_waits &&
		    !futex_before(&g, i, e->t->futex_id))
			task_node(c, e->holder, e->orphan);
	}
	/* every futex once, an orphan's marked */
	for (i = 0; i < g.n; i++) {
		const struct lmr_gedge *e = &g.e[i];

		if (futex_before(&g, i, e->t->futex_id))
			continue;
		lmr_uaddr_name(c, e->t->tgid, e->t->uaddr, name, sizeof(name));
		snprintf(label, sizeof(label), "%s%s", name,
			 e->orphan ? " (orphan)" : "");
		fprintf(c->out, "\tf%016llx [shape=ellipse, label=",
			(unsigned long long)e->t->futex_id);
		dot_label(c->out, label);
		fprintf(c->out, "%s];\n", e->orphan ? ", color=orange" : "");
	}
	/* each waiter's edge; each futex's held-by edge once */
	for (i = 0; i < g.n; i++) {
		const struct lmr_gedge *e = &g.e[i];
		u64 id = e->t->futex_id;

		fprintf(c->out, "\tt%d -> f%016llx%s;\n", e->t->tid,
			(unsigned long long)id,
			e->cycle ? " [color=red, penwidth=2, label=\"cycle\"]" : "");
		if (e->holder <= 0 || futex_before(&g, i, id))
			continue;
		fprintf(c->out, "\tf%016llx -> t%d [style=dashed%s];\n",
			(unsigned long long)id, e->holder,
			futex_on_cycle(&g, id) ? ", color=red, penwidth=2" :
			e->orphan ? ", color=orange, label=\"orphan\"" : "");
	}
	fprintf(c->out, "}\n");
	lmr_graph_free(&g);
}
