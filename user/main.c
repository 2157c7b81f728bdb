// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon-report: views of lockmon's state (top, locks, tasks, graph,
 * deadlocks, stats) and recordings of its events (record, report).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lockmon-report.h"

static const char usage[] =
"usage: lockmon-report COMMAND [OPTIONS]\n"
"\n"
"Views of the lockmon module's state (root; needs lockmon.ko loaded):\n"
"  top        the most contended locks, their owners and waiters, refreshed\n"
"  locks      per-futex figures: waits, wait time, handoff latency, class\n"
"  tasks      tasks blocked on a futex now, with their stacks\n"
"  graph      the wait-for graph (--dot for Graphviz)\n"
"  deadlocks  cycles, orphans and stalls lockmon has found\n"
"  stats      the module's counters, drops included\n"
"Recordings:\n"
"  record -o FILE [--duration S | -- CMD ARGS]   record the event stream\n"
"  report FILE                  analyse a record file (or a trace-cmd trace.dat)\n"
"\n"
"Options:\n"
"  -p, --pid PID         only this process (or thread)\n"
"      --comm NAME       only tasks with this command name\n"
"      --min-wait D      only waits of at least D (10ms, 500us, 2s; default unit ms)\n"
"      --json            JSON, schema \"" LMR_SCHEMA "\" (see lockmon-report(1))\n"
"      --folded          wait time by stack in FlameGraph folded format\n"
"      --pprof FILE      also write wait time by stack as a gzipped pprof profile\n"
"      --dot             graph: Graphviz output\n"
"      --once            top: one snapshot, then exit\n"
"  -i, --interval S      top: seconds between refreshes (default 2)\n"
"  -n, --limit N         top: locks shown (default 10)\n"
"      --no-holder-stacks  top: do not unwind lock holders (uses ptrace)\n"
"  -o, --output FILE     record: the record file to write\n"
"  -d, --duration S      record: stop after S seconds (default: Ctrl-C)\n"
"      --buffer-kb N     record: per-CPU ring buffer size of our instance\n"
"  -h, --help            this text\n"
"  -V, --version         versions of the reporter and its ABI\n"
"\n"
"Examples:\n"
"  lockmon-report top --once                 what is contended right now\n"
"  lockmon-report locks -p 1234 --min-wait 1ms\n"
"  lockmon-report graph --dot | dot -Tsvg > waits.svg\n"
"  lockmon-report record -o run.lmr -- ./server --threads 8\n"
"  lockmon-report report run.lmr --folded | flamegraph.pl > waits.svg\n"
"  lockmon-report report run.lmr --pprof waits.pb.gz && go tool pprof -top waits.pb.gz\n"
"  lockmon-report deadlocks --json\n";

static volatile sig_atomic_t lmr_quit;

static void on_quit(int sig)
{
	(void)sig;
	lmr_quit = 1;
}

enum {
	OPT_COMM = 256, OPT_MIN_WAIT, OPT_JSON, OPT_FOLDED, OPT_PPROF, OPT_DOT,
	OPT_ONCE, OPT_BUFFER, OPT_NO_HOLDER,
};

static const struct option lmr_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "min-wait", required_argument, NULL, OPT_MIN_WAIT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "interval", required_argument, NULL, 'i' },
	{ "limit", required_argument, NULL, 'n' },
	{ "no-holder-stacks", no_argument, NULL, OPT_NO_HOLDER },
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "buffer-kb", required_argument, NULL, OPT_BUFFER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int seconds(const char *s, const char *opt, double *out)
{
	u64 ns;

	/* seconds by default here: "2", "0.5", "250ms" */
	if (!lmr_parse_duration(s, &ns) && strpbrk(s, "nums")) {
		*out = ns / 1e9;
	} else {
		char *end;

		errno = 0;
		*out = strtod(s, &end);
		if (errno || end == s || *end || *out < 0 || *out > 1e6) {
			lmr_err("%s: not a duration: '%s'", opt, s);
			return -EINVAL;
		}
	}
	if (*out <= 0) {
		lmr_err("%s: must be more than zero: '%s'", opt, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct lmr_opts *o,
		      const char **cmd, const char **file)
{
	unsigned long long v;
	int c, dd, n;

	*cmd = NULL;
	*file = NULL;
	/* everything after "--" is the command to record */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--"); dd++)
		;
	if (dd < argc) {
		if (dd + 1 == argc) {
			lmr_err("no command after '--'");
			return -EINVAL;
		}
		o->cmd = &argv[dd + 1];
	}
	while ((c = getopt_long(dd, argv, "p:i:n:o:d:hV", lmr_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (lmr_parse_uint(optarg, 0x3fffffff, &v) || !v) {
				lmr_err("-p: not a process id: '%s'", optarg);
				return -EINVAL;
			}
			o->pid = (pid_t)v;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) >= sizeof(o->comm)) {
				lmr_err("--comm: a command name has 1 to 15 characters: '%s'",
					optarg);
				return -EINVAL;
			}
			strcpy(o->comm, optarg);
			break;
		case OPT_MIN_WAIT:
			if (lmr_parse_duration(optarg, &o->min_wait_ns)) {
				lmr_err("--min-wait: not a duration: '%s' (e.g. 10ms, 500us, 2s)",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FOLDED:
			o->folded = true;
			break;
		case OPT_PPROF:
			o->pprof = optarg;
			break;
		case OPT_DOT:
			o->dot = true;
			break;
		case OPT_ONCE:
			o->once = true;
			break;
		case 'i':
			if (seconds(optarg, "--interval", &o->interval))
				return -EINVAL;
			break;
		case 'n':
			if (lmr_parse_uint(optarg, 100000, &v) || !v) {
				lmr_err("--limit: not a count: '%s'", optarg);
				return -EINVAL;
			}
			o->limit = (unsigned int)v;
			break;
		case OPT_NO_HOLDER:
			o->holder_stacks = false;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'd':
			if (seconds(optarg, "--duration", &o->duration))
				return -EINVAL;
			break;
		case OPT_BUFFER:
			if (lmr_parse_uint(optarg, 1 << 22, &v) || v < 4) {
				lmr_err("--buffer-kb: not a size in KiB (4..4194304): '%s'",
					optarg);
				return -EINVAL;
			}
			o->buffer_kb = (unsigned int)v;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("lockmon-report abi %u.%u, json schema %s\n",
			       LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR, LMR_SCHEMA);
			exit(0);
		default:
			lmr_err("bad option (see lockmon-report --help)");
			return -EINVAL;
		}
	}
	n = dd - optind;
	if (n > 0)
		*cmd = argv[optind];
	if (n > 1)
		*file = argv[optind + 1];
	if (n > 2 || (n == 2 && strcmp(*cmd, "report"))) {
		lmr_err("unexpected argument '%s' (see lockmon-report --help)",
			argv[optind + (n == 2 ? 1 : 2)]);
		return -EINVAL;
	}
	if (o->cmd && strcmp(*cmd ? *cmd : "", "record")) {
		lmr_err("'-- CMD' is for record");
		return -EINVAL;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned int files;
} lmr_views[] = {
	{ "locks", LMR_F_LOCKS | LMR_F_TASKS },
	{ "tasks", LMR_F_TASKS | LMR_F_STACKS },
	{ "graph", LMR_F_GRAPH | LMR_F_STACKS },
	{ "deadlocks", LMR_F_FINDINGS | LMR_F_STACKS },
	{ "stats", LMR_F_STATS },
	{ "top", LMR_F_LOCKS | LMR_F_TASKS | LMR_F_GRAPH | LMR_F_FINDINGS |
		 LMR_F_STACKS | LMR_F_STATS },
};

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
		lmr_filter(&st, o);
		lmr_state_sort(&st);
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

int main(int argc, char **argv)
{
	struct lmr_opts o = { .holder_stacks = true };
	const char *cmd, *file;
	size_t i;
	int err;

	if (parse_args(argc, argv, &o, &cmd, &file))
		return 2;
	if (!cmd) {
		lmr_err("no command (see lockmon-report --help)");
		return 2;
	}
	if (o.json && o.folded) {
		lmr_err("--json and --folded exclude each other");
		return 2;
	}
	if (o.dot && strcmp(cmd, "graph")) {
		lmr_err("--dot is for the graph command");
		return 2;
	}
	if (!strcmp(cmd, "record")) {
		if (!o.output) {
			lmr_err("record needs -o FILE");
			return 2;
		}
		if (o.cmd && o.duration > 0) {
			lmr_err("record takes --duration or a command, not both");
			return 2;
		}
		return lmr_cmd_record(&o) ? 1 : 0;
	}
	if (o.output || o.duration > 0 || o.buffer_kb) {
		lmr_err("-o, --duration and --buffer-kb are for record");
		return 2;
	}
	if (!strcmp(cmd, "report")) {
		if (!file) {
			lmr_err("report needs a record file");
			return 2;
		}
		return lmr_cmd_report(&o, file) ? 1 : 0;
	}
	for (i = 0; i < sizeof(lmr_views) / sizeof(lmr_views[0]); i++) {
		if (strcmp(cmd, lmr_views[i].name))
			continue;
		err = live_view(&o, cmd, lmr_views[i].files);
		return err ? 1 : 0;
	}
	lmr_err("unknown command '%s' (see lockmon-report --help)", cmd);
	return 2;
}
