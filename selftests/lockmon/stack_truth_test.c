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
 * is in a function inlined into another inlined one.
 */
#include "lockmon_util.h"
#include "kselftest_harness.h"

#define OUT	"/tmp/lmr_truth_out"
#define GDB	"/tmp/lmr_truth_gdb"
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

static void against_gdb(struct __test_metadata *_metadata, const char *prog)
{
	struct frame g[MAXF], r[MAXF];
	char path[PATH_MAX], cmd[PATH_MAX + 256], buf[64] = "";
	int fd[2], ng, nr, i;
	char *json, *bt;
	ssize_t len;
	pid_t pid, tid = 0;

	ASSERT_EQ(0, lm_fresh());
	lm_beside_exe(path, sizeof(path), prog);
	ASSERT_EQ(0, pipe(fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(fd[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	len = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	if (len > 0)
		sscanf(buf, "tid=%d", &tid);
	ASSERT_LT(0, tid) TH_LOG("%s printed '%s'", prog, buf);
	ASSERT_TRUE(lm_wait_blocked(tid, 10000));
	/* a wait that lasts gets its stack from the scan */
	ASSERT_TRUE(lm_wait_scans(2));

	snprintf(cmd, sizeof(cmd), "%s tasks -p %d --json >" OUT,
		 tree("user/lockmon-report"), pid);
	ASSERT_EQ(0, system(cmd));
	json = lm_read(OUT);
	nr = report_frames(json, tid, r);
	/* what the module itself captured, and where the thread is, for the log */
	bt = lm_read_lm("stacks");
	TH_LOG("module's stacks file:\n%s", bt ? bt : "unreadable");
	free(bt);
	snprintf(cmd, sizeof(cmd), "/proc/%d/task/%d/syscall", pid, tid);
	bt = lm_read(cmd);
	TH_LOG("%s: %s", cmd, bt ? bt : "unreadable");
	free(bt);
	/* then gdb: attaching restarts the wait, so it comes second */
	snprintf(cmd, sizeof(cmd),
		 "gdb -nx -batch -p %d -ex 'thread apply all bt' >" GDB " 2>&1",
		 pid);
	ASSERT_EQ(0, system(cmd));
	bt = lm_read(GDB);
	ng = bt ? gdb_frames(bt, tid, g) : -1;
	lm_kill(pid);
	show(_metadata, "gdb", g, ng);
	show(_metadata, "lockmon-report", r, nr);
	ASSERT_LT(3, ng) TH_LOG("gdb: %s", bt ? bt : "no output");
	ASSERT_LT(0, nr) TH_LOG("report: %s", json ? json : "no output");
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
	/* beyond start_thread only what gdb has there (clone3): no stale frames */
	for (i = ng; i < nr; i++) {
		EXPECT_NE(NULL, strstr(bt, r[i].name))
			TH_LOG("extra frame #%d %s", i, r[i].name);
	}
	free(json);
	free(bt);
}

TEST(cxx_frame_pointers)
{
	against_gdb(_metadata, "truth_cxx");
}

TEST(c_omit_frame_pointer)
{
	against_gdb(_metadata, "truth_nofp");
}

TEST(c_inlined_lock_call)
{
	against_gdb(_metadata, "truth_inline");
}

TEST_HARNESS_MAIN
