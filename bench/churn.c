// SPDX-License-Identifier: GPL-2.0
/*
 * The soak's churn workloads (scripts/soak), not a benchmark.
 *
 *   churn threads SECONDS [WIDTH]     default WIDTH 16
 *   churn forkexec SECONDS [WAITERS]  default WAITERS 8
 *
 * threads: rounds of WIDTH threads that each take a shared mutex a few
 * times, contending for it, and exit; the main thread joins them and
 * starts the next round, so lockmon sees tasks come and go all the time.
 *
 * forkexec: WAITERS threads take turns on one mutex, holding it briefly,
 * so most of them are blocked in a futex wait at any moment, while the
 * main thread forks children that exec /bin/true, and every fourth child
 * exits without an exec instead. A child inherits the mutex word as it
 * was at the fork (perhaps held by a thread it does not have); it never
 * touches it.
 *
 * Both run until SECONDS have passed, then print "rounds=N" and exit 0;
 * a failed thread create, fork or exec exits 1.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;
static atomic_int stop;

static void *short_lived(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 8; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		if (i % 2)
			sched_yield();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static int churn_threads(unsigned long long end, unsigned long width)
{
	pthread_t *tids = calloc(width, sizeof(*tids));
	unsigned long rounds = 0, i;

	if (!tids) {
		fprintf(stderr, "churn: out of memory\n");
		return 1;
	}
	while (bench_now_ns() < end) {
		for (i = 0; i < width; i++) {
			if (pthread_create(&tids[i], NULL, short_lived, NULL)) {
				fprintf(stderr, "churn: cannot create thread %lu\n", i);
				return 1;
			}
		}
		for (i = 0; i < width; i++)
			pthread_join(tids[i], NULL);
		rounds++;
	}
	if (counter != rounds * width * 8) {
		fprintf(stderr, "churn: counter %lu, expected %lu\n", counter,
			rounds * width * 8);
		return 1;
	}
	printf("rounds=%lu threads=%lu\n", rounds, rounds * width);
	free(tids);
	return 0;
}

static void *waiter(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		pthread_mutex_lock(&lock);
		counter++;
		usleep(200);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static int churn_forkexec(unsigned long long end, unsigned long nwaiters)
{
	pthread_t *tids = calloc(nwaiters, sizeof(*tids));
	unsigned long rounds = 0, i;
	int status, bad = 0;
	pid_t pid;

	if (!tids) {
		fprintf(stderr, "churn: out of memory\n");
		return 1;
	}
	for (i = 0; i < nwaiters; i++) {
		if (pthread_create(&tids[i], NULL, waiter, NULL)) {
			fprintf(stderr, "churn: cannot create waiter %lu\n", i);
			return 1;
		}
	}
	while (!bad && bench_now_ns() < end) {
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "churn: fork: %s\n", strerror(errno));
			bad = 1;
			break;
		}
		if (!pid) {
			if (rounds % 4 == 3)
				_exit(0);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "churn: child %d failed (status 0x%x)\n",
				(int)pid, status);
			bad = 1;
		}
		rounds++;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < nwaiters; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	if (!bad)
		printf("rounds=%lu lock_ops=%lu\n", rounds, counter);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned long long end;
	unsigned long secs, n;

	if (argc < 3 || argc > 4 ||
	    (strcmp(argv[1], "threads") && strcmp(argv[1], "forkexec"))) {
		fprintf(stderr, "usage: churn threads|forkexec SECONDS [N]\n");
		return 2;
	}
	secs = bench_num("churn", "SECONDS", argv[2], 1, 1UL << 20);
	n = argc == 4 ? bench_num("churn", "N", argv[3], 1, 4096) :
	    !strcmp(argv[1], "threads") ? 16 : 8;
	end = bench_now_ns() + secs * 1000000000ULL;
	if (!strcmp(argv[1], "threads"))
		return churn_threads(end, n);
	return churn_forkexec(end, n);
}
