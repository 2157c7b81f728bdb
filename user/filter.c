// SPDX-License-Identifier: GPL-2.0
/*
 * -p, -t, --comm, --min-wait and --class, applied to every view the same
 * way, and -k, the order of the locks that are kept.
 */
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

bool lmr_want_task(const struct lmr_opts *o, pid_t tid, pid_t tgid,
		   const char *comm, u64 wait_ns)
{
	if (o->pid && o->pid != tid && o->pid != tgid)
		return false;
	if (o->tid && o->tid != tid)
		return false;
	if (o->comm[0] && (!comm || strcmp(o->comm, comm)))
		return false;
	return wait_ns >= o->min_wait_ns;
}

/* What --class keeps: as given, else lock for the stack profiles, all else. */
int lmr_class_of(const struct lmr_opts *o, bool stacks)
{
	if (o->klass)
		return o->klass;
	return stacks ? LMR_CLASS_LOCK : LMR_CLASS_ALL;
}

/* The class column of futex @id; one the state does not list is unknown. */
const char *lmr_futex_class(const struct lmr_state *st, u64 id)
{
	size_t i;

	for (i = 0; i < st->nr_locks; i++)
		if (st->locks[i].id == id)
			return st->locks[i].klass[0] ? st->locks[i].klass :
						       "unknown";
	return "unknown";
}

bool lmr_class_wants(int klass, const char *name)
{
	if (klass == LMR_CLASS_LOCK)
		return !strcmp(name, "lock");
	if (klass == LMR_CLASS_EVENT)
		return !strcmp(name, "event");
	return true;
}

static bool class_wants_futex(const struct lmr_state *st, int klass, u64 id)
{
	return lmr_class_wants(klass, lmr_futex_class(st, id));
}

/* A finding is dropped only if every futex of it is of another class. */
static bool class_wants_finding(const struct lmr_state *st, int klass,
				const struct lmr_finding *f)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (!lmr_find_lock((struct lmr_state *)st, f->t[i].futex_id) ||
		    class_wants_futex(st, klass, f->t[i].futex_id))
			return true;
	return !f->nr;
}

/* --class: tasks, waits and findings by their futex, then the locks. */
static void filter_class(struct lmr_state *st, int klass)
{
	size_t i, k;

	for (i = 0, k = 0; i < st->nr_tasks; i++)
		if (class_wants_futex(st, klass, st->tasks[i].futex_id))
			st->tasks[k++] = st->tasks[i];
	st->nr_tasks = k;
	for (i = 0, k = 0; i < st->nr_waits; i++)
		if (class_wants_futex(st, klass, st->waits[i].futex_id))
			st->waits[k++] = st->waits[i];
	st->nr_waits = k;
	for (i = 0, k = 0; i < st->nr_findings; i++)
		if (class_wants_finding(st, klass, &st->findings[i]))
			st->findings[k++] = st->findings[i];
	st->nr_findings = k;
	for (i = 0, k = 0; i < st->nr_locks; i++)
		if (lmr_class_wants(klass, st->locks[i].klass))
			st->locks[k++] = st->locks[i];
	st->nr_locks = k;
}

/* With -t: did that thread wait on @l, now or in the recording? */
static bool thread_waited_on(const struct lmr_state *st, pid_t tid,
			     const struct lmr_lock *l)
{
	size_t i;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == tid && st->tasks[i].futex_id == l->id)
			return true;
	for (i = 0; i < st->nr_waits; i++)
		if (st->waits[i].tid == tid && st->waits[i].futex_id == l->id)
			return true;
	return false;
}

/* A lock is kept whole: its figures are those of all its waiters. */
static bool want_lock(struct lmr_state *st, const struct lmr_opts *o,
		      const struct lmr_lock *l)
{
	u64 longest = l->max_ns;
	size_t i;

	if (o->tid && !thread_waited_on(st, o->tid, l))
		return false;
	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].futex_id == l->id && !st->recorded &&
		    st->tasks[i].wait_ns > longest)
			longest = st->tasks[i].wait_ns;
	return lmr_want_task(o, o->tid ? o->tid : l->tgid, l->tgid,
			     o->comm[0] ? lmr_tgid_comm(st, l->tgid) : NULL,
			     longest);
}

static bool want_finding(struct lmr_state *st, const struct lmr_opts *o,
			 const struct lmr_finding *f)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (lmr_want_task(o, f->t[i].tid, f->t[i].tgid, f->t[i].comm,
				  o->min_wait_ns))
			return true;
	/* a stall whose task records were not recorded: by its process */
	return f->stall_threads &&
	       lmr_want_task(o, f->stall_tgid, f->stall_tgid,
			     lmr_tgid_comm(st, f->stall_tgid), o->min_wait_ns);
}

/*
 * A live lock's owner that is itself in a futex wait has a row in the
 * tasks file, with its stack: noted before -p, -t or --min-wait drop it.
 */
static void note_blocked_owners(struct lmr_state *st)
{
	size_t i, j;

	for (i = 0; i < st->nr_locks && !st->recorded; i++) {
		struct lmr_lock *l = &st->locks[i];

		l->owner_blocked = false;
		for (j = 0; l->owner > 0 && j < st->nr_tasks; j++) {
			const struct lmr_task *t = &st->tasks[j];

			if (t->tid != l->owner)
				continue;
			l->owner_blocked = true;
			l->owner_stack = t->stack_id;
			l->owner_uaddr = t->uaddr;
			l->owner_wait_ns = t->wait_ns;
			break;
		}
	}
}

void lmr_filter(struct lmr_state *st, const struct lmr_opts *o)
{
	size_t i, k;

	note_blocked_owners(st);
	lmr_sort_locks(st, o->sort_key);
	if (o->klass && o->klass != LMR_CLASS_ALL)
		filter_class(st, o->klass);
	st->filtered = o->pid || o->tid || o->comm[0] || o->min_wait_ns;
	if (!st->filtered)
		return;
	st->all_locks = st->nr_locks;
	st->all_tasks = st->nr_tasks;
	st->all_findings = st->nr_findings;
	for (i = 0, st->all_graph = 0; i < st->nr_tasks; i++)
		st->all_graph += !st->recorded || st->tasks[i].waiting;
	/* locks first: they look at the task list before it is filtered */
	for (i = 0, k = 0; i < st->nr_locks; i++)
		if (want_lock(st, o, &st->locks[i]))
			st->locks[k++] = st->locks[i];
	st->nr_locks = k;
	for (i = 0, k = 0; i < st->nr_tasks; i++) {
		struct lmr_task *t = &st->tasks[i];

		if (lmr_want_task(o, t->tid, t->tgid, t->comm,
				  st->recorded ? t->max_ns : t->wait_ns))
			st->tasks[k++] = *t;
	}
	st->nr_tasks = k;
	for (i = 0, k = 0; i < st->nr_waits; i++) {
		struct lmr_wait *w = &st->waits[i];

		if (lmr_want_task(o, w->tid, w->tgid, w->comm, w->wait_ns))
			st->waits[k++] = *w;
	}
	st->nr_waits = k;
	for (i = 0, k = 0; i < st->nr_findings; i++)
		if (want_finding(st, o, &st->findings[i]))
			st->findings[k++] = st->findings[i];
	st->nr_findings = k;
}

/* "of pid 12 with a wait >= 5s": what the filters of @o keep. */
const char *lmr_filter_words(const struct lmr_opts *o, char *buf, size_t len)
{
	char d[16];
	size_t n = 0;

	buf[0] = 0;
	if (o->pid && n < len)
		n += (size_t)snprintf(buf + n, len - n, " of pid %d", o->pid);
	if (o->tid && n < len)
		n += (size_t)snprintf(buf + n, len - n, " of thread %d", o->tid);
	if (o->comm[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, " of command %s", o->comm);
	if (o->min_wait_ns && n < len) {
		lmr_fmt_ns(d, sizeof(d), o->min_wait_ns);
		snprintf(buf + n, len - n, " with a wait >= %s", d);
	}
	return buf[0] ? buf + 1 : buf;
}
