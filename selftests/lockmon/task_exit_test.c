// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks that come and go: 100k short-lived contending threads, and waiters
 * and owners that fork, exec, exit or are killed in the middle of a wait.
 * Afterwards lockmon's tasks file holds no row for a thread that is gone,
 * its task table has room again, and a lock whose owner was killed is
 * reported as an orphan.
 *
 * LOCKMON_CHURN_BATCHES sets the number of 1000-thread batches (default 100).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include "lockmon_util.h"
#include "fault_util.h"
#include "kselftest_harness.h"

/* Is @tid a live thread of @tgid? */
static bool alive(pid_t tgid, pid_t tid)
{
	return syscall(SYS_tgkill, tgid, tid, 0) == 0;
}

/*
 * Rows of the tasks file whose thread no longer exists (or whose TID now
 * belongs to another process). @tgid limits the count to one process when
 * not 0. Prints each stale row.
 */
static int stale_rows(pid_t tgid)
{
	struct lm_table *t = lm_table("tasks");
	int r, n = 0;

	if (!t)
		return -1;
	for (r = 0; r < t->nrows; r++) {
		pid_t tid = (pid_t)lm_ucell(t, r, "tid");
		pid_t tg = (pid_t)lm_ucell(t, r, "tgid");

		if (tgid && tg != tgid)
			continue;
		if (!alive(tg, tid)) {
			ksft_print_msg("stale tasks row: tid %d tgid %d futex %s\n",
				       tid, tg, lm_cell(t, r, "futex"));
			n++;
		}
	}
	lm_table_free(t);
	return n;
}

/* Rows of the tasks file for process @tgid. */
static int rows_of(pid_t tgid)
{
	struct lm_table *t = lm_table("tasks");
	int r, n = 0;

	if (!t)
		return -1;
	for (r = 0; r < t->nrows; r++)
		n += (pid_t)lm_ucell(t, r, "tgid") == tgid;
	lm_table_free(t);
	return n;
}

/* ---- 100k short-lived threads ---------------------------------------- */

struct churn {
	pthread_mutex_t m[4];
	volatile unsigned long ops;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	pthread_mutex_t *m = &c->m[lm_gettid() % 4];
	int i;

	for (i = 0; i < 4; i++) {
		pthread_mutex_lock(m);
		c->ops++;
		sched_yield();		/* hold it across a switch: others block */
		pthread_mutex_unlock(m);
	}
	return NULL;
}

/* Waiters on futexes of their own, to see whether the table has room. */
struct probe_waiter {
	uint32_t word;
	volatile pid_t tid;
};

static void *probe_wait(void *arg)
{
	struct probe_waiter *w = arg;
	struct timespec to = { 20, 0 };

	w->tid = lm_gettid();
	while (!__atomic_load_n(&w->word, __ATOMIC_SEQ_CST))
		lm_futex_wait(&w->word, 0, &to);
	return NULL;
}

#define PROBES 64

FIXTURE(churn) {
};

FIXTURE_SETUP(churn)
{
	if (lm_loaded())
		ASSERT_EQ(0, mod_unload());
	/* 1024 slots: a leak of 1% of 100k threads would fill it */
	ASSERT_EQ(0, mod_load("max_tasks=1024"));
	ASSERT_EQ(0, lm_fresh());
}

FIXTURE_TEARDOWN(churn)
{
	if (lm_loaded())
		mod_unload();
	mod_load(NULL);
}

TEST_F_TIMEOUT(churn, hundred_thousand_threads_leave_nothing, 600)
{
	int batches = lm_scaled("LOCKMON_CHURN_BATCHES", 100), b, i;
	struct probe_waiter *pw = calloc(PROBES, sizeof(*pw));
	struct churn *c = calloc(1, sizeof(*c));
	pthread_t *th = calloc(1000, sizeof(*th)), pth[PROBES];
	unsigned long long full, blocked;
	pthread_attr_t attr;
	uint64_t t0 = lm_now_ns();

	ASSERT_LT(0, batches);
	ASSERT_TRUE(pw && c && th);
	for (i = 0; i < 4; i++)
		pthread_mutex_init(&c->m[i], NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (b = 0; b < batches; b++) {
		for (i = 0; i < 1000; i++)
			ASSERT_EQ(0, pthread_create(&th[i], &attr, churn_thread, c))
				TH_LOG("batch %d thread %d", b, i);
		for (i = 0; i < 1000; i++)
			pthread_join(th[i], NULL);
		if (b == 0 || (b + 1) % 25 == 0)
			ksft_print_msg("batch %d done at %.1f s\n", b + 1,
				       (lm_now_ns() - t0) / 1e9);
	}
	blocked = stat_of("blocked");
	full = stat_of("task_table_full");
	ksft_print_msg("%d threads in %.1f s: %llu blocking waits, %llu tracked tasks exited, task_table_full %llu\n",
		       batches * 1000, (lm_now_ns() - t0) / 1e9, blocked,
		       stat_of("tasks_exited"), full);
	/*
	 * the churn contended for real, and lockmon saw it: 1 % of the
	 * threads at least (on Debian's kernel, 100 batches give thousands;
	 * the debug kernel's 10, 554 waits and 337 exits)
	 */
	EXPECT_LT(batches * 10, blocked);
	EXPECT_LT(batches * 10, stat_of("tasks_exited"));
	/* no row for any of the dead threads */
	EXPECT_EQ(0, rows_of(getpid()));
	EXPECT_EQ(0, stale_rows(0));

	/* the table has room: 64 new waiters are all tracked, none dropped */
	for (i = 0; i < PROBES; i++)
		ASSERT_EQ(0, pthread_create(&pth[i], NULL, probe_wait, &pw[i]));
	for (i = 0; i < PROBES; i++)
		ASSERT_TRUE(lm_wait_until(pw[i].tid &&
					  lm_task_waits_on(pw[i].tid, &pw[i].word, 4),
					  10000))
			TH_LOG("waiter %d not in the tasks file", i);
	EXPECT_EQ(full, stat_of("task_table_full"));
	EXPECT_EQ(PROBES, rows_of(getpid()));
	for (i = 0; i < PROBES; i++) {
		__atomic_store_n(&pw[i].word, 1, __ATOMIC_SEQ_CST);
		lm_futex_wake(&pw[i].word, 1);
	}
	for (i = 0; i < PROBES; i++)
		pthread_join(pth[i], NULL);
	EXPECT_EQ(0, rows_of(getpid()));
	free(pw);
	free(c);
	free(th);
}

/* ---- waiters and owners that fork, exec, exit or die ------------------- */

#define WAITERS 6

struct grp {
	pthread_mutex_t m;		/* the contended lock */
	volatile pid_t owner_tid;
	volatile pid_t tid[WAITERS];
	volatile int go;		/* owner: release the lock */
	volatile int act;		/* main thread: fork/exec now */
	volatile pid_t forked;		/* child of the fork, when done */
	volatile pid_t leader;		/* exec: the main thread, waiting too */
};

static void *grp_waiter(void *arg)
{
	struct grp *g = arg;
	static int next;
	int i = __atomic_fetch_add(&next, 1, __ATOMIC_SEQ_CST);

	g->tid[i] = lm_gettid();
	pthread_mutex_lock(&g->m);
	pthread_mutex_unlock(&g->m);
	return NULL;
}

static void *grp_owner(void *arg)
{
	struct grp *g = arg;

	pthread_mutex_lock(&g->m);
	g->owner_tid = lm_gettid();
	while (!g->go)
		lm_sleep_ms(5);
	pthread_mutex_unlock(&g->m);
	return NULL;
}

static void *grp_exec(void *arg)
{
	struct grp *g = arg;

	while (!g->act)
		lm_sleep_ms(5);
	/* from a thread that is not the leader: it takes over the leader's
	 * TID, the TID of a task lockmon saw waiting */
	execl("/bin/sleep", "sleep", "1", (char *)NULL);
	_exit(127);
}

static struct grp *grp_new(bool pshared)
{
	struct grp *g = lm_shared(sizeof(*g));
	pthread_mutexattr_t a;

	if (!g)
		return NULL;
	pthread_mutexattr_init(&a);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&g->m, &a);
	return g;
}

enum act { ACT_NONE, ACT_FORK, ACT_EXEC };

/*
 * A child process: an owner thread takes g->m, WAITERS threads block on
 * it. The main thread then does @act when g->act is set: fork a child that
 * itself blocks on g->m then exits; or the main thread waits on g->m
 * too and another thread execs sleep(1), which kills every waiter.
 */
static pid_t grp_child(struct grp *g, enum act act)
{
	pthread_t th;
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pthread_create(&th, NULL, grp_owner, g);
	while (!g->owner_tid)
		lm_sleep_ms(1);
	for (i = 0; i < WAITERS; i++)
		pthread_create(&th, NULL, grp_waiter, g);
	if (act == ACT_EXEC) {
		pthread_create(&th, NULL, grp_exec, g);
		g->leader = lm_gettid();
		pthread_mutex_lock(&g->m);	/* until the exec */
	}
	while (!g->act)
		lm_sleep_ms(5);
	if (act == ACT_FORK) {
		pid_t c = fork();

		if (c == 0) {
			/* only this thread lives on in the child */
			struct timespec to = { 0, 50 * 1000000L };

			pthread_mutex_timedlock(&g->m, &to);
			_exit(0);
		}
		g->forked = c;
		waitpid(c, NULL, 0);
	}
	for (;;)
		pause();
}

static bool all_waiting(struct grp *g)
{
	int i;

	for (i = 0; i < WAITERS; i++)
		if (!g->tid[i] || !lm_task_waits_on(g->tid[i], &g->m, sizeof(g->m)))
			return false;
	return true;
}

FIXTURE(life) {
	struct grp *g;
	pid_t child;
};

FIXTURE_SETUP(life)
{
	ASSERT_EQ(0, lm_fresh());
	self->g = grp_new(false);
	ASSERT_NE(NULL, self->g);
	self->child = 0;
}

FIXTURE_TEARDOWN(life)
{
	lm_kill(self->child);
}

TEST_F_TIMEOUT(life, waiters_killed_mid_wait, 60)
{
	struct lm_table *t;
	int row;

	self->child = grp_child(self->g, ACT_NONE);
	ASSERT_TRUE(lm_wait_until(all_waiting(self->g), 10000));
	kill(self->child, SIGKILL);
	ASSERT_EQ(self->child, waitpid(self->child, NULL, 0));
	EXPECT_EQ(0, rows_of(self->child));
	EXPECT_EQ(0, stale_rows(0));
	/* the lock's waiter count went back to zero with them */
	t = lm_table("locks");
	ASSERT_NE(NULL, t);
	row = lm_find_lock(t, self->child, &self->g->m, sizeof(self->g->m));
	ASSERT_LE(0, row);
	EXPECT_EQ(0, lm_ucell(t, row, "waiters"));
	EXPECT_LE(WAITERS, lm_ucell(t, row, "blocked"));
	lm_table_free(t);
	self->child = 0;
}

TEST_F_TIMEOUT(life, fork_while_others_wait, 60)
{
	int i;

	self->child = grp_child(self->g, ACT_FORK);
	ASSERT_TRUE(lm_wait_until(all_waiting(self->g), 10000));
	self->g->act = 1;
	ASSERT_TRUE(lm_wait_until(self->g->forked, 10000));
	/* the forked child is reaped: it left nothing behind ... */
	ASSERT_TRUE(lm_wait_until(!alive(self->g->forked, self->g->forked), 10000));
	EXPECT_EQ(0, rows_of(self->g->forked));
	/* ... and the parent's waiters are still tracked as waiting */
	EXPECT_TRUE(all_waiting(self->g));
	EXPECT_EQ(0, stale_rows(0));
	/* release: every waiter gets the lock and leaves the tasks file */
	self->g->go = 1;
	ASSERT_TRUE(lm_wait_until(rows_of(self->child) == 0, 10000));
	for (i = 0; i < WAITERS; i++)
		EXPECT_FALSE(lm_task_waits_on(self->g->tid[i], &self->g->m,
					      sizeof(self->g->m)));
}

/*
 * Is any old waiter of @g still a thread of @tgid? Once tgkill() fails the
 * thread has been released, after its exit went past lockmon's exit hook.
 * Waiting for the first one only raced a slow kernel: the other waiters
 * could still be on their way out (3 rows left, on the debug kernel).
 */
static bool any_alive(pid_t tgid, const struct grp *g)
{
	int i;

	for (i = 0; i < WAITERS; i++)
		if (alive(tgid, g->tid[i]))
			return true;
	return false;
}

TEST_F_TIMEOUT(life, exec_kills_waiters_mid_wait, 60)
{
	int status;

	self->child = grp_child(self->g, ACT_EXEC);
	ASSERT_TRUE(lm_wait_until(all_waiting(self->g) && self->g->leader &&
				  lm_task_waits_on(self->g->leader, &self->g->m,
						   sizeof(self->g->m)),
				  10000));
	ASSERT_EQ(self->child, self->g->leader);
	self->g->act = 1;
	/* during sleep(1) the process is one new thread with the leader's
	 * TID, not in any futex wait; none of the old waiters may be listed */
	ASSERT_TRUE(lm_wait_until(!any_alive(self->child, self->g), 10000));
	EXPECT_EQ(0, rows_of(self->child));
	EXPECT_EQ(0, stale_rows(0));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	self->child = 0;
	EXPECT_EQ(0, stale_rows(0));
}

/*
 * The owner of a process-shared glibc mutex is SIGKILLed while it holds
 * it; the waiter in another process is left blocked on a lock that will
 * never be released: an orphan finding naming the dead owner.
 */
TEST_F_TIMEOUT(life, owner_killed_holding_mutex_is_orphan, 60)
{
	struct grp *g = grp_new(true);
	struct lm_finding_rec f[16];
	pid_t owner, waiter, wtid = 0;
	bool found = false;
	int n, i;

	ASSERT_NE(NULL, g);
	owner = fork();
	if (owner == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_mutex_lock(&g->m);
		g->owner_tid = lm_gettid();
		for (;;)
			pause();
	}
	ASSERT_TRUE(lm_wait_until(g->owner_tid, 10000));
	waiter = fork();
	if (waiter == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		g->tid[0] = lm_gettid();
		pthread_mutex_lock(&g->m);
		_exit(0);
	}
	self->child = waiter;
	ASSERT_TRUE(lm_wait_until(g->tid[0] &&
				  lm_task_waits_on(g->tid[0], &g->m, sizeof(g->m)),
				  10000));
	wtid = g->tid[0];
	kill(owner, SIGKILL);
	ASSERT_EQ(owner, waitpid(owner, NULL, 0));
	ASSERT_TRUE(lm_wait_until(({
		n = lm_findings(f, 16);
		for (i = 0; i < n && !found; i++)
			found = !strcmp(f[i].kind, "orphan") && f[i].tid[0] == wtid;
		found; }), 10000)) TH_LOG("no orphan finding for waiter %d", wtid);
	i--;
	EXPECT_EQ(owner, f[i].owner[0]);
	EXPECT_STREQ("glibc-owner", f[i].how[0]);
	EXPECT_EQ((uintptr_t)&g->m, f[i].uaddr[0]);
	/* one finding for it, not one per scan */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, lm_count_findings("orphan", waiter));
	/* the waiter is killed too: nothing of either is left */
	lm_kill(waiter);
	self->child = 0;
	EXPECT_EQ(0, rows_of(waiter));
	EXPECT_EQ(0, stale_rows(0));
	munmap(g, sizeof(*g));
}

LM_HARNESS_MAIN
