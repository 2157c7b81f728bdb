// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: each command has its own option table and help. One
 * table describes every option (its letter, long name, argument, help);
 * a command lists the options it takes, and getopt sees only those, so
 * "lockmon-report locks --help" shows what locks takes and nothing else.
 * Bad input is one line on stderr and leaves the options as they were.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"
#include "http.h"

enum {
	OPT_COMM = 256, OPT_MIN_WAIT, OPT_JSON, OPT_FOLDED, OPT_PPROF, OPT_DOT,
	OPT_ONCE, OPT_BUFFER, OPT_PTRACE_HOLDERS, OPT_FORCE, OPT_CLASS,
	OPT_LISTEN, OPT_UNIX, OPT_MAX_LOCKS,
	OPT_PROFILE, OPT_BY,
};

struct cli_opt {
	int val;			/* its letter, or OPT_* */
	const char *name;		/* --name */
	const char *arg;		/* its argument, NULL for none */
	const char *help;
};

static const struct cli_opt cli_opts[] = {
	{ 'p', "pid", "PID", "only this process (or thread)" },
	{ 't', "tid", "TID", "only this thread (and the locks it waited on)" },
	{ OPT_COMM, "comm", "NAME", "only tasks with this command name" },
	{ OPT_MIN_WAIT, "min-wait", "D",
	  "only waits of at least D (10ms, 500us, 2s; default unit ms)" },
	{ OPT_CLASS, "class", "C",
	  "only futexes of class C: lock, event or all (default all; lock for --folded, --pprof)" },
	{ 'k', "key", "KEY",
	  "order the locks by KEY, largest first (default wait_total)" },
	{ 'F', "field", "LIST",
	  "the lock table's columns: FIELD[=HEADER],... (below)" },
	{ OPT_JSON, "json", NULL,
	  "JSON, schema \"" LMR_SCHEMA "\" (see lockmon-report(1))" },
	{ OPT_FOLDED, "folded", NULL,
	  "wait time by stack in FlameGraph folded format" },
	{ OPT_PPROF, "pprof", "FILE",
	  "also write wait time by stack as a gzipped pprof profile" },
	{ OPT_PROFILE, "profile", "KIND",
	  "--pprof's profile: mutex, block, threads or threadcreate (Go's; default: waits)" },
	{ OPT_BY, "by", "WHO",
	  "whose stack the mutex profile charges: waker (default) or waiter" },
	{ OPT_DOT, "dot", NULL, "Graphviz output" },
	{ OPT_ONCE, "once", NULL, "one snapshot, then exit" },
	{ 'i', "interval", "S", "seconds between refreshes (default 2)" },
	{ 'n', "limit", "N", "locks shown (default 10)" },
	{ OPT_PTRACE_HOLDERS, "ptrace-holders", NULL,
	  "unwind running holders by ptrace: stops them, interrupting their waits" },
	{ 'o', "output", "FILE", "the file to write: the record (record), the exposition (metrics)" },
	{ 'd', "duration", "S",
	  "stop after S seconds (default: Ctrl-C, or when CMD exits)" },
	{ OPT_BUFFER, "buffer-kb", "N",
	  "per-CPU ring buffer size of our instance, in KiB (4..4194304)" },
	{ OPT_FORCE, "force", NULL,
	  "read a damaged record file: skip what fails its checks" },
	{ OPT_LISTEN, "listen", "ADDR:PORT",
	  "the address to serve on (default " LMR_SERVE_LISTEN ")" },
	{ OPT_UNIX, "unix", "PATH", "serve on a Unix socket instead" },
	{ OPT_MAX_LOCKS, "max-locks", "N",
	  "per-lock and per-process series: the N with most wait time, the rest as \"other\" (1..10000, default 50)" },
	{ 'h', "help", NULL, "this text" },
	{ 'V', "version", NULL, "versions of the reporter and its ABI" },
};

#define NR_OPTS		(sizeof(cli_opts) / sizeof(cli_opts[0]))
#define FILTER_OPTS	'p', 't', OPT_COMM, OPT_MIN_WAIT, OPT_CLASS
#define TABLE_OPTS	'k', 'F'
#define STACK_OPTS	OPT_FOLDED, OPT_PPROF, OPT_PROFILE, OPT_BY
#define END_OPTS	'h', 'V', 0

static const int top_opts[] = { FILTER_OPTS, TABLE_OPTS, OPT_ONCE, 'i', 'n',
				OPT_PTRACE_HOLDERS, OPT_JSON, STACK_OPTS, END_OPTS };
static const int locks_opts[] = { FILTER_OPTS, TABLE_OPTS, OPT_JSON,
				  STACK_OPTS, END_OPTS };
static const int tasks_opts[] = { FILTER_OPTS, OPT_JSON, STACK_OPTS,
				  END_OPTS };
static const int graph_opts[] = { FILTER_OPTS, OPT_DOT, OPT_JSON, STACK_OPTS,
				  END_OPTS };
static const int deadlocks_opts[] = { FILTER_OPTS, OPT_JSON, END_OPTS };
static const int stats_opts[] = { OPT_JSON, END_OPTS };
static const int record_opts[] = { 'o', 'd', OPT_BUFFER, 'p', OPT_COMM,
				   END_OPTS };
static const int report_opts[] = { FILTER_OPTS, TABLE_OPTS, OPT_JSON,
				   STACK_OPTS, OPT_FORCE, END_OPTS };
static const int serve_opts[] = { OPT_LISTEN, OPT_UNIX, OPT_MAX_LOCKS,
				  END_OPTS };
static const int metrics_opts[] = { 'o', OPT_MAX_LOCKS, END_OPTS };
static const int global_opts[] = { END_OPTS };

struct cli_cmd {
	const char *name;
	const char *args;		/* what follows the name in its usage */
	const char *summary;		/* its line in lockmon-report --help */
	const char *about;
	const int *opts;		/* 0-terminated */
	const char *examples;
	unsigned int files;		/* a live view's debugfs files */
};

#define LIVE	"\nRun as root, with lockmon.ko loaded.\n"

static const struct cli_cmd cli_cmds[] = {
	{ "top", "[OPTIONS]",
	  "the most contended locks, their owners and waiters, refreshed",
	  "The most contended locks: the owner now, waiters, waits and wait time\n"
	  "(per interval after the first screen), longest wait and handoff; then\n"
	  "the holder's and the waiters' stacks of the first locks waited on. A\n"
	  "holder blocked on a futex has the stack lockmon took; a running one is\n"
	  "not stopped to unwind it unless --ptrace-holders is given.\n"
	  "The module's drop counters are on the second line.\n" LIVE,
	  top_opts,
	  "  lockmon-report top --once                 what is contended right now\n"
	  "  lockmon-report top -n 5 -k wait_max -i 1\n",
	  LMR_F_LOCKS | LMR_F_TASKS | LMR_F_GRAPH | LMR_F_FINDINGS |
	  LMR_F_STACKS | LMR_F_STATS },
	{ "locks", "[OPTIONS]",
	  "per-futex figures: waits, wait time, handoff latency, class",
	  "Per-futex figures since the module was loaded or reset: waits, wait\n"
	  "time, handoff latency (wake to return of the woken waiter), class,\n"
	  "the owner of a lock waited on now.\n" LIVE,
	  locks_opts,
	  "  lockmon-report locks -p 1234 --min-wait 1ms\n"
	  "  lockmon-report locks -k wait_max -F name,waits,wait_max,owner=HOLDER\n"
	  "  lockmon-report locks -t 1240 --json\n",
	  LMR_F_LOCKS | LMR_F_TASKS | LMR_F_STACKS },
	{ "tasks", "[OPTIONS]", "tasks blocked on a futex now, with their stacks",
	  "Tasks blocked on a futex now, with their owner and user stacks.\n" LIVE,
	  tasks_opts,
	  "  lockmon-report tasks --comm server\n"
	  "  lockmon-report tasks -t 1240\n",
	  LMR_F_TASKS | LMR_F_STACKS | LMR_F_LOCKS },
	{ "graph", "[OPTIONS]", "the wait-for graph (--dot for Graphviz)",
	  "The wait-for graph: who waits on which futex, and the one task that\n"
	  "holds it, each named COMM/TID; cycles and orphans are marked.\n" LIVE,
	  graph_opts,
	  "  lockmon-report graph --dot | dot -Tsvg > waits.svg\n",
	  LMR_F_TASKS | LMR_F_GRAPH | LMR_F_FINDINGS | LMR_F_STACKS | LMR_F_LOCKS },
	{ "deadlocks", "[OPTIONS]", "cycles, orphans and stalls lockmon has found",
	  "The findings: cycles, PI EDEADLK, orphaned locks and stalls, in the\n"
	  "shape of a lockdep report.\n" LIVE,
	  deadlocks_opts,
	  "  lockmon-report deadlocks --json\n"
	  "  lockmon-report deadlocks -p 1234\n",
	  LMR_F_FINDINGS | LMR_F_STACKS | LMR_F_LOCKS },
	{ "stats", "[OPTIONS]", "the module's counters, drops included",
	  "The module's counters; a drop counter that is not zero is flagged.\n" LIVE,
	  stats_opts,
	  "  lockmon-report stats --json\n",
	  LMR_F_STATS },
	{ "record", "-o FILE [--duration S | -- CMD ARGS]",
	  "record the event stream",
	  "Records the lockmon events of every process, or of CMD and every\n"
	  "process it forks, to any depth (the module's tree filter), or of -p,\n"
	  "into FILE, with the stack table entries and the maps of the recorded\n"
	  "processes.\n" LIVE,
	  record_opts,
	  "  lockmon-report record -o run.lmr -- ./server --threads 8\n"
	  "  lockmon-report record -o run.lmr -p 1234 --duration 10\n",
	  0 },
	{ "report", "FILE [OPTIONS]",
	  "analyse a record file (or a trace-cmd trace.dat)",
	  "Analyses a record file, or a trace-cmd trace.dat holding the lockmon\n"
	  "events: per-lock and per-task figures and the findings.\n",
	  report_opts,
	  "  lockmon-report report run.lmr -k waits -F name,waits,avg,handoff\n"
	  "  lockmon-report report run.lmr --folded | flamegraph.pl > waits.svg\n"
	  "  lockmon-report report run.lmr --pprof waits.pb.gz && go tool pprof -top waits.pb.gz\n",
	  0 },
	{ "serve", "[--listen ADDR:PORT | --unix PATH] [--max-locks N]",
	  "serve /metrics (Prometheus) and /debug/pprof/* over HTTP",
	  "An HTTP/1.1 server of /metrics, in Prometheus's text format, and of\n"
	  "/debug/pprof/{mutex,block,threads,threadcreate}?seconds=N, gzipped\n"
	  "pprof profiles as Go's net/http/pprof serves them. Each request reads\n"
	  "the module anew: while it is unloaded, /metrics says lockmon_up 0 and\n"
	  "the profiles are 503. Per-lock and per-process series are capped at\n"
	  "--max-locks, the rest summed into an \"other\" series.\n" LIVE,
	  serve_opts,
	  "  lockmon-report serve\n"
	  "  lockmon-report serve --listen 0.0.0.0:9464 --max-locks 20\n"
	  "  go tool pprof -top http://127.0.0.1:9464/debug/pprof/mutex\n",
	  0 },
	{ "metrics", "[-o FILE] [--max-locks N]",
	  "the /metrics exposition once, to a file (node_exporter textfile)",
	  "The exposition serve gives at /metrics, written once to FILE (through\n"
	  "a temporary file in its directory renamed over it, so a reader never\n"
	  "sees half of it), or to standard output.\n" LIVE,
	  metrics_opts,
	  "  lockmon-report metrics -o /var/lib/prometheus/node-exporter/lockmon.prom\n",
	  0 },
};

#define NR_CMDS		(sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* What "lockmon-report" alone takes: -h and -V. */
static const struct cli_cmd cli_global = {
	.name = NULL, .opts = global_opts,
};

/* An option given with no value: the values lockmon-report starts from. */
static const struct lmr_opts cli_defaults = {
	.interval = 2,
	.limit = 10,
	.max_locks = LMR_MAX_LOCKS,
};

static const struct cli_opt *opt_by_val(int val)
{
	size_t i;

	for (i = 0; i < NR_OPTS; i++)
		if (cli_opts[i].val == val)
			return &cli_opts[i];
	return NULL;
}

/* The option a long name (up to '=' or its end) names, or NULL. */
static const struct cli_opt *opt_by_name(const char *name)
{
	size_t i, n = strcspn(name, "=");

	for (i = 0; i < NR_OPTS; i++)
		if (strlen(cli_opts[i].name) == n &&
		    !strncmp(cli_opts[i].name, name, n))
			return &cli_opts[i];
	return NULL;
}

static const struct cli_cmd *cmd_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

static bool cmd_takes(const struct cli_cmd *cmd, int val)
{
	const int *v;

	for (v = cmd->opts; *v; v++)
		if (*v == val)
			return true;
	return false;
}

/* ---- help ------------------------------------------------------------- */

static void put_opt(FILE *out, const struct cli_opt *opt)
{
	char left[48];
	int n;

	if (opt->val < 256)
		n = snprintf(left, sizeof(left), "-%c, --%s", opt->val,
			     opt->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", opt->name);
	if (opt->arg && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", opt->arg);
	fprintf(out, "  %-22s%s%s\n", left, strlen(left) > 21 ? "  " : "",
		opt->help);
}

static void put_columns(FILE *out)
{
	char name[32];
	size_t i;

	fprintf(out, "\nFields (-F) and sort keys (-k, marked *):\n");
	for (i = 0; i < lmr_nr_cols; i++) {
		const struct lmr_col *col = &lmr_cols[i];

		snprintf(name, sizeof(name), "%s%s", col->name,
			 lmr_col_is_key(col) ? "*" : "");
		fprintf(out, "  %-13s %-12s %s", name, col->header, col->help);
		if (col->alias)
			fprintf(out, " (also: %s)", col->alias);
		fputc('\n', out);
	}
}

static void cmd_help(FILE *out, const struct cli_cmd *cmd)
{
	const int *v;

	fprintf(out, "usage: lockmon-report %s %s\n\n%s\nOptions:\n", cmd->name,
		cmd->args, cmd->about);
	for (v = cmd->opts; *v; v++)
		put_opt(out, opt_by_val(*v));
	if (cmd_takes(cmd, 'F')) {
		put_columns(out);
		fprintf(out, "Default fields: %s\n",
			strcmp(cmd->name, "top") ? LMR_LOCKS_FIELDS :
						   LMR_TOP_FIELDS);
	}
	fprintf(out, "\nExamples:\n%s", cmd->examples);
}

static void global_help(FILE *out)
{
	size_t i;

	fprintf(out, "usage: lockmon-report COMMAND [OPTIONS]\n"
		"       lockmon-report COMMAND --help   (the options of COMMAND)\n"
		"\nViews of the lockmon module's state (root; needs lockmon.ko loaded):\n");
	for (i = 0; i < NR_CMDS; i++) {
		if (!strcmp(cli_cmds[i].name, "record"))
			fprintf(out, "Recordings:\n");
		fprintf(out, "  %-10s %s\n", cli_cmds[i].name,
			cli_cmds[i].summary);
	}
	fprintf(out, "\nOptions:\n");
	put_opt(out, opt_by_val('h'));
	put_opt(out, opt_by_val('V'));
	/* the first example of each command */
	fprintf(out, "\nExamples:\n");
	for (i = 0; i < NR_CMDS; i++) {
		const char *e = cli_cmds[i].examples;

		fprintf(out, "%.*s", (int)strcspn(e, "\n") + 1, e);
	}
}

/* ---- values ----------------------------------------------------------- */

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

static int task_id(const char *s, const char *opt, const char *what,
		   pid_t *out)
{
	unsigned long long v;

	if (lmr_parse_uint(s, 0x3fffffff, &v) || !v) {
		lmr_err("%s: not a %s id: '%s'", opt, what, s);
		return -EINVAL;
	}
	*out = (pid_t)v;
	return 0;
}

static int opt_value(struct lmr_opts *o, int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case 'p':
		return task_id(arg, "-p", "process", &o->pid);
	case 't':
		return task_id(arg, "-t", "thread", &o->tid);
	case OPT_COMM:
		if (!*arg || strlen(arg) >= sizeof(o->comm)) {
			lmr_err("--comm: a command name has 1 to 15 characters: '%s'",
				arg);
			return -EINVAL;
		}
		strcpy(o->comm, arg);
		return 0;
	case OPT_MIN_WAIT:
		if (lmr_parse_duration(arg, &o->min_wait_ns)) {
			lmr_err("--min-wait: not a duration: '%s' (e.g. 10ms, 500us, 2s)",
				arg);
			return -EINVAL;
		}
		return 0;
	case 'k':
		return lmr_parse_sort_key(arg, &o->sort_key);
	case 'F':
		return lmr_parse_fields(arg, &o->fields);
	case OPT_CLASS:
		if (!strcmp(arg, "lock"))
			o->klass = LMR_CLASS_LOCK;
		else if (!strcmp(arg, "event"))
			o->klass = LMR_CLASS_EVENT;
		else if (!strcmp(arg, "all"))
			o->klass = LMR_CLASS_ALL;
		else {
			lmr_err("--class: lock, event or all: '%s'", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_FOLDED:
		o->folded = true;
		return 0;
	case OPT_PPROF:
		o->pprof = arg;
		return 0;
	case OPT_PROFILE: {
		enum lmr_profile kind;

		if (lmr_profile_parse(arg, &kind)) {
			lmr_err("--profile: mutex, block, threads or threadcreate: '%s'",
				arg);
			return -EINVAL;
		}
		o->profile = kind;
		return 0;
	}
	case OPT_BY:
		if (!strcmp(arg, "waiter"))
			o->by = LMR_BY_WAITER;
		else if (!strcmp(arg, "waker"))
			o->by = LMR_BY_WAKER;
		else {
			lmr_err("--by: waker or waiter: '%s'", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_DOT:
		o->dot = true;
		return 0;
	case OPT_ONCE:
		o->once = true;
		return 0;
	case 'i':
		return seconds(arg, "--interval", &o->interval);
	case 'n':
		if (lmr_parse_uint(arg, 100000, &v) || !v) {
			lmr_err("--limit: not a count (1..100000): '%s'", arg);
			return -EINVAL;
		}
		o->limit = (unsigned int)v;
		return 0;
	case OPT_PTRACE_HOLDERS:
		o->ptrace_holders = true;
		return 0;
	case OPT_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t len;

		if (lmr_http_parse_addr(arg, &ss, &len)) {
			lmr_err("--listen: not ADDR:PORT (127.0.0.1:9464, [::1]:9464): '%s'",
				arg);
			return -EINVAL;
		}
		o->listen = arg;
		return 0;
	}
	case OPT_UNIX:
		o->unix_path = arg;
		return 0;
	case OPT_MAX_LOCKS:
		if (lmr_parse_uint(arg, 10000, &v) || !v) {
			lmr_err("--max-locks: not a count (1..10000): '%s'", arg);
			return -EINVAL;
		}
		o->max_locks = (unsigned int)v;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'd':
		return seconds(arg, "--duration", &o->duration);
	case OPT_BUFFER:
		if (lmr_parse_uint(arg, 1 << 22, &v) || v < 4) {
			lmr_err("--buffer-kb: not a size in KiB (4..4194304): '%s'",
				arg);
			return -EINVAL;
		}
		o->buffer_kb = (unsigned int)v;
		return 0;
	}
	return -EINVAL;
}

/* ---- parsing ---------------------------------------------------------- */

/*
 * The index of the command in argv[1..n): the first word that is neither
 * an option nor an option's argument, so options may come before it too.
 */
static int find_command(int n, char **argv)
{
	const struct cli_opt *opt;
	const char *a;
	int i, j;

	for (i = 1; i < n; i++) {
		a = argv[i];
		if (a[0] != '-' || !a[1])
			return i;
		if (a[1] == '-') {
			opt = opt_by_name(a + 2);
			if (opt && opt->arg && !strchr(a, '='))
				i++;
			continue;
		}
		for (j = 1; a[j]; j++) {
			opt = opt_by_val((unsigned char)a[j]);
			if (opt && opt->arg) {
				if (!a[j + 1])
					i++;
				break;
			}
		}
	}
	return -1;
}

/* "graph", "top, record": the commands that take option @val */
static const char *takers(int val, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < NR_CMDS && n < len; i++)
		if (cmd_takes(&cli_cmds[i], val))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? ", " : "", cli_cmds[i].name);
	return buf;
}

/* getopt's complaint, as one line that says where to look */
static void bad_option(const struct cli_cmd *cmd, int c, char **argv)
{
	const char *name = cmd->name ? cmd->name : "";
	const char *given = optind > 0 ? argv[optind - 1] : "";
	const struct cli_opt *opt = optopt ? opt_by_val(optopt) : NULL;
	size_t glen = strcspn(given, "=");
	char what[64], who[128];

	if (!optopt)		/* a long option getopt does not know */
		opt = opt_by_name(given + 2);
	if (!optopt || optopt >= 256 ||
	    (opt && glen > 2 && !strncmp(given, "--", 2) &&
	     !strncmp(given + 2, opt->name, glen - 2)))
		snprintf(what, sizeof(what), "%.*s", (int)glen, given);
	else
		snprintf(what, sizeof(what), "-%c", optopt);
	if (opt)
		takers(opt->val, who, sizeof(who));
	if (c == ':')
		lmr_err("%s needs an argument (see lockmon-report %s%s--help)",
			what, name, *name ? " " : "");
	else if (opt && cmd_takes(cmd, opt->val))
		lmr_err("%s takes no argument: '%s'", what, given);
	else if (opt && !cmd->name)
		lmr_err("%s goes after a command: %s (see lockmon-report --help)",
			what, who);
	else if (opt)
		lmr_err("%s does not take %s (%s do%s; see lockmon-report %s --help)",
			name, what, who, strchr(who, ',') ? "" : "es", name);
	else
		lmr_err("unknown option '%s' (see lockmon-report %s%s--help)",
			what, name, *name ? " " : "");
}

/*
 * The options of @cmd in args[1..n), into @o; the operands are left in
 * args[*first..n). LMR_CLI_EXIT after -h or -V.
 */
static int get_opts(const struct cli_cmd *cmd, int n, char **args,
		    struct lmr_opts *o, FILE *out, int *first, u64 *given)
{
	struct option longopts[NR_OPTS + 1];
	char shorts[2 * NR_OPTS + 2];
	const struct cli_opt *opt;
	size_t nl = 0, ns = 0;
	const int *v;
	int c;

	shorts[ns++] = ':';
	for (v = cmd->opts; *v; v++) {
		opt = opt_by_val(*v);
		longopts[nl++] = (struct option){
			.name = opt->name,
			.has_arg = opt->arg ? required_argument : no_argument,
			.val = opt->val,
		};
		if (opt->val >= 256)
			continue;
		shorts[ns++] = (char)opt->val;
		if (opt->arg)
			shorts[ns++] = ':';
	}
	shorts[ns] = 0;
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	optind = 0;			/* a fresh scan, for every call */
	opterr = 0;
	while ((c = getopt_long(n, args, shorts, longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			bad_option(cmd, c, args);
			return -EINVAL;
		}
		if (c == 'h') {
			if (cmd->name)
				cmd_help(out, cmd);
			else
				global_help(out);
			return LMR_CLI_EXIT;
		}
		if (c == 'V') {
			fprintf(out, "lockmon-report abi %u.%u, json schema %s\n",
				LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR, LMR_SCHEMA);
			return LMR_CLI_EXIT;
		}
		if (opt_value(o, c, optarg))
			return -EINVAL;
		*given |= 1ULL << (opt_by_val(c) - cli_opts);
	}
	*first = optind;
	return 0;
}

static bool was_given(u64 given, int val)
{
	return given & (1ULL << (opt_by_val(val) - cli_opts));
}

/*
 * An option that the output asked for would ignore: refused, as one the
 * command does not take is. Its name, with @why and the option @by that
 * makes it useless; NULL if none.
 */
static const char *ignored_option(const struct cli_cmd *cmd,
				  const struct lmr_opts *o, u64 given,
				  const char **by, const char **why)
{
	bool text = !o->json && !o->folded;

	*by = o->json ? "--json" : "--folded";
	*why = "it shapes the text table";
	if (!text && was_given(given, 'F'))
		return "-F";
	*why = "it is another output format";
	if (!text && was_given(given, OPT_DOT))
		return "--dot";
	if (strcmp(cmd->name, "top"))
		return NULL;
	*why = "it limits the text table";
	if (!text && was_given(given, 'n'))
		return "-n";
	*why = "holder stacks are only in the text view";
	if (!text && was_given(given, OPT_PTRACE_HOLDERS))
		return "--ptrace-holders";
	*by = "--once";
	*why = "there is no refresh";
	if (o->once && was_given(given, 'i'))
		return "-i";
	return NULL;
}

/* What no single option can tell: options that go together or exclude. */
static int check(const struct cli_cmd *cmd, const struct lmr_opts *o,
		 const char *file, u64 given)
{
	const char *what, *by, *why;

	if (o->cmd && strcmp(cmd->name, "record")) {
		lmr_err("'-- CMD' is for record");
		return -EINVAL;
	}
	if (o->json && o->folded) {
		lmr_err("--json and --folded exclude each other");
		return -EINVAL;
	}
	if (!strcmp(cmd->name, "record")) {
		if (!o->output) {
			lmr_err("record needs -o FILE");
			return -EINVAL;
		}
		if (o->cmd && o->duration > 0) {
			lmr_err("record takes --duration or a command, not both");
			return -EINVAL;
		}
	}
	if (o->listen && o->unix_path) {
		lmr_err("--listen and --unix exclude each other");
		return -EINVAL;
	}
	if (!strcmp(cmd->name, "report") && !file) {
		lmr_err("report needs a record file");
		return -EINVAL;
	}
	if ((was_given(given, OPT_PROFILE) || was_given(given, OPT_BY)) &&
	    !o->pprof) {
		lmr_err("%s goes with --pprof FILE",
			was_given(given, OPT_PROFILE) ? "--profile" : "--by");
		return -EINVAL;
	}
	if (was_given(given, OPT_BY) && o->profile != LMR_PROFILE_MUTEX) {
		lmr_err("--by is for --profile mutex");
		return -EINVAL;
	}
	what = ignored_option(cmd, o, given, &by, &why);
	if (what) {
		lmr_err("%s does nothing with %s: %s (see lockmon-report %s --help)",
			what, by, why, cmd->name);
		return -EINVAL;
	}
	return 0;
}

int lmr_cli_parse(int argc, char **argv, struct lmr_opts *out_opts,
		  struct lmr_cli *cli, FILE *out)
{
	struct lmr_opts o = cli_defaults;
	const struct cli_cmd *cmd = &cli_global;
	const char *file = NULL;
	char **args = NULL;
	int dd, ci, n, i, first, ret;
	u64 given = 0;

	/* everything after "--" is the command to record */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--"); dd++)
		;
	if (dd < argc) {
		if (dd + 1 == argc) {
			lmr_err("no command after '--'");
			return -EINVAL;
		}
		o.cmd = &argv[dd + 1];
	}
	ci = find_command(dd, argv);
	if (ci > 0 && !strcmp(argv[ci], "help")) {
		/* "help COMMAND" is "COMMAND --help" */
		n = find_command(dd - ci, argv + ci);
		cmd = n > 0 ? cmd_by_name(argv[ci + n]) : NULL;
		if (n > 0 && !cmd) {
			lmr_err("unknown command '%s' (see lockmon-report --help)",
				argv[ci + n]);
			return -EINVAL;
		}
		if (cmd)
			cmd_help(out, cmd);
		else
			global_help(out);
		return LMR_CLI_EXIT;
	}
	if (ci > 0) {
		cmd = cmd_by_name(argv[ci]);
		if (!cmd) {
			lmr_err("unknown command '%s' (see lockmon-report --help)",
				argv[ci]);
			return -EINVAL;
		}
	}
	/* getopt sees the arguments before "--", less the command's name */
	args = calloc((size_t)dd + 1, sizeof(*args));
	if (!args) {
		lmr_err("no memory");
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < dd; i++)
		if (i != ci)
			args[n++] = argv[i];
	ret = get_opts(cmd, n, args, &o, out, &first, &given);
	if (ret)
		goto cleanup;
	ret = -EINVAL;
	if (!cmd->name) {
		lmr_err("no command (see lockmon-report --help)");
		goto cleanup;
	}
	if (first < n && !strcmp(cmd->name, "report"))
		file = args[first++];
	if (first < n) {
		lmr_err("unexpected argument '%s' (see lockmon-report %s --help)",
			args[first], cmd->name);
		goto cleanup;
	}
	if (check(cmd, &o, file, given))
		goto cleanup;
	cli->cmd = cmd->name;
	cli->file = file;
	cli->files = cmd->files;
	*out_opts = o;
	ret = LMR_CLI_RUN;
cleanup:
	free(args);
	return ret;
}
