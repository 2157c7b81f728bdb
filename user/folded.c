// SPDX-License-Identifier: GPL-2.0
/*
 * Wait time by stack. A sample is (process, waiter stack, lock): its
 * count and nanoseconds. From a recording, every finished wait the module
 * sampled, weighted by what it stands for (Go's block-profile rule, see
 * Documentation/events.rst), so the time by stack is unbiased; live, the
 * tasks blocked now and how long they have waited so far. --folded prints
 * them for FlameGraph: "comm;outer;...;inner;[lock] NAME nanoseconds".
 */
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"
#include "samples.h"

static struct lmr_sample *add(struct lmr_samples *s, pid_t tgid,
			      const char *comm, u32 stack_id, u64 futex_id,
			      u64 uaddr)
{
	struct lmr_sample *arr;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct lmr_sample *x = &s->v[i];

		if (x->tgid == tgid && x->stack_id == stack_id &&
		    x->futex_id == futex_id && !strcmp(x->comm, comm))
			return x;
	}
	arr = lmr_grow(s->v, &s->cap, s->n, sizeof(*arr));
	if (!arr)
		return NULL;
	s->v = arr;
	arr = &arr[s->n++];
	arr->tgid = tgid;
	snprintf(arr->comm, sizeof(arr->comm), "%s", comm);
	arr->stack_id = stack_id;
	arr->futex_id = futex_id;
	arr->uaddr = uaddr;
	return arr;
}

static const char *const class_names[] = { "lock", "event", "unknown" };

/*
 * Whether --class (lock by default) keeps a sample of futex @id; what it
 * leaves out is counted by class.
 */
static bool keep(struct lmr_ctx *c, struct lmr_samples *s, u64 id, u64 ns)
{
	const char *name = lmr_futex_class(c->st, id);
	int i;

	if (lmr_class_wants(lmr_class_of(c->o, true), name))
		return true;
	for (i = 0; i < 2 && strcmp(name, class_names[i]); i++)
		;
	s->out_waits[i]++;
	s->out_ns[i] += ns;
	return false;
}

/*
 * What --class left out of a profile: one line on stderr, once a run, and
 * only once the output is written (lmr_class_note_flush()), so that an
 * error stays the only line.
 */
static char class_note[320];

void lmr_class_note_flush(void)
{
	if (class_note[0])
		fputs(class_note, stderr);
	class_note[0] = 0;
}

static void left_out(struct lmr_ctx *c, const struct lmr_samples *s)
{
	static const char *const given[] = { "", "lock", "event", "all" };
	char line[256], t[16];
	size_t n = 0;
	int i;

	if (c->class_said)
		return;
	for (i = 0; i < 3; i++) {
		if (!s->out_waits[i])
			continue;
		lmr_fmt_ns(t, sizeof(t), s->out_ns[i]);
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      "%s%llu waits (%s) on %s futexes",
				      n ? ", " : "",
				      (unsigned long long)s->out_waits[i], t,
				      class_names[i]);
		if (n >= sizeof(line))
			break;
	}
	if (!n)
		return;
	c->class_said = true;
	snprintf(class_note, sizeof(class_note),
		 "lockmon-report: --class %s: left out %s%s\n",
		given[lmr_class_of(c->o, true)], line,
		c->o->klass ? "" : " (--class all keeps them)");
}

int lmr_samples(struct lmr_ctx *c, struct lmr_samples *s)
{
	struct lmr_state *st = c->st;
	struct lmr_sample *x;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (st->recorded) {
		for (i = 0; i < st->nr_waits; i++) {
			const struct lmr_wait *w = &st->waits[i];

			/* not sampled: the sampled waits stand for it */
			if (!w->weight_ns)
				continue;
			if (!keep(c, s, w->futex_id, w->weight_ns))
				continue;
			x = add(s, w->tgid, w->comm, w->stack_id, w->futex_id,
				w->uaddr);
			if (!x)
				return -1;
			/* a sample of a short wait stands for weight/wait waits */
			x->count += w->wait_ns && w->weight_ns > w->wait_ns ?
				    (w->weight_ns + w->wait_ns / 2) / w->wait_ns : 1;
			x->ns += w->weight_ns;
		}
	} else {
		for (i = 0; i < st->nr_tasks; i++) {
			const struct lmr_task *t = &st->tasks[i];

			if (!keep(c, s, t->futex_id, t->wait_ns))
				continue;
			x = add(s, t->tgid, t->comm, t->stack_id, t->futex_id,
				t->uaddr);
			if (!x)
				return -1;
			x->count++;
			x->ns += t->wait_ns;
		}
	}
	left_out(c, s);
	return 0;
}

/* FlameGraph frames cannot hold ';' and the value follows a blank. */
static void frame(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' || *s == ' ' || *s == '\n' ? '_' : *s, f);
}

void lmr_folded(struct lmr_ctx *c)
{
	struct lmr_src_frame f[LMR_MAX_INLINE];
	char sym[LMR_NAME_LEN];
	struct lmr_samples s;
	size_t i;
	int k, nf;

	if (lmr_samples(c, &s)) {
		lmr_err("out of memory");
		return;
	}
	for (i = 0; i < s.n; i++) {
		const struct lmr_sample *x = &s.v[i];
		const struct lmr_stack *stk = lmr_find_stack(c->st, x->stack_id);

		frame(c->out, x->comm);
		if (stk) {
			/* folded stacks go outermost first */
			for (k = (int)stk->nr - 1; k >= 0; k--) {
				nf = lmr_sym_frames(c->syms, stk->tgid,
						    stk->ip[k], k > 0, f,
						    LMR_MAX_INLINE);
				/* the inlined functions after their caller */
				while (nf--) {
					fputc(';', c->out);
					frame(c->out, f[nf].name);
				}
			}
		} else {
			fputs(";[no_stack]", c->out);
		}
		fputs(";[lock]_", c->out);
		frame(c->out, lmr_uaddr_name(c, x->tgid, x->uaddr, sym,
					     sizeof(sym)));
		fprintf(c->out, " %llu\n", (unsigned long long)x->ns);
	}
	free(s.v);
}
