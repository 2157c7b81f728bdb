// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for the module's debugfs files (see module/debugfs.c). Tables
 * start with "# lockmon abi M.m" and a header line naming the columns;
 * columns are looked up by name so added columns do not break us. The
 * parsers take text, not files, so the tests and the fuzzer feed them
 * directly. Malformed text is an error, never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lockmon-report.h"

#define DEBUGFS_MAGIC	0x64626720
#define TRACEFS_MAGIC	0x74726163
#define LMR_MAX_TOK	64
#define LMR_FILE_MAX	(64 << 20)

static char lmr_why[160];

static int bad(int line, const char *what)
{
	snprintf(lmr_why, sizeof(lmr_why), "line %d: %s", line, what);
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
static int abi_line(const char *line)
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

typedef int (*row_fn)(struct lmr_state *st, char **cell, int line);

/*
 * Parse a table: @want[] names the columns @fn gets, in that order; a
 * row with fewer cells than the header is corrupt.
 */
static int parse_table(const char *text, const char *const *want, int nwant,
		       struct lmr_state *st, row_fn fn)
{
	char *copy, *p, *line, *hdr[LMR_MAX_TOK], *tok[LMR_MAX_TOK];
	char *cell[LMR_MAX_TOK];
	int idx[LMR_MAX_TOK], nhdr, i, j, n, lno = 2, err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	p = copy;
	err = abi_line(next_line(&p));
	if (err)
		goto out;
	line = next_line(&p);
	if (!line) {
		err = bad(2, "no header line");
		goto out;
	}
	nhdr = split(line, hdr, LMR_MAX_TOK);
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < nhdr && strcmp(hdr[j], want[i]); j++)
			;
		if (j == nhdr) {
			snprintf(lmr_why, sizeof(lmr_why),
				 "line 2: no column '%s'", want[i]);
			err = -EINVAL;
			goto out;
		}
		idx[i] = j;
	}
	while ((line = next_line(&p))) {
		lno++;
		if (!*line)
			continue;
		n = split(line, tok, LMR_MAX_TOK);
		if (n < nhdr) {
			err = bad(lno, "fewer cells than columns");
			goto out;
		}
		for (i = 0; i < nwant; i++)
			cell[i] = tok[idx[i]];
		err = fn(st, cell, lno);
		if (err)
			goto out;
	}
out:
	free(copy);
	return err;
}

/* ---- locks ----------------------------------------------------------- */

static const char *const lock_cols[] = {
	"futex", "class", "pi", "procs", "blocked", "again", "timeouts",
	"signals", "wakes", "total_ns", "max_ns", "handoff_avg_ns",
	"handoff_max_ns", "waiters", "distinct", "owner", "owner_how",
};

static int lock_row(struct lmr_state *st, char **c, int line)
{
	struct lmr_lock *l, *arr;
	u64 pi, waiters, distinct;
	unsigned long long a;
	int tg, used;

	arr = lmr_grow(st->locks, &st->cap_locks, st->nr_locks, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	st->locks = arr;
	l = &arr[st->nr_locks];
	memset(l, 0, sizeof(*l));
	if (get_u64(c[0], 16, &l->id))
		return bad(line, "bad futex id");
	get_word(l->klass, sizeof(l->klass), c[1]);
	if (get_u64(c[2], 10, &pi))
		return bad(line, "bad pi");
	l->pi = pi;
	if (sscanf(c[3], "%d:0x%llx%n", &tg, &a, &used) != 2 ||
	    (c[3][used] && c[3][used] != ','))
		return bad(line, "bad procs");
	l->tgid = tg;
	l->uaddr = a;
	if (get_u64(c[4], 10, &l->waits) || get_u64(c[5], 10, &l->again) ||
	    get_u64(c[6], 10, &l->timeouts) || get_u64(c[7], 10, &l->signals) ||
	    get_u64(c[8], 10, &l->wakes) || get_u64(c[9], 10, &l->total_ns) ||
	    get_u64(c[10], 10, &l->max_ns) ||
	    get_u64(c[11], 10, &l->handoff_avg_ns) ||
	    get_u64(c[12], 10, &l->handoff_max_ns) ||
	    get_u64(c[13], 10, &waiters) || get_u64(c[14], 10, &distinct) ||
	    get_pid(c[15], &l->owner))
		return bad(line, "bad number");
	l->waiters = (unsigned int)waiters;
	l->distinct = (unsigned int)distinct;
	get_word(l->owner_how, sizeof(l->owner_how), c[16]);
	st->nr_locks++;
	return 0;
}

int lmr_parse_locks(const char *text, struct lmr_state *st)
{
	return parse_table(text, lock_cols, 17, st, lock_row);
}

/* ---- tasks and waitgraph --------------------------------------------- */

static const char *const task_cols[] = {
	"tid", "tgid", "comm", "futex", "uaddr", "wait_ns", "owner",
	"owner_how", "timed", "woken", "last_waker", "stack",
};

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

static int task_row(struct lmr_state *st, char **c, int line)
{
	struct lmr_task *t;
	u64 timed, woken, stack;
	pid_t tid;

	if (get_pid(c[0], &tid) || tid <= 0)
		return bad(line, "bad tid");
	t = task_slot(st, tid);
	if (!t)
		return -ENOMEM;
	get_word(t->comm, sizeof(t->comm), c[2]);
	if (get_pid(c[1], &t->tgid) || get_u64(c[3], 16, &t->futex_id) ||
	    get_u64(c[4], 16, &t->uaddr) || get_u64(c[5], 10, &t->wait_ns) ||
	    get_pid(c[6], &t->owner) || get_u64(c[8], 10, &timed) ||
	    get_u64(c[9], 10, &woken) || get_pid(c[10], &t->last_waker) ||
	    get_u64(c[11], 10, &stack) || stack > UINT32_MAX)
		return bad(line, "bad number");
	get_word(t->owner_how, sizeof(t->owner_how), c[7]);
	t->timed = timed;
	t->woken = woken;
	t->stack_id = (u32)stack;
	return 0;
}

int lmr_parse_tasks(const char *text, struct lmr_state *st)
{
	return parse_table(text, task_cols, 12, st, task_row);
}

static const char *const graph_cols[] = {
	"waiter", "tgid", "comm", "futex", "uaddr", "owner", "owner_how",
	"owner_waits_on", "cycle",
};

/* Edges of the wait-for graph, merged into the task rows by tid. */
static int graph_row(struct lmr_state *st, char **c, int line)
{
	struct lmr_task *t;
	pid_t tid;

	if (get_pid(c[0], &tid) || tid <= 0)
		return bad(line, "bad waiter");
	t = task_slot(st, tid);
	if (!t)
		return -ENOMEM;
	get_word(t->comm, sizeof(t->comm), c[2]);
	if (get_pid(c[1], &t->tgid) || get_u64(c[3], 16, &t->futex_id) ||
	    get_u64(c[4], 16, &t->uaddr) || get_pid(c[5], &t->owner))
		return bad(line, "bad number");
	get_word(t->owner_how, sizeof(t->owner_how), c[6]);
	t->owner_waits_on = 0;
	if (strcmp(c[7], "-") && get_u64(c[7], 16, &t->owner_waits_on))
		return bad(line, "bad owner_waits_on");
	if (strcmp(c[8], "-") && strcmp(c[8], "CYCLE"))
		return bad(line, "bad cycle");
	t->cycle = !strcmp(c[8], "CYCLE");
	return 0;
}

int lmr_parse_waitgraph(const char *text, struct lmr_state *st)
{
	return parse_table(text, graph_cols, 9, st, graph_row);
}

/* ---- stacks ---------------------------------------------------------- */

int lmr_parse_stacks(const char *text, struct lmr_state *st)
{
	char *copy, *p, *line, *tok[LMR_MAX_TOK];
	int n, i, lno = 2, err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	p = copy;
	err = abi_line(next_line(&p));
	if (err)
		goto out;
	line = next_line(&p);
	n = line ? split(line, tok, LMR_MAX_TOK) : 0;
	if (n < 2 || strcmp(tok[0], "stack") || strcmp(tok[1], "tgid")) {
		err = bad(2, "not a stacks header");
		goto out;
	}
	while ((line = next_line(&p))) {
		struct lmr_stack *s, *arr;
		u64 id;

		lno++;
		if (!*line)
			continue;
		n = split(line, tok, LMR_MAX_TOK);
		if (n < 3 || n > 2 + LOCKMON_MAX_STACK) {
			err = bad(lno, "bad stack depth");
			goto out;
		}
		arr = lmr_grow(st->stacks, &st->cap_stacks, st->nr_stacks, sizeof(*arr));
		if (!arr) {
			err = -ENOMEM;
			goto out;
		}
		st->stacks = arr;
		s = &arr[st->nr_stacks];
		if (get_u64(tok[0], 10, &id) || !id || id > UINT32_MAX ||
		    get_pid(tok[1], &s->tgid)) {
			err = bad(lno, "bad stack id or tgid");
			goto out;
		}
		s->id = (u32)id;
		s->nr = (unsigned int)(n - 2);
		for (i = 0; i < n - 2; i++) {
			if (get_u64(tok[2 + i], 16, &s->ip[i])) {
				err = bad(lno, "bad address");
				goto out;
			}
		}
		st->nr_stacks++;
	}
out:
	free(copy);
	return err;
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
					    "stall_threads", "stall_blocked_ns" };
	const char *v[1];
	u64 threads;
	int i;

	for (i = 0; i < 4; i++) {
		if (kv(tok, n, &keys[i], 1, v))
			continue;	/* absent */
		if ((i == 0 && get_pid(v[0], &f->owner_tgid)) ||
		    (i == 2 && (get_u64(v[0], 10, &threads) ||
				threads > UINT32_MAX)) ||
		    (i == 3 && get_u64(v[0], 10, &f->stall_blocked_ns)))
			return -EINVAL;
		if (i == 1)
			get_word(f->owner_comm, sizeof(f->owner_comm), v[0]);
		if (i == 2)
			f->stall_threads = (u32)threads;
	}
	return 0;
}

int lmr_parse_deadlocks(const char *text, struct lmr_state *st)
{
	static const char *const fkeys[] = { "kind", "tasks", "time_ns",
					     "latency_ns" };
	static const char *const tkeys[] = { "tid", "tgid", "comm", "futex",
					     "uaddr", "owner", "how", "timed",
					     "stack" };
	char *copy, *p, *line, *tok[LMR_MAX_TOK];
	struct lmr_finding *f = NULL;
	const char *v[9];
	int n, lno = 1, err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	p = copy;
	err = abi_line(next_line(&p));
	if (err)
		goto out;
	while ((line = next_line(&p))) {
		lno++;
		if (!*line || *line == '#')
			continue;
		n = split(line, tok, LMR_MAX_TOK);
		if (n >= 2 && !strcmp(tok[0], "finding")) {
			struct lmr_finding *arr;
			u64 nr;

			arr = lmr_grow(st->findings, &st->cap_findings, st->nr_findings,
				       sizeof(*arr));
			if (!arr) {
				err = -ENOMEM;
				goto out;
			}
			st->findings = arr;
			f = &arr[st->nr_findings];
			memset(f, 0, sizeof(*f));
			if (get_u64(tok[1], 10, &f->seq) ||
			    kv(tok + 2, n - 2, fkeys, 4, v) ||
			    get_u64(v[1], 10, &nr) ||
			    nr > LOCKMON_MAX_CHAIN ||
			    get_u64(v[2], 10, &f->time_ns) ||
			    get_u64(v[3], 10, &f->latency_ns)) {
				err = bad(lno, "bad finding line");
				goto out;
			}
			get_word(f->kind, sizeof(f->kind), v[0]);
			err = finding_extras(tok + 2, n - 2, f);
			if (err) {
				err = bad(lno, "bad finding line");
				goto out;
			}
			st->nr_findings++;
		} else if (n >= 2 && !strcmp(tok[0], "task") && f) {
			struct lmr_finding_task *t;
			u64 i, timed, stack;

			if (get_u64(tok[1], 10, &i) || i >= LOCKMON_MAX_CHAIN ||
			    i != f->nr || kv(tok + 2, n - 2, tkeys, 9, v)) {
				err = bad(lno, "bad task line");
				goto out;
			}
			t = &f->t[i];
			if (get_pid(v[0], &t->tid) || get_pid(v[1], &t->tgid) ||
			    get_u64(v[3], 16, &t->futex_id) ||
			    get_u64(v[4], 16, &t->uaddr) ||
			    get_pid(v[5], &t->owner) ||
			    get_u64(v[7], 10, &timed) ||
			    get_u64(v[8], 10, &stack) || stack > UINT32_MAX) {
				err = bad(lno, "bad number in task line");
				goto out;
			}
			get_word(t->comm, sizeof(t->comm), v[2]);
			get_word(t->how, sizeof(t->how), v[6]);
			t->timed = timed;
			t->stack_id = (u32)stack;
			if (!i && f->stall_threads)
				f->stall_tgid = t->tgid;
			f->nr++;
		} else {
			err = bad(lno, "neither a finding nor a task line");
			goto out;
		}
	}
out:
	free(copy);
	return err;
}

/* ---- stats: "name value" lines --------------------------------------- */

int lmr_parse_stats(const char *text, struct lmr_state *st)
{
	char *copy, *p, *line, *sp;
	int lno = 1, err;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	p = copy;
	err = abi_line(next_line(&p));
	if (err)
		goto out;
	while ((line = next_line(&p))) {
		struct lmr_stat *arr;

		lno++;
		if (!*line || *line == '#')
			continue;
		sp = strchr(line, ' ');
		if (!sp || sp == line || !sp[1] ||
		    (size_t)(sp - line) >= sizeof(arr->name)) {
			err = bad(lno, "not 'name value'");
			goto out;
		}
		*sp = 0;
		arr = lmr_grow(st->stats, &st->cap_stats, st->nr_stats, sizeof(*arr));
		if (!arr) {
			err = -ENOMEM;
			goto out;
		}
		st->stats = arr;
		snprintf(arr[st->nr_stats].name, sizeof(arr->name), "%s", line);
		snprintf(arr[st->nr_stats].value, sizeof(arr->value), "%s",
			 sp + 1);
		st->nr_stats++;
	}
out:
	free(copy);
	return err;
}

/* ---- live checks and loading ----------------------------------------- */

/*
 * Everything a live view needs, checked in the order a user fixes it:
 * root, debugfs, the module, its ABI, and tracefs when events are read.
 */
int lmr_check_live(bool need_tracefs)
{
	unsigned int major, minor;
	char ver[32], *text;

	if (geteuid() != 0) {
		lmr_err("must be run as root: the lockmon debugfs files and tracefs are root-only");
		return -EPERM;
	}
	if (!lmr_is_mounted(LMR_DEBUGFS, DEBUGFS_MAGIC)) {
		lmr_err("debugfs is not mounted on %s (mount -t debugfs none %s)",
			LMR_DEBUGFS, LMR_DEBUGFS);
		return -ENODEV;
	}
	if (access("/sys/module/lockmon", F_OK) || access(LMR_DIR, F_OK)) {
		lmr_err("the lockmon module is not loaded (insmod lockmon.ko)");
		return -ENODEV;
	}
	text = lmr_read_file(LMR_DIR "/version", NULL, 4096);
	if (!text) {
		lmr_err("cannot read %s/version: %s", LMR_DIR, strerror(errno));
		return -EIO;
	}
	if (lmr_parse_version(text, ver, sizeof(ver), &major, &minor)) {
		lmr_err("cannot parse %s/version: %s", LMR_DIR, lmr_why);
		free(text);
		return -EINVAL;
	}
	free(text);
	if (major != LOCKMON_ABI_MAJOR) {
		lmr_err("ABI mismatch: module lockmon %s has ABI %u.%u, this reporter ABI %u.%u",
			ver, major, minor, LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
		return -EPROTO;
	}
	if (need_tracefs && !lmr_is_mounted("/sys/kernel/tracing", TRACEFS_MAGIC) &&
	    !lmr_is_mounted(LMR_DEBUGFS "/tracing", TRACEFS_MAGIC)) {
		lmr_err("tracefs is not mounted on /sys/kernel/tracing (mount -t tracefs none /sys/kernel/tracing)");
		return -ENODEV;
	}
	return 0;
}

static const struct {
	unsigned int flag;
	const char *file;
	int (*parse)(const char *text, struct lmr_state *st);
} lmr_files[] = {
	{ LMR_F_LOCKS, "locks", lmr_parse_locks },
	{ LMR_F_TASKS, "tasks", lmr_parse_tasks },
	{ LMR_F_GRAPH, "waitgraph", lmr_parse_waitgraph },
	{ LMR_F_FINDINGS, "deadlocks", lmr_parse_deadlocks },
	{ LMR_F_STACKS, "stacks", lmr_parse_stacks },
	{ LMR_F_STATS, "stats", lmr_parse_stats },
};

/* Read and parse the files named by @what into @st. */
int lmr_debugfs_load(struct lmr_state *st, unsigned int what)
{
	unsigned int major, minor;
	char path[128], *text;
	size_t i;
	int err;

	st->source = "debugfs";
	text = lmr_read_file(LMR_DIR "/version", NULL, 4096);
	if (text && lmr_parse_version(text, st->version, sizeof(st->version),
				      &major, &minor))
		st->version[0] = 0;
	free(text);
	for (i = 0; i < sizeof(lmr_files) / sizeof(lmr_files[0]); i++) {
		if (!(what & lmr_files[i].flag))
			continue;
		snprintf(path, sizeof(path), LMR_DIR "/%s", lmr_files[i].file);
		text = lmr_read_file(path, NULL, LMR_FILE_MAX);
		if (!text) {
			err = -errno;
			lmr_err("cannot read %s: %s", path, strerror(errno));
			return err;
		}
		err = lmr_files[i].parse(text, st);
		free(text);
		if (err == -EPROTO) {
			lmr_err("ABI mismatch in %s: %s", path, lmr_why);
			return err;
		}
		if (err) {
			lmr_err("cannot parse %s: %s", path,
				err == -ENOMEM ? "out of memory" : lmr_why);
			return err;
		}
	}
	return 0;
}
