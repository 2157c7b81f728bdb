// SPDX-License-Identifier: GPL-2.0
/*
 * The wait-for graph in Graphviz: tasks are boxes, futexes ellipses; an
 * edge task -> futex means "waits on", futex -> task "held by". Edges on a
 * cycle are red and bold.
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

void lmr_view_dot(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	char name[LMR_NAME_LEN], label[LMR_NAME_LEN + 64];
	size_t i, j;

	fprintf(c->out, "digraph lockmon {\n");
	fprintf(c->out, "\trankdir=LR;\n");
	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];
		bool dup = false;

		snprintf(label, sizeof(label), "%s/%d", t->comm, t->tid);
		fprintf(c->out, "\tt%d [shape=box, label=", t->tid);
		dot_label(c->out, label);
		fprintf(c->out, "];\n");
		for (j = 0; j < i; j++)
			dup |= st->tasks[j].futex_id == t->futex_id;
		if (!dup) {
			lmr_uaddr_name(c, t->tgid, t->uaddr, name, sizeof(name));
			fprintf(c->out, "\tf%016llx [shape=ellipse, label=",
				(unsigned long long)t->futex_id);
			dot_label(c->out, name);
			fprintf(c->out, "];\n");
		}
	}
	/* owners that are not waiting themselves still need a node */
	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];
		bool known = false;

		if (t->owner <= 0)
			continue;
		for (j = 0; j < st->nr_tasks; j++)
			known |= st->tasks[j].tid == t->owner;
		for (j = 0; j < i && !known; j++)
			known |= st->tasks[j].owner == t->owner;
		if (!known)
			fprintf(c->out, "\tt%d [shape=box, label=\"%d\"];\n",
				t->owner, t->owner);
	}
	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];
		const char *style = t->cycle ? " [color=red, penwidth=2, label=\"cycle\"]" : "";

		fprintf(c->out, "\tt%d -> f%016llx%s;\n", t->tid,
			(unsigned long long)t->futex_id, style);
		if (t->owner > 0)
			fprintf(c->out, "\tf%016llx -> t%d [style=dashed%s];\n",
				(unsigned long long)t->futex_id, t->owner,
				t->cycle ? ", color=red, penwidth=2" : "");
	}
	fprintf(c->out, "}\n");
}
