// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon-report: views of lockmon's state (top, locks, tasks, graph,
 * deadlocks, stats) and recordings of its events (record, report). The
 * command line is read in cli.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lockmon-report.h"

static volatile sig_atomic_t lmr_quit;

static void on_quit(int sig)
{
	(void)sig;
	lmr_quit = 1;
}

static void print_view(struct lmr_ctx *c, const char *view,
		       const struct lmr_state *prev)
{
	if (c->o->json)
		lmr_json_view(c, view);
	else if (c->o->folded)
		lmr_folded(c);
	else if (!strcmp(view, "locks"))
		lmr_view_locks(c);
	else if (!strcmp(view, "tasks"))
		lmr_view_tasks(c);
	else if (!strcmp(view, "graph"))
		c->o->dot ? lmr_view_dot(c) : lmr_view_graph(c);
	else if (!strcmp(view, "deadlocks"))
		lmr_view_deadlocks(c);
	else if (!strcmp(view, "stats"))
		lmr_view_stats(c);
	else
		lmr_view_top(c, prev);
}

static int live_view(const struct lmr_opts *o, const char *view,
		     unsigned int files)
{
	struct lmr_state st = { 0 }, prev = { 0 }, keep = { 0 };
	struct lmr_ctx c = { .st = &st, .o = o, .out = stdout };
	struct sigaction sa = { .sa_handler = on_quit };
	bool loop = !strcmp(view, "top") && !o->once;
	bool tty = isatty(STDOUT_FILENO);
	struct timespec ts;
	int err;

	err = lmr_check_live(false);
	if (err)
		return err;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* maps read while processes live stay in @keep across refreshes */
	c.syms = lmr_syms_new(&keep, true);
	if (!c.syms)
		return -ENOMEM;
	do {
		err = lmr_debugfs_load(&st, files);
		if (err)
			break;
		/* by total wait, then -k reorders what the filter keeps */
		lmr_state_sort(&st);
		lmr_filter(&st, o);
		lmr_unwind_live(c.syms, &st);
		if (loop && tty)
			fputs("\033[H\033[2J", stdout);
		if (o->pprof && lmr_pprof_write(&c, o->pprof)) {
			err = -EIO;
			break;
		}
		print_view(&c, view, loop && prev.source ? &prev : NULL);
		fflush(stdout);
		lmr_state_free(&prev);
		prev = st;
		memset(&st, 0, sizeof(st));
		if (!loop)
			break;
		ts.tv_sec = (time_t)(o->interval ? o->interval : 2);
		ts.tv_nsec = (long)(((o->interval ? o->interval : 2) -
				     (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	} while (!lmr_quit);
	lmr_syms_free(c.syms);
	lmr_state_free(&st);
	lmr_state_free(&prev);
	lmr_state_free(&keep);
	return err;
}

/*
 * Whether @path can be written, found out before anything is read or
 * printed, and without creating it: one line saying why not.
 */
static int check_writable(const char *opt, const char *path)
{
	char *copy, *dir;
	struct stat sb;
	int err = 0;

	if (!stat(path, &sb)) {
		if (S_ISDIR(sb.st_mode))
			err = EISDIR;
		else if (access(path, W_OK))
			err = errno;
	} else if (errno != ENOENT) {
		err = errno;
	} else {
		copy = strdup(path);
		if (!copy)
			return -ENOMEM;
		dir = dirname(copy);
		if (stat(dir, &sb))
			err = errno;
		else if (!S_ISDIR(sb.st_mode))
			err = ENOTDIR;
		else if (access(dir, W_OK | X_OK))
			err = errno;
		free(copy);
	}
	if (err)
		lmr_err("%s: cannot write %s: %s", opt, path, strerror(err));
	return -err;
}

/* stdout could not take the report (a full disk, a closed pipe): say so */
static int check_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		lmr_err("cannot write the output: %s",
			strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lmr_opts o;
	struct lmr_cli cli;
	int ret;

	ret = lmr_cli_parse(argc, argv, &o, &cli, stdout);
	if (ret == LMR_CLI_EXIT)
		return 0;
	if (ret)
		return 2;
	if ((o.pprof && check_writable("--pprof", o.pprof)) ||
	    (o.output && check_writable("-o", o.output)))
		return 1;
	if (!strcmp(cli.cmd, "record"))
		ret = lmr_cmd_record(&o);
	else if (!strcmp(cli.cmd, "serve"))
		ret = lmr_cmd_serve(&o);
	else if (!strcmp(cli.cmd, "metrics"))
		ret = lmr_cmd_metrics(&o);
	else if (!strcmp(cli.cmd, "report"))
		ret = lmr_cmd_report(&o, cli.file);
	else
		/* a profile needs the waits under way and their stacks */
		ret = live_view(&o, cli.cmd, cli.files | (o.pprof ?
				LMR_F_TASKS | LMR_F_STACKS | LMR_F_LOCKS : 0));
	if (check_stdout())
		ret = -EIO;
	if (!ret)
		lmr_class_note_flush();
	return ret ? 1 : 0;
}
