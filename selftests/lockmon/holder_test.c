// SPDX-License-Identifier: GPL-2.0
/*
 * Holder state: while a thread waits for a glibc mutex, lockmon splits the
 * wait by what the mutex's owner does (locks: hold_*_ns). Three holders
 * with a known behaviour hold the mutex while one thread waits for it:
 * one spins on its CPU, one sleeps in read() on a pipe, one spins on a CPU
 * it shares with a spinning hog, one waits for a second mutex. Each holder measures its own truth from
 * /proc/self/task/TID/schedstat (run time and run-queue delay) over the
 * hold; the module's running, preempted and off-CPU (sleeping, or on a
 * futex for the last) shares of the wait
 * must each be within 10 % of the wait time of that truth, and the split
 * must add up to the wait's total.
 */
#include "lockmon_util.h"
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include "kselftest_harness.h"

#define HOLD_SCANS	12	/* scans the hold lasts: ~1.3 s at scan_ms 100 */
#define TOLERANCE	0.10

enum how { SPIN, READ, PREEMPTED, CHAIN };

struct hold {
	enum how how;
	pthread_mutex_t m, m2;	/* m2: the lock a CHAIN holder waits on */
	int pipe[2];
	atomic_int locked, release, hog_stop;
	pid_t holder_tid, waiter_tid;
	/* the holder's truth over its hold */
	unsigned long long run_ns, delay_ns, hold_ns;
	unsigned long long wait_ns;
	int err;
};

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

/* Run time and run-queue delay of the calling thread, in ns. */
static int schedstat(unsigned long long *run, unsigned long long *delay)
{
	char path[64], *s;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat",
		 lm_gettid());
	s = lm_read(path);
	if (!s)
		return -1;
	n = sscanf(s, "%llu %llu", run, delay);
	free(s);
	return n == 2 ? 0 : -1;
}

static void *holder(void *arg)
{
	struct hold *h = arg;
	unsigned long long r0, d0, r1, d1, t0;
	char c;

	h->holder_tid = lm_gettid();
	if (pin(1) || pthread_mutex_lock(&h->m)) {
		h->err = 1;
		atomic_store(&h->locked, 1);
		return NULL;
	}
	t0 = lm_now_ns();
	if (schedstat(&r0, &d0))
		h->err = 1;
	atomic_store(&h->locked, 1);
	if (h->how == READ) {
		if (read(h->pipe[0], &c, 1) != 1)
			h->err = 1;
	} else if (h->how == CHAIN) {
		if (pthread_mutex_lock(&h->m2) || pthread_mutex_unlock(&h->m2))
			h->err = 1;
	} else {
		while (!atomic_load_explicit(&h->release, memory_order_relaxed))
			;
	}
	if (schedstat(&r1, &d1))
		h->err = 1;
	h->hold_ns = lm_now_ns() - t0;
	h->run_ns = r1 - r0;
	h->delay_ns = d1 - d0;
	pthread_mutex_unlock(&h->m);
	return NULL;
}

static void *waiter(void *arg)
{
	struct hold *h = arg;
	unsigned long long t0;

	h->waiter_tid = lm_gettid();
	if (pin(0))
		h->err = 1;
	t0 = lm_now_ns();
	pthread_mutex_lock(&h->m);
	h->wait_ns = lm_now_ns() - t0;
	pthread_mutex_unlock(&h->m);
	return NULL;
}

static void *hog(void *arg)
{
	struct hold *h = arg;

	if (pin(1))
		h->err = 1;
	while (!atomic_load_explicit(&h->hog_stop, memory_order_relaxed))
		;
	return NULL;
}

static void check(struct __test_metadata *_metadata, const char *what,
		  double got, double truth, double wait)
{
	ksft_print_msg("%s: lockmon %.3f s, truth %.3f s (of %.3f s waited)\n",
		       what, got / 1e9, truth / 1e9, wait / 1e9);
	EXPECT_LE(fabs(got - truth), TOLERANCE * wait);
}

/*
 * lockmon-report locks, for this process: the holder paragraph of the
 * mutex, with the verdict its case calls for; for a preempted holder, its
 * share within 10 points of the truth's.
 */
static void report(struct __test_metadata *_metadata, enum how how,
		   double delay_pct)
{
	static const char *const verdict[] = {
		[SPIN] = "=> mostly holder on CPU: shorten the critical section\n",
		[READ] = "=> holder sleeps in read(): move I/O out of the lock\n",
		[PREEMPTED] = "=> holder preempted ",
		[CHAIN] = "=> holder waits on another lock: ",
	};
	char path[PATH_MAX], cmd[PATH_MAX + 64], *out, *v;
	unsigned int n = 0;
	int st;

	snprintf(cmd, sizeof(cmd), "%s locks -p %d >/tmp/lm_holder.out 2>&1",
		 lm_beside_exe(path, sizeof(path), "../../user/lockmon-report"),
		 getpid());
	st = system(cmd);
	out = lm_read("/tmp/lm_holder.out");
	ASSERT_NE(NULL, out);
	ksft_print_msg("lockmon-report locks:\n%s", out);
	EXPECT_EQ(0, st);
	EXPECT_NE(NULL, strstr(out, "\nWhile tasks waited, the holder was:\n"));
	v = strstr(out, verdict[how]);
	EXPECT_NE(NULL, v);
	if (v && how == PREEMPTED) {
		EXPECT_EQ(1, sscanf(v + strlen(verdict[how]), "%u %%: check CPU contention", &n));
		EXPECT_NE(NULL, strstr(v, "%: check CPU contention\n"));
		EXPECT_LE(fabs(n - delay_pct), 10.0);
	}
	/* no paragraph for the join futexes: they are events */
	EXPECT_EQ(NULL, strstr(out, "holder unknown"));
	free(out);
}

static void run_hold(struct __test_metadata *_metadata, enum how how)
{
	static struct hold h;
	pthread_t th, tw, tg;
	unsigned long long total, run, pre, fut, slp, stop, ex, unk, sum;
	double off_ns, wait;
	struct lm_table *t;
	int r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	memset(&h, 0, sizeof(h));
	h.how = how;
	pthread_mutex_init(&h.m, NULL);
	pthread_mutex_init(&h.m2, NULL);
	if (how == CHAIN)
		ASSERT_EQ(0, pthread_mutex_lock(&h.m2));
	ASSERT_EQ(0, pipe(h.pipe));
	ASSERT_EQ(0, pin(0));
	ASSERT_EQ(0, lm_fresh());

	if (how == PREEMPTED)
		ASSERT_EQ(0, pthread_create(&tg, NULL, hog, &h));
	ASSERT_EQ(0, pthread_create(&th, NULL, holder, &h));
	ASSERT_TRUE(lm_wait_until(atomic_load(&h.locked), 5000));
	ASSERT_EQ(0, pthread_create(&tw, NULL, waiter, &h));
	ASSERT_TRUE(lm_wait_until(h.waiter_tid &&
				  lm_task_waits_on(h.waiter_tid, &h.m,
						   sizeof(h.m)), 5000));
	/* the hold lasts HOLD_SCANS scans, each sampling the holder */
	ASSERT_TRUE(lm_wait_scans(HOLD_SCANS));
	atomic_store(&h.release, 1);
	if (how == READ)
		ASSERT_EQ(1, write(h.pipe[1], "x", 1));
	if (how == CHAIN)
		ASSERT_EQ(0, pthread_mutex_unlock(&h.m2));
	pthread_join(th, NULL);
	pthread_join(tw, NULL);
	atomic_store(&h.hog_stop, 1);
	if (how == PREEMPTED)
		pthread_join(tg, NULL);
	ASSERT_EQ(0, h.err);

	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	r = lm_find_lock(t, getpid(), &h.m, sizeof(h.m));
	ASSERT_LE(0, r);
	EXPECT_EQ(1, lm_ucell(t, r, "blocked"));
	total = lm_ucell(t, r, "total_ns");
	run = lm_ucell(t, r, "hold_running_ns");
	pre = lm_ucell(t, r, "hold_preempted_ns");
	fut = lm_ucell(t, r, "hold_futex_ns");
	slp = lm_ucell(t, r, "hold_sleeping_ns");
	stop = lm_ucell(t, r, "hold_stopped_ns");
	ex = lm_ucell(t, r, "hold_exited_ns");
	unk = lm_ucell(t, r, "hold_unknown_ns");
	ksft_print_msg("holder tid %d: hold %.3f s, ran %.3f s, run delay %.3f s; waiter waited %.3f s (lockmon %.3f s)\n",
		       h.holder_tid, h.hold_ns / 1e9, h.run_ns / 1e9,
		       h.delay_ns / 1e9, h.wait_ns / 1e9, total / 1e9);
	ksft_print_msg("lockmon split: running %llu preempted %llu futex %llu sleeping %llu stopped %llu exited %llu unknown %llu, syscall %s\n",
		       run, pre, fut, slp, stop, ex, unk,
		       lm_cell(t, r, "hold_syscall"));
	/* the whole of the wait is split, and all of it to a live holder */
	sum = run + pre + fut + slp + stop + ex + unk;
	EXPECT_EQ(total, sum);
	EXPECT_EQ(0, stop + ex + unk + (how == CHAIN ? slp : fut));
	/* the waiter's own measure of its wait frames lockmon's */
	EXPECT_LE(total, h.wait_ns);
	EXPECT_GE(total + 50000000ULL, h.wait_ns);

	/* the holder's shares of its hold, applied to the wait */
	wait = total;
	off_ns = (double)h.hold_ns - h.run_ns - h.delay_ns;
	if (off_ns < 0)
		off_ns = 0;
	check(_metadata, "holder running", run,
	      wait * h.run_ns / h.hold_ns, wait);
	check(_metadata, "holder preempted", pre,
	      wait * h.delay_ns / h.hold_ns, wait);
	/* off the CPU: in a futex wait lockmon tracks, or asleep otherwise */
	check(_metadata, how == CHAIN ? "holder on a futex" : "holder sleeping",
	      how == CHAIN ? fut : slp, wait * off_ns / h.hold_ns, wait);
	if (how == READ) {
		EXPECT_EQ(SYS_read, (long)lm_ucell(t, r, "hold_syscall"));
	} else {
		EXPECT_STREQ("-1", lm_cell(t, r, "hold_syscall"));
	}
	/* and each holder did what its case says it did */
	if (how == SPIN) {
		EXPECT_GE(h.run_ns, h.hold_ns * 8 / 10);
	} else if (how == READ || how == CHAIN) {
		EXPECT_GE(off_ns, h.hold_ns * 8 / 10.0);
	} else {
		EXPECT_GE(h.delay_ns, h.hold_ns * 3 / 10);
	}
	lm_table_free(t);
	report(_metadata, how, 100.0 * h.delay_ns / h.hold_ns);
	close(h.pipe[0]);
	close(h.pipe[1]);
}

/* (a) the holder spins on its CPU: the wait is the holder running */
TEST(holder_on_cpu)
{
	run_hold(_metadata, SPIN);
}

/* (b) the holder sleeps in read(): the wait is the holder sleeping in read */
TEST(holder_sleeps_in_read)
{
	run_hold(_metadata, READ);
}

/* (c) a hog shares the holder's CPU: the wait is part running, part preempted */
TEST(holder_preempted_by_hog)
{
	run_hold(_metadata, PREEMPTED);
}

/* (d) the holder waits for a second mutex: the wait is the holder on a futex */
TEST(holder_waits_on_another_lock)
{
	run_hold(_metadata, CHAIN);
}

LM_HARNESS_MAIN
