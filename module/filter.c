// SPDX-License-Identifier: GPL-2.0
/*
 * The pid/comm filter and the stack settings, written through the control
 * file and read by every probe.
 */
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/string.h>
#include "lockmon.h"

struct lm_settings lm_settings = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(lm_settings.lock),
	.seq = SEQCNT_RAW_SPINLOCK_ZERO(lm_settings.seq, &lm_settings.lock),
};

/**
 * __lm_filtered() - the filter, once lm_filtered() has seen one is set
 * @t: the task
 *
 * Return: true when its events are to be skipped.
 */
bool __lm_filtered(struct task_struct *t)
{
	pid_t pid = READ_ONCE(lm_settings.pid);
	char comm[TASK_COMM_LEN];

	if (pid && t->tgid != pid)
		goto filtered;
	if (!READ_ONCE(lm_settings.comm[0]))
		return false;
	lm_settings_comm(comm);
	if (comm[0] && strncmp(t->comm, comm, TASK_COMM_LEN))
		goto filtered;
	return false;
filtered:
	lm_count(LM_CNT_filtered);
	return true;
}

/**
 * lm_settings_comm() - copy the comm filter, never half of an update
 * @comm: TASK_COMM_LEN bytes; "" when there is no comm filter
 */
void lm_settings_comm(char *comm)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&lm_settings.seq);
		memcpy(comm, lm_settings.comm, TASK_COMM_LEN);
	} while (read_seqcount_retry(&lm_settings.seq, seq));
	comm[TASK_COMM_LEN - 1] = 0;
}

/**
 * lm_settings_set_filter() - set the pid and/or comm filter
 * @pid: the tgid to trace, 0 for all, -1 to leave it as it is
 * @comm: the command to trace, "" for all, NULL to leave it as it is
 *
 * Interrupts and preemption are off while comm is written, on PREEMPT_RT
 * too (a raw lock): neither a probe that fires in an interrupt on this CPU
 * nor a task that preempts the writer must spin on a write it stopped.
 */
void lm_settings_set_filter(int pid, const char *comm)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&lm_settings.lock, flags);
	write_seqcount_begin(&lm_settings.seq);
	if (pid >= 0)
		WRITE_ONCE(lm_settings.pid, pid);
	if (comm)
		strscpy_pad(lm_settings.comm, comm, sizeof(lm_settings.comm));
	write_seqcount_end(&lm_settings.seq);
	raw_spin_unlock_irqrestore(&lm_settings.lock, flags);
}
