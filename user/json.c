// SPDX-License-Identifier: GPL-2.0
/*
 * --json: one object per view, schema "lockmon-report/1" (documented in
 * lockmon-report.1 and Documentation/reporter.rst). Field names are never
 * renamed within a schema version; fields may be added. A lock's object,
 * and a live task's, is its columns (include/lockmon/columns.h) under their
 * json keys, and the few keys that are not columns.
 */
#include <string.h>
#include "lockmon-report.h"

struct jw {
	FILE *f;
	int depth;
	bool first[16];
};

void lmr_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void key(struct jw *w, const char *k)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (k) {
		lmr_json_string(w->f, k);
		fputc(':', w->f);
	}
}

static void open_(struct jw *w, const char *k, char ch)
{
	key(w, k);
	fputc(ch, w->f);
	if (w->depth < 15)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char ch)
{
	w->depth--;
	fputc(ch, w->f);
}

static void str(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	lmr_json_string(w->f, v);
}

static void u64v(struct jw *w, const char *k, u64 v)
{
	key(w, k);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

static void intv(struct jw *w, const char *k, long long v)
{
	key(w, k);
	fprintf(w->f, "%lld", v);
}

static void boolv(struct jw *w, const char *k, bool v)
{
	key(w, k);
	fputs(v ? "true" : "false", w->f);
}

static void hexv(struct jw *w, const char *k, u64 v, bool pad)
{
	char buf[24];

	snprintf(buf, sizeof(buf), pad ? "%016llx" : "0x%llx",
		 (unsigned long long)v);
	str(w, k, buf);
}

/*
 * One writer per column type of include/lockmon/columns.h, called with the
 * column's json key: a column without one (NULL) is not written. Types
 * written alike share a writer (u32 as u64, cycle as flag, comm as word);
 * procs has no JSON form of its own, and hist is written as the two
 * percentiles derived from it (wait_p50_ns, wait_p99_ns).
 */
static inline void j_hex64(struct jw *w, const char *k, u64 v)
{
	if (k)
		hexv(w, k, v, true);
}

static inline void j_addr(struct jw *w, const char *k, u64 v)
{
	if (k)
		hexv(w, k, v, false);
}

static inline void j_opthex(struct jw *w, const char *k, u64 v)
{
	if (k && v)
		hexv(w, k, v, true);
}

static inline void j_u64(struct jw *w, const char *k, u64 v)
{
	if (k)
		u64v(w, k, v);
}

static inline void j_pid(struct jw *w, const char *k, pid_t v)
{
	if (k)
		intv(w, k, v);
}

static inline void j_flag(struct jw *w, const char *k, bool v)
{
	if (k)
		boolv(w, k, v);
}

static inline void j_word(struct jw *w, const char *k, const char *v)
{
	if (k)
		str(w, k, v);
}

#define j_u32	j_u64
#define j_cycle	j_flag
#define j_comm	j_word

static inline void j_procs(struct jw *w, const char *k,
			   const struct lmr_procs *v)
{
	(void)w, (void)k, (void)v;
}

/* hist is written as the percentiles the lock tables show (columns.c) */
static inline void j_hist(struct jw *w, const char *k, const unsigned int *v,
			  u64 max)
{
	(void)k;
	u64v(w, "wait_p50_ns", lmr_hist_pct(v, max, 50));
	u64v(w, "wait_p99_ns", lmr_hist_pct(v, max, 99));
}

/* C() of a column list: the column's key and member of l or t, by type */
#define J_LOCK(name, type, since, get, field, json, view)		\
	j_##type(w, json, J_ARG_##type(l->field));
#define J_TASK(name, type, since, get, field, json, view)		\
	j_##type(w, json, J_ARG_##type(t->field));
#define J_ARG_hex64(v)		(v)
#define J_ARG_addr(v)		(v)
#define J_ARG_opthex(v)		(v)
#define J_ARG_u64(v)		(v)
#define J_ARG_u32(v)		(v)
#define J_ARG_pid(v)		(v)
#define J_ARG_flag(v)		(v)
#define J_ARG_cycle(v)		(v)
#define J_ARG_word(v)		(v)
#define J_ARG_comm(v)		(v)
#define J_ARG_procs(v)		(&(v))
#define J_ARG_hist(v)		(v), l->max_ns

/*
 * A stack, innermost frame first, as gdb shows it: a function inlined at
 * an address is a frame of its own, with that address and "inlined":true,
 * before the frame of the function it was inlined into.
 */
static void stack(struct jw *w, struct lmr_ctx *c, u32 id)
{
	const struct lmr_stack *s = lmr_find_stack(c->st, id);
	struct lmr_src_frame f[LMR_MAX_INLINE];
	unsigned int i;
	int k, nf;

	if (!s) {
		key(w, "stack");
		fputs("null", w->f);
		return;
	}
	/* whose stack: the reporter's CFI unwind, or the module's addresses */
	str(w, "stack_by", s->cfi ? "cfi" : "module");
	open_(w, "stack", '[');
	for (i = 0; i < s->nr; i++) {
		nf = lmr_sym_frames(c->syms, s->tgid, s->ip[i], i > 0, f,
				    LMR_MAX_INLINE);
		for (k = 0; k < nf; k++) {
			open_(w, NULL, '{');
			hexv(w, "ip", s->ip[i], false);
			str(w, "symbol", f[k].name);
			if (f[k].file) {
				str(w, "file", f[k].file);
				intv(w, "line", f[k].line);
			}
			if (f[k].inlined)
				boolv(w, "inlined", true);
			close_(w, '}');
		}
	}
	close_(w, ']');
}

static void locks(struct jw *w, struct lmr_ctx *c)
{
	char name[LMR_NAME_LEN], verdict[160];
	size_t i;

	open_(w, "locks", '[');
	for (i = 0; i < c->st->nr_locks; i++) {
		const struct lmr_lock *l = &c->st->locks[i];

		fputc('\n', w->f);
		open_(w, NULL, '{');
		/* the keys that are not columns, or not one each */
		intv(w, "tgid", l->tgid);
		hexv(w, "uaddr", l->uaddr, false);
		str(w, "name", lmr_lock_name(c, l, name, sizeof(name)));
		/* and those of the columns, as the list names them */
		LOCKMON_LOCKS_COLUMNS(J_LOCK)
		if (lmr_holder_verdict(l, verdict, sizeof(verdict))) {
			str(w, "holder_verdict", verdict);
		} else {
			key(w, "holder_verdict");
			fputs("null", w->f);
		}
		close_(w, '}');
	}
	close_(w, ']');
}

static void tasks(struct jw *w, struct lmr_ctx *c)
{
	char name[LMR_NAME_LEN];
	size_t i;

	open_(w, "tasks", '[');
	for (i = 0; i < c->st->nr_tasks; i++) {
		const struct lmr_task *t = &c->st->tasks[i];

		fputc('\n', w->f);
		open_(w, NULL, '{');
		/* "tid" first: the selftests find a task by {"tid":N, */
		if (c->st->recorded) {
			/* a recording's tasks are totals: not the columns */
			intv(w, "tid", t->tid);
			intv(w, "tgid", t->tgid);
			str(w, "comm", t->comm);
			hexv(w, "futex", t->futex_id, true);
			hexv(w, "uaddr", t->uaddr, false);
			str(w, "lock", lmr_uaddr_name(c, t->tgid, t->uaddr,
						      name, sizeof(name)));
			u64v(w, "waits", t->waits);
			u64v(w, "total_wait_ns", t->wait_ns);
			u64v(w, "max_wait_ns", t->max_ns);
			/* the owner of a wait still open at the end */
			boolv(w, "waiting", t->waiting);
			intv(w, "owner", t->waiting ? t->owner : 0);
			str(w, "owner_how", t->waiting ? t->owner_how : "unknown");
		} else {
			/* the tasks and waitgraph files' columns, by key */
			LOCKMON_TASKS_COLUMNS(J_TASK)
			LOCKMON_WAITGRAPH_COLUMNS(J_TASK)
			str(w, "lock", lmr_uaddr_name(c, t->tgid, t->uaddr,
						      name, sizeof(name)));
			stack(w, c, t->stack_id);
		}
		close_(w, '}');
	}
	close_(w, ']');
}

static void findings(struct jw *w, struct lmr_ctx *c)
{
	char name[LMR_NAME_LEN], line[2048];
	size_t i;
	unsigned int k;

	open_(w, "findings", '[');
	for (i = 0; i < c->st->nr_findings; i++) {
		const struct lmr_finding *f = &c->st->findings[i];

		fputc('\n', w->f);
		open_(w, NULL, '{');
		u64v(w, "seq", f->seq);
		str(w, "kind", f->kind);
		u64v(w, "time_ns", f->time_ns);
		u64v(w, "latency_ns", f->latency_ns);
		if (f->stall_threads) {
			open_(w, "stall", '{');
			intv(w, "tgid", f->stall_tgid);
			u64v(w, "threads", f->stall_threads);
			u64v(w, "blocked_ns", f->stall_blocked_ns);
			close_(w, '}');
		}
		if (!strcmp(f->kind, "starvation")) {
			open_(w, "starvation", '{');
			u64v(w, "waited_ns", f->waited_ns);
			u64v(w, "median_ns", f->median_ns);
			u64v(w, "hands", f->hands);
			close_(w, '}');
		}
		if (f->holder > 0) {	/* a preempted owner (ABI 1.7) */
			open_(w, "holder", '{');
			intv(w, "tid", f->holder);
			intv(w, "tgid", f->holder_tgid);
			str(w, "comm", f->holder_comm);
			intv(w, "prio", f->holder_prio);
			u64v(w, "cpu", f->cpu);
			u64v(w, "off_cpu_ns", f->off_cpu_ns);
			close_(w, '}');
			intv(w, "waiter_prio", f->waiter_prio);
			if (f->ran > 0) {
				open_(w, "ran", '{');
				intv(w, "tid", f->ran);
				intv(w, "tgid", f->ran_tgid);
				str(w, "comm", f->ran_comm);
				intv(w, "prio", f->ran_prio);
				close_(w, '}');
			}
		}
		if (f->owner_tgid) {	/* an orphan's dead owner */
			open_(w, "owner", '{');
			intv(w, "tgid", f->owner_tgid);
			str(w, "comm", f->owner_comm);
			close_(w, '}');
		}
		open_(w, "tasks", '[');
		for (k = 0; k < f->nr; k++) {
			const struct lmr_finding_task *t = &f->t[k];

			open_(w, NULL, '{');
			intv(w, "tid", t->tid);
			intv(w, "tgid", t->tgid);
			str(w, "comm", t->comm);
			hexv(w, "futex", t->futex_id, true);
			hexv(w, "uaddr", t->uaddr, false);
			str(w, "lock", lmr_uaddr_name(c, t->tgid, t->uaddr,
						      name, sizeof(name)));
			intv(w, "owner", t->owner);
			str(w, "owner_how", t->how);
			boolv(w, "timed", t->timed);
			stack(w, c, t->stack_id);
			close_(w, '}');
		}
		close_(w, ']');
		/* the text views' first line for it */
		str(w, "headline", lmr_finding_headline(c, f, line,
							sizeof(line)));
		close_(w, '}');
	}
	close_(w, ']');
}

static void stats(struct jw *w, struct lmr_ctx *c)
{
	unsigned long long v;
	size_t i;

	open_(w, "stats", '{');
	for (i = 0; i < c->st->nr_stats; i++) {
		const struct lmr_stat *s = &c->st->stats[i];

		if (!lmr_parse_uint(s->value, ~0ULL, &v))
			u64v(w, s->name, v);
		else
			str(w, s->name, s->value);
	}
	close_(w, '}');
}

void lmr_json_view(struct lmr_ctx *c, const char *view)
{
	struct jw w = { .f = c->out, .first = { true } };
	bool all = !strcmp(view, "top") || !strcmp(view, "report");

	open_(&w, NULL, '{');
	str(&w, "schema", LMR_SCHEMA);
	str(&w, "view", view);
	str(&w, "source", c->st->source ? c->st->source : "debugfs");
	if (c->st->version[0])
		str(&w, "module_version", c->st->version);
	if (c->st->recorded) {
		u64v(&w, "records", c->st->records);
		u64v(&w, "events", c->st->events);
		u64v(&w, "duration_ns", c->st->duration_ns);
		u64v(&w, "lost_events", c->st->lost_events);
		u64v(&w, "bad_sequences", c->st->bad_sequences);
	}
	if (all || !strcmp(view, "locks"))
		locks(&w, c);
	if (all || !strcmp(view, "tasks") || !strcmp(view, "graph"))
		tasks(&w, c);
	if (all || !strcmp(view, "deadlocks"))
		findings(&w, c);
	if (!strcmp(view, "stats") || (!strcmp(view, "top")))
		stats(&w, c);
	close_(&w, '}');
	fputc('\n', c->out);
}
