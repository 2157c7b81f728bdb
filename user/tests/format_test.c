// SPDX-License-Identifier: GPL-2.0
/*
 * Output formats: JSON (checked by python3's parser and for its fields),
 * FlameGraph folded lines, Graphviz, and the pprof protobuf, decoded back
 * by a small decoder written here from the wire format.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "../samples.h"

/* A recorded state: four waits of two tasks on two futexes, two stacks. */
static void recorded_state(struct lmr_state *st)
{
	static const struct { pid_t tid; u64 futex, ns; u32 stack; } w[] = {
		{ 11, 1, 1000, 1 }, { 12, 1, 3000, 1 }, { 11, 2, 500, 2 },
		{ 12, 2, 70, 0 },
	};
	size_t i;

	memset(st, 0, sizeof(*st));
	st->source = "record";
	st->recorded = true;
	st->waits = calloc(4, sizeof(*st->waits));
	st->stacks = calloc(2, sizeof(*st->stacks));
	for (i = 0; i < 4; i++) {
		st->waits[i].tid = w[i].tid;
		st->waits[i].tgid = 10;
		strcpy(st->waits[i].comm, "app;x");
		st->waits[i].futex_id = w[i].futex;
		st->waits[i].uaddr = 0x7000 + w[i].futex;
		st->waits[i].wait_ns = w[i].ns;
		st->waits[i].weight_ns = w[i].ns;
		st->waits[i].stack_id = w[i].stack;
	}
	st->nr_waits = 4;
	st->stacks[0] = (struct lmr_stack){ .id = 1, .tgid = 10, .nr = 3,
					    .ip = { 0x11, 0x22, 0x33 } };
	st->stacks[1] = (struct lmr_stack){ .id = 2, .tgid = 10, .nr = 1,
					    .ip = { 0x44 } };
	st->nr_stacks = 2;
	/* both futexes are locks: --folded and --pprof keep them */
	st->locks = calloc(4, sizeof(*st->locks));
	for (i = 0; i < 2; i++) {
		st->locks[i].id = i + 1;
		st->locks[i].tgid = 10;
		strcpy(st->locks[i].klass, "lock");
	}
	st->nr_locks = 2;
}

static struct lockmon_record ev(__u16 type, __u64 ts, __u32 tid, __u32 tgid,
				 __u64 futex)
{
	struct lockmon_record r = { .type = type, .ts_ns = ts, .tid = tid,
				    .tgid = tgid, .futex_id = futex };

	if (type == LOCKMON_REC_WAIT_BEGIN)
		r.uaddr = 0x7000 + futex;
	snprintf(r.comm, sizeof(r.comm), "app");
	return r;
}

/*
 * A state analysed from records: in process 20, task 21 waits on futex
 * 0x30 behind 22 until the scan finds 24 holds it; process 30 stalls, its
 * two threads blocked on futex 0x40, found after 1500 ms.
 */
static void analysed_state(struct lmr_state *st)
{
	struct lmr_analysis *a;
	struct lockmon_record r;

	memset(st, 0, sizeof(*st));
	st->source = "record";
	st->recorded = true;
	a = lmr_analysis_new(st);
	CHECK(a != NULL);
	if (!a)
		return;
	r = ev(LOCKMON_REC_WAIT_BEGIN, 100, 21, 20, 0x30);
	r.peer = 22;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_OWNER, 300, 21, 20, 0x30);
	r.peer = 24;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_BEGIN, 400, 31, 30, 0x40);
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_BEGIN, 500, 32, 30, 0x40);
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_FINDING, 900, 31, 30, 0x40);
	r.value = 3;
	r.result = LOCKMON_FINDING_STALL;
	r.uaddr = 0x7040;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_FINDING, 900, 32, 30, 0x40);
	r.value = 3;
	r.result = LOCKMON_FINDING_STALL;
	r.uaddr = 0x7040;
	r.nr = 1;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_STALL, 900, 0, 30, 0);
	r.value = 3;
	r.peer = 2;
	r.blocked_ms = 1500;
	lmr_analysis_add(a, &r);
	lmr_analysis_finish(a);
}

static struct lmr_ctx *json_ctx_view;
static const char *json_view_name;

static void json_fn(struct lmr_ctx *c)
{
	lmr_json_view(c, json_view_name);
}

/* python3's json parser is the judge of validity, when it is installed */
static bool valid_json(const char *text)
{
	FILE *p;
	int st;

	if (access("/usr/bin/python3", X_OK))
		return true;
	p = popen("python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null", "w");
	if (!p)
		return false;
	fputs(text, p);
	st = pclose(p);
	return st == 0;
}

static void json_views(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	static const char *const views[] = { "locks", "tasks", "graph",
					     "deadlocks", "stats", "top" };
	char *out;
	size_t i;

	(void)json_ctx_view;
	live_state(&st, "abba");
	for (i = 0; i < 6; i++) {
		json_view_name = views[i];
		out = capture(json_fn, &c);
		CHECK(!strncmp(out, "{\"schema\":\"lockmon-report/1\",\"view\":\"", 37));
		CHECK(valid_json(out));
		if (!strcmp(views[i], "locks")) {
			CHECK(strstr(out, "\"futex\":\"74a75d7e636b70ff\""));
			CHECK(strstr(out, "\"waits\":44"));
			CHECK(strstr(out, "\"total_wait_ns\":8103148380"));
		}
		if (!strcmp(views[i], "deadlocks")) {
			CHECK(strstr(out, "\"kind\":\"cycle\""));
			CHECK(strstr(out, "{\"ip\":\"0x564b88fd0208\""));
		}
		if (!strcmp(views[i], "stats"))
			CHECK(strstr(out, "\"findings\":2"));
		free(out);
	}
	lmr_state_free(&st);
	/* a comm with a quote and a control character stays valid JSON */
	live_state(&st, "abba");
	strcpy(st.tasks[0].comm, "a\"b\\c\x01");
	json_view_name = "tasks";
	out = capture(json_fn, &c);
	CHECK(valid_json(out));
	CHECK(strstr(out, "\"comm\":\"a\\\"b\\\\c\\u0001\""));
	free(out);
	lmr_state_free(&st);
}

/*
 * The expected text of one column in a row's JSON object, from the member
 * the column list names: the writers json.c has per type, again. WANT_NONE
 * for a type with no JSON form, whose json key must be NULL; WANT_ABSENT
 * for a value json.c leaves out (an opthex of none).
 */
enum { WANT_NONE, WANT_VALUE, WANT_ABSENT };

static int want_hex64(char *b, size_t n, u64 v)
{
	snprintf(b, n, "\"%016llx\"", (unsigned long long)v);
	return WANT_VALUE;
}

static int want_opthex(char *b, size_t n, u64 v)
{
	want_hex64(b, n, v);
	return v ? WANT_VALUE : WANT_ABSENT;
}

static int want_addr(char *b, size_t n, u64 v)
{
	snprintf(b, n, "\"0x%llx\"", (unsigned long long)v);
	return WANT_VALUE;
}

static int want_u64(char *b, size_t n, u64 v)
{
	snprintf(b, n, "%llu", (unsigned long long)v);
	return WANT_VALUE;
}

static int want_u32(char *b, size_t n, u32 v)
{
	snprintf(b, n, "%u", v);
	return WANT_VALUE;
}

static int want_pid(char *b, size_t n, pid_t v)
{
	snprintf(b, n, "%d", v);
	return WANT_VALUE;
}

static int want_flag(char *b, size_t n, bool v)
{
	snprintf(b, n, "%s", v ? "true" : "false");
	return WANT_VALUE;
}

static int want_cycle(char *b, size_t n, bool v)
{
	return want_flag(b, n, v);
}

/* the fixtures' words and comms need no escapes */
static int want_word(char *b, size_t n, const char *v)
{
	snprintf(b, n, "\"%s\"", v);
	return WANT_VALUE;
}

static int want_comm(char *b, size_t n, const char *v)
{
	return want_word(b, n, v);
}

static int want_procs(char *b, size_t n, const struct lmr_procs *v)
{
	(void)b, (void)n, (void)v;
	return WANT_NONE;
}

static int want_hist(char *b, size_t n, const unsigned int *v)
{
	(void)b, (void)n, (void)v;
	return WANT_NONE;
}

#define WANT_ARG_procs(v)	(&(v))
#define WANT_ARG_hex64(v)	(v)
#define WANT_ARG_opthex(v)	(v)
#define WANT_ARG_addr(v)	(v)
#define WANT_ARG_u64(v)		(v)
#define WANT_ARG_u32(v)		(v)
#define WANT_ARG_pid(v)		(v)
#define WANT_ARG_flag(v)	(v)
#define WANT_ARG_cycle(v)	(v)
#define WANT_ARG_word(v)	(v)
#define WANT_ARG_comm(v)	(v)
#define WANT_ARG_hist(v)	(v)

/* "key":value is a whole member of the object obj, its braces cut off */
static bool has_member(const char *obj, const char *kv)
{
	size_t n = strlen(kv);
	const char *p;

	for (p = strstr(obj, kv); p; p = strstr(p + 1, kv))
		if ((p == obj || p[-1] == ',' || p[-1] == '{') &&
		    (!p[n] || p[n] == ',' || p[n] == '}'))
			return true;
	return false;
}

/* the members of an object without nested ones or commas in strings */
static unsigned int members(const char *obj)
{
	unsigned int n = *obj ? 1 : 0;

	for (; *obj; obj++)
		n += *obj == ',';
	return n;
}

/*
 * C() of a column list: "key":value of the column of row in the object
 * obj; keys counts those found
 */
#define CHECK_KEY(name, type, since, get, field, json, view)		\
	do {								\
		const char *k_ = json;					\
		int w_ = want_##type(val, sizeof(val),			\
				     WANT_ARG_##type(row->field));	\
									\
		if (w_ == WANT_NONE) {					\
			CHECK(k_ == NULL);				\
			break;						\
		}							\
		if (!k_)	/* a figure kept out of JSON */		\
			break;						\
		snprintf(kv, sizeof(kv), "\"%s\":", k_);		\
		if (w_ == WANT_ABSENT) {				\
			CHECK(!strstr(obj, kv));			\
			break;						\
		}							\
		snprintf(kv, sizeof(kv), "\"%s\":%s", k_, val);	\
		if (!has_member(obj, kv))				\
			printf("#  %s: no %s in %s\n", name, kv, obj);	\
		CHECK(has_member(obj, kv));				\
		keys++;							\
	} while (0);

/* Every lock of st has each locks column with a json key, as parsed. */
static void check_lock_keys(struct lmr_ctx *c)
{
	char *out, *obj, *end, kv[160], val[128];
	unsigned int keys;
	size_t i;

	json_view_name = "locks";
	out = capture(json_fn, c);
	CHECK(valid_json(out));
	CHECK(c->st->nr_locks > 0);
	for (i = 0; i < c->st->nr_locks; i++) {
		const struct lmr_lock *row = &c->st->locks[i], *l = row;

		/* a lock's object is one line, without a nested object */
		snprintf(kv, sizeof(kv), "\"futex\":\"%016llx\"",
			 (unsigned long long)l->id);
		obj = strstr(out, kv);
		CHECK(obj != NULL);
		if (!obj)
			continue;
		while (obj > out && obj[-1] != '{')
			obj--;
		end = strchr(obj, '}');
		CHECK(end != NULL);
		if (!end)
			continue;
		*end = 0;
		keys = 0;
		LOCKMON_LOCKS_COLUMNS(CHECK_KEY)
		/* all of today's, and no more than the list's and these */
		CHECK(keys >= 17);
		/* + tgid, uaddr, holder_verdict, wait_p50_ns, wait_p99_ns */
		CHECK(members(obj) == keys + 6);
		CHECK(strstr(obj, "\"holder_verdict\":"));
		snprintf(kv, sizeof(kv), "\"tgid\":%d", l->tgid);
		CHECK(has_member(obj, kv));
		snprintf(kv, sizeof(kv), "\"uaddr\":\"0x%llx\"",
			 (unsigned long long)l->uaddr);
		CHECK(has_member(obj, kv));
		CHECK(strstr(obj, "\"name\":\""));
		/* what json.c once computed itself: now the members hold it */
		CHECK(l->avg_ns == (l->waits ? l->total_ns / l->waits : 0));
		if (!l->waiters)
			CHECK(!l->owner && !strcmp(l->owner_how, "unknown"));
		*end = '}';
	}
	free(out);
}

/*
 * Every live task has each tasks and waitgraph column with a json key, as
 * parsed: a task's object is one line.
 */
static void check_task_keys(struct lmr_ctx *c)
{
	char *out, *obj, *end, kv[160], val[128];
	unsigned int keys;
	size_t i;

	json_view_name = "tasks";
	out = capture(json_fn, c);
	CHECK(valid_json(out));
	CHECK(c->st->nr_tasks > 0);
	for (i = 0; i < c->st->nr_tasks; i++) {
		const struct lmr_task *row = &c->st->tasks[i];

		/* the i-th line after the array's opens the i-th task */
		obj = strchr(out, '\n');
		for (keys = 0; obj && keys < i; keys++)
			obj = strchr(obj + 1, '\n');
		CHECK(obj != NULL);
		if (!obj)
			break;
		obj = strchr(obj, '{');
		end = obj ? strchr(obj, '\n') : NULL;
		if (end)
			*end = 0;
		/* tid first: selftests/lockmon/report_test.c relies on it */
		snprintf(kv, sizeof(kv), "{\"tid\":%d,", row->tid);
		CHECK(obj && !strncmp(obj, kv, strlen(kv)));
		if (!obj || strncmp(obj, kv, strlen(kv)))
			continue;
		keys = 0;
		LOCKMON_TASKS_COLUMNS(CHECK_KEY)
		LOCKMON_WAITGRAPH_COLUMNS(CHECK_KEY)
		/* today's: tid to woken, and cycle; owner_waits_on if known */
		CHECK(keys >= 11);
		CHECK(strstr(obj, "\"lock\":\""));
		CHECK(strstr(obj, "\"stack\":"));
		if (end)
			*end = '\n';
	}
	free(out);
}

/*
 * Every column of the locks list with a json key is in the JSON view, with
 * the value read into its member: from the module's files and from a
 * recording (17 of the 19 columns have one: procs and hist do not); and
 * so is every tasks and waitgraph column with one, of a live task.
 */
static void json_columns(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct lmr_analysis *a;
	struct lockmon_record r;

	live_state(&st, "abba");
	check_lock_keys(&c);
	check_task_keys(&c);
	lmr_state_free(&st);
	live_state(&st, "contend");
	check_lock_keys(&c);
	check_task_keys(&c);
	lmr_state_free(&st);

	analysed_state(&st);
	check_lock_keys(&c);
	lmr_state_free(&st);
	/* two ended waits of two tasks on 0x50, one open on 0x30 */
	memset(&st, 0, sizeof(st));
	st.source = "record";
	st.recorded = true;
	a = lmr_analysis_new(&st);
	CHECK(a != NULL);
	if (!a)
		return;
	r = ev(LOCKMON_REC_WAIT_BEGIN, 100, 51, 50, 0x50);
	r.peer = 52;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_END, 1100, 51, 50, 0x50);
	r.value = 1000;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_BEGIN, 1200, 52, 50, 0x50);
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_END, 4201, 52, 50, 0x50);
	r.value = 3001;
	lmr_analysis_add(a, &r);
	r = ev(LOCKMON_REC_WAIT_BEGIN, 5000, 21, 20, 0x30);
	r.peer = 24;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_analysis_add(a, &r);
	lmr_analysis_finish(a);
	CHECK(st.nr_locks == 2);
	check_lock_keys(&c);
	json_view_name = "locks";
	{
		char *out = capture(json_fn, &c);

		CHECK(strstr(out, "\"avg_wait_ns\":2000,"));
		CHECK(strstr(out, "\"distinct\":2,"));
		CHECK(strstr(out, "\"owner\":24,\"owner_how\":\"glibc-owner\""));
		free(out);
	}
	lmr_state_free(&st);
}

static void top_fn(struct lmr_ctx *c)
{
	lmr_view_top(c, NULL);
}

/* Owner and stall records, as the views of a recording show them. */
static void recorded_owner_and_stall(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out;

	analysed_state(&st);
	/* report: locks, tasks, findings */
	out = capture(lmr_view_report, &c);
	CHECK(strstr(out, "?/24 (glibc-owner)\n"));
	CHECK(strstr(out, "0x7030  (still waiting, owner ?/24 (glibc-owner))\n"));
	CHECK(!strstr(out, "/22 "));
	CHECK(strstr(out, "finding 3: stall, 2 tasks\n"));
	CHECK(strstr(out, "Every thread of process 30 is blocked (2 threads, the longest for 1.5s):\n"));
	CHECK(strstr(out, "  -> #1 app/31 (pid 30) waits on 0x7040\n"));
	free(out);
	out = capture(lmr_view_tasks, &c);
	CHECK(strstr(out, "(still waiting, owner ?/24 (glibc-owner))"));
	free(out);
	out = capture(lmr_view_graph, &c);
	CHECK(strstr(out, "app/21 --[0x7030]--> ?/24 (glibc-owner)\n"));
	CHECK(strstr(out, "app/31 --[0x7040]--> ? (owner unknown)\n"));
	free(out);
	out = capture(top_fn, &c);
	CHECK(strstr(out, " ?/24 (glibc-owner) "));
	CHECK(strstr(out, "/24 (glibc-owner) is at:\n        not in a futex wait"));
	free(out);
	out = capture(lmr_view_deadlocks, &c);
	CHECK(strstr(out, "Every thread of process 30 is blocked (2 threads, the longest for 1.5s):\n"));
	free(out);

	json_view_name = "report";
	out = capture(json_fn, &c);
	CHECK(valid_json(out));
	CHECK(strstr(out, "\"futex\":\"0000000000000030\""));
	/* (not the object's end: a column added to the list comes after) */
	CHECK(strstr(out, "\"waiters\":1,\"distinct\":1,\"owner\":24,"
		      "\"owner_how\":\"glibc-owner\","));
	/* a recording has no holder split: zeros, and no verdict */
	CHECK(strstr(out, "\"holder_running_ns\":0,"));
	CHECK(strstr(out, "\"holder_syscall\":-1,\"rewaits\":0,\"starve_ns\":0,"
		      "\"starve_hands\":0,\"holder_verdict\":null}"));
	/* a recorded task too: report_test.c finds it by {"tid":N, */
	CHECK(strstr(out, "{\"tid\":21,\"tgid\":20,"));
	CHECK(strstr(out, "\"waiting\":true,\"owner\":24,\"owner_how\":\"glibc-owner\"}"));
	CHECK(strstr(out, "\"seq\":3,\"kind\":\"stall\",\"time_ns\":900,\"latency_ns\":0,"
		      "\"stall\":{\"tgid\":30,\"threads\":2,\"blocked_ns\":1500000000},"
		      "\"tasks\":["));
	free(out);
	json_view_name = "deadlocks";
	out = capture(json_fn, &c);
	CHECK(valid_json(out));
	CHECK(strstr(out, "\"stall\":{\"tgid\":30,\"threads\":2,\"blocked_ns\":1500000000}"));
	free(out);
	/* -p of the stalled process keeps its finding, -p of another not */
	o.pid = 30;
	lmr_filter(&st, &o);
	CHECK(st.nr_findings == 1 && st.nr_tasks == 2);
	o.pid = 20;
	lmr_filter(&st, &o);
	CHECK(st.nr_findings == 0);
	lmr_state_free(&st);
}

static void folded_lines(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out, *line, *save;
	u64 sum = 0;
	int n = 0;

	recorded_state(&st);
	out = capture(lmr_folded, &c);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		char *sp = strrchr(line, ' ');

		CHECK(sp && !strchr(line, '\t'));
		sum += strtoull(sp + 1, NULL, 10);
		if (strstr(line, "0x7001"))
			/* outermost first, ';' in a comm replaced */
			CHECK(!strcmp(line, "app_x;0x33;0x22;0x11;[lock]_0x7001 4000"));
	}
	CHECK(n == 3);
	CHECK(sum == 4570);
	free(out);
	lmr_state_free(&st);
}

/*
 * Go's block-profile rule: a sampled short wait stands for the rate, an
 * unsampled one (weight 0) for nothing, and the counts scale with it.
 */
static void folded_weights(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct lmr_samples s;
	size_t i;

	recorded_state(&st);
	st.waits[0].weight_ns = 0;		/* 1000 ns, not sampled */
	st.waits[1].weight_ns = 30000;		/* 3000 ns, p = 0.1 */
	st.waits[3].weight_ns = 0;		/* the stackless one */
	CHECK(!lmr_samples(&c, &s));
	CHECK(s.n == 2);
	for (i = 0; i < s.n; i++) {
		if (s.v[i].stack_id == 1)
			CHECK(s.v[i].ns == 30000 && s.v[i].count == 10);
		else
			CHECK(s.v[i].stack_id == 2 && s.v[i].ns == 500 &&
			      s.v[i].count == 1);
	}
	free(s.v);
	lmr_state_free(&st);
}

/* What stderr gets while @fn runs. */
static char *stderr_of(void (*fn)(struct lmr_ctx *), struct lmr_ctx *c,
		       char **out)
{
	const char *path = "/tmp/lmr_format_test.err";
	int saved, fd;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	*out = capture(fn, c);
	lmr_class_note_flush();		/* main() does so once it has written */
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	return lmr_read_file(path, NULL, 4096);
}

/* futex 3, an event (a condvar), and futex 4, not classified yet */
static void idle_waits(struct lmr_state *st)
{
	static const char *const klass[] = { "event", "unknown" };
	size_t i;

	recorded_state(st);
	st->waits = realloc(st->waits, 6 * sizeof(*st->waits));
	for (i = 0; i < 2; i++) {
		struct lmr_wait *w = &st->waits[4 + i];

		*w = st->waits[0];
		w->futex_id = 3 + i;
		w->uaddr = 0x7003 + i;
		w->wait_ns = w->weight_ns = 2000000000ull * (i + 1);
		st->locks[2 + i] = st->locks[0];
		st->locks[2 + i].id = 3 + i;
		strcpy(st->locks[2 + i].klass, klass[i]);
	}
	st->nr_waits = 6;
	st->nr_locks = 4;
}

static int lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * --class: --folded keeps lock contention by default and says on stderr
 * what it left out; event and all choose; the tables filter the same way.
 */
static void class_filter(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out, *err;

	idle_waits(&st);
	err = stderr_of(lmr_folded, &c, &out);
	CHECK(lines(out) == 3 && !strstr(out, "0x7003") && !strstr(out, "0x7004"));
	CHECK(err && !strcmp(err, "lockmon-report: --class lock: left out 1 waits (2s) on event futexes, 1 waits (4s) on unknown futexes (--class all keeps them)\n"));
	free(out);
	free(err);
	/* said once a run */
	err = stderr_of(lmr_folded, &c, &out);
	CHECK(err && !*err && lines(out) == 3);
	free(out);
	free(err);
	o.klass = LMR_CLASS_EVENT;
	c.class_said = false;
	err = stderr_of(lmr_folded, &c, &out);
	CHECK(out && !strcmp(out, "app_x;0x33;0x22;0x11;[lock]_0x7003 2000000000\n"));
	CHECK(err && strstr(err, "--class event: left out 4 waits") &&
	      !strstr(err, "keeps them"));
	free(out);
	free(err);
	o.klass = LMR_CLASS_ALL;
	err = stderr_of(lmr_folded, &c, &out);
	CHECK(lines(out) == 5 && err && !*err);
	free(out);
	free(err);
	/* the views: lmr_filter drops the other classes' locks and waits */
	o.klass = LMR_CLASS_EVENT;
	lmr_filter(&st, &o);
	CHECK(st.nr_locks == 1 && st.locks[0].id == 3);
	CHECK(st.nr_waits == 1 && st.waits[0].futex_id == 3);
	lmr_state_free(&st);
	idle_waits(&st);
	o.klass = LMR_CLASS_LOCK;
	lmr_filter(&st, &o);
	CHECK(st.nr_locks == 2 && st.nr_waits == 4);
	lmr_state_free(&st);
	idle_waits(&st);
	o.klass = LMR_CLASS_DEFAULT;
	lmr_filter(&st, &o);
	CHECK(st.nr_locks == 4 && st.nr_waits == 6);
	lmr_state_free(&st);
}

static void dot_graph(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out, *p;
	int cycles = 0;
	FILE *f;

	live_state(&st, "abba");
	out = capture(lmr_view_dot, &c);
	CHECK(!strncmp(out, "digraph lockmon {", 17));
	for (p = out; (p = strstr(p, "label=\"cycle\"")); p++)
		cycles++;
	CHECK(cycles == 2);
	CHECK(strstr(out, "t135 -> f0c7791d5b1ac7bef"));
	CHECK(strstr(out, "f0c7791d5b1ac7bef -> t134 [style=dashed, color=red"));
	if (!access("/usr/bin/dot", X_OK)) {
		f = popen("dot -Tsvg >/dev/null 2>&1", "w");
		CHECK(f);
		if (f) {
			fputs(out, f);
			CHECK(pclose(f) == 0);
		}
	}
	free(out);
	lmr_state_free(&st);
}

/* How many times @needle is in @hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

/*
 * The graph fixture: three waiters on one mutex, two of them named as its
 * owner by the others' stale reports; an orphan; two waiters with no
 * owner. The pids are above any pid_max, so /proc knows none of them.
 */
static void graph_consistent(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out, line[64];
	pid_t gone;
	FILE *f;

	live_state(&st, "graph");
	out = capture(lmr_view_graph, &c);
	/* one holder for the mutex, the one that does not wait on it */
	CHECK(strstr(out, "app/4200051 --[0x1000]--> app/4200054 (glibc-owner), which waits on 0x2000\n"));
	CHECK(strstr(out, "app/4200052 --[0x1000]--> app/4200054 (glibc-owner), which waits on 0x2000\n"));
	CHECK(strstr(out, "app/4200053 --[0x1000]--> app/4200054 (glibc-owner), which waits on 0x2000\n"));
	CHECK(!strstr(out, "--> app/4200052") && !strstr(out, "--> app/4200053"));
	CHECK(strstr(out, "app/4200054 --[0x2000]--> ? (owner unknown)\n"));
	/* the exited owner is named by the finding and marked */
	CHECK(strstr(out, "srv/4200061 --[0x3000]--> srv-worker/4200062 (glibc-owner)   <== ORPHAN: the owner has exited\n"));
	CHECK(count_of(out, "ORPHAN") == 1 && !strstr(out, "CYCLE"));
	CHECK(count_of(out, "\n") == 7);
	free(out);

	out = capture(lmr_view_dot, &c);
	CHECK(count_of(out, "\tt4200054 [") == 1);
	CHECK(count_of(out, "\tf00000000000000a1 [") == 1);
	CHECK(count_of(out, "f00000000000000a1 -> t") == 1);
	CHECK(strstr(out, "\tf00000000000000a1 -> t4200054 [style=dashed];\n"));
	CHECK(count_of(out, "-> t4200052") == 0 && count_of(out, "-> t4200053") == 0);
	CHECK(count_of(out, " -> f") == 7);
	CHECK(count_of(out, "\tf00000000000000d4 [") == 1 && !strstr(out, "f00000000000000d4 -> t"));
	CHECK(strstr(out, "\tt4200062 [shape=box, label=\"srv-worker/4200062 (exited)\", style=dashed, color=orange];\n"));
	CHECK(strstr(out, "\tf00000000000000c3 [shape=ellipse, label=\"0x3000 (orphan)\", color=orange];\n"));
	CHECK(strstr(out, "f00000000000000c3 -> t4200062 [style=dashed, color=orange, label=\"orphan\"]"));
	/* every box is named comm/tid */
	CHECK(count_of(out, "shape=box") == 8);
	CHECK(count_of(out, "shape=box, label=\"app/") + count_of(out, "shape=box, label=\"srv") +
	      count_of(out, "shape=box, label=\"pool/") == 8);
	free(out);

	/*
	 * A live owner not in the snapshot: named from /proc, no orphan; one
	 * that has exited and been reaped: an orphan though no finding says so.
	 */
	st.nr_findings = 0;
	st.tasks[4].owner = getpid();
	out = capture(lmr_view_graph, &c);
	snprintf(line, sizeof(line), "--[0x3000]--> format_test/%d (glibc-owner)\n",
		 getpid());
	CHECK(strstr(out, line));
	CHECK(!strstr(out, "ORPHAN"));
	free(out);
	gone = fork();
	if (!gone)
		_exit(0);
	CHECK(gone > 0 && waitpid(gone, NULL, 0) == gone);
	st.tasks[4].owner = gone;
	out = capture(lmr_view_graph, &c);
	snprintf(line, sizeof(line), "--[0x3000]--> ?/%d (glibc-owner)   <== ORPHAN", gone);
	CHECK(strstr(out, line));
	free(out);
	if (!access("/usr/bin/dot", X_OK)) {
		f = popen("dot -Tsvg >/dev/null 2>&1", "w");
		CHECK(f);
		if (f) {
			out = capture(lmr_view_dot, &c);
			fputs(out, f);
			CHECK(pclose(f) == 0);
			free(out);
		}
	}
	lmr_state_free(&st);
}

/* ---- a protobuf decoder, from the wire format ------------------------ */

struct pbr {
	const unsigned char *p, *end;
	bool bad;
};

static u64 varint(struct pbr *r)
{
	u64 v = 0;
	int shift = 0;

	while (r->p < r->end && shift < 64) {
		unsigned char b = *r->p++;

		v |= (u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	r->bad = true;
	return 0;
}

/* Next field: its number, wire type; a length-delimited body in @sub. */
static bool field(struct pbr *r, unsigned int *num, unsigned int *wt,
		  u64 *v, struct pbr *sub)
{
	u64 key;

	if (r->p >= r->end || r->bad)
		return false;
	key = varint(r);
	*num = (unsigned int)(key >> 3);
	*wt = key & 7;
	if (*wt == 0) {
		*v = varint(r);
	} else if (*wt == 2) {
		*v = varint(r);
		if (*v > (u64)(r->end - r->p)) {
			r->bad = true;
			return false;
		}
		sub->p = r->p;
		sub->end = r->p + *v;
		sub->bad = false;
		r->p += *v;
	} else {
		r->bad = true;
		return false;
	}
	return !r->bad;
}

static void pprof_roundtrip(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct lmr_pb pb = { 0 };
	struct pbr r, sub, s2;
	unsigned int num, wt, n2, w2, nstr = 0, nloc = 0, nfun = 0, ntype = 0;
	unsigned int nsample = 0;
	char strs[64][64];
	u64 v, v2, count = 0, delay = 0, types[2][2], def = 0, maxloc = 0;

	recorded_state(&st);
	CHECK(lmr_pprof_encode(&c, &pb) == 0);
	r.p = pb.buf;
	r.end = pb.buf + pb.len;
	r.bad = false;
	while (field(&r, &num, &wt, &v, &sub)) {
		if (num == 1 && wt == 2 && ntype < 2) {
			/* ValueType {type, unit} */
			while (field(&sub, &n2, &w2, &v2, &s2))
				types[ntype][n2 - 1] = v2;
			ntype++;
		} else if (num == 2 && wt == 2) {
			u64 vals[2] = { 0 };
			int k = 0;

			nsample++;
			while (field(&sub, &n2, &w2, &v2, &s2)) {
				if (n2 == 1 && w2 == 2)
					while (s2.p < s2.end) {
						u64 id = varint(&s2);

						if (id > maxloc)
							maxloc = id;
					}
				if (n2 == 2 && w2 == 2)
					while (s2.p < s2.end && k < 2)
						vals[k++] = varint(&s2);
			}
			count += vals[0];
			delay += vals[1];
		} else if (num == 4 && wt == 2) {
			nloc++;
		} else if (num == 5 && wt == 2) {
			nfun++;
		} else if (num == 6 && wt == 2 && nstr < 64) {
			snprintf(strs[nstr++], 64, "%.*s", (int)v, (const char *)sub.p);
		} else if (num == 14) {
			def = v;
		}
	}
	CHECK(!r.bad && r.p == r.end);
	CHECK(nstr > 5 && strs[0][0] == 0);
	CHECK(ntype == 2);
	CHECK(ntype == 2 && !strcmp(strs[types[0][0]], "contentions") &&
	      !strcmp(strs[types[0][1]], "count"));
	CHECK(ntype == 2 && !strcmp(strs[types[1][0]], "delay") &&
	      !strcmp(strs[types[1][1]], "nanoseconds"));
	CHECK(!strcmp(strs[def], "delay"));
	/* a sample per thread, stack and lock: the tid is a label */
	CHECK(nsample == 4 && count == 4 && delay == 4570);
	/* every location a sample names exists, one function each */
	CHECK(maxloc == nloc && nfun == nloc);
	free(pb.buf);
	lmr_state_free(&st);
}

/*
 * The four profiles of a recorded state, read back by go tool pprof: no
 * line on stderr from -raw, -top and -traces, and the figures by site.
 * The stacks are addresses of functions of this program, so its maps give
 * the mapping table (file offset, build id) and the names.
 */
volatile int prof_sink;
__attribute__((noinline)) void prof_waiter_site(void) { prof_sink++; prof_sink++; }
__attribute__((noinline)) void prof_release_x(void) { prof_sink++; prof_sink++; }
__attribute__((noinline)) void prof_release_y(void) { prof_sink++; prof_sink++; }
__attribute__((noinline)) void prof_create_a(void) { prof_sink++; prof_sink++; }
__attribute__((noinline)) void prof_create_b(void) { prof_sink++; prof_sink++; }

#define PROF_TMP "/tmp/lmr_format_prof"

/* go tool pprof ARGS FILE: 0 if it ran with an empty stderr; out in @out */
static int go_pprof(const char *args, const char *file, char *out, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *f;
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "HOME=/tmp GOCACHE=/tmp/gocache GOFLAGS=-mod=mod go tool pprof %s %s 2>"
		 PROF_TMP ".err", args, file);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	rc = pclose(f);
	f = fopen(PROF_TMP ".err", "r");
	if (f) {
		char e[256];

		n = fread(e, 1, sizeof(e) - 1, f);
		e[n] = 0;
		fclose(f);
		if (n) {
			printf("#  go tool pprof %s %s: %s\n", args, file, e);
			return -1;
		}
	}
	return rc ? -1 : 0;
}

/* the cumulative figure of function @fn in -top -cum output, or -1 */
static long long cum_of(const char *top, const char *fn)
{
	const char *line;

	for (line = top; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		char t[6][128];

		/* flat flat% sum% cum cum% name */
		if (sscanf(line, "%127s %127s %127s %127s %127s %127s", t[0],
			   t[1], t[2], t[3], t[4], t[5]) == 6 &&
		    !strcmp(t[5], fn) && strchr(t[4], '%'))
			return (long long)strtod(t[3], NULL);
	}
	return -1;
}

static void prof_state(struct lmr_state *st)
{
	pid_t me = getpid();
	static const struct {
		pid_t tid;
		u64 futex, ns;
		u32 waker_stack;
	} w[] = {
		{ 101, 1, 1000, 2 }, { 102, 1, 3000, 3 }, { 101, 1, 2000, 2 },
		{ 103, 2, 500, 2 },
	};
	u64 base[] = {
		(u64)(uintptr_t)prof_waiter_site, (u64)(uintptr_t)prof_release_x,
		(u64)(uintptr_t)prof_release_y, (u64)(uintptr_t)prof_create_a,
		(u64)(uintptr_t)prof_create_b,
	};
	size_t i;

	memset(st, 0, sizeof(*st));
	st->source = "record";
	st->recorded = true;
	st->duration_ns = 1000000000ull;
	st->waits = calloc(4, sizeof(*st->waits));
	for (i = 0; i < 4; i++) {
		struct lmr_wait *x = &st->waits[i];

		x->tid = w[i].tid;
		x->tgid = me;
		strcpy(x->comm, "app");
		x->futex_id = w[i].futex;
		x->uaddr = 0x7000 + w[i].futex;
		x->wait_ns = x->weight_ns = w[i].ns;
		x->stack_id = 1;
		x->owner = 104;
		x->waker = 104;
		x->waker_tgid = me;
		x->waker_stack = w[i].waker_stack;
		x->waker_wait_ns = x->waker_weight_ns = w[i].ns;
	}
	st->nr_waits = 4;
	st->stacks = calloc(5, sizeof(*st->stacks));
	for (i = 0; i < 5; i++)
		st->stacks[i] = (struct lmr_stack){ .id = (u32)i + 1,
			.tgid = me, .nr = 1, .ip = { base[i] + 1 } };
	st->nr_stacks = 5;
	st->locks = calloc(2, sizeof(*st->locks));
	for (i = 0; i < 2; i++) {
		st->locks[i].id = i + 1;
		st->locks[i].tgid = me;
		strcpy(st->locks[i].klass, i ? "event" : "lock");
	}
	st->nr_locks = 2;
	/* two threads blocked at the end, on the lock */
	st->tasks = calloc(2, sizeof(*st->tasks));
	for (i = 0; i < 2; i++) {
		st->tasks[i] = (struct lmr_task){ .tid = 105 + (pid_t)i,
			.tgid = me, .futex_id = 1, .uaddr = 0x7001,
			.owner = 104, .stack_id = 1, .waiting = true };
		strcpy(st->tasks[i].comm, "app");
	}
	st->nr_tasks = 2;
	/* three threads created at site a, two at site b */
	st->creates = calloc(5, sizeof(*st->creates));
	for (i = 0; i < 5; i++) {
		st->creates[i] = (struct lmr_create){ .tid = 104, .tgid = me,
			.child = 200 + (pid_t)i, .stack_id = i < 3 ? 4 : 5 };
		strcpy(st->creates[i].comm, "app");
	}
	st->nr_creates = 5;
}

static void pprof_profiles_go(void)
{
	static const struct {
		enum lmr_profile kind;
		enum lmr_profile_by by;
		const char *index, *fn[2];
		long long cum[2];
	} p[] = {
		/* delay charged to the releasing site: x 1000 + 2000, y 3000 */
		{ LMR_PROFILE_MUTEX, LMR_BY_DEFAULT, "delay",
		  { "prof_release_x", "prof_release_y" }, { 3000, 3000 } },
		{ LMR_PROFILE_MUTEX, LMR_BY_DEFAULT, "contentions",
		  { "prof_release_x", "prof_release_y" }, { 2, 1 } },
		{ LMR_PROFILE_MUTEX, LMR_BY_WAITER, "delay",
		  { "prof_waiter_site", "prof_release_x" }, { 6000, -1 } },
		/* block: the event futex's wait too */
		{ LMR_PROFILE_BLOCK, LMR_BY_DEFAULT, "delay",
		  { "prof_waiter_site", "prof_release_x" }, { 6500, -1 } },
		{ LMR_PROFILE_THREADS, LMR_BY_DEFAULT, "goroutine",
		  { "prof_waiter_site", "prof_release_x" }, { 2, -1 } },
		{ LMR_PROFILE_THREADCREATE, LMR_BY_DEFAULT, "threadcreate",
		  { "prof_create_a", "prof_create_b" }, { 3, 2 } },
	};
	static char out[65536];
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char file[64], args[128];
	size_t i;
	FILE *f;
	int k;

	if (system("go version >/dev/null 2>&1")) {
		printf("# SKIP no go tool pprof\n");
		return;
	}
	prof_state(&st);
	c.syms = lmr_syms_new(&st, true);
	CHECK(c.syms);
	for (i = 0; c.syms && i < sizeof(p) / sizeof(p[0]); i++) {
		snprintf(file, sizeof(file), PROF_TMP "%zu.pb.gz", i);
		f = fopen(file, "w");
		CHECK(f);
		if (!f)
			continue;
		CHECK(lmr_pprof_write_profile(&c, p[i].kind, p[i].by, f) == 0);
		fclose(f);
		CHECK(go_pprof("-raw", file, out, sizeof(out)) == 0);
		/* the mapping table: this program, with its build id */
		CHECK(strstr(out, "format_test") != NULL);
		CHECK(go_pprof("-traces", file, out, sizeof(out)) == 0);
		snprintf(args, sizeof(args),
			 "-top -cum -unit=ns -nodefraction=0 -nodecount=100 -sample_index=%s",
			 p[i].index);
		CHECK(go_pprof(args, file, out, sizeof(out)) == 0);
		for (k = 0; k < 2; k++)
			if (cum_of(out, p[i].fn[k]) != p[i].cum[k]) {
				printf("#  %s %s: %s %lld, want %lld\n%s",
				       lmr_profile_name(p[i].kind), p[i].index,
				       p[i].fn[k], cum_of(out, p[i].fn[k]),
				       p[i].cum[k], out);
				t_failed = 1;
			}
	}
	lmr_syms_free(c.syms);
	lmr_state_free(&st);
}

static void varints(void)
{
	struct lmr_pb pb = { 0 };
	struct pbr r;

	lmr_pb_varint(&pb, 0);
	lmr_pb_varint(&pb, 127);
	lmr_pb_varint(&pb, 300);
	lmr_pb_varint(&pb, ~0ULL);
	CHECK(pb.len == 1 + 1 + 2 + 10);
	CHECK(pb.buf[2] == 0xac && pb.buf[3] == 0x02);
	r.p = pb.buf;
	r.end = pb.buf + pb.len;
	r.bad = false;
	CHECK(varint(&r) == 0 && varint(&r) == 127 && varint(&r) == 300 &&
	      varint(&r) == ~0ULL);
	free(pb.buf);
}

/* ABI 1.3: an orphan's owner and a stall that added to a cycle, in text and JSON. */
static void abi_1_3_views(void)
{
	static const char text[] =
		"# lockmon abi 1.3\n"
		"finding 1 kind=cycle tasks=2 time_ns=100 latency_ns=20 stall_threads=3 stall_blocked_ns=2500000000\n"
		"  task 0 tid=142 tgid=139 comm=demo futex=684d3150c63d9103 uaddr=0x1a0 owner=141 how=glibc-owner timed=0 stack=0\n"
		"  task 1 tid=141 tgid=139 comm=demo futex=3f73b347c24751c0 uaddr=0x160 owner=142 how=glibc-owner timed=0 stack=0\n"
		"finding 2 kind=orphan tasks=1 time_ns=200 latency_ns=30 owner_tgid=138 owner_comm=worker\n"
		"  task 0 tid=138 tgid=138 comm=demo futex=3c9bdc9ab93fb717 uaddr=0x1a0 owner=144 how=glibc-owner timed=0 stack=0\n";
	struct lmr_opts o = { 0 };
	struct lmr_state st = { 0 };
	struct lmr_ctx c = { .st = &st, .o = &o };
	static const char heads[] =
		"DEADLOCK pid 139 (demo): 0x1a0 \u2194 0x160, threads 142, 141; the whole process is now blocked\n"
		"ORPHAN pid 138 (demo): 0x1a0 held by 144 (worker), exited, thread 138\n"
		"\n=====";
	char *out;

	CHECK(lmr_parse_deadlocks(text, &st) == 0);
	st.recorded = true;
	out = capture(lmr_view_deadlocks, &c);
	/* the headlines open it, one line per finding, a blank line after */
	CHECK(!strncmp(out, heads, strlen(heads)));
	CHECK(strstr(out, "Chain exists of:\n"));
	CHECK(strstr(out, "And the whole process is now blocked: every thread of process 139 (3 threads), the longest for 2.5s."));
	CHECK(strstr(out, "The owner, worker/144 (pid 138), has exited holding the lock:\n"));
	free(out);
	json_view_name = "deadlocks";
	out = capture(json_fn, &c);
	CHECK(strstr(out, "\"stall\":{\"tgid\":139,\"threads\":3,\"blocked_ns\":2500000000}"));
	CHECK(strstr(out, "\"owner\":{\"tgid\":138,\"comm\":\"worker\"}"));
	CHECK(strstr(out, "\"headline\":\"ORPHAN pid 138 (demo): 0x1a0 held by 144 (worker), exited, thread 138\""));
	free(out);
	lmr_state_free(&st);
}

/* ABI 1.4: the holder split of a lock's wait, in words, a verdict, JSON. */
static void abi_1_4_holder(void)
{
	static const char text[] =
		"# lockmon abi 1.4\n"
		"futex class pi procs blocked again timeouts signals wakes total_ns max_ns avg_ns handoff_avg_ns handoff_max_ns waiters distinct owner owner_how hist"
		" hold_running_ns hold_preempted_ns hold_futex_ns hold_sleeping_ns hold_stopped_ns hold_exited_ns hold_unknown_ns hold_syscall\n"
		"0000000000000001 lock 0 10:0x1000 4 0 0 0 4 7900000000 2000000000 1975000000 0 0 0 2 0 unknown -"
		" 6100000000 1500000000 0 300000000 0 0 0 0\n"
		"0000000000000002 lock 0 10:0x2000 1 0 0 0 1 2000000000 2000000000 2000000000 0 0 0 1 0 unknown -"
		" 100000000 0 0 1900000000 0 0 0 0\n"
		"0000000000000003 lock 0 10:0x3000 1 0 0 0 1 1000000000 1000000000 1000000000 0 0 0 1 0 unknown -"
		" 600000000 400000000 0 0 0 0 0 -1\n"
		"0000000000000004 event 0 10:0x4000 1 0 0 0 1 1000000000 1000000000 1000000000 0 0 0 1 0 unknown -"
		" 0 0 0 0 0 0 1000000000 -1\n"
		"0000000000000005 lock 0 10:0x5000 1 0 0 0 1 1000000000 1000000000 1000000000 0 0 0 1 0 unknown -"
		" 0 0 0 0 0 0 0 -1\n";
	struct lmr_opts o = { 0 };
	struct lmr_state st = { 0 };
	struct lmr_ctx c = { .st = &st, .o = &o };
	char buf[256], *out;

	CHECK(lmr_parse_locks(text, &st) == 0);
	CHECK(st.nr_locks == 5);
	if (st.nr_locks != 5)
		return;
	CHECK(st.locks[0].hold_running_ns == 6100000000ULL);
	CHECK(st.locks[0].hold_syscall == 0);
	CHECK(!strcmp(lmr_holder_text(&st.locks[0], buf, sizeof(buf)),
		      "7.9s waited: holder running 6.1s, preempted 1.5s, in read() 300ms"));
	CHECK(!strcmp(lmr_holder_verdict(&st.locks[0], buf, sizeof(buf)),
		      "mostly holder on CPU: shorten the critical section"));
	CHECK(!strcmp(lmr_holder_text(&st.locks[1], buf, sizeof(buf)),
		      "2s waited: holder in read() 1.9s, running 100ms"));
	CHECK(!strcmp(lmr_holder_verdict(&st.locks[1], buf, sizeof(buf)),
		      "holder sleeps in read(): move I/O out of the lock"));
	st.locks[1].hold_syscall = 230;
	CHECK(!strcmp(lmr_holder_verdict(&st.locks[1], buf, sizeof(buf)),
		      "holder sleeps in clock_nanosleep(): do not sleep holding the lock"));
	st.locks[1].hold_syscall = 0;
	CHECK(!strcmp(lmr_holder_verdict(&st.locks[2], buf, sizeof(buf)),
		      "holder preempted 40 %: check CPU contention"));
	CHECK(!strcmp(lmr_holder_verdict(&st.locks[3], buf, sizeof(buf)),
		      "holder unknown 100 %: no owner known, or waits shorter than a scan"));
	CHECK(!lmr_holder_text(&st.locks[4], buf, sizeof(buf)));
	CHECK(!lmr_holder_verdict(&st.locks[4], buf, sizeof(buf)));
	st.recorded = true;	/* no /proc lookups for the names */
	out = capture(lmr_view_locks, &c);
	CHECK(strstr(out, "\nWhile tasks waited, the holder was:\n"));
	CHECK(strstr(out, ": 7.9s waited: holder running 6.1s, preempted 1.5s, in read() 300ms\n"
		      "    => mostly holder on CPU: shorten the critical section\n"));
	CHECK(strstr(out, "    => holder preempted 40 %: check CPU contention\n"));
	CHECK(!strstr(out, "holder unknown"));	/* the event futex */
	free(out);
	/* waits still going on are in the split, not in total_ns */
	st.locks[1].total_ns = 1500000000ULL;
	CHECK(!strcmp(lmr_holder_text(&st.locks[1], buf, sizeof(buf)),
		      "2s waited (500ms of it in waits not yet ended): holder in read() 1.9s, running 100ms"));
	st.locks[1].total_ns = 2000000000ULL;
	/* a lock whose holder is never known gets no paragraph, but a count */
	memcpy(st.locks[3].klass, "lock", sizeof("lock"));
	out = capture(lmr_view_locks, &c);
	CHECK(!strstr(out, "holder unknown"));
	CHECK(strstr(out, "  (1 more with no holder known: locks without an owner word, or waits shorter than a scan)\n"));
	free(out);
	json_view_name = "locks";
	out = capture(json_fn, &c);
	CHECK(valid_json(out));
	CHECK(strstr(out, "\"holder_running_ns\":6100000000,\"holder_preempted_ns\":1500000000,"
		      "\"holder_futex_ns\":0,\"holder_sleeping_ns\":300000000,"));
	CHECK(strstr(out, "\"holder_syscall\":0,\"rewaits\":0,\"starve_ns\":0,"
		      "\"starve_hands\":0,\"holder_verdict\":\"mostly holder on CPU: shorten the critical section\"}"));
	CHECK(strstr(out, "\"holder_syscall\":-1,\"rewaits\":0,\"starve_ns\":0,"
		      "\"starve_hands\":0,\"holder_verdict\":null}"));
	free(out);
	lmr_state_free(&st);
}

static void text_views(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	char *out;

	live_state(&st, "abba");
	st.recorded = true;	/* no /proc lookups of the fixture's pids */
	out = capture(lmr_view_deadlocks, &c);
	CHECK(strstr(out, "finding 1: deadlock cycle, 2 tasks"));
	CHECK(strstr(out, "  -> #1 abba/135 (pid 132) waits on 0x564b88fd30e0 held by 134 [glibc-owner]"));
	CHECK(strstr(out, "*** DEADLOCK ***"));
	/* a live stall has no lockmon_stall record: no thread count */
	CHECK(strstr(out, "finding 2: stall, 3 tasks\n"));
	CHECK(strstr(out, "Every thread of the process is blocked:\n"));
	free(out);
	json_view_name = "deadlocks";
	out = capture(json_fn, &c);
	CHECK(!strstr(out, "\"stall\":{"));
	free(out);
	out = capture(lmr_view_stats, &c);
	CHECK(strstr(out, "findings_dropped             0\n"));
	free(out);
	lmr_state_free(&st);
}

/* Durations: three significant digits, and no "1e+03" at a unit's edge. */
static void durations(void)
{
	static const struct { u64 ns; const char *want; } c[] = {
		{ 0, "0ns" }, { 999, "999ns" }, { 1000, "1us" },
		{ 3200000, "3.2ms" }, { 999400000, "999ms" },
		{ 999600000, "1s" }, { 999999, "1ms" }, { 999499, "999us" },
		{ 1500000000, "1.5s" }, { 999400000000ull, "999s" },
		{ 999600000000ull, "1000s" }, { 4000000000000ull, "4000s" },
	};
	char buf[16];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		lmr_fmt_ns(buf, sizeof(buf), c[i].ns);
		if (strcmp(buf, c[i].want))
			printf("#  %llu ns: got %s, want %s\n",
			       (unsigned long long)c[i].ns, buf, c[i].want);
		CHECK(!strcmp(buf, c[i].want));
	}
}

struct sleeper {
	int fd;
	pid_t tid;
};

static void *sleeper(void *arg)
{
	struct sleeper *sl = arg;
	char b;

	__atomic_store_n(&sl->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	return read(sl->fd, &b, 1) < 0 ? NULL : arg;
}

/*
 * top never stops a holder: one blocked on a futex itself gets the stack
 * from the tasks file, a running one or one asleep elsewhere is named as
 * such, and without --ptrace-holders nothing is unwound. The states are
 * this process's own threads, as /proc shows them.
 */
static void holder_stacks(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st;
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct sleeper sl = { 0 };
	pthread_t th;
	int pfd[2];
	pid_t tid = 0;
	char *out, buf[64];
	bool asleep = false;
	int i;

	live_state(&st, "abba");
	lmr_filter(&st, &o);
	out = capture(top_fn, &c);
	/* 134 holds 0x...30e0 and waits on 0x...30a0 for 3.18 s, stack 3353 */
	CHECK(strstr(out, "/134 (glibc-owner) is blocked on 0x564b88fd30a0 for 3.18s at:\n"
		      "        0x7fb92e4a212b\n        0x564b88fd025e\n"));
	CHECK(strstr(out, "/135 (glibc-owner) is blocked on 0x564b88fd30e0 for 3.18s at:\n"));
	CHECK(!strstr(out, " is at:\n"));
	CHECK(!strstr(out, "no stack without stopping it"));
	free(out);
	/* -t 134 drops 135's task row: it is still known as blocked */
	o.tid = 134;
	lmr_state_free(&st);
	live_state(&st, "abba");
	lmr_filter(&st, &o);
	out = capture(top_fn, &c);
	CHECK(strstr(out, "/135 (glibc-owner) is blocked on 0x564b88fd30e0 for "));
	free(out);
	o.tid = 0;

	/* a holder that is running: this thread */
	st.nr_tasks = 0;
	st.locks[0].owner = (pid_t)syscall(SYS_gettid);
	st.locks[0].tgid = getpid();
	st.locks[0].waiters = 1;
	snprintf(st.locks[0].klass, sizeof(st.locks[0].klass), "lock");
	snprintf(st.locks[0].owner_how, sizeof(st.locks[0].owner_how), "glibc-owner");
	lmr_filter(&st, &o);
	out = capture(top_fn, &c);
	CHECK(strstr(out, " is at:\n        running: no stack without stopping it (--ptrace-holders)\n"));
	free(out);

	/* a holder asleep in read(): state S, still not stopped */
	CHECK(!pipe(pfd));
	sl.fd = pfd[0];
	CHECK(!pthread_create(&th, NULL, sleeper, &sl));
	for (i = 0; i < 5000 && !asleep; i++) {
		char path[64], *stat;

		tid = __atomic_load_n(&sl.tid, __ATOMIC_ACQUIRE);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", getpid(), tid);
		stat = lmr_read_file(path, NULL, 4096);
		asleep = stat && strstr(stat, ") S ");
		free(stat);
		if (!asleep)
			usleep(1000);
	}
	CHECK(asleep);
	st.locks[0].owner = tid;
	lmr_filter(&st, &o);
	out = capture(top_fn, &c);
	snprintf(buf, sizeof(buf), "/%d (glibc-owner) is at:\n", tid);
	CHECK(strstr(out, buf));
	CHECK(strstr(out, "        not in a futex wait (state S): no stack without stopping it (--ptrace-holders)\n"));
	free(out);
	CHECK(write(pfd[1], "x", 1) == 1);
	pthread_join(th, NULL);
	close(pfd[0]);
	close(pfd[1]);
	lmr_state_free(&st);
}

int main(void)
{
	RUN(durations);
	RUN(json_views);
	RUN(json_columns);
	RUN(folded_lines);
	RUN(folded_weights);
	RUN(class_filter);
	RUN(dot_graph);
	RUN(graph_consistent);
	RUN(varints);
	RUN(pprof_roundtrip);
	RUN(pprof_profiles_go);
	RUN(text_views);
	RUN(recorded_owner_and_stall);
	RUN(abi_1_3_views);
	RUN(holder_stacks);
	RUN(abi_1_4_holder);
	DONE();
}
