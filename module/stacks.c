// SPDX-License-Identifier: GPL-2.0
/*
 * User stacks at block time, stored once each in a bounded table and
 * referred to by id. stack_trace_save_user() is not exported, so lockmon
 * walks the frame-pointer chain itself with copy_from_user_nofault(), which
 * never sleeps or faults pages in. Code built without frame pointers gives
 * short stacks; see Documentation/owners.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/ptrace.h>
#include <linux/sizes.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "lockmon.h"

struct lm_stack {
	u32 hash;
	pid_t tgid;		/* 0: free */
	u32 nr;
	u64 ip[LOCKMON_MAX_STACK];
};

struct lm_stack_bucket {
	raw_spinlock_t lock;
	struct lm_stack slot[LM_WAYS];
};

static struct lm_stack_bucket *lm_stacks;
static unsigned int lm_stack_bits;
static DEFINE_PER_CPU(u32, lm_capture_tick);

/* Does the user address @ret follow a call instruction? */
static bool lm_after_call(unsigned long ret)
{
	u8 c[8];

	if (copy_from_user_nofault(c, (void __user *)(ret - 8), sizeof(c)))
		return false;
	if (c[3] == 0xe8)				/* call rel32 */
		return true;
	if (c[6] == 0xff && (c[7] & 0xf8) == 0xd0)	/* call *%reg */
		return true;
	if (c[5] == 0xff && (c[6] & 0xf8) == 0x50)	/* call *d8(%reg) */
		return true;
	if (c[2] == 0xff && (c[3] & 0x38) == 0x10 &&	/* call *d32(%reg), */
	    ((c[3] & 0xc0) == 0x80 || c[3] == 0x15))	/* call *d32(%rip) */
		return true;
	return false;
}

#define LM_SCAN_WORDS	128	/* how far up the user stack to look */
#define LM_SCAN_CHUNK	16

/*
 * Return addresses by frame pointers: good for code built with them. Most
 * distribution libraries (glibc among them) are built without, so when the
 * chain is short lockmon scans the top of the user stack for words that
 * point just after a call instruction instead. Such a scan can pick up a
 * stale return address left in a dead frame; Documentation/owners.rst
 * says so.
 */
static unsigned int lm_walk_user(u64 *ips)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long fp = regs->bp, prev = 0, sp = regs->sp;
	unsigned long words[LM_SCAN_CHUNK];
	struct { unsigned long next, ret; } frame;
	unsigned int n = 0, i, done;

	ips[n++] = regs->ip;
	while (n < LOCKMON_MAX_STACK && fp > prev && !(fp & 7)) {
		if (copy_from_user_nofault(&frame, (void __user *)fp, sizeof(frame)))
			break;
		/* code without frame pointers leaves junk in rbp */
		if (frame.ret < PAGE_SIZE || frame.ret >= TASK_SIZE_MAX)
			break;
		ips[n++] = frame.ret;
		prev = fp;
		fp = frame.next;
	}
	if (n >= 4)
		return n;

	n = 1;
	for (done = 0; done < LM_SCAN_WORDS && n < LOCKMON_MAX_STACK;
	     done += LM_SCAN_CHUNK) {
		if (copy_from_user_nofault(words, (void __user *)(sp + done * 8),
					   sizeof(words)))
			break;
		for (i = 0; i < LM_SCAN_CHUNK && n < LOCKMON_MAX_STACK; i++) {
			unsigned long w = words[i];

			/* not a stack address, not a small number */
			if (w < PAGE_SIZE || w >= TASK_SIZE_MAX ||
			    (w > sp - SZ_64K && w < sp + SZ_8M))
				continue;
			if (w != ips[n - 1] && lm_after_call(w))
				ips[n++] = w;
		}
	}
	return n;
}

/**
 * lm_stack_capture() - capture current's user stack, if sampling says so
 *
 * Captures on capture_pct percent of calls per CPU (a counter, not a
 * random draw, so the cost is steady).
 *
 * Return: the stack id, or 0 when not captured or the table is full.
 */
u32 lm_stack_capture(void)
{
	unsigned int pct = READ_ONCE(lm_settings.capture_pct);
	u64 ips[LOCKMON_MAX_STACK];
	struct lm_stack_bucket *b;
	struct lm_stack *s, *free = NULL;
	unsigned long flags;
	unsigned int nr, i;
	u32 tick, hash, id = 0;

	if (!pct)
		return 0;
	tick = this_cpu_inc_return(lm_capture_tick) % 100;
	if (tick >= pct)
		return 0;
	if (current->flags & PF_KTHREAD)
		return 0;

	nr = lm_walk_user(ips);
	hash = jhash2((u32 *)ips, nr * 2, current->tgid);
	b = &lm_stacks[hash_32(hash, lm_stack_bits)];

	raw_spin_lock_irqsave(&b->lock, flags);
	for (i = 0; i < LM_WAYS; i++) {
		s = &b->slot[i];
		if (!s->tgid) {
			free = free ?: s;
			continue;
		}
		if (s->hash == hash && s->tgid == current->tgid && s->nr == nr &&
		    !memcmp(s->ip, ips, nr * sizeof(u64)))
			goto found;
	}
	if (!free) {
		raw_spin_unlock_irqrestore(&b->lock, flags);
		lm_count(LM_CNT_stacks_dropped);
		return 0;
	}
	s = free;
	s->hash = hash;
	s->tgid = current->tgid;
	s->nr = nr;
	memcpy(s->ip, ips, nr * sizeof(u64));
found:
	id = (u32)((b - lm_stacks) * LM_WAYS + (s - b->slot)) + 1;
	raw_spin_unlock_irqrestore(&b->lock, flags);
	lm_count(LM_CNT_stacks_captured);
	return id;
}

/**
 * lm_stack_get() - copy a stored stack
 * @id: id from lm_stack_capture()
 * @tgid: set to the process the stack belongs to
 * @ips: room for LOCKMON_MAX_STACK addresses
 *
 * Return: the depth, or 0 when @id names no stack.
 */
unsigned int lm_stack_get(u32 id, pid_t *tgid, u64 *ips)
{
	struct lm_stack_bucket *b;
	struct lm_stack *s;
	unsigned long flags;
	unsigned int nr = 0;

	if (!id || id > (LM_WAYS << lm_stack_bits))
		return 0;
	id--;
	b = &lm_stacks[id / LM_WAYS];
	s = &b->slot[id % LM_WAYS];
	raw_spin_lock_irqsave(&b->lock, flags);
	if (s->tgid) {
		nr = s->nr;
		*tgid = s->tgid;
		memcpy(ips, s->ip, nr * sizeof(u64));
	}
	raw_spin_unlock_irqrestore(&b->lock, flags);
	return nr;
}

/**
 * lm_stacks_bytes() - memory held by the stack table
 *
 * Return: bytes.
 */
size_t lm_stacks_bytes(void)
{
	return sizeof(*lm_stacks) << lm_stack_bits;
}

/**
 * lm_stacks_reset() - forget every stack
 */
void lm_stacks_reset(void)
{
	unsigned long flags;
	unsigned int b;

	for (b = 0; b < (1U << lm_stack_bits); b++) {
		raw_spin_lock_irqsave(&lm_stacks[b].lock, flags);
		memset(lm_stacks[b].slot, 0, sizeof(lm_stacks[b].slot));
		raw_spin_unlock_irqrestore(&lm_stacks[b].lock, flags);
	}
}

/**
 * lm_stacks_init() - allocate the stack table for lm_max_stacks stacks
 *
 * Return: 0 or -ENOMEM.
 */
int lm_stacks_init(void)
{
	unsigned int b;

	lm_stack_bits = ilog2(roundup_pow_of_two(lm_max_stacks / LM_WAYS));
	lm_stacks = vzalloc(lm_stacks_bytes());
	if (!lm_stacks)
		return -ENOMEM;
	for (b = 0; b < (1U << lm_stack_bits); b++)
		raw_spin_lock_init(&lm_stacks[b].lock);
	return 0;
}

/**
 * lm_stacks_exit() - free the stack table
 */
void lm_stacks_exit(void)
{
	vfree(lm_stacks);
	lm_stacks = NULL;
}
