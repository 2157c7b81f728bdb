// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon: user-space lock contention and deadlock tracer.
 *
 * Module parameters, init/exit, and the on/off switch. Every table is sized
 * here, once, from the parameters; nothing grows afterwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include "lockmon.h"
#include "version.h"

/*
 * Each numeric parameter is named, ranged and described once: the range
 * is checked as the value is parsed, so a value out of range fails the
 * load with one kernel log line naming it.
 */
struct lm_param {
	unsigned int *val;
	unsigned int min, max;
};

static int lm_param_set(const char *val, const struct kernel_param *kp)
{
	const struct lm_param *p = kp->arg;
	struct kernel_param one = *kp;
	unsigned int v;
	int err;

	one.arg = &v;
	err = param_set_uint(val, &one);
	if (err)
		return err;
	if (v < p->min || v > p->max) {
		pr_err("invalid parameter %s=%u: must be %u..%u\n", kp->name, v,
		       p->min, p->max);
		return -EINVAL;
	}
	*p->val = v;
	return 0;
}

static int lm_param_get(char *buf, const struct kernel_param *kp)
{
	const struct lm_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", *p->val);
}

static const struct kernel_param_ops lm_param_ops = {
	.set = lm_param_set,
	.get = lm_param_get,
};

unsigned int lm_max_tasks = 16384;
static struct lm_param lm_param_max_tasks = { &lm_max_tasks, 64, 1048576 };
module_param_cb(max_tasks, &lm_param_ops, &lm_param_max_tasks, 0444);
MODULE_PARM_DESC(max_tasks, "tasks tracked at once");

unsigned int lm_max_futexes = 65536;
static struct lm_param lm_param_max_futexes = { &lm_max_futexes, 64, 4194304 };
module_param_cb(max_futexes, &lm_param_ops, &lm_param_max_futexes, 0444);
MODULE_PARM_DESC(max_futexes, "futexes tracked until reset");

unsigned int lm_max_stacks = 4096;
static struct lm_param lm_param_max_stacks = { &lm_max_stacks, 64, 1048576 };
module_param_cb(max_stacks, &lm_param_ops, &lm_param_max_stacks, 0444);
MODULE_PARM_DESC(max_stacks, "distinct user stacks kept");

unsigned int lm_max_findings = 64;
static struct lm_param lm_param_max_findings = { &lm_max_findings, 1, 4096 };
module_param_cb(max_findings, &lm_param_ops, &lm_param_max_findings, 0444);
MODULE_PARM_DESC(max_findings, "findings kept in the deadlocks file");

unsigned int lm_stall_ms = 2000;
static struct lm_param lm_param_stall_ms = { &lm_stall_ms, 10, 3600000 };
module_param_cb(stall_ms, &lm_param_ops, &lm_param_stall_ms, 0444);
MODULE_PARM_DESC(stall_ms, "a process is stalled after this long all blocked (ms)");

unsigned int lm_scan_ms = 100;
static struct lm_param lm_param_scan_ms = { &lm_scan_ms, 10, 60000 };
module_param_cb(scan_ms, &lm_param_ops, &lm_param_scan_ms, 0444);
MODULE_PARM_DESC(scan_ms, "period of the orphan/stall/owner rescan (ms)");

static unsigned int lm_capture;
static struct lm_param lm_param_capture = { &lm_capture, 0, 100 };
module_param_cb(capture, &lm_param_ops, &lm_param_capture, 0444);
MODULE_PARM_DESC(capture, "percent of blocking waits given a user stack; when set, stack_ns is not used");

static unsigned int lm_stack_ns = 1000000;
static struct lm_param lm_param_stack_ns = { &lm_stack_ns, 0, 4000000000U };
module_param_cb(stack_ns, &lm_param_ops, &lm_param_stack_ns, 0444);
MODULE_PARM_DESC(stack_ns, "waits this long get a user stack, shorter ones with probability wait/stack_ns");

/* read by the EAGAIN hook on every call, and writable at run time */
unsigned int lm_again_keyed;
static struct lm_param lm_param_again_keyed = { &lm_again_keyed, 0, 1 };
module_param_cb(again_keyed, &lm_param_ops, &lm_param_again_keyed, 0644);
MODULE_PARM_DESC(again_keyed, "1: count EAGAIN returns per futex too (the locks file's again); about 110 instructions each");

/* read by a waiter's end on the locked futex, and writable at run time */
unsigned int lm_starve_hands = 8;
static struct lm_param lm_param_starve_hands = { &lm_starve_hands, 1, 1000000 };
module_param_cb(starve_hands, &lm_param_ops, &lm_param_starve_hands, 0644);
MODULE_PARM_DESC(starve_hands, "a wait during which the futex woke this many other waiters counts for the locks file's starve_ns");

/* read by a waiter's end after starve_hands is met, and writable at run time */
unsigned int lm_starve_factor = 8;
static struct lm_param lm_param_starve_factor = { &lm_starve_factor, 2, 1000000 };
module_param_cb(starve_factor, &lm_param_ops, &lm_param_starve_factor, 0644);
MODULE_PARM_DESC(starve_factor, "a wait of starve_hands hand changes and this many times its futex's median wait is a starvation finding");

/* read by the scan, and writable at run time */
unsigned int lm_lhp_ms = 100;
static struct lm_param lm_param_lhp_ms = { &lm_lhp_ms, 1, 3600000 };
module_param_cb(lhp_ms, &lm_param_ops, &lm_param_lhp_ms, 0644);
MODULE_PARM_DESC(lhp_ms, "a lock's owner runnable but off-CPU this long while tasks wait: a holder-preempted or priority-inversion finding (ms)");

unsigned int lm_lhp_waiters = 2;
static struct lm_param lm_param_lhp_waiters = { &lm_lhp_waiters, 1, LOCKMON_MAX_CHAIN };
module_param_cb(lhp_waiters, &lm_param_ops, &lm_param_lhp_waiters, 0644);
MODULE_PARM_DESC(lhp_waiters, "tasks waiting on a preempted owner's lock for a holder-preempted finding");

unsigned int lm_max_maps = 16;
static struct lm_param lm_param_max_maps = { &lm_max_maps, 0, 256 };
module_param_cb(max_maps, &lm_param_ops, &lm_param_max_maps, 0444);
MODULE_PARM_DESC(max_maps, "processes with findings whose file mappings are kept, to name their frames once they exit (0: none)");

unsigned int lm_max_ucopies = 64;
static struct lm_param lm_param_max_ucopies = { &lm_max_ucopies, 0, 1024 };
module_param_cb(max_ucopies, &lm_param_ops, &lm_param_max_ucopies, 0444);
MODULE_PARM_DESC(max_ucopies, "threads in findings whose user registers and top 4 KiB of stack are kept, to unwind them once they exit (0: none)");

static unsigned int lm_max_memory_mb = 64;
static struct lm_param lm_param_max_memory_mb = { &lm_max_memory_mb, 1, 4096 };
module_param_cb(max_memory_mb, &lm_param_ops, &lm_param_max_memory_mb, 0444);
MODULE_PARM_DESC(max_memory_mb, "refuse to load if the tables need more (MiB)");

static bool lm_enable_at_load = true;
module_param_named(enable, lm_enable_at_load, bool, 0444);
MODULE_PARM_DESC(enable, "start tracing at load (default 1)");

static DEFINE_MUTEX(lm_ctl_mutex);	/* serializes enable/disable/reset */
static bool lm_enabled;

/**
 * lm_memory_bytes() - memory lockmon holds: every table and the kretprobe
 *	instances it registers when enabled
 *
 * Return: bytes.
 */
size_t lm_memory_bytes(void)
{
	return lm_waits_bytes() + lm_stats_bytes() + lm_stacks_bytes() +
	       lm_findings_bytes() + lm_scan_bytes() + lm_exited_bytes() +
	       lm_probes_futex_bytes() + lm_maps_bytes() + lm_ucopy_bytes();
}

/*
 * Checked twice: before allocating, with the two big tables alone, so an
 * absurd request is refused without trying it; then once the tables exist,
 * with everything, so the figure is exact.
 */
static bool lm_memory_fits(bool allocated)
{
	u64 need = (u64)lm_table_bytes(lm_max_tasks, sizeof(struct lm_task)) +
		   lm_table_bytes(lm_max_futexes, sizeof(struct lm_futex));

	if (allocated)
		need = lm_memory_bytes();
	if (need <= (u64)lm_max_memory_mb << 20)
		return true;
	pr_err("tables need %llu MiB, over max_memory_mb=%u: lower max_tasks, max_futexes or max_stacks\n",
	       DIV_ROUND_UP_ULL(need, 1 << 20), lm_max_memory_mb);
	return false;
}

/**
 * lm_enable() - register every probe and start the scan
 *
 * Return: 0, or the error of a probe lockmon cannot work without.
 */
int lm_enable(void)
{
	int err = 0;

	mutex_lock(&lm_ctl_mutex);
	if (lm_enabled)
		goto out;
	err = lm_probes_futex_register();
	if (err)
		goto out;
	err = lm_probes_sched_register();
	if (err)
		goto err_sched;
	lm_graph_scan_start();
	lm_enabled = true;
	goto out;

err_sched:
	lm_probes_futex_unregister();
out:
	mutex_unlock(&lm_ctl_mutex);
	return err;
}

static void __lm_disable(void)
{
	lockdep_assert_held(&lm_ctl_mutex);
	if (!lm_enabled)
		return;
	lm_graph_scan_stop();
	lm_probes_sched_unregister();
	lm_probes_futex_unregister();
	/* waits in flight will never be seen to end: forget them */
	lm_waits_reset();
	lm_stats_forget_waiters();
	lm_enabled = false;
}

/**
 * lm_disable() - stop every probe: zero cost until enabled again
 */
void lm_disable(void)
{
	mutex_lock(&lm_ctl_mutex);
	__lm_disable();
	mutex_unlock(&lm_ctl_mutex);
}

/**
 * lm_is_enabled() - are the probes registered?
 *
 * Return: true when tracing.
 */
bool lm_is_enabled(void)
{
	return READ_ONCE(lm_enabled);
}

/**
 * lm_reset() - forget every task, futex, stack, finding and counter
 *
 * Probes are off while the tables are cleared, then back as they were.
 */
void lm_reset(void)
{
	bool was;

	mutex_lock(&lm_ctl_mutex);
	was = lm_enabled;
	__lm_disable();
	lm_stats_reset();
	lm_stacks_reset();
	lm_findings_reset();
	lm_exited_reset();
	mutex_unlock(&lm_ctl_mutex);
	if (was && lm_enable())
		pr_warn("reset: could not enable again\n");
}

static int __init lockmon_init(void)
{
	int err;

	if (!lm_memory_fits(false))
		return -EINVAL;
	lm_settings.capture_pct = lm_capture;
	lm_settings.stack_ns = lm_capture ? 0 : lm_stack_ns;
	lm_exited_init();

	err = lm_stats_init();
	if (err)
		goto err_stats;
	err = lm_waits_init();
	if (err)
		goto err_waits;
	err = lm_stacks_init();
	if (err)
		goto err_stacks;
	err = lm_findings_init();
	if (err)
		goto err_findings;
	err = lm_scan_init();
	if (err)
		goto err_scan;
	if (!lm_memory_fits(true)) {
		err = -EINVAL;
		goto err_debugfs;
	}
	err = lm_debugfs_init();
	if (err)
		goto err_debugfs;
	if (lm_enable_at_load) {
		err = lm_enable();
		if (err)
			goto err_enable;
	}
	pr_info("lockmon %s (abi %u.%u) loaded: %u tasks, %u futexes, %zu KiB%s\n",
		LOCKMON_VERSION, LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR,
		lm_max_tasks, lm_max_futexes,
		lm_memory_bytes() >> 10,
		lm_enable_at_load ? "" : ", disabled");
	return 0;

err_enable:
	lm_debugfs_exit();
err_debugfs:
	lm_scan_exit();
err_scan:
	lm_findings_exit();
err_findings:
	lm_stacks_exit();
err_stacks:
	lm_waits_exit();
err_waits:
	lm_stats_exit();
err_stats:
	return err;
}

static void __exit lockmon_exit(void)
{
	/*
	 * Files first: an "enable" written to control after lm_disable()
	 * would register the probes again over tables about to be freed.
	 * debugfs_remove() waits for file operations under way.
	 */
	lm_debugfs_exit();
	lm_disable();
	lm_probes_futex_release();
	lm_scan_exit();
	lm_findings_exit();
	lm_stacks_exit();
	lm_waits_exit();
	lm_stats_exit();
	pr_info("unloaded\n");
}

module_init(lockmon_init);
module_exit(lockmon_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lockmon developers");
MODULE_DESCRIPTION("user-space lock contention and deadlock tracer");
MODULE_VERSION(LOCKMON_VERSION);
