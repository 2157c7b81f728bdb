// SPDX-License-Identifier: GPL-2.0
/*
 * The columns of the lock tables (locks, top and the Locks of a report),
 * in one table: name, type, width and alignment, accessor, header. The
 * table drives -F (which columns, in which order), -k (the figures a
 * table can be sorted by) and the help that lists both. Its rows come
 * from the views of the locks file's columns (include/lockmon/columns.h),
 * in their order, after the lock's name; only the views LMV_HAND() names
 * are written here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

/* the cell of an LMV_TEXT() column, by its type */
static const char *text_hex64(char *buf, size_t len, u64 v)
{
	snprintf(buf, len, "%016llx", (unsigned long long)v);
	return buf;
}

static const char *text_word(char *buf, size_t len, const char *v)
{
	snprintf(buf, len, "%s", v);
	return buf;
}

static const char *text_flag(char *buf, size_t len, bool v)
{
	snprintf(buf, len, "%s", v ? "yes" : "no");
	return buf;
}

static const char *text_pid(char *buf, size_t len, pid_t v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
	return buf;
}

/* C() of the locks list: the accessor of a column its view shows */
#define VIEW_FN(name, type, since, get, field, json, view)		\
	LMR_VIEW(FN, field, type, view)
#define FN_count(field, type, ...)					\
static u64 num_##field(const struct lmr_lock *l)			\
{									\
	return l->field;						\
}
#define FN_ns		FN_count
#define FN_text(field, type, ...)					\
static const char *text_##field(struct lmr_ctx *c,			\
				const struct lmr_lock *l, char *buf,	\
				size_t len)				\
{									\
	(void)c;							\
	return text_##type(buf, len, l->field);				\
}
#define FN_hand(...)
#define FN_part(...)
#define FN_none(...)

LOCKMON_LOCKS_COLUMNS(VIEW_FN)

/* the columns written by hand: the name, and the LMV_HAND() views */
static const char *text_name(struct lmr_ctx *c, const struct lmr_lock *l,
			     char *buf, size_t len)
{
	return lmr_lock_name(c, l, buf, len);
}

static u64 num_tgid(const struct lmr_lock *l)
{
	return l->tgid;
}

static const char *text_uaddr(struct lmr_ctx *c, const struct lmr_lock *l,
			      char *buf, size_t len)
{
	(void)c;
	snprintf(buf, len, "0x%llx", (unsigned long long)l->uaddr);
	return buf;
}

static const char *text_process(struct lmr_ctx *c, const struct lmr_lock *l,
				char *buf, size_t len)
{
	snprintf(buf, len, "%s/%d", lmr_tgid_comm(c->st, l->tgid), l->tgid);
	return buf;
}

/* only a lock that is waited on now has an owner worth naming */
static const char *text_owner(struct lmr_ctx *c, const struct lmr_lock *l,
			      char *buf, size_t len)
{
	if (!l->waiters) {
		snprintf(buf, len, "-");
		return buf;
	}
	return lmr_owner_name(buf, len, c, l->owner, l->owner_how);
}

u64 lmr_hist_pct(const unsigned int *hist, u64 max, unsigned int pct)
{
	u64 total = 0, rank, seen = 0, bound;
	unsigned int b;

	for (b = 0; b < LMR_HIST; b++)
		total += hist[b];
	if (!total)
		return 0;
	/* the smallest wait with at least pct% of the waits at or below */
	rank = (total * pct + 99) / 100;
	for (b = 0; b < LMR_HIST - 1; b++) {
		seen += hist[b];
		if (seen >= rank)
			break;
	}
	bound = 2ULL << b;	/* bucket b holds [2^b, 2^(b+1)) ns */
	return bound < max ? bound : max;
}

static u64 num_p50(const struct lmr_lock *l)
{
	return lmr_hist_pct(l->hist, l->max_ns, 50);
}

static u64 num_p99(const struct lmr_lock *l)
{
	return lmr_hist_pct(l->hist, l->max_ns, 99);
}

#define TEXT_COL(n, h, w, fn, hlp)					\
	{ .name = n, .header = h, .type = LMR_COL_TEXT, .width = w,	\
	  .text = fn, .help = hlp },
#define NUM_COL(n, al, h, ih, t, w, fn, hlp)				\
	{ .name = n, .alias = al, .header = h, .interval_header = ih,	\
	  .type = t, .width = w, .num = fn, .help = hlp },

#define HAND_procs							\
	TEXT_COL("uaddr", "UADDR", -14, text_uaddr,			\
		 "the futex word's address in its process")		\
	NUM_COL("pid", NULL, "PID", NULL, LMR_COL_PID, 7, num_tgid,	\
		"the first process seen using it")			\
	TEXT_COL("process", "PROCESS", -16, text_process,		\
		 "that process as COMM/PID")
#define HAND_hist							\
	NUM_COL("wait_p50", "p50", "P50", NULL, LMR_COL_NS, 9, num_p50,	\
		"median wait, a log2 bucket's upper bound")		\
	NUM_COL("wait_p99", "p99", "P99", NULL, LMR_COL_NS, 9, num_p99,	\
		"99th percentile wait, a log2 bucket's upper bound")
#define HAND_owner							\
	TEXT_COL("owner", "OWNER", -26, text_owner,			\
		 "who holds it while it is waited on: COMM/TID (how read)")

/* C() of the locks list: the row of a column its view shows */
#define VIEW_COL(name, type, since, get, field, json, view)		\
	LMR_VIEW(COL, field, type, view)
#define COL_count(field, type, n, al, h, ih, w, hlp)			\
	NUM_COL(n, al, h, ih, LMR_COL_COUNT, w, num_##field, hlp)
#define COL_ns(field, type, n, al, h, ih, w, hlp)			\
	NUM_COL(n, al, h, ih, LMR_COL_NS, w, num_##field, hlp)
#define COL_text(field, type, n, h, w, hlp)				\
	TEXT_COL(n, h, w, text_##field, hlp)
#define COL_hand(field, type, id)	HAND_##id
#define COL_part(...)
#define COL_none(...)

const struct lmr_col lmr_cols[] = {
	TEXT_COL("name", "LOCK", -28, text_name,
		 "the data symbol holding the futex word, else its address")
	LOCKMON_LOCKS_COLUMNS(VIEW_COL)
};

const size_t lmr_nr_cols = sizeof(lmr_cols) / sizeof(lmr_cols[0]);

bool lmr_col_is_key(const struct lmr_col *col)
{
	return col->type == LMR_COL_COUNT || col->type == LMR_COL_NS;
}

const struct lmr_col *lmr_col_find(const char *name)
{
	size_t i;

	for (i = 0; i < lmr_nr_cols; i++)
		if (!strcmp(name, lmr_cols[i].name) ||
		    (lmr_cols[i].alias && !strcmp(name, lmr_cols[i].alias)))
			return &lmr_cols[i];
	return NULL;
}

/* "a, b, c": the names of every column, or of the sort keys only */
static const char *col_names(char *buf, size_t len, bool keys)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < lmr_nr_cols && n < len; i++) {
		if (keys && !lmr_col_is_key(&lmr_cols[i]))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      lmr_cols[i].name);
	}
	return buf;
}

int lmr_parse_sort_key(const char *s, const struct lmr_col **key)
{
	const struct lmr_col *col = lmr_col_find(s);
	char names[256];

	if (!col || !lmr_col_is_key(col)) {
		lmr_err("-k: %s '%s' (keys: %s)",
			col ? "not a sort key:" : "unknown sort key", s,
			col_names(names, sizeof(names), true));
		return -EINVAL;
	}
	*key = col;
	return 0;
}

/* "name,waits,owner=HOLDER": columns in order, a header after '=' */
int lmr_parse_fields(const char *s, struct lmr_fields *out)
{
	struct lmr_fields f = { 0 };
	char copy[512], names[512], *item, *next, *eq;

	if (strlen(s) >= sizeof(copy)) {
		lmr_err("-F: the list is too long: '%.40s...'", s);
		return -EINVAL;
	}
	strcpy(copy, s);
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = 0;
		eq = strchr(item, '=');
		if (eq)
			*eq++ = 0;
		if (!*item) {
			lmr_err("-F: an empty field in '%s'", s);
			return -EINVAL;
		}
		if (f.nr == LMR_MAX_FIELDS) {
			lmr_err("-F: more than %d fields in '%s'",
				LMR_MAX_FIELDS, s);
			return -EINVAL;
		}
		f.col[f.nr] = lmr_col_find(item);
		if (!f.col[f.nr]) {
			lmr_err("-F: unknown field '%s' (fields: %s)", item,
				col_names(names, sizeof(names), false));
			return -EINVAL;
		}
		if (eq && (!*eq || strlen(eq) >= LMR_HEADER_LEN)) {
			lmr_err("-F: the header of %s has 1 to %d characters: '%s'",
				item, LMR_HEADER_LEN - 1, eq);
			return -EINVAL;
		}
		if (eq)
			strcpy(f.header[f.nr], eq);
		f.nr++;
	}
	*out = f;
	return 0;
}

struct sort_entry {
	u64 key;
	size_t pos;
	struct lmr_lock l;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Largest first; ties keep the order they had (total wait by default). */
void lmr_sort_locks(struct lmr_state *st, const struct lmr_col *key)
{
	struct sort_entry *e;
	size_t i;

	if (!key || st->nr_locks < 2)
		return;
	e = calloc(st->nr_locks, sizeof(*e));
	if (!e) {
		lmr_warn("no memory to sort by %s: locks stay by total wait",
			 key->name);
		return;
	}
	for (i = 0; i < st->nr_locks; i++) {
		e[i].key = key->num(&st->locks[i]);
		e[i].pos = i;
		e[i].l = st->locks[i];
	}
	qsort(e, st->nr_locks, sizeof(*e), cmp_entry);
	for (i = 0; i < st->nr_locks; i++)
		st->locks[i] = e[i].l;
	free(e);
}

/*
 * One line of cells: one blank between columns; a left-aligned last
 * column comes after two blanks and is not padded.
 */
static void put_line(FILE *out, const struct lmr_fields *f,
		     const char *const *cell)
{
	unsigned int i;
	bool last;

	for (i = 0; i < f->nr; i++) {
		last = i + 1 == f->nr;
		if (last && f->col[i]->width < 0) {
			fprintf(out, "%s%s", i ? "  " : "", cell[i]);
			break;
		}
		fprintf(out, "%s%*s", i ? " " : "", f->col[i]->width, cell[i]);
	}
	fputc('\n', out);
}

void lmr_table_header(struct lmr_ctx *c, const struct lmr_fields *f,
		      bool interval)
{
	const char *cell[LMR_MAX_FIELDS];
	const struct lmr_col *col;
	unsigned int i;

	for (i = 0; i < f->nr; i++) {
		col = f->col[i];
		if (f->header[i][0])
			cell[i] = f->header[i];
		else if (interval && col->interval_header)
			cell[i] = col->interval_header;
		else
			cell[i] = col->header;
	}
	put_line(c->out, f, cell);
}

/*
 * A lock's row. With @prev (top after its first screen), the columns that
 * have an interval header show the change since then.
 */
void lmr_table_row(struct lmr_ctx *c, const struct lmr_fields *f,
		   const struct lmr_lock *l, const struct lmr_state *prev)
{
	char buf[LMR_MAX_FIELDS][LMR_NAME_LEN];
	const char *cell[LMR_MAX_FIELDS];
	const struct lmr_lock *p = NULL;
	const struct lmr_col *col;
	unsigned int i;
	size_t j;
	u64 v;

	for (j = 0; prev && j < prev->nr_locks && !p; j++)
		if (prev->locks[j].id == l->id)
			p = &prev->locks[j];
	for (i = 0; i < f->nr; i++) {
		col = f->col[i];
		if (col->text) {
			cell[i] = col->text(c, l, buf[i], sizeof(buf[i]));
			continue;
		}
		v = col->num(l);
		if (p && col->interval_header)
			v -= col->num(p);
		if (col->type == LMR_COL_NS)
			lmr_fmt_ns(buf[i], sizeof(buf[i]), v);
		else
			snprintf(buf[i], sizeof(buf[i]), "%llu",
				 (unsigned long long)v);
		cell[i] = buf[i];
	}
	put_line(c->out, f, cell);
}
