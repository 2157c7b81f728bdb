// SPDX-License-Identifier: GPL-2.0
/*
 * User stacks of waits, stored once each in a bounded table and referred
 * to by id. A finished wait's stack is taken as it ends, outside the futex
 * locks, if sampling picks it (lm_stack_weight()); a wait that lasts gets
 * one from the periodic scan. stack_trace_save_user() is not exported, so lockmon
 * walks the frame-pointer chain itself with word loads with page faults disabled, which
 * never sleeps or faults pages in. Code built without frame pointers gives
 * short stacks; see Documentation/owners.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sizes.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "lockmon.h"

struct lm_stack {
	struct lm_tnode tn;	/* first: the table's */
	u32 hash;
	pid_t tgid;
	u32 nr;
	u64 ip[LOCKMON_MAX_STACK];
};

static struct lm_table lm_stacks;
DEFINE_PER_CPU(u32, lm_capture_tick);

/*
 * Where a stack is read from: current's memory without faults (probe
 * context), or a sleeping task's with access_process_vm() (the scan).
 */
struct lm_uread {
	struct task_struct *task;	/* NULL: current */
};

/*
 * @n words at @addr of the task @r reads; inline, so that the constant @n
 * of a frame or a code word makes a few loads with no loop
 */
static __always_inline bool lm_uread(const struct lm_uread *r,
				     unsigned long *dst, unsigned long addr,
				     unsigned int n)
{
	if (!r->task)
		return lm_uread_nofault(dst, addr, n, sizeof(*dst));
	return access_process_vm(r->task, addr, dst, n * sizeof(*dst), 0) ==
	       n * sizeof(*dst);
}

/* Do the 8 bytes @word before a user address end in a call instruction? */
static __always_inline bool lm_code_is_call(unsigned long word)
{
	const u8 *c = (const u8 *)&word;

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

/* Does the user address @ret follow a call instruction? */
static bool lm_after_call(const struct lm_uread *r, unsigned long ret)
{
	unsigned long word __uninitialized;	/* read only if loaded */

	return lm_uread(r, &word, ret - 8, 1) && lm_code_is_call(word);
}

/* Is @w worth a look as a return address, seen on the stack at @sp? */
static __always_inline bool lm_scan_candidate(unsigned long w,
					      unsigned long sp)
{
	/* not a stack address, not a small number */
	return !(w < PAGE_SIZE || w >= TASK_SIZE_MAX ||
		 (w > sp - SZ_64K && w < sp + SZ_8M));
}

#define LM_SCAN_WORDS	128	/* how far up the user stack to look */

/* The top of the user stack, read in one copy: per CPU for probe context. */
struct lm_scan_words {
	unsigned long w[LM_SCAN_WORDS];
};

static DEFINE_PER_CPU(struct lm_scan_words, lm_words);
static struct lm_scan_words lm_task_words;	/* the scan: one work item */
DEFINE_PER_CPU(u32, lm_rand);

/*
 * The scan below of current's stack, in one user-access window with no
 * copy: each word is loaded once and tested where it is, and a candidate's
 * code word is loaded in the same window. That is the common capture, in
 * probe context, and the copy cost a load and a store per word, 128 of
 * them. It finds what the scan of the copy would: a stack word that
 * faults, as near the top of the stack mapping (the last word is loaded
 * first, to tell that at once), makes it return 0, and the caller copies
 * a shorter window as before. A code word that faults is no call, as in
 * lm_after_call().
 *
 * Return: the addresses in @ips, counting the first (already there), or 0.
 */
static unsigned int lm_scan_current(unsigned long sp, u64 *ips)
{
	const unsigned long __user *up = (const unsigned long __user *)sp;
	unsigned int n = 1, i, nr = 0;
	unsigned long w, code;

	pagefault_disable();
	if (!user_access_begin(up, LM_SCAN_WORDS * sizeof(*up)))
		goto out;
	unsafe_get_user(w, up + LM_SCAN_WORDS - 1, fault);
	for (i = 0; i < LM_SCAN_WORDS && n < LOCKMON_MAX_STACK; i++) {
		unsafe_get_user(w, up + i, fault);
		if (!lm_scan_candidate(w, sp) || w == ips[n - 1])
			continue;
		/*
		 * below TASK_SIZE_MAX, tested just now: a user address, as
		 * access_ok() would have it, and not loaded speculatively
		 * past that test
		 */
		barrier_nospec();
		unsafe_get_user(code, (const unsigned long __user *)(w - 8),
				no_call);
		if (lm_code_is_call(code))
			ips[n++] = w;
no_call:
		;
	}
	nr = n;
fault:
	user_access_end();
out:
	pagefault_enable();
	return nr;
}

/*
 * Return addresses by frame pointers: good for code built with them. Most
 * distribution libraries (glibc among them) are built without, so when the
 * chain is short lockmon scans the top of the user stack for words that
 * point just after a call instruction instead. Such a scan can pick up a
 * stale return address left in a dead frame; Documentation/owners.rst
 * says so.
 */
static unsigned int lm_walk_user(const struct lm_uread *r,
				 const struct pt_regs *regs,
				 struct lm_scan_words *sw, u64 *ips)
{
	unsigned long fp = regs->bp, prev = 0, sp = regs->sp;
	/* the saved rbp, the return address; read only if loaded */
	unsigned long frame[2] __uninitialized;
	unsigned int n = 0, i, words = LM_SCAN_WORDS;

	ips[n++] = regs->ip;
	while (n < LOCKMON_MAX_STACK && fp > prev && !(fp & 7)) {
		if (!lm_uread(r, frame, fp, 2))
			break;
		/* code without frame pointers leaves junk in rbp */
		if (frame[1] < PAGE_SIZE || frame[1] >= TASK_SIZE_MAX)
			break;
		ips[n++] = frame[1];
		prev = fp;
		fp = frame[0];
	}
	if (n >= 4)
		return n;

	n = r->task ? 0 : lm_scan_current(sp, ips);
	if (n)
		return n;
	/* one copy; near the top of the stack mapping, a shorter one */
	while (words && !lm_uread(r, sw->w, sp, words))
		words /= 2;
	n = 1;
	for (i = 0; i < words && n < LOCKMON_MAX_STACK; i++) {
		unsigned long w = sw->w[i];

		if (!lm_scan_candidate(w, sp))
			continue;
		if (w != ips[n - 1] && lm_after_call(r, w))
			ips[n++] = w;
	}
	return n;
}

/*
 * Are two stacks of @nr addresses the same? A word at a time: the kernel's
 * memcmp() compares bytes, and a stored stack is compared on every hit.
 */
static bool lm_stack_same(const u64 *a, const u64 *b, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Store a stack once; returns its id, or 0 when the table is full. */
static u32 lm_stack_store(pid_t tgid, const u64 *ips, unsigned int nr)
{
	u32 hash = jhash2((const u32 *)ips, nr * 2, tgid);
	struct lm_bucket *b = lm_table_bucket(&lm_stacks, hash);
	struct lm_stack *s;
	unsigned long flags;
	u32 id;

	lm_bucket_lock(b, &flags);
	lm_table_for_each(s, b)
		if (s->hash == hash && s->tgid == tgid && s->nr == nr &&
		    lm_stack_same(s->ip, ips, nr))
			goto found;
	s = lm_table_insert(&lm_stacks, b);
	if (!s) {
		/* counted in stacks_dropped */
		lm_bucket_unlock(b, flags);
		return 0;
	}
	s->hash = hash;
	s->tgid = tgid;
	s->nr = nr;
	memcpy(s->ip, ips, nr * sizeof(u64));
found:
	id = lm_table_idx(&lm_stacks, s) + 1;
	lm_bucket_unlock(b, flags);
	lm_count(LM_CNT_stacks_captured);
	return id;
}

/**
 * lm_stack_capture() - save current's user stack
 *
 * Called from probe context with preemption disabled, outside every futex
 * lock; reads user memory without faults.
 *
 * Return: the stack id, or 0 for a kernel thread or when the table is full.
 */
u32 lm_stack_capture(void)
{
	struct lm_uread r = { .task = NULL };
	u64 ips[LOCKMON_MAX_STACK] __uninitialized;	/* nr of them are set */
	unsigned int nr;

	if (current->flags & PF_KTHREAD)
		return 0;
	nr = lm_walk_user(&r, task_pt_regs(current), this_cpu_ptr(&lm_words),
			  ips);
	return lm_stack_store(current->tgid, ips, nr);
}

/**
 * lm_stack_capture_task() - save the user stack of a task blocked in futex(2)
 * @p: the task, referenced by the caller; its user registers do not change
 *	while it sleeps in the system call
 *
 * May sleep: the scan's work item only.
 *
 * Return: the stack id, or 0.
 */
u32 lm_stack_capture_task(struct task_struct *p)
{
	struct lm_uread r = { .task = p };
	u64 ips[LOCKMON_MAX_STACK];
	struct pt_regs regs;
	unsigned int nr;
	bool live;

	might_sleep();
	if (p->flags & PF_KTHREAD)
		return 0;
	/*
	 * The user registers are on the task's kernel stack, which an exiting
	 * task frees after exit_mm(); exit_mm() clears ->mm under task_lock().
	 * So while that lock is held and ->mm is set, the stack is there.
	 * (put_task_stack() is not exported, so the stack cannot be pinned.)
	 */
	task_lock(p);
	live = p->mm;
	if (live)
		regs = *task_pt_regs(p);
	task_unlock(p);
	if (!live)
		return 0;
	nr = lm_walk_user(&r, &regs, &lm_task_words, ips);
	return lm_stack_store(p->tgid, ips, nr);
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
	struct lm_stack *s = id ? lm_table_entry(&lm_stacks, id - 1) : NULL;
	unsigned int nr = 0;
	struct lm_bucket *b;
	unsigned long flags;
	u32 bk;

	if (!s || !READ_ONCE(s->tn.used))
		return 0;
	bk = READ_ONCE(s->tn.bucket);
	b = &lm_stacks.buckets[bk];
	lm_bucket_lock(b, &flags);
	if (s->tn.used && s->tn.bucket == bk) {
		nr = s->nr;
		*tgid = s->tgid;
		memcpy(ips, s->ip, nr * sizeof(u64));
	}
	lm_bucket_unlock(b, flags);
	return nr;
}

/**
 * lm_stacks_bytes() - memory held by the stack table
 *
 * Return: bytes.
 */
size_t lm_stacks_bytes(void)
{
	return lm_table_bytes(lm_max_stacks, sizeof(struct lm_stack));
}

/**
 * lm_stacks_reset() - forget every stack
 */
void lm_stacks_reset(void)
{
	lm_table_reset(&lm_stacks);
}

/**
 * lm_stacks_init() - allocate the stack table for lm_max_stacks stacks
 *
 * Return: 0 or -ENOMEM.
 */
int lm_stacks_init(void)
{
	return lm_table_init(&lm_stacks, "stacks", lm_max_stacks,
			     sizeof(struct lm_stack), LM_CNT_stacks_dropped);
}

/**
 * lm_stacks_exit() - free the stack table
 */
void lm_stacks_exit(void)
{
	lm_table_exit(&lm_stacks);
}
