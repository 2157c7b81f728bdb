// SPDX-License-Identifier: GPL-2.0
/*
 * Who is to blame when the holder of a lock does not run.
 *
 * holder_preempted: a holder of a glibc mutex spins on CPU 1 while two
 * threads on CPU 0 wait for the mutex; then a SCHED_FIFO hog starts
 * spinning on CPU 1, so the holder is runnable but gets no CPU (but for
 * the real-time throttling's 5 %). lockmon must report lock-holder
 * preemption: the holder, both waiters, CPU 1, the hog as what runs
 * there, and an off-CPU time between lhp_ms and the time the test saw
 * the hog run.
 *
 * priority_inversion: the classic three SCHED_FIFO threads on CPU 1. Low
 * (priority 10) takes a normal mutex and spins; high (30) blocks on it;
 * medium (20) then spins and never lets low run. lockmon must name all
 * three with their priorities. pi_mutex_no_inversion: the same program
 * with a PTHREAD_PRIO_INHERIT mutex, where the kernel lends low high's
 * priority: low runs while medium spins, and nothing is reported.
 *
 * starving_wait_found_by_scan: a wait that never ends while its lock
 * changes hands is a starvation finding made by the scan: one thread
 * waits on a futex lock with a wake bitset its unlockers never wake,
 * while two others take and release the lock, waking each other.
 *
 * Everything that runs on CPU 1 next to a real-time spinner has its pages
 * locked first (mlockall): a page fault there would wait for 9p I/O that
 * the spinner starves. Each thread gets its policy and CPU from its
 * attributes, before it runs.
 */
#include "lockmon_util.h"
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include "kselftest_harness.h"

#define KPRIO(rt)	(99 - (rt))	/* the kernel's prio of SCHED_FIFO rt */
#define WAIT_MS		60000
#define TIMEOUT		300	/* s: a debug kernel is 5-10 times slower */

/* No state: a fixture only for TEST_F_TIMEOUT. */
FIXTURE(blame) {
	int unused;
};

FIXTURE_SETUP(blame)
{
}

FIXTURE_TEARDOWN(blame)
{
}

struct inv {
	pthread_mutex_t m;
	atomic_int locked, release, stop, got;
	pid_t low, high, mid;
	unsigned long long mid_start;
	int err;
};

static int start(pthread_t *th, int policy, int prio, int cpu,
		 void *(*fn)(void *), void *arg)
{
	struct sched_param sp = { .sched_priority = prio };
	pthread_attr_t a;
	cpu_set_t s;
	int r;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, policy);
	pthread_attr_setschedparam(&a, &sp);
	pthread_attr_setaffinity_np(&a, sizeof(s), &s);
	r = pthread_create(th, &a, fn, arg);
	pthread_attr_destroy(&a);
	return r;
}

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

static void spin_until(atomic_int *flag)
{
	while (!atomic_load_explicit(flag, memory_order_relaxed))
		;
}

static void *low_fn(void *arg)
{
	struct inv *v = arg;

	v->low = lm_gettid();
	if (pthread_mutex_lock(&v->m)) {
		v->err = 1;
		atomic_store(&v->locked, 1);
		return NULL;
	}
	atomic_store(&v->locked, 1);
	spin_until(&v->release);
	pthread_mutex_unlock(&v->m);
	return NULL;
}

static void *high_fn(void *arg)
{
	struct inv *v = arg;

	v->high = lm_gettid();
	if (pthread_mutex_lock(&v->m)) {
		v->err = 1;
		return NULL;
	}
	atomic_store(&v->got, 1);
	pthread_mutex_unlock(&v->m);
	return NULL;
}

static void *spin_fn(void *arg)
{
	struct inv *v = arg;

	v->mid = lm_gettid();
	v->mid_start = lm_now_ns();
	spin_until(&v->stop);
	return NULL;
}

/* The findings of @kind that name @tid as a member; the last one in @out. */
static int findings_of(const char *kind, pid_t tid, struct lm_finding_rec *out)
{
	static struct lm_finding_rec f[64];
	int n = lm_findings(f, 64), i, j, c = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(f[i].kind, kind))
			continue;
		for (j = 0; j < f[i].nr; j++)
			if (f[i].tid[j] == tid) {
				if (out)
					*out = f[i];
				c++;
				break;
			}
	}
	return c;
}

/* The off-CPU time comes from sched_info, which /proc/PID/schedstat shows. */
static bool have_sched_info(void)
{
	return access("/proc/self/schedstat", R_OK) == 0;
}

/* lockmon-report deadlocks for this process: the headline and the advice. */
static void report(struct __test_metadata *_metadata, const char *headline,
		   const char *advice)
{
	char path[PATH_MAX], cmd[PATH_MAX + 64], *out;
	int st;

	snprintf(cmd, sizeof(cmd), "%s deadlocks -p %d >/tmp/lm_blame.out 2>&1",
		 lm_beside_exe(path, sizeof(path), "../../user/lockmon-report"),
		 getpid());
	st = system(cmd);
	out = lm_read("/tmp/lm_blame.out");
	ASSERT_NE(NULL, out);
	ksft_print_msg("lockmon-report deadlocks:\n%s", out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(out, strstr(out, headline));
	EXPECT_NE(NULL, strstr(out, advice));
	free(out);
}

static void run_inversion(struct __test_metadata *_metadata, int pi)
{
	static struct inv v;
	struct lm_finding_rec f;
	pthread_mutexattr_t ma;
	pthread_t tl, th, tm;
	bool found;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	if (!have_sched_info())
		SKIP(return, "kernel without CONFIG_SCHED_INFO: no off-CPU time");
	memset(&v, 0, sizeof(v));
	pthread_mutexattr_init(&ma);
	if (pi)
		ASSERT_EQ(0, pthread_mutexattr_setprotocol(&ma,
							 PTHREAD_PRIO_INHERIT));
	ASSERT_EQ(0, pthread_mutex_init(&v.m, &ma));
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	ASSERT_EQ(0, pin(0));
	ASSERT_EQ(0, lm_fresh());

	ASSERT_EQ(0, start(&tl, SCHED_FIFO, 10, 1, low_fn, &v));
	ASSERT_TRUE(lm_wait_until(atomic_load(&v.locked), 5000));
	ASSERT_EQ(0, v.err);
	ASSERT_EQ(0, start(&th, SCHED_FIFO, 30, 1, high_fn, &v));
	ASSERT_TRUE(lm_wait_until(v.high, 5000));
	ASSERT_TRUE(lm_wait_blocked(v.high, 5000));
	ASSERT_EQ(0, start(&tm, SCHED_FIFO, 20, 1, spin_fn, &v));
	/* without PI, medium runs at once; with it, only after low lets go */
	if (!pi)
		ASSERT_TRUE(lm_wait_until(v.mid, 5000));

	ksft_print_msg("low %d, high %d blocked, medium started (pi %d)\n",
		       v.low, v.high, pi);
	if (!pi) {
		found = lm_wait_until(findings_of("priority-inversion", v.high,
						  &f) > 0, WAIT_MS);
	} else {
		/* the boosted owner runs: two scans see it, then let go */
		ASSERT_TRUE(lm_wait_scans(2));
		found = false;
	}
	atomic_store(&v.release, 1);
	/* the boosted owner lets go while medium still wants the CPU */
	if (!pi)
		atomic_store(&v.stop, 1);
	ASSERT_TRUE(lm_wait_until(atomic_load(&v.got), WAIT_MS));
	atomic_store(&v.stop, 1);
	pthread_join(tm, NULL);
	pthread_join(th, NULL);
	pthread_join(tl, NULL);
	munlockall();
	ASSERT_EQ(0, v.err);

	if (pi) {
		ASSERT_TRUE(lm_wait_scans(2));
		EXPECT_EQ(0, findings_of("priority-inversion", v.high, NULL));
		EXPECT_EQ(0, findings_of("holder-preempted", v.high, NULL));
		return;
	}
	ASSERT_TRUE(found);
	ksft_print_msg("priority inversion: waiter %d prio %d, holder %d prio %d, ran %d prio %d, off CPU %u for %llu ms\n",
		       f.tid[0], f.waiter_prio, f.holder, f.holder_prio, f.ran,
		       f.ran_prio, f.cpu, f.off_cpu_ns / 1000000);
	EXPECT_EQ(v.high, f.tid[0]);
	EXPECT_EQ(1, f.nr);
	EXPECT_EQ(v.low, f.holder);
	EXPECT_EQ(v.mid, f.ran);
	EXPECT_EQ(KPRIO(30), f.waiter_prio);
	EXPECT_EQ(KPRIO(10), f.holder_prio);
	EXPECT_EQ(KPRIO(20), f.ran_prio);
	EXPECT_EQ(1, f.cpu);
	EXPECT_EQ(0, findings_of("holder-preempted", v.high, NULL));
	report(_metadata, "PRIORITY-INVERSION pid ",
	       "A PI mutex (PTHREAD_PRIO_INHERIT) would lend the holder");
}

TEST_F_TIMEOUT(blame, priority_inversion, TIMEOUT)
{
	run_inversion(_metadata, 0);
}

TEST_F_TIMEOUT(blame, pi_mutex_no_inversion, TIMEOUT)
{
	run_inversion(_metadata, 1);
}

/* ---- lock-holder preemption --------------------------------------- */

struct lhp {
	pthread_mutex_t m;
	atomic_int locked, release, stop;
	pid_t holder, hog, w[2];
	unsigned long long hog_start;
	int err;
};

static struct lhp lh;

static void *lhp_holder(void *arg)
{
	lh.holder = lm_gettid();
	if (pthread_mutex_lock(&lh.m)) {
		lh.err = 1;
		atomic_store(&lh.locked, 1);
		return NULL;
	}
	atomic_store(&lh.locked, 1);
	spin_until(&lh.release);
	pthread_mutex_unlock(&lh.m);
	return NULL;
}

static void *lhp_waiter(void *arg)
{
	long i = (long)arg;

	lh.w[i] = lm_gettid();
	if (pthread_mutex_lock(&lh.m))
		lh.err = 1;
	else
		pthread_mutex_unlock(&lh.m);
	return NULL;
}

static void *lhp_hog(void *arg)
{
	lh.hog = lm_gettid();
	lh.hog_start = lm_now_ns();
	spin_until(&lh.stop);
	return NULL;
}

TEST_F_TIMEOUT(blame, holder_preempted, TIMEOUT)
{
	struct lm_finding_rec f;
	unsigned long long lhp_ns, seen_ns;
	pthread_t th, tw[2], tg;
	char *lhp_ms;
	bool found;
	long i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	if (!have_sched_info())
		SKIP(return, "kernel without CONFIG_SCHED_INFO: no off-CPU time");
	memset(&lh, 0, sizeof(lh));
	pthread_mutex_init(&lh.m, NULL);
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	ASSERT_EQ(0, pin(0));
	ASSERT_EQ(0, lm_fresh());
	lhp_ms = lm_read("/sys/module/lockmon/parameters/lhp_ms");
	ASSERT_NE(NULL, lhp_ms);
	lhp_ns = strtoull(lhp_ms, NULL, 10) * 1000000ULL;
	free(lhp_ms);

	ASSERT_EQ(0, start(&th, SCHED_OTHER, 0, 1, lhp_holder, NULL));
	ASSERT_TRUE(lm_wait_until(atomic_load(&lh.locked), 5000));
	ASSERT_EQ(0, lh.err);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, start(&tw[i], SCHED_OTHER, 0, 0, lhp_waiter,
				   (void *)i));
		ASSERT_TRUE(lm_wait_until(lh.w[i], 5000));
		ASSERT_TRUE(lm_wait_blocked(lh.w[i], 5000));
	}
	/* no finding while the holder runs */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(0, findings_of("holder-preempted", lh.w[0], NULL));

	ASSERT_EQ(0, start(&tg, SCHED_FIFO, 10, 1, lhp_hog, NULL));
	found = lm_wait_until(findings_of("holder-preempted", lh.w[0],
					  &f) > 0, WAIT_MS);
	seen_ns = lm_now_ns() - lh.hog_start;
	atomic_store(&lh.stop, 1);
	pthread_join(tg, NULL);
	atomic_store(&lh.release, 1);
	pthread_join(th, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(tw[i], NULL);
	munlockall();
	ASSERT_EQ(0, lh.err);
	ASSERT_TRUE(found);
	ksft_print_msg("holder %d preempted on CPU %u for %llu ms by %d (prio %d), %d waiters; the hog had run %llu ms\n",
		       f.holder, f.cpu, f.off_cpu_ns / 1000000, f.ran,
		       f.ran_prio, f.nr, seen_ns / 1000000);
	EXPECT_EQ(lh.holder, f.holder);
	EXPECT_EQ(1, f.cpu);
	EXPECT_EQ(lh.hog, f.ran);
	EXPECT_EQ(KPRIO(10), f.ran_prio);
	EXPECT_EQ(120, f.holder_prio);
	EXPECT_EQ(2, f.nr);
	EXPECT_TRUE((f.tid[0] == lh.w[0] && f.tid[1] == lh.w[1]) ||
		    (f.tid[0] == lh.w[1] && f.tid[1] == lh.w[0]));
	EXPECT_GE(f.off_cpu_ns, lhp_ns);
	EXPECT_LE(f.off_cpu_ns, seen_ns);
	EXPECT_EQ(0, findings_of("priority-inversion", lh.w[0], NULL));
	report(_metadata, "HOLDER-PREEMPTED pid ",
	       "Lock-holder preemption: the tasks below wait while the holder waits for a CPU.");
}

/* ---- a wait that starves and never ends ---------------------------- */

#define TAKERS		2
#define HANDS		64	/* hand changes while the victim waits */
#define VICTIM_BIT	1u
#define TAKER_BIT	2u

struct starve {
	_Atomic uint32_t word;		/* 0 free, 1 taken, 2 taken, waiters */
	atomic_int hands, stop;
	pid_t victim;
	unsigned long long victim_since;
	int err;
};

static struct starve sv;

static long futex_bits(int op, uint32_t val, uint32_t bits)
{
	return syscall(SYS_futex, &sv.word, op | FUTEX_PRIVATE_FLAG, val, NULL,
		       NULL, bits);
}

/* Take the lock, waiting on @bits: a plain three-state futex mutex. */
static void take(uint32_t bits)
{
	uint32_t c = 0;

	if (atomic_compare_exchange_strong(&sv.word, &c, 1))
		return;
	if (c != 2)
		c = atomic_exchange(&sv.word, 2);
	while (c) {
		futex_bits(FUTEX_WAIT_BITSET, 2, bits);
		c = atomic_exchange(&sv.word, 2);
	}
}

/* Release it, waking only the takers: the victim is never served. */
static void give(void)
{
	if (atomic_exchange(&sv.word, 0) == 2)
		futex_bits(FUTEX_WAKE_BITSET, 1, TAKER_BIT);
}

static void *taker(void *arg)
{
	while (!atomic_load(&sv.stop)) {
		take(TAKER_BIT);
		atomic_fetch_add(&sv.hands, 1);
		usleep(200);	/* the other taker blocks meanwhile */
		give();
	}
	return NULL;
}

static void *victim(void *arg)
{
	sv.victim = lm_gettid();
	sv.victim_since = lm_now_ns();
	take(VICTIM_BIT);
	give();
	return NULL;
}

TEST_F_TIMEOUT(blame, starving_wait_found_by_scan, TIMEOUT)
{
	pthread_t tt[TAKERS], tv;
	struct lm_finding_rec f;
	unsigned long long waited;
	unsigned int min_hands;
	char *starve_hands;
	int i, hands0, found;

	memset(&sv, 0, sizeof(sv));
	ASSERT_EQ(0, lm_fresh());
	/* the lock is taken by this thread, so the victim blocks at once */
	take(TAKER_BIT);
	ASSERT_EQ(0, pthread_create(&tv, NULL, victim, NULL));
	ASSERT_TRUE(lm_wait_until(sv.victim, 5000));
	ASSERT_TRUE(lm_wait_blocked(sv.victim, 5000));
	starve_hands = lm_read("/sys/module/lockmon/parameters/starve_hands");
	ASSERT_NE(NULL, starve_hands);
	min_hands = strtoul(starve_hands, NULL, 10);
	free(starve_hands);
	hands0 = atomic_load(&sv.hands);
	for (i = 0; i < TAKERS; i++)
		ASSERT_EQ(0, pthread_create(&tt[i], NULL, taker, NULL));
	give();
	/* the lock changes hands among the takers; the victim waits on */
	ASSERT_TRUE(lm_wait_until(atomic_load(&sv.hands) >= hands0 + HANDS,
				  WAIT_MS));
	found = lm_wait_until(findings_of("starvation", sv.victim, &f) > 0,
			      WAIT_MS);
	waited = lm_now_ns() - sv.victim_since;
	/* still waiting: the finding was the scan's, not its end's */
	EXPECT_TRUE(lm_task_blocked(sv.victim));
	atomic_store(&sv.stop, 1);
	for (i = 0; i < TAKERS; i++)
		pthread_join(tt[i], NULL);
	/* now serve the victim */
	futex_bits(FUTEX_WAKE_BITSET, 1, VICTIM_BIT);
	pthread_join(tv, NULL);
	ASSERT_TRUE(found);
	ksft_print_msg("victim %d: starvation found while waiting: %llu ms, %u hand changes; the test saw %llu ms and %d takes\n",
		       sv.victim, f.waited_ns / 1000000, f.hands,
		       waited / 1000000, atomic_load(&sv.hands));
	EXPECT_EQ(1, f.nr);
	EXPECT_EQ(sv.victim, f.tid[0]);
	/* the figures are the scan's, at most what the test saw by then */
	EXPECT_GE(f.hands, min_hands);
	EXPECT_LE(f.hands, (unsigned int)atomic_load(&sv.hands));
	EXPECT_LE(f.waited_ns, waited);
	/* one finding for the wait, though it ended long after */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, findings_of("starvation", sv.victim, NULL));
}

LM_HARNESS_MAIN
