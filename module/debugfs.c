// SPDX-License-Identifier: GPL-2.0
/*
 * Files under /sys/kernel/debug/lockmon/, all root-only.
 *
 * Each table file takes a snapshot in open() (one bucket lock at a time),
 * sorts it, prints it through seq_file, and frees it in release(), so a
 * slow reader never holds a lock the probes need. A header line first; one
 * line per row; columns are named in the header. No kernel pointer is
 * printed: futexes are shown by a keyed hash id and their user address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <lockmon/columns.h>
#include "control.h"
#include "lockmon.h"
#include "version.h"

static struct dentry *lm_dir;

/* ---- snapshots ------------------------------------------------------- */

struct lm_snap {
	void *rows;
	size_t n;
	size_t size;
	u64 now;
	int (*show)(struct seq_file *m, struct lm_snap *s, void *row);
	const char *const *cols;	/* column names, NULL-terminated */
};

/*
 * The header line of each table file: the names of its columns, from the
 * lists in include/lockmon/columns.h that lm_*_show() print by.
 */
#define LM_COL_NAME(name, type, since, get, field, json, view)	name,

static const char *const lm_locks_cols[] = {
	LOCKMON_LOCKS_COLUMNS(LM_COL_NAME) NULL
};

static const char *const lm_tasks_cols[] = {
	LOCKMON_TASKS_COLUMNS(LM_COL_NAME) NULL
};

static const char *const lm_graph_cols[] = {
	LOCKMON_WAITGRAPH_COLUMNS(LM_COL_NAME) NULL
};

/* deadlocks is not a table: one "finding" line, then its task lines */
static const char *const lm_findings_cols[] = {
	"#", "finding", "SEQ", "kind=KIND", "tasks=N", "time_ns=T",
	"latency_ns=L", "then", "task", "lines", NULL
};

static const char *const lm_stacks_cols[] = {
	LOCKMON_STACKS_COLUMNS(LM_COL_NAME) NULL
};

static void *lm_snap_start(struct seq_file *m, loff_t *pos)
{
	struct lm_snap *s = m->private;

	if (*pos == 0)
		return SEQ_START_TOKEN;
	return *pos <= s->n ? s->rows + (*pos - 1) * s->size : NULL;
}

static void *lm_snap_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return lm_snap_start(m, pos);
}

static void lm_snap_stop(struct seq_file *m, void *v)
{
}

static int lm_snap_show(struct seq_file *m, void *v)
{
	struct lm_snap *s = m->private;

	if (v == SEQ_START_TOKEN) {
		const char *const *c;

		seq_printf(m, "# lockmon abi %u.%u\n", LOCKMON_ABI_MAJOR,
			   LOCKMON_ABI_MINOR);
		for (c = s->cols; *c; c++)
			seq_printf(m, "%s%s", c == s->cols ? "" : " ", *c);
		seq_putc(m, '\n');
		return 0;
	}
	return s->show(m, s, v);
}

static const struct seq_operations lm_snap_ops = {
	.start = lm_snap_start,
	.next = lm_snap_next,
	.stop = lm_snap_stop,
	.show = lm_snap_show,
};

static int lm_snap_open(struct file *file, struct lm_snap *tmpl,
			int (*fill)(struct lm_snap *s))
{
	struct lm_snap *s;
	int err;

	s = __seq_open_private(file, &lm_snap_ops, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = *tmpl;
	s->now = lm_now();
	err = fill(s);
	if (err) {
		kvfree(s->rows);
		seq_release_private(file->f_inode, file);
	}
	return err;
}

static int lm_snap_release(struct inode *inode, struct file *file)
{
	struct lm_snap *s = ((struct seq_file *)file->private_data)->private;

	kvfree(s->rows);
	return seq_release_private(inode, file);
}

/*
 * One printer per column type of include/lockmon/columns.h, each after a
 * blank unless it prints the row's first cell (*n counts them).
 */
static void lm_col_sep(struct seq_file *m, unsigned int *n)
{
	if ((*n)++)
		seq_putc(m, ' ');
}

static void lm_put_hex64(struct seq_file *m, unsigned int *n, u64 v)
{
	lm_col_sep(m, n);
	seq_printf(m, "%016llx", v);
}

static void lm_put_addr(struct seq_file *m, unsigned int *n, u64 v)
{
	lm_col_sep(m, n);
	seq_printf(m, "0x%llx", v);
}

static void lm_put_u64(struct seq_file *m, unsigned int *n, u64 v)
{
	lm_col_sep(m, n);
	seq_printf(m, "%llu", v);
}

static void lm_put_u32(struct seq_file *m, unsigned int *n, u32 v)
{
	lm_col_sep(m, n);
	seq_printf(m, "%u", v);
}

static void lm_put_flag(struct seq_file *m, unsigned int *n, unsigned int v)
{
	lm_col_sep(m, n);
	seq_printf(m, "%u", v);
}

static void lm_put_pid(struct seq_file *m, unsigned int *n, pid_t v)
{
	lm_col_sep(m, n);
	seq_printf(m, "%d", v);
}

static void lm_put_word(struct seq_file *m, unsigned int *n, const char *v)
{
	lm_col_sep(m, n);
	seq_puts(m, v);
}

/* comm may hold blanks; keep one word per column */
static void lm_put_comm(struct seq_file *m, unsigned int *n, const char *comm)
{
	char c[TASK_COMM_LEN];
	int i;

	for (i = 0; i < TASK_COMM_LEN - 1 && comm[i]; i++)
		c[i] = isgraph(comm[i]) ? comm[i] : '_';
	c[i] = 0;
	lm_put_word(m, n, i ? c : "-");
}

static void lm_put_procs(struct seq_file *m, unsigned int *n,
			 const struct lm_futex *f)
{
	lm_col_sep(m, n);
	seq_printf(m, "%d:0x%llx", f->tgid, f->uaddr);
	if (f->tgid2)
		seq_printf(m, ",%d:0x%llx", f->tgid2, f->uaddr2);
}

static void lm_put_hist(struct seq_file *m, unsigned int *n, const u32 *hist)
{
	bool first = true;
	unsigned int i;

	lm_col_sep(m, n);
	for (i = 0; i < LM_HIST; i++) {
		if (!hist[i])
			continue;
		seq_printf(m, "%s%u:%u", first ? "" : ",", i, hist[i]);
		first = false;
	}
	if (first)
		seq_putc(m, '-');
}

static void lm_put_opthex(struct seq_file *m, unsigned int *n, const u64 *v)
{
	if (v)
		lm_put_hex64(m, n, *v);
	else
		lm_put_word(m, n, "-");
}

static void lm_put_cycle(struct seq_file *m, unsigned int *n, bool on)
{
	lm_put_word(m, n, on ? "CYCLE" : "-");
}

/*
 * C() of a column list: print the column's cell of row r. A list expands
 * to a comma expression, which the row's newline ends.
 */
#define LM_COL_PUT(name, type, since, get, field, json, view)		\
	lm_put_##type(m, &n, get),

static u64 lm_avg(u64 sum, u64 count)
{
	return count ? div64_u64(sum, count) : 0;
}

/* ---- locks ----------------------------------------------------------- */

static const char *const lm_class_names[] = {
	[LOCKMON_CLASS_UNKNOWN] = "unknown",
	[LOCKMON_CLASS_LOCK] = "lock",
	[LOCKMON_CLASS_EVENT] = "event",
};

static int lm_cmp_futex(const void *a, const void *b)
{
	const struct lm_futex *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	if (x->again != y->again)
		return x->again < y->again ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int lm_locks_fill(struct lm_snap *s)
{
	unsigned int nb = lm_stats_nr_chunks(), b, cap;
	struct lm_futex *rows;

	lm_stats_flush_again();
	/* an upper bound taken first; entries added meanwhile are skipped */
	cap = 0;
	rows = kvmalloc_array(LM_CHUNK, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	for (b = 0; b < nb; b++)
		cap += lm_stats_copy_chunk(b, rows);
	kvfree(rows);
	rows = kvmalloc_array(cap + LM_CHUNK, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	for (b = 0; b < nb && s->n <= cap; b++)
		s->n += lm_stats_copy_chunk(b, rows + s->n);
	s->n = min_t(size_t, s->n, cap);
	sort(rows, s->n, sizeof(*rows), lm_cmp_futex, NULL);
	s->rows = rows;
	return 0;
}

static int lm_locks_show(struct seq_file *m, struct lm_snap *s, void *row)
{
	const struct lm_futex *r = row;
	unsigned int n = 0;

	LOCKMON_LOCKS_COLUMNS(LM_COL_PUT) seq_putc(m, '\n');
	return 0;
}

static int lm_locks_open(struct inode *inode, struct file *file)
{
	struct lm_snap t = {
		.size = sizeof(struct lm_futex), .show = lm_locks_show,
		.cols = lm_locks_cols,
	};

	return lm_snap_open(file, &t, lm_locks_fill);
}

/* ---- tasks and waitgraph --------------------------------------------- */

static int lm_tasks_fill(struct lm_snap *s)
{
	unsigned int nb = lm_waits_nr_chunks(), b, i, n;
	struct lm_task *buf, *rows;
	size_t cap = 0;

	/* a chunk's copy is 1.5 KiB: not on the stack, more so under KASAN */
	buf = kmalloc_array(LM_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (b = 0; b < nb; b++) {
		n = lm_waits_copy_chunk(b, buf);
		for (i = 0; i < n; i++)
			cap += buf[i].state == LM_T_WAITING;
	}
	rows = kvmalloc_array(cap + 1, sizeof(*rows), GFP_KERNEL);
	if (!rows) {
		kfree(buf);
		return -ENOMEM;
	}
	for (b = 0; b < nb; b++) {
		n = lm_waits_copy_chunk(b, buf);
		for (i = 0; i < n && s->n < cap; i++)
			if (buf[i].state == LM_T_WAITING)
				rows[s->n++] = buf[i];
	}
	kfree(buf);
	s->rows = rows;
	return 0;
}

static int lm_tasks_show(struct seq_file *m, struct lm_snap *s, void *row)
{
	const struct lm_task *r = row;
	unsigned int n = 0;

	LOCKMON_TASKS_COLUMNS(LM_COL_PUT) seq_putc(m, '\n');
	return 0;
}

static int lm_tasks_open(struct inode *inode, struct file *file)
{
	struct lm_snap t = {
		.size = sizeof(struct lm_task), .show = lm_tasks_show,
		.cols = lm_tasks_cols,
	};

	return lm_snap_open(file, &t, lm_tasks_fill);
}

static const struct lm_task *lm_snap_task(const struct lm_snap *s, pid_t tid)
{
	const struct lm_task *rows = s->rows;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (rows[i].tid == tid && !rows[i].woken)
			return &rows[i];
	return NULL;
}

/* Is the edge out of @t on a cycle of the snapshot? O(n * chain). */
static bool lm_snap_on_cycle(const struct lm_snap *s, const struct lm_task *t)
{
	const struct lm_task *cur = t;
	int hops;

	for (hops = 0; hops < LOCKMON_MAX_CHAIN && cur && cur->owner; hops++) {
		if (cur->owner == t->tid)
			return true;
		cur = lm_snap_task(s, cur->owner);
	}
	return false;
}

/* The futex the owner of @t waits on itself: NULL when it waits on none. */
static const u64 *lm_graph_owner_futex(const struct lm_snap *s,
				       const struct lm_task *t)
{
	const struct lm_task *o = t->owner ? lm_snap_task(s, t->owner) : NULL;

	return o ? &o->futex_id : NULL;
}

static int lm_graph_show(struct seq_file *m, struct lm_snap *s, void *row)
{
	const struct lm_task *r = row;
	unsigned int n = 0;

	if (r->woken)
		return 0;
	LOCKMON_WAITGRAPH_COLUMNS(LM_COL_PUT) seq_putc(m, '\n');
	return 0;
}

static int lm_graph_open(struct inode *inode, struct file *file)
{
	struct lm_snap t = {
		.size = sizeof(struct lm_task), .show = lm_graph_show,
		.cols = lm_graph_cols,
	};

	return lm_snap_open(file, &t, lm_tasks_fill);
}

/* ---- deadlocks ------------------------------------------------------- */

static int lm_findings_fill(struct lm_snap *s)
{
	struct lm_finding *rows;
	unsigned int i;

	rows = kvmalloc_array(lm_max_findings, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < lm_max_findings && lm_finding_get(i, &rows[i]); i++)
		;
	s->n = i;
	s->rows = rows;
	return 0;
}

static int lm_findings_show(struct seq_file *m, struct lm_snap *s, void *row)
{
	const struct lm_finding *f = row;
	unsigned int i, n;

	seq_printf(m, "finding %llu kind=%s tasks=%u time_ns=%llu latency_ns=%llu",
		   f->seq, lm_finding_kind_name(f->kind), f->nr, f->time_ns,
		   f->latency_ns);
	/* ABI 1.3: what a user acts on, after the fields of 1.2 */
	if (f->kind == LOCKMON_FINDING_ORPHAN) {
		seq_printf(m, " owner_tgid=%d owner_comm=", f->owner_tgid);
		n = 0;
		lm_put_comm(m, &n, f->owner_comm);
	}
	/* ABI 1.6 */
	if (f->kind == LOCKMON_FINDING_STARVATION)
		seq_printf(m, " waited_ns=%llu median_ns=%llu hands=%u",
			   f->waited_ns, f->median_ns, f->hands);
	/* ABI 1.7 */
	if (f->kind == LOCKMON_FINDING_HOLDER_PREEMPTED ||
	    f->kind == LOCKMON_FINDING_PRIO_INVERSION) {
		const struct lm_blame_info *b = &f->blame;

		seq_printf(m, " holder=%d holder_tgid=%d holder_prio=%d cpu=%u off_cpu_ns=%llu holder_comm=",
			   b->holder, b->holder_tgid, b->holder_prio, b->cpu,
			   b->off_ns);
		n = 0;
		lm_put_comm(m, &n, b->holder_comm);
		seq_printf(m, " waiter_prio=%d ran=%d ran_tgid=%d ran_prio=%d ran_comm=",
			   b->waiter_prio, b->ran, b->ran_tgid,
			   b->ran ? b->ran_prio : -1);
		n = 0;
		lm_put_comm(m, &n, b->ran ? b->ran_comm : "");
	}
	if (f->stall_threads)
		seq_printf(m, " stall_threads=%u stall_blocked_ns=%llu",
			   f->stall_threads, f->stall_blocked_ns);
	seq_putc(m, '\n');
	for (i = 0; i < f->nr; i++) {
		const struct lm_finding_task *t = &f->t[i];

		seq_printf(m, "  task %u tid=%d tgid=%d comm=", i, t->tid, t->tgid);
		n = 0;
		lm_put_comm(m, &n, t->comm);
		seq_printf(m, " futex=%016llx uaddr=0x%llx owner=%d how=%s timed=%u stack=%u\n",
			   t->futex_id, t->uaddr, t->owner,
			   lm_owner_how_name(t->owner_how), t->timed, t->stack_id);
	}
	return 0;
}

static int lm_findings_open(struct inode *inode, struct file *file)
{
	struct lm_snap t = {
		.size = sizeof(struct lm_finding), .show = lm_findings_show,
		.cols = lm_findings_cols,
	};

	return lm_snap_open(file, &t, lm_findings_fill);
}

/* ---- stacks ---------------------------------------------------------- */

struct lm_stack_row {
	u32 id;
	pid_t tgid;
	u32 nr;
	u64 ip[LOCKMON_MAX_STACK];
};

static int lm_stacks_fill(struct lm_snap *s)
{
	struct lm_stack_row *rows;
	u32 id;

	rows = kvmalloc_array(lm_max_stacks, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	for (id = 1; id <= lm_max_stacks; id++) {
		struct lm_stack_row *r = &rows[s->n];

		r->nr = lm_stack_get(id, &r->tgid, r->ip);
		if (!r->nr)
			continue;
		r->id = id;
		s->n++;
	}
	s->rows = rows;
	return 0;
}

static void lm_put_ips(struct seq_file *m, unsigned int *n,
		       const struct lm_stack_row *r)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		lm_put_addr(m, n, r->ip[i]);
}

static int lm_stacks_show(struct seq_file *m, struct lm_snap *s, void *row)
{
	const struct lm_stack_row *r = row;
	unsigned int n = 0;

	LOCKMON_STACKS_COLUMNS(LM_COL_PUT) seq_putc(m, '\n');
	return 0;
}

static int lm_stacks_open(struct inode *inode, struct file *file)
{
	struct lm_snap t = {
		.size = sizeof(struct lm_stack_row), .show = lm_stacks_show,
		.cols = lm_stacks_cols,
	};

	return lm_snap_open(file, &t, lm_stacks_fill);
}

/* ---- stats, version, control ----------------------------------------- */

static int lm_stats_show(struct seq_file *m, void *v)
{
	unsigned int c;

	seq_printf(m, "# lockmon abi %u.%u\n", LOCKMON_ABI_MAJOR,
		   LOCKMON_ABI_MINOR);
	seq_printf(m, "enabled %d\n", lm_is_enabled());
	for (c = 0; c < LM_NR_COUNTERS; c++)
		seq_printf(m, "%s %llu\n", lm_counter_name(c), lm_counter_sum(c));
	seq_printf(m, "max_tasks %u\nmax_futexes %u\nmax_stacks %u\nmax_findings %u\n",
		   lm_max_tasks, lm_max_futexes, lm_max_stacks, lm_max_findings);
	seq_printf(m, "memory_bytes %zu\n", lm_memory_bytes());
	lm_probes_futex_show(m);
	lm_probes_sched_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lm_stats);

static int lm_maps_file_show(struct seq_file *m, void *v)
{
	lm_maps_show(m);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(lm_maps_file);

static int lm_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "lockmon %s abi %u.%u\n", LOCKMON_VERSION,
		   LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lm_version);

/*
 * Why the last write to control was refused ("" once a write succeeds),
 * shown as the last_error line of a read. Writes are rare: a mutex.
 */
static DEFINE_MUTEX(lm_control_mutex);
static char lm_control_error[96];
/* one kernel log line per 10 s, and no "callbacks suppressed" line */
static struct ratelimit_state lm_control_rs =
	RATELIMIT_STATE_INIT_FLAGS(lm_control_rs, 10 * HZ, 1,
				   RATELIMIT_MSG_ON_RELEASE);

static void lm_control_result(const char *why)
{
	mutex_lock(&lm_control_mutex);
	strscpy(lm_control_error, why ? why : "", sizeof(lm_control_error));
	mutex_unlock(&lm_control_mutex);
	if (why && __ratelimit(&lm_control_rs))
		pr_info("control: write refused: %s\n", why);
}

static int lm_control_show(struct seq_file *m, void *v)
{
	char comm[TASK_COMM_LEN];

	lm_settings_comm(comm);
	seq_printf(m, "enabled %d\npid %d\ncomm %s\ncapture %u\nstall_ms %u\nstack_ns %u\ntree %d\n",
		   lm_is_enabled(), READ_ONCE(lm_settings.pid),
		   comm[0] ? comm : "-",
		   READ_ONCE(lm_settings.capture_pct), READ_ONCE(lm_stall_ms),
		   READ_ONCE(lm_settings.stack_ns), READ_ONCE(lm_settings.tree));
	mutex_lock(&lm_control_mutex);
	seq_printf(m, "last_error %s\n",
		   lm_control_error[0] ? lm_control_error : "-");
	mutex_unlock(&lm_control_mutex);
	return 0;
}

static int lm_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, lm_control_show, NULL);
}

static ssize_t lm_control_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char buf[LM_CMD_MAX_LEN], why[64];
	const char *reason;
	struct lm_cmd cmd;
	int err;

	if (!len || len > sizeof(buf)) {
		lm_control_result(len ? "longer than 64 bytes" : "an empty write");
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len)) {
		lm_control_result("the written buffer is not readable");
		return -EFAULT;
	}
	if (lm_parse_control(buf, len, &cmd, &reason)) {
		lm_control_result(reason);
		return -EINVAL;
	}

	switch (cmd.op) {
	case LM_CMD_ENABLE:
		err = lm_enable();
		if (err) {
			snprintf(why, sizeof(why),
				 "enable: registering the probes failed (error %d)",
				 err);
			lm_control_result(why);
			return err;
		}
		break;
	case LM_CMD_DISABLE:
		lm_disable();
		break;
	case LM_CMD_RESET:
		lm_reset();
		break;
	case LM_CMD_PID:
		lm_settings_set_filter(cmd.num, NULL);
		break;
	case LM_CMD_COMM:
		/* "-" is how a read shows no comm filter: writing it clears it */
		lm_settings_set_filter(-1, strcmp(cmd.comm, "-") ? cmd.comm : "");
		break;
	case LM_CMD_TREE:
		lm_tree_set(cmd.num);
		break;
	case LM_CMD_NOFILTER:
		lm_settings_set_filter(0, "");
		lm_tree_set(0);
		break;
	case LM_CMD_CAPTURE:
		/* a plain percentage replaces the rate rule, and the reverse */
		WRITE_ONCE(lm_settings.stack_ns, 0);
		WRITE_ONCE(lm_settings.capture_pct, cmd.num);
		break;
	case LM_CMD_STACK_NS:
		WRITE_ONCE(lm_settings.capture_pct, 0);
		WRITE_ONCE(lm_settings.stack_ns, cmd.num);
		break;
	case LM_CMD_STALL:
		WRITE_ONCE(lm_stall_ms, cmd.num);
		break;
	}
	lm_control_result(NULL);
	return len;
}

static const struct file_operations lm_control_fops = {
	.owner = THIS_MODULE,
	.open = lm_control_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = lm_control_write,
	.release = single_release,
};

#define LM_SNAP_FOPS(name)						\
static const struct file_operations lm_##name##_fops = {		\
	.owner = THIS_MODULE,						\
	.open = lm_##name##_open,					\
	.read = seq_read,						\
	.llseek = seq_lseek,						\
	.release = lm_snap_release,					\
}

LM_SNAP_FOPS(locks);
LM_SNAP_FOPS(tasks);
LM_SNAP_FOPS(graph);
LM_SNAP_FOPS(findings);
LM_SNAP_FOPS(stacks);

/**
 * lm_debugfs_init() - create /sys/kernel/debug/lockmon and its files
 *
 * Return: 0, or -ENODEV when debugfs is not available.
 */
int lm_debugfs_init(void)
{
	lm_dir = debugfs_create_dir("lockmon", NULL);
	if (IS_ERR(lm_dir)) {
		pr_err("cannot create the debugfs directory: is debugfs enabled?\n");
		return -ENODEV;
	}
	debugfs_create_file("version", 0400, lm_dir, NULL, &lm_version_fops);
	debugfs_create_file("control", 0600, lm_dir, NULL, &lm_control_fops);
	debugfs_create_file("stats", 0400, lm_dir, NULL, &lm_stats_fops);
	debugfs_create_file("locks", 0400, lm_dir, NULL, &lm_locks_fops);
	debugfs_create_file("tasks", 0400, lm_dir, NULL, &lm_tasks_fops);
	debugfs_create_file("waitgraph", 0400, lm_dir, NULL, &lm_graph_fops);
	debugfs_create_file("deadlocks", 0400, lm_dir, NULL, &lm_findings_fops);
	debugfs_create_file("stacks", 0400, lm_dir, NULL, &lm_stacks_fops);
	debugfs_create_file("maps", 0400, lm_dir, NULL, &lm_maps_file_fops);
	debugfs_create_file("ustacks", 0400, lm_dir, NULL, &lm_ucopy_fops);
	return 0;
}

/**
 * lm_debugfs_exit() - remove the directory; open files then read as EIO
 */
void lm_debugfs_exit(void)
{
	debugfs_remove_recursive(lm_dir);
	lm_dir = NULL;
}
