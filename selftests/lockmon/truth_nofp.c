// SPDX-License-Identifier: GPL-2.0
/*
 * stack_truth_test's C workload, built like distribution code (-O2
 * -fomit-frame-pointer): main holds stock_lock for good and a thread
 * blocks on it through waiter() -> stock_restock() -> stock_take().
 * Prints the waiter's tid, then sleeps until killed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

pthread_mutex_t stock_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stock = 10;

__attribute__((noinline)) int stock_take(int k)
{
	pthread_mutex_lock(&stock_lock);
	stock = stock - k;
	pthread_mutex_unlock(&stock_lock);
	return stock;
}

__attribute__((noinline)) int stock_restock(int k)
{
	int r = stock_take(k);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}

static void *waiter(void *arg)
{
	(void)arg;
	printf("tid=%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	stock_restock(1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_mutex_lock(&stock_lock);
	if (pthread_create(&t, NULL, waiter, NULL))
		return 1;
	for (;;)
		pause();
}
