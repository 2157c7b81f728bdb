// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for the text of the module's debugfs files (module/debugfs.c),
 * shared by lockmon-report and the selftests. Tables start with
 * "# lockmon abi M.m" and a header line naming the columns; the columns of
 * include/lockmon/columns.h are found by those names, so their order does
 * not matter and columns we do not know are skipped. The parsers take
 * text, not files, so the tests and the fuzzer feed them directly.
 * Malformed text is an error with one line of reason, never a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

static char lmr_why[160];

const char *lmr_parse_error(void)
{
	return lmr_why;
}

static int bad(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(lmr_why, sizeof(lmr_why), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(lmr_why + n, sizeof(lmr_why) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int get_u64(const char *s, int base, u64 *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int get_pid(const char *s, pid_t *p)
{
	long x;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || *end || x < -1 || x > 0x3fffffff)
		return -EINVAL;
	*p = (pid_t)x;
	return 0;
}

static void get_word(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s);
}

/* Split @line in place on blanks; returns the number of tokens. */
static int split(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

/* Next line of @*p, NUL-terminated in place; NULL at the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* "# lockmon abi M.m": -EPROTO when the major differs from ours. */
static int abi_line(const char *line, unsigned int *minorp)
{
	unsigned int major, minor;
	char tail;

	if (!line || sscanf(line, "# lockmon abi %u.%u%c", &major, &minor,
			    &tail) != 2)
		return bad(1, "no '# lockmon abi' line");
	if (major != LOCKMON_ABI_MAJOR) {
		snprintf(lmr_why, sizeof(lmr_why),
			 "module ABI %u.%u, reporter ABI %u.%u", major, minor,
			 LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
		return -EPROTO;
	}
	if (minorp)
		*minorp = minor;
	return 0;
}

int lmr_parse_version(const char *text, char *ver, size_t len,
		      unsigned int *major, unsigned int *minor)
{
	char v[32], tail = '\n';
	int n;

	n = sscanf(text, "lockmon %31s abi %u.%u%c", v, major, minor, &tail);
	if (n < 3 || tail != '\n')
		return bad(1, "not 'lockmon VERSION abi M.m'");
	snprintf(ver, len, "%s", v);
	return 0;
}

/* ---- cells: one parser per column type of include/lockmon/columns.h --- */

/*
 * Each reads the cell @c->tok[0] (an ips column: the @c->n cells to the
 * end of the row) into the member @dst of @c->size bytes; 0, or -EINVAL
 * when malformed.
 */
static int cell_hex64(const struct lmr_cells *c, void *dst)
{
	return get_u64(c->tok[0], 16, dst);
}

static int cell_u64(const struct lmr_cells *c, void *dst)
{
	return get_u64(c->tok[0], 10, dst);
}

static int cell_u32(const struct lmr_cells *c, void *dst)
{
	u64 v;

	if (get_u64(c->tok[0], 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	*(u32 *)dst = (u32)v;
	return 0;
}

static int cell_flag(const struct lmr_cells *c, void *dst)
{
	u64 v;

	if (get_u64(c->tok[0], 10, &v))
		return -EINVAL;
	*(bool *)dst = v != 0;
	return 0;
}

static int cell_pid(const struct lmr_cells *c, void *dst)
{
	return get_pid(c->tok[0], dst);
}

static int cell_word(const struct lmr_cells *c, void *dst)
{
	get_word(dst, c->size, c->tok[0]);
	return 0;
}

/* "TGID:0xUADDR", ended by the end of @s or by ",", which goes to @end */
static int one_proc(const char *s, pid_t *tgid, u64 *uaddr, const char **end)
{
	unsigned long long a;
	int tg, used;

	if (sscanf(s, "%d:0x%llx%n", &tg, &a, &used) != 2 || tg < 0 ||
	    (s[used] && s[used] != ','))
		return -EINVAL;
	*tgid = tg;
	*uaddr = a;
	*end = s + used;
	return 0;
}

static int cell_procs(const struct lmr_cells *c, void *dst)
{
	struct lmr_procs *p = dst;
	const char *s = c->tok[0];

	memset(p, 0, sizeof(*p));
	if (one_proc(s, &p->tgid, &p->uaddr, &s))
		return -EINVAL;
	if (*s && (one_proc(s + 1, &p->tgid2, &p->uaddr2, &s) || *s))
		return -EINVAL;
	return 0;
}

static int cell_hist(const struct lmr_cells *c, void *dst)
{
	unsigned int *hist = dst;
	const char *s = c->tok[0];
	unsigned int b, v;
	int used;

	memset(hist, 0, c->size);
	if (!strcmp(s, "-"))
		return 0;
	for (;;) {
		if (sscanf(s, "%u:%u%n", &b, &v, &used) != 2 || b >= LMR_HIST ||
		    *s == '-' || (s[used] && s[used] != ','))
			return -EINVAL;
		hist[b] = v;
		s += used;
		if (!*s)
			return 0;
		s++;
	}
}

static int cell_opthex(const struct lmr_cells *c, void *dst)
{
	if (!strcmp(c->tok[0], "-")) {
		*(u64 *)dst = 0;
		return 0;
	}
	return get_u64(c->tok[0], 16, dst);
}

static int cell_cycle(const struct lmr_cells *c, void *dst)
{
	if (strcmp(c->tok[0], "-") && strcmp(c->tok[0], "CYCLE"))
		return -EINVAL;
	*(bool *)dst = !strcmp(c->tok[0], "CYCLE");
	return 0;
}

static int cell_ips(const struct lmr_cells *c, void *dst)
{
	struct lmr_ips *ips = dst;
	int i;

	if (c->n < 1 || c->n > LOCKMON_MAX_STACK)
		return -EINVAL;
	for (i = 0; i < c->n; i++)
		if (get_u64(c->tok[i], 16, &ips->ip[i]))
			return -EINVAL;
	ips->nr = (unsigned int)c->n;
	return 0;
}

#define cell_addr	cell_hex64
#define cell_comm	cell_word

/* How large the member of each type is: 0 for a char array of any size. */
#define LMR_SIZE_hex64	sizeof(u64)
#define LMR_SIZE_addr	sizeof(u64)
#define LMR_SIZE_u64	sizeof(u64)
#define LMR_SIZE_u32	sizeof(u32)
#define LMR_SIZE_flag	sizeof(bool)
#define LMR_SIZE_pid	sizeof(pid_t)
#define LMR_SIZE_word	0
#define LMR_SIZE_comm	0
#define LMR_SIZE_procs	sizeof(struct lmr_procs)
#define LMR_SIZE_hist	sizeof(unsigned int[LMR_HIST])
#define LMR_SIZE_opthex	sizeof(u64)
#define LMR_SIZE_cycle	sizeof(bool)
#define LMR_SIZE_ips	sizeof(struct lmr_ips)

/* a figure the selftests may ask for by name, and its signedness */
#define LMR_NUM_hex64	1
#define LMR_NUM_addr	1
#define LMR_NUM_u64	1
#define LMR_NUM_u32	1
#define LMR_NUM_flag	1
#define LMR_NUM_pid	-1
#define LMR_NUM_word	0
#define LMR_NUM_comm	0
#define LMR_NUM_procs	0
#define LMR_NUM_hist	0
#define LMR_NUM_opthex	1
#define LMR_NUM_cycle	1
#define LMR_NUM_ips	0

#define LMR_MEMBER(T, field)	(((T *)0)->field)

/* C() of a column list: its lmr_column, for rows of struct T */
#define LMR_COLUMN(T, name_, type, since_, get, field, json, view)	\
	{ .name = name_, .since = since_, .parse = cell_##type,		\
	  .off = offsetof(T, field), .size = sizeof(LMR_MEMBER(T, field)),\
	  .num = LMR_NUM_##type },

/* ... and a check that the member fits the type */
#define LMR_FITS(T, name, type, since, get, field, json, view)		\
	_Static_assert(LMR_SIZE_##type ?				\
		       sizeof(LMR_MEMBER(T, field)) == LMR_SIZE_##type :	\
		       sizeof(LMR_MEMBER(T, field)) > 1,			\
		       "the member for column " name " does not fit its type");

#define LOCK_COLUMN(...)	LMR_COLUMN(struct lmr_lock, __VA_ARGS__)
#define LOCK_FITS(...)		LMR_FITS(struct lmr_lock, __VA_ARGS__)
#define TASK_COLUMN(...)	LMR_COLUMN(struct lmr_task, __VA_ARGS__)
#define TASK_FITS(...)		LMR_FITS(struct lmr_task, __VA_ARGS__)
#define STACK_COLUMN(...)	LMR_COLUMN(struct lmr_stack, __VA_ARGS__)
#define STACK_FITS(...)		LMR_FITS(struct lmr_stack, __VA_ARGS__)

LOCKMON_LOCKS_COLUMNS(LOCK_FITS)
LOCKMON_TASKS_COLUMNS(TASK_FITS)
LOCKMON_WAITGRAPH_COLUMNS(TASK_FITS)
LOCKMON_STACKS_COLUMNS(STACK_FITS)

static const struct lmr_column locks_cols[] = {
	LOCKMON_LOCKS_COLUMNS(LOCK_COLUMN)
};
static const struct lmr_column tasks_cols[] = {
	LOCKMON_TASKS_COLUMNS(TASK_COLUMN)
};
static const struct lmr_column graph_cols[] = {
	LOCKMON_WAITGRAPH_COLUMNS(TASK_COLUMN)
};
static const struct lmr_column stacks_cols[] = {
	LOCKMON_STACKS_COLUMNS(STACK_COLUMN)
};

#define LMR_SCHEMA_OF(file_, cols)					\
	{ .file = file_, .col = cols, .nr = sizeof(cols) / sizeof(cols[0]) }

const struct lmr_schema lmr_schemas[] = {
	LMR_SCHEMA_OF("locks", locks_cols),
	LMR_SCHEMA_OF("tasks", tasks_cols),
	LMR_SCHEMA_OF("waitgraph", graph_cols),
	LMR_SCHEMA_OF("stacks", stacks_cols),
	{ NULL },
};

const struct lmr_schema *lmr_schema_find(const char *file)
{
	const struct lmr_schema *s;

	for (s = lmr_schemas; s->file; s++)
		if (!strcmp(s->file, file))
			return s;
	return NULL;
}

const struct lmr_column *lmr_column_find(const struct lmr_schema *s,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->col[i].name, name))
			return &s->col[i];
	return NULL;
}

/* ---- tables ----------------------------------------------------------- */

int lmr_table_split(char *text, struct lmr_table *t, lmr_row_fn fn, void *ctx)
{
	const struct lmr_schema *s = t->schema;
	char *p = text, *line, *tok[LMR_MAX_TOK];
	unsigned int i;
	int j, n, err;

	t->line = 1;
	err = abi_line(next_line(&p), &t->minor);
	if (err)
		return err;
	t->line = 2;
	line = next_line(&p);
	if (!line)
		return bad(2, "no header line");
	t->nhdr = split(line, t->hdr, LMR_MAX_TOK);
	for (i = 0; i < s->nr; i++) {
		const struct lmr_column *c = &s->col[i];

		for (j = 0; j < t->nhdr && strcmp(t->hdr[j], c->name); j++)
			;
		t->idx[i] = j < t->nhdr ? j : -1;
		if (j == t->nhdr && c->since <= t->minor)
			return bad(2, "no column '%s'", c->name);
		if (j < t->nhdr - 1 && c->parse == cell_ips)
			return bad(2, "column '%s' is not the last", c->name);
	}
	while ((line = next_line(&p))) {
		t->line++;
		if (!*line)
			continue;
		n = split(line, tok, LMR_MAX_TOK);
		if (n < t->nhdr)
			return bad(t->line, "%d cells for %d columns", n, t->nhdr);
		err = fn(ctx, t, tok, n);
		if (err)
			return err;
	}
	return 0;
}

int lmr_cell_read(const struct lmr_table *t, const struct lmr_column *c,
		  char **tok, int n, void *dst)
{
	int at = t->idx[c - t->schema->col];
	struct lmr_cells cells;

	if (at < 0)
		return 0;
	cells.tok = tok + at;
	cells.n = c->parse == cell_ips ? n - at : 1;
	cells.size = c->size;
	if (c->parse(&cells, dst))
		return bad(t->line, "bad %s '%.40s'", c->name, tok[at]);
	return 0;
}

int lmr_row_fill(const struct lmr_table *t, char **tok, int n, void *row)
{
	const struct lmr_column *c;
	unsigned int i;
	int err;

	for (i = 0; i < t->schema->nr; i++) {
		c = &t->schema->col[i];
		err = lmr_cell_read(t, c, tok, n, (char *)row + c->off);
		if (err)
			return err;
	}
	return 0;
}

int lmr_cell_number(const struct lmr_table *t, const struct lmr_column *c,
		    char **tok, int n, u64 *v)
{
	union {
		u64 u64;
		u32 u32;
		bool flag;
	} x = { 0 };
	int err;

	if (!c->num || c->size > sizeof(x) || t->idx[c - t->schema->col] < 0)
		return -EINVAL;
	err = lmr_cell_read(t, c, tok, n, &x);
	if (err)
		return err;
	if (c->size == sizeof(u64))
		*v = x.u64;
	else if (c->size == sizeof(u32))
		*v = c->num < 0 ? (u64)(int32_t)x.u32 : x.u32;
	else
		*v = x.flag;
	return 0;
}

/* Read a table into rows of @fn, from a copy of @text. */
static int read_table(const char *text, const char *file, lmr_row_fn fn,
		      struct lmr_state *st)
{
	struct lmr_table t = { .schema = lmr_schema_find(file) };
	char *copy;
	int err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	err = lmr_table_split(copy, &t, fn, st);
	free(copy);
	return err;
}

/* Copy the members of @t's columns from row @src to row @dst. */
static void row_merge(const struct lmr_table *t, void *dst, const void *src)
{
	const struct lmr_column *c;
	unsigned int i;

	for (i = 0; i < t->schema->nr; i++) {
		c = &t->schema->col[i];
		memcpy((char *)dst + c->off, (const char *)src + c->off, c->size);
	}
}

/*
 * The lines of a file that is not a table (stats, deadlocks): after its
 * "# lockmon abi" line, each but the blank and '#' ones to @fn with its
 * number, in a copy of @text; the first error stops them.
 */
typedef int (*lmr_line_fn)(void *ctx, char *line, int lno);

static int read_lines(const char *text, lmr_line_fn fn, void *ctx)
{
	char *copy, *p, *line;
	int lno = 1, err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	p = copy;
	err = abi_line(next_line(&p), NULL);
	while (!err && (line = next_line(&p))) {
		lno++;
		if (*line && *line != '#')
			err = fn(ctx, line, lno);
	}
	free(copy);
	return err;
}

/* ---- locks ----------------------------------------------------------- */

static int lock_row(void *ctx, const struct lmr_table *t, char **tok, int n)
{
	struct lmr_state *st = ctx;
	struct lmr_lock *arr;
	int err;

	arr = lmr_grow(st->locks, &st->cap_locks, st->nr_locks, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	st->locks = arr;
	memset(&arr[st->nr_locks], 0, sizeof(*arr));
	arr[st->nr_locks].hold_syscall = -1;	/* a file before ABI 1.4 */
	err = lmr_row_fill(t, tok, n, &arr[st->nr_locks]);
	if (err)
		return err;
	st->nr_locks++;
	return 0;
}

int lmr_parse_locks(const char *text, struct lmr_state *st)
{
	return read_table(text, "locks", lock_row, st);
}

/* ---- tasks and waitgraph: rows of the same tasks, merged by tid ------ */

static struct lmr_task *task_slot(struct lmr_state *st, pid_t tid)
{
	struct lmr_task *arr;
	size_t i;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == tid)
			return &st->tasks[i];
	arr = lmr_grow(st->tasks, &st->cap_tasks, st->nr_tasks, sizeof(*arr));
	if (!arr)
		return NULL;
	st->tasks = arr;
	memset(&arr[st->nr_tasks], 0, sizeof(*arr));
	arr[st->nr_tasks].tid = tid;
	return &arr[st->nr_tasks++];
}

static int task_row(void *ctx, const struct lmr_table *t, char **tok, int n)
{
	struct lmr_task row = { 0 }, *slot;
	int err;

	err = lmr_row_fill(t, tok, n, &row);
	if (err)
		return err;
	if (row.tid <= 0)
		return bad(t->line, "bad %s '%d'", t->schema->col[0].name, row.tid);
	slot = task_slot(ctx, row.tid);
	if (!slot)
		return -ENOMEM;
	row_merge(t, slot, &row);
	return 0;
}

int lmr_parse_tasks(const char *text, struct lmr_state *st)
{
	return read_table(text, "tasks", task_row, st);
}

int lmr_parse_waitgraph(const char *text, struct lmr_state *st)
{
	return read_table(text, "waitgraph", task_row, st);
}

/* ---- stacks ---------------------------------------------------------- */

static int stack_row(void *ctx, const struct lmr_table *t, char **tok, int n)
{
	struct lmr_state *st = ctx;
	struct lmr_stack *arr, *s;
	int err;

	arr = lmr_grow(st->stacks, &st->cap_stacks, st->nr_stacks, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	st->stacks = arr;
	s = &arr[st->nr_stacks];
	memset(s, 0, sizeof(*s));
	err = lmr_row_fill(t, tok, n, s);
	if (err)
		return err;
	if (!s->id)
		return bad(t->line, "bad stack '0'");
	st->nr_stacks++;
	return 0;
}

int lmr_parse_stacks(const char *text, struct lmr_state *st)
{
	return read_table(text, "stacks", stack_row, st);
}

/* ---- deadlocks ------------------------------------------------------- */

/* "key=value" tokens of a finding line, in the order @keys names them. */
static int kv(char **tok, int n, const char *const *keys, int nkeys,
	      const char **val)
{
	int i, j;

	for (i = 0; i < nkeys; i++) {
		size_t kl = strlen(keys[i]);

		val[i] = NULL;
		for (j = 0; j < n; j++)
			if (!strncmp(tok[j], keys[i], kl) && tok[j][kl] == '=')
				val[i] = tok[j] + kl + 1;
		if (!val[i])
			return -EINVAL;
	}
	return 0;
}

/*
 * The finding line's keys of ABI 1.3, each optional: an orphan's dead owner
 * (owner_tgid, owner_comm) and the stall of a whole process (stall_threads,
 * stall_blocked_ns), on a stall or on the cycle or orphan it added to.
 */
static int finding_extras(char **tok, int n, struct lmr_finding *f)
{
	static const char *const keys[] = { "owner_tgid", "owner_comm",
					    "stall_threads", "stall_blocked_ns",
					    "waited_ns", "median_ns", "hands" };
	const char *v[1];
	u64 threads, hands;
	int i;

	for (i = 0; i < 7; i++) {
		if (kv(tok, n, &keys[i], 1, v))
			continue;	/* absent */
		if ((i == 0 && get_pid(v[0], &f->owner_tgid)) ||
		    (i == 2 && (get_u64(v[0], 10, &threads) ||
				threads > UINT32_MAX)) ||
		    (i == 3 && get_u64(v[0], 10, &f->stall_blocked_ns)) ||
		    (i == 4 && get_u64(v[0], 10, &f->waited_ns)) ||
		    (i == 5 && get_u64(v[0], 10, &f->median_ns)) ||
		    (i == 6 && (get_u64(v[0], 10, &hands) ||
				hands > UINT32_MAX)))
			return -EINVAL;
		if (i == 6)
			f->hands = (u32)hands;
		if (i == 1)
			get_word(f->owner_comm, sizeof(f->owner_comm), v[0]);
		if (i == 2)
			f->stall_threads = (u32)threads;
	}
	return 0;
}

/* A priority of ABI 1.7's keys: the kernel's 0-139, or -1 for unknown. */
static int get_prio(const char *s, int *prio)
{
	pid_t v;

	if (get_pid(s, &v) || v > 139)
		return -EINVAL;
	*prio = v;
	return 0;
}

/* The keys of a preempted owner's finding (ABI 1.7), each optional. */
static int finding_blame(char **tok, int n, struct lmr_finding *f)
{
	static const char *const keys[] = {
		"holder", "holder_tgid", "holder_prio", "cpu", "off_cpu_ns",
		"holder_comm", "waiter_prio", "ran", "ran_tgid", "ran_prio",
		"ran_comm" };
	const char *v[1];
	u64 cpu;
	int i;

	f->holder_prio = f->waiter_prio = f->ran_prio = -1;
	for (i = 0; i < 11; i++) {
		if (kv(tok, n, &keys[i], 1, v))
			continue;	/* absent */
		if ((i == 0 && get_pid(v[0], &f->holder)) ||
		    (i == 1 && get_pid(v[0], &f->holder_tgid)) ||
		    (i == 2 && get_prio(v[0], &f->holder_prio)) ||
		    (i == 3 && (get_u64(v[0], 10, &cpu) || cpu > UINT32_MAX)) ||
		    (i == 4 && get_u64(v[0], 10, &f->off_cpu_ns)) ||
		    (i == 6 && get_prio(v[0], &f->waiter_prio)) ||
		    (i == 7 && get_pid(v[0], &f->ran)) ||
		    (i == 8 && get_pid(v[0], &f->ran_tgid)) ||
		    (i == 9 && get_prio(v[0], &f->ran_prio)))
			return -EINVAL;
		if (i == 3)
			f->cpu = (u32)cpu;
		if (i == 5 && strcmp(v[0], "-"))
			get_word(f->holder_comm, sizeof(f->holder_comm), v[0]);
		if (i == 10 && strcmp(v[0], "-"))
			get_word(f->ran_comm, sizeof(f->ran_comm), v[0]);
	}
	return 0;
}

struct deadlocks_ctx {
	struct lmr_state *st;
	struct lmr_finding *f;		/* the finding the task lines are of */
};

static int finding_line(struct deadlocks_ctx *d, char **tok, int n, int lno)
{
	static const char *const keys[] = { "kind", "tasks", "time_ns",
					    "latency_ns" };
	struct lmr_state *st = d->st;
	struct lmr_finding *arr, *f;
	const char *v[4];
	u64 nr;

	arr = lmr_grow(st->findings, &st->cap_findings, st->nr_findings,
		       sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	st->findings = arr;
	f = &arr[st->nr_findings];
	d->f = f;
	memset(f, 0, sizeof(*f));
	if (get_u64(tok[1], 10, &f->seq) || kv(tok + 2, n - 2, keys, 4, v) ||
	    get_u64(v[1], 10, &nr) || nr > LOCKMON_MAX_CHAIN ||
	    get_u64(v[2], 10, &f->time_ns) ||
	    get_u64(v[3], 10, &f->latency_ns))
		return bad(lno, "bad finding line");
	get_word(f->kind, sizeof(f->kind), v[0]);
	if (finding_extras(tok + 2, n - 2, f) ||
	    finding_blame(tok + 2, n - 2, f))
		return bad(lno, "bad finding line");
	st->nr_findings++;
	return 0;
}

static int task_line(struct lmr_finding *f, char **tok, int n, int lno)
{
	static const char *const keys[] = { "tid", "tgid", "comm", "futex",
					    "uaddr", "owner", "how", "timed",
					    "stack" };
	struct lmr_finding_task *t;
	u64 i, timed, stack;
	const char *v[9];

	if (get_u64(tok[1], 10, &i) || i >= LOCKMON_MAX_CHAIN ||
	    i != f->nr || kv(tok + 2, n - 2, keys, 9, v))
		return bad(lno, "bad task line");
	t = &f->t[i];
	if (get_pid(v[0], &t->tid) || get_pid(v[1], &t->tgid) ||
	    get_u64(v[3], 16, &t->futex_id) ||
	    get_u64(v[4], 16, &t->uaddr) ||
	    get_pid(v[5], &t->owner) ||
	    get_u64(v[7], 10, &timed) ||
	    get_u64(v[8], 10, &stack) || stack > UINT32_MAX)
		return bad(lno, "bad number in task line");
	get_word(t->comm, sizeof(t->comm), v[2]);
	get_word(t->how, sizeof(t->how), v[6]);
	t->timed = timed;
	t->stack_id = (u32)stack;
	if (!i && f->stall_threads)
		f->stall_tgid = t->tgid;
	f->nr++;
	return 0;
}

static int deadlocks_line(void *ctx, char *line, int lno)
{
	struct deadlocks_ctx *d = ctx;
	char *tok[LMR_MAX_TOK];
	int n = split(line, tok, LMR_MAX_TOK);

	if (n >= 2 && !strcmp(tok[0], "finding"))
		return finding_line(d, tok, n, lno);
	if (n >= 2 && !strcmp(tok[0], "task") && d->f)
		return task_line(d->f, tok, n, lno);
	return bad(lno, "neither a finding nor a task line");
}

int lmr_parse_deadlocks(const char *text, struct lmr_state *st)
{
	struct deadlocks_ctx d = { .st = st };

	return read_lines(text, deadlocks_line, &d);
}

/* ---- stats: "name value" lines --------------------------------------- */

static int stats_line(void *ctx, char *line, int lno)
{
	struct lmr_state *st = ctx;
	struct lmr_stat *arr;
	char *sp;

	sp = strchr(line, ' ');
	if (!sp || sp == line || !sp[1] ||
	    (size_t)(sp - line) >= sizeof(arr->name))
		return bad(lno, "not 'name value'");
	*sp = 0;
	arr = lmr_grow(st->stats, &st->cap_stats, st->nr_stats, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	st->stats = arr;
	snprintf(arr[st->nr_stats].name, sizeof(arr->name), "%s", line);
	snprintf(arr[st->nr_stats].value, sizeof(arr->value), "%s", sp + 1);
	st->nr_stats++;
	return 0;
}

int lmr_parse_stats(const char *text, struct lmr_state *st)
{
	return read_lines(text, stats_line, st);
}

