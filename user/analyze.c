// SPDX-License-Identifier: GPL-2.0
/*
 * From events to figures, as perf lock does it: a state machine per task
 * (begin -> [wake] -> end) and per futex totals. An impossible order (an
 * end without a begin, two begins) is counted in bad_sequences, and the
 * figures the end event carries on its own are still used.
 */
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

struct lmr_pending {
	pid_t tid;
	bool active, woken;
	bool snap;		/* the active wait is the snapshot's */
	bool seen;		/* a wait of it began in the recording */
	u64 futex_id, begin_ns, wake_ns;
	u32 stack_id;
	pid_t owner;
	/* the wake of the wait under way, from its WAKE record */
	pid_t waker, waker_tgid;
	u32 waker_stack;
	u64 waker_weight_ns, waker_wait_ns;
};

/* tids that waited on a lock: a waker among them makes it lock-like */
struct lmr_waiter_set {
	u64 futex_id;
	pid_t *tid;
	size_t n, cap;
};

struct lmr_analysis {
	struct lmr_state *st;
	struct lmr_pending *pend;
	size_t nr_pend, cap_pend;
	struct lmr_waiter_set *ws;
	size_t nr_ws, cap_ws;
	u64 first_ns, last_ns;
};

static const char *const how_names[] = {
	[LOCKMON_OWNER_NONE] = "unknown",
	[LOCKMON_OWNER_PI] = "pi-word",
	[LOCKMON_OWNER_GLIBC] = "glibc-owner",
	[LOCKMON_OWNER_INFERRED] = "inferred",
};

static const char *const kind_names[] = {
	[LOCKMON_FINDING_CYCLE] = "cycle",
	[LOCKMON_FINDING_PI_EDEADLK] = "pi-edeadlk",
	[LOCKMON_FINDING_ORPHAN] = "orphan",
	[LOCKMON_FINDING_STALL] = "stall",
	[LOCKMON_FINDING_TRANSIENT] = "transient",
	[LOCKMON_FINDING_STARVATION] = "starvation",
	[LOCKMON_FINDING_HOLDER_PREEMPTED] = "holder-preempted",
	[LOCKMON_FINDING_PRIO_INVERSION] = "priority-inversion",
};

const char *lmr_how_name(unsigned int how)
{
	return how < 4 ? how_names[how] : "?";
}

const char *lmr_kind_name(unsigned int kind)
{
	return kind >= 1 && kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
}

/* The codes of the names above, for the snapshot; 0 if none. */
unsigned int lmr_how_code(const char *name)
{
	unsigned int i;

	for (i = 1; i < 4; i++)
		if (!strcmp(name, how_names[i]))
			return i;
	return LOCKMON_OWNER_NONE;
}

unsigned int lmr_kind_code(const char *name)
{
	unsigned int i;

	for (i = 1; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return 0;
}

struct lmr_analysis *lmr_analysis_new(struct lmr_state *st)
{
	struct lmr_analysis *a = calloc(1, sizeof(*a));

	if (a)
		a->st = st;
	return a;
}

static struct lmr_pending *pending(struct lmr_analysis *a, pid_t tid)
{
	struct lmr_pending *arr;
	size_t i;

	for (i = 0; i < a->nr_pend; i++)
		if (a->pend[i].tid == tid)
			return &a->pend[i];
	arr = lmr_grow(a->pend, &a->cap_pend, a->nr_pend, sizeof(*arr));
	if (!arr)
		return NULL;
	a->pend = arr;
	arr[a->nr_pend].tid = tid;
	return &arr[a->nr_pend++];
}

static struct lmr_waiter_set *waiter_set(struct lmr_analysis *a, u64 id)
{
	struct lmr_waiter_set *arr;
	size_t i;

	for (i = 0; i < a->nr_ws; i++)
		if (a->ws[i].futex_id == id)
			return &a->ws[i];
	arr = lmr_grow(a->ws, &a->cap_ws, a->nr_ws, sizeof(*arr));
	if (!arr)
		return NULL;
	a->ws = arr;
	arr[a->nr_ws].futex_id = id;
	return &arr[a->nr_ws++];
}

static bool ws_has(const struct lmr_waiter_set *w, pid_t tid)
{
	size_t i;

	for (i = 0; w && i < w->n; i++)
		if (w->tid[i] == tid)
			return true;
	return false;
}

static void ws_add(struct lmr_waiter_set *w, pid_t tid)
{
	pid_t *arr;

	if (!w || ws_has(w, tid))
		return;
	arr = lmr_grow(w->tid, &w->cap, w->n, sizeof(*arr));
	if (!arr)
		return;
	w->tid = arr;
	arr[w->n++] = tid;
}

/* the tids seen to begin a wait on futex id: exact, not the module's Bloom */
static u32 distinct(const struct lmr_analysis *a, u64 id)
{
	size_t i;

	for (i = 0; i < a->nr_ws; i++)
		if (a->ws[i].futex_id == id)
			return (u32)a->ws[i].n;
	return 0;
}

static struct lmr_lock *lock_of(struct lmr_analysis *a,
				const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_lock *l = lmr_find_lock(st, r->futex_id), *arr;

	if (l)
		return l;
	arr = lmr_grow(st->locks, &st->cap_locks, st->nr_locks, sizeof(*arr));
	if (!arr)
		return NULL;
	st->locks = arr;
	l = &arr[st->nr_locks++];
	l->id = r->futex_id;
	l->tgid = (pid_t)r->tgid;
	l->uaddr = r->uaddr;
	l->hold_syscall = -1;	/* events carry no holder state */
	return l;
}

static struct lmr_task *task_of(struct lmr_analysis *a,
				const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_task *arr;
	size_t i;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == (pid_t)r->tid)
			return &st->tasks[i];
	arr = lmr_grow(st->tasks, &st->cap_tasks, st->nr_tasks, sizeof(*arr));
	if (!arr)
		return NULL;
	st->tasks = arr;
	arr[st->nr_tasks].tid = (pid_t)r->tid;
	arr[st->nr_tasks].tgid = (pid_t)r->tgid;
	memcpy(arr[st->nr_tasks].comm, r->comm, sizeof(r->comm));
	arr[st->nr_tasks].comm[15] = 0;
	return &arr[st->nr_tasks++];
}

static void wait_begin(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_pending *p = pending(a, (pid_t)r->tid);
	struct lmr_lock *l = lock_of(a, r);
	struct lmr_task *t = task_of(a, r);

	if (!p || !l || !t)
		return;
	/*
	 * The snapshot is read after the events are on: a wait that began
	 * in between is in both, and the event is the one to keep.
	 */
	if (p->active && p->snap && p->futex_id == r->futex_id && !r->nr) {
		p->snap = false;
		p->begin_ns = r->ts_ns;
		if (r->stack_id) {
			p->stack_id = r->stack_id;
			t->stack_id = r->stack_id;
		}
		return;
	}
	if (p->active)
		a->st->bad_sequences++;
	p->snap = r->nr == 1;
	p->seen = true;
	p->active = true;
	p->woken = false;
	p->futex_id = r->futex_id;
	p->begin_ns = r->ts_ns;
	p->stack_id = r->stack_id;
	p->owner = (pid_t)r->peer;
	p->waker = 0;
	p->waker_tgid = 0;
	p->waker_stack = 0;
	p->waker_weight_ns = 0;
	p->waker_wait_ns = 0;
	l->waiters++;
	l->owner = (pid_t)r->peer;
	snprintf(l->owner_how, sizeof(l->owner_how), "%s",
		 lmr_how_name(r->owner_how));
	if (r->owner_how == LOCKMON_OWNER_GLIBC ||
	    r->owner_how == LOCKMON_OWNER_PI)
		l->owner_seen = true;
	if (r->owner_how == LOCKMON_OWNER_PI)
		l->pi = true;
	ws_add(waiter_set(a, r->futex_id), (pid_t)r->tid);
	t->futex_id = r->futex_id;
	t->uaddr = r->uaddr;
	t->owner = (pid_t)r->peer;
	snprintf(t->owner_how, sizeof(t->owner_how), "%s",
		 lmr_how_name(r->owner_how));
	t->stack_id = r->stack_id;
	t->waiting = true;
}

static void wait_end(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_pending *p = pending(a, (pid_t)r->tid);
	struct lmr_lock *l = lock_of(a, r);
	struct lmr_task *t = task_of(a, r);
	struct lmr_wait *w;
	bool matched = false;
	u32 stack = 0;

	if (!p || !l || !t)
		return;
	if (!p->active || p->futex_id != r->futex_id) {
		/* a wait that began before the recording is not an error */
		if (p->seen)
			st->bad_sequences++;
	} else {
		matched = true;
		stack = p->stack_id;
		if (l->waiters)
			l->waiters--;
		if (p->woken && r->ts_ns >= p->wake_ns) {
			u64 h = r->ts_ns - p->wake_ns;

			l->handoff_total_ns += h;
			l->handoff_count++;
			if (h > l->handoff_max_ns)
				l->handoff_max_ns = h;
		}
	}
	p->active = false;
	l->waits++;
	l->total_ns += r->value;
	if (r->value > l->max_ns)
		l->max_ns = r->value;
	if (r->result == LOCKMON_WAIT_TIMEOUT)
		l->timeouts++;
	else if (r->result == LOCKMON_WAIT_SIGNAL)
		l->signals++;
	t->waits++;
	t->wait_ns += r->value;
	if (r->value > t->max_ns)
		t->max_ns = r->value;
	t->futex_id = r->futex_id;
	t->uaddr = r->uaddr;
	t->waiting = false;

	w = lmr_grow(st->waits, &st->cap_waits, st->nr_waits, sizeof(*w));
	if (!w)
		return;
	st->waits = w;
	w = &w[st->nr_waits++];
	w->tid = (pid_t)r->tid;
	w->tgid = (pid_t)r->tgid;
	memcpy(w->comm, r->comm, sizeof(w->comm));
	w->comm[15] = 0;
	w->futex_id = r->futex_id;
	w->uaddr = r->uaddr;
	w->wait_ns = r->value;
	w->stack_id = stack;
	w->weight_ns = r->value;
	w->owner = 0;
	w->waker = 0;
	w->waker_tgid = 0;
	w->waker_stack = 0;
	w->waker_weight_ns = 0;
	w->waker_wait_ns = 0;
	if (matched) {
		w->owner = p->owner;
		if (p->woken) {
			w->waker = p->waker;
			w->waker_tgid = p->waker_tgid;
			w->waker_stack = p->waker_stack;
			w->waker_weight_ns = p->waker_weight_ns;
			w->waker_wait_ns = p->waker_wait_ns;
		}
	}
	if (r->nr) {
		/* ABI 1.2: sampled at the end, by Go's block-profile rule */
		if (r->stack_id)
			w->stack_id = r->stack_id;
		w->weight_ns = r->weight_ns;
	}
}

/* The scan gave a wait under way its stack. */
static void wait_stack(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_pending *p = pending(a, (pid_t)r->tid);
	struct lmr_task *t = task_of(a, r);

	if (p && p->active && p->futex_id == r->futex_id)
		p->stack_id = r->stack_id;
	if (t && t->waiting && t->futex_id == r->futex_id)
		t->stack_id = r->stack_id;
}

static void wake(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_lock *l = lmr_find_lock(a->st, r->futex_id);
	struct lmr_pending *p = pending(a, (pid_t)r->peer);

	if (l) {
		l->wakes++;
		if (ws_has(waiter_set(a, r->futex_id), (pid_t)r->tid))
			l->mutual_wakes++;
	}
	if (p && p->active && !p->woken) {
		p->woken = true;
		p->wake_ns = r->ts_ns;
		p->waker = (pid_t)r->tid;
		p->waker_tgid = (pid_t)r->tgid;
		p->waker_stack = r->nr ? r->stack_id : 0;
		p->waker_weight_ns = r->nr ? r->weight_ns : 0;
		p->waker_wait_ns = r->nr ? r->value : 0;
	}
}

/* A thread created another: threadcreate's unit, counted each. */
static void thread(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_create *c;

	c = lmr_grow(st->creates, &st->cap_creates, st->nr_creates,
		     sizeof(*c));
	if (!c)
		return;
	st->creates = c;
	c = &c[st->nr_creates++];
	c->tid = (pid_t)r->tid;
	c->tgid = (pid_t)r->tgid;
	c->child = (pid_t)r->peer;
	memcpy(c->comm, r->comm, sizeof(c->comm));
	c->comm[15] = 0;
	c->stack_id = r->stack_id;
}

/*
 * The scan read the owner of a waiter's lock again and found another task:
 * the wait, and the lock while it has waiters, now show that one. A record
 * for a wait that began before the recording, or that has ended already
 * (the scan races with the wake-up), changes nothing.
 */
static void owner(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_pending *p = pending(a, (pid_t)r->tid);
	struct lmr_lock *l = lmr_find_lock(a->st, r->futex_id);
	struct lmr_task *t;

	if (!p || !p->active || p->futex_id != r->futex_id)
		return;
	t = task_of(a, r);
	p->owner = (pid_t)r->peer;
	if (t) {
		t->owner = (pid_t)r->peer;
		snprintf(t->owner_how, sizeof(t->owner_how), "%s",
			 lmr_how_name(r->owner_how));
	}
	if (l && l->waiters) {
		l->owner = (pid_t)r->peer;
		snprintf(l->owner_how, sizeof(l->owner_how), "%s",
			 lmr_how_name(r->owner_how));
	}
}

/* The finding of sequence number @seq, made at the first record of it. */
static struct lmr_finding *finding_of(struct lmr_analysis *a, u64 seq,
				      u64 ts_ns, unsigned int kind)
{
	struct lmr_state *st = a->st;
	struct lmr_finding *f, *arr;
	size_t i;

	for (i = 0; i < st->nr_findings; i++)
		if (st->findings[i].seq == seq)
			return &st->findings[i];
	arr = lmr_grow(st->findings, &st->cap_findings, st->nr_findings,
		       sizeof(*arr));
	if (!arr)
		return NULL;
	st->findings = arr;
	f = &arr[st->nr_findings++];
	f->seq = seq;
	f->time_ns = ts_ns;
	snprintf(f->kind, sizeof(f->kind), "%s", lmr_kind_name(kind));
	return f;
}

static void finding(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_finding *f = finding_of(a, r->value, r->ts_ns, r->result);
	struct lmr_finding_task *t;

	if (!f || r->nr >= LOCKMON_MAX_CHAIN)
		return;
	t = &f->t[r->nr];
	t->tid = (pid_t)r->tid;
	t->tgid = (pid_t)r->tgid;
	t->owner = (pid_t)r->peer;
	t->futex_id = r->futex_id;
	t->uaddr = r->uaddr;
	t->stack_id = r->stack_id;
	if (!t->stack_id) {
		/* the event has no stack: the task's wait under way has */
		struct lmr_pending *p = pending(a, (pid_t)r->tid);

		if (p && p->active && p->futex_id == r->futex_id)
			t->stack_id = p->stack_id;
	}
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[15] = 0;
	snprintf(t->how, sizeof(t->how), "%s", lmr_how_name(r->owner_how));
	if (r->nr + 1u > f->nr)
		f->nr = r->nr + 1u;
}

/*
 * A stall's own event follows the finding's task records: the process, how
 * many threads it has, and how long the oldest of their waits had lasted.
 */
static void stall(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_finding *f = finding_of(a, r->value, r->ts_ns,
					   LOCKMON_FINDING_STALL);

	if (!f)
		return;
	f->stall_tgid = (pid_t)r->tgid;
	f->stall_threads = r->peer;
	f->stall_blocked_ns = r->blocked_ms < ~0ULL / 1000000 ?
			      r->blocked_ms * 1000000 : ~0ULL;
}

static void stack(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_stack *s = (struct lmr_stack *)lmr_find_stack(st, r->stack_id);

	if (!s) {
		s = lmr_grow(st->stacks, &st->cap_stacks, st->nr_stacks,
			     sizeof(*s));
		if (!s)
			return;
		st->stacks = s;
		s = &s[st->nr_stacks++];
	}
	s->id = r->stack_id;
	s->tgid = (pid_t)r->tgid;
	s->nr = r->nr <= LOCKMON_MAX_STACK ? r->nr : LOCKMON_MAX_STACK;
	s->cfi = r->stack_id >= LMR_CFI_STACK_ID;
	memcpy(s->ip, r->stack, s->nr * sizeof(u64));
}

/* Maps lines are collected per process; nr > 0 continues a line. */
static void maps(struct lmr_analysis *a, const struct lockmon_record *r)
{
	struct lmr_state *st = a->st;
	struct lmr_maps *m = NULL;
	size_t i, len = strnlen(r->text, sizeof(r->text));
	char *t;

	for (i = 0; i < st->nr_maps; i++)
		if (st->maps[i].tgid == (pid_t)r->tgid)
			m = &st->maps[i];
	if (!m) {
		m = lmr_grow(st->maps, &st->cap_maps, st->nr_maps, sizeof(*m));
		if (!m)
			return;
		st->maps = m;
		m = &m[st->nr_maps++];
		m->tgid = (pid_t)r->tgid;
	}
	/* "# maps" starts a newer snapshot of the process's mappings */
	if (r->nr == 0 && len == 6 && !memcmp(r->text, "# maps", 6)) {
		m->len = 0;
		if (m->text)
			m->text[0] = 0;
		return;
	}
	t = realloc(m->text, m->len + len + 2);
	if (!t)
		return;
	m->text = t;
	if (r->nr == 0 && m->len)
		m->text[m->len++] = '\n';
	memcpy(m->text + m->len, r->text, len);
	m->len += len;
	m->text[m->len] = 0;
}

void lmr_analysis_add(struct lmr_analysis *a, const struct lockmon_record *r)
{
	bool event = r->type <= LOCKMON_REC_FINDING ||
		     r->type == LOCKMON_REC_OWNER ||
		     r->type == LOCKMON_REC_STALL ||
		     r->type == LOCKMON_REC_WAIT_STACK ||
		     r->type == LOCKMON_REC_THREAD;

	if (event)
		a->st->events++;
	if (event && r->ts_ns) {
		if (!a->first_ns || r->ts_ns < a->first_ns)
			a->first_ns = r->ts_ns;
		if (r->ts_ns > a->last_ns)
			a->last_ns = r->ts_ns;
	}
	switch (r->type) {
	case LOCKMON_REC_WAIT_BEGIN:
		wait_begin(a, r);
		break;
	case LOCKMON_REC_WAIT_END:
		wait_end(a, r);
		break;
	case LOCKMON_REC_WAKE:
		wake(a, r);
		break;
	case LOCKMON_REC_FINDING:
		finding(a, r);
		break;
	case LOCKMON_REC_STACK:
		stack(a, r);
		break;
	case LOCKMON_REC_MAPS:
		maps(a, r);
		break;
	case LOCKMON_REC_OWNER:
		owner(a, r);
		break;
	case LOCKMON_REC_STALL:
		stall(a, r);
		break;
	case LOCKMON_REC_WAIT_STACK:
		wait_stack(a, r);
		break;
	case LOCKMON_REC_THREAD:
		thread(a, r);
		break;
	default:
		/* a later minor version's record: not ours to read */
		break;
	}
}

/* Class from the recorded events, by the rule of lm_futex_class(). */
static const char *lock_class(const struct lmr_lock *l)
{
	if (l->owner_seen)
		return "lock";
	if (!l->wakes)
		return "unknown";
	return l->mutual_wakes * 2 >= l->wakes ? "lock" : "event";
}

/*
 * A finding task still without a stack: that of its wait on the futex,
 * from the scan's wait-stack record after the finding, or from the wait's
 * end, or the task's wait under way at the end.
 */
static u32 finding_stack(const struct lmr_state *st,
			 const struct lmr_finding_task *ft)
{
	size_t i;

	for (i = 0; i < st->nr_waits; i++)
		if (st->waits[i].tid == ft->tid && st->waits[i].stack_id &&
		    st->waits[i].futex_id == ft->futex_id)
			return st->waits[i].stack_id;
	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == ft->tid &&
		    st->tasks[i].futex_id == ft->futex_id)
			return st->tasks[i].stack_id;
	return 0;
}

void lmr_analysis_finish(struct lmr_analysis *a)
{
	struct lmr_state *st = a->st;
	size_t i;
	unsigned int k;

	for (i = 0; i < st->nr_findings; i++)
		for (k = 0; k < st->findings[i].nr; k++)
			if (!st->findings[i].t[k].stack_id)
				st->findings[i].t[k].stack_id =
					finding_stack(st, &st->findings[i].t[k]);

	for (i = 0; i < st->nr_locks; i++) {
		struct lmr_lock *l = &st->locks[i];

		snprintf(l->klass, sizeof(l->klass), "%s", lock_class(l));
		if (l->waits)
			l->avg_ns = l->total_ns / l->waits;
		if (l->handoff_count)
			l->handoff_avg_ns = l->handoff_total_ns / l->handoff_count;
		l->distinct = distinct(a, l->id);
		/* as the module's locks file: an owner only while waited on */
		if (!l->waiters) {
			l->owner = 0;
			l->owner_how[0] = 0;
		}
		if (!l->owner_how[0])
			snprintf(l->owner_how, sizeof(l->owner_how), "unknown");
	}
	if (!st->start_ns)
		st->start_ns = a->first_ns;
	st->duration_ns = a->last_ns > st->start_ns ? a->last_ns - st->start_ns : 0;
	lmr_state_sort(st);
	for (i = 0; i < a->nr_ws; i++)
		free(a->ws[i].tid);
	free(a->ws);
	free(a->pend);
	free(a);
}
