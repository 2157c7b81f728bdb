// SPDX-License-Identifier: GPL-2.0
/*
 * N threads x M mutexes, short critical sections.
 *
 *   nxm [-w] [-y Y] N M OPS
 *
 * Each thread takes OPS/N locks, each on a mutex picked by a per-thread
 * xorshift, increments that mutex's counter and spins a few iterations.
 * On one CPU two threads only meet on a mutex when its holder is switched
 * out, so every Y-th critical section (default 4; 0: never) yields while
 * holding the lock: that makes the futex wait/wake traffic the benchmark
 * is about. -w waits for a line on stdin after "ready", so a tracer can
 * attach to the pid before the threads start. The counters are checked
 * against the operations done.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include "bench.h"

struct slot {
	pthread_mutex_t m;
	unsigned long count;
	char pad[64 - sizeof(unsigned long)];
};

static struct slot *slots;
static unsigned long nr_mutex, ops_per_thread, yield_every;
static pthread_barrier_t start;

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg * 0x9e3779b97f4a7c15UL + 1, i;
	volatile unsigned int spin;

	pthread_barrier_wait(&start);
	for (i = 0; i < ops_per_thread; i++) {
		struct slot *s;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s = &slots[x % nr_mutex];
		pthread_mutex_lock(&s->m);
		s->count++;
		for (spin = 0; spin < 20; spin++)
			;
		if (yield_every && i % yield_every == 0)
			sched_yield();
		pthread_mutex_unlock(&s->m);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: nxm [-w] [-y YIELD_EVERY] THREADS MUTEXES OPS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long nthreads, ops, i, sum = 0;
	unsigned long long t0, t1;
	pthread_attr_t attr;
	pthread_t *tids;
	int c, wait_go = 0;

	yield_every = 4;
	while ((c = getopt(argc, argv, "wy:")) != -1) {
		switch (c) {
		case 'w':
			wait_go = 1;
			break;
		case 'y':
			yield_every = bench_num("nxm", "YIELD_EVERY", optarg, 0, 1UL << 30);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	nthreads = bench_num("nxm", "THREADS", argv[optind], 1, 4096);
	nr_mutex = bench_num("nxm", "MUTEXES", argv[optind + 1], 1, 1 << 20);
	ops = bench_num("nxm", "OPS", argv[optind + 2], 1, 1UL << 40);
	ops_per_thread = ops / nthreads;

	slots = calloc(nr_mutex, sizeof(*slots));
	tids = calloc(nthreads, sizeof(*tids));
	if (!slots || !tids) {
		fprintf(stderr, "nxm: out of memory\n");
		return 1;
	}
	for (i = 0; i < nr_mutex; i++)
		pthread_mutex_init(&slots[i].m, NULL);
	if (wait_go)
		bench_wait_go();
	pthread_barrier_init(&start, NULL, nthreads + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], &attr, worker, (void *)(i + 1))) {
			fprintf(stderr, "nxm: cannot create thread %lu\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	t1 = bench_now_ns();
	for (i = 0; i < nr_mutex; i++)
		sum += slots[i].count;
	if (sum != ops_per_thread * nthreads) {
		fprintf(stderr, "nxm: counters sum to %lu, expected %lu\n", sum,
			ops_per_thread * nthreads);
		return 1;
	}
	bench_result(sum, t1 - t0);
	return 0;
}
