// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: the lock tables drawn from the column table (the
 * default columns print what they printed before it), -k and -F.
 */
#include <errno.h>
#include <fcntl.h>
#include "test.h"

static char *capture(void (*fn)(struct lmr_ctx *), struct lmr_ctx *c)
{
	char *buf = NULL;
	size_t len = 0;

	c->out = open_memstream(&buf, &len);
	fn(c);
	fclose(c->out);
	return buf;
}

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
	const char *table = strchr(out, '\n');
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
	char *out, *err;

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
	/* every column of the table can be shown */
	CHECK(lmr_parse_fields("name,futex,uaddr,pid,process,class,pi,waits,"
			       "wait_total,wait_max,avg,handoff,handoff_max,"
			       "waiters,again,timeouts,signals,wakes,owner",
			       &o.fields) == 0);
	CHECK(o.fields.nr == lmr_nr_cols);
	out = capture(lmr_view_locks, &c);
	CHECK(strstr(out, " HANDOFF_MAX WAITERS   AGAIN TIMEOUTS SIGNALS   WAKES  OWNER\n"));
	free(out);

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
	const struct lmr_col *key = NULL;
	struct lmr_state st;
	char order[128], *err;

	live_state(&st, "abba");
	CHECK(!strcmp(lock_order(&st, order, sizeof(order)),
		      "1c0 1a4 184 84 e0 a0 990"));
	CHECK(lmr_parse_sort_key("handoff_max", &key) == 0);
	lmr_sort_locks(&st, key);
	CHECK(!strcmp(lock_order(&st, order, sizeof(order)),
		      "1a4 184 1c0 84 e0 a0 990"));
	CHECK(lmr_parse_sort_key("contended", &key) == 0);
	CHECK(!strcmp(key->name, "waits"));
	lmr_sort_locks(&st, key);
	CHECK(!strcmp(lock_order(&st, order, sizeof(order)),
		      "1a4 1c0 184 84 e0 a0 990"));
	CHECK(lmr_parse_sort_key("waiters", &key) == 0);
	lmr_sort_locks(&st, key);
	CHECK(!strcmp(lock_order(&st, order, sizeof(order)),
		      "e0 a0 990 1a4 1c0 184 84"));

	/* a name that is no column, or a column that is no figure */
	err_begin();
	CHECK(lmr_parse_sort_key("frob", &key) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-k: unknown sort key 'frob' (keys: waits, wait_total, "));
	free(err);
	err_begin();
	CHECK(lmr_parse_sort_key("name", &key) == -EINVAL);
	err = err_end();
	CHECK(one_error_line(err, "-k: not a sort key: 'name' (keys: "));
	free(err);
	CHECK(!strcmp(key->name, "waiters"));
	lmr_state_free(&st);
}

int main(void)
{
	RUN(default_columns);
	RUN(fields_option);
	RUN(sort_keys);
	DONE();
}
