// SPDX-License-Identifier: GPL-2.0
/*
 * runtimes_test's C++ workload: two std::thread take two std::mutex in
 * opposite orders (ABBA) through a member function of a namespaced class,
 * so lockmon's stacks need demangling. Each thread prints "tid=N" once it
 * holds its first mutex; a barrier then lets both go for the second one,
 * which they never get. main joins them until killed.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstdio>
#include <mutex>
#include <thread>

namespace bank {

static pthread_barrier_t both_hold;

struct Account {
	std::mutex m;
	long balance = 100;

	/* holds our mutex, then takes @to's: the ABBA when two run at once */
	__attribute__((noinline)) void transfer_to(Account &to, long n)
	{
		std::lock_guard<std::mutex> mine(m);

		std::printf("tid=%ld\n", (long)syscall(SYS_gettid));
		std::fflush(stdout);
		pthread_barrier_wait(&both_hold);
		std::lock_guard<std::mutex> theirs(to.m);
		balance -= n;
		to.balance += n;
	}
};

} // namespace bank

int main()
{
	bank::Account a, b;

	pthread_barrier_init(&bank::both_hold, nullptr, 2);
	std::thread t1([&] { a.transfer_to(b, 1); });
	std::thread t2([&] { b.transfer_to(a, 2); });
	t1.join();
	t2.join();
	return 0;
}
