// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon under faults and load: many load/unload cycles while 64 threads
 * contend and an ABBA pair sits deadlocked; unload while every debugfs
 * file is held open and while events stream to a tracefs reader.
 *
 * LOCKMON_CYCLES sets the number of load/unload cycles (default 50: about 2 min under TCG);
 * LOCKMON_CYCLES_TIMEOUT=S replaces that test's 600 s timeout, for the long
 * runs of scripts/soak --cycles.
 */
#include <poll.h>
#include <sys/prctl.h>
#include "lockmon_util.h"
#include "fault_util.h"
#include "kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define KPROBE_LIST	"/sys/kernel/debug/kprobes/list"
#define NR_FILES	10

static const char *const lm_files[NR_FILES] = {
	"version", "control", "stats", "locks", "tasks", "waitgraph",
	"deadlocks", "stacks", "maps", "ustacks",
};

/* Symbols lockmon has a kprobe on, from the "probe_<sym> on" stats lines. */
static int probed_symbols(char sym[][64], int max)
{
	char *s = lm_read_lm("stats"), *line, *save = NULL;
	int n = 0;

	if (!s)
		return -1;
	for (line = strtok_r(s, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], state[8];

		if (sscanf(line, "probe_%63s %7s", name, state) == 2 &&
		    !strcmp(state, "on"))
			snprintf(sym[n++], 64, "%s", name);
	}
	free(s);
	return n;
}

/* How many kprobes sit on any of @sym, per the kprobes list. */
static int kprobes_on(char sym[][64], int nsym)
{
	char *l = lm_read(KPROBE_LIST), needle[80];
	int n = 0, i;
	const char *p;

	if (!l)
		return -1;
	for (i = 0; i < nsym; i++) {
		snprintf(needle, sizeof(needle), " %s+0x", sym[i]);
		for (p = l; (p = strstr(p, needle)); p++)
			n++;
	}
	free(l);
	return n;
}

/* ---- workloads -------------------------------------------------------- */

struct load {
	pthread_mutex_t m[4];
	pthread_mutex_t a, b;		/* the ABBA pair */
	pthread_barrier_t abba;
	volatile pid_t abba_tid[2];
	volatile int running;
	volatile unsigned long ops;
};

static void *contend(void *arg)
{
	struct load *l = arg;
	unsigned int i = (unsigned int)lm_gettid();

	__atomic_fetch_add(&l->running, 1, __ATOMIC_SEQ_CST);
	for (;; i++) {
		pthread_mutex_t *m = &l->m[i % 4];

		pthread_mutex_lock(m);
		l->ops++;
		pthread_mutex_unlock(m);
	}
	return NULL;
}

static void *abba(void *arg)
{
	struct load *l = arg;
	int me = __atomic_fetch_add(&l->running, 1, __ATOMIC_SEQ_CST) & 1;
	pthread_mutex_t *first = me ? &l->b : &l->a;
	pthread_mutex_t *second = me ? &l->a : &l->b;

	pthread_mutex_lock(first);
	l->abba_tid[me] = lm_gettid();
	pthread_barrier_wait(&l->abba);
	pthread_mutex_lock(second);	/* never returns */
	return NULL;
}

/*
 * A child process with @nr contending threads and, if @deadlock, an ABBA
 * pair; it dies with the test. Returns its pid; @l is shared with it.
 */
static pid_t start_load(struct load *l, int nr, bool deadlock)
{
	pthread_mutexattr_t a;
	pthread_t th;
	pid_t pid;
	int i;

	memset(l, 0, sizeof(*l));
	pthread_mutexattr_init(&a);
	for (i = 0; i < 4; i++)
		pthread_mutex_init(&l->m[i], &a);
	pthread_mutex_init(&l->a, &a);
	pthread_mutex_init(&l->b, &a);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (deadlock) {
		pthread_barrier_init(&l->abba, NULL, 2);
		for (i = 0; i < 2; i++)
			pthread_create(&th, NULL, abba, l);
		while (!l->abba_tid[0] || !l->abba_tid[1])
			lm_sleep_ms(1);
	}
	for (i = 0; i < nr; i++)
		pthread_create(&th, NULL, contend, l);
	for (;;)
		pause();
}

/* ---- load/unload cycles ------------------------------------------------ */

FIXTURE(cycles) {
	struct load *l;
	pid_t child;
};

FIXTURE_SETUP(cycles)
{
	if (lm_loaded())
		ASSERT_EQ(0, mod_unload());
	self->l = lm_shared(sizeof(*self->l));
	ASSERT_NE(NULL, self->l);
	self->child = start_load(self->l, 64, true);
	ASSERT_TRUE(lm_wait_until(self->l->running == 66, 20000));
}

FIXTURE_TEARDOWN(cycles)
{
	lm_kill(self->child);
	if (!lm_loaded())
		mod_load(NULL);
}

/* How long one step of the cycle took: count, total and worst, in ns. */
struct step_time {
	const char *name;
	unsigned int n;
	uint64_t sum, max;
};

static void step_add(struct step_time *s, uint64_t start)
{
	uint64_t d = lm_now_ns() - start;

	s->n++;
	s->sum += d;
	if (d > s->max)
		s->max = d;
}

static void step_print(const struct step_time *s)
{
	if (s->n)
		ksft_print_msg("%-22s %3u times, mean %8.1f ms, max %8.1f ms\n",
			       s->name, s->n, s->sum / 1e6 / s->n, s->max / 1e6);
}

/*
 * Every other cycle disables lockmon before the unload, so both the
 * disable under load and the unload of an enabled module are timed.
 */
TEST_F_TIMEOUT(cycles, load_unload_under_contention, 600)
{
	int cycles = lm_scaled("LOCKMON_CYCLES", 50), i, nsym = 0;
	struct step_time load = { "insmod" }, disable = { "disable" };
	struct step_time unload_on = { "rmmod (enabled)" };
	struct step_time unload_off = { "rmmod (disabled)" };
	char sym[16][64];
	uint64_t t0 = lm_now_ns(), t, s;

	ASSERT_LT(0, cycles) TH_LOG("LOCKMON_CYCLES=%s is not a count",
				    getenv("LOCKMON_CYCLES"));
	if (access(KPROBE_LIST, R_OK))
		SKIP(return, "no %s: kernel without CONFIG_KPROBES debugfs", KPROBE_LIST);

	for (i = 0; i < cycles; i++) {
		unsigned long before = self->l->ops;

		s = lm_now_ns();
		ASSERT_EQ(0, mod_load(NULL)) TH_LOG("cycle %d: load", i);
		step_add(&load, s);
		if (i == 0) {
			nsym = probed_symbols(sym, 16);
			ASSERT_LE(2, nsym);
			ASSERT_EQ(nsym, kprobes_on(sym, nsym));
			ASSERT_LE(2, lm_futex_fns_in(TRACEFS "/enabled_functions"));
		}
		/* the probes see the contention before we pull them out */
		ASSERT_TRUE(lm_wait_until(stat_of("blocked") > 0, 10000))
			TH_LOG("cycle %d: no blocking wait seen", i);
		if (i % 10 == 0) {
			char *s = lm_read_lm("tasks");

			ASSERT_NE(NULL, s);
			free(s);
			s = lm_read_lm("locks");
			ASSERT_NE(NULL, s);
			free(s);
		}
		if (i % 2) {
			s = lm_now_ns();
			ASSERT_EQ(0, lm_control("disable"));
			step_add(&disable, s);
			ASSERT_EQ(0, kprobes_on(sym, nsym))
				TH_LOG("cycle %d: probes left after disable", i);
		}
		s = lm_now_ns();
		ASSERT_EQ(0, mod_unload()) TH_LOG("cycle %d: unload", i);
		step_add(i % 2 ? &unload_off : &unload_on, s);
		ASSERT_FALSE(lm_loaded());
		ASSERT_EQ(0, kprobes_on(sym, nsym))
			TH_LOG("cycle %d: lockmon probes left after unload", i);
		ASSERT_EQ(0, lm_futex_fns_in(TRACEFS "/enabled_functions"))
			TH_LOG("cycle %d: lockmon hooks left after unload", i);
		/* the workload keeps running across the cycle */
		ASSERT_TRUE(lm_wait_until(self->l->ops != before, 10000));
		if (i < 3 || (i + 1) % 50 == 0)
			ksft_print_msg("cycle %d done at %.1f s\n", i + 1,
				       (lm_now_ns() - t0) / 1e9);
	}
	t = lm_now_ns() - t0;
	ksft_print_msg("%d load/unload cycles in %.1f s (%.1f ms each), %lu lock ops\n",
		       cycles, t / 1e9, t / 1e6 / cycles, self->l->ops);
	step_print(&load);
	step_print(&disable);
	step_print(&unload_on);
	step_print(&unload_off);
}

/*
 * The 6.1 harness has no option for a test's timeout: set the field of the
 * test object TEST_F_TIMEOUT defined above before the harness runs it.
 */
static void __attribute__((constructor)) cycles_timeout(void)
{
	const char *e = getenv("LOCKMON_CYCLES_TIMEOUT");

	if (e && atoi(e) > 0)
		_cycles_load_unload_under_contention_object.timeout = atoi(e);
}

/* ---- unload with every debugfs file open -------------------------------- */

FIXTURE(busy_unload) {
	struct load *l;
	pid_t child;
};

FIXTURE_SETUP(busy_unload)
{
	if (lm_loaded())
		ASSERT_EQ(0, mod_unload());
	ASSERT_EQ(0, mod_load(NULL));
	self->l = lm_shared(sizeof(*self->l));
	ASSERT_NE(NULL, self->l);
	self->child = start_load(self->l, 16, true);
	ASSERT_TRUE(lm_wait_until(self->l->running == 18, 20000));
	ASSERT_TRUE(lm_wait_until(stat_of("blocked") > 0, 10000));
}

FIXTURE_TEARDOWN(busy_unload)
{
	lm_kill(self->child);
	if (!lm_loaded())
		mod_load(NULL);
}

TEST_F_TIMEOUT(busy_unload, files_held_open, 120)
{
	int fd[NR_FILES], i, err;
	char buf[4096], path[128];
	ssize_t n;

	for (i = 0; i < NR_FILES; i++) {
		snprintf(path, sizeof(path), LM_DIR "/%s", lm_files[i]);
		fd[i] = open(path, i == 1 ? O_RDWR : O_RDONLY);
		ASSERT_LE(0, fd[i]) TH_LOG("open %s: %s", path, strerror(errno));
		/* a partial read leaves the seq_file mid-snapshot */
		n = read(fd[i], buf, 16);
		ASSERT_LT(0, n) TH_LOG("read %s", path);
	}
	err = mod_unload();
	ksft_print_msg("unload with %d files open: %s\n", NR_FILES,
		       err ? strerror(-err) : "unloaded");
	if (err) {
		/* refused cleanly: still loaded, every file still works */
		EXPECT_TRUE(err == -EAGAIN || err == -EBUSY) TH_LOG("%d", err);
		EXPECT_TRUE(lm_loaded());
		for (i = 0; i < NR_FILES; i++) {
			while ((n = read(fd[i], buf, sizeof(buf))) > 0)
				;
			EXPECT_EQ(0, n) TH_LOG("%s: %s", lm_files[i], strerror(errno));
		}
		EXPECT_EQ(-EINVAL, write(fd[1], "bogus", 5) < 0 ? -errno : 0);
	} else {
		/* gone: reads end or fail, a write fails, nothing oopses */
		EXPECT_FALSE(lm_loaded());
		for (i = 0; i < NR_FILES; i++) {
			n = read(fd[i], buf, sizeof(buf));
			EXPECT_GE(0, n) TH_LOG("%s read %zd bytes after unload",
					       lm_files[i], n);
		}
		EXPECT_GT(0, write(fd[1], "reset", 5));
	}
	for (i = 0; i < NR_FILES; i++)
		close(fd[i]);
	/* once closed, unload goes through */
	if (lm_loaded())
		EXPECT_EQ(0, mod_unload());
	EXPECT_FALSE(lm_loaded());
	EXPECT_EQ(0, mod_load(NULL));
}

/* ---- unload while events stream ------------------------------------------ */

struct streamer {
	int fd;
	volatile int stop;
	volatile unsigned long lines;
	volatile unsigned long rounds;	/* polls (and reads) done */
	volatile int err;		/* errno of a failed read, or 0 */
};

static void *stream(void *arg)
{
	struct streamer *s = arg;
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	char buf[8192];
	ssize_t n, i;

	while (!s->stop) {
		if (poll(&p, 1, 50) <= 0) {
			s->rounds++;
			continue;
		}
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno != EAGAIN) {
			s->err = errno;
			lm_sleep_ms(10);
		}
		for (i = 0; i < n; i++)
			s->lines += buf[i] == '\n';
		s->rounds++;
	}
	return NULL;
}

#define INST TRACEFS "/instances/lm_reliability"

TEST_F_TIMEOUT(busy_unload, events_streaming, 120)
{
	struct streamer s = { 0 };
	pthread_t th;
	int err;

	if (access(TRACEFS "/instances", F_OK))
		SKIP(return, "no tracefs at %s", TRACEFS);
	rmdir(INST);
	ASSERT_EQ(0, mkdir(INST, 0700));
	ASSERT_EQ(0, write_str(INST "/events/lockmon/enable", "1"));
	s.fd = open(INST "/trace_pipe", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, s.fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, stream, &s));
	ASSERT_TRUE(lm_wait_until(s.lines > 100, 20000))
		TH_LOG("only %lu event lines", s.lines);

	err = mod_unload();
	ksft_print_msg("unload with lockmon events enabled and %lu lines read: %s\n",
		       s.lines, err ? strerror(-err) : "unloaded");
	if (err) {
		EXPECT_TRUE(err == -EAGAIN || err == -EBUSY) TH_LOG("%d", err);
		EXPECT_TRUE(lm_loaded());
		EXPECT_EQ(0, write_str(INST "/events/lockmon/enable", "0"));
	} else {
		unsigned long at = s.lines, round = s.rounds;

		/* the reader carries on; the events are gone with the module */
		EXPECT_FALSE(lm_loaded());
		EXPECT_TRUE(lm_wait_until(s.rounds >= round + 2, 10000))
			TH_LOG("the reader stopped after the unload");
		EXPECT_NE(0, access(INST "/events/lockmon", F_OK));
		ksft_print_msg("%lu lines after unload\n", s.lines - at);
	}
	s.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, s.err) TH_LOG("trace_pipe read: %s", strerror(s.err));
	close(s.fd);
	if (lm_loaded())
		EXPECT_EQ(0, mod_unload());
	EXPECT_EQ(0, rmdir(INST));
	EXPECT_EQ(0, mod_load(NULL));
}

LM_HARNESS_MAIN
