// SPDX-License-Identifier: GPL-2.0
/*
 * Text views: locks, tasks, graph, deadlocks, stats, top and the report of
 * a recording. Locks are named by the data symbol that holds the futex
 * word when there is one, stacks by function+offset and, where there is
 * debug information, file:line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lockmon-report.h"

#define TOP_STACK_LOCKS	3

/*
 * The stack of the first wait on the futex at @uaddr of @tgid the state
 * has: in a recording the first such wait; live, the oldest wait now
 * going on, else a finding's. 0 when none has a stack.
 */
static u32 first_stack(const struct lmr_state *st, pid_t tgid, u64 uaddr)
{
	const struct lmr_task *best = NULL;
	size_t i;
	unsigned int k;

	for (i = 0; i < st->nr_waits; i++)
		if (st->waits[i].tgid == tgid && st->waits[i].uaddr == uaddr &&
		    st->waits[i].stack_id)
			return st->waits[i].stack_id;
	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];

		if (t->tgid != tgid || t->uaddr != uaddr || !t->stack_id)
			continue;
		if (!best || t->wait_ns > best->wait_ns ||
		    (t->wait_ns == best->wait_ns && t->tid < best->tid))
			best = t;
	}
	if (best)
		return best->stack_id;
	for (i = 0; i < st->nr_findings; i++)
		for (k = 0; k < st->findings[i].nr; k++) {
			const struct lmr_finding_task *t = &st->findings[i].t[k];

			if (t->tgid == tgid && t->uaddr == uaddr && t->stack_id)
				return t->stack_id;
		}
	return 0;
}

/*
 * The one name of a lock in every view: the data symbol holding its futex
 * word; else where it is taken, "mutex@append_log_line 0x55d0c2a4b2a0"
 * (lmr_sym_site() of the first stack that waited on it), with its address;
 * else the address.
 */
const char *lmr_uaddr_name(struct lmr_ctx *c, pid_t tgid, u64 uaddr,
			   char *buf, size_t len)
{
	const struct lmr_stack *s;
	char site[LMR_NAME_LEN];

	lmr_sym_data(c->syms, tgid, uaddr, buf, len);
	if (strncmp(buf, "0x", 2))
		return buf;
	s = lmr_find_stack(c->st, first_stack(c->st, tgid, uaddr));
	if (s && lmr_sym_site(c->syms, s, site, sizeof(site)))
		snprintf(buf, len, "%s 0x%llx", site, (unsigned long long)uaddr);
	return buf;
}

const char *lmr_lock_name(struct lmr_ctx *c, const struct lmr_lock *l,
			  char *buf, size_t len)
{
	return lmr_uaddr_name(c, l->tgid, l->uaddr, buf, len);
}

/*
 * The futex with module id @id by the name the other views give it: its
 * lock's, else that of a task waiting on it; the id when neither is shown.
 */
const char *lmr_futex_name(struct lmr_ctx *c, u64 id, char *buf, size_t len)
{
	const struct lmr_state *st = c->st;
	size_t i;

	for (i = 0; i < st->nr_locks; i++)
		if (st->locks[i].id == id)
			return lmr_lock_name(c, &st->locks[i], buf, len);
	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].futex_id == id)
			return lmr_uaddr_name(c, st->tasks[i].tgid,
					      st->tasks[i].uaddr, buf, len);
	snprintf(buf, len, "%016llx", (unsigned long long)id);
	return buf;
}

static const char *dur(char *buf, u64 ns)
{
	lmr_fmt_ns(buf, 16, ns);
	return buf;
}

const char *lmr_owner_name(char *buf, size_t len, struct lmr_ctx *c,
			   pid_t owner, const char *how)
{
	char comm[16];

	if (owner <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (c->st->recorded)
		snprintf(comm, sizeof(comm), "?");
	else
		lmr_proc_comm(owner, comm, sizeof(comm));
	snprintf(buf, len, "%s/%d (%s)", comm, owner, how);
	return buf;
}

/*
 * One stack, innermost frame first, one line per frame as gdb shows them:
 * a function inlined at an address has a line of its own, marked
 * "(inlined)", above the function it was inlined into.
 */
static void print_ips(struct lmr_ctx *c, pid_t tgid, const u64 *ip,
		      unsigned int nr, const char *indent)
{
	struct lmr_src_frame f[LMR_MAX_INLINE];
	unsigned int i;
	int k, nf;

	for (i = 0; i < nr; i++) {
		nf = lmr_sym_frames(c->syms, tgid, ip[i], i > 0, f,
				    LMR_MAX_INLINE);
		for (k = 0; k < nf; k++) {
			fprintf(c->out, "%s%s%s", indent, f[k].name,
				f[k].inlined ? " (inlined)" : "");
			if (f[k].file)
				fprintf(c->out, " at %s:%d", f[k].file,
					f[k].line);
			fputc('\n', c->out);
		}
	}
}

static void print_stack(struct lmr_ctx *c, u32 id, const char *indent)
{
	const struct lmr_stack *s = lmr_find_stack(c->st, id);

	if (!s) {
		fprintf(c->out, "%s(no stack captured)\n", indent);
		return;
	}
	print_ips(c, s->tgid, s->ip, s->nr, indent);
	/* a live view unwinds every task it can: say which it could not */
	if (c->st->unwound && !s->cfi)
		fprintf(c->out, "%s(the module's stack, not unwound: frames can be missing)\n",
			indent);
}

/*
 * Nothing to show: @empty when there was nothing, else how many of @what
 * the filters hid ("3 locks, none of pid 12 with a wait >= 5s").
 */
static void none_shown(struct lmr_ctx *c, size_t all, const char *one,
		       const char *many, const char *empty)
{
	char words[128];

	if (c->st->filtered && all)
		fprintf(c->out, "(%zu %s, none %s)\n", all, all == 1 ? one : many,
			lmr_filter_words(c->o, words, sizeof(words)));
	else
		fprintf(c->out, "(%s)\n", empty);
}

/* The columns of -F, else those of the view: @def (LMR_*_FIELDS). */
static const struct lmr_fields *view_fields(struct lmr_ctx *c,
					    const char *def,
					    struct lmr_fields *buf)
{
	if (c->o->fields.nr)
		return &c->o->fields;
	if (lmr_parse_fields(def, buf))
		buf->nr = 0;
	return buf;
}

static void locks_table(struct lmr_ctx *c, size_t max)
{
	struct lmr_fields buf;
	const struct lmr_fields *f = view_fields(c, LMR_LOCKS_FIELDS, &buf);
	size_t i;

	lmr_table_header(c, f, false);
	for (i = 0; i < c->st->nr_locks && i < max; i++)
		lmr_table_row(c, f, &c->st->locks[i], NULL);
	if (!c->st->nr_locks)
		none_shown(c, c->st->all_locks, "lock", "locks",
			   "no contended futex seen");
}

void lmr_view_locks(struct lmr_ctx *c)
{
	locks_table(c, (size_t)-1);
	lmr_holder_lines(c, (size_t)-1);
}

void lmr_view_tasks(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	char name[LMR_NAME_LEN], own[64], a[16], b[16];
	size_t i;

	if (st->recorded) {
		fprintf(c->out, "%-7s %-7s %-16s %7s %9s %9s  %s\n", "TID",
			"PID", "COMM", "WAITS", "TOTAL", "MAX", "LAST LOCK");
		for (i = 0; i < st->nr_tasks; i++) {
			const struct lmr_task *t = &st->tasks[i];

			fprintf(c->out, "%-7d %-7d %-16s %7llu %9s %9s  %s",
				t->tid, t->tgid, t->comm,
				(unsigned long long)t->waits,
				dur(a, t->wait_ns), dur(b, t->max_ns),
				lmr_uaddr_name(c, t->tgid, t->uaddr, name,
					       sizeof(name)));
			/* blocked when the recording ended: on whom */
			if (t->waiting)
				fprintf(c->out, "  (still waiting, owner %s)",
					lmr_owner_name(own, sizeof(own), c, t->owner,
						  t->owner_how));
			fputc('\n', c->out);
		}
		return;
	}
	fprintf(c->out, "%-7s %-7s %-16s %9s %-24s %s\n", "TID", "PID", "COMM",
		"WAITING", "LOCK", "OWNER");
	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];

		fprintf(c->out, "%-7d %-7d %-16s %9s %-24s %s%s\n", t->tid,
			t->tgid, t->comm, dur(a, t->wait_ns),
			lmr_uaddr_name(c, t->tgid, t->uaddr, name, sizeof(name)),
			lmr_owner_name(own, sizeof(own), c, t->owner, t->owner_how),
			t->timed ? " timed" : "");
		print_stack(c, t->stack_id, "        ");
	}
	if (!st->nr_tasks)
		none_shown(c, st->all_tasks, "blocked task", "blocked tasks",
			   "no task is blocked on a futex");
}

void lmr_view_graph(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	char name[LMR_NAME_LEN], who[64];
	struct lmr_graph g;
	size_t i;

	if (lmr_graph_build(c, &g)) {
		lmr_err("out of memory");
		return;
	}
	for (i = 0; i < g.n; i++) {
		const struct lmr_gedge *e = &g.e[i];
		const struct lmr_task *t = e->t;

		fprintf(c->out, "%s --[%s]--> ",
			lmr_graph_name(c, t->tid, who, sizeof(who)),
			lmr_uaddr_name(c, t->tgid, t->uaddr, name, sizeof(name)));
		if (e->holder > 0)
			fprintf(c->out, "%s (%s)",
				lmr_graph_name(c, e->holder, who, sizeof(who)),
				e->how);
		else
			fprintf(c->out, "? (owner unknown)");
		if (e->holder_waits)
			fprintf(c->out, ", which waits on %s",
				lmr_uaddr_name(c, e->holder_waits->t->tgid,
					       e->holder_waits->t->uaddr, name,
					       sizeof(name)));
		fprintf(c->out, "%s%s\n",
			e->orphan ? "   <== ORPHAN: the owner has exited" : "",
			e->cycle ? "   <== CYCLE" : "");
	}
	if (!g.n)
		none_shown(c, st->all_graph, "wait in the graph",
			   "waits in the graph", "the wait-for graph is empty");
	lmr_graph_free(&g);
}

/* Append to @buf, within @len. */
static void cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/*
 * One line for a finding that a person can paste into a ticket:
 * "DEADLOCK pid 214 (cxx_abba): checking ↔ savings, threads 216, 217".
 * The locks are named as every view names them (lmr_uaddr_name()), each
 * once, in the order of the chain; a cycle's are joined by ↔.
 */
const char *lmr_finding_headline(struct lmr_ctx *c,
				 const struct lmr_finding *f, char *buf,
				 size_t len)
{
	bool cycle = !strcmp(f->kind, "cycle") ||
		     !strcmp(f->kind, "pi-edeadlk");
	bool blame = f->holder > 0;
	char name[LMR_NAME_LEN], names[LOCKMON_MAX_CHAIN][LMR_NAME_LEN];
	const char *comm = NULL;
	unsigned int k, j, nn = 0;
	bool one_proc = true;
	size_t i;

	buf[0] = 0;
	for (i = 0; f->kind[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)(f->kind[i] >= 'a' && f->kind[i] <= 'z' ?
				 f->kind[i] - 32 : f->kind[i]);
	name[i] = 0;
	cat(buf, len, "%s", cycle ? "DEADLOCK" : name);
	if (!f->nr)
		return buf;
	for (k = 0; k < f->nr; k++) {
		if (f->t[k].tgid != f->t[0].tgid)
			one_proc = false;
		if (f->t[k].tid == f->t[0].tgid)
			comm = f->t[k].comm;
	}
	if (one_proc) {
		if (!comm)
			comm = lmr_tgid_comm(c->st, f->t[0].tgid);
		if (!comm || !comm[0] || !strcmp(comm, "-"))
			comm = f->t[0].comm;
		cat(buf, len, " pid %d (%s):", f->t[0].tgid, comm);
	} else {
		cat(buf, len, " pids");
		for (k = 0; k < f->nr; k++) {
			for (j = 0; j < k && f->t[j].tgid != f->t[k].tgid; j++)
				;
			if (j == k)
				cat(buf, len, "%s %d (%s)", k ? "," : "",
				    f->t[k].tgid, f->t[k].comm);
		}
		cat(buf, len, ":");
	}
	for (k = 0; k < f->nr && nn < LOCKMON_MAX_CHAIN; k++) {
		lmr_uaddr_name(c, f->t[k].tgid, f->t[k].uaddr, name,
			       sizeof(name));
		for (j = 0; j < nn && strcmp(names[j], name); j++)
			;
		if (j < nn)
			continue;
		memcpy(names[nn], name, sizeof(name));
		cat(buf, len, "%s %s", nn ? (cycle ? " \u2194" : ",") : "",
		    names[nn]);
		nn++;
	}
	if (!strcmp(f->kind, "orphan") && f->t[0].owner > 0)
		cat(buf, len, " held by %d (%s), exited", f->t[0].owner,
		    f->owner_comm[0] ? f->owner_comm : "?");
	if (f->holder > 0)
		cat(buf, len, " held by %d (%s), off CPU %u for %s",
		    f->holder, f->holder_comm[0] ? f->holder_comm : "?",
		    f->cpu, dur(name, f->off_cpu_ns));
	if (f->holder > 0 && f->ran > 0)
		cat(buf, len, " while %d (%s) runs", f->ran,
		    f->ran_comm[0] ? f->ran_comm : "?");
	cat(buf, len, ", %s%s", blame ? "waiting thread" : "thread",
	    f->nr == 1 ? "" : "s");
	for (k = 0; k < f->nr; k++)
		cat(buf, len, "%s %d", k ? "," : "", f->t[k].tid);
	if (cycle && f->stall_threads)
		cat(buf, len, "; the whole process is now blocked");
	return buf;
}

/* The headlines of the findings shown, one line each, then a blank line. */
void lmr_finding_headlines(struct lmr_ctx *c)
{
	char line[2048];
	size_t i;

	for (i = 0; i < c->st->nr_findings; i++)
		fprintf(c->out, "%s\n",
			lmr_finding_headline(c, &c->st->findings[i], line,
					     sizeof(line)));
	if (c->st->nr_findings)
		fputc('\n', c->out);
}

/* A kernel prio as a user sets it: "rt 30" (SCHED_FIFO/RR) or "nice 0". */
const char *lmr_prio_str(char *buf, size_t len, int prio)
{
	if (prio < 0)
		snprintf(buf, len, "?");
	else if (prio < 100)
		snprintf(buf, len, "rt %d", 99 - prio);
	else
		snprintf(buf, len, "nice %d", prio - 120);
	return buf;
}

/* The findings in the shape of a lockdep report. */
static void deadlocks_body(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	char name[LMR_NAME_LEN], a[16], b[16];
	size_t i;
	unsigned int k;

	for (i = 0; i < st->nr_findings; i++) {
		const struct lmr_finding *f = &st->findings[i];
		bool cycle = !strcmp(f->kind, "cycle");
		bool stall = !strcmp(f->kind, "stall");
		bool orphan = !strcmp(f->kind, "orphan");
		bool starve = !strcmp(f->kind, "starvation");
		bool inversion = !strcmp(f->kind, "priority-inversion");
		char pa[24], pb[24], pc[24];

		fprintf(c->out, "======================================================\n");
		fprintf(c->out, "finding %llu: %s, %u task%s",
			(unsigned long long)f->seq,
			cycle ? "deadlock cycle" : f->kind, f->nr,
			f->nr == 1 ? "" : "s");
		/* only a finding made as a wait began has a latency */
		if (f->latency_ns)
			fprintf(c->out, " (found %s after the last wait began)",
				dur(a, f->latency_ns));
		fprintf(c->out, "\n------------------------------------------------------\n");
		if (stall && f->stall_threads)
			fprintf(c->out, "Every thread of process %d is blocked (%u thread%s, the longest for %s):\n",
				f->stall_tgid, f->stall_threads,
				f->stall_threads == 1 ? "" : "s",
				dur(a, f->stall_blocked_ns));
		else if (stall)
			fprintf(c->out, "Every thread of the process is blocked:\n");
		else if (orphan && f->owner_tgid && f->nr)
			fprintf(c->out, "The owner, %s/%d (pid %d), has exited holding the lock:\n",
				f->owner_comm[0] ? f->owner_comm : "?",
				f->t[0].owner, f->owner_tgid);
		else if (orphan)
			fprintf(c->out, "The owner has exited:\n");
		else if (starve)
			fprintf(c->out, "One task starved: it waited %s, %llu times the lock's median wait of %s, while the lock changed hands %u times.\nThe lock is unfair: newcomers take it before a woken waiter (barging). A fair lock (FIFO or ticket) would serve it in turn.\n",
				dur(a, f->waited_ns),
				(unsigned long long)(f->waited_ns /
						     (f->median_ns ? f->median_ns : 1)),
				dur(b, f->median_ns), f->hands);
		else if (f->holder > 0) {
			fprintf(c->out, "The holder, %s/%d (pid %d, %s), has been runnable but off CPU %u for %s",
				f->holder_comm[0] ? f->holder_comm : "?",
				f->holder, f->holder_tgid,
				lmr_prio_str(pa, sizeof(pa), f->holder_prio),
				f->cpu, dur(a, f->off_cpu_ns));
			if (f->ran > 0)
				fprintf(c->out, ", while %s/%d (pid %d, %s) runs there",
					f->ran_comm[0] ? f->ran_comm : "?",
					f->ran, f->ran_tgid,
					lmr_prio_str(pb, sizeof(pb), f->ran_prio));
			fprintf(c->out, ".\n");
			if (inversion)
				fprintf(c->out, "Priority inversion: %s/%d (%s) waits for a holder of lower priority, which a task of a priority between the two keeps off the CPU. A PI mutex (PTHREAD_PRIO_INHERIT) would lend the holder the waiter's priority.\n",
					f->t[0].comm, f->t[0].tid,
					lmr_prio_str(pc, sizeof(pc), f->waiter_prio));
			else
				fprintf(c->out, "Lock-holder preemption: the tasks below wait while the holder waits for a CPU. Check CPU contention, affinity and isolation on CPU %u.\n",
					f->cpu);
		} else
			fprintf(c->out, "Chain exists of:\n");
		for (k = 0; k < f->nr; k++) {
			const struct lmr_finding_task *t = &f->t[k];

			fprintf(c->out, "  -> #%u %s/%d (pid %d) waits on %s",
				f->nr - 1 - k, t->comm, t->tid, t->tgid,
				lmr_uaddr_name(c, t->tgid, t->uaddr, name,
					       sizeof(name)));
			if (t->owner > 0)
				fprintf(c->out, " held by %d [%s]", t->owner,
					t->how);
			fprintf(c->out, "%s\n", t->timed ? " (timed)" : "");
			print_stack(c, t->stack_id, "        ");
		}
		if (cycle || !strcmp(f->kind, "pi-edeadlk"))
			fprintf(c->out, "\n *** DEADLOCK ***\n");
		/* a stall that only added to this finding */
		if (!stall && f->stall_threads)
			fprintf(c->out, "\nAnd the whole process is now blocked: every thread of process %d (%u thread%s), the longest for %s.\n",
				f->stall_tgid, f->stall_threads,
				f->stall_threads == 1 ? "" : "s",
				dur(a, f->stall_blocked_ns));
		fprintf(c->out, "\n");
	}
	if (!st->nr_findings)
		none_shown(c, st->all_findings, "finding", "findings",
			   "no findings");
}

/* deadlocks: the findings' headlines, then each in full */
void lmr_view_deadlocks(struct lmr_ctx *c)
{
	lmr_finding_headlines(c);
	deadlocks_body(c);
}

/* Counters that mean something was not seen: a reader must not miss them. */
static bool is_drop(const char *name)
{
	return !strcmp(name, "task_table_full") ||
	       !strcmp(name, "futex_table_full") ||
	       !strcmp(name, "stacks_dropped") ||
	       !strcmp(name, "findings_dropped") ||
	       !strcmp(name, "bad_sequence");
}

void lmr_view_stats(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	size_t i;

	if (st->version[0])
		fprintf(c->out, "%-28s %s\n", "module", st->version);
	for (i = 0; i < st->nr_stats; i++)
		fprintf(c->out, "%-28s %s%s\n", st->stats[i].name,
			st->stats[i].value,
			is_drop(st->stats[i].name) &&
			strcmp(st->stats[i].value, "0") ? "   <== LOST DATA" : "");
}

static const char *stat_value(const struct lmr_state *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nr_stats; i++)
		if (!strcmp(st->stats[i].name, name))
			return st->stats[i].value;
	return "?";
}

/* Distinct waiter stacks of a lock, with how many tasks wait in each. */
static void waiter_stacks(struct lmr_ctx *c, const struct lmr_lock *l)
{
	struct lmr_state *st = c->st;
	u32 seen[64];
	unsigned int nseen = 0, j, count;
	size_t i, k;

	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];

		if (t->futex_id != l->id)
			continue;
		for (j = 0; j < nseen && seen[j] != t->stack_id; j++)
			;
		if (j < nseen || nseen == 64)
			continue;
		seen[nseen++] = t->stack_id;
		for (k = 0, count = 0; k < st->nr_tasks; k++)
			count += st->tasks[k].futex_id == l->id &&
				 st->tasks[k].stack_id == t->stack_id;
		fprintf(c->out, "    %u waiter%s (e.g. %s/%d) blocked at:\n",
			count, count == 1 ? "" : "s", t->comm, t->tid);
		print_stack(c, t->stack_id, "        ");
	}
}

/* The state letter of /proc/TGID/task/TID/stat, '?' if it cannot be read. */
static char thread_state(pid_t tgid, pid_t tid)
{
	char path[64], *s, *p, st = '?';

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", tgid, tid);
	s = lmr_read_file(path, NULL, 4096);
	if (!s)
		return st;
	p = strrchr(s, ')');		/* the comm may hold blanks and ')' */
	if (p && p[1] == ' ' && p[2])
		st = p[2];
	free(s);
	return st;
}

/*
 * Where the holder of @l is. One blocked on a futex itself has the stack
 * the module took when its wait began; one that is not is never stopped
 * to find out, unless --ptrace-holders says so.
 */
static void holder_stack(struct lmr_ctx *c, const struct lmr_lock *l)
{
	char comm[16], name[LMR_NAME_LEN], d[16];
	u64 ips[32];
	char state;
	int n;

	if (l->owner <= 0) {
		fprintf(c->out, "    holder: unknown (%s)\n", l->owner_how);
		return;
	}
	lmr_proc_comm(l->owner, comm, sizeof(comm));
	if (l->owner_blocked) {
		fprintf(c->out, "    holder %s/%d (%s) is blocked on %s for %s at:\n",
			comm, l->owner, l->owner_how,
			lmr_uaddr_name(c, l->tgid, l->owner_uaddr, name,
				       sizeof(name)),
			dur(d, l->owner_wait_ns));
		print_stack(c, l->owner_stack, "        ");
		return;
	}
	fprintf(c->out, "    holder %s/%d (%s) is at:\n", comm, l->owner,
		l->owner_how);
	if (!c->o->ptrace_holders) {
		state = thread_state(l->tgid, l->owner);
		if (state == 'R')
			fprintf(c->out, "        running: no stack without stopping it (--ptrace-holders)\n");
		else if (state == '?')
			fprintf(c->out, "        not in a futex wait: no stack without stopping it (--ptrace-holders)\n");
		else
			fprintf(c->out, "        not in a futex wait (state %c): no stack without stopping it (--ptrace-holders)\n",
				state);
		return;
	}
	n = lmr_thread_stack(c->syms, l->tgid, l->owner, ips, 32);
	if (n <= 0) {
		fprintf(c->out, "        (cannot unwind the holder)\n");
		return;
	}
	print_ips(c, l->tgid, ips, (unsigned int)n, "        ");
}

/*
 * The most contended locks now, with the change since the previous
 * refresh when there is one; then who holds and who waits on the first.
 */
void lmr_view_top(struct lmr_ctx *c, const struct lmr_state *prev)
{
	struct lmr_state *st = c->st;
	size_t i, shown, limit = c->o->limit ? c->o->limit : 10;
	const struct lmr_fields *f;
	char name[LMR_NAME_LEN], tbuf[16];
	struct lmr_fields buf;
	time_t now = time(NULL);
	unsigned int waiting = 0;

	lmr_finding_headlines(c);
	for (i = 0; i < st->nr_locks; i++)
		waiting += st->locks[i].waiters;
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	fprintf(c->out, "lockmon %s  %s  locks %zu  blocked tasks %u  findings %zu\n",
		st->version, tbuf, st->nr_locks, waiting, st->nr_findings);
	fprintf(c->out, "drops: tasks %s futexes %s stacks %s findings %s\n\n",
		stat_value(st, "task_table_full"),
		stat_value(st, "futex_table_full"),
		stat_value(st, "stacks_dropped"),
		stat_value(st, "findings_dropped"));
	f = view_fields(c, LMR_TOP_FIELDS, &buf);
	lmr_table_header(c, f, prev != NULL);
	for (i = 0; i < st->nr_locks && i < limit; i++)
		lmr_table_row(c, f, &st->locks[i], prev);
	if (!st->nr_locks)
		none_shown(c, st->all_locks, "lock", "locks",
			   "no contended futex seen yet");
	lmr_holder_lines(c, limit);
	for (i = 0, shown = 0; i < st->nr_locks && shown < TOP_STACK_LOCKS; i++) {
		const struct lmr_lock *l = &st->locks[i];

		if (!l->waiters || strcmp(l->klass, "lock"))
			continue;
		fprintf(c->out, "\n%s (%s/%d): %u waiting\n",
			lmr_lock_name(c, l, name, sizeof(name)),
			lmr_tgid_comm(st, l->tgid), l->tgid, l->waiters);
		holder_stack(c, l);
		waiter_stacks(c, l);
		shown++;
	}
}

void lmr_view_report(struct lmr_ctx *c)
{
	struct lmr_state *st = c->st;
	char a[16];

	fprintf(c->out, "source %s: %llu records (%llu events) over %s; lost events: %llu%s\n",
		st->source, (unsigned long long)st->records,
		(unsigned long long)st->events, dur(a, st->duration_ns), (unsigned long long)st->lost_events,
		st->lost_events ? "  <== the ring buffer overflowed: figures are low" : "");
	if (st->bad_sequences)
		fprintf(c->out, "impossible event orders: %llu\n",
			(unsigned long long)st->bad_sequences);
	fprintf(c->out, "\nLocks\n");
	locks_table(c, (size_t)-1);
	fprintf(c->out, "\nTasks\n");
	lmr_view_tasks(c);
	fprintf(c->out, "\nFindings\n");
	deadlocks_body(c);
}
