// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon loads, shows its version, unloads cleanly and loads again,
 * refuses bad module parameters with one clear kernel log line, and names
 * a probe whose symbol the kernel lacks while the rest keeps working.
 */
#include "lockmon_util.h"
#include "kselftest_harness.h"

/* Kernel log lines written after @kmsg_fd was opened and moved to the end. */
static bool kmsg_has(int fd, const char *needle)
{
	char rec[1024];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = 0;
		if (strstr(rec, needle))
			return true;
	}
	return false;
}

static int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

TEST(loads_and_shows_version)
{
	char want[64], *v;

	if (lm_loaded())
		ASSERT_EQ(0, lm_unload());
	ASSERT_EQ(0, lm_load(NULL));
	ASSERT_TRUE(lm_loaded());
	v = lm_read_lm("version");
	ASSERT_NE(NULL, v);
	snprintf(want, sizeof(want), " abi %d.%d\n", LOCKMON_ABI_MAJOR,
		 LOCKMON_ABI_MINOR);
	EXPECT_EQ(0, strncmp(v, "lockmon ", 8));
	EXPECT_NE(NULL, strstr(v, want)) TH_LOG("version file: %s", v);
	free(v);
}

TEST(debugfs_files_are_root_only)
{
	static const char *const files[] = {
		"version", "control", "stats", "locks", "tasks", "waitgraph",
		"deadlocks", "stacks", "maps", "ustacks",
	};
	char path[128];
	struct stat st;
	unsigned int i;

	if (!lm_loaded())
		ASSERT_EQ(0, lm_load(NULL));
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), LM_DIR "/%s", files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s missing", path);
		EXPECT_EQ(0, st.st_mode & 077) TH_LOG("%s mode %o", path,
						      st.st_mode & 0777);
		EXPECT_EQ(0, st.st_uid);
	}
}

/*
 * A fixture only for its timeout: on the KASAN/lockdep kernel under TCG,
 * three load/unload cycles take longer than the harness's default 30 s.
 */
FIXTURE(cycle) {
};

FIXTURE_SETUP(cycle)
{
}

FIXTURE_TEARDOWN(cycle)
{
}

TEST_F_TIMEOUT(cycle, unloads_and_loads_again, 300)
{
	uint64_t t0 = lm_now_ns();
	int i;

	for (i = 0; i < 3; i++) {
		if (!lm_loaded())
			ASSERT_EQ(0, lm_load(NULL));
		ASSERT_EQ(0, lm_unload());
		ASSERT_FALSE(lm_loaded());
		ASSERT_EQ(0, lm_load(NULL));
		ASSERT_TRUE(lm_loaded());
	}
	ksft_print_msg("3 unload/load cycles: %.1f s\n",
		       (lm_now_ns() - t0) / 1e9);
}

FIXTURE(badparam) {
	int kmsg;
};

FIXTURE_VARIANT(badparam) {
	const char *params;
	const char *log;	/* what the kernel log must say */
};

FIXTURE_VARIANT_ADD(badparam, zero_tasks) {
	.params = "max_tasks=0",
	.log = "invalid parameter max_tasks=0",
};

FIXTURE_VARIANT_ADD(badparam, capture_over_100) {
	.params = "capture=101",
	.log = "invalid parameter capture=101",
};

FIXTURE_VARIANT_ADD(badparam, tiny_stall) {
	.params = "stall_ms=1",
	.log = "invalid parameter stall_ms=1",
};

FIXTURE_VARIANT_ADD(badparam, tables_over_memory_cap) {
	.params = "max_futexes=4194304 max_memory_mb=64",
	.log = "over max_memory_mb=64",
};

FIXTURE_VARIANT_ADD(badparam, not_a_number) {
	.params = "max_tasks=lots",
	.log = "invalid for parameter `max_tasks'",
};

FIXTURE_SETUP(badparam)
{
	if (lm_loaded())
		ASSERT_EQ(0, lm_unload());
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(badparam)
{
	close(self->kmsg);
}

TEST_F(badparam, refused_with_log_line)
{
	EXPECT_NE(0, lm_load(variant->params));
	EXPECT_FALSE(lm_loaded());
	EXPECT_TRUE(kmsg_has(self->kmsg, variant->log))
		TH_LOG("no kernel log line containing \"%s\"", variant->log);
	/* a refused load changes nothing: a good load still works */
	EXPECT_EQ(0, lm_load(NULL));
	EXPECT_TRUE(lm_loaded());
}

/* ---- a probe whose symbol the kernel lacks ---------------------------- */

/*
 * The variant built by `make module-missing-symbol`, beside this binary,
 * or LOCKMON_KO_MISSING. NULL when LOCKMON_KO names a module for another
 * kernel (make check-debug) and no variant for it was given.
 */
static const char *missing_ko(void)
{
	static char path[PATH_MAX];
	const char *p = getenv("LOCKMON_KO_MISSING");

	if (p)
		return p;
	if (getenv("LOCKMON_KO"))
		return NULL;
	return lm_beside_exe(path, sizeof(path), "missing-symbol/lockmon.ko");
}

struct one_wait {
	uint32_t word;
	volatile pid_t tid;
};

static void *one_waiter(void *arg)
{
	struct one_wait *w = arg;

	w->tid = lm_gettid();
	while (!__atomic_load_n(&w->word, __ATOMIC_ACQUIRE))
		lm_futex_wait(&w->word, 0, NULL);
	return NULL;
}

FIXTURE(missing) {
	int kmsg;
};

FIXTURE_SETUP(missing)
{
	if (lm_loaded())
		ASSERT_EQ(0, lm_unload());
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(missing)
{
	close(self->kmsg);
	/* the next test loads the real module */
	if (lm_loaded())
		lm_unload();
}

/*
 * The variant's futex_unlock_pi hook names a symbol no kernel has, and it
 * takes every kretprobe for an int3 one (LM_TEST_FORCE_INT3): the load must
 * name the symbol and each refused probe in the kernel log and succeed,
 * and futex waits must still be traced.
 */
TEST_F_TIMEOUT(missing, symbol_is_named_and_the_rest_works, 120)
{
	const char *ko = missing_ko();
	struct one_wait w = { 0 };
	char cmd[PATH_MAX + 64];
	struct lm_table *t;
	char *kprobes;
	pthread_t th;
	int row;

	if (!ko)
		SKIP(return, "LOCKMON_KO is set and LOCKMON_KO_MISSING is not");
	ASSERT_EQ(0, access(ko, R_OK))
		TH_LOG("%s: build it with make module-missing-symbol", ko);
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	ASSERT_EQ(0, WEXITSTATUS(system(cmd)));
	ASSERT_TRUE(lm_loaded());
	EXPECT_TRUE(kmsg_has(self->kmsg,
			     "cannot probe lockmon_test_missing_symbol (-2): the events it gives are not traced"));

	/* every kretprobe taken for an int3 one is refused, by name */
	EXPECT_TRUE(kmsg_has(self->kmsg,
			     "not probing futex_lock_pi: it would be an int3 breakpoint, which lockmon refuses (needs CONFIG_KPROBES_ON_FTRACE)"));
	EXPECT_TRUE(kmsg_has(self->kmsg, "not probing futex_wait_multiple: it would be an int3"));
	kprobes = lm_read("/sys/kernel/debug/kprobes/list");
	ASSERT_NE(NULL, kprobes);
	EXPECT_EQ(NULL, strstr(kprobes, "futex_"));
	free(kprobes);

	/* the other hooks are in place */
	kprobes = lm_read("/sys/kernel/tracing/enabled_functions");
	ASSERT_NE(NULL, kprobes);
	EXPECT_NE(NULL, strstr(kprobes, "futex_wait_queue"));
	EXPECT_NE(NULL, strstr(kprobes, "futex_unqueue"));
	EXPECT_EQ(NULL, strstr(kprobes, "futex_unlock_pi"));
	free(kprobes);

	/* and a futex wait is traced */
	ASSERT_EQ(0, pthread_create(&th, NULL, one_waiter, &w));
	ASSERT_TRUE(lm_wait_until(w.tid && lm_task_blocked(w.tid), 10000));
	__atomic_store_n(&w.word, 1, __ATOMIC_RELEASE);
	lm_futex_wake(&w.word, 1);
	pthread_join(th, NULL);
	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	row = lm_find_lock(t, getpid(), &w.word, 4);
	ASSERT_LE(0, row);
	EXPECT_EQ(1, lm_ucell(t, row, "blocked"));
	lm_table_free(t);
}

LM_HARNESS_MAIN
