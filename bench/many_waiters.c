// SPDX-License-Identifier: GPL-2.0
/*
 * Scale case: THREADS threads blocked at once on MUTEXES mutexes.
 *
 *   many_waiters THREADS MUTEXES
 *
 * The main thread holds every mutex, starts the threads (thread i blocks
 * on mutex i % MUTEXES), and waits until /proc shows all of them asleep.
 * It prints "blocked N" and "ready", and waits for a line on stdin while
 * an observer reads lockmon's tables; then it releases the mutexes, each
 * thread passes its mutex on. "create_ns" is the time until all are
 * asleep, "release_ns" from the first unlock to the last join, and
 * "ops=THREADS ns=T" their sum.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "bench.h"

static pthread_mutex_t *mutexes;
static unsigned long nr_mutex;
static atomic_ulong started;

static void *waiter(void *arg)
{
	pthread_mutex_t *m = &mutexes[(unsigned long)arg % nr_mutex];

	atomic_fetch_add(&started, 1);
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	return NULL;
}

/* Threads of this process other than main in state S (asleep). */
static unsigned long sleeping_threads(void)
{
	char path[300], buf[256], *p;
	unsigned long n = 0;
	struct dirent *d;
	pid_t me = getpid();
	DIR *dir;
	FILE *f;

	dir = opendir("/proc/self/task");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || atoi(d->d_name) == me)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long nthreads, i, asleep;
	unsigned long long t0, t1, t2, t3;
	pthread_attr_t attr;
	pthread_t *tids;

	if (argc != 3) {
		fprintf(stderr, "usage: many_waiters THREADS MUTEXES\n");
		return 2;
	}
	nthreads = bench_num("many_waiters", "THREADS", argv[1], 1, 1 << 20);
	nr_mutex = bench_num("many_waiters", "MUTEXES", argv[2], 1, 1 << 20);
	mutexes = calloc(nr_mutex, sizeof(*mutexes));
	tids = calloc(nthreads, sizeof(*tids));
	if (!mutexes || !tids) {
		fprintf(stderr, "many_waiters: out of memory\n");
		return 1;
	}
	for (i = 0; i < nr_mutex; i++) {
		pthread_mutex_init(&mutexes[i], NULL);
		pthread_mutex_lock(&mutexes[i]);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	t0 = bench_now_ns();
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], &attr, waiter, (void *)i)) {
			fprintf(stderr, "many_waiters: cannot create thread %lu of %lu\n",
				i, nthreads);
			return 1;
		}
	}
	while (atomic_load(&started) < nthreads)
		usleep(1000);
	while ((asleep = sleeping_threads()) < nthreads)
		usleep(10000);
	t1 = bench_now_ns();
	printf("blocked %lu\n", asleep);
	bench_wait_go();
	t2 = bench_now_ns();
	for (i = 0; i < nr_mutex; i++)
		pthread_mutex_unlock(&mutexes[i]);
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	t3 = bench_now_ns();
	printf("create_ns=%llu release_ns=%llu\n", t1 - t0, t3 - t2);
	bench_result(nthreads, (t1 - t0) + (t3 - t2));
	return 0;
}
