// SPDX-License-Identifier: GPL-2.0
/*
 * stack_truth_test's inline workload (-O2 -g, no frame pointers): the lock
 * call sits in a function inlined twice over, so gdb shows ledger_lock()
 * and ledger_post() as frames of their own at one return address in
 * ledger_entry(). main holds ledger_mutex for good and a thread blocks on
 * it through waiter() -> ledger_entry() -> [ledger_post() -> ledger_lock()].
 * Prints the waiter's tid, then sleeps until killed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

pthread_mutex_t ledger_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile int balance = 10;

static inline __attribute__((always_inline)) void ledger_lock(void)
{
	pthread_mutex_lock(&ledger_mutex);
}

static inline __attribute__((always_inline)) int ledger_post(int k)
{
	ledger_lock();
	balance = balance + k;
	pthread_mutex_unlock(&ledger_mutex);
	return balance;
}

__attribute__((noinline)) int ledger_entry(int k)
{
	int r = ledger_post(k);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}

static void *waiter(void *arg)
{
	(void)arg;
	printf("tid=%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	ledger_entry(1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_mutex_lock(&ledger_mutex);
	if (pthread_create(&t, NULL, waiter, NULL))
		return 1;
	for (;;)
		pause();
}
