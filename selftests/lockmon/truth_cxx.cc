// SPDX-License-Identifier: GPL-2.0
/*
 * stack_truth_test's C++ workload: main holds shop::shelf_lock for good
 * and a thread blocks on it at a known call chain, through a namespace,
 * a class template and a function template, so its frames need demangling.
 * Prints the waiter's tid, then sleeps until killed.
 */
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cstdio>

namespace shop {

pthread_mutex_t shelf_lock = PTHREAD_MUTEX_INITIALIZER;

template <typename T> struct Shelf {
	volatile T n;

	__attribute__((noinline)) T take(T k)
	{
		pthread_mutex_lock(&shelf_lock);
		n = n - k;
		pthread_mutex_unlock(&shelf_lock);
		return n;
	}
};

namespace detail {

template <typename T> __attribute__((noinline)) T restock(Shelf<T> &s, T k)
{
	T r = s.take(k);

	asm volatile("" ::: "memory");
	return r + 1;
}

} // namespace detail
} // namespace shop

static shop::Shelf<int> shelf = { 10 };

static void *waiter(void *)
{
	std::printf("tid=%ld\n", (long)syscall(SYS_gettid));
	std::fflush(stdout);
	shop::detail::restock<int>(shelf, 1);
	return nullptr;
}

int main()
{
	pthread_t t;

	pthread_mutex_lock(&shop::shelf_lock);
	if (pthread_create(&t, nullptr, waiter, nullptr))
		return 1;
	for (;;)
		pause();
}
