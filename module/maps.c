// SPDX-License-Identifier: GPL-2.0
/*
 * The file mappings of processes that have findings, kept so that the
 * reporter can name their frames and locks after they have exited, which
 * a hung program often has by the time someone looks.
 *
 * When the report worker prints a finding, it copies each member process's
 * file-backed mappings: address range, offset, device, inode and path, as
 * /proc/PID/maps has them. Process context, under the process's mmap lock
 * for reading; nothing of it runs on a futex path. The copies live in a
 * ring of max_maps processes with LM_MAPS_PER_PROC mappings each, fixed at
 * load; a process pushed out of the ring, or mappings past the limit, are
 * counted. The maps file prints them. The reporter uses a copy only when
 * the process is gone, and only for a file whose inode is still that one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include "lockmon.h"

#define LM_MAPS_PER_PROC	64
#define LM_MAP_PATH		160

struct lm_map {
	u64 start, end, pgoff, ino;
	u32 dev;
	u32 flags;		/* VM_READ, VM_WRITE, VM_EXEC, VM_SHARED */
	char path[LM_MAP_PATH];
};

struct lm_mapset {
	pid_t tgid;
	u64 start_time;		/* of the process, to tell a reused PID */
	u32 nr;
	struct lm_map m[LM_MAPS_PER_PROC];
};

static DEFINE_MUTEX(lm_maps_lock);
static struct lm_mapset *lm_mapsets;	/* ring of lm_max_maps */
static unsigned int lm_maps_next;
static char lm_maps_root[LM_MAP_PATH];	/* under lm_maps_lock */

/* The process's slot: its own, else the oldest. Caller holds the lock. */
static struct lm_mapset *lm_mapset_for(pid_t tgid, u64 start_time)
{
	struct lm_mapset *s;
	unsigned int i;

	lockdep_assert_held(&lm_maps_lock);
	for (i = 0; i < lm_max_maps; i++)
		if (lm_mapsets[i].tgid == tgid &&
		    lm_mapsets[i].start_time == start_time)
			return &lm_mapsets[i];
	s = &lm_mapsets[lm_maps_next];
	lm_maps_next = (lm_maps_next + 1) % lm_max_maps;
	if (s->tgid)
		lm_count(LM_CNT_maps_replaced);
	return s;
}

/*
 * d_path() names a file from the root of the caller, a kworker here, whose
 * root need not be the process's: under a chroot, or where the boot put
 * the real root below the initramfs's (as scripts/vm-run's guest does), it
 * has a prefix the process does not see. That prefix is the process's
 * root as the kworker names it; it is cut off each path that has it.
 */
static unsigned int lm_root_prefix(struct task_struct *p, char *buf,
				   size_t len)
{
	struct path root;
	char *r;
	size_t n;

	buf[0] = 0;
	task_lock(p);
	if (!p->fs) {
		task_unlock(p);
		return 0;
	}
	get_fs_root(p->fs, &root);
	task_unlock(p);
	r = d_path(&root, buf, len);
	path_put(&root);
	if (IS_ERR(r) || !strcmp(r, "/"))
		return 0;
	n = strlen(r);
	memmove(buf, r, n + 1);
	return n;
}

static void lm_map_copy(struct lm_map *d, struct vm_area_struct *vma,
			const char *root, unsigned int rootlen)
{
	struct file *f = vma->vm_file;
	struct inode *inode = file_inode(f);
	char *p;

	d->start = vma->vm_start;
	d->end = vma->vm_end;
	d->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
	d->ino = inode->i_ino;
	d->dev = new_encode_dev(inode->i_sb->s_dev);
	d->flags = vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED);
	p = d_path(&f->f_path, d->path, sizeof(d->path));
	if (IS_ERR(p)) {
		strscpy(d->path, "?", sizeof(d->path));
		return;
	}
	if (rootlen && !strncmp(p, root, rootlen) && p[rootlen] == '/')
		p += rootlen;
	memmove(d->path, p, strlen(p) + 1);
}

/**
 * lm_maps_note() - keep the file mappings of a process with a finding
 * @tgid: the process
 *
 * Process context (the report worker). A process already kept has its
 * copy taken again, so a library it loaded since is in it.
 */
void lm_maps_note(pid_t tgid)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct lm_mapset *s;
	struct pid *pid;
	unsigned int rootlen;
	u64 start_time;
	u32 nr = 0;

	if (!lm_max_maps || tgid <= 0)
		return;
	pid = find_get_pid(tgid);
	p = get_pid_task(pid, PIDTYPE_TGID);
	put_pid(pid);
	if (!p)
		return;
	start_time = p->start_time;
	mm = get_task_mm(p);
	mutex_lock(&lm_maps_lock);
	rootlen = mm ? lm_root_prefix(p, lm_maps_root, sizeof(lm_maps_root)) : 0;
	put_task_struct(p);
	if (!mm) {
		mutex_unlock(&lm_maps_lock);
		return;
	}
	s = lm_mapset_for(tgid, start_time);
	if (mmap_read_lock_killable(mm)) {
		mutex_unlock(&lm_maps_lock);
		mmput(mm);
		return;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (!vma->vm_file)
				continue;
			if (nr == LM_MAPS_PER_PROC) {
				lm_count(LM_CNT_maps_truncated);
				break;
			}
			lm_map_copy(&s->m[nr++], vma, lm_maps_root, rootlen);
		}
	}
	mmap_read_unlock(mm);
	s->tgid = tgid;
	s->start_time = start_time;
	s->nr = nr;
	mutex_unlock(&lm_maps_lock);
	mmput(mm);
}

/**
 * lm_maps_show() - the maps file: "TGID" and a /proc/PID/maps line each
 * @m: the file
 */
void lm_maps_show(struct seq_file *m)
{
	unsigned int i, j;

	mutex_lock(&lm_maps_lock);
	for (i = 0; i < lm_max_maps; i++) {
		const struct lm_mapset *s = &lm_mapsets[i];

		for (j = 0; s->tgid && j < s->nr; j++) {
			const struct lm_map *d = &s->m[j];

			seq_printf(m, "%d %llx-%llx %c%c%c%c %08llx %02x:%02x %llu %s\n",
				   s->tgid, d->start, d->end,
				   d->flags & VM_READ ? 'r' : '-',
				   d->flags & VM_WRITE ? 'w' : '-',
				   d->flags & VM_EXEC ? 'x' : '-',
				   d->flags & VM_SHARED ? 's' : 'p',
				   d->pgoff, MAJOR(new_decode_dev(d->dev)),
				   MINOR(new_decode_dev(d->dev)), d->ino,
				   d->path);
		}
	}
	mutex_unlock(&lm_maps_lock);
}

/**
 * lm_maps_reset() - forget every kept process
 */
void lm_maps_reset(void)
{
	mutex_lock(&lm_maps_lock);
	memset(lm_mapsets, 0, sizeof(*lm_mapsets) * lm_max_maps);
	lm_maps_next = 0;
	mutex_unlock(&lm_maps_lock);
}

/**
 * lm_maps_bytes() - memory held for kept mappings
 *
 * Return: bytes.
 */
size_t lm_maps_bytes(void)
{
	return sizeof(*lm_mapsets) * lm_max_maps;
}

/**
 * lm_maps_init() - allocate the ring of kept processes
 *
 * Return: 0 or -ENOMEM.
 */
int lm_maps_init(void)
{
	if (!lm_max_maps)
		return 0;
	lm_mapsets = vzalloc(sizeof(*lm_mapsets) * lm_max_maps);
	return lm_mapsets ? 0 : -ENOMEM;
}

/**
 * lm_maps_exit() - free the ring
 */
void lm_maps_exit(void)
{
	vfree(lm_mapsets);
	lm_mapsets = NULL;
}
