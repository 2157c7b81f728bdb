// SPDX-License-Identifier: GPL-2.0
/*
 * Condition-variable producer/consumer over a bounded queue.
 *
 *   condvar [ITEMS [CONSUMERS [QUEUE]]]   default 100000 2 4
 *
 * One producer pushes ITEMS numbers; CONSUMERS threads pop them. Both
 * sides wait on a condition variable when the queue is full or empty, so
 * every handoff is futex traffic. The sum popped is checked.
 */
#include <pthread.h>
#include "bench.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static unsigned long *queue, qsize, head, len, items;
static unsigned long popped_sum;
static int done;

static void *consumer(void *arg)
{
	unsigned long sum = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!len && !done)
			pthread_cond_wait(&not_empty, &lock);
		if (!len && done) {
			pthread_mutex_unlock(&lock);
			break;
		}
		sum += queue[head];
		head = (head + 1) % qsize;
		len--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	popped_sum += sum;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long nconsumers = 2, i;
	unsigned long long t0, t1;
	pthread_t *tids;

	items = 100000;
	qsize = 4;
	if (argc > 4) {
		fprintf(stderr, "usage: condvar [ITEMS [CONSUMERS [QUEUE]]]\n");
		return 2;
	}
	if (argc > 1)
		items = bench_num("condvar", "ITEMS", argv[1], 1, 1UL << 32);
	if (argc > 2)
		nconsumers = bench_num("condvar", "CONSUMERS", argv[2], 1, 1024);
	if (argc > 3)
		qsize = bench_num("condvar", "QUEUE", argv[3], 1, 1 << 20);
	queue = calloc(qsize, sizeof(*queue));
	tids = calloc(nconsumers, sizeof(*tids));
	if (!queue || !tids) {
		fprintf(stderr, "condvar: out of memory\n");
		return 1;
	}
	t0 = bench_now_ns();
	for (i = 0; i < nconsumers; i++)
		if (pthread_create(&tids[i], NULL, consumer, NULL)) {
			fprintf(stderr, "condvar: cannot create thread %lu\n", i);
			return 1;
		}
	for (i = 1; i <= items; i++) {
		pthread_mutex_lock(&lock);
		while (len == qsize)
			pthread_cond_wait(&not_full, &lock);
		queue[(head + len) % qsize] = i;
		len++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nconsumers; i++)
		pthread_join(tids[i], NULL);
	t1 = bench_now_ns();
	if (popped_sum != items * (items + 1) / 2) {
		fprintf(stderr, "condvar: consumers popped %lu, expected %lu\n",
			popped_sum, items * (items + 1) / 2);
		return 1;
	}
	bench_result(items, t1 - t0);
	return 0;
}
