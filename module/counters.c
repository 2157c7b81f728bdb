// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon's event and drop counters (counters.h names them once): per
 * CPU, summed when read.
 */
#include <linux/percpu.h>
#include <linux/string.h>
#include "lockmon.h"

DEFINE_PER_CPU(struct lm_counters, lm_counters);

static const struct {
	const char *name;
	const char *desc;
} lm_counter_info[] = {
#define LM_COUNTER(name, desc) { #name, desc },
#include "counters.h"
#undef LM_COUNTER
};

/**
 * lm_counter_sum() - sum a counter over all CPUs
 * @c: the counter
 *
 * Return: the total.
 */
u64 lm_counter_sum(enum lm_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(lm_counters.c[c], cpu);
	return sum;
}

/**
 * lm_counter_name() - the name of a counter, as printed in stats
 * @c: the counter
 *
 * Return: a static string.
 */
const char *lm_counter_name(enum lm_counter c)
{
	return lm_counter_info[c].name;
}

/**
 * lm_counters_reset() - zero every counter
 */
void lm_counters_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&lm_counters, cpu), 0, sizeof(struct lm_counters));
}
