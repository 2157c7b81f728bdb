// SPDX-License-Identifier: GPL-2.0
/*
 * The control file accepts exactly its commands and refuses everything
 * else with EINVAL, changing nothing; "disable" leaves no probe behind.
 */
#include "lockmon_util.h"
#include "kselftest_harness.h"

static int control_write(const void *buf, size_t len)
{
	int fd = open(LM_DIR "/control", O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n < 0 ? -errno : (int)n;
}

/* @c cut before its last_error line, which a refused write does change. */
static char *settings_only(char *c)
{
	char *e = c ? strstr(c, "last_error ") : NULL;

	if (e)
		*e = 0;
	return c;
}

TEST(garbage_is_refused_and_changes_nothing)
{
	static const char *const bad[] = {
		"", "\n", "enable now", "ENABLE", "pid", "pid -1", "pid 1x",
		"pid 99999999999", "pid 4194305", "capture 101", "capture",
		"capture -5", "stall_ms 5", "stall_ms 3600001", "comm",
		"comm averyveryverylongname", "comm a b", "reset\nreset",
		"disable\n\n", "pid 12 34", "\tpid", "frobnicate", "pid\x01" "1",
	};
	char *before, *after;
	unsigned int i;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("pid 4242"));
	before = settings_only(lm_read_lm("control"));
	ASSERT_NE(NULL, before);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, control_write(bad[i], strlen(bad[i])))
			TH_LOG("accepted \"%s\"", bad[i]);
	/* an embedded NUL and an oversized write */
	EXPECT_EQ(-EINVAL, control_write("pid 1\0" "2", 7));
	{
		char big[4096];

		memset(big, 'a', sizeof(big));
		EXPECT_EQ(-EINVAL, control_write(big, sizeof(big)));
	}
	after = settings_only(lm_read_lm("control"));
	ASSERT_NE(NULL, after);
	EXPECT_NE(0, strlen(after));
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
	ASSERT_EQ(0, lm_control("nofilter"));
}

TEST(commands_take_effect)
{
	char *c;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("pid 77\n"));
	ASSERT_EQ(0, lm_control("comm  worker "));
	ASSERT_EQ(0, lm_control("capture 7"));
	ASSERT_EQ(0, lm_control("stall_ms 500"));
	c = lm_read_lm("control");
	ASSERT_NE(NULL, c);
	EXPECT_NE(NULL, strstr(c, "pid 77\n"));
	EXPECT_NE(NULL, strstr(c, "comm worker\n"));
	EXPECT_NE(NULL, strstr(c, "capture 7\n"));
	EXPECT_NE(NULL, strstr(c, "stall_ms 500\n"));
	free(c);
	ASSERT_EQ(0, lm_control("nofilter"));
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
	c = lm_read_lm("control");
	EXPECT_NE(NULL, strstr(c, "pid 0\n"));
	EXPECT_NE(NULL, strstr(c, "comm -\n"));
	free(c);
}

/* The last_error line of control, without its newline (static buffer). */
static const char *last_error(void)
{
	static char line[128];
	char *c = lm_read_lm("control"), *e, *nl;

	line[0] = 0;
	e = c ? strstr(c, "\nlast_error ") : NULL;
	if (e) {
		e += strlen("\nlast_error ");
		nl = strchr(e, '\n');
		snprintf(line, sizeof(line), "%.*s",
			 (int)(nl ? nl - e : (long)strlen(e)), e);
	}
	free(c);
	return line;
}

/* The kernel log, from its start or from now on, read without blocking. */
static int kmsg_open(bool from_now)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && from_now)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* How many of the records left in @fd hold @text. */
static int kmsg_count(int fd, const char *text)
{
	char rec[2048];
	ssize_t n;
	int count = 0;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;	/* overwritten records: go on */
		rec[n] = 0;
		count += !!strstr(rec, text);
	}
	return count;
}

/*
 * A refused write says why in a last_error line of control (and, rate
 * limited, in the kernel log); the next accepted write clears it.
 */
TEST(refused_write_leaves_its_reason)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "capture 101", "capture: not a number in 0..100" },
		{ "frobnicate", "unknown command" },
		{ "pid", "this command takes one argument" },
		{ "comm averyveryverylongname", "comm: longer than 15 characters" },
		{ "reset\nreset", "a control character (a NUL, or a newline before the end)" },
	};
	unsigned int i;
	int kmsg;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
	EXPECT_STREQ("-", last_error());
	kmsg = kmsg_open(true);
	ASSERT_LE(0, kmsg);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(-EINVAL, control_write(cases[i].in, strlen(cases[i].in)));
		EXPECT_STREQ(cases[i].why, last_error()) TH_LOG("wrote \"%s\"", cases[i].in);
	}
	/* five refusals within 10 s: one log line at most */
	EXPECT_GE(1, kmsg_count(kmsg, "lockmon: control: write refused: "));
	close(kmsg);
	/* the first refusal since boot (this test's, or an earlier one's) is there */
	kmsg = kmsg_open(false);
	ASSERT_LE(0, kmsg);
	EXPECT_LE(1, kmsg_count(kmsg, "lockmon: control: write refused: "));
	close(kmsg);
	{
		char big[200];

		memset(big, 'a', sizeof(big));
		EXPECT_EQ(-EINVAL, control_write(big, sizeof(big)));
		EXPECT_STREQ("longer than 64 bytes", last_error());
	}
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
	EXPECT_STREQ("-", last_error());
}

static int probes_registered(void)
{
	return lm_futex_fns_in("/sys/kernel/debug/kprobes/list");
}

static int hooks_registered(void)
{
	return lm_futex_fns_in("/sys/kernel/tracing/enabled_functions");
}

/* Nothing of lockmon's runs on a context switch or a wakeup. */
TEST(no_hook_on_the_scheduler_path)
{
	char *s;

	ASSERT_EQ(0, lm_fresh());
	s = lm_read_lm("stats");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(NULL, strstr(s, "sched_switch"));
	EXPECT_EQ(NULL, strstr(s, "sched_wakeup"));
	EXPECT_NE(NULL, strstr(s, "tracepoint_sched_process_exit on\n"));
	free(s);
}

/* Is lockmon's never-called park function under ftrace? */
static bool park_traced(void)
{
	char *l = lm_read("/sys/kernel/tracing/enabled_functions");
	bool r = l && strstr(l, "lm_hook_park");

	free(l);
	return r;
}

/*
 * disable takes every futex function out of ftrace, but parks the hooks'
 * ftrace_ops on lm_hook_park() instead of unregistering it, which would
 * wait for an RCU-tasks grace period (over a minute on a loaded debug
 * kernel); enable brings them back on the same ops, and a wait between
 * the two is not seen.
 */
FIXTURE(toggle) {
};

FIXTURE_SETUP(toggle)
{
}

/* the last round's enable may not have run: leave lockmon enabled */
FIXTURE_TEARDOWN(toggle)
{
	lm_control("enable");
}

/* each enable takes seconds on the debug kernel: more than the 30 s default */
TEST_F_TIMEOUT(toggle, disable_unregisters_every_probe, 300)
{
	uint32_t word = 0;
	struct timespec to = { 0, 1000000L };
	long long waits;
	int i;

	ASSERT_EQ(0, lm_fresh());
	EXPECT_EQ(3, probes_registered());
	EXPECT_LE(5, hooks_registered());
	EXPECT_FALSE(park_traced());
	for (i = 0; i < 2; i++) {
		char *s;

		ASSERT_EQ(0, lm_control("disable"));
		EXPECT_EQ(0, probes_registered());
		EXPECT_EQ(0, hooks_registered());
		EXPECT_TRUE(park_traced());
		s = lm_read_lm("stats");
		ASSERT_NE(NULL, s);
		EXPECT_NE(NULL, strstr(s, "enabled 0\n"));
		EXPECT_NE(NULL, strstr(s, "hooks_ftrace_ops parked\n"));
		EXPECT_NE(NULL, strstr(s, "hook_futex_wait_queue off\n"));
		EXPECT_NE(NULL, strstr(s, "probe_futex_lock_pi off missed="));
		free(s);
		waits = lm_stat("waits");
		EXPECT_EQ(-1, lm_futex_wait(&word, 0, &to));
		EXPECT_EQ(waits, lm_stat("waits"));

		ASSERT_EQ(0, lm_control("enable"));
		EXPECT_EQ(3, probes_registered());
		EXPECT_LE(5, hooks_registered());
		EXPECT_FALSE(park_traced());
		s = lm_read_lm("stats");
		ASSERT_NE(NULL, s);
		EXPECT_NE(NULL, strstr(s, "hooks_ftrace_ops on\n"));
		free(s);
		waits = lm_stat("waits");
		EXPECT_EQ(-1, lm_futex_wait(&word, 0, &to));
		EXPECT_LE(waits + 1, lm_stat("waits"));
	}
}

TEST(pid_filter_keeps_other_processes_out)
{
	pthread_mutex_t *m = lm_shared(sizeof(*m));
	struct lm_table *t;
	char cmd[32];
	pid_t child;

	ASSERT_EQ(0, lm_fresh());
	pthread_mutex_init(m, NULL);
	snprintf(cmd, sizeof(cmd), "pid %d", getpid() + 100000);
	ASSERT_EQ(0, lm_control(cmd));
	/* this process blocks on a futex; it is filtered out */
	child = fork();
	if (child == 0) {
		uint32_t word = 0;
		struct timespec to = { 0, 50 * 1000000L };

		lm_futex_wait(&word, 0, &to);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	EXPECT_EQ(0, t->nrows);
	lm_table_free(t);
	ASSERT_EQ(0, lm_control("nofilter"));
	munmap(m, sizeof(*m));
}

LM_HARNESS_MAIN
