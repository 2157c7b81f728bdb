// SPDX-License-Identifier: GPL-2.0
/*
 * --pprof FILE: the wait samples as a gzip-compressed profile.proto
 * (github.com/google/pprof/proto/profile.proto), sample types
 * contentions/count and delay/nanoseconds, so `go tool pprof` reads it.
 * The lock is the innermost frame ("[lock] NAME"): the flat view ranks
 * locks, the cumulative view the code that waits on them. The protobuf
 * encoding is the few wire types the format needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "lockmon-report.h"
#include "samples.h"

enum { PB_VARINT = 0, PB_LEN = 2 };

/* Profile fields */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_LOCATION = 4, P_FUNCTION = 5,
	P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10,
	P_PERIOD_TYPE = 11, P_PERIOD = 12, P_DEFAULT_SAMPLE_TYPE = 14,
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

/* Interned strings: index 0 is "" as the format requires. */
struct strtab {
	char **s;
	size_t n, cap;
	bool oom;
};

static u64 intern(struct strtab *t, const char *s)
{
	char **arr, *d;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->s[i], s))
			return i;
	arr = lmr_grow(t->s, &t->cap, t->n, sizeof(*arr));
	d = strdup(s);
	if (!arr || !d) {
		free(d);
		if (arr)
			t->s = arr;
		t->oom = true;
		return 0;
	}
	t->s = arr;
	arr[t->n] = d;
	return t->n++;
}

/* A location per distinct frame name; its function has the same id. */
struct frame {
	u64 name;		/* string index of the function */
	u64 file;		/* string index of its source file, 0: unknown */
	u64 addr;
	int line;
};

struct frames {
	struct frame *v;
	size_t n, cap;
};

static u64 location(struct frames *f, u64 name, u64 file, int line, u64 addr)
{
	struct frame *a;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].name == name)
			return i + 1;
	a = lmr_grow(f->v, &f->cap, f->n, sizeof(*a));
	if (!a)
		return 0;
	f->v = a;
	a[f->n].name = name;
	a[f->n].file = file;
	a[f->n].line = line;
	a[f->n].addr = addr;
	return ++f->n;
}

static void value_type(struct lmr_pb *b, unsigned int field, u64 type,
		       u64 unit)
{
	struct lmr_pb m = { 0 };

	lmr_pb_uint(&m, 1, type);
	lmr_pb_uint(&m, 2, unit);
	pb_msg(b, field, &m);
	free(m.buf);
}

int lmr_pprof_encode(struct lmr_ctx *c, struct lmr_pb *out)
{
	struct lmr_pb m = { 0 }, ids = { 0 }, vals = { 0 }, sub = { 0 };
	char sym[LMR_NAME_LEN], lock[LMR_NAME_LEN + 8];
	struct strtab st = { 0 };
	struct frames fr = { 0 };
	struct lmr_samples s;
	u64 contentions, count, delay, ns, k_comm, k_pid, name;
	const char *file;
	size_t i;
	int k, line, err = 0;

	if (lmr_samples(c, &s))
		return -1;
	intern(&st, "");
	contentions = intern(&st, "contentions");
	count = intern(&st, "count");
	delay = intern(&st, "delay");
	ns = intern(&st, "nanoseconds");
	k_comm = intern(&st, "comm");
	k_pid = intern(&st, "pid");

	value_type(out, P_SAMPLE_TYPE, contentions, count);
	value_type(out, P_SAMPLE_TYPE, delay, ns);
	for (i = 0; i < s.n; i++) {
		const struct lmr_sample *x = &s.v[i];
		const struct lmr_stack *stk = lmr_find_stack(c->st, x->stack_id);

		snprintf(lock, sizeof(lock), "[lock] %s",
			 lmr_uaddr_name(c, x->tgid, x->uaddr, sym,
					sizeof(sym)));
		/* innermost first: the lock, then the stack from its leaf */
		lmr_pb_varint(&ids, location(&fr, intern(&st, lock), 0, 0,
					     x->uaddr));
		for (k = 0; stk && k < (int)stk->nr; k++) {
			file = lmr_sym_line(c->syms, stk->tgid, stk->ip[k],
					    k > 0, &line);
			name = intern(&st, lmr_sym_code(c->syms, stk->tgid,
							stk->ip[k], k > 0, sym,
							sizeof(sym)));
			lmr_pb_varint(&ids, location(&fr, name,
						     file ? intern(&st, file) : 0,
						     line, stk->ip[k]));
		}
		if (!stk)
			lmr_pb_varint(&ids, location(&fr, intern(&st, "[no stack]"),
						     0, 0, 0));
		lmr_pb_varint(&vals, x->count);
		lmr_pb_varint(&vals, x->ns);
		pb_msg(&m, 1, &ids);
		pb_msg(&m, 2, &vals);
		lmr_pb_uint(&sub, 1, k_comm);
		lmr_pb_uint(&sub, 2, intern(&st, x->comm));
		pb_msg(&m, 3, &sub);
		lmr_pb_uint(&sub, 1, k_pid);
		lmr_pb_uint(&sub, 3, (u64)x->tgid);
		pb_msg(&m, 3, &sub);
		pb_msg(out, P_SAMPLE, &m);
	}
	for (i = 0; i < fr.n; i++) {
		struct lmr_pb ln = { 0 };

		lmr_pb_uint(&m, 1, i + 1);
		lmr_pb_uint(&m, 3, fr.v[i].addr);
		lmr_pb_uint(&ln, 1, i + 1);
		if (fr.v[i].line > 0)
			lmr_pb_uint(&ln, 2, (u64)fr.v[i].line);
		pb_msg(&m, 4, &ln);
		free(ln.buf);
		pb_msg(out, P_LOCATION, &m);
	}
	for (i = 0; i < fr.n; i++) {
		lmr_pb_uint(&m, 1, i + 1);
		lmr_pb_uint(&m, 2, fr.v[i].name);
		lmr_pb_uint(&m, 3, fr.v[i].name);
		if (fr.v[i].file)
			lmr_pb_uint(&m, 4, fr.v[i].file);
		pb_msg(out, P_FUNCTION, &m);
	}
	for (i = 0; i < st.n; i++)
		lmr_pb_bytes(out, P_STRING_TABLE, st.s[i], strlen(st.s[i]));
	/* the trace clock is not wall time: stamp the profile when written */
	lmr_pb_uint(out, P_TIME_NANOS, (u64)time(NULL) * 1000000000ull);
	lmr_pb_uint(out, P_DURATION_NANOS, c->st->duration_ns);
	value_type(out, P_PERIOD_TYPE, contentions, count);
	lmr_pb_uint(out, P_PERIOD, 1);
	lmr_pb_uint(out, P_DEFAULT_SAMPLE_TYPE, delay);
	if (out->oom || m.oom || st.oom)
		err = -1;
	for (i = 0; i < st.n; i++)
		free(st.s[i]);
	free(st.s);
	free(fr.v);
	free(m.buf);
	free(ids.buf);
	free(vals.buf);
	free(sub.buf);
	free(s.v);
	return err;
}

int lmr_pprof_write(struct lmr_ctx *c, const char *path)
{
	struct lmr_pb pb = { 0 };
	gzFile gz;
	int err = 0;

	if (lmr_pprof_encode(c, &pb)) {
		lmr_err("out of memory encoding the profile");
		free(pb.buf);
		return -1;
	}
	errno = 0;
	gz = gzopen(path, "wb");
	if (!gz) {
		lmr_err("--pprof: cannot create %s: %s", path,
			strerror(errno ? errno : ENOMEM));
		free(pb.buf);
		return -1;
	}
	errno = 0;
	if (pb.len && gzwrite(gz, pb.buf, (unsigned int)pb.len) != (int)pb.len)
		err = errno ? errno : EIO;
	if (gzclose(gz) != Z_OK && !err)
		err = errno ? errno : EIO;
	if (err)
		lmr_err("--pprof: cannot write %s: %s", path, strerror(err));
	free(pb.buf);
	return err;
}
