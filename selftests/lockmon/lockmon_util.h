/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the lockmon selftests: load and unload the module,
 * read its debugfs files, and run a workload in a child process that the
 * test can kill. The files are parsed by lockmon-report's parsers
 * (user/debugfs_parse.c, linked into every test), so a row the reporter
 * would reject fails the test that reads it.
 */
#ifndef LOCKMON_UTIL_H
#define LOCKMON_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uapi/linux/lockmon.h>
#include "../../user/lockmon-report.h"

#define LM_DIR		"/sys/kernel/debug/lockmon"
#define LM_MAX_ROWS	4096
#define LM_MAX_COLS	32

/*
 * The harness ends each test's child with _exit(), which drops what stdio
 * still buffers: with stdout a pipe, a test's ksft_print_msg() figures
 * would vanish exactly when it fails. Flush them line by line.
 */
static void __attribute__((constructor)) lm_stdout_by_line(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline pid_t lm_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline uint64_t lm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void lm_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* @rel resolved against the test binary's directory, wherever it is run from. */
static inline const char *lm_beside_exe(char *path, size_t size, const char *rel)
{
	ssize_t n = readlink("/proc/self/exe", path, size);
	char *slash;

	if (n <= 0 || (size_t)n >= size)
		return rel;
	path[n] = '\0';
	slash = strrchr(path, '/');
	slash = slash ? slash + 1 : path;
	if ((size_t)(slash - path) + strlen(rel) >= size)
		return rel;
	strcpy(slash, rel);
	return path;
}

/*
 * LOCKMON_SCALE=N divides the suite's long loops (load/unload cycles,
 * thread churn, fuzz writes) by N, at least 1 iteration each: a debug
 * kernel is 5-10 times slower and finds a bug in fewer rounds. An
 * explicit count (LOCKMON_CYCLES and the like) is taken as it is.
 */
static inline long lm_scaled(const char *count_env, long n)
{
	const char *e = getenv(count_env);
	long scale;

	if (e)
		return atol(e);
	e = getenv("LOCKMON_SCALE");
	scale = e ? atol(e) : 1;
	if (scale <= 1)
		return n;
	return n / scale > 0 ? n / scale : 1;
}

/* Path of lockmon.ko: $LOCKMON_KO, else the build tree two levels above the test binary. */
static inline const char *lm_ko(void)
{
	static char path[PATH_MAX];
	const char *p = getenv("LOCKMON_KO");

	return p ? p : lm_beside_exe(path, sizeof(path), "../../lockmon.ko");
}

static inline bool lm_loaded(void)
{
	return access(LM_DIR "/version", F_OK) == 0;
}

/* insmod with @params; returns insmod's exit status. */
static inline int lm_load(const char *params)
{
	char cmd[PATH_MAX + 512];

	snprintf(cmd, sizeof(cmd), "insmod %s %s 2>/dev/null", lm_ko(),
		 params ? params : "");
	return WEXITSTATUS(system(cmd));
}

static inline int lm_unload(void)
{
	return WEXITSTATUS(system("rmmod lockmon 2>/dev/null"));
}

/* Read a whole file into a malloc'd NUL-terminated buffer. */
static inline char *lm_read(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * How many futex_ functions a kernel list file names: the kprobes list,
 * or ftrace's enabled_functions (lockmon's hooks and its kretprobes on
 * ftrace). -1 when the file cannot be read.
 */
static inline int lm_futex_fns_in(const char *path)
{
	char *l = lm_read(path);
	const char *p;
	int n = 0;

	if (!l)
		return -1;
	for (p = l; (p = strstr(p, "futex_")); p++)
		n++;
	free(l);
	return n;
}

static inline char *lm_read_lm(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), LM_DIR "/%s", name);
	return lm_read(path);
}

/* A counter from the stats file ("name value" lines), or -1. */
static inline long long lm_stat(const char *name)
{
	struct lmr_state st = { 0 };
	char *text = lm_read_lm("stats");
	long long v = -1;
	size_t i;

	if (text && !lmr_parse_stats(text, &st))
		for (i = 0; i < st.nr_stats; i++)
			if (!strcmp(st.stats[i].name, name))
				v = strtoll(st.stats[i].value, NULL, 10);
	free(text);
	lmr_state_free(&st);
	return v;
}

/* Write one command to the control file; returns 0 or -errno. */
static inline int lm_control(const char *cmd)
{
	int fd = open(LM_DIR "/control", O_WRONLY);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * A debugfs table as lockmon-report reads it (lmr_table_split()): its
 * header, and each row's cells, every one of them checked against the
 * table's column list.
 */
struct lm_table {
	char *buf;
	struct lmr_table t;
	int ncols;
	char *cols[LM_MAX_COLS];
	int nrows;
	int ncells[LM_MAX_ROWS];
	char *cell[LM_MAX_ROWS][LM_MAX_COLS];
};

static inline void lm_table_free(struct lm_table *t)
{
	free(t->buf);
	free(t);
}

static inline int lm_table_row(void *ctx, const struct lmr_table *lt,
			       char **tok, int n)
{
	union {
		struct lmr_lock l;
		struct lmr_task t;
		struct lmr_stack s;
	} row;
	struct lm_table *t = ctx;
	int c, err;

	memset(&row, 0, sizeof(row));
	err = lmr_row_fill(lt, tok, n, &row);
	if (err || t->nrows == LM_MAX_ROWS)
		return err;
	for (c = 0; c < n && c < LM_MAX_COLS; c++)
		t->cell[t->nrows][c] = tok[c];
	t->ncells[t->nrows++] = c;
	return 0;
}

/* Read and parse the table file @name; NULL, with the reason, if bad. */
static inline struct lm_table *lm_table(const char *name)
{
	struct lm_table *t = calloc(1, sizeof(*t));
	int c, err;

	if (!t)
		return NULL;
	t->t.schema = lmr_schema_find(name);
	t->buf = lm_read_lm(name);
	if (!t->t.schema || !t->buf) {
		printf("# lm_table: cannot read %s\n", name);
		lm_table_free(t);
		return NULL;
	}
	err = lmr_table_split(t->buf, &t->t, lm_table_row, t);
	if (err) {
		printf("# lm_table: %s: %s\n", name,
		       err == -ENOMEM ? "out of memory" : lmr_parse_error());
		lm_table_free(t);
		return NULL;
	}
	for (c = 0; c < t->t.nhdr && c < LM_MAX_COLS; c++)
		t->cols[c] = t->t.hdr[c];
	t->ncols = c;
	return t;
}

/* The cell of column @col in row @row, as the module wrote it; "" if none. */
static inline const char *lm_cell(struct lm_table *t, int row, const char *col)
{
	int c;

	for (c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c], col))
			return t->cell[row][c] ? t->cell[row][c] : "";
	return "";
}

/* The figure in column @col of row @row, read as its column's type says. */
static inline unsigned long long lm_ucell(struct lm_table *t, int row,
					  const char *col)
{
	const struct lmr_column *c = lmr_column_find(t->t.schema, col);
	u64 v;

	if (c && !lmr_cell_number(&t->t, c, t->cell[row], t->ncells[row], &v))
		return v;
	return strtoull(lm_cell(t, row, col), NULL, 0);
}

/* Does the "procs" cell of a locks row name @pid at an address in [lo, lo+len)? */
static inline bool lm_row_has(struct lm_table *t, int row, pid_t pid,
			      const void *lo, size_t len)
{
	const struct lmr_column *c = lmr_column_find(t->t.schema, "procs");
	uintptr_t a = (uintptr_t)lo;
	struct lmr_procs p;

	if (!c || lmr_cell_read(&t->t, c, t->cell[row], t->ncells[row], &p))
		return false;
	return (p.tgid == pid && p.uaddr >= a && p.uaddr < a + len) ||
	       (p.tgid2 && p.tgid2 == pid && p.uaddr2 >= a && p.uaddr2 < a + len);
}

/*
 * Whether thread @tid of @pid sits in futex(2), from /proc/PID/task/TID/syscall
 * ("202 uaddr op ..."); its op goes to @op when not NULL.
 */
static inline bool lm_in_futex(pid_t pid, pid_t tid, unsigned long long *op)
{
	unsigned long long uaddr, o;
	char path[64], *s;
	bool in;
	int nr;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	s = lm_read(path);
	if (!s)
		return false;
	in = sscanf(s, "%d %llx %llx", &nr, &uaddr, &o) == 3 && nr == SYS_futex;
	free(s);
	if (in && op)
		*op = o;
	return in;
}

/*
 * Whether @tid has a row in `tasks`, not yet woken (lockmon sees it blocked
 * right now), for a futex in [lo, lo+len); any futex when @lo is NULL.
 */
static inline bool lm_task_waits_on(pid_t tid, const void *lo, size_t len)
{
	struct lm_table *t = lm_table("tasks");
	unsigned long long a;
	bool in = false;
	int r;

	for (r = 0; t && r < t->nrows && !in; r++) {
		a = lm_ucell(t, r, "uaddr");
		in = lm_ucell(t, r, "tid") == (unsigned long long)tid &&
		     !lm_ucell(t, r, "woken") &&
		     (!lo || (a >= (uintptr_t)lo && a < (uintptr_t)lo + len));
	}
	if (t)
		lm_table_free(t);
	return in;
}

/* Whether @tid has a row in `tasks`: lockmon sees it blocked right now. */
static inline bool lm_task_blocked(pid_t tid)
{
	return lm_task_waits_on(tid, NULL, 0);
}

/* The locks row of the futex at [lo, lo+len) in process @pid, or -1. */
static inline int lm_find_lock(struct lm_table *t, pid_t pid, const void *lo,
			       size_t len)
{
	int r;

	for (r = 0; r < t->nrows; r++)
		if (lm_row_has(t, r, pid, lo, len))
			return r;
	return -1;
}

static inline int lm_futex_wait(uint32_t *word, uint32_t val,
				const struct timespec *to)
{
	return (int)syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, to, NULL, 0);
}

static inline int lm_futex_wake(uint32_t *word, int n)
{
	return (int)syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* Memory shared between a test and its workload children. */
static inline void *lm_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Kill a workload child and reap it. */
static inline void lm_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * LOCKMON_SLOW=N (1..100) multiplies the deadline of every event wait
 * (lm_wait_until()) and every test's harness timeout (LM_HARNESS_MAIN) by
 * N: on a kernel N times slower the same events come N times later. The
 * debug kernel's runs set it (scripts/debug-kernel). No test waits for a
 * time, so on a fast kernel nothing takes longer for it.
 */
static inline unsigned int lm_slow(void)
{
	static unsigned int slow;

	if (!slow) {
		const char *e = getenv("LOCKMON_SLOW");
		long v = e ? atol(e) : 1;

		slow = v >= 1 && v <= 100 ? (unsigned int)v : 1;
	}
	return slow;
}

/* Poll @cond (an expression) every 10 ms for at most @ms (times lm_slow()). */
#define lm_wait_until(cond, ms) ({					\
	unsigned long __i, __n = (unsigned long)(ms) / 10 * lm_slow();	\
	bool __ok = false;						\
	for (__i = 0; __i < __n; __i++) {				\
		if (cond) {						\
			__ok = true;					\
			break;						\
		}							\
		lm_sleep_ms(10);					\
	}								\
	__ok || (cond);							\
})

/* Wait up to @ms for lockmon to list @tid in `tasks`, blocked on a futex. */
static inline bool lm_wait_blocked(pid_t tid, unsigned int ms)
{
	return lm_wait_until(tid && lm_task_blocked(tid), ms);
}

/* Periodic scans completed since load or the last reset, or -1. */
static inline long long lm_scans(void)
{
	return lm_stat("scans");
}

#define LM_SCAN_WAIT_MS	10000	/* per scan, for a slow debug kernel */

/*
 * Wait until @n whole periodic scans started after the call, at most
 * LM_SCAN_WAIT_MS for each. `scans` counts completed scans: the first one
 * to complete after we read N may have started before, so n scans have
 * started and finished after us once the counter reaches N + n + 1. The
 * scan re-arms scan_ms after it ends and only looks again at waits older
 * than scan_ms, so with @n = 2 the last of them has seen every wait that
 * began before the call. An absence check waits for this before it looks.
 */
static inline bool lm_wait_scans(unsigned int n)
{
	long long from = lm_scans();

	return from >= 0 &&
	       lm_wait_until(lm_scans() >= from + n + 1,
			     (n + 1) * LM_SCAN_WAIT_MS);
}

/* One record of the deadlocks file. */
struct lm_finding_rec {
	unsigned long long seq, latency_ns;
	char kind[LMR_WORD_LEN];
	int nr;
	pid_t tid[LOCKMON_MAX_CHAIN], tgid[LOCKMON_MAX_CHAIN];
	pid_t owner[LOCKMON_MAX_CHAIN];
	unsigned long long uaddr[LOCKMON_MAX_CHAIN];
	char how[LOCKMON_MAX_CHAIN][LMR_WORD_LEN];
	/* a preempted owner's finding (ABI 1.7) */
	pid_t holder, ran;
	int holder_prio, waiter_prio, ran_prio;
	unsigned int cpu;
	unsigned long long off_cpu_ns;
	/* starvation (ABI 1.6) */
	unsigned long long waited_ns;
	unsigned int hands;
};

/* Parse the deadlocks file into @out; returns how many findings, or -1. */
static inline int lm_findings(struct lm_finding_rec *out, int max)
{
	struct lmr_state st = { 0 };
	char *buf = lm_read_lm("deadlocks");
	int n, i, err;

	if (!buf)
		return -1;
	err = lmr_parse_deadlocks(buf, &st);
	free(buf);
	if (err) {
		printf("# lm_findings: %s\n", lmr_parse_error());
		lmr_state_free(&st);
		return -1;
	}
	for (n = 0; n < max && (size_t)n < st.nr_findings; n++) {
		const struct lmr_finding *f = &st.findings[n];
		struct lm_finding_rec *r = &out[n];

		memset(r, 0, sizeof(*r));
		r->seq = f->seq;
		r->latency_ns = f->latency_ns;
		snprintf(r->kind, sizeof(r->kind), "%s", f->kind);
		r->nr = (int)f->nr;
		r->holder = f->holder;
		r->ran = f->ran;
		r->holder_prio = f->holder_prio;
		r->waiter_prio = f->waiter_prio;
		r->ran_prio = f->ran_prio;
		r->cpu = f->cpu;
		r->off_cpu_ns = f->off_cpu_ns;
		r->waited_ns = f->waited_ns;
		r->hands = f->hands;
		for (i = 0; i < r->nr; i++) {
			r->tid[i] = f->t[i].tid;
			r->tgid[i] = f->t[i].tgid;
			r->owner[i] = f->t[i].owner;
			r->uaddr[i] = f->t[i].uaddr;
			snprintf(r->how[i], sizeof(r->how[i]), "%s", f->t[i].how);
		}
	}
	lmr_state_free(&st);
	return n;
}

/* Does finding @f of @kind involve exactly the tids in @tids[0..n)? */
static inline bool lm_finding_is(const struct lm_finding_rec *f,
				 const char *kind, const pid_t *tids, int n)
{
	int i, j;

	if (strcmp(f->kind, kind) || f->nr != n)
		return false;
	for (i = 0; i < n; i++) {
		bool in = false;

		for (j = 0; j < n; j++)
			in |= f->tid[j] == tids[i];
		if (!in)
			return false;
	}
	return true;
}

/* Number of findings of @kind (any kind if NULL) involving process @tgid. */
static inline int lm_count_findings(const char *kind, pid_t tgid)
{
	static struct lm_finding_rec f[64];
	int n = lm_findings(f, 64), i, j, c = 0;

	for (i = 0; i < n; i++) {
		bool mine = false;

		for (j = 0; j < f[i].nr; j++)
			mine |= f[i].tgid[j] == tgid;
		if (mine && (!kind || !strcmp(f[i].kind, kind)))
			c++;
	}
	return c;
}

/* Make sure lockmon is loaded, enabled, unfiltered and empty. */
static inline int lm_fresh(void)
{
	if (!lm_loaded() && lm_load(NULL))
		return -1;
	if (lm_control("nofilter") || lm_control("enable") ||
	    lm_control("reset") || lm_control("capture 100"))
		return -1;
	return 0;
}

/*
 * The harness's main, with every test's timeout times lm_slow(). The 6.1
 * harness (linux-source) fixes a TEST()'s at 30 s and a TEST_F_TIMEOUT()'s
 * at build time; its lists are in the test's own translation unit, so
 * they can be walked here, after the tests have registered and before
 * the first one runs. Use it after including kselftest_harness.h.
 */
#define LM_HARNESS_MAIN							\
	int main(int argc, char **argv)					\
	{								\
		struct __fixture_metadata *f;				\
		struct __test_metadata *t;				\
									\
		for (f = __fixture_list; f; f = f->next)		\
			for (t = f->tests; t; t = t->next)		\
				t->timeout *= (int)lm_slow();		\
		return test_harness_run(argc, argv);			\
	}

#endif /* LOCKMON_UTIL_H */
