// SPDX-License-Identifier: GPL-2.0
/*
 * The live side of the debugfs files: what must be in place before they
 * can be read (root, debugfs, the module and its ABI), and reading them
 * into the state. Their text is parsed by debugfs_parse.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lockmon-report.h"

#define DEBUGFS_MAGIC	0x64626720
#define TRACEFS_MAGIC	0x74726163
#define LMR_FILE_MAX	(64 << 20)

/* ---- live checks and loading ----------------------------------------- */

/*
 * Everything a live view needs, checked in the order a user fixes it:
 * root, debugfs, the module, its ABI, and tracefs when events are read.
 */
int lmr_check_live(bool need_tracefs)
{
	unsigned int major, minor;
	char ver[32], *text;

	if (geteuid() != 0) {
		lmr_err("must be run as root: the lockmon debugfs files and tracefs are root-only");
		return -EPERM;
	}
	if (!lmr_is_mounted(LMR_DEBUGFS, DEBUGFS_MAGIC)) {
		lmr_err("debugfs is not mounted on %s (mount -t debugfs none %s)",
			LMR_DEBUGFS, LMR_DEBUGFS);
		return -ENODEV;
	}
	if (access("/sys/module/lockmon", F_OK) || access(LMR_DIR, F_OK)) {
		lmr_err("the lockmon module is not loaded (insmod lockmon.ko)");
		return -ENODEV;
	}
	text = lmr_read_file(LMR_DIR "/version", NULL, 4096);
	if (!text) {
		lmr_err("cannot read %s/version: %s", LMR_DIR, strerror(errno));
		return -EIO;
	}
	if (lmr_parse_version(text, ver, sizeof(ver), &major, &minor)) {
		lmr_err("cannot parse %s/version: %s", LMR_DIR, lmr_parse_error());
		free(text);
		return -EINVAL;
	}
	free(text);
	if (major != LOCKMON_ABI_MAJOR) {
		lmr_err("ABI mismatch: module lockmon %s has ABI %u.%u, this reporter ABI %u.%u",
			ver, major, minor, LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
		return -EPROTO;
	}
	if (need_tracefs && !lmr_is_mounted("/sys/kernel/tracing", TRACEFS_MAGIC) &&
	    !lmr_is_mounted(LMR_DEBUGFS "/tracing", TRACEFS_MAGIC)) {
		lmr_err("tracefs is not mounted on /sys/kernel/tracing (mount -t tracefs none /sys/kernel/tracing)");
		return -ENODEV;
	}
	return 0;
}

static const struct {
	unsigned int flag;
	const char *file;
	int (*parse)(const char *text, struct lmr_state *st);
} lmr_files[] = {
	{ LMR_F_LOCKS, "locks", lmr_parse_locks },
	{ LMR_F_TASKS, "tasks", lmr_parse_tasks },
	{ LMR_F_GRAPH, "waitgraph", lmr_parse_waitgraph },
	{ LMR_F_FINDINGS, "deadlocks", lmr_parse_deadlocks },
	{ LMR_F_STACKS, "stacks", lmr_parse_stacks },
	{ LMR_F_STATS, "stats", lmr_parse_stats },
};

/* Read and parse the files named by @what into @st. */
int lmr_debugfs_load(struct lmr_state *st, unsigned int what)
{
	unsigned int major, minor;
	char path[128], *text;
	size_t i;
	int err;

	st->source = "debugfs";
	text = lmr_read_file(LMR_DIR "/version", NULL, 4096);
	if (text && lmr_parse_version(text, st->version, sizeof(st->version),
				      &major, &minor))
		st->version[0] = 0;
	free(text);
	for (i = 0; i < sizeof(lmr_files) / sizeof(lmr_files[0]); i++) {
		if (!(what & lmr_files[i].flag))
			continue;
		snprintf(path, sizeof(path), LMR_DIR "/%s", lmr_files[i].file);
		text = lmr_read_file(path, NULL, LMR_FILE_MAX);
		if (!text) {
			err = -errno;
			lmr_err("cannot read %s: %s", path, strerror(errno));
			return err;
		}
		err = lmr_files[i].parse(text, st);
		free(text);
		if (err == -EPROTO) {
			lmr_err("ABI mismatch in %s: %s", path, lmr_parse_error());
			return err;
		}
		if (err) {
			lmr_err("cannot parse %s: %s", path,
				err == -ENOMEM ? "out of memory" : lmr_parse_error());
			return err;
		}
	}
	return 0;
}
