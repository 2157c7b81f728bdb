// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof profiles: gzip-compressed profile.proto
 * (github.com/google/pprof/proto/profile.proto) that `go tool pprof`,
 * Pyroscope and Parca read. The API is in pprof.h: lmr_pprof_build() the
 * message, lmr_pprof_write_profile() it compressed to a stream,
 * lmr_pprof_write() for --pprof FILE --profile KIND [--by waiter].
 *
 * The four profiles have the meaning and sample types of Go's:
 *
 *   mutex         contentions/count, delay/nanoseconds (default delay).
 *                 A recording's waits on lock-class futexes that a wake
 *                 ended, charged to the waker's user stack at that wake:
 *                 the task that released the lock. The module samples the
 *                 wait at the wake by Go's rate rule (stack_ns, capture);
 *                 the delay is the waiter's whole wait, to its return
 *                 (handoff included), scaled by the sample's weight. With
 *                 LMR_BY_WAITER (--by waiter) the waiter's stack instead.
 *   block         contentions/count, delay/nanoseconds: every finished
 *                 wait, lock or event class (--class narrows it), by the
 *                 waiter's stack, weighted as sampled at the wait's end.
 *   threads       goroutine/count: each thread blocked in a futex now (a
 *                 recording: at its end), one sample per thread, by its
 *                 stack. Go's name, so pprof calls them goroutines.
 *   threadcreate  threadcreate/count: each thread a thread of a traced
 *                 process created in its process, by the creator's stack;
 *                 every lockmon_thread_create event counts once, exactly.
 *   waits         what --pprof wrote before --profile: block's figures of
 *                 the futexes --class keeps, lock by default.
 *
 * Live (top, locks, ... --pprof), mutex and block are the waits under way
 * and their wait so far, by the waiter's stack: the module keeps no wakes.
 *
 * A stack's innermost frame is the lock, "[lock] NAME", except in
 * threadcreate: the flat view ranks locks, the cumulative one the code.
 * Labels: pid, tid, comm; lock, lock_class; owner where known; waker (the
 * releasing thread, mutex); child (threadcreate, the first thread created
 * at the sample). The mapping table has each executable mapping of the
 * processes (start, limit, file offset, path, build id); frames are
 * symbolized already (has_functions), so pprof shows our names and a tool
 * that symbolizes by build id has what it needs.
 *
 * The protobuf encoding is the few wire types the format needs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "lockmon-report.h"
#include "samples.h"

enum { PB_VARINT = 0, PB_LEN = 2 };

/* Profile fields */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4,
	P_FUNCTION = 5, P_STRING_TABLE = 6, P_TIME_NANOS = 9,
	P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11, P_PERIOD = 12,
	P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14,
};
static void pb_put(struct lmr_pb *b, const void *p, size_t len)
{
	unsigned char *nb;

	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2 + 64;

		nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void lmr_pb_varint(struct lmr_pb *b, u64 v)
{
	unsigned char out[10];
	size_t n = 0;

	do {
		out[n] = v & 0x7f;
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	pb_put(b, out, n);
}

void lmr_pb_key(struct lmr_pb *b, unsigned int field, unsigned int wire)
{
	lmr_pb_varint(b, ((u64)field << 3) | wire);
}

void lmr_pb_uint(struct lmr_pb *b, unsigned int field, u64 v)
{
	lmr_pb_key(b, field, PB_VARINT);
	lmr_pb_varint(b, v);
}

void lmr_pb_bytes(struct lmr_pb *b, unsigned int field, const void *p,
		  size_t len)
{
	lmr_pb_key(b, field, PB_LEN);
	lmr_pb_varint(b, len);
	pb_put(b, p, len);
}

static void pb_msg(struct lmr_pb *b, unsigned int field, struct lmr_pb *m)
{
	if (m->oom)
		b->oom = true;
	lmr_pb_bytes(b, field, m->buf, m->len);
	m->len = 0;
}

/*
 * An open-addressing index over an array of entries: slot holds the
 * entry's index + 1, 0 for empty. The array's owner compares entries.
 */
struct hidx {
	u32 *slot;
	size_t size;		/* a power of 2, or 0 */
	size_t used;
	bool oom;
};

static u64 hmix(u64 h, u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static u64 hstr(u64 h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return hmix(h, 0);
}

/* Room for one more entry; false when out of memory. */
static bool hidx_room(struct hidx *x, const u64 *hashes)
{
	size_t size, i, j;
	u32 *slot;

	if ((x->used + 1) * 2 <= x->size)
		return true;
	size = x->size ? x->size * 2 : 256;
	slot = calloc(size, sizeof(*slot));
	if (!slot) {
		x->oom = true;
		return false;
	}
	for (i = 0; i < x->size; i++) {
		if (!x->slot[i])
			continue;
		for (j = hashes[x->slot[i] - 1] & (size - 1); slot[j];
		     j = (j + 1) & (size - 1))
			;
		slot[j] = x->slot[i];
	}
	free(x->slot);
	x->slot = slot;
	x->size = size;
	return true;
}

/* Interned strings: index 0 is "" as the format requires. */
struct strtab {
	char **s;
	u64 *hash;
	size_t n, cap, cap_hash;
	struct hidx idx;
	bool oom;
};

static u64 intern(struct strtab *t, const char *s)
{
	u64 h = hstr(0, s), *hs;
	char **arr, *d;
	size_t j;

	for (j = t->idx.size ? h & (t->idx.size - 1) : 0;
	     t->idx.size && t->idx.slot[j]; j = (j + 1) & (t->idx.size - 1))
		if (!strcmp(t->s[t->idx.slot[j] - 1], s))
			return t->idx.slot[j] - 1;
	if (!hidx_room(&t->idx, t->hash))
		goto oom;
	arr = lmr_grow(t->s, &t->cap, t->n, sizeof(*arr));
	if (!arr)
		goto oom;
	t->s = arr;
	hs = lmr_grow(t->hash, &t->cap_hash, t->n, sizeof(*hs));
	if (!hs)
		goto oom;
	t->hash = hs;
	d = strdup(s);
	if (!d)
		goto oom;
	arr[t->n] = d;
	hs[t->n] = h;
	for (j = h & (t->idx.size - 1); t->idx.slot[j];
	     j = (j + 1) & (t->idx.size - 1))
		;
	t->idx.slot[j] = (u32)(t->n + 1);
	t->idx.used++;
	return t->n++;
oom:
	t->oom = true;
	return 0;
}

/* ---- mappings: the executable lines of a process's maps text ---------- */

struct mapping {
	pid_t tgid;
	u64 start, limit, offset;
	u64 file, build_id;		/* string indexes */
	u64 id;				/* in the profile; 0: not used yet */
};

struct mappings {
	struct mapping *v;
	size_t n, cap;
	pid_t *parsed;			/* processes whose maps were read */
	size_t nparsed, cap_parsed;
	u64 next_id;
};

/* the build id a "# build-id PATH HEX" line of @maps gives @path */
static void build_id(const char *maps, const char *path, char *out, size_t len)
{
	size_t pl = strlen(path);
	const char *p;

	out[0] = 0;
	for (p = maps; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *h;
		size_t n;

		if (strncmp(p, "# build-id ", 11) || strncmp(p + 11, path, pl) ||
		    p[11 + pl] != ' ')
			continue;
		h = p + 12 + pl;
		n = strcspn(h, "\n");
		snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), h);
		return;
	}
}

static void maps_parse(struct mappings *ms, struct strtab *st,
		       struct lmr_syms *syms, pid_t tgid)
{
	char path[4096], perms[8], bid[160];
	unsigned long long a, b, off;
	const char *maps, *p;
	struct mapping *m;
	pid_t *pp;
	int n;

	pp = lmr_grow(ms->parsed, &ms->cap_parsed, ms->nparsed, sizeof(*pp));
	if (!pp)
		return;
	ms->parsed = pp;
	pp[ms->nparsed++] = tgid;
	maps = syms ? lmr_sym_maps(syms, tgid) : NULL;
	for (p = maps; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		path[0] = 0;
		if (*p == '#' || sscanf(p, "%llx-%llx %7s %llx %*s %*s %n", &a,
					&b, perms, &off, &n) != 4)
			continue;
		sscanf(p + n, "%4095[^\n]", path);
		if (!strchr(perms, 'x') || path[0] != '/')
			continue;
		m = lmr_grow(ms->v, &ms->cap, ms->n, sizeof(*m));
		if (!m)
			return;
		ms->v = m;
		m = &m[ms->n++];
		m->tgid = tgid;
		m->start = a;
		m->limit = b;
		m->offset = off;
		m->file = intern(st, path);
		build_id(maps, path, bid, sizeof(bid));
		m->build_id = bid[0] ? intern(st, bid) : 0;
		m->id = 0;
	}
}

/* The mapping id of code address @ip of @tgid; 0: none known. */
static u64 mapping_of(struct mappings *ms, struct strtab *st,
		      struct lmr_syms *syms, pid_t tgid, u64 ip)
{
	size_t i;

	for (i = 0; i < ms->nparsed && ms->parsed[i] != tgid; i++)
		;
	if (i == ms->nparsed)
		maps_parse(ms, st, syms, tgid);
	for (i = 0; i < ms->n; i++) {
		struct mapping *m = &ms->v[i];

		if (m->tgid != tgid || ip < m->start || ip >= m->limit)
			continue;
		if (!m->id)
			m->id = ++ms->next_id;
		return m->id;
	}
	return 0;
}

/* ---- functions and locations ---------------------------------------- */

struct function {
	u64 name, file;			/* string indexes */
};

struct location {
	pid_t tgid;			/* 0: not code (a lock, no stack) */
	u64 addr;
	u64 mapping, function;		/* ids; function is index + 1 */
	int line;
};

struct builder {
	struct lmr_ctx *c;
	struct strtab st;
	struct mappings maps;
	struct function *fn;
	u64 *fn_hash;
	size_t nfn, cap_fn, cap_fn_hash;
	struct hidx fn_idx;
	struct location *loc;
	u64 *loc_hash;
	size_t nloc, cap_loc, cap_loc_hash;
	struct hidx loc_idx;
	bool oom;
};

static u64 function(struct builder *b, u64 name, u64 file)
{
	u64 h = hmix(hmix(1, name), file), *hs;
	struct function *f;
	size_t j;

	for (j = b->fn_idx.size ? h & (b->fn_idx.size - 1) : 0;
	     b->fn_idx.size && b->fn_idx.slot[j];
	     j = (j + 1) & (b->fn_idx.size - 1)) {
		f = &b->fn[b->fn_idx.slot[j] - 1];
		if (f->name == name && f->file == file)
			return b->fn_idx.slot[j];
	}
	if (!hidx_room(&b->fn_idx, b->fn_hash))
		goto oom;
	f = lmr_grow(b->fn, &b->cap_fn, b->nfn, sizeof(*f));
	if (!f)
		goto oom;
	b->fn = f;
	hs = lmr_grow(b->fn_hash, &b->cap_fn_hash, b->nfn, sizeof(*hs));
	if (!hs)
		goto oom;
	b->fn_hash = hs;
	f[b->nfn].name = name;
	f[b->nfn].file = file;
	hs[b->nfn] = h;
	for (j = h & (b->fn_idx.size - 1); b->fn_idx.slot[j];
	     j = (j + 1) & (b->fn_idx.size - 1))
		;
	b->fn_idx.slot[j] = (u32)(b->nfn + 1);
	b->fn_idx.used++;
	return ++b->nfn;
oom:
	b->oom = true;
	return 0;
}

/*
 * A function is its symbol: "name+0x1c" is name, the offset is the
 * location's (its address and line). An address without a symbol stays.
 */
static const char *function_name(char *sym)
{
	char *plus = strrchr(sym, '+');

	if (plus && plus != sym && !strncmp(plus, "+0x", 3) &&
	    plus[3 + strspn(plus + 3, "0123456789abcdef")] == 0)
		*plus = 0;
	return sym;
}

/*
 * The location of frame @k of a stack of @tgid at @ip (@tgid 0: a pseudo
 * frame named @name, at @ip); its id.
 */
static u64 location(struct builder *b, pid_t tgid, u64 ip, bool ret,
		    const char *name)
{
	u64 h = hmix(hmix(hmix(2, (u64)tgid), ip), tgid ? ret : hstr(0, name));
	char sym[LMR_NAME_LEN];
	struct location *l;
	const char *file;
	u64 *hs, fname = 0;
	size_t j;
	int line = 0;

	if (!tgid)
		fname = intern(&b->st, name);
	for (j = b->loc_idx.size ? h & (b->loc_idx.size - 1) : 0;
	     b->loc_idx.size && b->loc_idx.slot[j];
	     j = (j + 1) & (b->loc_idx.size - 1)) {
		l = &b->loc[b->loc_idx.slot[j] - 1];
		if (l->tgid != tgid || l->addr != ip)
			continue;
		if (!tgid && b->fn[l->function - 1].name != fname)
			continue;
		if (tgid && b->loc_hash[b->loc_idx.slot[j] - 1] != h)
			continue;
		return b->loc_idx.slot[j];
	}
	if (!hidx_room(&b->loc_idx, b->loc_hash))
		goto oom;
	l = lmr_grow(b->loc, &b->cap_loc, b->nloc, sizeof(*l));
	if (!l)
		goto oom;
	b->loc = l;
	hs = lmr_grow(b->loc_hash, &b->cap_loc_hash, b->nloc, sizeof(*hs));
	if (!hs)
		goto oom;
	b->loc_hash = hs;
	l = &l[b->nloc];
	l->tgid = tgid;
	l->addr = ip;
	l->mapping = 0;
	if (tgid) {
		file = lmr_sym_line(b->c->syms, tgid, ip, ret, &line);
		lmr_sym_code(b->c->syms, tgid, ip, ret, sym, sizeof(sym));
		fname = intern(&b->st, function_name(sym));
		l->function = function(b, fname,
				       file ? intern(&b->st, file) : 0);
		l->mapping = mapping_of(&b->maps, &b->st, b->c->syms, tgid,
					ip);
	} else {
		l->function = function(b, fname, 0);
	}
	l->line = line;
	hs[b->nloc] = h;
	for (j = h & (b->loc_idx.size - 1); b->loc_idx.slot[j];
	     j = (j + 1) & (b->loc_idx.size - 1))
		;
	b->loc_idx.slot[j] = (u32)(b->nloc + 1);
	b->loc_idx.used++;
	return ++b->nloc;
oom:
	b->oom = true;
	return 0;
}

/* ---- samples ------------------------------------------------------- */

struct psample {
	pid_t tgid, tid;
	char comm[16];
	u32 stack_id;
	u64 futex_id, uaddr;		/* futex_id 0: no lock */
	pid_t owner, waker, child;
	u64 v[2];
};

struct psamples {
	struct psample *v;
	u64 *hash;
	size_t n, cap, cap_hash;
	struct hidx idx;
	bool oom;
};

static u64 sample_hash(const struct psample *k)
{
	u64 h = hmix(3, (u64)k->tgid);

	h = hmix(h, (u64)k->tid);
	h = hmix(h, k->stack_id);
	h = hmix(h, k->futex_id);
	h = hmix(h, (u64)k->owner);
	h = hmix(h, (u64)k->waker);
	return hstr(h, k->comm);
}

static bool sample_eq(const struct psample *a, const struct psample *b)
{
	return a->tgid == b->tgid && a->tid == b->tid &&
	       a->stack_id == b->stack_id && a->futex_id == b->futex_id &&
	       a->owner == b->owner && a->waker == b->waker &&
	       !strcmp(a->comm, b->comm);
}

/* Add @v0, @v1 to the sample of key @k (its values ignored). */
static void sample_add(struct psamples *s, const struct psample *k, u64 v0,
		       u64 v1)
{
	u64 h = sample_hash(k), *hs;
	struct psample *x;
	size_t j;

	for (j = s->idx.size ? h & (s->idx.size - 1) : 0;
	     s->idx.size && s->idx.slot[j]; j = (j + 1) & (s->idx.size - 1)) {
		x = &s->v[s->idx.slot[j] - 1];
		if (sample_eq(x, k)) {
			x->v[0] += v0;
			x->v[1] += v1;
			return;
		}
	}
	if (!hidx_room(&s->idx, s->hash))
		goto oom;
	x = lmr_grow(s->v, &s->cap, s->n, sizeof(*x));
	if (!x)
		goto oom;
	s->v = x;
	hs = lmr_grow(s->hash, &s->cap_hash, s->n, sizeof(*hs));
	if (!hs)
		goto oom;
	s->hash = hs;
	x = &x[s->n];
	*x = *k;
	x->v[0] = v0;
	x->v[1] = v1;
	hs[s->n] = h;
	for (j = h & (s->idx.size - 1); s->idx.slot[j];
	     j = (j + 1) & (s->idx.size - 1))
		;
	s->idx.slot[j] = (u32)(s->n + 1);
	s->idx.used++;
	s->n++;
	return;
oom:
	s->oom = true;
}

/* The waits a weighted sample of @weight over a wait of @wait stands for. */
static u64 weight_count(u64 wait, u64 weight)
{
	return wait && weight > wait ? (weight + wait / 2) / wait : 1;
}

static bool want(const struct lmr_ctx *c, pid_t tid, pid_t tgid,
		 const char *comm)
{
	return !c->o || lmr_want_task(c->o, tid, tgid, comm, 0);
}

static int class_rule(const struct lmr_ctx *c, enum lmr_profile kind)
{
	int given = c->o ? c->o->klass : LMR_CLASS_DEFAULT;

	switch (kind) {
	case LMR_PROFILE_MUTEX:
		return LMR_CLASS_LOCK;
	case LMR_PROFILE_WAITS:
		return given ? given : LMR_CLASS_LOCK;
	default:
		return given ? given : LMR_CLASS_ALL;
	}
}

static void collect(struct lmr_ctx *c, enum lmr_profile kind,
		    enum lmr_profile_by by, struct psamples *s)
{
	const struct lmr_state *st = c->st;
	int klass = class_rule(c, kind);
	bool waker = kind == LMR_PROFILE_MUTEX && by != LMR_BY_WAITER;
	struct psample k;
	size_t i;

	if (kind == LMR_PROFILE_THREADCREATE) {
		for (i = 0; i < st->nr_creates; i++) {
			const struct lmr_create *x = &st->creates[i];

			if (!want(c, x->tid, x->tgid, x->comm))
				continue;
			memset(&k, 0, sizeof(k));
			k.tgid = x->tgid;
			k.tid = x->tid;
			memcpy(k.comm, x->comm, sizeof(k.comm));
			k.stack_id = x->stack_id;
			sample_add(s, &k, 1, 0);
		}
		return;
	}
	if (kind == LMR_PROFILE_THREADS || !st->recorded) {
		/* live, or threads: the waits under way, one per thread */
		for (i = 0; i < st->nr_tasks; i++) {
			const struct lmr_task *t = &st->tasks[i];

			if (st->recorded && !t->waiting)
				continue;
			if (!lmr_class_wants(klass,
					     lmr_futex_class(st, t->futex_id)))
				continue;
			memset(&k, 0, sizeof(k));
			k.tgid = t->tgid;
			k.tid = t->tid;
			memcpy(k.comm, t->comm, sizeof(k.comm));
			k.stack_id = t->stack_id;
			k.futex_id = t->futex_id;
			k.uaddr = t->uaddr;
			k.owner = t->owner;
			sample_add(s, &k, 1, t->wait_ns);
		}
		return;
	}
	for (i = 0; i < st->nr_waits; i++) {
		const struct lmr_wait *w = &st->waits[i];
		u64 weight = waker ? w->waker_weight_ns : w->weight_ns;
		u64 wait = waker ? w->waker_wait_ns : w->wait_ns;
		u64 delay = weight;

		/* not sampled: the sampled waits stand for it */
		if (!weight)
			continue;
		/*
		 * The wake sampled the wait so far; the delay is the waiter's
		 * whole wait (its handoff included), scaled as the sample is.
		 */
		if (waker && wait)
			delay = (u64)((unsigned __int128)w->wait_ns * weight /
				      wait);
		if (!lmr_class_wants(klass, lmr_futex_class(st, w->futex_id)))
			continue;
		memset(&k, 0, sizeof(k));
		k.tgid = w->tgid;
		k.tid = w->tid;
		memcpy(k.comm, w->comm, sizeof(k.comm));
		k.stack_id = waker ? w->waker_stack : w->stack_id;
		k.futex_id = w->futex_id;
		k.uaddr = w->uaddr;
		k.owner = w->owner;
		k.waker = waker ? w->waker : 0;
		sample_add(s, &k, weight_count(wait, weight), delay);
	}
}

/* ---- the message ---------------------------------------------------- */

static void value_type(struct lmr_pb *b, unsigned int field, u64 type,
		       u64 unit)
{
	struct lmr_pb m = { 0 };

	lmr_pb_uint(&m, 1, type);
	lmr_pb_uint(&m, 2, unit);
	pb_msg(b, field, &m);
	free(m.buf);
}

static void label_str(struct lmr_pb *m, struct lmr_pb *sub, u64 key, u64 str)
{
	lmr_pb_uint(sub, 1, key);
	lmr_pb_uint(sub, 2, str);
	pb_msg(m, 3, sub);
}

static void label_num(struct lmr_pb *m, struct lmr_pb *sub, u64 key, u64 num)
{
	lmr_pb_uint(sub, 1, key);
	lmr_pb_uint(sub, 3, num);
	pb_msg(m, 3, sub);
}

static const char *const profile_names[LMR_NR_PROFILES] = {
	[LMR_PROFILE_WAITS] = "waits",
	[LMR_PROFILE_MUTEX] = "mutex",
	[LMR_PROFILE_BLOCK] = "block",
	[LMR_PROFILE_THREADS] = "threads",
	[LMR_PROFILE_THREADCREATE] = "threadcreate",
};

int lmr_profile_parse(const char *name, enum lmr_profile *kind)
{
	int i;

	for (i = 0; i < LMR_NR_PROFILES; i++)
		if (!strcmp(name, profile_names[i])) {
			*kind = (enum lmr_profile)i;
			return 0;
		}
	return -EINVAL;
}

const char *lmr_profile_name(enum lmr_profile kind)
{
	return (unsigned int)kind < LMR_NR_PROFILES ? profile_names[kind] : "?";
}

static void encode_samples(struct builder *b, const struct psamples *s,
			   enum lmr_profile kind, unsigned int nvals,
			   struct lmr_pb *out)
{
	struct lmr_pb m = { 0 }, ids = { 0 }, vals = { 0 }, sub = { 0 };
	struct lmr_ctx *c = b->c;
	char sym[LMR_NAME_LEN], lock[LMR_NAME_LEN + 8];
	u64 k_pid, k_tid, k_comm, k_lock, k_class, k_owner, k_waker;
	size_t i;
	int f;

	k_pid = intern(&b->st, "pid");
	k_tid = intern(&b->st, "tid");
	k_comm = intern(&b->st, "comm");
	k_lock = intern(&b->st, "lock");
	k_class = intern(&b->st, "lock_class");
	k_owner = intern(&b->st, "owner");
	k_waker = intern(&b->st, "waker");
	for (i = 0; i < s->n; i++) {
		const struct psample *x = &s->v[i];
		const struct lmr_stack *stk = x->stack_id ?
			lmr_find_stack(c->st, x->stack_id) : NULL;

		/* innermost first: the lock, then the stack from its leaf */
		if (kind != LMR_PROFILE_THREADCREATE) {
			snprintf(lock, sizeof(lock), "[lock] %s",
				 lmr_uaddr_name(c, x->tgid, x->uaddr, sym,
						sizeof(sym)));
			lmr_pb_varint(&ids, location(b, 0, x->uaddr, false,
						     lock));
		}
		for (f = 0; stk && f < (int)stk->nr; f++)
			lmr_pb_varint(&ids, location(b, stk->tgid, stk->ip[f],
						     f > 0, NULL));
		if (!stk || !stk->nr)
			lmr_pb_varint(&ids, location(b, 0, 0, false,
						     "[no stack]"));
		lmr_pb_varint(&vals, x->v[0]);
		if (nvals > 1)
			lmr_pb_varint(&vals, x->v[1]);
		pb_msg(&m, 1, &ids);
		pb_msg(&m, 2, &vals);
		label_num(&m, &sub, k_pid, (u64)x->tgid);
		if (x->tid)
			label_num(&m, &sub, k_tid, (u64)x->tid);
		label_str(&m, &sub, k_comm, intern(&b->st, x->comm));
		if (kind != LMR_PROFILE_THREADCREATE) {
			label_str(&m, &sub, k_lock, intern(&b->st, lock + 7));
			label_str(&m, &sub, k_class,
				  intern(&b->st, lmr_futex_class(c->st,
								 x->futex_id)));
		}
		if (x->owner)
			label_num(&m, &sub, k_owner, (u64)x->owner);
		if (x->waker)
			label_num(&m, &sub, k_waker, (u64)x->waker);
		pb_msg(out, P_SAMPLE, &m);
	}
	if (m.oom || ids.oom || vals.oom || sub.oom)
		out->oom = true;
	free(m.buf);
	free(ids.buf);
	free(vals.buf);
	free(sub.buf);
}

static void encode_tables(struct builder *b, struct lmr_pb *out)
{
	struct lmr_pb m = { 0 }, ln = { 0 };
	size_t i;

	for (i = 0; i < b->maps.n; i++) {
		const struct mapping *x = &b->maps.v[i];

		if (!x->id)
			continue;
		lmr_pb_uint(&m, 1, x->id);
		lmr_pb_uint(&m, 2, x->start);
		lmr_pb_uint(&m, 3, x->limit);
		lmr_pb_uint(&m, 4, x->offset);
		lmr_pb_uint(&m, 5, x->file);
		if (x->build_id)
			lmr_pb_uint(&m, 6, x->build_id);
		/* symbolized here: has_functions, filenames, line numbers */
		lmr_pb_uint(&m, 7, 1);
		lmr_pb_uint(&m, 8, 1);
		lmr_pb_uint(&m, 9, 1);
		pb_msg(out, P_MAPPING, &m);
	}
	for (i = 0; i < b->nloc; i++) {
		const struct location *l = &b->loc[i];

		lmr_pb_uint(&m, 1, i + 1);
		if (l->mapping)
			lmr_pb_uint(&m, 2, l->mapping);
		lmr_pb_uint(&m, 3, l->addr);
		lmr_pb_uint(&ln, 1, l->function);
		if (l->line > 0)
			lmr_pb_uint(&ln, 2, (u64)l->line);
		pb_msg(&m, 4, &ln);
		pb_msg(out, P_LOCATION, &m);
	}
	for (i = 0; i < b->nfn; i++) {
		lmr_pb_uint(&m, 1, i + 1);
		lmr_pb_uint(&m, 2, b->fn[i].name);
		lmr_pb_uint(&m, 3, b->fn[i].name);
		if (b->fn[i].file)
			lmr_pb_uint(&m, 4, b->fn[i].file);
		pb_msg(out, P_FUNCTION, &m);
	}
	if (m.oom || ln.oom)
		out->oom = true;
	free(m.buf);
	free(ln.buf);
}

static void builder_free(struct builder *b)
{
	size_t i;

	for (i = 0; i < b->st.n; i++)
		free(b->st.s[i]);
	free(b->st.s);
	free(b->st.hash);
	free(b->st.idx.slot);
	free(b->maps.v);
	free(b->maps.parsed);
	free(b->fn);
	free(b->fn_hash);
	free(b->fn_idx.slot);
	free(b->loc);
	free(b->loc_hash);
	free(b->loc_idx.slot);
}

int lmr_pprof_build(struct lmr_ctx *c, enum lmr_profile kind,
		    enum lmr_profile_by by, struct lmr_pb *out)
{
	struct builder b = { .c = c };
	struct psamples s = { 0 };
	u64 t0, u0, t1 = 0, u1 = 0, dflt;
	unsigned int nvals = 2;
	size_t i;
	int err = 0;

	if ((unsigned int)kind >= LMR_NR_PROFILES) {
		lmr_err("no profile %d", (int)kind);
		return -EINVAL;
	}
	/* --class's note on what it left out, as before --profile */
	if (kind == LMR_PROFILE_WAITS && c->o) {
		struct lmr_samples old;

		if (lmr_samples(c, &old)) {
			lmr_err("out of memory encoding the profile");
			return -ENOMEM;
		}
		free(old.v);
	}
	collect(c, kind, by, &s);
	intern(&b.st, "");
	switch (kind) {
	case LMR_PROFILE_THREADS:
		t0 = intern(&b.st, "goroutine");
		nvals = 1;
		break;
	case LMR_PROFILE_THREADCREATE:
		t0 = intern(&b.st, "threadcreate");
		nvals = 1;
		break;
	default:
		t0 = intern(&b.st, "contentions");
		t1 = intern(&b.st, "delay");
		u1 = intern(&b.st, "nanoseconds");
		break;
	}
	u0 = intern(&b.st, "count");
	value_type(out, P_SAMPLE_TYPE, t0, u0);
	if (nvals > 1)
		value_type(out, P_SAMPLE_TYPE, t1, u1);
	dflt = nvals > 1 ? t1 : t0;
	encode_samples(&b, &s, kind, nvals, out);
	encode_tables(&b, out);
	/* the comment says what the profile is, for pprof -comments */
	intern(&b.st, kind == LMR_PROFILE_MUTEX && by != LMR_BY_WAITER ?
		      "lockmon mutex profile: delay charged to the releasing (waking) stack" :
		      kind == LMR_PROFILE_MUTEX ?
		      "lockmon mutex profile: by the waiter's stack" :
		      lmr_profile_name(kind));
	for (i = 0; i < b.st.n; i++)
		lmr_pb_bytes(out, P_STRING_TABLE, b.st.s[i], strlen(b.st.s[i]));
	/* the trace clock is not wall time: stamp the profile when written */
	lmr_pb_uint(out, P_TIME_NANOS, (u64)time(NULL) * 1000000000ull);
	lmr_pb_uint(out, P_DURATION_NANOS, c->st->duration_ns);
	value_type(out, P_PERIOD_TYPE, t0, u0);
	lmr_pb_uint(out, P_PERIOD, 1);
	lmr_pb_uint(out, P_COMMENT, b.st.n - 1);
	lmr_pb_uint(out, P_DEFAULT_SAMPLE_TYPE, dflt);
	if (out->oom || b.st.oom || b.oom || s.oom || b.st.idx.oom ||
	    b.fn_idx.oom || b.loc_idx.oom || s.idx.oom) {
		lmr_err("out of memory encoding the profile");
		err = -ENOMEM;
	}
	builder_free(&b);
	free(s.v);
	free(s.hash);
	free(s.idx.slot);
	return err;
}

/* the old entry point: the waits profile */
int lmr_pprof_encode(struct lmr_ctx *c, struct lmr_pb *out)
{
	return lmr_pprof_build(c, LMR_PROFILE_WAITS, LMR_BY_DEFAULT, out);
}

int lmr_pprof_write_profile(struct lmr_ctx *c, enum lmr_profile kind,
			    enum lmr_profile_by by, FILE *f)
{
	struct lmr_pb pb = { 0 };
	unsigned char chunk[16384];
	z_stream z = { 0 };
	int err = 0, zr;

	if (lmr_pprof_build(c, kind, by, &pb)) {
		free(pb.buf);
		return -ENOMEM;
	}
	/* windowBits 15 + 16: a gzip stream, as go tool pprof fetches */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		lmr_err("out of memory compressing the profile");
		free(pb.buf);
		return -ENOMEM;
	}
	z.next_in = pb.buf;
	z.avail_in = (uInt)pb.len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		if (fwrite(chunk, 1, sizeof(chunk) - z.avail_out, f) !=
		    sizeof(chunk) - z.avail_out) {
			err = errno ? -errno : -EIO;
			break;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	free(pb.buf);
	if (!err && fflush(f))
		err = errno ? -errno : -EIO;
	return err;
}

int lmr_pprof_write(struct lmr_ctx *c, const char *path)
{
	enum lmr_profile kind = c->o ? c->o->profile : LMR_PROFILE_WAITS;
	enum lmr_profile_by by = c->o ? c->o->by : LMR_BY_DEFAULT;
	FILE *f;
	int err;

	errno = 0;
	f = fopen(path, "wb");
	if (!f) {
		lmr_err("--pprof: cannot create %s: %s", path,
			strerror(errno ? errno : ENOMEM));
		return -1;
	}
	errno = 0;
	err = lmr_pprof_write_profile(c, kind, by, f);
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	if (err == -ENOMEM)
		return -1;
	if (err)
		lmr_err("--pprof: cannot write %s: %s", path, strerror(-err));
	return err ? -1 : 0;
}
