// SPDX-License-Identifier: GPL-2.0
/*
 * Uncontended pthread mutex: one thread locks and unlocks the same mutex.
 * glibc never enters the kernel here, so whatever lockmon costs shows up
 * only as time taken from this thread by its probes' side work (the scan).
 *
 *   mutex_loop [OPS]      default 10000000
 */
#include <pthread.h>
#include "bench.h"

int main(int argc, char **argv)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	unsigned long ops = 10000000, i;
	unsigned long long t0, t1;
	volatile unsigned long sink = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: mutex_loop [OPS]\n");
		return 2;
	}
	if (argc == 2)
		ops = bench_num("mutex_loop", "OPS", argv[1], 1, 1UL << 40);
	t0 = bench_now_ns();
	for (i = 0; i < ops; i++) {
		pthread_mutex_lock(&m);
		sink++;
		pthread_mutex_unlock(&m);
	}
	t1 = bench_now_ns();
	bench_result(ops, t1 - t0);
	return sink != ops;
}
