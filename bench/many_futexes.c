// SPDX-License-Identifier: GPL-2.0
/*
 * Scale case: N distinct futexes, each waited on once.
 *
 *   many_futexes N
 *
 * Every FUTEX_WAIT expects a value the word does not hold, so each returns
 * EAGAIN at once: N private futexes seen, none blocking. "ops=N ns=T".
 */
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long long t0, t1;
	unsigned long n, i, again = 0;
	uint32_t *words;

	if (argc != 2) {
		fprintf(stderr, "usage: many_futexes N\n");
		return 2;
	}
	n = bench_num("many_futexes", "N", argv[1], 1, 1 << 26);
	words = calloc(n, sizeof(*words));
	if (!words) {
		fprintf(stderr, "many_futexes: out of memory\n");
		return 1;
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if (syscall(SYS_futex, &words[i], FUTEX_WAIT_PRIVATE, 1, NULL,
			    NULL, 0) == -1 && errno == EAGAIN)
			again++;
	t1 = bench_now_ns();
	if (again != n) {
		fprintf(stderr, "many_futexes: %lu of %lu waits returned EAGAIN\n",
			again, n);
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	bench_result(n, t1 - t0);
	return 0;
}
