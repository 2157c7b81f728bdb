// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock findings. Each deadlocking workload runs in a child process that
 * publishes its thread ids in shared memory; the test waits for lockmon's
 * finding, checks it names exactly those threads and locks, and kills the
 * child. The second half are workloads where nothing must be found.
 */
#include "lockmon_util.h"
#include <sys/prctl.h>
#include "kselftest_harness.h"

#define MAXT 16

struct dl {
	pthread_mutex_t m[MAXT];
	pthread_barrier_t go;
	volatile pid_t tid[MAXT];
	volatile int n;			/* threads in the ring */
	volatile int stop;
	volatile long blocked_ops;
	volatile int seen;		/* orphan: the owner saw the waiter blocked */
};

static struct dl *dl_new(int n, int kind, int protocol, int pshared)
{
	struct dl *d = lm_shared(sizeof(*d));
	pthread_mutexattr_t a;
	pthread_barrierattr_t ba;
	int i;

	if (!d)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, kind);
	pthread_mutexattr_setprotocol(&a, protocol);
	pthread_mutexattr_setpshared(&a, pshared);
	for (i = 0; i < MAXT; i++)
		pthread_mutex_init(&d->m[i], &a);
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&d->go, &ba, n);
	d->n = n;
	return d;
}

/* Wait up to @ms for a finding of @kind over exactly @tids; return it. */
static bool wait_finding(const char *kind, const pid_t *tids, int n,
			 struct lm_finding_rec *out, unsigned int ms)
{
	static struct lm_finding_rec f[64];

	return lm_wait_until(({
		int k = lm_findings(f, 64), i;
		bool hit = false;

		for (i = 0; i < k && !hit; i++)
			if (lm_finding_is(&f[i], kind, tids, n)) {
				*out = f[i];
				hit = true;
			}
		hit; }), ms);
}

static bool tids_ready(struct dl *d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!d->tid[i])
			return false;
	return true;
}

/* ---- rings: thread i holds m[i] and wants m[(i+1) % n] ---------------- */

static void *ring_thread(void *arg)
{
	struct dl *d = arg;
	int i = __atomic_fetch_add(&d->stop, 1, __ATOMIC_SEQ_CST);

	d->tid[i] = lm_gettid();
	pthread_mutex_lock(&d->m[i]);
	pthread_barrier_wait(&d->go);
	pthread_mutex_lock(&d->m[(i + 1) % d->n]);
	return NULL;
}

static pid_t ring_child(struct dl *d)
{
	pid_t pid = fork();
	pthread_t th[MAXT];
	int i;

	if (pid)
		return pid;
	for (i = 0; i < d->n; i++)
		pthread_create(&th[i], NULL, ring_thread, d);
	pause();
	_exit(0);
}

FIXTURE(ring) {
	struct dl *d;
	pid_t child;
};

FIXTURE_VARIANT(ring) {
	int n;
	int protocol;
};

FIXTURE_VARIANT_ADD(ring, abba) { .n = 2, .protocol = PTHREAD_PRIO_NONE };
FIXTURE_VARIANT_ADD(ring, philosophers_3) { .n = 3, .protocol = PTHREAD_PRIO_NONE };
FIXTURE_VARIANT_ADD(ring, philosophers_5) { .n = 5, .protocol = PTHREAD_PRIO_NONE };
FIXTURE_VARIANT_ADD(ring, philosophers_8) { .n = 8, .protocol = PTHREAD_PRIO_NONE };

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, lm_fresh());
	self->d = dl_new(variant->n, PTHREAD_MUTEX_NORMAL, variant->protocol,
			 PTHREAD_PROCESS_PRIVATE);
	ASSERT_NE(NULL, self->d);
	self->child = ring_child(self->d);
	ASSERT_LT(0, self->child);
}

FIXTURE_TEARDOWN(ring)
{
	lm_kill(self->child);
}

TEST_F(ring, cycle_found_with_right_tasks_and_locks)
{
	struct lm_finding_rec f;
	struct dl *d = self->d;
	int i, j;

	ASSERT_TRUE(lm_wait_until(tids_ready(d, d->n), 5000));
	ASSERT_TRUE(wait_finding("cycle", (pid_t *)d->tid, d->n, &f, 10000))
		TH_LOG("no cycle over the %d ring threads", d->n);
	ksft_print_msg("cycle of %d found %llu ns after its last wait began\n",
		       d->n, f.latency_ns);
	for (i = 0; i < f.nr; i++) {
		/* task tid[k] waits on m[k+1], owned by tid[k+1] */
		for (j = 0; j < d->n && d->tid[j] != f.tid[i]; j++)
			;
		ASSERT_LT(j, d->n);
		EXPECT_EQ((uintptr_t)&d->m[(j + 1) % d->n], f.uaddr[i]);
		EXPECT_EQ(d->tid[(j + 1) % d->n], f.owner[i]);
		EXPECT_STREQ("glibc-owner", f.how[i]);
	}
	/* reported exactly once, not again by the scans that follow */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, lm_count_findings("cycle", self->child));
}

/* ---- self-relock of a normal mutex: a cycle of one ------------------- */

static void *relock_thread(void *arg)
{
	struct dl *d = arg;

	d->tid[0] = lm_gettid();
	pthread_mutex_lock(&d->m[0]);
	pthread_mutex_lock(&d->m[0]);
	return NULL;
}

TEST(self_relock_is_a_cycle_of_one)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	pthread_t th;
	pid_t child;

	ASSERT_EQ(0, lm_fresh());
	child = fork();
	if (child == 0) {
		pthread_create(&th, NULL, relock_thread, d);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(d->tid[0], 5000));
	EXPECT_TRUE(wait_finding("cycle", (pid_t *)d->tid, 1, &f, 5000));
	EXPECT_EQ((uintptr_t)&d->m[0], f.uaddr[0]);
	EXPECT_EQ(d->tid[0], f.owner[0]);
	lm_kill(child);
}

/* ---- PI ABBA: the kernel refuses with EDEADLK; both are reported ----- */

/*
 * Ground truth for the refusals: glibc parks a thread the kernel refused
 * with EDEADLK in a plain futex wait for good, while a thread still in the
 * lock sits in FUTEX_LOCK_PI. Read it from /proc/<pid>/task/<tid>/syscall
 * ("202 uaddr op ..."). Both threads of a PI ABBA can be refused when they
 * block at the same moment: the rt_mutex chain walks of both see the cycle.
 */
#define LM_FUTEX_CMD	(~(unsigned long long)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

static bool refused_by_kernel(pid_t pid, pid_t tid)
{
	unsigned long long op;

	return lm_in_futex(pid, tid, &op) &&
	       ((op & LM_FUTEX_CMD) == FUTEX_WAIT ||
		(op & LM_FUTEX_CMD) == FUTEX_WAIT_BITSET);
}

/* Every refused thread has its own pi-edeadlk finding, and no other has. */
static bool edeadlk_findings_match(struct dl *d, pid_t child, int *refused,
				   int *found)
{
	static struct lm_finding_rec f[64];
	int n = lm_findings(f, 64), i, j, match = 0;

	*refused = 0;
	*found = 0;
	for (i = 0; i < 2; i++)
		*refused += refused_by_kernel(child, d->tid[i]);
	for (j = 0; j < n; j++) {
		if (strcmp(f[j].kind, "pi-edeadlk") || f[j].tgid[0] != child)
			continue;
		(*found)++;
		match += f[j].nr == 1 &&
			 refused_by_kernel(child, f[j].tid[0]);
	}
	return *refused >= 1 && *found == *refused && match == *found;
}

TEST(pi_abba_cycle_and_edeadlk)
{
	struct dl *d = dl_new(2, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	int i, refused, found;
	pid_t child;

	ASSERT_EQ(0, lm_fresh());
	child = ring_child(d);
	ASSERT_TRUE(lm_wait_until(tids_ready(d, 2), 5000));
	EXPECT_TRUE(wait_finding("cycle", (pid_t *)d->tid, 2, &f, 10000));
	for (i = 0; i < f.nr; i++)
		EXPECT_STREQ("pi-word", f.how[i]);
	/* each refused task alone, and only those */
	EXPECT_TRUE(lm_wait_until(edeadlk_findings_match(d, child, &refused,
							 &found), 5000))
		TH_LOG("the kernel refused %d threads; %d pi-edeadlk findings",
		       refused, found);
	lm_kill(child);
}

/* ---- ABBA across two processes on process-shared mutexes ------------- */

TEST(pshared_abba_across_processes)
{
	struct dl *d = dl_new(2, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_SHARED);
	struct lm_finding_rec f;
	pid_t child[2];
	int i;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < 2; i++) {
		child[i] = fork();
		if (child[i] == 0) {
			d->tid[i] = lm_gettid();
			pthread_mutex_lock(&d->m[i]);
			pthread_barrier_wait(&d->go);
			pthread_mutex_lock(&d->m[1 - i]);
			_exit(0);
		}
	}
	ASSERT_TRUE(lm_wait_until(tids_ready(d, 2), 5000));
	EXPECT_TRUE(wait_finding("cycle", (pid_t *)d->tid, 2, &f, 10000));
	EXPECT_NE(f.tgid[0], f.tgid[1]);
	lm_kill(child[0]);
	lm_kill(child[1]);
}

/*
 * A key=value of the "finding SEQ" line in the deadlocks file, copied to
 * @out (empty when the line or the key is missing).
 */
static void finding_value(unsigned long long seq, const char *key, char *out,
			  size_t len)
{
	char *buf = lm_read_lm("deadlocks"), *line, *save = NULL, want[64];
	const char *p;
	size_t kl = strlen(key);

	out[0] = 0;
	snprintf(want, sizeof(want), "finding %llu ", seq);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		for (p = strstr(line, key); p; p = strstr(p + 1, key))
			if (p[-1] == ' ' && p[kl] == '=') {
				snprintf(out, len, "%.*s", (int)strcspn(p + kl + 1, " "),
					 p + kl + 1);
				break;
			}
		break;
	}
	free(buf);
}

/* Exactly one finding over process @tgid, whatever its kind; or -1. */
static int only_finding(pid_t tgid, struct lm_finding_rec *out)
{
	static struct lm_finding_rec f[64];
	int n = lm_findings(f, 64), i, j, hits = 0;

	for (i = 0; i < n; i++) {
		bool mine = false;

		for (j = 0; j < f[i].nr; j++)
			mine |= f[i].tgid[j] == tgid;
		if (mine) {
			*out = f[i];
			hits++;
		}
	}
	return hits == 1 ? 0 : -1;
}

/* ---- orphan: the owner exits holding the lock ------------------------ */

static void *orphan_owner(void *arg)
{
	struct dl *d = arg;

	pthread_setname_np(pthread_self(), "lm-late-owner");
	pthread_mutex_lock(&d->m[0]);
	d->tid[1] = lm_gettid();
	/* lockmon read this thread as the owner when the waiter blocked */
	d->seen = lm_wait_until(d->tid[0] && lm_task_blocked(d->tid[0]), 10000);
	return NULL;		/* exits holding m[0] */
}

TEST(orphaned_lock_is_found)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	char comm[32], tgid[32];
	pthread_t th;
	pid_t child;

	ASSERT_EQ(0, lm_fresh());
	child = fork();
	if (child == 0) {
		pthread_create(&th, NULL, orphan_owner, d);
		while (!d->tid[1])	/* the owner holds m[0] */
			lm_sleep_ms(1);
		d->tid[0] = lm_gettid();
		pthread_mutex_lock(&d->m[0]);
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(d->tid[0] && d->tid[1], 5000));
	EXPECT_TRUE(wait_finding("orphan", (pid_t *)d->tid, 1, &f, 10000))
		TH_LOG("the owner %s the waiter blocked before it exited",
		       d->seen ? "saw" : "did not see");
	EXPECT_EQ(d->tid[1], f.owner[0]);
	EXPECT_EQ((uintptr_t)&d->m[0], f.uaddr[0]);
	/* lockmon saw the owner exit: it names its command and process */
	finding_value(f.seq, "owner_comm", comm, sizeof(comm));
	finding_value(f.seq, "owner_tgid", tgid, sizeof(tgid));
	EXPECT_STREQ("lm-late-owner", comm);
	EXPECT_EQ(child, atoi(tgid));
	lm_kill(child);
}

/* ---- orphan: the owner exits before the waiter blocks ----------------- */

struct orph {
	pthread_mutex_t m;
	volatile pid_t owner, waiter, owner_pid;
	volatile int ret;		/* what the waiter's lock returned */
	volatile int done;		/* the waiter's lock returned */
};

static struct orph *orph_new(bool robust, bool pshared)
{
	struct orph *o = lm_shared(sizeof(*o));
	pthread_mutexattr_t a;

	if (!o)
		return NULL;
	pthread_mutexattr_init(&a);
	if (robust)
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&o->m, &a);
	o->ret = -1;
	return o;
}

static void *orph_take_and_exit(void *arg)
{
	struct orph *o = arg;

	pthread_setname_np(pthread_self(), "lm-owner");
	pthread_mutex_lock(&o->m);
	o->owner = lm_gettid();
	return NULL;		/* exits holding the lock */
}

/* The waiter: the owner thread has taken the lock and is joined. */
static void orph_lock(struct orph *o)
{
	o->waiter = lm_gettid();
	o->ret = pthread_mutex_lock(&o->m);
	o->done = 1;
}

/*
 * In a child: a thread takes the lock and exits; the main thread joins it,
 * so the owner is gone, and only then blocks on the lock.
 */
static pid_t orph_exited_first(struct orph *o)
{
	pthread_t th;
	pid_t pid = fork();

	if (pid)
		return pid;
	pthread_create(&th, NULL, orph_take_and_exit, o);
	pthread_join(th, NULL);
	orph_lock(o);
	pause();
	_exit(0);
}

TEST(orphan_owner_exited_before_the_wait)
{
	struct orph *o = orph_new(false, false);
	struct lm_finding_rec f;
	char comm[32], tgid[32];
	pid_t child;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, lm_fresh());
	child = orph_exited_first(o);
	ASSERT_LT(0, child);
	ASSERT_TRUE(lm_wait_until(o->waiter && o->owner, 5000));
	ASSERT_TRUE(wait_finding("orphan", (pid_t *)&o->waiter, 1, &f, 10000))
		TH_LOG("no orphan for waiter %d on the lock of dead %d",
		       o->waiter, o->owner);
	EXPECT_EQ(o->owner, f.owner[0]);
	EXPECT_STREQ("glibc-owner", f.how[0]);
	EXPECT_EQ((uintptr_t)&o->m, f.uaddr[0]);
	finding_value(f.seq, "owner_comm", comm, sizeof(comm));
	finding_value(f.seq, "owner_tgid", tgid, sizeof(tgid));
	EXPECT_STREQ("lm-owner", comm);
	EXPECT_EQ(child, atoi(tgid));
	/* found as the wait began, not by a scan up to scan_ms later */
	ksft_print_msg("orphan found %llu ns after the wait began\n",
		       f.latency_ns);
	EXPECT_GT(10000000ULL, f.latency_ns);
	/* and it is one finding: no stall, no second orphan, scans later */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, lm_count_findings("orphan", child));
	EXPECT_EQ(0, lm_count_findings("stall", child));
	lm_kill(child);
}

/*
 * The same lock order, once the mutex is known to lockmon as a glibc mutex
 * (it was contended before): its owner is then believed without a liveness
 * check, and the scan that follows the wait finds the orphan.
 */
static void *orph_contend(void *arg)
{
	struct orph *o = arg;

	pthread_mutex_lock(&o->m);
	pthread_mutex_unlock(&o->m);
	return NULL;
}

TEST(orphan_of_a_known_mutex_found_by_the_next_scan)
{
	struct orph *o = orph_new(false, false);
	struct lm_finding_rec f;
	pthread_t th;
	pid_t child;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, lm_fresh());
	child = fork();
	if (child == 0) {
		/* one blocking wait with a live owner: the futex is known */
		pthread_mutex_lock(&o->m);
		pthread_create(&th, NULL, orph_contend, o);
		for (;;) {
			struct lm_table *t = lm_table("locks");
			int r = t ? lm_find_lock(t, getpid(), &o->m,
						 sizeof(o->m)) : -1;
			bool seen = r >= 0 && !strcmp(lm_cell(t, r, "owner_how"),
						     "glibc-owner");

			if (t)
				lm_table_free(t);
			if (seen)
				break;
			lm_sleep_ms(1);
		}
		pthread_mutex_unlock(&o->m);
		pthread_join(th, NULL);
		pthread_create(&th, NULL, orph_take_and_exit, o);
		pthread_join(th, NULL);
		orph_lock(o);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(o->waiter && o->owner, 10000));
	ASSERT_TRUE(wait_finding("orphan", (pid_t *)&o->waiter, 1, &f, 10000))
		TH_LOG("no orphan for waiter %d on the lock of dead %d",
		       o->waiter, o->owner);
	EXPECT_EQ(o->owner, f.owner[0]);
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, lm_count_findings("orphan", child));
	lm_kill(child);
}

/*
 * A robust mutex whose owner exits: the kernel marks the word
 * FUTEX_OWNER_DIED and the next locker gets EOWNERDEAD, with nobody left
 * waiting. Not an orphan, in either order.
 */
static void *orph_robust_owner(void *arg)
{
	struct orph *o = arg;

	pthread_mutex_lock(&o->m);
	o->owner = lm_gettid();
	/* for the second order: hold it until the waiter is blocked on it */
	while (o->ret == -1 && o->waiter &&
	       !lm_task_waits_on(o->waiter, &o->m, sizeof(o->m)))
		lm_sleep_ms(1);
	return NULL;
}

FIXTURE(robust) {
	struct orph *o;
	pid_t child;
};

FIXTURE_VARIANT(robust) {
	bool wait_first;	/* the waiter blocks before the owner exits */
};

FIXTURE_VARIANT_ADD(robust, owner_exits_first) { .wait_first = false };
FIXTURE_VARIANT_ADD(robust, waiter_blocks_first) { .wait_first = true };

FIXTURE_SETUP(robust)
{
	ASSERT_EQ(0, lm_fresh());
	self->o = orph_new(true, false);
	ASSERT_NE(NULL, self->o);
	self->child = 0;
}

FIXTURE_TEARDOWN(robust)
{
	lm_kill(self->child);
}

TEST_F(robust, owner_death_is_eownerdead_not_orphan)
{
	struct orph *o = self->o;
	pthread_t th;

	self->child = fork();
	if (self->child == 0) {
		if (variant->wait_first)
			o->waiter = lm_gettid();
		pthread_create(&th, NULL, orph_robust_owner, o);
		while (!o->owner)
			lm_sleep_ms(1);
		if (!variant->wait_first)
			pthread_join(th, NULL);
		orph_lock(o);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(o->done, 10000));
	EXPECT_EQ(EOWNERDEAD, o->ret);
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(0, lm_count_findings("orphan", self->child));
	EXPECT_EQ(0, lm_count_findings("stall", self->child));
	EXPECT_EQ(0, lm_count_findings("cycle", self->child));
}

/*
 * A process-shared mutex in shared memory whose owner, a child process,
 * exits holding it; then another process blocks on it.
 */
TEST(orphan_pshared_owner_process_exited)
{
	struct orph *o = orph_new(false, true);
	struct lm_finding_rec f;
	pid_t owner, waiter;
	char comm[32], tgid[32];

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, lm_fresh());
	owner = fork();
	if (owner == 0) {
		prctl(PR_SET_NAME, "lm-owner-proc");
		pthread_mutex_lock(&o->m);
		o->owner = lm_gettid();
		_exit(0);	/* holding it */
	}
	ASSERT_EQ(owner, waitpid(owner, NULL, 0));
	ASSERT_EQ(owner, o->owner);
	waiter = fork();
	if (waiter == 0) {
		orph_lock(o);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(o->waiter, 5000));
	ASSERT_TRUE(wait_finding("orphan", (pid_t *)&o->waiter, 1, &f, 10000))
		TH_LOG("no orphan for waiter %d on the lock of dead process %d",
		       o->waiter, owner);
	EXPECT_EQ(owner, f.owner[0]);
	EXPECT_EQ(waiter, f.tgid[0]);
	finding_value(f.seq, "owner_comm", comm, sizeof(comm));
	finding_value(f.seq, "owner_tgid", tgid, sizeof(tgid));
	EXPECT_STREQ("lm-owner-proc", comm);
	EXPECT_EQ(owner, atoi(tgid));
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(1, lm_count_findings("orphan", waiter));
	EXPECT_EQ(0, lm_count_findings("stall", waiter));
	lm_kill(waiter);
}

/* ---- one finding per deadlock: the stall adds to the cycle ------------ */

static void *abba_thread(void *arg)
{
	struct dl *d = arg;
	int i = __atomic_fetch_add(&d->stop, 1, __ATOMIC_SEQ_CST);

	d->tid[i] = lm_gettid();
	pthread_mutex_lock(&d->m[i]);
	pthread_barrier_wait(&d->go);
	pthread_mutex_lock(&d->m[1 - i]);
	return NULL;
}

TEST(abba_whole_process_blocked_is_one_finding)
{
	struct dl *d = dl_new(2, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	char threads[32] = "";
	pthread_t th[2];
	pid_t child;

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 300"));
	child = fork();
	if (child == 0) {
		/* the main thread joins: every thread of the process blocks */
		pthread_create(&th[0], NULL, abba_thread, d);
		pthread_create(&th[1], NULL, abba_thread, d);
		pthread_join(th[0], NULL);
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(tids_ready(d, 2), 5000));
	ASSERT_TRUE(wait_finding("cycle", (pid_t *)d->tid, 2, &f, 10000));
	/* past stall_ms the scan sees the whole process blocked */
	EXPECT_TRUE(lm_wait_until(({
		finding_value(f.seq, "stall_threads", threads, sizeof(threads));
		threads[0]; }), 10000))
		TH_LOG("the cycle never got the stall of process %d", child);
	EXPECT_STREQ("3", threads);
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(0, only_finding(child, &f))
		TH_LOG("%d findings for one deadlock",
		       lm_count_findings(NULL, child));
	EXPECT_STREQ("cycle", f.kind);
	lm_kill(child);
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
}

/* ---- stall: a lost condition-variable wake-up ------------------------ */

static pthread_cond_t stall_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t stall_m = PTHREAD_MUTEX_INITIALIZER;

static void *stall_worker(void *arg)
{
	struct dl *d = arg;
	int i = __atomic_fetch_add(&d->stop, 1, __ATOMIC_SEQ_CST);

	d->tid[i + 1] = lm_gettid();
	pthread_mutex_lock(&stall_m);
	pthread_cond_wait(&stall_cv, &stall_m);	/* nobody will signal */
	pthread_mutex_unlock(&stall_m);
	return NULL;
}

TEST(stall_lost_wakeup)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	pthread_t th[2];
	pid_t child;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 300"));
	child = fork();
	if (child == 0) {
		d->tid[0] = lm_gettid();
		pthread_create(&th[0], NULL, stall_worker, d);
		pthread_create(&th[1], NULL, stall_worker, d);
		pthread_join(th[0], NULL);
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(tids_ready(d, 3), 5000));
	EXPECT_TRUE(wait_finding("stall", (pid_t *)d->tid, 3, &f, 10000))
		TH_LOG("no stall over the 3 threads of %d", child);
	lm_kill(child);
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
}

/* ---- stall: ABBA between CPython locks, which record no owner -------- */

/*
 * A fixture only for its timeout: python3 alone takes many seconds to
 * start on the KASAN/lockdep kernel under TCG (make check-debug).
 */
FIXTURE(cpython) {
};

FIXTURE_SETUP(cpython)
{
}

FIXTURE_TEARDOWN(cpython)
{
}

TEST_F_TIMEOUT(cpython, stall_abba, 120)
{
	static const char *const prog =
		"import threading\n"
		"a, b = threading.Lock(), threading.Lock()\n"
		"go = threading.Barrier(2)\n"
		"def one(x, y):\n"
		"    with x:\n"
		"        go.wait()\n"
		"        with y:\n"
		"            pass\n"
		"t = [threading.Thread(target=one, args=p) for p in ((a, b), (b, a))]\n"
		"for x in t: x.start()\n"
		"for x in t: x.join()\n";
	static struct lm_finding_rec f[64];
	pid_t child;
	int i, k, hit = -1;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 500"));
	child = fork();
	if (child == 0) {
		execlp("python3", "python3", "-c", prog, (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(lm_wait_until(({
		k = lm_findings(f, 64);
		for (i = 0; i < k && hit < 0; i++)
			if (!strcmp(f[i].kind, "stall") && f[i].tgid[0] == child)
				hit = i;
		hit >= 0; }), 90000))
		TH_LOG("no stall for the CPython ABBA in %d", child);
	/* the main thread in join() and the two workers */
	EXPECT_EQ(3, f[hit].nr);
	for (i = 0; i < f[hit].nr; i++)
		EXPECT_EQ(child, f[hit].tgid[i]);
	/* its locks record no owner: no scan may call it a cycle */
	EXPECT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(0, lm_count_findings("cycle", child));
	lm_kill(child);
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
}

/* ---- nothing must be found ------------------------------------------- */

static void expect_clean(struct __test_metadata *_metadata, pid_t tgid)
{
	/* the periodic scan has looked at what is left */
	ASSERT_TRUE(lm_wait_scans(2));
	EXPECT_EQ(0, lm_count_findings("cycle", tgid));
	EXPECT_EQ(0, lm_count_findings("orphan", tgid));
	EXPECT_EQ(0, lm_count_findings("stall", tgid));
	EXPECT_EQ(0, lm_count_findings("pi-edeadlk", tgid));
}

static unsigned long long blocked_in(pid_t tgid)
{
	struct lm_table *t = lm_table("locks");
	unsigned long long n = 0;
	char want[32];
	int r;

	snprintf(want, sizeof(want), "%d:", tgid);
	for (r = 0; t && r < t->nrows; r++)
		if (!strncmp(lm_cell(t, r, "procs"), want, strlen(want)))
			n += lm_ucell(t, r, "blocked");
	if (t)
		lm_table_free(t);
	return n;
}

static void *recursive_worker(void *arg)
{
	struct dl *d = arg;
	int i;

	for (i = 0; i < 300; i++) {
		pthread_mutex_lock(&d->m[0]);
		pthread_mutex_lock(&d->m[0]);
		sched_yield();
		pthread_mutex_unlock(&d->m[0]);
		pthread_mutex_unlock(&d->m[0]);
	}
	return NULL;
}

TEST(recursive_relock_is_not_a_deadlock)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	pthread_t th[4];
	int i;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, recursive_worker, d);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	EXPECT_LT(0, blocked_in(getpid()));
	expect_clean(_metadata, getpid());
}

TEST(errorcheck_relock_gets_edeadlk_not_a_finding)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, pthread_mutex_lock(&d->m[0]));
	EXPECT_EQ(EDEADLK, pthread_mutex_lock(&d->m[0]));
	pthread_mutex_unlock(&d->m[0]);
	expect_clean(_metadata, getpid());
}

static void *backoff_worker(void *arg)
{
	struct dl *d = arg;
	int first = __atomic_fetch_add(&d->stop, 1, __ATOMIC_SEQ_CST) & 1;
	int i;

	for (i = 0; i < 500; i++) {
		for (;;) {
			pthread_mutex_lock(&d->m[first]);
			if (!pthread_mutex_trylock(&d->m[1 - first]))
				break;
			pthread_mutex_unlock(&d->m[first]);
			sched_yield();
		}
		pthread_mutex_unlock(&d->m[1 - first]);
		pthread_mutex_unlock(&d->m[first]);
	}
	return NULL;
}

TEST(abba_with_trylock_backoff_is_clean)
{
	struct dl *d = dl_new(2, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	pthread_t th[4];
	int i;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, backoff_worker, d);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	expect_clean(_metadata, getpid());
}

static void *timed_abba(void *arg)
{
	struct dl *d = arg;
	int i = __atomic_fetch_add(&d->stop, 1, __ATOMIC_SEQ_CST);
	struct timespec ts;
	long ret;

	d->tid[i] = lm_gettid();
	pthread_mutex_lock(&d->m[i]);
	pthread_barrier_wait(&d->go);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	ret = pthread_mutex_timedlock(&d->m[1 - i], &ts);
	if (!ret)
		pthread_mutex_unlock(&d->m[1 - i]);
	pthread_mutex_unlock(&d->m[i]);
	return (void *)ret;
}

TEST(abba_with_timedlock_is_transient_only)
{
	struct dl *d = dl_new(2, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	struct lm_finding_rec f;
	pthread_t th[2];
	void *ret;
	int i, timeouts = 0;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, timed_abba, d);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], &ret);
		timeouts += (long)ret == ETIMEDOUT;
	}
	ASSERT_LE(1, timeouts);
	EXPECT_TRUE(wait_finding("transient", (pid_t *)d->tid, 2, &f, 2000));
	expect_clean(_metadata, getpid());
}

struct pc {
	pthread_mutex_t m;
	pthread_cond_t not_empty, not_full;
	int count, produced, consumed;
};

#define PC_ITEMS 2000

static void *pc_producer(void *arg)
{
	struct pc *q = arg;

	for (;;) {
		pthread_mutex_lock(&q->m);
		while (q->count == 4 && q->produced < PC_ITEMS)
			pthread_cond_wait(&q->not_full, &q->m);
		if (q->produced == PC_ITEMS) {
			pthread_mutex_unlock(&q->m);
			return NULL;
		}
		q->count++;
		q->produced++;
		pthread_cond_signal(&q->not_empty);
		pthread_mutex_unlock(&q->m);
	}
}

static void *pc_consumer(void *arg)
{
	struct pc *q = arg;

	for (;;) {
		pthread_mutex_lock(&q->m);
		while (!q->count && q->consumed < PC_ITEMS)
			pthread_cond_wait(&q->not_empty, &q->m);
		if (q->consumed == PC_ITEMS) {
			pthread_cond_broadcast(&q->not_empty);
			pthread_mutex_unlock(&q->m);
			return NULL;
		}
		q->count--;
		q->consumed++;
		pthread_cond_signal(&q->not_full);
		pthread_mutex_unlock(&q->m);
	}
}

TEST(producer_consumer_is_clean)
{
	static struct pc q = {
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
		PTHREAD_COND_INITIALIZER, 0, 0, 0,
	};
	pthread_t th[4];
	int i;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, pc_producer, &q);
		pthread_create(&th[2 + i], NULL, pc_consumer, &q);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_lock(&q.m);
	pthread_cond_broadcast(&q.not_full);
	pthread_cond_broadcast(&q.not_empty);
	pthread_mutex_unlock(&q.m);
	for (i = 2; i < 4; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(PC_ITEMS, q.consumed);
	expect_clean(_metadata, getpid());
}

#define BUSY_THREADS 64
#define BUSY_SECONDS 30

static void *busy_worker(void *arg)
{
	struct dl *d = arg;
	unsigned int i = 0;

	while (!d->stop) {
		pthread_mutex_t *m = &d->m[i++ % 4];

		pthread_mutex_lock(m);
		sched_yield();
		pthread_mutex_unlock(m);
	}
	return NULL;
}

FIXTURE(busy) {
};

FIXTURE_SETUP(busy)
{
}

FIXTURE_TEARDOWN(busy)
{
}

TEST_F_TIMEOUT(busy, contention_64_threads_is_clean, 120)
{
	struct dl *d = dl_new(1, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
			      PTHREAD_PROCESS_PRIVATE);
	pthread_t th[BUSY_THREADS];
	int i;

	ASSERT_EQ(0, lm_fresh());
	for (i = 0; i < BUSY_THREADS; i++)
		pthread_create(&th[i], NULL, busy_worker, d);
	lm_sleep_ms(BUSY_SECONDS * 1000);
	d->stop = 1;
	for (i = 0; i < BUSY_THREADS; i++)
		pthread_join(th[i], NULL);
	ksft_print_msg("64 threads: %llu blocking waits\n", blocked_in(getpid()));
	EXPECT_LT(0, blocked_in(getpid()));
	expect_clean(_metadata, getpid());
}

/* ---- orphan: the dead owner's TID given to a new task ----------------- */

/*
 * The owner's TID comes back for real: pid_max is lowered to the range
 * [300, LM_REUSE_PID_MAX) the kernel allocates from once it has wrapped, so
 * that a few dozen thread or process creations go round it. The module is
 * loaded with a scan period long enough that the TID is back before the
 * scan looks. After the test, pid_max is what it was.
 */
#define LM_REUSE_PID_MAX	340

FIXTURE(tidreuse) {
	char pid_max[32];
	pid_t child, reuser;
};

FIXTURE_SETUP(tidreuse)
{
	char *v = lm_read("/proc/sys/kernel/pid_max");
	FILE *f;

	ASSERT_NE(NULL, v);
	snprintf(self->pid_max, sizeof(self->pid_max), "%s", v);
	free(v);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%d\n", LM_REUSE_PID_MAX);
	ASSERT_EQ(0, fclose(f));
	lm_unload();
	ASSERT_EQ(0, lm_load("scan_ms=2000"));
	self->child = 0;
	self->reuser = 0;
}

FIXTURE_TEARDOWN(tidreuse)
{
	FILE *f;

	lm_kill(self->reuser);
	lm_kill(self->child);
	f = fopen("/proc/sys/kernel/pid_max", "w");
	if (f) {
		fputs(self->pid_max, f);
		fclose(f);
	}
	/* the next test loads lockmon with its default scan period */
	lm_unload();
}

struct tidp {
	volatile pid_t tid;
	pid_t want;
};

static void *tid_probe(void *arg)
{
	struct tidp *p = arg;
	pid_t me = lm_gettid();

	if (me == p->want) {
		prctl(PR_SET_NAME, "lm-reuser");
		p->tid = me;
		for (;;)
			pause();
	}
	p->tid = me;
	return NULL;
}

/*
 * Start threads, each gone before the next, until one gets TID @want (it
 * stays, in pause()), or with @want 0 one gets a TID of at least @min.
 * Returns that TID, or 0 after @tries.
 */
static pid_t thread_with_tid(pid_t want, pid_t min, int tries)
{
	static struct tidp p;
	pthread_t th;
	int i;

	p.want = want;
	for (i = 0; i < tries; i++) {
		p.tid = 0;
		if (pthread_create(&th, NULL, tid_probe, &p)) {
			lm_sleep_ms(1);		/* every TID taken: EAGAIN */
			continue;
		}
		while (!p.tid)
			sched_yield();
		if (want && p.tid == want) {
			pthread_detach(th);
			return want;
		}
		pthread_join(th, NULL);
		if (!want && p.tid >= min)
			return p.tid;
	}
	return 0;
}

struct reuse {
	pthread_mutex_t m;
	pthread_t owner_th;
	volatile pid_t owner, waiter, reuser;
	volatile int failed;
};

/* The owner: takes the lock, sees the waiter (if any yet) blocked, exits. */
static void *reuse_owner(void *arg)
{
	struct reuse *r = arg;

	prctl(PR_SET_NAME, "lm-owner");
	pthread_mutex_lock(&r->m);
	r->owner = lm_gettid();
	if (r->waiter)
		lm_wait_until(lm_task_blocked(r->waiter), 10000);
	return NULL;		/* exits holding the lock */
}

/* Once the owner is gone, a new thread of the process gets its TID. */
static void *reuse_thread_spawner(void *arg)
{
	struct reuse *r = arg;

	pthread_join(r->owner_th, NULL);
	r->reuser = thread_with_tid(r->owner, 0, 4000);
	r->failed = !r->reuser;
	return NULL;
}

/*
 * The waiter blocks while the owner lives; the owner exits holding the
 * lock, and a new thread of the same process gets its TID. The lock word
 * names a live thread of the waiter's process, but one that started after
 * the wait began: it did not take the lock, and the wait is an orphan of
 * the thread that did.
 */
TEST_F_TIMEOUT(tidreuse, new_thread_with_owner_tid_after_the_wait, 120)
{
	struct reuse *r = lm_shared(sizeof(*r));
	struct lm_finding_rec f;
	char comm[32], path[64], *now;

	ASSERT_NE(NULL, r);
	pthread_mutex_init(&r->m, NULL);
	ASSERT_EQ(0, lm_fresh());
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		pthread_t sp;

		/* from here on TIDs come from the small range */
		if (!thread_with_tid(0, 300, 2000))
			_exit(2);
		r->waiter = lm_gettid();
		pthread_create(&r->owner_th, NULL, reuse_owner, r);
		while (!r->owner)
			lm_sleep_ms(1);
		pthread_create(&sp, NULL, reuse_thread_spawner, r);
		pthread_mutex_lock(&r->m);
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(r->reuser || r->failed, 60000));
	ASSERT_EQ(r->owner, r->reuser) TH_LOG("TID %d did not come back",
					      r->owner);
	ASSERT_TRUE(wait_finding("orphan", (pid_t *)&r->waiter, 1, &f, 10000))
		TH_LOG("no orphan for waiter %d: the new thread %d was taken for its owner",
		       r->waiter, r->reuser);
	EXPECT_EQ(r->owner, f.owner[0]);
	/* the dead owner's name, not the new thread's */
	finding_value(f.seq, "owner_comm", comm, sizeof(comm));
	EXPECT_STREQ("lm-owner", comm);
	/* and the TID is really the new thread's now */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", self->child,
		 r->reuser);
	now = lm_read(path);
	ASSERT_NE(NULL, now);
	EXPECT_EQ(0, strncmp(now, "lm-reuser", 9)) TH_LOG("%s: %s", path, now);
	free(now);
}

/*
 * The owner thread exits holding the lock; its TID is given to a new
 * process (forked until it comes back); then the waiter blocks. A private
 * mutex's owner is a thread of the waiter's process, so a task of another
 * process with that TID is not it: an orphan, found as the wait begins.
 */
TEST_F_TIMEOUT(tidreuse, new_process_with_owner_tid_before_the_wait, 120)
{
	struct reuse *r = lm_shared(sizeof(*r));
	struct lm_finding_rec f;
	char comm[32], path[64], *now;

	ASSERT_NE(NULL, r);
	pthread_mutex_init(&r->m, NULL);
	ASSERT_EQ(0, lm_fresh());
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		int i;

		if (!thread_with_tid(0, 300, 2000))
			_exit(2);
		pthread_create(&r->owner_th, NULL, reuse_owner, r);
		pthread_join(r->owner_th, NULL);
		for (i = 0; i < 4000 && !r->reuser; i++) {
			pid_t pid = fork();

			if (!pid) {
				if (getpid() != r->owner)
					_exit(0);
				prctl(PR_SET_NAME, "lm-reuser");
				for (;;)
					pause();
			}
			if (pid == r->owner)
				r->reuser = pid;
			else if (pid > 0)
				waitpid(pid, NULL, 0);
			else
				lm_sleep_ms(1);
		}
		r->failed = !r->reuser;
		if (r->failed)
			_exit(3);
		r->waiter = lm_gettid();
		pthread_mutex_lock(&r->m);
		_exit(0);
	}
	ASSERT_TRUE(lm_wait_until(r->reuser || r->failed, 60000));
	self->reuser = r->reuser;
	ASSERT_EQ(r->owner, r->reuser) TH_LOG("TID %d did not come back",
					      r->owner);
	ASSERT_TRUE(lm_wait_until(r->waiter, 5000));
	ASSERT_TRUE(wait_finding("orphan", (pid_t *)&r->waiter, 1, &f, 10000))
		TH_LOG("no orphan for waiter %d: process %d was taken for its owner",
		       r->waiter, r->reuser);
	EXPECT_EQ(r->owner, f.owner[0]);
	finding_value(f.seq, "owner_comm", comm, sizeof(comm));
	EXPECT_STREQ("lm-owner", comm);
	/* found as the wait began, well before the 2 s scan */
	EXPECT_GT(100000000ULL, f.latency_ns);
	snprintf(path, sizeof(path), "/proc/%d/comm", r->reuser);
	now = lm_read(path);
	ASSERT_NE(NULL, now);
	EXPECT_EQ(0, strncmp(now, "lm-reuser", 9)) TH_LOG("%s: %s", path, now);
	free(now);
}

LM_HARNESS_MAIN
