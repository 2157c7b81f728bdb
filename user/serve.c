// SPDX-License-Identifier: GPL-2.0
/*
 * "lockmon-report serve": /metrics in Prometheus's text exposition format
 * 0.0.4 and /debug/pprof/{mutex,block,threads,threadcreate} shaped like
 * Go's net/http/pprof (a gzip-compressed profile.proto), over http.c.
 * "lockmon-report metrics": the same exposition into a file, atomically,
 * for node_exporter's textfile collector.
 *
 * Every request reads the module's files anew, so the server survives the
 * module being unloaded and loaded again under it: while it is away
 * /metrics says lockmon_up 0 and the profiles are 503.
 *
 * Per-lock series are the --max-locks locks (LMR_MAX_LOCKS by default)
 * with the most wait time, and one lock="other" series summing the rest;
 * per-process series are capped the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "lockmon-report.h"
#include "http.h"
#include "pprof.h"
#include "serve.h"

/* ---- the exposition ----------------------------------------------------- */

/* a label value: backslash, double quote and newline escaped */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void seconds(FILE *f, u64 ns)
{
	fprintf(f, "%llu.%09llu\n", (unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns % 1000000000ull));
}

/*
 * The histogram's bounds, powers of two of ns near each decade from 1 us
 * to 17 s: the module's log2 buckets add up into them exactly.
 */
static const unsigned int hist_bounds[] = { 10, 14, 17, 20, 24, 27, 30, 34 };
#define NR_BOUNDS (sizeof(hist_bounds) / sizeof(hist_bounds[0]))

struct agg {
	u64 total_ns, waits, waiters, max_ns, rewaits, timeouts;
	u64 hist[LMR_HIST];
};

static void agg_add(struct agg *a, const struct lmr_lock *l)
{
	unsigned int b;

	a->total_ns += l->total_ns;
	a->waits += l->waits;
	a->waiters += l->waiters;
	a->rewaits += l->rewaits;
	a->timeouts += l->timeouts;
	if (l->max_ns > a->max_ns)
		a->max_ns = l->max_ns;
	for (b = 0; b < LMR_HIST; b++)
		a->hist[b] += l->hist[b];
}

struct lock_row {
	char labels[LMR_NAME_LEN + 160];
	const struct lmr_lock *l;	/* NULL: the "other" row */
	struct agg a;
};

static void lock_labels(struct lmr_ctx *c, const struct lmr_lock *l,
			char *out, size_t len)
{
	char name[LMR_NAME_LEN], *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	if (!f) {
		snprintf(out, len, "lock=\"?\"");
		return;
	}
	fprintf(f, "pid=\"%d\",comm=\"", l->tgid);
	label(f, lmr_tgid_comm(c->st, l->tgid));
	fputs("\",lock=\"", f);
	label(f, lmr_lock_name(c, l, name, sizeof(name)));
	fprintf(f, "\",futex=\"%016llx\",class=\"", (unsigned long long)l->id);
	label(f, l->klass);
	fputc('"', f);
	fclose(f);
	snprintf(out, len, "%s", buf ? buf : "");
	free(buf);
}

struct proc_row {
	pid_t tgid;			/* 0: "other" */
	u64 total_ns, waits, blocked;
};

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return x->tgid - y->tgid;
}

static struct proc_row *proc_get(struct proc_row **v, size_t *n, size_t *cap,
				 pid_t tgid)
{
	struct proc_row *arr;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].tgid == tgid)
			return &(*v)[i];
	arr = lmr_grow(*v, cap, *n, sizeof(*arr));
	if (!arr)
		return NULL;
	*v = arr;
	memset(&arr[*n], 0, sizeof(arr[*n]));
	arr[*n].tgid = tgid;
	return &arr[(*n)++];
}

static void write_processes(struct lmr_ctx *c, FILE *f, unsigned int max,
			    struct lmr_serve *sv)
{
	struct lmr_state *st = c->st;
	struct proc_row *v = NULL, *p, other = { 0 };
	size_t n = 0, cap = 0, i, shown;

	for (i = 0; i < st->nr_locks; i++) {
		p = proc_get(&v, &n, &cap, st->locks[i].tgid);
		if (!p)
			goto out;
		p->total_ns += st->locks[i].total_ns;
		p->waits += st->locks[i].waits;
	}
	for (i = 0; i < st->nr_tasks; i++) {
		p = proc_get(&v, &n, &cap, st->tasks[i].tgid);
		if (!p)
			goto out;
		p->blocked++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_proc);
	shown = n < max ? n : max;
	for (i = shown; i < n; i++) {
		other.total_ns += v[i].total_ns;
		other.waits += v[i].waits;
		other.blocked += v[i].blocked;
	}
	sv->folded_procs = n - shown;

#define PROC_SERIES(expr, print)					\
	do {								\
		for (i = 0; i < shown; i++) {				\
			p = &v[i];					\
			fprintf(f, "%s{pid=\"%d\",comm=\"", name, p->tgid); \
			label(f, lmr_tgid_comm(st, p->tgid));		\
			fputs("\"} ", f);				\
			print(f, expr);					\
		}							\
		if (n > shown) {					\
			p = &other;					\
			fprintf(f, "%s{pid=\"other\",comm=\"other\"} ", name); \
			print(f, expr);					\
		}							\
	} while (0)
#define U64(f, v)	fprintf(f, "%llu\n", (unsigned long long)(v))
	{
		const char *name = "lockmon_process_wait_seconds_total";

		family(f, name, "counter",
		       "Time the process's threads spent blocked in futex waits that ended.");
		PROC_SERIES(p->total_ns, seconds);
		name = "lockmon_process_waits_total";
		family(f, name, "counter",
		       "Futex waits of the process's threads that blocked.");
		PROC_SERIES(p->waits, U64);
		name = "lockmon_process_blocked_threads";
		family(f, name, "gauge",
		       "Threads of the process blocked in a futex wait now.");
		PROC_SERIES(p->blocked, U64);
	}
out:
	free(v);
}

static void write_locks(struct lmr_ctx *c, FILE *f, unsigned int max,
			struct lmr_serve *sv)
{
	struct lmr_state *st = c->st;
	size_t n = st->nr_locks, shown = n < max ? n : max, rows, i, k;
	struct lock_row *r;
	unsigned int b;
	const char *name;

	rows = shown + (n > shown);
	sv->folded_locks = n - shown;
	if (!rows)
		return;
	r = calloc(rows, sizeof(*r));
	if (!r)
		return;
	/* st->locks is sorted by total wait, most first */
	for (i = 0; i < shown; i++) {
		r[i].l = &st->locks[i];
		lock_labels(c, r[i].l, r[i].labels, sizeof(r[i].labels));
		agg_add(&r[i].a, r[i].l);
	}
	if (n > shown) {
		snprintf(r[shown].labels, sizeof(r[shown].labels),
			 "pid=\"other\",comm=\"other\",lock=\"other\",futex=\"other\",class=\"other\"");
		for (i = shown; i < n; i++)
			agg_add(&r[shown].a, &st->locks[i]);
	}
#define LOCK_SERIES(expr, print)					\
	for (i = 0; i < rows; i++) {					\
		fprintf(f, "%s{%s} ", name, r[i].labels);		\
		print(f, expr);						\
	}
	name = "lockmon_lock_wait_seconds_total";
	family(f, name, "counter",
	       "Time spent blocked in ended waits on the futex (the locks file's total_ns).");
	LOCK_SERIES(r[i].a.total_ns, seconds);
	name = "lockmon_lock_waits_total";
	family(f, name, "counter", "Waits on the futex that blocked.");
	LOCK_SERIES(r[i].a.waits, U64);
	name = "lockmon_lock_timeouts_total";
	family(f, name, "counter", "Blocking waits on the futex that timed out.");
	LOCK_SERIES(r[i].a.timeouts, U64);
	name = "lockmon_lock_rewaits_total";
	family(f, name, "counter",
	       "Woken waiters that lost the futex and blocked again (barging).");
	LOCK_SERIES(r[i].a.rewaits, U64);
	name = "lockmon_lock_blocked_threads";
	family(f, name, "gauge", "Threads blocked on the futex now.");
	LOCK_SERIES(r[i].a.waiters, U64);
	name = "lockmon_lock_wait_max_seconds";
	family(f, name, "gauge", "The longest wait on the futex.");
	LOCK_SERIES(r[i].a.max_ns, seconds);
	name = "lockmon_lock_handoff_avg_seconds";
	family(f, name, "gauge",
	       "Wake to return of the woken waiter, mean (none for the other series).");
	for (i = 0; i < shown; i++) {
		fprintf(f, "%s{%s} ", name, r[i].labels);
		seconds(f, r[i].l->handoff_avg_ns);
	}
	name = "lockmon_lock_handoff_max_seconds";
	family(f, name, "gauge", "The longest handoff on the futex.");
	for (i = 0; i < shown; i++) {
		fprintf(f, "%s{%s} ", name, r[i].labels);
		seconds(f, r[i].l->handoff_max_ns);
	}
	name = "lockmon_lock_wait_duration_seconds";
	family(f, name, "histogram",
	       "Ended blocking waits on the futex by duration, from the module's log2 buckets.");
	for (i = 0; i < rows; i++) {
		u64 cum = 0, all = 0;

		for (b = 0; b < LMR_HIST; b++)
			all += r[i].a.hist[b];
		b = 0;
		for (k = 0; k < NR_BOUNDS; k++) {
			/* bucket b holds 2^b .. 2^(b+1)-1 ns: below 2^bound */
			for (; b < hist_bounds[k] && b < LMR_HIST; b++)
				cum += r[i].a.hist[b];
			fprintf(f, "%s_bucket{%s,le=\"%.9g\"} %llu\n", name,
				r[i].labels,
				(double)(1ull << hist_bounds[k]) / 1e9,
				(unsigned long long)cum);
		}
		fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name,
			r[i].labels, (unsigned long long)all);
		fprintf(f, "%s_sum{%s} ", name, r[i].labels);
		seconds(f, r[i].a.total_ns);
		fprintf(f, "%s_count{%s} %llu\n", name, r[i].labels,
			(unsigned long long)all);
	}
	free(r);
}

static void write_findings(struct lmr_state *st, FILE *f)
{
	static const char *const kinds[] = { "cycle", "pi-edeadlk", "orphan",
					     "stall", "transient" };
	size_t i, k, n;

	family(f, "lockmon_findings", "gauge",
	       "Findings in the module's deadlocks file now, by kind.");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (i = 0, n = 0; i < st->nr_findings; i++)
			n += !strcmp(st->findings[i].kind, kinds[k]);
		fprintf(f, "lockmon_findings{kind=\"%s\"} %zu\n", kinds[k], n);
	}
	/* a kind this reporter does not know is still counted */
	for (i = 0; i < st->nr_findings; i++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strcmp(st->findings[i].kind, kinds[k]))
				break;
		if (k < sizeof(kinds) / sizeof(kinds[0]))
			continue;
		for (n = 0; n < i; n++)
			if (!strcmp(st->findings[n].kind, st->findings[i].kind))
				break;
		if (n < i)
			continue;
		for (k = i, n = 0; k < st->nr_findings; k++)
			n += !strcmp(st->findings[k].kind, st->findings[i].kind);
		fputs("lockmon_findings{kind=\"", f);
		label(f, st->findings[i].kind);
		fprintf(f, "\"} %zu\n", n);
	}
}

/* the module's counters, described once in module/counters.h */
static const struct {
	const char *name, *help;
} counters[] = {
#define LM_COUNTER(n, h) { #n, h },
#include "../module/counters.h"
#undef LM_COUNTER
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void write_stats(struct lmr_state *st, FILE *f)
{
	char name[96];
	const char *v, *m;
	size_t i, k;
	bool hooks = false, missed = false;

	for (k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		for (i = 0; i < st->nr_stats; i++)
			if (!strcmp(st->stats[i].name, counters[k].name))
				break;
		if (i == st->nr_stats || !all_digits(st->stats[i].value))
			continue;
		snprintf(name, sizeof(name), "lockmon_module_%s_total",
			 counters[k].name);
		family(f, name, "counter", counters[k].help);
		fprintf(f, "%s %s\n", name, st->stats[i].value);
	}
	for (i = 0; i < st->nr_stats; i++) {
		const char *s = st->stats[i].name;

		if (strncmp(s, "max_", 4) && strcmp(s, "memory_bytes") &&
		    strcmp(s, "enabled"))
			continue;
		if (!all_digits(st->stats[i].value))
			continue;
		snprintf(name, sizeof(name), "lockmon_module_%s", s);
		family(f, name, "gauge",
		       !strcmp(s, "enabled") ? "1 while the module traces." :
		       !strcmp(s, "memory_bytes") ? "Memory the module's tables take." :
		       "A table's size, in entries.");
		fprintf(f, "%s %s\n", name, st->stats[i].value);
	}
	/* "hook_X on", "probe_X on missed=N", "tracepoint_X on" */
	for (i = 0; i < st->nr_stats; i++) {
		const char *s = st->stats[i].name;

		if (strncmp(s, "hook_", 5) && strncmp(s, "probe_", 6) &&
		    strncmp(s, "tracepoint_", 11))
			continue;
		if (!strcmp(s, "hook_recursion"))
			continue;
		if (!hooks) {
			family(f, "lockmon_module_hook_on", "gauge",
			       "1 for each of the module's hooks that is attached.");
			hooks = true;
		}
		v = st->stats[i].value;
		fprintf(f, "lockmon_module_hook_on{hook=\"");
		label(f, s);
		fprintf(f, "\"} %d\n", !strncmp(v, "on", 2));
	}
	for (i = 0; i < st->nr_stats; i++) {
		m = strstr(st->stats[i].value, "missed=");
		if (!m)
			continue;
		if (!missed) {
			family(f, "lockmon_module_probe_missed_total", "counter",
			       "Hits a kprobe missed (its missed count).");
			missed = true;
		}
		fprintf(f, "lockmon_module_probe_missed_total{hook=\"");
		label(f, st->stats[i].name);
		fprintf(f, "\"} %llu\n", strtoull(m + 7, NULL, 10));
	}
}

static void write_reporter(struct lmr_serve *sv, FILE *f)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx",
					       "5xx" };
	struct lmr_http *h = &sv->http;
	unsigned int k;

	family(f, "lockmon_report_scrapes_total", "counter",
	       "Expositions the reporter wrote.");
	fprintf(f, "lockmon_report_scrapes_total %llu\n",
		(unsigned long long)sv->scrapes);
	family(f, "lockmon_report_read_errors_total", "counter",
	       "Reads of the module's files that failed (the module away included).");
	fprintf(f, "lockmon_report_read_errors_total %llu\n",
		(unsigned long long)sv->read_errors);
	family(f, "lockmon_report_folded_locks", "gauge",
	       "Locks of this exposition summed into the lock=\"other\" series (the --max-locks cap).");
	fprintf(f, "lockmon_report_folded_locks %llu\n",
		(unsigned long long)sv->folded_locks);
	family(f, "lockmon_report_folded_processes", "gauge",
	       "Processes of this exposition summed into the pid=\"other\" series.");
	fprintf(f, "lockmon_report_folded_processes %llu\n",
		(unsigned long long)sv->folded_procs);
	family(f, "lockmon_report_max_locks", "gauge",
	       "The per-lock and per-process series cap (--max-locks).");
	fprintf(f, "lockmon_report_max_locks %u\n", sv->max_locks);
	if (!sv->serving)
		return;
	family(f, "lockmon_report_http_requests_total", "counter",
	       "HTTP requests answered, by status class.");
	for (k = 1; k <= 5; k++)
		fprintf(f, "lockmon_report_http_requests_total{code=\"%s\"} %llu\n",
			classes[k - 1], (unsigned long long)h->responses[k]);
	family(f, "lockmon_report_http_refused_total", "counter",
	       "Connections refused with 503: every connection slot was taken.");
	fprintf(f, "lockmon_report_http_refused_total %llu\n",
		(unsigned long long)h->refused);
	family(f, "lockmon_report_http_timeouts_total", "counter",
	       "Connections closed idle or stalled past their timeout.");
	fprintf(f, "lockmon_report_http_timeouts_total %llu\n",
		(unsigned long long)h->timeouts);
}

int lmr_serve_load(struct lmr_serve *sv, struct lmr_state *st,
		   unsigned int files)
{
	if (sv->load)
		return sv->load(sv, st, files);
	if (access(LMR_DIR "/version", R_OK))
		return -ENODEV;
	return lmr_debugfs_load(st, files);
}

#define METRIC_FILES (LMR_F_LOCKS | LMR_F_TASKS | LMR_F_FINDINGS | LMR_F_STATS)

int lmr_metrics_write(struct lmr_serve *sv, FILE *f)
{
	struct lmr_state st = { 0 }, keep = { 0 };
	struct lmr_ctx c = { .st = &st, .o = sv->o, .out = f };
	bool up;

	sv->scrapes++;
	up = !lmr_serve_load(sv, &st, METRIC_FILES);
	if (!up)
		sv->read_errors++;
	family(f, "lockmon_up", "gauge",
	       "1 if the lockmon module's files were read for this exposition.");
	fprintf(f, "lockmon_up %d\n", up);
	if (up) {
		if (st.version[0]) {
			family(f, "lockmon_module_info", "gauge",
			       "The module's version, as a label.");
			fputs("lockmon_module_info{version=\"", f);
			label(f, st.version);
			fputs("\"} 1\n", f);
		}
		lmr_state_sort(&st);
		c.syms = lmr_syms_new(&keep, true);
		if (c.syms) {
			write_processes(&c, f, sv->max_locks, sv);
			write_locks(&c, f, sv->max_locks, sv);
			lmr_syms_free(c.syms);
		}
		write_findings(&st, f);
		write_stats(&st, f);
	} else {
		sv->folded_locks = sv->folded_procs = 0;
	}
	write_reporter(sv, f);
	lmr_state_free(&st);
	lmr_state_free(&keep);
	return up ? 0 : -ENODEV;
}

/* ---- profiles ------------------------------------------------------------ */

static const struct {
	const char *path;		/* under /debug/pprof/ */
	enum lmr_profile kind;
} profiles[] = {
	{ "mutex", LMR_PROFILE_MUTEX },
	{ "block", LMR_PROFILE_BLOCK },
	{ "threads", LMR_PROFILE_THREADS },
	{ "goroutine", LMR_PROFILE_THREADS },	/* Go's name, for profilers */
	{ "threadcreate", LMR_PROFILE_THREADCREATE },
};

static int gzip_buf(const unsigned char *in, size_t len, char **out,
		    size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap = deflateBound(&z, len) + 64;
	int r;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len) + 64;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)*out;
	z.avail_out = (uInt)cap;
	r = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

static void text_resp(struct lmr_http_resp *rs, int status, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void text_resp(struct lmr_http_resp *rs, int status, const char *fmt,
		      ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	rs->status = status;
	rs->type = "text/plain; charset=utf-8";
	rs->body = n < 0 ? NULL : s;
	rs->len = n < 0 ? 0 : (size_t)n;
}

/* "seconds" of the query: 0 if absent; -1 if bad. by= into *@by. */
static int query_seconds(const char *q, const char **bad,
			 enum lmr_profile_by *by)
{
	const char *p = q, *v, *e;
	unsigned long long n = 0;
	char num[16];
	size_t len;
	int seen = 0;

	while (*p) {
		e = strchr(p, '&');
		len = e ? (size_t)(e - p) : strlen(p);
		v = memchr(p, '=', len);
		if (v && v - p == 7 && !strncmp(p, "seconds", 7)) {
			size_t vl = len - 8;

			if (seen++ || !vl || vl >= sizeof(num)) {
				*bad = "seconds: not a whole number of seconds (0..300), once";
				return -1;
			}
			memcpy(num, v + 1, vl);
			num[vl] = 0;
			if (lmr_parse_uint(num, 300, &n)) {
				*bad = "seconds: not a whole number of seconds (0..300)";
				return -1;
			}
		} else if (v && v - p == 2 && !strncmp(p, "by", 2)) {
			if (len == 9 && !strncmp(p + 3, "waiter", 6)) {
				*by = LMR_BY_WAITER;
			} else if (len == 8 && !strncmp(p + 3, "waker", 5)) {
				*by = LMR_BY_WAKER;
			} else {
				*bad = "by: waiter or waker";
				return -1;
			}
		} else if (v && v - p == 5 && !strncmp(p, "debug", 5)) {
			if (len != 7 || p[6] != '0') {
				*bad = "debug: only debug=0 (the protobuf) is served";
				return -1;
			}
		}
		/* others (gc=1, ...) are Go's and change nothing here */
		p += len + (e != NULL);
	}
	return (int)n;
}

/* the profile of @st, gzip-compressed, as the response */
static void profile_of(struct lmr_ctx *c, enum lmr_profile kind,
		       enum lmr_profile_by by, struct lmr_http_resp *rs)
{
	struct lmr_pb pb = { 0 };
	char *gz = NULL;
	size_t gzlen = 0;

	if (!c->syms || lmr_pprof_build(c, kind, by, &pb) ||
	    gzip_buf(pb.buf, pb.len, &gz, &gzlen)) {
		text_resp(rs, 500, "500 Internal Server Error: the profile could not be encoded\n");
	} else {
		rs->status = 200;
		rs->type = "application/octet-stream";
		rs->headers = "Content-Disposition: attachment; filename=\"profile\"\r\n";
		rs->body = gz;
		gz = NULL;
		rs->len = gzlen;
	}
	free(gz);
	free(pb.buf);
}

/* no seconds: the live state, the threads blocked now */
static void profile_live(struct lmr_serve *sv, enum lmr_profile kind,
			 enum lmr_profile_by by, struct lmr_http_resp *rs)
{
	struct lmr_state st = { 0 }, keep = { 0 };
	struct lmr_ctx c = { .st = &st, .o = sv->o };

	if (lmr_serve_load(sv, &st, LMR_F_LOCKS | LMR_F_TASKS | LMR_F_STACKS)) {
		sv->read_errors++;
		lmr_state_free(&st);
		text_resp(rs, 503, "503 Service Unavailable: the lockmon module is not loaded\n");
		rs->retry = true;
		return;
	}
	lmr_state_sort(&st);
	c.syms = lmr_syms_new(&keep, true);
	profile_of(&c, kind, by, rs);
	if (c.syms)
		lmr_syms_free(c.syms);
	lmr_state_free(&st);
	lmr_state_free(&keep);
}

/*
 * seconds=N: a recording of N seconds, by a child running record into a
 * file of its own (its own tracefs instance, its memory given back when
 * it exits), read back and profiled once it has exited.
 */
struct pending {
	pid_t child;
	char path[64];
	u64 give_up_ns;
	enum lmr_profile kind;
	enum lmr_profile_by by;
};

static void pending_end(struct lmr_serve *sv, struct pending *p)
{
	int status;

	if (p->child > 0) {
		kill(p->child, SIGKILL);
		waitpid(p->child, &status, 0);
	}
	unlink(p->path);
	sv->recordings--;
	free(p);
}

static void serve_cancel(void *ctx, void *pending)
{
	pending_end(ctx, pending);
}

static struct pending *recording_start(struct lmr_serve *sv,
				       enum lmr_profile kind,
				       enum lmr_profile_by by, unsigned int secs)
{
	struct pending *p = calloc(1, sizeof(*p));
	int fd;

	if (!p)
		return NULL;
	snprintf(p->path, sizeof(p->path), "/tmp/lockmon-serve-XXXXXX");
	fd = mkstemp(p->path);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	p->kind = kind;
	p->by = by;
	p->give_up_ns = lmr_http_now_ns() + (secs + 60ull) * 1000000000ull;
	p->child = fork();
	if (p->child < 0) {
		unlink(p->path);
		free(p);
		return NULL;
	}
	if (!p->child) {
		struct lmr_opts ro = { .output = p->path, .duration = secs };
		int null = open("/dev/null", O_WRONLY);

		/* the server's sockets are not the child's; its words go */
		close_range(3, ~0U, 0);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		_exit((sv->record ? sv->record : lmr_cmd_record)(&ro) ? 1 : 0);
	}
	sv->recordings++;
	return p;
}

static bool module_here(struct lmr_serve *sv)
{
	struct lmr_state st = { 0 };
	int err = lmr_serve_load(sv, &st, 0);

	lmr_state_free(&st);
	return !err;
}

/* the recording is done: its profile; 1 while the child still runs */
static int recording_done(struct lmr_serve *sv, struct pending *p,
			  struct lmr_http_resp *rs, u64 *until)
{
	struct lmr_state st = { 0 };
	struct lmr_ctx c = { .st = &st, .o = sv->o };
	pid_t r;
	int status = 0;

	r = waitpid(p->child, &status, WNOHANG);
	if (r == 0 && lmr_http_now_ns() < p->give_up_ns) {
		*until = lmr_http_now_ns() + 20000000ull;
		return 1;
	}
	if (r == p->child)
		p->child = 0;
	if (r != p->child && r == 0) {
		text_resp(rs, 500, "500 Internal Server Error: the recording did not end\n");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		sv->read_errors++;
		text_resp(rs, 503, "503 Service Unavailable: the recording failed (is the lockmon module loaded?)\n");
		rs->retry = true;
	} else if (lmr_record_load(p->path, 0, &st)) {
		text_resp(rs, 500, "500 Internal Server Error: the recording could not be read\n");
	} else {
		c.syms = lmr_syms_new(&st, false);
		profile_of(&c, p->kind, p->by, rs);
		if (c.syms)
			lmr_syms_free(c.syms);
	}
	lmr_state_free(&st);
	pending_end(sv, p);
	return 0;
}

static bool path_is(const struct lmr_http_req *rq, const char *p)
{
	return rq->path_len == strlen(p) && !strncmp(rq->target, p, rq->path_len);
}

int lmr_serve_handle(void *ctx, const struct lmr_http_req *rq,
		     struct lmr_http_resp *rs, void **pending, u64 *until)
{
	struct lmr_serve *sv = ctx;
	enum lmr_profile_by by = LMR_BY_DEFAULT;
	const char *bad = NULL;
	char *buf = NULL;
	size_t len = 0, i, kind = ~(size_t)0;
	struct pending *p;
	FILE *f;
	int secs;

	if (*pending)
		return recording_done(sv, *pending, rs, until);
	if (path_is(rq, "/metrics")) {
		f = open_memstream(&buf, &len);
		if (!f) {
			text_resp(rs, 500, "500 Internal Server Error: out of memory\n");
			return 0;
		}
		lmr_metrics_write(sv, f);
		if (fclose(f)) {
			free(buf);
			text_resp(rs, 500, "500 Internal Server Error: out of memory\n");
			return 0;
		}
		rs->status = 200;
		rs->type = "text/plain; version=0.0.4; charset=utf-8";
		rs->body = buf;
		rs->len = len;
		return 0;
	}
	if (path_is(rq, "/debug/pprof/") || path_is(rq, "/debug/pprof")) {
		text_resp(rs, 200,
			  "lockmon-report serve: profiles of every process's futex waits\n"
			  "/debug/pprof/mutex?seconds=N\n/debug/pprof/block?seconds=N\n"
			  "/debug/pprof/threads (also /debug/pprof/goroutine)\n"
			  "/debug/pprof/threadcreate?seconds=N\n");
		return 0;
	}
	if (path_is(rq, "/")) {
		text_resp(rs, 200,
			  "lockmon-report serve\n/metrics\n/debug/pprof/\n");
		return 0;
	}
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/debug/pprof/%s", profiles[i].path);
		if (path_is(rq, path))
			kind = i;
	}
	if (kind == ~(size_t)0) {
		text_resp(rs, 404, "404 Not Found: /metrics and /debug/pprof/{mutex,block,threads,goroutine,threadcreate} are served\n");
		return 0;
	}
	secs = query_seconds(rq->query, &bad, &by);
	if (secs < 0) {
		text_resp(rs, 400, "400 Bad Request: %s\n", bad);
		return 0;
	}
	if (!secs) {
		profile_live(sv, profiles[kind].kind, by, rs);
		return 0;
	}
	/* seconds=N: a recording of N seconds, the other requests served */
	if (!module_here(sv)) {
		text_resp(rs, 503, "503 Service Unavailable: the lockmon module is not loaded\n");
		rs->retry = true;
		return 0;
	}
	if (sv->recordings >= LMR_SERVE_RECORDINGS) {
		text_resp(rs, 503, "503 Service Unavailable: %d recordings under way already\n",
			  LMR_SERVE_RECORDINGS);
		rs->retry = true;
		return 0;
	}
	p = recording_start(sv, profiles[kind].kind, by, (unsigned int)secs);
	if (!p) {
		text_resp(rs, 500, "500 Internal Server Error: cannot start the recording: %s\n",
			  strerror(errno));
		return 0;
	}
	*pending = p;
	*until = lmr_http_now_ns() + (u64)secs * 1000000000ull;
	return 1;
}

/* ---- the commands ------------------------------------------------------- */

static volatile sig_atomic_t serve_quit;

static void on_quit(int sig)
{
	(void)sig;
	serve_quit = 1;
}

int lmr_cmd_serve(const struct lmr_opts *o)
{
	struct lmr_serve sv = { .o = o, .serving = true };
	struct sigaction sa = { .sa_handler = on_quit };
	int lfd, err, port;

	sv.max_locks = o->max_locks;
	err = lmr_check_live(false);
	if (err)
		return err;
	lfd = lmr_http_listen(o->listen ? o->listen : LMR_SERVE_LISTEN,
			      o->unix_path);
	if (lfd < 0)
		return lfd;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	port = lmr_http_port(lfd);
	if (o->unix_path)
		fprintf(stderr, "lockmon-report: serving on unix:%s\n",
			o->unix_path);
	else
		fprintf(stderr, "lockmon-report: serving on %s (port %d)\n",
			o->listen ? o->listen : LMR_SERVE_LISTEN, port);
	sv.http.fn = lmr_serve_handle;
	sv.http.cancel = serve_cancel;
	sv.http.ctx = &sv;
	sv.http.quit = &serve_quit;
	err = lmr_http_run(&sv.http, lfd);
	close(lfd);
	if (o->unix_path)
		unlink(o->unix_path);
	return err;
}

/* written to FILE.tmp.PID in its directory, then renamed over FILE */
int lmr_cmd_metrics(const struct lmr_opts *o)
{
	struct lmr_serve sv = { .o = o };
	char *tmp = NULL;
	FILE *f;
	int err, fd;

	sv.max_locks = o->max_locks;
	err = lmr_check_live(false);
	if (err)
		return err;
	if (!o->output) {
		lmr_metrics_write(&sv, stdout);
		return 0;
	}
	if (asprintf(&tmp, "%s.tmp.%d", o->output, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		err = errno;
		lmr_err("-o: cannot create %s: %s", tmp, strerror(err));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -err;
	}
	lmr_metrics_write(&sv, f);
	err = 0;
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno ? errno : EIO;
	if (!err && rename(tmp, o->output))
		err = errno;
	if (err) {
		lmr_err("-o: cannot write %s: %s", o->output, strerror(err));
		unlink(tmp);
	}
	free(tmp);
	return -err;
}
