// SPDX-License-Identifier: GPL-2.0
/*
 * contend: one holder keeps a lock HOLD ms while WAITERS threads block on
 * it, ROUNDS times, and measures its own blocking waits so a test can
 * compare them with what lockmon saw.
 *
 *   contend [-w WAITERS] [-r ROUNDS] [-H HOLD_MS] [-m futex|pthread] [-o FILE]
 *
 * futex mode: a three-state futex lock that times each FUTEX_WAIT that
 * blocked (returned 0) - exact ground truth for lockmon's wait count and
 * wait time. pthread mode: a pthread mutex, timed around pthread_mutex_lock.
 * -r 0 runs until killed. The result line goes to FILE (default stdout):
 *   contend tgid=P lock=0xADDR waits=N total_ns=T max_ns=M
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_WAITERS 64

/* the contended locks live in the data segment so they symbolize */
static uint32_t work_lock_word;
static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t round_start, round_done;
static int use_futex = 1, rounds = 5, hold_ms = 100;

static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t stat_waits, stat_total_ns, stat_max_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void account(uint64_t waits, uint64_t ns, uint64_t max)
{
	pthread_mutex_lock(&stat_lock);
	stat_waits += waits;
	stat_total_ns += ns;
	if (max > stat_max_ns)
		stat_max_ns = max;
	pthread_mutex_unlock(&stat_lock);
}

/* 0 free, 1 locked, 2 locked with waiters */
static __attribute__((noinline)) void futex_lock(uint32_t *w, uint64_t *waits,
						 uint64_t *ns, uint64_t *max)
{
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(w, &c, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		uint64_t t0 = now_ns(), dt;
		long r;

		r = syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		dt = now_ns() - t0;
		if (r == 0) {
			(*waits)++;
			*ns += dt;
			if (dt > *max)
				*max = dt;
		}
		c = __atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE);
	}
}

static __attribute__((noinline)) void futex_unlock(uint32_t *w)
{
	if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static __attribute__((noinline)) void take_work_lock(uint64_t *waits,
						     uint64_t *ns, uint64_t *max)
{
	uint64_t t0, dt;

	if (use_futex) {
		futex_lock(&work_lock_word, waits, ns, max);
		return;
	}
	t0 = now_ns();
	pthread_mutex_lock(&work_lock);
	dt = now_ns() - t0;
	/* a lock call that slept: the holder keeps it for hold_ms */
	if (dt > 1000000) {
		(*waits)++;
		*ns += dt;
		if (dt > *max)
			*max = dt;
	}
}

static __attribute__((noinline)) void release_work_lock(void)
{
	if (use_futex)
		futex_unlock(&work_lock_word);
	else
		pthread_mutex_unlock(&work_lock);
}

static __attribute__((noinline)) void hold_work_lock(void)
{
	struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
	uint64_t unused = 0;

	take_work_lock(&unused, &unused, &unused);
	pthread_barrier_wait(&round_start);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	release_work_lock();
}

static void *waiter_thread(void *arg)
{
	uint64_t waits = 0, ns = 0, max = 0;
	int r;

	(void)arg;
	for (r = 0; !rounds || r < rounds; r++) {
		pthread_barrier_wait(&round_start);
		/* let the others reach the lock too */
		usleep(1000);
		take_work_lock(&waits, &ns, &max);
		release_work_lock();
		pthread_barrier_wait(&round_done);
	}
	account(waits, ns, max);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_WAITERS];
	const char *out = NULL;
	int nw = 4, i, r, opt;
	FILE *f;

	while ((opt = getopt(argc, argv, "w:r:H:m:o:")) != -1) {
		switch (opt) {
		case 'w':
			nw = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'H':
			hold_ms = atoi(optarg);
			break;
		case 'm':
			use_futex = strcmp(optarg, "pthread") != 0;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			fprintf(stderr, "usage: contend [-w WAITERS] [-r ROUNDS] [-H HOLD_MS] [-m futex|pthread] [-o FILE]\n");
			return 2;
		}
	}
	if (nw < 1 || nw > MAX_WAITERS || rounds < 0 || hold_ms < 1) {
		fprintf(stderr, "contend: bad arguments\n");
		return 2;
	}
	pthread_barrier_init(&round_start, NULL, nw + 1);
	pthread_barrier_init(&round_done, NULL, nw + 1);
	for (i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, waiter_thread, NULL);
	for (r = 0; !rounds || r < rounds; r++) {
		hold_work_lock();
		pthread_barrier_wait(&round_done);
	}
	for (i = 0; i < nw; i++)
		pthread_join(th[i], NULL);

	f = out ? fopen(out, "w") : stdout;
	if (!f) {
		perror("contend");
		return 1;
	}
	fprintf(f, "contend tgid=%d lock=%p waits=%llu total_ns=%llu max_ns=%llu\n",
		getpid(), use_futex ? (void *)&work_lock_word : (void *)&work_lock,
		(unsigned long long)stat_waits,
		(unsigned long long)stat_total_ns,
		(unsigned long long)stat_max_ns);
	if (f != stdout)
		fclose(f);
	return 0;
}
