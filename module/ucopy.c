// SPDX-License-Identifier: GPL-2.0
/*
 * Copies of the user stacks of tasks in findings, so that the reporter can
 * unwind them with the binaries' own call-frame information (libdw, as
 * perf --call-graph dwarf does) after the process has gone; a live
 * process the reporter unwinds itself, from /proc.
 *
 * When the report worker takes up a finding, it copies, for each member
 * still blocked in the futex wait of the finding, the user registers the
 * unwinder starts from (ip, sp, bp) and the top LM_UCOPY_BYTES of its user
 * stack, with access_process_vm(). Process context; nothing of it runs on
 * a futex path. A copy is kept only if the task did not run while it was
 * taken (its context-switch counts did not move), so registers and stack
 * belong to one moment. The copies live in a ring of max_ucopies, fixed at
 * load; one pushed out is counted. The ustacks file prints them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/syscalls.h>
#include <linux/vmalloc.h>
#include <asm/syscall.h>
#include "lockmon.h"

struct lm_ucopy {
	pid_t tid, tgid;
	u64 start_time;		/* of the thread, to tell a reused TID */
	u64 ip, sp, bp;
	u32 len;		/* bytes of data, from sp up */
	u8 data[LM_UCOPY_BYTES];
};

static DEFINE_MUTEX(lm_ucopy_lock);
static struct lm_ucopy *lm_ucopies;	/* ring of lm_max_ucopies */
static unsigned int lm_ucopy_next;

static unsigned long lm_switches(const struct task_struct *t)
{
	return READ_ONCE(t->nvcsw) + READ_ONCE(t->nivcsw);
}

/* The thread's slot: its own, else the oldest. Caller holds the lock. */
static struct lm_ucopy *lm_ucopy_for(pid_t tid, u64 start_time)
{
	struct lm_ucopy *c;
	unsigned int i;

	lockdep_assert_held(&lm_ucopy_lock);
	for (i = 0; i < lm_max_ucopies; i++)
		if (lm_ucopies[i].tid == tid &&
		    lm_ucopies[i].start_time == start_time)
			return &lm_ucopies[i];
	c = &lm_ucopies[lm_ucopy_next];
	lm_ucopy_next = (lm_ucopy_next + 1) % lm_max_ucopies;
	if (c->tid)
		lm_count(LM_CNT_ucopies_replaced);
	return c;
}

/*
 * Is @t, off the CPU, in futex(2) on @uaddr (or in futex_waitv(2))? A
 * task that returned from the finding's wait has another stack by now.
 */
static bool lm_ucopy_in_wait(struct task_struct *t, struct pt_regs *regs,
			     u64 uaddr)
{
	unsigned long args[6];
	long nr;

	if (task_is_running(t) || !user_64bit_mode(regs))
		return false;
	nr = syscall_get_nr(t, regs);
	if (nr == __NR_futex_waitv)
		return true;
	if (nr != __NR_futex)
		return false;
	syscall_get_arguments(t, regs, args);
	return args[0] == uaddr;
}

/**
 * lm_ucopy_note() - copy the registers and user stack of a finding member
 * @ft: the member
 *
 * Process context (the report worker).
 */
void lm_ucopy_note(const struct lm_finding_task *ft)
{
	struct task_struct *t;
	struct pt_regs *regs;
	struct lm_ucopy *c, *tmp;
	struct pid *pid;
	unsigned long sw;
	bool in_wait;
	int n;

	if (!lm_max_ucopies || ft->tid <= 0)
		return;
	pid = find_get_pid(ft->tid);
	t = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!t)
		return;
	tmp = kmalloc(sizeof(*tmp), GFP_KERNEL);
	if (!tmp) {
		lm_count(LM_CNT_ucopies_failed);
		goto out;
	}
	/*
	 * The registers are on the task's kernel stack, which lasts while
	 * ->mm is set under task_lock(): an exiting task clears it long
	 * before its stack goes (put_task_stack() is not exported).
	 */
	task_lock(t);
	sw = lm_switches(t);
	regs = task_pt_regs(t);
	in_wait = t->mm && t->tgid == ft->tgid && !(t->flags & PF_KTHREAD) &&
		  lm_ucopy_in_wait(t, regs, ft->uaddr);
	if (in_wait) {
		tmp->ip = regs->ip;
		tmp->sp = regs->sp;
		tmp->bp = regs->bp;
	}
	task_unlock(t);
	if (!in_wait)
		goto out_free;
	tmp->tid = ft->tid;
	tmp->tgid = ft->tgid;
	tmp->start_time = t->start_time;
	n = access_process_vm(t, tmp->sp, tmp->data, sizeof(tmp->data), 0);
	/* it ran meanwhile: registers and stack need not agree */
	if (n <= 0 || lm_switches(t) != sw || task_is_running(t)) {
		lm_count(LM_CNT_ucopies_failed);
		goto out_free;
	}
	tmp->len = n;
	mutex_lock(&lm_ucopy_lock);
	c = lm_ucopy_for(tmp->tid, tmp->start_time);
	memcpy(c, tmp, offsetof(struct lm_ucopy, data) + n);
	mutex_unlock(&lm_ucopy_lock);
out_free:
	kfree(tmp);
out:
	put_task_struct(t);
}

static void *lm_ucopy_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&lm_ucopy_lock);
	for (; *pos < lm_max_ucopies; ++*pos)
		if (lm_ucopies[*pos].tid)
			return &lm_ucopies[*pos];
	return NULL;
}

static void *lm_ucopy_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	for (++*pos; *pos < lm_max_ucopies; ++*pos)
		if (lm_ucopies[*pos].tid)
			return &lm_ucopies[*pos];
	return NULL;
}

static void lm_ucopy_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&lm_ucopy_lock);
}

/* "TGID TID IP SP BP LEN HEX": user addresses and user bytes only */
static int lm_ucopy_show(struct seq_file *m, void *v)
{
	const struct lm_ucopy *c = v;
	u32 off;

	seq_printf(m, "%d %d %llx %llx %llx %u ", c->tgid, c->tid, c->ip,
		   c->sp, c->bp, c->len);
	for (off = 0; off < c->len; off += 64)
		seq_printf(m, "%*phN", (int)min_t(u32, 64, c->len - off),
			   c->data + off);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations lm_ucopy_seq_ops = {
	.start = lm_ucopy_start,
	.next = lm_ucopy_seq_next,
	.stop = lm_ucopy_stop,
	.show = lm_ucopy_show,
};

static int lm_ucopy_open(struct inode *inode, struct file *file)
{
	return seq_open(file, &lm_ucopy_seq_ops);
}

const struct file_operations lm_ucopy_fops = {
	.owner = THIS_MODULE,
	.open = lm_ucopy_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release,
};

/**
 * lm_ucopy_reset() - forget every copy
 */
void lm_ucopy_reset(void)
{
	if (!lm_ucopies)
		return;
	mutex_lock(&lm_ucopy_lock);
	memset(lm_ucopies, 0, sizeof(*lm_ucopies) * lm_max_ucopies);
	lm_ucopy_next = 0;
	mutex_unlock(&lm_ucopy_lock);
}

/**
 * lm_ucopy_bytes() - memory held for stack copies
 *
 * Return: bytes.
 */
size_t lm_ucopy_bytes(void)
{
	return sizeof(*lm_ucopies) * lm_max_ucopies;
}

/**
 * lm_ucopy_init() - allocate the ring of copies
 *
 * Return: 0 or -ENOMEM.
 */
int lm_ucopy_init(void)
{
	if (!lm_max_ucopies)
		return 0;
	lm_ucopies = vzalloc(sizeof(*lm_ucopies) * lm_max_ucopies);
	return lm_ucopies ? 0 : -ENOMEM;
}

/**
 * lm_ucopy_exit() - free the ring
 */
void lm_ucopy_exit(void)
{
	vfree(lm_ucopies);
	lm_ucopies = NULL;
}
