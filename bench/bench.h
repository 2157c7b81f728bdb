/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the bench workloads: a clock, argument parsing, and the one
 * result line bench/run parses: "ops=N ns=T" plus workload details.
 */
#ifndef LOCKMON_BENCH_H
#define LOCKMON_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Under QEMU -icount shift=0 this is instruction time: 1 ns per instruction. */
static inline unsigned long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A positive decimal number in [min, max], or exit with one error line. */
static inline unsigned long bench_num(const char *prog, const char *what,
				      const char *s, unsigned long min,
				      unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "%s: %s must be a number in %lu..%lu, not '%s'\n",
			prog, what, min, max, s);
		exit(2);
	}
	return v;
}

/* Wait for a line on stdin: lets a tracer attach to our pid first. */
static inline void bench_wait_go(void)
{
	char line[16];

	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "no go line on stdin\n");
		exit(2);
	}
}

static inline void bench_result(unsigned long long ops, unsigned long long ns)
{
	printf("ops=%llu ns=%llu\n", ops, ns);
}

#endif
