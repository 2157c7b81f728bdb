// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon-report's stacks against gdb's: a workload thread blocks on a
 * mutex its main thread holds, at a known call chain; gdb attached to it
 * afterwards gives the true stack of that thread, and the stack the
 * reporter prints for the wait must name the same functions in the same
 * order, frame for frame from the futex call up to start_thread, with the
 * same return addresses and, where gdb gives one, the same file:line.
 * Functions inlined at an address are frames of their own in both, with
 * glibc's debug information (libc6-dbg) and the program's own -g.
 * Three workloads: C++ with frame pointers (names to demangle), C built
 * like distribution code, -O2 -fomit-frame-pointer, and C whose lock call
 * is in a function inlined into another inlined one. Then the demo's
 * contended mutex, several waiters at once, held still and in rounds, and
 * the demo's deadlock after its process has been killed.
 */
#include "lockmon_util.h"
#include "kselftest_harness.h"
#include <dirent.h>

#define OUT	"/tmp/lmr_truth_out"
#define GDB	"/tmp/lmr_truth_gdb"
#define REC	"/tmp/lmr_truth.lmr"
#define MAXF	32

struct frame {
	char name[512];
	char file[256];
	unsigned long long pc;	/* 0: gdb printed none (frame #0) */
	int line;
};

/* ../../@rel from our binary: the build tree */
static const char *tree(const char *rel)
{
	static char path[2][PATH_MAX];
	static int turn;
	char *p = path[turn++ % 2], *slash;
	ssize_t n = readlink("/proc/self/exe", p, PATH_MAX - 64);

	if (n <= 0)
		return rel;
	p[n] = 0;
	slash = strrchr(p, '/');
	snprintf(slash + 1, PATH_MAX - (size_t)(slash + 1 - p), "../../%s", rel);
	return p;
}

/*
 * A function name as both sides can agree on it: no "+0x..", no symbol
 * version ("@GLIBC_2.2.5"), no parameter list or "[clone .isra.0]", no
 * return type (which a template's demangled name has), no glibc "__GI_" alias prefix, no leading underscores
 * (___pthread_mutex_lock and pthread_mutex_lock are one function).
 */
static void norm(char *s)
{
	char *p;
	int depth = 0;

	p = strstr(s, "+0x");
	if (p)
		*p = 0;
	p = strchr(s, '@');
	if (p)
		*p = 0;
	p = strstr(s, " [clone");
	if (p)
		*p = 0;
	for (p = s; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>')
			depth--;
		else if (*p == '(' && !depth && p > s) {
			*p = 0;
			break;
		}
	}
	/* a function template's demangled name starts with its return type */
	for (p = s + strlen(s), depth = 0; p > s; p--) {
		if (p[-1] == '>')
			depth++;
		else if (p[-1] == '<')
			depth--;
		else if (p[-1] == ' ' && !depth)
			break;
	}
	memmove(s, p, strlen(p) + 1);
	if (!strncmp(s, "__GI_", 5))
		memmove(s, s + 5, strlen(s + 5) + 1);
	while (*s == '_')
		memmove(s, s + 1, strlen(s));
}

/*
 * The frames of thread @tid in gdb's "thread apply all bt", inlined
 * functions' frames included: a frame without "0x... in" shares the pc of
 * the frame before it (pc 0 here). Up to and including start_thread (main
 * for the main thread).
 */
static int gdb_frames(const char *bt, pid_t tid, struct frame *f)
{
	char key[64];
	const char *p;
	int n = 0;

	snprintf(key, sizeof(key), "(LWP %d)", tid);
	p = strstr(bt, key);
	if (!p)
		return -1;
	p = strchr(p, '\n');
	while (p && p[1] == '#' && n < MAXF) {
		const char *q = p + 2, *at, *end = strchr(p + 1, '\n');
		unsigned long long pc = 0;
		struct frame *x;
		int len;

		if (!end)
			end = p + strlen(p);
		q += strspn(q, "0123456789");
		q += strspn(q, " ");
		if (!strncmp(q, "0x", 2)) {
			pc = strtoull(q, (char **)&q, 16);
			if (strncmp(q, " in ", 4))
				return -1;
			q += 4;
		}
		x = &f[n++];
		memset(x, 0, sizeof(*x));
		x->pc = pc;
		len = (int)strcspn(q, " \n");
		snprintf(x->name, sizeof(x->name), "%.*s", len, q);
		norm(x->name);
		/* " at FILE:LINE" ends a frame with debug information */
		at = strstr(q, ") at ");
		if (at && at < end) {
			const char *colon = memrchr(at, ':', (size_t)(end - at));

			if (colon && colon > at + 5) {
				snprintf(x->file, sizeof(x->file), "%.*s",
					 (int)(colon - at - 5), at + 5);
				x->line = atoi(colon + 1);
			}
		}
		if (!strcmp(x->name, "start_thread") || !strcmp(x->name, "main"))
			break;
		p = *end ? end : NULL;
	}
	return n;
}

/* JSON string value after @key in [p, end), copied to @out. */
static const char *json_str(const char *p, const char *end, const char *key,
			    char *out, size_t len)
{
	const char *q = strstr(p, key), *e;

	if (!q || q >= end)
		return NULL;
	q += strlen(key);
	e = strchr(q, '"');
	if (!e || e >= end)
		return NULL;
	snprintf(out, len, "%.*s", (int)(e - q), q);
	return e;
}

/*
 * The end of the JSON value starting at @p (an object or array): its
 * closing bracket, brackets inside strings skipped (a symbol such as
 * "take(int) [clone .isra.0]" has them). NULL if it does not end.
 */
static const char *json_end(const char *p)
{
	int depth = 0;
	bool str = false;

	for (; *p; p++) {
		if (str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				str = false;
		} else if (*p == '"') {
			str = true;
		} else if (*p == '[' || *p == '{') {
			depth++;
		} else if (*p == ']' || *p == '}') {
			if (!--depth)
				return p;
		}
	}
	return NULL;
}

/* The stack of task @tid in `lockmon-report tasks --json`. */
static int report_frames(const char *json, pid_t tid, struct frame *f)
{
	char key[32], v[64];
	const char *p, *end;
	int n = 0;

	snprintf(key, sizeof(key), "\"tid\":%d,", tid);
	p = json ? strstr(json, key) : NULL;
	p = p ? strstr(p, "\"stack\":[") : NULL;
	end = p ? json_end(p + 8) : NULL;
	if (!end)
		return -1;
	while (n < MAXF) {
		const char *obj = strchr(p, '{'), *oend;

		if (!obj || obj > end)
			break;
		oend = json_end(obj);
		if (!oend)
			break;
		memset(&f[n], 0, sizeof(f[n]));
		if (json_str(obj, oend, "\"ip\":\"", v, sizeof(v)))
			f[n].pc = strtoull(v, NULL, 16);
		json_str(obj, oend, "\"symbol\":\"", f[n].name,
			 sizeof(f[n].name));
		norm(f[n].name);
		json_str(obj, oend, "\"file\":\"", f[n].file, sizeof(f[n].file));
		p = strstr(obj, "\"line\":");
		if (p && p < oend)
			f[n].line = atoi(p + 7);
		n++;
		p = oend;
	}
	return n;
}

static void show(struct __test_metadata *_metadata, const char *who,
		 const struct frame *f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TH_LOG("%s #%d 0x%llx %s %s:%d", who, i, f[i].pc, f[i].name,
		       f[i].file, f[i].line);
}

/*
 * A stack in the report (@r, @nr) against gdb's (@g, @ng): every frame gdb
 * shows up to start_thread, in order, and beyond it only what gdb has
 * there (clone3, in @bt): no stale, repeated or made-up frames.
 */
static void compare_frames(struct __test_metadata *_metadata,
			   const struct frame *g, int ng,
			   const struct frame *r, int nr, const char *bt)
{
	int i;

	show(_metadata, "gdb", g, ng);
	show(_metadata, "lockmon-report", r, nr);
	ASSERT_LT(3, ng) TH_LOG("gdb: %s", bt ? bt : "no output");
	ASSERT_LT(0, nr) TH_LOG("no stack in the report");
	for (i = 0; i < ng; i++) {
		ASSERT_LT(i, nr) TH_LOG("frame #%d (%s) missing", i, g[i].name);
		EXPECT_STREQ(g[i].name, r[i].name) TH_LOG("frame #%d", i);
		if (g[i].pc)
			EXPECT_EQ(g[i].pc, r[i].pc) TH_LOG("frame #%d", i);
		/* gdb's file is the compile unit's name, ours the full path */
		if (g[i].line) {
			size_t a = strlen(r[i].file), b = strlen(g[i].file);

			EXPECT_EQ(g[i].line, r[i].line) TH_LOG("frame #%d", i);
			EXPECT_TRUE(a >= b && !strcmp(r[i].file + a - b, g[i].file))
				TH_LOG("frame #%d: %s, gdb %s", i, r[i].file,
				       g[i].file);
		}
	}
	for (i = ng; i < nr; i++) {
		EXPECT_TRUE(r[i].name[0] && strstr(bt, r[i].name))
			TH_LOG("extra frame #%d %s", i, r[i].name);
		if (i > ng)
			EXPECT_STRNE(r[i - 1].name, r[i].name)
				TH_LOG("frame #%d repeated", i);
	}
}

/* Thread @tid's frames in the report (@json) against gdb's (@bt). */
static void compare(struct __test_metadata *_metadata, const char *json,
		    const char *bt, pid_t tid)
{
	struct frame g[MAXF], r[MAXF];
	int ng, nr;

	nr = report_frames(json, tid, r);
	ng = bt ? gdb_frames(bt, tid, g) : -1;
	TH_LOG("thread %d", tid);
	compare_frames(_metadata, g, ng, r, nr, bt);
}

/* Up to @max threads of @pid other than the main one; how many. */
static int threads_but_main(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (n < max && (e = readdir(d)))
		if (atoi(e->d_name) > 0 && atoi(e->d_name) != pid)
			tids[n++] = atoi(e->d_name);
	closedir(d);
	return n;
}

/*
 * `lockmon-report VIEW -p PID --json` (NULL if it failed), with the
 * module's own stacks file logged beside it.
 */
static char *report_json(struct __test_metadata *_metadata, const char *view,
			 pid_t pid)
{
	char cmd[PATH_MAX + 128], *text;

	snprintf(cmd, sizeof(cmd), "%s %s -p %d --json >" OUT,
		 tree("user/lockmon-report"), view, pid);
	if (system(cmd))
		return NULL;
	text = lm_read_lm("stacks");
	TH_LOG("module's stacks file:\n%s", text ? text : "unreadable");
	free(text);
	return lm_read(OUT);
}

/* gdb's `thread apply all bt` of @pid (NULL if gdb failed) */
static char *gdb_bt(pid_t pid)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "gdb -nx -batch -p %d -ex 'thread apply all bt' >" GDB " 2>&1",
		 pid);
	return system(cmd) ? NULL : lm_read(GDB);
}

/*
 * Run @argv (its output's first line names "tid=N" unless @ntids > 0,
 * then its threads but the main one are the waiters, @ntids of them),
 * wait until each waiter is blocked and the scan has taken its stack, then
 * compare the report's stack of each with gdb's.
 */
static void against_gdb_run(struct __test_metadata *_metadata,
			    char *const argv[], int ntids)
{
	char cmd[PATH_MAX + 256], buf[64] = "";
	pid_t pid, tids[16];
	int fd[2], n = 0, i;
	char *json, *bt;
	ssize_t len;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, pipe(fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(fd[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	if (!ntids) {
		len = read(fd[0], buf, sizeof(buf) - 1);
		if (len > 0 && sscanf(buf, "tid=%d", &tids[0]) == 1 &&
		    tids[0] > 0)
			n = 1;
		ASSERT_EQ(1, n) TH_LOG("%s printed '%s'", argv[0], buf);
	} else {
		ASSERT_GE(16, ntids);
		lm_wait_until((n = threads_but_main(pid, tids, ntids)) >= ntids,
			      10000);
		ASSERT_EQ(ntids, n) TH_LOG("%d waiter threads found", n);
	}
	close(fd[0]);
	for (i = 0; i < n; i++)
		ASSERT_TRUE(lm_wait_blocked(tids[i], 10000))
			TH_LOG("thread %d not blocked", tids[i]);
	/* a wait that lasts gets its stack from the scan */
	ASSERT_TRUE(lm_wait_scans(2));

	json = report_json(_metadata, "tasks", pid);
	ASSERT_NE(NULL, json);
	/* where the threads are, for the log */
	for (i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "/proc/%d/task/%d/syscall", pid,
			 tids[i]);
		bt = lm_read(cmd);
		TH_LOG("%s: %s", cmd, bt ? bt : "unreadable");
		free(bt);
	}
	/* then gdb: attaching restarts the waits, so it comes second */
	bt = gdb_bt(pid);
	ASSERT_NE(NULL, bt);
	lm_kill(pid);
	for (i = 0; i < n; i++)
		compare(_metadata, json, bt, tids[i]);
	free(json);
	free(bt);
}

static void against_gdb(struct __test_metadata *_metadata, const char *prog)
{
	char path[PATH_MAX];
	char *argv[] = { path, NULL };

	lm_beside_exe(path, sizeof(path), prog);
	against_gdb_run(_metadata, argv, 0);
}

/*
 * No state: a fixture only for TEST_F_TIMEOUT. gdb attaching to a
 * process and reading its threads takes most of a test's time, and on
 * the debug kernel under TCG that is more than the harness's 30 s.
 */
FIXTURE(truth) {
	int unused;
};

FIXTURE_SETUP(truth)
{
}

FIXTURE_TEARDOWN(truth)
{
}

#define TRUTH_TIMEOUT	300

TEST_F_TIMEOUT(truth, cxx_frame_pointers, TRUTH_TIMEOUT)
{
	against_gdb(_metadata, "truth_cxx");
}

TEST_F_TIMEOUT(truth, c_omit_frame_pointer, TRUTH_TIMEOUT)
{
	against_gdb(_metadata, "truth_nofp");
}

TEST_F_TIMEOUT(truth, c_inlined_lock_call, TRUTH_TIMEOUT)
{
	against_gdb(_metadata, "truth_inline");
}

/*
 * The demo's workload: four threads block on a pthread mutex the main
 * thread holds (sleeping in nanosleep) for longer than the test lasts.
 * glibc's lock path uses rbp for data, so the module's frame-pointer walk
 * stops and its stack comes from the scan for return addresses; the
 * reporter's unwind must still give every waiter gdb's frames.
 */
TEST_F_TIMEOUT(truth, contended_pthread_waiters, TRUTH_TIMEOUT)
{
	char path[PATH_MAX];
	char *argv[] = { path, "-m", "pthread", "-w", "4", "-r", "1",
			 "-H", "600000", NULL };

	snprintf(path, sizeof(path), "%s", tree("user/demo/contend"));
	against_gdb_run(_metadata, argv, 4);
}

/* Has the module a copy of @tid's registers and stack (ustacks)? */
static bool ucopy_kept(pid_t tgid, pid_t tid)
{
	char *text = lm_read_lm("ustacks"), key[40];
	bool kept;

	snprintf(key, sizeof(key), "\n%d %d ", tgid, tid);
	kept = text && (!strncmp(text, key + 1, strlen(key + 1)) ||
			strstr(text, key));
	free(text);
	return kept;
}

/* The tids of the first two-task cycle of process @pid; whether found. */
static bool cycle_of(pid_t pid, pid_t tid[2])
{
	static struct lm_finding_rec f[16];
	int n = lm_findings(f, 16), i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].kind, "cycle") && f[i].nr == 2 &&
		    f[i].tgid[0] == pid) {
			tid[0] = f[i].tid[0];
			tid[1] = f[i].tid[1];
			return true;
		}
	return false;
}

/*
 * A deadlock whose process has gone, as a hung program has by the time
 * someone looks: the demo's ABBA, recorded for a second and with gdb's
 * stacks taken while it is still deadlocked, then killed. `deadlocks`
 * must still give each thread gdb's frames: the reporter unwinds the
 * module's copy of its registers and stack (ustacks) with the binaries'
 * CFI, through the mappings the module kept (maps), since /proc has
 * nothing left. So must the recording, whose stacks the recorder unwound
 * while the process lived.
 */
TEST_F_TIMEOUT(truth, deadlock_of_a_process_gone, TRUTH_TIMEOUT)
{
	char cmd[PATH_MAX + 128];
	pid_t pid, tid[2] = { 0, 0 };
	char *json, *bt, *findings;
	int i;

	ASSERT_EQ(0, lm_fresh());
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(tree("user/demo/abba"), "abba", NULL);
		_exit(127);
	}
	ASSERT_TRUE(lm_wait_until(cycle_of(pid, tid), 20000));
	/* the report worker copies the stacks after the finding */
	ASSERT_TRUE(lm_wait_until(ucopy_kept(pid, tid[0]) &&
				  ucopy_kept(pid, tid[1]), 10000))
		TH_LOG("no stack copy of thread %d or %d", tid[0], tid[1]);
	snprintf(cmd, sizeof(cmd), "%s record -p %d --duration 1 -o " REC
		 " 2>/dev/null", tree("user/lockmon-report"), pid);
	ASSERT_EQ(0, system(cmd));
	bt = gdb_bt(pid);
	ASSERT_NE(NULL, bt);
	lm_kill(pid);
	ASSERT_NE(0, kill(pid, 0));

	json = report_json(_metadata, "deadlocks", pid);
	ASSERT_NE(NULL, json);
	for (i = 0; i < 2; i++)
		compare(_metadata, json, bt, tid[i]);
	free(json);

	TH_LOG("the recording:");
	snprintf(cmd, sizeof(cmd), "%s report " REC " --json >" OUT,
		 tree("user/lockmon-report"));
	ASSERT_EQ(0, system(cmd));
	json = lm_read(OUT);
	/* the finding's tasks: its "tasks" rows (blocked at the start) come first */
	findings = json ? strstr(json, "\"findings\":") : NULL;
	ASSERT_NE(NULL, findings) TH_LOG("%s", json ? json : "no output");
	for (i = 0; i < 2; i++)
		compare(_metadata, findings, bt, tid[i]);
	free(json);
	free(bt);
}

/* The lock task @tid waits on in `tasks --json`, copied to @out. */
static bool task_lock(const char *json, pid_t tid, char *out, size_t len)
{
	char key[32];
	const char *p, *end;

	snprintf(key, sizeof(key), "\"tid\":%d,", tid);
	p = json ? strstr(json, key) : NULL;
	end = p ? strstr(p, "\"stack\":[") : NULL;
	return end && json_str(p, end, "\"lock\":\"", out, len);
}

/* Whether the report unwound @tid's stack (stack_by "cfi"). */
static bool unwound(const char *json, pid_t tid)
{
	char key[32], by[16] = "";
	const char *p, *end;

	snprintf(key, sizeof(key), "\"tid\":%d,", tid);
	p = json ? strstr(json, key) : NULL;
	end = p ? strstr(p, "\"stack\":[") : NULL;
	return end && json_str(p, end, "\"stack_by\":\"", by, sizeof(by)) &&
	       !strcmp(by, "cfi");
}

/*
 * The demo itself, `contend -m pthread -w 4 -r 0 -H 1000`: rounds of one
 * second in which the main thread holds the mutex and four threads wait
 * for it, their waits ending and beginning again every round, so that the
 * module's stacks of them come from every path (wait end, scan). The
 * report is taken every scan for SAMPLES scans; then gdb gives the true
 * stack of a waiter on work_lock (all of them wait at one call chain), and
 * every stack of a waiter on work_lock in every sample that the reporter
 * unwound must be that one. A waiter that left its wait between the
 * module's read and the reporter's unwind keeps the module's stack, which
 * the report marks (stack_by "module"); on a slow kernel that happens, so
 * such a stack is counted, not compared, and at least half must be
 * unwound.
 */
#define SAMPLES	8

/* gdb's frames of @tid, if it waits in take_work_lock; else @ng is -1. */
static bool in_take_work_lock(const char *bt, pid_t tid, struct frame *g,
			      int *ng)
{
	int i, n = gdb_frames(bt, tid, g);

	for (i = 0; i < n; i++)
		if (!strcmp(g[i].name, "take_work_lock")) {
			*ng = n;
			return true;
		}
	*ng = -1;
	return false;
}

TEST_F_TIMEOUT(truth, demo_contend_rounds, TRUTH_TIMEOUT)
{
	char path[PATH_MAX], cmd[PATH_MAX + 256], lock[128];
	char *argv[] = { path, "-m", "pthread", "-w", "4", "-r", "0",
			 "-H", "1000", NULL };
	char *json[SAMPLES] = { 0 }, *bt = NULL;
	struct frame g[MAXF], r[MAXF];
	pid_t pid, tids[4], ref = 0;
	int n = 0, ng = -1, nr, i, k, checked = 0, left = 0;

	ASSERT_EQ(0, lm_fresh());
	snprintf(path, sizeof(path), "%s", tree("user/demo/contend"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	lm_wait_until((n = threads_but_main(pid, tids, 4)) >= 4, 10000);
	ASSERT_EQ(4, n);
	for (k = 0; k < SAMPLES; k++) {
		ASSERT_TRUE(lm_wait_scans(1));
		snprintf(cmd, sizeof(cmd), "%s tasks -p %d --json >" OUT,
			 tree("user/lockmon-report"), pid);
		ASSERT_EQ(0, system(cmd));
		json[k] = lm_read(OUT);
	}
	/* gdb when a waiter is blocked on work_lock */
	for (k = 0; k < 20 && ng < 0; k++) {
		ASSERT_TRUE(lm_wait_until(lm_task_blocked(tids[0]) ||
					  lm_task_blocked(tids[1]) ||
					  lm_task_blocked(tids[2]) ||
					  lm_task_blocked(tids[3]), 5000));
		free(bt);
		bt = gdb_bt(pid);
		ASSERT_NE(NULL, bt);
		for (i = 0; bt && i < 4 && ng < 0; i++)
			if (in_take_work_lock(bt, tids[i], g, &ng))
				ref = tids[i];
	}
	lm_kill(pid);
	ASSERT_LT(3, ng) TH_LOG("no waiter on work_lock in gdb: %s",
				bt ? bt : "no output");
	TH_LOG("gdb's stack of waiter %d is the reference", ref);
	for (k = 0; k < SAMPLES; k++) {
		for (i = 0; i < 4; i++) {
			if (!task_lock(json[k], tids[i], lock, sizeof(lock)) ||
			    strcmp(lock, "work_lock"))
				continue;
			if (!unwound(json[k], tids[i])) {
				TH_LOG("sample %d, thread %d: the module's stack (left its wait)",
				       k, tids[i]);
				left++;
				continue;
			}
			nr = report_frames(json[k], tids[i], r);
			TH_LOG("sample %d, thread %d", k, tids[i]);
			compare_frames(_metadata, g, ng, r, nr, bt);
			checked++;
		}
		free(json[k]);
	}
	free(bt);
	ASSERT_LT(0, checked) TH_LOG("no sample had a waiter on work_lock");
	EXPECT_LE(left, checked);
	TH_LOG("%d stacks of waiters on work_lock checked, %d the module's",
	       checked, left);
}

LM_HARNESS_MAIN
