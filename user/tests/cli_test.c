// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: each command's options and help, bad input as one
 * line on stderr that changes nothing, the lock tables drawn from the
 * column table (the default columns print what they printed before it),
 * -k, -F and the -t filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "test.h"

/* Captured stderr of a call: what it printed there, NULL-terminated. */
#define TMP_ERR "/tmp/lmr_cli_test.err"
static int saved_stderr = -1;

static void err_begin(void)
{
	int fd;

	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(TMP_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
}

static char *err_end(void)
{
	char *s;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	s = lmr_read_file(TMP_ERR, NULL, 1 << 16);
	unlink(TMP_ERR);
	return s ? s : strdup("");
}

/* One line on stderr, "lockmon-report: " and then @start. */
static bool one_error_line(const char *err, const char *start)
{
	const char *nl = strchr(err, '\n');
	bool ok = nl && !nl[1] && !strncmp(err, "lockmon-report: ", 16) &&
		  !strncmp(err + 16, start, strlen(start));

	if (!ok)
		printf("#  stderr: '%s', want one line 'lockmon-report: %s...'\n",
		       err, start);
	return ok;
}

static void top_fn(struct lmr_ctx *c)
{
	lmr_view_top(c, NULL);
}

static const struct lmr_state *top_prev;

static void top_interval_fn(struct lmr_ctx *c)
{
	lmr_view_top(c, top_prev);
}

/* top's table only: after its clock line, up to the stacks that follow */
static bool same_top_table(const char *out, const char *want_file)
{
	char *want = fixture(want_file);
	/* the status line, after the findings' headlines if any */
	const char *status = !strncmp(out, "lockmon ", 8) ? out :
			     strstr(out, "\nlockmon ");
	const char *table = status ? strchr(status + 1, '\n') : NULL;
	size_t n = strlen(want);
	bool ok = table && !strncmp(table + 1, want, n) &&
		  (table[1 + n] == '\n' || !table[1 + n]);

	if (!ok)
		printf("#  top: got\n%s#  want\n%s", table ? table + 1 : out, want);
	free(want);
	return ok;
}

static bool same_as(const char *out, const char *want_file)
{
	char *want = fixture(want_file);
	bool ok = !strcmp(out, want);

	if (!ok)
		printf("#  got\n%s#  want (%s)\n%s", out, want_file, want);
	free(want);
	return ok;
}

/* The default columns print byte for byte what the views printed before. */
/* wait_p50 and wait_p99: log2 bucket bounds of hist, at most the max */
static void hist_percentiles(void)
{
	const struct lmr_col *p50 = lmr_col_find("p50");
	const struct lmr_col *p99 = lmr_col_find("wait_p99");
	struct lmr_lock l = { 0 };

	CHECK(p50 && p99 && lmr_col_is_key(p50) && lmr_col_is_key(p99));
	if (!p50 || !p99)
		return;
	CHECK(p50->num(&l) == 0 && p99->num(&l) == 0);	/* no waits */
	/* 60 waits of 1-2 us, 39 of 1-2 ms, one of about 1.1 s */
	l.hist[10] = 60;
	l.hist[20] = 39;
	l.hist[30] = 1;
	l.max_ns = 1100000000;
	CHECK(p50->num(&l) == 2048);
	CHECK(p99->num(&l) == 2097152);
	CHECK(lmr_hist_pct(l.hist, l.max_ns, 100) == 1100000000);
	/* the bound never passes the longest wait */
	l.max_ns = 1500000;
	CHECK(p99->num(&l) == 1500000);
	/* the 50th of 100 waits is the last of bucket 10's 50 */
	l.hist[10] = 50;
	l.hist[20] = 49;
	CHECK(p50->num(&l) == 2048);
	l.hist[10] = 49;
	l.hist[20] = 50;
	CHECK(p50->num(&l) == 1500000);
}

static void default_columns(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st, prev;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out;

	live_state(&st, "abba");
	st.recorded = true;	/* no /proc lookups of the fixture's pids */
	out = capture(lmr_view_locks, &c);
	CHECK(same_as(out, "abba-locks-view.txt"));
	free(out);
	out = capture(lmr_view_report, &c);
	CHECK(same_as(out, "abba-report-view.txt"));
	free(out);
	out = capture(top_fn, &c);
	CHECK(same_top_table(out, "abba-top-view.txt"));
	free(out);
	/* after the first screen: per interval, a lock new since then whole */
	live_state(&prev, "abba");
	prev.locks[0].waits -= 3;
	prev.locks[0].total_ns -= 1000000;
	prev.nr_locks = 2;
	top_prev = &prev;
	out = capture(top_interval_fn, &c);
	CHECK(same_top_table(out, "abba-top-interval-view.txt"));
	free(out);
	lmr_state_free(&prev);
	lmr_state_free(&st);
}

/* -F: chosen columns in order, a header of one's own after '=' */
static void fields_option(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct lmr_fields keep;
	char *out, *err, all[512];
	size_t i, n;

	live_state(&st, "abba");
	st.recorded = true;
	CHECK(lmr_parse_fields("waits,wait_max,futex=ID,name", &o.fields) == 0);
	CHECK(o.fields.nr == 4);
	out = capture(lmr_view_locks, &c);
	CHECK(!strncmp(out, "  WAITS       MAX ID                LOCK\n"
			    "     44     203ms 74a75d7e636b70ff  0x556a10e741c0\n",
		       41 + 49));
	free(out);
	/* perf lock's names for the same columns */
	CHECK(lmr_parse_fields("contended,avg_wait", &o.fields) == 0);
	CHECK(o.fields.nr == 2 && !strcmp(o.fields.col[0]->name, "waits") &&
	      !strcmp(o.fields.col[1]->name, "avg"));
	/* today's columns can all be shown, and so can every one */
	CHECK(lmr_parse_fields("name,futex,uaddr,pid,process,class,pi,waits,"
			       "wait_total,wait_max,avg,handoff,handoff_max,"
			       "waiters,again,timeouts,signals,wakes,distinct,"
			       "owner", &o.fields) == 0);
	CHECK(o.fields.nr == 20);
	out = capture(lmr_view_locks, &c);
	CHECK(strstr(out, " HANDOFF_MAX WAITERS   AGAIN TIMEOUTS SIGNALS   WAKES DISTINCT  OWNER\n"));
	free(out);
	for (i = 0, n = 0; i < lmr_nr_cols && n < sizeof(all); i++)
		n += (size_t)snprintf(all + n, sizeof(all) - n, "%s%s",
				      i ? "," : "", lmr_cols[i].name);
	CHECK(n < sizeof(all));
	CHECK(lmr_parse_fields(all, &o.fields) == 0);
	CHECK(o.fields.nr == lmr_nr_cols);

	/* bad lists: one line on stderr, and the fields stay as they were */
	keep = o.fields;
	err_begin();
	CHECK(lmr_parse_fields("name,frob", &o.fields) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-F: unknown field 'frob' (fields: name, futex, "));
	free(err);
	err_begin();
	CHECK(lmr_parse_fields("name,,waits", &o.fields) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-F: an empty field in 'name,,waits'"));
	free(err);
	err_begin();
	CHECK(lmr_parse_fields("", &o.fields) == -EINVAL);
	CHECK(lmr_parse_fields("owner=", &o.fields) == -EINVAL);
	CHECK(lmr_parse_fields("owner=a-header-far-too-long-to-print", &o.fields) == -EINVAL);
	free(err_end());
	CHECK(!memcmp(&keep, &o.fields, sizeof(keep)));
	lmr_state_free(&st);
}

static const char *lock_order(struct lmr_state *st, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < st->nr_locks && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%llx", i ? " " : "",
				      (unsigned long long)st->locks[i].uaddr & 0xfff);
	return buf;
}

/* -k: largest first, ties in the default order; names and perf's aliases */
static void sort_keys(void)
{
	static const struct { const char *key, *order; } c[] = {
		{ "handoff_max", "1a4 184 1c0 84 e0 a0 990" },
		{ "contended", "1a4 1c0 184 84 e0 a0 990" },
		{ "waiters", "e0 a0 990 1a4 1c0 184 84" },
	};
	const struct lmr_col *key = NULL;
	struct lmr_state st;
	char order[128], *err;
	size_t i;

	live_state(&st, "abba");
	CHECK(!strcmp(lock_order(&st, order, sizeof(order)),
		      "1c0 1a4 184 84 e0 a0 990"));
	/* each from the order the one before left: ties keep it */
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CHECK(lmr_parse_sort_key(c[i].key, &key) == 0);
		lmr_sort_locks(&st, key);
		if (strcmp(lock_order(&st, order, sizeof(order)), c[i].order))
			printf("#  -k %s: %s\n", c[i].key, order);
		CHECK(!strcmp(order, c[i].order));
	}
	CHECK(!strcmp(key->name, "waiters"));
	CHECK(lmr_parse_sort_key("contended", &key) == 0);
	CHECK(!strcmp(key->name, "waits"));
	CHECK(lmr_parse_sort_key("waiters", &key) == 0);

	/* a name that is no column, or a column that is no figure */
	err_begin();
	CHECK(lmr_parse_sort_key("frob", &key) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-k: unknown sort key 'frob' (keys: waits, again, "));
	free(err);
	err_begin();
	CHECK(lmr_parse_sort_key("name", &key) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-k: not a sort key: 'name' (keys: "));
	free(err);
	CHECK(!strcmp(key->name, "waiters"));
	lmr_state_free(&st);
}

/*
 * The schema and the lock tables cannot drift: each column of the locks
 * list (include/lockmon/columns.h) is shown as its view says. FIELD_OF is
 * the -F field a view names (NULL for none), KIND_OF the type of an
 * LMV_COUNT() or LMV_NS() column (-1 for the others), HAND_OF whether
 * user/columns.c writes its fields by hand.
 */
#define FIELD_OF(name, type, since, get, field, json, view)		\
	LMR_VIEW(FIELD, field, type, view)
#define FIELD_count(field, type, n, ...)	n
#define FIELD_ns(field, type, n, ...)		n
#define FIELD_text(field, type, n, ...)		n
#define FIELD_hand(field, type, id)		#id
#define FIELD_part(field, type, in)		in
#define FIELD_none(field, type, ...)		NULL
#define KIND_OF(name, type, since, get, field, json, view)		\
	LMR_VIEW(KIND, field, type, view)
#define KIND_count(...)		LMR_COL_COUNT
#define KIND_ns(...)		LMR_COL_NS
#define KIND_text(...)		-1
#define KIND_hand(...)		-1
#define KIND_part(...)		-1
#define KIND_none(...)		-1
#define HAND_OF(name, type, since, get, field, json, view)		\
	LMR_VIEW(HAND, field, type, view)
#define HAND_count(...)		false
#define HAND_ns(...)		false
#define HAND_text(...)		false
#define HAND_hand(...)		true
#define HAND_part(...)		false
#define HAND_none(...)		false

struct schema_col {
	const char *name, *json, *field;
	int kind;
	bool hand;
	size_t off, size;
};

#define SCHEMA_COL(name_, type, since, get, field_, json_, view)	\
	{ .name = name_, .json = json_,					\
	  .field = FIELD_OF(name_, type, since, get, field_, json_, view), \
	  .kind = KIND_OF(name_, type, since, get, field_, json_, view), \
	  .hand = HAND_OF(name_, type, since, get, field_, json_, view), \
	  .off = offsetof(struct lmr_lock, field_),			\
	  .size = sizeof(((struct lmr_lock *)0)->field_) },

static const struct schema_col schema_cols[] = {
	LOCKMON_LOCKS_COLUMNS(SCHEMA_COL)
};

static void json_locks(struct lmr_ctx *c)
{
	lmr_json_view(c, "locks");
}

/* the u64 or u32 member of @l that column @s is read into */
static void set_member(struct lmr_lock *l, const struct schema_col *s, u64 v)
{
	u32 v32 = (u32)v;

	if (s->size == sizeof(v))
		memcpy((char *)l + s->off, &v, sizeof(v));
	else
		memcpy((char *)l + s->off, &v32, sizeof(v32));
}

static u64 get_member(const struct lmr_lock *l, const struct schema_col *s)
{
	u64 v = 0;
	u32 v32 = 0;

	if (s->size == sizeof(v))
		memcpy(&v, (const char *)l + s->off, sizeof(v));
	else
		memcpy(&v32, (const char *)l + s->off, sizeof(v32));
	return s->size == sizeof(v) ? v : v32;
}

static void check_schema_col(struct lmr_ctx *c, const struct schema_col *s,
			     const char *json)
{
	struct lmr_opts *o = (struct lmr_opts *)c->o;
	const struct lmr_col *key = NULL;
	struct lmr_state *st = c->st;
	size_t i, len, rows = 0;
	char kv[64], *out;

	/* a column with a json key is in --json, and a field */
	if (s->json) {
		snprintf(kv, sizeof(kv), "\"%s\":", s->json);
		CHECK(strstr(json, kv) != NULL);
		if (!s->field)
			printf("#  %s: a json key, no -F field\n", s->name);
		CHECK(s->field != NULL);
	}
	/* the fields of a column without a key may be written by hand */
	if (!s->field || (s->hand && !s->json))
		return;
	/* its field is accepted, and prints a header and a line per lock */
	CHECK(lmr_parse_fields(s->field, &o->fields) == 0);
	if (o->fields.nr != 1) {
		printf("#  %s: -F %s is not a field\n", s->name, s->field);
		return;
	}
	out = capture(lmr_view_locks, c);
	/* the header line is the first, and has the column's header */
	len = strcspn(out, "\n");
	out[len] = 0;
	CHECK(strstr(out, o->fields.col[0]->header) != NULL);
	out[len] = '\n';
	/* the table: what follows a blank line is the holder paragraph */
	for (i = 0; out[i] && !(i && out[i] == '\n' && out[i - 1] == '\n'); i++)
		rows += out[i] == '\n';
	CHECK(rows == st->nr_locks + 1);
	free(out);
	if (s->kind < 0) {
		CHECK(!lmr_col_is_key(o->fields.col[0]));
		return;
	}
	/*
	 * a count or a duration is a sort key of that type, reading this
	 * member: give the locks rising values, and -k reverses them
	 */
	CHECK((int)o->fields.col[0]->type == s->kind);
	CHECK(lmr_parse_sort_key(s->field, &key) == 0);
	if (!key)
		return;
	for (i = 0; i < st->nr_locks; i++)
		set_member(&st->locks[i], s, 1000 + i);
	lmr_sort_locks(st, key);
	for (i = 0; i < st->nr_locks; i++) {
		CHECK(get_member(&st->locks[i], s) ==
		      1000 + st->nr_locks - 1 - i);
		CHECK(key->num(&st->locks[i]) == get_member(&st->locks[i], s));
	}
}

static void schema_columns(void)
{
	static const char *const fixtures[] = { "abba", "contend" };
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	size_t i, j, fields = 0;
	char *json;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		live_state(&st, fixtures[i]);
		CHECK(st.nr_locks > 1);
		json = capture(json_locks, &c);
		for (j = 0; j < sizeof(schema_cols) / sizeof(schema_cols[0]); j++)
			check_schema_col(&c, &schema_cols[j], json);
		free(json);
		lmr_state_free(&st);
	}
	/* every figure of the list is a key; the rest are written by hand */
	for (j = 0; j < sizeof(schema_cols) / sizeof(schema_cols[0]); j++)
		fields += schema_cols[j].kind >= 0;
	fields += 2;	/* hist's, by hand: wait_p50 and wait_p99 */
	for (j = 0; j < lmr_nr_cols; j++)
		fields -= lmr_col_is_key(&lmr_cols[j]);
	CHECK(fields == 0);
}

/* lmr_cli_parse of @line, split at blanks; its stdout and stderr kept */
struct parsed {
	int ret;
	struct lmr_opts o;
	struct lmr_cli cli;
	char *out, *err;
	char line[512];
	char *argv[32];
};

static void parse(struct parsed *p, const char *line)
{
	size_t len = 0;
	FILE *out;
	int argc = 1;
	char *w, *save;

	memset(p, 0xa5, sizeof(*p));	/* what a failed parse must not touch */
	snprintf(p->line, sizeof(p->line), "%s", line);
	p->argv[0] = "lockmon-report";
	for (w = strtok_r(p->line, " ", &save); w && argc < 31;
	     w = strtok_r(NULL, " ", &save))
		p->argv[argc++] = w;
	p->argv[argc] = NULL;
	out = open_memstream(&p->out, &len);
	err_begin();
	p->ret = lmr_cli_parse(argc, p->argv, &p->o, &p->cli, out);
	p->err = err_end();
	fclose(out);
}

static void parsed_free(struct parsed *p)
{
	free(p->out);
	free(p->err);
}

/* Each command's --help: its own options, its examples, nothing else. */
static void command_help(void)
{
	static const struct {
		const char *cmd, *has[4], *lacks[4];
	} c[] = {
		{ "locks", { "-k, --key KEY", "-F, --field LIST", "-t, --tid TID",
			     "Default fields: name,pid,class," },
		  { "--dot", "--once", "--buffer-kb", "--interval" } },
		{ "top", { "--once", "-i, --interval S", "-n, --limit N",
			   "Default fields: name,process,class,owner=OWNER NOW," },
		  { "--dot", "--output", "--duration", "usage: lockmon-report COMMAND" } },
		{ "graph", { "--dot", "--json", "--min-wait D", "Examples:" },
		  { "-k, --key", "--once", "Fields (-F)", "--output" } },
		{ "record", { "-o, --output FILE", "-d, --duration S",
			      "--buffer-kb N", "-p, --pid PID" },
		  { "--json", "--tid", "--min-wait", "-k, --key" } },
		{ "report", { "usage: lockmon-report report FILE [OPTIONS]",
			      "-k, --key KEY", "wait_max*     MAX", "--pprof FILE" },
		  { "--once", "--dot", "--output", "Run as root" } },
		{ "stats", { "--json", "-h, --help", "-V, --version", "Examples:" },
		  { "--pid", "--tid", "--comm", "--folded" } },
	};
	struct parsed p, q;
	char line[64];
	size_t i, k;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(line, sizeof(line), "%s --help", c[i].cmd);
		parse(&p, line);
		CHECK(p.ret == LMR_CLI_EXIT && !*p.err);
		snprintf(line, sizeof(line), "usage: lockmon-report %s ", c[i].cmd);
		CHECK(!strncmp(p.out, line, strlen(line)));
		for (k = 0; k < 4; k++) {
			if (!strstr(p.out, c[i].has[k]))
				printf("#  %s --help lacks '%s'\n", c[i].cmd,
				       c[i].has[k]);
			CHECK(strstr(p.out, c[i].has[k]));
			if (strstr(p.out, c[i].lacks[k]))
				printf("#  %s --help has '%s'\n", c[i].cmd,
				       c[i].lacks[k]);
			CHECK(!strstr(p.out, c[i].lacks[k]));
		}
		/* "help CMD" and "CMD -h" are the same text */
		snprintf(line, sizeof(line), "help %s", c[i].cmd);
		parse(&q, line);
		CHECK(q.ret == LMR_CLI_EXIT && !strcmp(p.out, q.out));
		parsed_free(&q);
		parsed_free(&p);
	}
	/* lockmon-report --help: the commands, not their options */
	parse(&p, "--help");
	CHECK(p.ret == LMR_CLI_EXIT);
	CHECK(!strncmp(p.out, "usage: lockmon-report COMMAND [OPTIONS]\n", 40));
	CHECK(strstr(p.out, "\n  deadlocks  cycles, orphans"));
	CHECK(strstr(p.out, "\n  report     analyse a record file"));
	CHECK(!strstr(p.out, "--min-wait D") && !strstr(p.out, "Fields (-F)"));
	parsed_free(&p);
	parse(&p, "-V");
	CHECK(p.ret == LMR_CLI_EXIT && !strncmp(p.out, "lockmon-report abi ", 19));
	parsed_free(&p);
}

/* Good command lines: the options land where the views read them. */
static void good_lines(void)
{
	struct parsed p;

	parse(&p, "locks -k wait_max -F name,waits=N -t 135 -p 132 --comm abba --min-wait 2ms");
	CHECK(p.ret == LMR_CLI_RUN && !*p.err && !*p.out);
	CHECK(!strcmp(p.cli.cmd, "locks") && !p.cli.file);
	CHECK(p.cli.files == (LMR_F_LOCKS | LMR_F_TASKS | LMR_F_STACKS));
	CHECK(!strcmp(p.o.sort_key->name, "wait_max"));
	CHECK(p.o.fields.nr == 2 && !strcmp(p.o.fields.header[1], "N"));
	CHECK(p.o.tid == 135 && p.o.pid == 132 && !strcmp(p.o.comm, "abba"));
	CHECK(p.o.min_wait_ns == 2000000);
	/* the defaults struct: what no option changed */
	CHECK(!p.o.ptrace_holders && p.o.limit == 10 && p.o.interval == 2);
	CHECK(!p.o.json && !p.o.cmd && !p.o.output);
	parsed_free(&p);
	/* long forms, options before the command, --opt=value */
	parse(&p, "--tid 7 top --key=contended --field=owner -n 3 -i 500ms");
	CHECK(p.ret == LMR_CLI_RUN && !strcmp(p.cli.cmd, "top"));
	CHECK(p.o.tid == 7 && !strcmp(p.o.sort_key->name, "waits"));
	CHECK(p.o.fields.nr == 1 && !p.o.once && p.o.limit == 3);
	CHECK(p.o.interval == 0.5);
	parsed_free(&p);
	parse(&p, "report run.lmr -k avg --json -t 12");
	CHECK(p.ret == LMR_CLI_RUN && !strcmp(p.cli.file, "run.lmr"));
	CHECK(p.o.json && p.o.tid == 12 && !strcmp(p.o.sort_key->name, "avg"));
	CHECK(!p.o.force && p.o.klass == LMR_CLASS_DEFAULT);
	parsed_free(&p);
	parse(&p, "report run.lmr --force --class event --folded");
	CHECK(p.ret == LMR_CLI_RUN && p.o.force && p.o.folded);
	CHECK(p.o.klass == LMR_CLASS_EVENT);
	parsed_free(&p);
	parse(&p, "tasks --class=lock");
	CHECK(p.ret == LMR_CLI_RUN && p.o.klass == LMR_CLASS_LOCK);
	/* the class of a task's futex is in the locks file */
	CHECK(p.cli.files == (LMR_F_TASKS | LMR_F_STACKS | LMR_F_LOCKS));
	parsed_free(&p);
	parse(&p, "top --class all --pprof p.pb.gz");
	CHECK(p.ret == LMR_CLI_RUN && p.o.klass == LMR_CLASS_ALL);
	parsed_free(&p);
	parse(&p, "record -o run.lmr -p 5 -- ./server --threads 8");
	CHECK(p.ret == LMR_CLI_RUN && !strcmp(p.o.output, "run.lmr"));
	CHECK(p.o.pid == 5 && p.o.cmd && !strcmp(p.o.cmd[0], "./server") &&
	      !strcmp(p.o.cmd[1], "--threads") && !strcmp(p.o.cmd[2], "8") && !p.o.cmd[3]);
	parsed_free(&p);
	/* the options that an output uses, with it */
	parse(&p, "top --once -n 3 --ptrace-holders -F name,waits");
	CHECK(p.ret == LMR_CLI_RUN && p.o.limit == 3 && p.o.ptrace_holders);
	CHECK(!*p.err);
	parsed_free(&p);
	parse(&p, "top -i 1 -k waits --json");
	CHECK(p.ret == LMR_CLI_RUN && p.o.interval == 1 && p.o.json);
	CHECK(!*p.err);
	parsed_free(&p);
}

/*
 * Bad input: exit status 2, one line on stderr that names the fault,
 * nothing on stdout, and the options and the command untouched.
 */
static void bad_lines(void)
{
	static const struct { const char *line, *err; } c[] = {
		{ "locks -k frob", "-k: unknown sort key 'frob' (keys: waits, " },
		{ "top -k owner", "-k: not a sort key: 'owner' (keys: " },
		{ "locks -F name,frob", "-F: unknown field 'frob' (fields: name, " },
		{ "report x.lmr -F ,name", "-F: an empty field in ',name'" },
		{ "locks -t abc", "-t: not a thread id: 'abc'" },
		{ "locks -t 0", "-t: not a thread id: '0'" },
		{ "locks --tid -5", "-t: not a thread id: '-5'" },
		{ "locks -p 12x", "-p: not a process id: '12x'" },
		{ "top -n 0", "--limit: not a count (1..100000): '0'" },
		{ "top -n 99999999999999999999", "--limit: not a count" },
		{ "top -i 1e9", "--interval: not a duration: '1e9'" },
		{ "record -o f --buffer-kb 2", "--buffer-kb: not a size in KiB" },
		{ "locks --min-wait soon",
		  "--min-wait: not a duration: 'soon' (e.g. 10ms, 500us, 2s)" },
		{ "locks -k", "-k needs an argument (see lockmon-report locks --help)" },
		{ "locks --dot",
		  "locks does not take --dot (graph does; see lockmon-report locks --help)" },
		{ "stats -k waits", "stats does not take -k (top, locks, report do; " },
		{ "record -o f -t 3", "record does not take -t (" },
		{ "locks --frob", "unknown option '--frob' (see lockmon-report locks --help)" },
		{ "locks --json=yes", "--json takes no argument: '--json=yes'" },
		{ "--once", "--once goes after a command: top (see lockmon-report --help)" },
		{ "frobnicate", "unknown command 'frobnicate' (see lockmon-report --help)" },
		{ "", "no command (see lockmon-report --help)" },
		{ "locks extra", "unexpected argument 'extra' (see lockmon-report locks --help)" },
		{ "record", "record needs -o FILE" },
		{ "record -o f -d 2 -- sleep 1", "record takes --duration or a command, not both" },
		{ "report", "report needs a record file" },
		{ "locks -- ls", "'-- CMD' is for record" },
		{ "locks --json --folded", "--json and --folded exclude each other" },
		/* options the output asked for would ignore */
		{ "locks -F name --json",
		  "-F does nothing with --json: it shapes the text table (see lockmon-report locks --help)" },
		{ "report x.lmr --folded -F name", "-F does nothing with --folded: " },
		{ "graph --dot --json", "--dot does nothing with --json: it is another output format" },
		{ "top -n 3 --json", "-n does nothing with --json: it limits the text table" },
		{ "top --folded --ptrace-holders", "--ptrace-holders does nothing with --folded: " },
		{ "top --once -i 5", "-i does nothing with --once: there is no refresh" },
		{ "report x.lmr -n 3", "report does not take -n (top does; " },
		{ "report x.lmr --once", "report does not take --once (top does; " },
		{ "deadlocks --folded", "deadlocks does not take --folded (" },
		{ "tasks -k waits", "tasks does not take -k (" },
		{ "graph -n 2", "graph does not take -n (top does; " },
		{ "record -o f --json", "record does not take --json (" },
		{ "stats -p 1", "stats does not take -p (" },
		{ "locks --ptrace-holders", "locks does not take --ptrace-holders (top does; " },
		{ "top --bogus", "unknown option '--bogus' (see lockmon-report top --help)" },
		{ "top -Z", "unknown option '-Z' (see lockmon-report top --help)" },
		{ "locks --class mutex", "--class: lock, event or all: 'mutex'" },
		{ "report x.lmr --class", "--class needs an argument (see lockmon-report report --help)" },
		{ "stats --class lock", "stats does not take --class (top, locks, tasks, graph, deadlocks, report do; " },
		{ "locks --force", "locks does not take --force (report does; " },
	};
	struct parsed p;
	size_t i, k;
	bool untouched;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		parse(&p, c[i].line);
		if (!one_error_line(p.err, c[i].err))
			printf("#  for '%s'\n", c[i].line);
		CHECK(p.ret < 0);
		CHECK(!*p.out);
		/* the options and the command as they were */
		untouched = true;
		for (k = 0; k < sizeof(p.o); k++)
			untouched &= ((unsigned char *)&p.o)[k] == 0xa5;
		for (k = 0; k < sizeof(p.cli); k++)
			untouched &= ((unsigned char *)&p.cli)[k] == 0xa5;
		CHECK(untouched);
		parsed_free(&p);
	}
}

static const char *task_ids(const struct lmr_state *st, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < st->nr_tasks && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%d", i ? " " : "",
				      st->tasks[i].tid);
	return buf;
}

/* -t on the abba fixture: the thread, its lock, the findings it is in */
static void tid_filter(void)
{
	static const struct {
		pid_t tid, pid;
		const char *tasks;
		size_t nr_locks;
		u64 uaddr;
		size_t nr_findings;
	} c[] = {
		/* the main thread: its lock and the stall, not the cycle */
		{ 132, 0, "132", 1, 0x7fb92e418990, 1 },
		/* -t and -p together: both must match */
		{ 135, 119, "", 0, 0, 0 },
		{ 135, 132, "135", 1, 0x564b88fd30e0, 2 },
		/* a thread that waited on nothing: nothing is left */
		{ 4242, 0, "", 0, 0, 0 },
	};
	struct lmr_opts o = { .tid = 135 };
	struct lmr_state st;
	struct lmr_ctx ctx = { .st = &st, .o = &o };
	char ids[64], *out;
	size_t i;

	live_state(&st, "abba");
	st.recorded = true;
	CHECK(!strcmp(task_ids(&st, ids, sizeof(ids)), "134 135 132"));
	lmr_filter(&st, &o);
	CHECK(!strcmp(task_ids(&st, ids, sizeof(ids)), "135"));
	CHECK(st.nr_locks == 1 && st.locks[0].uaddr == 0x564b88fd30e0);
	/* the lock keeps its figures: those of all its waiters */
	CHECK(st.locks[0].waiters == 1);
	CHECK(st.nr_findings == 2);
	out = capture(lmr_view_locks, &ctx);
	CHECK(strstr(out, "\n0x564b88fd30e0 ") && !strstr(out, "0x556a10e741c0"));
	free(out);
	lmr_state_free(&st);

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		o.tid = c[i].tid;
		o.pid = c[i].pid;
		live_state(&st, "abba");
		lmr_filter(&st, &o);
		CHECK(!strcmp(task_ids(&st, ids, sizeof(ids)), c[i].tasks));
		CHECK(st.nr_locks == c[i].nr_locks);
		CHECK(!c[i].nr_locks || st.locks[0].uaddr == c[i].uaddr);
		CHECK(st.nr_findings == c[i].nr_findings);
		lmr_state_free(&st);
	}
}

/*
 * A recording of process 200: 201 waits 500 ns on futex 1, 202 waits
 * 7100 ns on futex 2, 203 waits 150 ns on futex 1; each is woken.
 */
#define TMP_REC "/tmp/lmr_cli_test.lmr"

static void write_recording(void)
{
	static const struct { __u16 type; __u32 tid, peer; __u64 futex, ns; } e[] = {
		{ LOCKMON_REC_WAIT_BEGIN, 201, 202, 1, 0 },
		{ LOCKMON_REC_WAKE, 202, 201, 1, 0 },
		{ LOCKMON_REC_WAIT_END, 201, 0, 1, 500 },
		{ LOCKMON_REC_WAIT_BEGIN, 202, 203, 2, 0 },
		{ LOCKMON_REC_WAKE, 203, 202, 2, 0 },
		{ LOCKMON_REC_WAIT_END, 202, 0, 2, 7100 },
		{ LOCKMON_REC_WAIT_BEGIN, 203, 201, 1, 0 },
		{ LOCKMON_REC_WAKE, 201, 203, 1, 0 },
		{ LOCKMON_REC_WAIT_END, 203, 0, 1, 150 },
	};
	struct lmr_writer w;
	size_t i;

	CHECK(lmr_writer_open(&w, TMP_REC) == 0);
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		struct lockmon_record r = {
			.type = e[i].type, .ts_ns = 1000 * (i + 1),
			.tid = e[i].tid, .tgid = 200, .peer = e[i].peer,
			.futex_id = e[i].futex, .uaddr = 0x2000 + e[i].futex,
			.value = e[i].ns,
		};

		if (r.type == LOCKMON_REC_WAIT_END)
			r.result = LOCKMON_WAIT_WOKEN;
		memcpy(r.comm, "app", 4);
		CHECK(lmr_writer_put(&w, &r) == 0);
	}
	CHECK(lmr_writer_close(&w, 0, 1000) == 0);
}

/* -t and -k on a recording, as report applies them */
static void tid_filter_recorded(void)
{
	struct lmr_opts o = { .tid = 203 };
	struct lmr_state st = { 0 };
	char ids[64];

	write_recording();
	CHECK(lmr_record_load(TMP_REC, 0, &st) == 0);
	lmr_filter(&st, &o);
	CHECK(!strcmp(task_ids(&st, ids, sizeof(ids)), "203"));
	CHECK(st.nr_locks == 1 && st.locks[0].id == 1 && st.locks[0].waits == 2);
	CHECK(st.nr_waits == 1 && st.waits[0].wait_ns == 150);
	lmr_state_free(&st);
	/* the default order is by total wait; -k waits puts futex 1 first */
	o.tid = 0;
	CHECK(lmr_record_load(TMP_REC, 0, &st) == 0);
	CHECK(st.nr_locks == 2 && st.locks[0].id == 2);
	CHECK(lmr_parse_sort_key("waits", &o.sort_key) == 0);
	lmr_filter(&st, &o);
	CHECK(st.nr_locks == 2 && st.locks[0].id == 1 && st.locks[1].id == 2);
	lmr_state_free(&st);
	unlink(TMP_REC);
}

/* ---- the program itself: exit status, stdout, stderr ---------------- */

#define RUN_OUT "/tmp/lmr_cli_test.out"
#define RUN_ERR "/tmp/lmr_cli_test.stderr"

struct ran {
	int status;
	char *out, *err;
};

/* ../lockmon-report @args (a shell word list), its output captured. */
static void run_program(struct ran *r, const char *args, const char *out)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "../lockmon-report %s >%s 2>%s </dev/null",
		 args, out ? out : RUN_OUT, RUN_ERR);
	st = system(cmd);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out = out ? strdup("") : lmr_read_file(RUN_OUT, NULL, 1 << 20);
	r->err = lmr_read_file(RUN_ERR, NULL, 1 << 16);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
	unlink(RUN_OUT);
	unlink(RUN_ERR);
}

/*
 * Each error: its exit status, exactly one line on stderr, and nothing on
 * stdout; an output file that cannot be written is found before anything
 * is read or printed.
 */
static void program_errors(void)
{
	static const struct {
		const char *args;
		int status;
		const char *err;
	} c[] = {
		{ "top --bogus", 2, "unknown option '--bogus'" },
		{ "locks --bogus", 2, "unknown option '--bogus'" },
		{ "tasks --bogus", 2, "unknown option '--bogus'" },
		{ "graph --bogus", 2, "unknown option '--bogus'" },
		{ "deadlocks --bogus", 2, "unknown option '--bogus'" },
		{ "stats --bogus", 2, "unknown option '--bogus'" },
		{ "record -o x --bogus", 2, "unknown option '--bogus'" },
		{ "report " TMP_REC " --bogus", 2, "unknown option '--bogus'" },
		{ "report " TMP_REC " -n 3", 2, "report does not take -n" },
		{ "locks --dot", 2, "locks does not take --dot" },
		{ "top -n 3 --json", 2, "-n does nothing with --json" },
		{ "report " TMP_REC " --pprof /no/such/dir/x.pb.gz", 1,
		  "--pprof: cannot write /no/such/dir/x.pb.gz: No such file or directory" },
		{ "report " TMP_REC " --pprof /tmp", 1,
		  "--pprof: cannot write /tmp: Is a directory" },
		{ "report " TMP_REC " --json --pprof " TMP_REC "/x", 1,
		  "--pprof: cannot write " TMP_REC "/x: Not a directory" },
		/* a live view: found before the module is looked for */
		{ "top --once --pprof /no/such/dir/x.pb.gz", 1,
		  "--pprof: cannot write /no/such/dir/x.pb.gz: No such file or directory" },
		{ "locks --folded --pprof /no/such/dir/x.pb.gz", 1,
		  "--pprof: cannot write /no/such/dir/x.pb.gz: " },
		{ "record -o /no/such/dir/x.lmr -d 1", 1,
		  "-o: cannot write /no/such/dir/x.lmr: No such file or directory" },
		{ "report /no/such/file.lmr", 1, "cannot read /no/such/file.lmr: " },
	};
	struct ran r;
	size_t i;

	write_recording();
	/* the same recording is reported when nothing is wrong */
	run_program(&r, "report " TMP_REC, NULL);
	CHECK(r.status == 0 && strstr(r.out, "\nLocks\n") && !*r.err);
	free(r.out);
	free(r.err);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		run_program(&r, c[i].args, NULL);
		if (!one_error_line(r.err, c[i].err) || r.status != c[i].status ||
		    *r.out) {
			printf("#  for '%s': status %d, stdout '%s'\n", c[i].args,
			       r.status, r.out);
			CHECK(0);
		} else {
			CHECK(1);
		}
		free(r.out);
		free(r.err);
	}
	/* a report that stdout cannot take: its reason, status 1 */
	if (!access("/dev/full", W_OK)) {
		run_program(&r, "report " TMP_REC " --folded", "/dev/full");
		CHECK(r.status == 1);
		CHECK(one_error_line(r.err, "cannot write the output: No space left on device"));
		free(r.out);
		free(r.err);
	}
	/* nothing was created where a profile could not be written */
	CHECK(access("/no/such/dir", F_OK));
	unlink(TMP_REC);
}

/* Filters that leave nothing say what they hid, and by what. */
static void filtered_to_nothing(void)
{
	static const struct {
		void (*view)(struct lmr_ctx *c);
		const char *want;
	} v[] = {
		{ lmr_view_locks, "(7 locks, none of pid 4242 with a wait >= 5s)\n" },
		{ lmr_view_tasks, "(3 blocked tasks, none of pid 4242 with a wait >= 5s)\n" },
		{ lmr_view_graph, "(3 waits in the graph, none of pid 4242 with a wait >= 5s)\n" },
		{ lmr_view_deadlocks, "(2 findings, none of pid 4242 with a wait >= 5s)\n" },
		{ top_fn, "(7 locks, none of pid 4242 with a wait >= 5s)\n" },
	};
	struct lmr_opts o = { .pid = 4242, .min_wait_ns = 5000000000ULL };
	struct lmr_opts none = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct ran r;
	char *out;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		live_state(&st, "abba");
		st.recorded = v[i].view == lmr_view_deadlocks;
		lmr_filter(&st, &o);
		out = capture(v[i].view, &c);
		if (!strstr(out, v[i].want)) {
			printf("#  got\n%s#  want %s", out, v[i].want);
			CHECK(0);
		} else {
			CHECK(1);
		}
		free(out);
		lmr_state_free(&st);
	}
	/* -t alone, and a state that had nothing: the plain words */
	o.pid = 0;
	o.min_wait_ns = 0;
	o.tid = 4242;
	live_state(&st, "abba");
	lmr_filter(&st, &o);
	out = capture(lmr_view_locks, &c);
	CHECK(strstr(out, "(7 locks, none of thread 4242)\n"));
	free(out);
	lmr_state_free(&st);
	memset(&st, 0, sizeof(st));
	c.o = &none;
	lmr_filter(&st, &none);
	out = capture(lmr_view_locks, &c);
	CHECK(strstr(out, "(no contended futex seen)\n"));
	free(out);

	/* and from the program, on a recording */
	write_recording();
	run_program(&r, "report " TMP_REC " -p 999", NULL);
	CHECK(r.status == 0 && !*r.err);
	CHECK(strstr(r.out, "(2 locks, none of pid 999)\n"));
	free(r.out);
	free(r.err);
	run_program(&r, "report " TMP_REC " --min-wait 1s", NULL);
	CHECK(strstr(r.out, "(2 locks, none with a wait >= 1s)\n"));
	free(r.out);
	free(r.err);
	unlink(TMP_REC);
}

int main(void)
{
	RUN(command_help);
	RUN(good_lines);
	RUN(bad_lines);
	RUN(tid_filter);
	RUN(tid_filter_recorded);
	RUN(default_columns);
	RUN(hist_percentiles);
	RUN(fields_option);
	RUN(sort_keys);
	RUN(program_errors);
	RUN(filtered_to_nothing);
	RUN(schema_columns);
	DONE();
}
