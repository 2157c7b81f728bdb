// SPDX-License-Identifier: GPL-2.0
/*
 * abba: two threads take two mutexes in opposite orders and deadlock.
 * It never exits by itself: kill it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static __attribute__((noinline)) void transfer(void)
{
	pthread_mutex_lock(&accounts_lock);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&audit_lock);
	pthread_mutex_unlock(&audit_lock);
	pthread_mutex_unlock(&accounts_lock);
}

static __attribute__((noinline)) void audit(void)
{
	pthread_mutex_lock(&audit_lock);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&accounts_lock);
	pthread_mutex_unlock(&accounts_lock);
	pthread_mutex_unlock(&audit_lock);
}

static void *transfer_thread(void *arg)
{
	(void)arg;
	transfer();
	return NULL;
}

static void *audit_thread(void *arg)
{
	(void)arg;
	audit();
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&a, NULL, transfer_thread, NULL);
	pthread_create(&b, NULL, audit_thread, NULL);
	printf("abba: pid %d, two threads about to deadlock\n", getpid());
	fflush(stdout);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
