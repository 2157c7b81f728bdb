// SPDX-License-Identifier: GPL-2.0
/*
 * Fairness figures of the locks file: rewaits (a woken waiter that lost
 * the lock to a newcomer and blocked again) and starve_ns (the longest
 * wait during which starve_hands other waiters were woken), against
 * programs that count their own waits: a barging futex mutex and a fair
 * ticket lock.
 */
#include "lockmon_util.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include "kselftest_harness.h"

#define STARVE_HANDS "/sys/module/lockmon/parameters/starve_hands"
#define STARVE_FACTOR "/sys/module/lockmon/parameters/starve_factor"

static int set_param(const char *path, unsigned int k)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f)
		return -1;
	bad = fprintf(f, "%u\n", k) < 0;
	return fclose(f) || bad ? -1 : 0;
}

static int set_starve_hands(unsigned int k)
{
	return set_param(STARVE_HANDS, k);
}

#define NTHREADS 6
#define K_HANDS 4
#define N_FACTOR 2	/* starve_factor: the smallest it takes */

static pthread_barrier_t go;

/*
 * A futex mutex (0 free, 1 locked, 2 locked with waiters) whose woken
 * waiter races newcomers for the word: it re-takes with xchg, and blocks
 * again if one got in first. Each thread counts its blocking waits and,
 * of those, the ones after a woken wait within the same lock call: the
 * re-waits lockmon must see.
 */
struct bmutex {
	uint32_t word;
	uint32_t pad[15];
	uint64_t blocked, rewaits, longest_ns;
	uint64_t woken;		/* waiters its unlocks woke: the hand changes */
};

/*
 * Each blocking wait as the program saw it: how long the futex wait
 * lasted and how many waiters were woken meanwhile.
 */
#define BM_WAITS 65536

struct bwait {
	uint64_t ns, hands;
	pid_t tid;
};

static struct bwait bwaits[BM_WAITS];
static unsigned int nr_bwaits;
static pid_t bm_tids[NTHREADS];
static unsigned int nr_bm_tids;

static struct bmutex bm __attribute__((aligned(64)));

static void bm_lock(struct bmutex *m)
{
	uint64_t t0 = lm_now_ns(), ns;
	bool woken = false;
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(&m->word, &c, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
	while (c) {
		uint64_t w0 = lm_now_ns();
		uint64_t h0 = __atomic_load_n(&m->woken, __ATOMIC_ACQUIRE);

		if (lm_futex_wait(&m->word, 2, NULL) == 0) {
			unsigned int k = __atomic_fetch_add(&nr_bwaits, 1,
							    __ATOMIC_RELAXED);

			if (k < BM_WAITS) {
				bwaits[k].ns = lm_now_ns() - w0;
				/* less its own wake, counted by its waker */
				bwaits[k].hands = __atomic_load_n(&m->woken,
						__ATOMIC_ACQUIRE) - h0 - 1;
				bwaits[k].tid = lm_gettid();
			}
			__atomic_fetch_add(&m->blocked, 1, __ATOMIC_RELAXED);
			if (woken)
				__atomic_fetch_add(&m->rewaits, 1,
						   __ATOMIC_RELAXED);
			woken = true;
		}
		c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
	}
	/* under the lock: the longest lock call bounds any one wait */
	ns = lm_now_ns() - t0;
	if (ns > m->longest_ns)
		m->longest_ns = ns;
}

static void bm_unlock(struct bmutex *m)
{
	int n;

	if (__atomic_exchange_n(&m->word, 0, __ATOMIC_RELEASE) == 2) {
		n = lm_futex_wake(&m->word, 1);
		if (n > 0)
			__atomic_fetch_add(&m->woken, n, __ATOMIC_RELEASE);
	}
}

#define BM_ITERS 500

static void *bm_worker(void *arg)
{
	const struct timespec hold = { 0, 20000 };
	int i;

	(void)arg;
	bm_tids[__atomic_fetch_add(&nr_bm_tids, 1, __ATOMIC_RELAXED)] =
		lm_gettid();
	pthread_barrier_wait(&go);
	for (i = 0; i < BM_ITERS; i++) {
		bm_lock(&bm);
		/* long enough for the others to queue */
		nanosleep(&hold, NULL);
		bm_unlock(&bm);	/* and at once again */
	}
	return NULL;
}

/*
 * A ticket lock: a waiter spins a little on the turn word, then sleeps
 * on it with its ticket's bit; the holder wakes only the next ticket's
 * waiter, which then always gets the lock. Each thread counts the waits
 * it woke from before its turn (none expected).
 *
 * The holder sleeps while it holds the lock, so the others run then and
 * queue behind it whatever the kernel's speed. A hold that only spun
 * left contention to where the scheduler tick fell: on the debug kernel
 * an unlock's FUTEX_WAKE costs far more than the hold, so a tick mostly
 * came during that syscall and the thread was switched out at its exit,
 * just after the unlock. The four threads then took turns for 50 ms
 * without one finding the lock held (0 blocking waits, 2 runs in 6).
 */
struct tlock {
	uint32_t next;
	uint32_t pad[15];
	uint32_t turn;
	uint32_t pad2[15];
	uint64_t blocked, early;
};

static struct tlock tl __attribute__((aligned(64)));

static void tl_lock(struct tlock *l)
{
	uint32_t my = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED), cur;
	unsigned int spins = 0;

	while ((cur = __atomic_load_n(&l->turn, __ATOMIC_ACQUIRE)) != my) {
		if (spins++ < 200)
			continue;
		if (syscall(SYS_futex, &l->turn, FUTEX_WAIT_BITSET_PRIVATE,
			    cur, NULL, NULL, 1u << (my % 32)) == 0) {
			__atomic_fetch_add(&l->blocked, 1, __ATOMIC_RELAXED);
			if (__atomic_load_n(&l->turn, __ATOMIC_ACQUIRE) != my)
				__atomic_fetch_add(&l->early, 1,
						   __ATOMIC_RELAXED);
		}
	}
}

static void tl_unlock(struct tlock *l)
{
	uint32_t t = __atomic_load_n(&l->turn, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&l->turn, t, __ATOMIC_RELEASE);
	syscall(SYS_futex, &l->turn, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX,
		NULL, NULL, 1u << (t % 32));
}

#define TL_THREADS 4	/* under K_HANDS: a fair wait sees 3 hand changes */
#define TL_ITERS 500

static void *tl_worker(void *arg)
{
	const struct timespec hold = { 0, 20000 };
	int i;

	(void)arg;
	pthread_barrier_wait(&go);
	for (i = 0; i < TL_ITERS; i++) {
		tl_lock(&tl);
		/* off the CPU holding it: the others queue and sleep */
		nanosleep(&hold, NULL);
		tl_unlock(&tl);
	}
	return NULL;
}

static int run(void *(*fn)(void *), int n)
{
	pthread_t th[NTHREADS];
	int i;

	if (pthread_barrier_init(&go, NULL, n))
		return -1;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, fn, NULL))
			return -1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	return 0;
}

TEST(barging_mutex_rewaits_and_starvation)
{
	unsigned long long rewaits, starve, hands, max;
	struct lm_table *t;
	int row;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, set_starve_hands(K_HANDS));
	memset(&bm, 0, sizeof(bm));
	ASSERT_EQ(0, run(bm_worker, NTHREADS));
	EXPECT_EQ(0, set_starve_hands(8));

	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	row = lm_find_lock(t, getpid(), &bm.word, 4);
	ASSERT_LE(0, row);
	rewaits = lm_ucell(t, row, "rewaits");
	starve = lm_ucell(t, row, "starve_ns");
	hands = lm_ucell(t, row, "starve_hands");
	max = lm_ucell(t, row, "max_ns");
	ksft_print_msg("self-counted: blocked %llu rewaits %llu longest lock %llu ns\n",
		       (unsigned long long)bm.blocked,
		       (unsigned long long)bm.rewaits,
		       (unsigned long long)bm.longest_ns);
	ksft_print_msg("lockmon: blocked %llu rewaits %llu starve %llu ns over %llu hands, max %llu ns\n",
		       lm_ucell(t, row, "blocked"), rewaits, starve, hands, max);
	/* the workload must barge, or this test shows nothing */
	ASSERT_LT(20, bm.rewaits);
	EXPECT_EQ(bm.blocked, lm_ucell(t, row, "blocked"));
	/* the same order: a wake seen in between can hide one */
	EXPECT_LE(bm.rewaits / 4, rewaits);
	EXPECT_GE(2 * bm.rewaits + 16, rewaits);
	/* a wait of many hand changes, no longer than a lock call */
	EXPECT_LT(0, starve);
	EXPECT_LE(K_HANDS, hands);
	EXPECT_GE(max, starve);
	EXPECT_GE(bm.longest_ns, starve);
	lm_table_free(t);
}

TEST(fair_ticket_lock_is_quiet)
{
	unsigned long long blocked, rewaits;
	struct lm_table *t;
	int row;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, set_starve_hands(K_HANDS));
	memset(&tl, 0, sizeof(tl));
	ASSERT_EQ(0, run(tl_worker, TL_THREADS));
	EXPECT_EQ(0, set_starve_hands(8));

	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	row = lm_find_lock(t, getpid(), &tl.turn, 4);
	ASSERT_LE(0, row);
	blocked = lm_ucell(t, row, "blocked");
	rewaits = lm_ucell(t, row, "rewaits");
	ksft_print_msg("self-counted: blocked %llu woken early %llu\n",
		       (unsigned long long)tl.blocked,
		       (unsigned long long)tl.early);
	ksft_print_msg("lockmon: blocked %llu rewaits %llu starve %llu ns over %llu hands\n",
		       blocked, rewaits, lm_ucell(t, row, "starve_ns"),
		       lm_ucell(t, row, "starve_hands"));
	/* it contended: threads slept for their turn */
	ASSERT_LT(20, tl.blocked);
	EXPECT_EQ(tl.blocked, blocked);
	/* a woken waiter always has its turn: few or no re-waits */
	EXPECT_GE(tl.early + blocked / 20 + 2, rewaits);
	/* no wait saw K_HANDS others woken */
	EXPECT_EQ(0, lm_ucell(t, row, "starve_ns"));
	lm_table_free(t);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Starvation findings on @word of this process, checked one by one. */
static int starvation_findings(struct __test_metadata *_metadata,
			       const void *word)
{
	static struct lm_finding_rec f[64];
	char *buf = lm_read_lm("deadlocks");
	int n = lm_findings(f, 64), i, c = 0;

	if (buf)
		printf("%s", buf);
	free(buf);
	for (i = 0; i < n; i++) {
		bool ours = false;
		unsigned int k;

		if (strcmp(f[i].kind, "starvation") || f[i].nr != 1 ||
		    f[i].tgid[0] != getpid() ||
		    f[i].uaddr[0] != (uintptr_t)word)
			continue;
		for (k = 0; k < nr_bm_tids; k++)
			ours |= f[i].tid[0] == bm_tids[k];
		EXPECT_TRUE(ours);
		c++;
	}
	return c;
}

/*
 * The barging mutex starves: some waits last N_FACTOR times the median
 * wait while K_HANDS other waiters are woken. The program counts those
 * waits itself; lockmon must make a starvation finding for the lock,
 * naming one of its threads, no longer than the longest wait it saw.
 */
TEST(barging_mutex_starvation_finding)
{
	static uint64_t ns[BM_WAITS];
	static struct lm_finding_rec f[64];
	unsigned int i, n, starved = 0;
	uint64_t median, longest = 0;
	int found, j;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, set_starve_hands(K_HANDS));
	ASSERT_EQ(0, set_param(STARVE_FACTOR, N_FACTOR));
	memset(&bm, 0, sizeof(bm));
	nr_bwaits = 0;
	nr_bm_tids = 0;
	ASSERT_EQ(0, run(bm_worker, NTHREADS));
	EXPECT_EQ(0, set_starve_hands(8));
	EXPECT_EQ(0, set_param(STARVE_FACTOR, 8));

	n = nr_bwaits < BM_WAITS ? nr_bwaits : BM_WAITS;
	ASSERT_LT(20, n);
	for (i = 0; i < n; i++) {
		ns[i] = bwaits[i].ns;
		if (bwaits[i].ns > longest)
			longest = bwaits[i].ns;
	}
	qsort(ns, n, sizeof(ns[0]), cmp_u64);
	median = ns[n / 2];
	for (i = 0; i < n; i++)
		if (bwaits[i].hands >= K_HANDS &&
		    bwaits[i].ns >= N_FACTOR * median)
			starved++;
	ksft_print_msg("self-counted: %u waits, median %llu ns, longest %llu ns, %u of %u+ hands and %ux the median\n",
		       n, (unsigned long long)median,
		       (unsigned long long)longest, starved, K_HANDS, N_FACTOR);
	/* the workload must starve someone, or this test shows nothing */
	ASSERT_LT(0, starved);
	found = starvation_findings(_metadata, &bm.word);
	ksft_print_msg("lockmon: %d starvation findings\n", found);
	EXPECT_LT(0, found);
	n = lm_findings(f, 64);
	for (j = 0; j < (int)n; j++) {
		if (strcmp(f[j].kind, "starvation"))
			continue;
		/* the finding's wait was one of ours: no longer than ours */
		EXPECT_GE(longest + longest / 10 + 1000000, f[j].latency_ns);
	}
}

/* The ticket lock serves waiters in turn: no starvation finding. */
TEST(fair_ticket_lock_no_starvation_finding)
{
	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, set_starve_hands(K_HANDS));
	ASSERT_EQ(0, set_param(STARVE_FACTOR, N_FACTOR));
	memset(&tl, 0, sizeof(tl));
	ASSERT_EQ(0, run(tl_worker, TL_THREADS));
	EXPECT_EQ(0, set_starve_hands(8));
	EXPECT_EQ(0, set_param(STARVE_FACTOR, 8));
	ksft_print_msg("self-counted: blocked %llu woken early %llu\n",
		       (unsigned long long)tl.blocked,
		       (unsigned long long)tl.early);
	/* it contended, or a quiet file shows nothing */
	ASSERT_LT(20, tl.blocked);
	/* every wait has ended: a finding would be in the file already */
	EXPECT_EQ(0, lm_count_findings("starvation", getpid()));
}

LM_HARNESS_MAIN
