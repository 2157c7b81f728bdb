// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon-report must not disturb what it measures. A workload holds a
 * deadlocked pair (each thread blocked on the mutex the other holds) and a
 * holder asleep in read() under a mutex another thread waits on. The test
 * reads every wait's start (the tasks file's wait_ns against the clock)
 * and each lock's counters, runs top --once, tasks, graph and deadlocks,
 * and reads them again: a reporter that stopped a thread (ptrace, a
 * signal) would have ended its futex wait with a signal and begun another,
 * moving the start and counting it in signals and blocked.
 *
 * LOCKMON_REPORTER=PATH runs another build of the reporter (to check the
 * test against an older one).
 */
#include "lockmon_util.h"
#include <stdarg.h>
#include "kselftest_harness.h"

#define OUT	"/tmp/lmr_quiet_out"
#define ERR	"/tmp/lmr_quiet_err"

enum { T_A, T_B, T_HOLDER, T_WAITER, NR_T };

/* Shared with the workload child. */
struct quiet {
	pthread_mutex_t m[3];		/* A holds 0, B holds 1, holder 2 */
	pthread_barrier_t pair;
	int pipe[2];			/* the holder reads it: never written */
	pid_t tid[NR_T];
	uint64_t lock_call_ns[NR_T];	/* just before the blocking lock */
	int ready;
};

static struct quiet *q;

static void *pair_thread(void *arg)
{
	int me = (int)(long)arg, mine = me == T_A ? 0 : 1;

	q->tid[me] = lm_gettid();
	pthread_mutex_lock(&q->m[mine]);
	pthread_barrier_wait(&q->pair);
	q->lock_call_ns[me] = lm_now_ns();
	__atomic_add_fetch(&q->ready, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&q->m[1 - mine]);	/* never returns */
	return NULL;
}

static void *holder_thread(void *arg)
{
	char c;

	q->tid[T_HOLDER] = lm_gettid();
	pthread_mutex_lock(&q->m[2]);
	__atomic_add_fetch(&q->ready, 1, __ATOMIC_RELEASE);
	if (read(q->pipe[0], &c, 1) < 0)	/* asleep, not in a futex */
		return NULL;
	return arg;
}

static void *waiter_thread(void *arg)
{
	q->tid[T_WAITER] = lm_gettid();
	while (__atomic_load_n(&q->ready, __ATOMIC_ACQUIRE) < 3)
		usleep(1000);
	q->lock_call_ns[T_WAITER] = lm_now_ns();
	__atomic_add_fetch(&q->ready, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&q->m[2]);		/* never returns */
	return arg;
}

static void workload(void)
{
	pthread_t th[NR_T];

	pthread_create(&th[T_A], NULL, pair_thread, (void *)(long)T_A);
	pthread_create(&th[T_B], NULL, pair_thread, (void *)(long)T_B);
	pthread_create(&th[T_HOLDER], NULL, holder_thread, NULL);
	pthread_create(&th[T_WAITER], NULL, waiter_thread, NULL);
	pthread_join(th[T_A], NULL);
	_exit(0);
}

static const char *reporter(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("LOCKMON_REPORTER");

	return env ? env : lm_beside_exe(path, sizeof(path),
					 "../../user/lockmon-report");
}

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 64, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	strcat(cmd, " >" OUT " 2>" ERR " </dev/null");
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* What the module shows of the workload's waits and locks at one moment. */
struct seen {
	uint64_t start_lo[NR_T], start_hi[NR_T];	/* where each wait began */
	unsigned long long blocked[3], signals[3], timeouts[3], again[3];
	unsigned long long waiters[3];
	bool ok;
};

static const int waiting[] = { T_A, T_B, T_WAITER };
static const int lock_of[] = { 1, 0, 2 };	/* the lock each one waits on */

static void look(pid_t pid, struct seen *s)
{
	struct lm_table *t;
	uint64_t t0, t1;
	unsigned int i;
	int r, found = 0;

	memset(s, 0, sizeof(*s));
	t0 = lm_now_ns();
	t = lm_table("tasks");
	t1 = lm_now_ns();
	if (!t)
		return;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < ARRAY_SIZE(waiting); i++) {
			unsigned long long w = lm_ucell(t, r, "wait_ns");

			if (lm_ucell(t, r, "tid") != (unsigned long long)q->tid[waiting[i]])
				continue;
			/* the module's clock is CLOCK_MONOTONIC's */
			s->start_lo[waiting[i]] = t0 - w;
			s->start_hi[waiting[i]] = t1 - w;
			found++;
		}
	lm_table_free(t);
	t = lm_table("locks");
	if (!t)
		return;
	for (i = 0; i < 3; i++) {
		r = lm_find_lock(t, pid, &q->m[i], sizeof(q->m[i]));
		if (r < 0) {
			lm_table_free(t);
			return;
		}
		s->blocked[i] = lm_ucell(t, r, "blocked");
		s->signals[i] = lm_ucell(t, r, "signals");
		s->timeouts[i] = lm_ucell(t, r, "timeouts");
		s->again[i] = lm_ucell(t, r, "again");
		s->waiters[i] = lm_ucell(t, r, "waiters");
	}
	lm_table_free(t);
	s->ok = found == (int)ARRAY_SIZE(waiting);
}

/* Every waiting thread blocked for at least @ms, each lock's owner known. */
static bool settled(pid_t pid, unsigned int ms)
{
	struct lm_table *t = lm_table("tasks");
	unsigned int i, old = 0;
	int r;

	for (r = 0; t && r < t->nrows; r++)
		for (i = 0; i < ARRAY_SIZE(waiting); i++)
			old += lm_ucell(t, r, "tid") ==
				       (unsigned long long)q->tid[waiting[i]] &&
			       lm_ucell(t, r, "wait_ns") >= ms * 1000000ULL &&
			       lm_ucell(t, r, "owner") > 0;
	if (t)
		lm_table_free(t);
	return old == ARRAY_SIZE(waiting);
}

static char *out_text(void)
{
	return lm_read(OUT);
}

/* Did the wait of thread @w begin at the same moment in @a and @b? */
static bool same_start(const struct seen *a, const struct seen *b, int w)
{
	const uint64_t slack = 2000000;	/* two clock reads, not a restart */

	return b->start_lo[w] <= a->start_hi[w] + slack &&
	       a->start_lo[w] <= b->start_hi[w] + slack;
}

TEST(views_leave_waits_alone)
{
	static const char *const cmds[] = {
		"top --once", "tasks", "graph", "deadlocks",
	};
	struct seen before, after;
	char want[160], *text;
	unsigned int i, k;
	pid_t pid;
	int w;

	ASSERT_EQ(0, lm_fresh());
	q = lm_shared(sizeof(*q));
	ASSERT_NE(NULL, q);
	for (i = 0; i < 3; i++)
		pthread_mutex_init(&q->m[i], NULL);
	pthread_barrier_init(&q->pair, NULL, 2);
	ASSERT_EQ(0, pipe(q->pipe));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		workload();
	ASSERT_TRUE(lm_wait_until(__atomic_load_n(&q->ready, __ATOMIC_ACQUIRE) == 4,
				  10000));
	/* old enough that a restarted wait could not pass for the same one */
	ASSERT_TRUE(lm_wait_until(settled(pid, 200), 10000));
	look(pid, &before);
	ASSERT_TRUE(before.ok);
	for (i = 0; i < ARRAY_SIZE(waiting); i++) {
		w = waiting[i];
		/* ground truth: the wait began after the thread's lock call */
		EXPECT_LE(q->lock_call_ns[w], before.start_hi[w] + 2000000)
			TH_LOG("thread %d: wait began before its lock call", q->tid[w]);
		EXPECT_EQ(1, before.waiters[lock_of[i]]);
	}

	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		EXPECT_EQ(0, run("%s %s -p %d", reporter(), cmds[k], pid))
			TH_LOG("%s %s failed", reporter(), cmds[k]);
		text = out_text();
		ASSERT_NE(NULL, text);
		EXPECT_NE(0, strlen(text)) TH_LOG("%s printed nothing", cmds[k]);
		if (k == 0) {
			/* the pair's holders: the module's stack, no unwind */
			for (w = T_A; w <= T_B; w++) {
				snprintf(want, sizeof(want),
					 "/%d (glibc-owner) is blocked on ", q->tid[w]);
				EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
			}
			snprintf(want, sizeof(want),
				 "/%d (glibc-owner) is at:\n        not in a futex wait (state S): no stack without stopping it",
				 q->tid[T_HOLDER]);
			EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
		}
		if (k == 1) {
			snprintf(want, sizeof(want), "\n%d ", q->tid[T_WAITER]);
			EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
		}
		if (k == 3)
			EXPECT_NE(NULL, strstr(text, "*** DEADLOCK ***")) TH_LOG("%s", text);
		free(text);
	}

	look(pid, &after);
	ASSERT_TRUE(after.ok) TH_LOG("a waiting thread left the tasks file");
	for (i = 0; i < ARRAY_SIZE(waiting); i++) {
		w = waiting[i];
		EXPECT_TRUE(same_start(&before, &after, w))
			TH_LOG("thread %d: wait began %.3f..%.3f s ago, then %.3f..%.3f",
			       q->tid[w],
			       (lm_now_ns() - before.start_hi[w]) / 1e9,
			       (lm_now_ns() - before.start_lo[w]) / 1e9,
			       (lm_now_ns() - after.start_hi[w]) / 1e9,
			       (lm_now_ns() - after.start_lo[w]) / 1e9);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(before.signals[i], after.signals[i]) TH_LOG("lock %u: signals", i);
		EXPECT_EQ(before.blocked[i], after.blocked[i]) TH_LOG("lock %u: blocked", i);
		EXPECT_EQ(before.timeouts[i], after.timeouts[i]) TH_LOG("lock %u: timeouts", i);
		EXPECT_EQ(before.again[i], after.again[i]) TH_LOG("lock %u: again", i);
		EXPECT_EQ(1, after.waiters[i]) TH_LOG("lock %u: waiters", i);
	}
	lm_kill(pid);
	munmap(q, sizeof(*q));
}

LM_HARNESS_MAIN
