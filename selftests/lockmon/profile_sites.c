// SPDX-License-Identifier: GPL-2.0
/*
 * profile_sites ROUNDS TRUTH: one thread blocks on a mutex from three call
 * sites, site_sixty, site_thirty and site_ten, while the main thread holds
 * it for 600, 300 and 100 us: wait time splits about 60/30/10 %. The
 * waiter times each of its waits itself and writes the totals per site to
 * TRUTH, one line "NAME NS" each: the ground truth profile_test compares
 * lockmon-report's stack profiles with.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t go, done;
static int rounds;
static uint64_t truth[3];
static const unsigned int hold_us[3] = { 600, 300, 100 };
static const char *const names[3] = { "site_sixty", "site_thirty", "site_ten" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Each site has a frame of its own, so every stack walk names it. */
static __attribute__((noinline)) uint64_t take(void)
{
	uint64_t t0 = now_ns();

	pthread_mutex_lock(&mu);
	t0 = now_ns() - t0;
	pthread_mutex_unlock(&mu);
	return t0;
}

static __attribute__((noinline)) uint64_t site_sixty(void)
{
	return take() + (uint64_t)(rounds < 0);
}

static __attribute__((noinline)) uint64_t site_thirty(void)
{
	return take() + (uint64_t)(rounds < -1);
}

static __attribute__((noinline)) uint64_t site_ten(void)
{
	return take() + (uint64_t)(rounds < -2);
}

static void *waiter(void *arg)
{
	uint64_t (*const site[3])(void) = { site_sixty, site_thirty, site_ten };
	int i;

	(void)arg;
	for (i = 0; i < 3 * rounds; i++) {
		sem_wait(&go);
		truth[i % 3] += site[i % 3]();
		sem_post(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	FILE *f;
	int i;

	if (argc != 3 || (rounds = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: profile_sites ROUNDS TRUTH\n");
		return 2;
	}
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	if (pthread_create(&th, NULL, waiter, NULL))
		return 1;
	for (i = 0; i < 3 * rounds; i++) {
		pthread_mutex_lock(&mu);
		sem_post(&go);
		usleep(hold_us[i % 3]);
		pthread_mutex_unlock(&mu);
		sem_wait(&done);
	}
	pthread_join(th, NULL);
	f = fopen(argv[2], "w");
	if (!f)
		return 1;
	for (i = 0; i < 3; i++)
		fprintf(f, "%s %llu\n", names[i], (unsigned long long)truth[i]);
	return fclose(f) ? 1 : 0;
}
