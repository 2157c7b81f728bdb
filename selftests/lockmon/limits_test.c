// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon at the smallest table sizes it accepts, overflowed on purpose:
 * every drop is counted in stats, no table shows more rows than it holds,
 * and the findings that are kept name exactly the deadlocked threads.
 */
#include <sys/prctl.h>
#include "lockmon_util.h"
#include "fault_util.h"
#include "kselftest_harness.h"

/*
 * Distinct user stacks: the path down to the wait spells @bits in calls
 * through walk_a (0) and walk_b (1). The empty asm after each call keeps
 * the compiler from turning it into a jump.
 */
static void walk(int depth, unsigned int bits, uint32_t *w);

static __attribute__((noinline)) void walk_a(int depth, unsigned int bits,
					     uint32_t *w)
{
	walk(depth, bits, w);
	asm volatile("" ::: "memory");
}

static __attribute__((noinline)) void walk_b(int depth, unsigned int bits,
					     uint32_t *w)
{
	walk(depth, bits, w);
	asm volatile("" ::: "memory");
}

static __attribute__((noinline)) void walk(int depth, unsigned int bits,
					   uint32_t *w)
{
	struct timespec to = { 20, 0 };	/* the test wakes it long before */

	if (depth == 0) {
		lm_futex_wait(w, 0, &to);
		return;
	}
	if (bits & 1)
		walk_b(depth - 1, bits >> 1, w);
	else
		walk_a(depth - 1, bits >> 1, w);
	asm volatile("" ::: "memory");
}

struct waiter {
	uint32_t word;		/* a futex of its own */
	unsigned int bits;
	volatile pid_t tid;
};

/* Wait until each of @w[0..n) sleeps in futex(2), tracked or not. */
static bool all_in_futex(struct waiter *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!lm_wait_until(w[i].tid && lm_in_futex(getpid(), w[i].tid, NULL),
				   10000))
			return false;
	return true;
}

static void *wait_own(void *arg)
{
	struct waiter *w = arg;

	w->tid = lm_gettid();
	walk(7, w->bits, &w->word);
	return NULL;
}

/*
 * @n threads, each blocked on its own futex through its own stack; false
 * if one was not seen in futex(2), tracked or not, before they are woken.
 */
static bool run_waiters(struct waiter *w, int n, unsigned int first_bits)
{
	pthread_t th[256];
	bool all;
	int i;

	for (i = 0; i < n; i++) {
		w[i].word = 0;
		w[i].tid = 0;
		w[i].bits = first_bits + i;
		pthread_create(&th[i], NULL, wait_own, &w[i]);
	}
	all = all_in_futex(w, n);
	for (i = 0; i < n; i++) {
		__atomic_store_n(&w[i].word, 1, __ATOMIC_SEQ_CST);
		lm_futex_wake(&w[i].word, 1);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return all;
}

/* Every finding is a cycle over exactly one of the known pairs. */
static int check_findings(struct __test_metadata *_metadata,
			  pid_t pairs[][2], int npairs)
{
	struct lm_finding_rec f[16];
	int n = lm_findings(f, 16), i, p;

	for (i = 0; i < n; i++) {
		bool ok = false;

		for (p = 0; p < npairs && !ok; p++)
			ok = lm_finding_is(&f[i], "cycle", pairs[p], 2);
		EXPECT_TRUE(ok) TH_LOG("finding %llu kind=%s tids %d,%d is not one of ours",
				       f[i].seq, f[i].kind, f[i].tid[0], f[i].tid[1]);
	}
	return n;
}

struct pairs {
	pthread_mutex_t m[8][2];
	pthread_barrier_t go[8];
	volatile pid_t tid[8][2];
	volatile int started[8];
};

static void *pair_thread(void *arg)
{
	struct pairs *p = arg;
	static int next;
	int k = __atomic_fetch_add(&next, 1, __ATOMIC_SEQ_CST);
	int pair = k / 2, me = k % 2;

	pthread_mutex_lock(&p->m[pair][me]);
	p->tid[pair][me] = lm_gettid();
	pthread_barrier_wait(&p->go[pair]);
	pthread_mutex_lock(&p->m[pair][!me]);
	return NULL;
}

/* Start deadlocked pair number @pair (0, 1, ... in order) in this process. */
static void start_pair(struct pairs *p, int pair)
{
	pthread_t th;

	pthread_mutex_init(&p->m[pair][0], NULL);
	pthread_mutex_init(&p->m[pair][1], NULL);
	pthread_barrier_init(&p->go[pair], NULL, 2);
	pthread_create(&th, NULL, pair_thread, p);
	pthread_create(&th, NULL, pair_thread, p);
	while (!p->tid[pair][0] || !p->tid[pair][1])
		lm_sleep_ms(1);
}

FIXTURE(small) {
	struct pairs *p;
	pid_t child;
};

FIXTURE_SETUP(small)
{
	if (lm_loaded())
		ASSERT_EQ(0, mod_unload());
	self->child = 0;
}

FIXTURE_TEARDOWN(small)
{
	lm_kill(self->child);
	if (lm_loaded())
		mod_unload();
	mod_load(NULL);
}

TEST_F_TIMEOUT(small, tables_at_minimum_size, 180)
{
	static const char *const tiny[] = {
		"max_tasks=8", "max_futexes=8", "max_stacks=4", "max_findings=0",
	};
	unsigned long long full, f0, fdrops, sdrops, kept;
	struct lm_table *t;
	pid_t pairs[3][2];
	struct waiter *w;
	int i, n, r;

	/* below the documented minimums is refused, not silently rounded */
	for (i = 0; i < (int)ARRAY_SIZE(tiny); i++)
		EXPECT_EQ(-EINVAL, mod_load(tiny[i])) TH_LOG("%s refused", tiny[i]);
	ASSERT_FALSE(lm_loaded());
	ASSERT_EQ(0, mod_load("max_tasks=64 max_futexes=64 max_stacks=64 max_findings=2"));
	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(64, stat_of("max_tasks"));
	ASSERT_EQ(2, stat_of("max_findings"));

	/* three deadlocked pairs; only two findings are kept */
	self->p = lm_shared(sizeof(*self->p));
	ASSERT_NE(NULL, self->p);
	self->child = fork();
	if (!self->child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (i = 0; i < 3; i++)
			start_pair(self->p, i);
		for (;;)
			pause();
	}
	ASSERT_TRUE(lm_wait_until(self->p->tid[2][1], 10000));
	for (i = 0; i < 3; i++) {
		pairs[i][0] = self->p->tid[i][0];
		pairs[i][1] = self->p->tid[i][1];
	}
	ASSERT_TRUE(lm_wait_until(stat_of("findings") >= 3, 10000))
		TH_LOG("findings: %llu", stat_of("findings"));
	EXPECT_LE(1, stat_of("findings_dropped"));
	EXPECT_EQ(2, check_findings(_metadata, pairs, 3));
	/* a finding pushed out of the ring must not come back on every
	 * scan: that would fill the log while the deadlocks last */
	f0 = stat_of("findings");
	ASSERT_TRUE(lm_wait_scans(5));
	EXPECT_EQ(f0, stat_of("findings"))
		TH_LOG("3 live deadlocks, max_findings=2: findings %llu -> %llu in 5 scans",
		       f0, stat_of("findings"));

	/* 8 waves of 16 waiters: 128 futexes and 128 stacks into 64 slots */
	w = calloc(256, sizeof(*w));
	ASSERT_NE(NULL, w);
	fdrops = stat_of("futex_table_full");
	sdrops = stat_of("stacks_dropped");
	for (i = 0; i < 8; i++)
		ASSERT_TRUE(run_waiters(w + i * 16, 16, i * 16)) TH_LOG("wave %d", i);
	fdrops = stat_of("futex_table_full") - fdrops;
	sdrops = stat_of("stacks_dropped") - sdrops;
	ksft_print_msg("waves: futex_table_full +%llu, stacks_captured %llu, stacks_dropped +%llu\n",
		       fdrops, stat_of("stacks_captured"), sdrops);
	/*
	 * Each of the 128 futexes had one blocking wait: it is a locks row
	 * or was counted as dropped. Other futexes only add to the count.
	 */
	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	for (i = n = 0; i < 128; i++)
		n += lm_find_lock(t, getpid(), &w[i].word, sizeof(w[i].word)) >= 0;
	ksft_print_msg("128 futexes: %d in locks (%d rows), %llu dropped\n",
		       n, t->nrows, fdrops);
	EXPECT_LE((unsigned long long)(128 - n), fdrops);
	lm_table_free(t);
	/* the same for the 128 distinct stacks, all of this process */
	t = lm_table("stacks");
	ASSERT_NE(NULL, t);
	for (r = n = 0; r < t->nrows; r++)
		n += (pid_t)lm_ucell(t, r, "tgid") == getpid();
	ksft_print_msg("128 stacks: %d rows of this process (%d rows), %llu dropped\n",
		       n, t->nrows, sdrops);
	EXPECT_LE(128, (unsigned long long)n + sdrops);
	lm_table_free(t);

	/* 200 waiters at once: more tasks than the table holds */
	full = stat_of("task_table_full");
	{
		pthread_t th[200];

		for (i = 0; i < 200; i++) {
			w[i].word = 0;
			w[i].tid = 0;
			w[i].bits = i;
			pthread_create(&th[i], NULL, wait_own, &w[i]);
		}
		ASSERT_TRUE(all_in_futex(w, 200));
		t = lm_table("tasks");
		ASSERT_NE(NULL, t);
		full = stat_of("task_table_full") - full;
		/* every tracked row is a real waiter: ours or a pair thread */
		for (r = kept = 0; r < t->nrows; r++) {
			pid_t tid = (pid_t)lm_ucell(t, r, "tid");
			pid_t tgid = (pid_t)lm_ucell(t, r, "tgid");
			bool ours = tgid != getpid() && tgid != self->child;

			for (n = 0; n < 200 && !ours; n++)
				kept += ours = w[n].tid == tid;
			for (n = 0; n < 3 && !ours; n++)
				ours = pairs[n][0] == tid || pairs[n][1] == tid;
			EXPECT_TRUE(ours) TH_LOG("tasks row for tid %d: not a waiter of ours", tid);
		}
		ksft_print_msg("200 waiters: %llu tracked (%d rows), task_table_full +%llu\n",
			       kept, t->nrows, full);
		/* each of the 200 in futex(2) is a tasks row or counted */
		EXPECT_LE(200, kept + full);
		lm_table_free(t);
		for (i = 0; i < 200; i++) {
			__atomic_store_n(&w[i].word, 1, __ATOMIC_SEQ_CST);
			lm_futex_wake(&w[i].word, 1);
		}
		for (i = 0; i < 200; i++)
			pthread_join(th[i], NULL);
	}
	/* the findings are still exactly about the three pairs */
	EXPECT_EQ(2, check_findings(_metadata, pairs, 3));
	free(w);
}

LM_HARNESS_MAIN
