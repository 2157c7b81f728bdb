// SPDX-License-Identifier: GPL-2.0
/*
 * What lockmon sees of a deadlock in each language runtime's own mutex:
 * C++ std::mutex (a glibc mutex: a cycle, with demangled stacks), Rust
 * std::sync::Mutex (a futex word with no owner: a whole-process stall),
 * Java synchronized (HotSpot parks each thread on its own event: blocked
 * tasks, no finding) and Go sync.Mutex (goroutines parked in the Go
 * scheduler: only the runtime's thread parking, which the reporter must
 * call that). Each workload reports its own ground truth: the TIDs of the
 * threads it deadlocked, and for Java and Go that the runtime itself has
 * them blocked. Documentation/owners.rst, "Runtimes", has the table.
 */
#include "lockmon_util.h"
#include <ctype.h>
#include <poll.h>
#include "kselftest_harness.h"

#define OUT		"/tmp/lm_runtimes_out"
#define STALL_MS	300	/* ms: stall_ms for the short_stall tests */

/* ../../@rel from our binary: the build tree */
static const char *tree(const char *rel)
{
	static char path[PATH_MAX];
	char rp[PATH_MAX];

	snprintf(rp, sizeof(rp), "../../%s", rel);
	return lm_beside_exe(path, sizeof(path), rp);
}

struct work {
	pid_t pid;
	int fd;			/* its stdout */
	char out[4096];		/* what it printed so far */
	size_t len;
};

/* Start @argv[0] (beside us unless absolute) with its stdout on a pipe. */
static int work_start(struct work *w, char *const argv[])
{
	char path[PATH_MAX];
	const char *prog = argv[0][0] == '/' ? argv[0] :
			   lm_beside_exe(path, sizeof(path), argv[0]);
	int fd[2];

	memset(w, 0, sizeof(*w));
	if (pipe(fd))
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (!w->pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		execv(prog, argv);
		_exit(127);
	}
	close(fd[1]);
	w->fd = fd[0];
	return 0;
}

/* Read its output until it has @n "tid=" lines and, if @word, a line @word. */
static bool work_wait(struct work *w, pid_t *tid, int n, const char *word,
		      unsigned int ms)
{
	uint64_t end = lm_now_ns() + (uint64_t)ms * lm_slow() * 1000000ull;
	const char *p;
	int got;

	for (;;) {
		struct pollfd pfd = { w->fd, POLLIN, 0 };
		ssize_t r;

		got = 0;
		for (p = w->out; got < n && (p = strstr(p, "tid=")); p++)
			tid[got++] = atoi(p + 4);
		if (got == n && (!word || strstr(w->out, word)))
			return true;
		if (lm_now_ns() >= end || sizeof(w->out) - 1 == w->len)
			return false;
		if (poll(&pfd, 1, (int)((end - lm_now_ns()) / 1000000)) <= 0)
			continue;
		r = read(w->fd, w->out + w->len, sizeof(w->out) - 1 - w->len);
		if (r <= 0)
			return false;
		w->len += (size_t)r;
		w->out[w->len] = 0;
	}
}

static void work_end(struct work *w)
{
	lm_kill(w->pid);
	close(w->fd);
}

/* `lockmon-report @args` into a malloc'd string (NULL if it failed). */
static char *report(const char *args)
{
	char cmd[PATH_MAX + 256];

	snprintf(cmd, sizeof(cmd), "%s %s >" OUT " 2>&1",
		 tree("user/lockmon-report"), args);
	if (system(cmd))
		return NULL;
	return lm_read(OUT);
}

/* Does @s name TID @tid as a number of its own ("/1234", " 1234 ")? */
static bool names_tid(const char *s, pid_t tid)
{
	char key[16];
	const char *p;
	size_t k;

	k = (size_t)snprintf(key, sizeof(key), "%d", tid);
	for (p = s; s && (p = strstr(p, key)); p++)
		if ((p == s || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[k]))
			return true;
	return false;
}

/* The first finding of @kind of process @pid into @f; false if none. */
static bool finding_of(const char *kind, pid_t pid, struct lm_finding_rec *f)
{
	static struct lm_finding_rec all[64];
	int n = lm_findings(all, 64), i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < all[i].nr; j++)
			if (all[i].tgid[j] == pid && !strcmp(all[i].kind, kind)) {
				*f = all[i];
				return true;
			}
	return false;
}

static void log_file(struct __test_metadata *_metadata, const char *what,
		     const char *text)
{
	TH_LOG("%s:\n%s", what, text ? text : "(unreadable)");
}

/* @col of @tid's row in `tasks` (ULLONG_MAX: no row) */
static unsigned long long task_cell(pid_t tid, const char *col)
{
	struct lm_table *t = lm_table("tasks");
	unsigned long long v = ULLONG_MAX;
	int r;

	for (r = 0; t && r < t->nrows; r++)
		if (lm_ucell(t, r, "tid") == (unsigned long long)tid)
			v = lm_ucell(t, r, col);
	if (t)
		lm_table_free(t);
	return v;
}

/* Has @tid been in its current wait for at least @ms? */
static bool waited_ms(pid_t tid, unsigned int ms)
{
	unsigned long long ns = task_cell(tid, "wait_ns");

	return ns != ULLONG_MAX && ns >= (unsigned long long)ms * 1000000ull;
}

/* The class lockmon gives the futex @tid waits on now ("" if none). */
static void class_of(pid_t pid, pid_t tid, char *out, size_t len)
{
	unsigned long long a = task_cell(tid, "uaddr");
	struct lm_table *t = lm_table("locks");
	int r = t ? lm_find_lock(t, pid, (void *)(uintptr_t)a, 4) : -1;

	snprintf(out, len, "%s", r >= 0 ? lm_cell(t, r, "class") : "");
	if (t)
		lm_table_free(t);
}

/* `lockmon-report @view -p @pid`, logged */
static char *view(struct __test_metadata *_metadata, const char *v, pid_t pid)
{
	char args[64], *out;

	snprintf(args, sizeof(args), "%s -p %d", v, pid);
	out = report(args);
	TH_LOG("lockmon-report %s:\n%s", args, out ? out : "(failed)");
	return out;
}

/* The row of @out (a tasks view) for @tid: the line that starts with it */
static const char *line_of(const char *out, pid_t tid, char *buf, size_t len)
{
	const char *p, *e;

	for (p = out; p && *p; p = e + (*e != 0)) {
		e = strchrnul(p, '\n');
		snprintf(buf, len, "%.*s", (int)(e - p), p);
		if (isdigit((unsigned char)buf[0]) && atoi(buf) == tid)
			return buf;
	}
	return "";
}

#define CXX_FN	"bank::Account::transfer_to(bank::Account&, long)"

/*
 * Start @argv, whose two threads print their TIDs (@tid), and wait up to
 * @ms for a @kind finding of its process (@f) made of those two threads.
 */
static void two_thread_finding(struct __test_metadata *_metadata,
			       char *const argv[], const char *kind, int ms,
			       struct work *w, pid_t tid[2],
			       struct lm_finding_rec *f)
{
	ASSERT_EQ(0, work_start(w, argv));
	ASSERT_TRUE(work_wait(w, tid, 2, NULL, 10000))
		TH_LOG("%s printed '%s'", argv[0], w->out);
	ASSERT_TRUE(lm_wait_until(finding_of(kind, w->pid, f), ms))
		log_file(_metadata, "deadlocks", lm_read_lm("deadlocks"));
	EXPECT_TRUE(lm_finding_is(f, kind, tid, 2))
		TH_LOG("%s of %d tasks: %d %d, workload %d %d", kind, f->nr,
		       f->tid[0], f->nr > 1 ? f->tid[1] : 0, tid[0], tid[1]);
}

TEST(cxx_std_mutex_abba)
{
	char *const argv[] = { "rt_cxx", NULL };
	struct lm_finding_rec f;
	char *out;
	struct work w;
	pid_t tid[2];
	int i;

	ASSERT_EQ(0, lm_fresh());
	/* a glibc mutex names its owner: the cycle closes as the second blocks */
	two_thread_finding(_metadata, argv, "cycle", 10000, &w, tid, &f);
	for (i = 0; i < f.nr; i++) {
		EXPECT_STREQ("glibc-owner", f.how[i]);
		EXPECT_EQ(f.tid[!i], f.owner[i]);
	}
	/* the reporter: both threads, and the stacks demangled */
	ASSERT_TRUE(lm_wait_scans(2));
	out = view(_metadata, "deadlocks", w.pid);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "deadlock cycle"));
	EXPECT_TRUE(names_tid(out, tid[0]));
	EXPECT_TRUE(names_tid(out, tid[1]));
	EXPECT_NE(NULL, strstr(out, CXX_FN));
	EXPECT_NE(NULL, strstr(out, "std::mutex::lock()"));
	EXPECT_EQ(NULL, strstr(out, "_Z"));
	free(out);
	work_end(&w);
}

/*
 * The tests that look for a stall (or its absence) run with stall_ms at
 * STALL_MS, and put back what it was in the teardown, which the harness
 * runs after a failed assertion too.
 */
FIXTURE(short_stall) {
	unsigned int was;
};

FIXTURE_SETUP(short_stall)
{
	char *c, *p, cmd[32];

	ASSERT_EQ(0, lm_fresh());
	c = lm_read_lm("control");
	p = c ? strstr(c, "stall_ms ") : NULL;
	ASSERT_NE(NULL, p);
	self->was = (unsigned int)atoi(p + 9);
	free(c);
	snprintf(cmd, sizeof(cmd), "stall_ms %d", STALL_MS);
	ASSERT_EQ(0, lm_control(cmd));
}

FIXTURE_TEARDOWN(short_stall)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "stall_ms %u", self->was);
	lm_control(cmd);
}

TEST_F(short_stall, rust_std_sync_mutex)
{
	char *const argv[] = { "rt_rust", NULL };
	struct lm_finding_rec f;
	char *out;
	struct work w;
	pid_t tid[2];
	int i;

	/* both threads of the process block for good: a stall */
	two_thread_finding(_metadata, argv, "stall", 20000, &w, tid, &f);
	for (i = 0; i < f.nr; i++)
		TH_LOG("stall member %d: owner %d (%s)", f.tid[i], f.owner[i],
		       f.how[i]);
	log_file(_metadata, "deadlocks", lm_read_lm("deadlocks"));
	out = view(_metadata, "deadlocks", w.pid);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "stall"));
	EXPECT_TRUE(names_tid(out, tid[0]));
	EXPECT_TRUE(names_tid(out, tid[1]));
	/* no owner field, no waker yet: the stall cannot say who holds what */
	for (i = 0; i < f.nr; i++) {
		EXPECT_EQ(0, f.owner[i]);
		EXPECT_STREQ("unknown", f.how[i]);
	}
	EXPECT_EQ(0, lm_count_findings("cycle", w.pid));
	EXPECT_NE(NULL, strstr(out, "rt_rust::take_in_order"));
	EXPECT_NE(NULL, strstr(out, "std::sys::unix::locks::futex::Mutex::lock_contended"));
	EXPECT_EQ(NULL, strstr(out, "_ZN"));
	free(out);
	work_end(&w);
}

/*
 * Process @pid has no finding, as the module and `deadlocks` say, while
 * its two threads @tid sleep on futexes of their own.
 */
static void no_finding(struct __test_metadata *_metadata, pid_t pid,
		       const pid_t tid[2])
{
	char *out;

	EXPECT_NE(task_cell(tid[0], "uaddr"), task_cell(tid[1], "uaddr"));
	EXPECT_EQ(0, lm_count_findings(NULL, pid))
		log_file(_metadata, "deadlocks", lm_read_lm("deadlocks"));
	out = view(_metadata, "deadlocks", pid);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "(no findings)"));
	free(out);
}

#define JAVA_MS	600000	/* JVM start under TCG, with a wide margin */

/* the JVM under TCG is slow to start (4 to 10 s measured): room for it */
TEST_F_TIMEOUT(short_stall, java_synchronized_abba, 900)
{
	char cp[PATH_MAX];
	char *const argv[] = { "/usr/bin/java", "-Xint", "-XX:+UseSerialGC",
		"-Xmx32m", "-Xss512k", "-cp",
		(char *)lm_beside_exe(cp, sizeof(cp), "."), "RtJava", NULL };
	char line[512], *out;
	uint64_t t0;
	struct work w;
	pid_t tid[2];
	int i;

	t0 = lm_now_ns();
	ASSERT_EQ(0, work_start(&w, argv));
	ASSERT_TRUE(work_wait(&w, tid, 2, "blocked", JAVA_MS))
		TH_LOG("RtJava printed '%s'", w.out);
	TH_LOG("JVM start to both threads BLOCKED: %llu ms",
	       (unsigned long long)((lm_now_ns() - t0) / 1000000));
	ASSERT_TRUE(lm_wait_blocked(tid[0], 10000));
	ASSERT_TRUE(lm_wait_blocked(tid[1], 10000));
	/*
	 * The launcher's main thread joins the Java main thread for good:
	 * once it has for stall_ms, and two scans later, a stall would have
	 * been found if there was one to find.
	 */
	ASSERT_TRUE(lm_wait_until(waited_ms(w.pid, STALL_MS), 10000));
	ASSERT_TRUE(lm_wait_scans(2));
	log_file(_metadata, "tasks", lm_read_lm("tasks"));
	/*
	 * Each Java thread parks on its own event (a condition variable of
	 * its own): no owner, and not a lock; the monitor is not seen, so
	 * no cycle, and with the JVM's timed waits no stall either.
	 */
	for (i = 0; i < 2; i++) {
		char cls[16];

		EXPECT_TRUE(lm_task_blocked(tid[i])) TH_LOG("tid %d", tid[i]);
		EXPECT_EQ(0, task_cell(tid[i], "owner")) TH_LOG("tid %d", tid[i]);
		class_of(w.pid, tid[i], cls, sizeof(cls));
		TH_LOG("java thread %d: class %s, timed %llu", tid[i], cls,
		       task_cell(tid[i], "timed"));
		EXPECT_TRUE(!strcmp(cls, "event") || !strcmp(cls, "unknown"))
			TH_LOG("tid %d: class %s", tid[i], cls);
	}
	no_finding(_metadata, w.pid, tid);
	out = view(_metadata, "tasks", w.pid);
	ASSERT_NE(NULL, out);
	EXPECT_TRUE(names_tid(out, tid[0]));
	EXPECT_TRUE(names_tid(out, tid[1]));
	EXPECT_NE(NULL, strstr(out, "ObjectMonitor::EnterI"));
	EXPECT_EQ(NULL, strstr(out, "_Z"));
	/* a thread's own park event is not named as a lock taken somewhere */
	for (i = 0; i < 2; i++) {
		pid_t t = tid[i];

		line_of(out, t, line, sizeof(line));
		EXPECT_NE(NULL, strstr(line, "rt-java-")) TH_LOG("tid %d", t);
		EXPECT_EQ(NULL, strchr(line, '@')) TH_LOG("tid %d: '%s'", t, line);
	}
	free(out);
	work_end(&w);
}

TEST_F(short_stall, go_partial_deadlock)
{
	char *const argv[] = { "rt_go", NULL };
	char line[512], *out;
	struct work w;
	pid_t tid[2];
	int i;

	ASSERT_EQ(0, work_start(&w, argv));
	ASSERT_TRUE(work_wait(&w, tid, 2, "parked", 20000))
		TH_LOG("rt_go printed '%s'", w.out);
	ASSERT_TRUE(lm_wait_blocked(tid[0], 10000));
	ASSERT_TRUE(lm_wait_blocked(tid[1], 10000));
	/* parked for stall_ms, then two scans: any stall would be found */
	ASSERT_TRUE(lm_wait_until(waited_ms(tid[0], STALL_MS) &&
				  waited_ms(tid[1], STALL_MS), 10000));
	ASSERT_TRUE(lm_wait_scans(2));
	log_file(_metadata, "tasks", lm_read_lm("tasks"));
	/*
	 * Each thread the deadlocked goroutines are locked to sleeps on its
	 * own runtime note: no owner. The process runs on, so no stall,
	 * and no sync.Mutex is seen, so no cycle.
	 */
	EXPECT_EQ(0, task_cell(tid[0], "owner"));
	EXPECT_EQ(0, task_cell(tid[1], "owner"));
	no_finding(_metadata, w.pid, tid);
	/* the reporter calls those futexes what they are, never a mutex */
	out = view(_metadata, "tasks", w.pid);
	ASSERT_NE(NULL, out);
	for (i = 0; i < 2; i++) {
		pid_t t = tid[i];

		EXPECT_NE(NULL, strstr(line_of(out, t, line, sizeof(line)),
				       "go-runtime-park"))
			TH_LOG("tid %d: '%s'", t, line);
	}
	EXPECT_EQ(NULL, strstr(out, "mutex@"));
	free(out);
	out = view(_metadata, "locks", w.pid);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "go-runtime-park"));
	EXPECT_EQ(NULL, strstr(out, "mutex@"));
	free(out);
	out = view(_metadata, "top --once", w.pid);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "go-runtime-park"));
	EXPECT_EQ(NULL, strstr(out, "mutex@"));
	free(out);
	work_end(&w);
}

LM_HARNESS_MAIN
