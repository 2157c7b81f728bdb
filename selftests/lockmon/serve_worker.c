// SPDX-License-Identifier: GPL-2.0
/*
 * serve_test's workload: THREADS threads take serve_lock ITERS times each
 * and hold it HOLD_MS, timing every pthread_mutex_lock() call themselves.
 * When all are done it prints "pid PID wait_ns NS" (the sum of those
 * times), then blocks two threads on hold_lock, which main holds, and
 * prints "holding" and waits to be killed: a mutex profile then has
 * threads blocked now.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static int iters = 30, hold_ms = 20;
static unsigned long long waited[64];

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *contend(void *arg)
{
	long id = (long)arg;
	struct timespec hold = { 0, hold_ms * 1000000L };
	unsigned long long t;
	int i;

	for (i = 0; i < iters; i++) {
		t = now_ns();
		pthread_mutex_lock(&serve_lock);
		waited[id] += now_ns() - t;
		nanosleep(&hold, NULL);
		pthread_mutex_unlock(&serve_lock);
	}
	return NULL;
}

static void *blocked(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold_lock);
	pthread_mutex_unlock(&hold_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, i;
	unsigned long long sum = 0;
	pthread_t t[64], b[2];

	if (argc > 2)
		iters = atoi(argv[2]);
	if (argc > 3)
		hold_ms = atoi(argv[3]);
	if (n < 2 || n > 64 || iters < 1 || hold_ms < 1) {
		fprintf(stderr, "usage: serve_worker [THREADS [ITERS [HOLD_MS]]]\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, contend, (void *)(long)i);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++)
		sum += waited[i];
	printf("pid %d wait_ns %llu\n", (int)getpid(), sum);
	pthread_mutex_lock(&hold_lock);
	for (i = 0; i < 2; i++)
		pthread_create(&b[i], NULL, blocked, NULL);
	printf("holding\n");
	fflush(stdout);
	pause();
	return 0;
}
