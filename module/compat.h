/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference lockmon depends on, one shim per change.
 *
 * lockmon probes kernel-internal futex functions, so their names and the
 * layout of the one internal structure it reads live here and nowhere else.
 */
#ifndef LOCKMON_COMPAT_H
#define LOCKMON_COMPAT_H

#include <linux/futex.h>
#include <linux/plist.h>
#include <linux/spinlock_types.h>

/*
 * v5.16 (the split into kernel/futex/) renamed futex_wait_queue_me() to
 * futex_wait_queue() and made the wait/wake helpers global; v6.7 (futex2
 * syscalls) keeps these names. On an older kernel the probes of the missing
 * names fail to register and lockmon says so at load rather than guessing:
 * symbols are checked where they are used, not by version number.
 */

#define LM_SYM_FUTEX_WAIT_QUEUE		"futex_wait_queue"
/* futex_wait() calls it once its own wait is over, woken or not */
#define LM_SYM_FUTEX_UNQUEUE		"futex_unqueue"
/* ... and futex_wait_setup() calls this when the value has changed */
#define LM_SYM_FUTEX_Q_UNLOCK		"futex_q_unlock"
#define LM_SYM_FUTEX_WAIT_SETUP		"futex_wait_setup"
#define LM_SYM_FUTEX_WAKE_MARK		"futex_wake_mark"
#define LM_SYM_FUTEX_LOCK_PI		"futex_lock_pi"
#ifdef LM_TEST_MISSING_SYMBOL
/* the selftests' variant (make module-missing-symbol): a name no kernel has */
#define LM_SYM_FUTEX_UNLOCK_PI		"lockmon_test_missing_symbol"
#else
#define LM_SYM_FUTEX_UNLOCK_PI		"futex_unlock_pi"
#endif
#define LM_SYM_FUTEX_WAIT_REQUEUE_PI	"futex_wait_requeue_pi"
/* v5.16: futex_waitv() waits in futex_wait_multiple() */
#define LM_SYM_FUTEX_WAIT_MULTIPLE	"futex_wait_multiple"

/*
 * The hooks on the hot path are ftrace callbacks that read the probed
 * function's arguments from struct ftrace_regs, which holds them on every
 * call only with DYNAMIC_FTRACE_WITH_ARGS (x86 since v5.11). Without it
 * lockmon would need int3 kprobes, whose handlers run in NMI-like context,
 * so it refuses to load instead (Documentation/design.rst).
 */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define LM_HAVE_FTRACE_ARGS	1
#define LM_FTRACE_REGS(fregs)	(&(fregs)->regs)
#else
#define LM_HAVE_FTRACE_ARGS	0
#define LM_FTRACE_REGS(fregs)	((struct pt_regs *)NULL)
#endif
#define LM_FTRACE_NEED		"CONFIG_DYNAMIC_FTRACE_WITH_ARGS"
#define LM_KPROBE_NEED		"CONFIG_KPROBES_ON_FTRACE"

/* kernel/futex/futex.h, not exported: bit 0 of the internal flags. */
#define LM_FLAGS_SHARED			0x01

/*
 * The head of struct futex_q (kernel/futex/futex.h), up to the key, which is
 * all lockmon reads. It has had this shape since v4.x; RANDSTRUCT kernels
 * would reorder it, so the probes check it against the private-futex address
 * they know and count mismatches (stats: key_mismatch).
 */
struct lm_futex_q_head {
	struct plist_node list;
	struct task_struct *task;
	spinlock_t *lock_ptr;		/* the hash bucket's lock */
	union futex_key key;
};

/*
 * glibc's struct __pthread_mutex_s on 64-bit: int __lock; unsigned int
 * __count; int __owner; unsigned int __nusers; int __kind. Stable ABI since
 * glibc 2.3.
 */
#define LM_GLIBC_OWNER_OFF	8
#define LM_GLIBC_KIND_OFF	16
#define LM_GLIBC_KIND_MASK	3	/* PTHREAD_MUTEX_KIND_MASK_NP */
/* every __kind bit glibc defines: type, robust, PI, PP, pshared, elision */
#define LM_GLIBC_KIND_BITS	0x3ff
#define LM_GLIBC_KIND_NORMAL	0
#define LM_GLIBC_KIND_RECURSIVE	1
#define LM_GLIBC_KIND_ERRCHECK	2
#define LM_GLIBC_KIND_ADAPTIVE	3

#endif /* LOCKMON_COMPAT_H */
