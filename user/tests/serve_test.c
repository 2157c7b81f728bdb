// SPDX-License-Identifier: GPL-2.0
/*
 * serve and metrics on the host: the server (http.c and serve.c) runs in
 * a child over the debugfs fixtures instead of the module, and is sent
 * good and bad requests over TCP. Bad requests get their status and leave
 * the server as it was; the module "unloaded" (a flag file) gives
 * lockmon_up 0 and 503 for the profiles; connections are served at once
 * while one is half sent and one waits on ?seconds=1; over 10,000
 * requests the child's RSS stays flat. With promtool (Debian's
 * prometheus), the exposition passes "promtool check metrics".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "test.h"
#include <strings.h>
#include "../http.h"
#include "../serve.h"

static char away_flag[64];
static int port;
static pid_t child;

/* the fixtures of user/demo/contend stand for the module's files */
static int fixture_load(struct lmr_serve *sv, struct lmr_state *st,
			unsigned int files)
{
	char *t;

	(void)sv;
	if (!access(away_flag, F_OK))
		return -ENODEV;
	st->source = "debugfs";
	snprintf(st->version, sizeof(st->version), "test");
#define LOAD(flag, file, fn)						\
	if (files & (flag)) {						\
		t = fixture(file);					\
		if (fn(t, st)) {					\
			free(t);					\
			return -EINVAL;					\
		}							\
		free(t);						\
	}
	LOAD(LMR_F_LOCKS, "contend-locks.txt", lmr_parse_locks);
	LOAD(LMR_F_TASKS, "contend-tasks.txt", lmr_parse_tasks);
	LOAD(LMR_F_STACKS, "contend-stacks.txt", lmr_parse_stacks);
	LOAD(LMR_F_STATS, "contend-stats.txt", lmr_parse_stats);
	LOAD(LMR_F_FINDINGS, "graph-deadlocks.txt", lmr_parse_deadlocks);
	return 0;
}

/* seconds=N's child: an empty recording after N seconds */
static int fake_record(const struct lmr_opts *ro)
{
	struct lmr_writer w;
	struct timespec ts = { (time_t)ro->duration, 0 };

	nanosleep(&ts, NULL);
	if (lmr_writer_open(&w, ro->output))
		return -1;
	return lmr_writer_close(&w, 0, 0);
}

static volatile sig_atomic_t quit;

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static void start_server(unsigned int max_locks)
{
	static struct lmr_opts o;
	int lfd;

	snprintf(away_flag, sizeof(away_flag), "/tmp/serve_test.away.%d",
		 (int)getpid());
	unlink(away_flag);
	lfd = lmr_http_listen("127.0.0.1:0", NULL);
	if (lfd < 0)
		exit(1);
	port = lmr_http_port(lfd);
	child = fork();
	if (child == 0) {
		struct lmr_serve sv = { .o = &o, .serving = true };

		signal(SIGTERM, on_term);
		signal(SIGPIPE, SIG_IGN);
		o.max_locks = max_locks;
		sv.max_locks = max_locks;
		sv.load = fixture_load;
		sv.record = fake_record;
		sv.http.cancel = NULL;
		sv.http.fn = lmr_serve_handle;
		sv.http.ctx = &sv;
		sv.http.quit = &quit;
		sv.http.idle_timeout_ms = 2000;
		lmr_http_run(&sv.http, lfd);
		_exit(0);
	}
	close(lfd);
}

static void stop_server(void)
{
	int status;

	kill(child, SIGTERM);
	waitpid(child, &status, 0);
	unlink(away_flag);
}

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		printf("#  connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/*
 * One response read from @fd: its status, its body into *@body (to free)
 * if asked; -1 if the connection closed first or 5 s passed.
 */
static int read_resp(int fd, char **body, size_t *blen)
{
	static char buf[1 << 20];
	size_t n = 0, hl, cl = 0;
	char *e, *p;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int status;

	for (;;) {
		e = memmem(buf, n, "\r\n\r\n", 4);
		if (e) {
			hl = (size_t)(e - buf) + 4;
			p = strcasestr(buf, "\r\nContent-Length:");
			if (!p || p > e)
				return -1;
			cl = strtoul(p + 17, NULL, 10);
			if (n >= hl + cl)
				break;
		}
		if (poll(&pf, 1, 5000) != 1 || n == sizeof(buf))
			return -1;
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	if (sscanf(buf, "HTTP/1.1 %d ", &status) != 1)
		return -1;
	if (body) {
		*body = malloc(cl + 1);
		memcpy(*body, buf + hl, cl);
		(*body)[cl] = 0;
		if (blen)
			*blen = cl;
	}
	/* keep what follows for the next response of a pipelined run */
	if (n > hl + cl) {
		printf("#  %zu bytes past the response\n", n - hl - cl);
		return -1;
	}
	return status;
}

/* one request on a new connection: its status */
static int request(const char *raw, char **body)
{
	int fd = dial(), st;

	send_all(fd, raw, strlen(raw));
	st = read_resp(fd, body, NULL);
	close(fd);
	return st;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

/* what the server sends on a new connection until it closes it */
static char *until_eof(const char *raw)
{
	char *buf = calloc(1, 1 << 20);
	size_t n = 0;
	ssize_t r;
	int fd = dial();

	send_all(fd, raw, strlen(raw));
	while (n < (1 << 20) - 1 && (r = read(fd, buf + n, (1 << 20) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	return buf;
}

static void test_good(void)
{
	char *b = NULL;

	CHECK(request(GET("/metrics"), &b) == 200);
	CHECK(b && strstr(b, "lockmon_up 1\n"));
	CHECK(b && strstr(b, "# TYPE lockmon_lock_wait_seconds_total counter\n"));
	CHECK(b && strstr(b, "# TYPE lockmon_lock_wait_duration_seconds histogram\n"));
	CHECK(b && strstr(b, "lockmon_module_stacks_dropped_total "));
	CHECK(b && strstr(b, "lockmon_findings{kind=\"cycle\"} "));
	CHECK(b && strstr(b, "lockmon_process_wait_seconds_total{pid=\""));
	CHECK(b && strstr(b, "le=\"+Inf\""));
	free(b);
	b = NULL;
	CHECK(request(GET("/debug/pprof/mutex"), &b) == 200);
	/* gzip's magic: the body is a compressed profile, as Go's is */
	CHECK(b && (unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b);
	free(b);
	CHECK(request(GET("/debug/pprof/block?debug=0&gc=1"), NULL) == 200);
	CHECK(request(GET("/debug/pprof/threads"), NULL) == 200);
	CHECK(request(GET("/debug/pprof/threadcreate"), NULL) == 200);
	b = until_eof("HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	/* a head that says how long the body is, and no body */
	CHECK(b && !strncmp(b, "HTTP/1.1 200 OK\r\n", 17) &&
	      strstr(b, "\r\n\r\n") && !strstr(b, "\r\n\r\n")[4]);
	free(b);
}

static void test_bad_requests(void)
{
	static const struct {
		const char *raw;
		int status;
	} cases[] = {
		{ "HELLO\r\n\r\n", 400 },
		{ "GET /metrics\r\n\r\n", 400 },
		{ "GET metrics HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400 },		/* no Host */
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nX: a\001b\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400 },
		{ "GET /metrics HTTP/9.1\r\nHost: t\r\n\r\n", 505 },
		{ "POST /metrics HTTP/1.1\r\nHost: t\r\n\r\n", 405 },
		{ "DELETE /debug/pprof/mutex HTTP/1.1\r\nHost: t\r\n\r\n", 405 },
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 413 },
		{ "GET /metrics HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", 413 },
		{ GET("/nothing"), 404 },
		{ GET("/metrics/"), 404 },
		{ GET("/debug/pprof/heap"), 404 },
		{ GET("/debug/pprof/mutex?seconds=x"), 400 },
		{ GET("/debug/pprof/mutex?seconds=301"), 400 },
		{ GET("/debug/pprof/mutex?seconds=-1"), 400 },
		{ GET("/debug/pprof/mutex?seconds=1&seconds=2"), 400 },
		{ GET("/debug/pprof/mutex?debug=1"), 400 },
	};
	char big[LMR_HTTP_HEAD + 512], target[LMR_HTTP_TARGET + 64];
	char *before = NULL, *after = NULL;
	size_t i;
	int st;

	CHECK(request(GET("/metrics"), &before) == 200);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = request(cases[i].raw, NULL);
		if (st != cases[i].status)
			printf("#  case %zu: %d, not %d\n", i, st, cases[i].status);
		CHECK(st == cases[i].status);
	}
	/* a head over 8 KiB */
	snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: t\r\nX: ");
	memset(big + strlen(big), 'a', sizeof(big) - strlen(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(request(big, NULL) == 413);
	/* a target over 1 KiB */
	memset(target, 'a', sizeof(target));
	target[0] = '/';
	target[sizeof(target) - 1] = 0;
	snprintf(big, sizeof(big), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", target);
	CHECK(request(big, NULL) == 414);
	/* nothing changed: the exposition is the same but for the counters */
	CHECK(request(GET("/metrics"), &after) == 200);
	CHECK(before && after &&
	      !strncmp(before, after, (size_t)(strstr(before, "lockmon_report_") - before)));
	free(before);
	free(after);
}

static void test_module_away(void)
{
	char *b = NULL;
	FILE *f = fopen(away_flag, "w");

	CHECK(f);
	if (f)
		fclose(f);
	CHECK(request(GET("/metrics"), &b) == 200);
	CHECK(b && strstr(b, "lockmon_up 0\n") && !strstr(b, "lockmon_lock_"));
	free(b);
	CHECK(request(GET("/debug/pprof/mutex"), NULL) == 503);
	unlink(away_flag);
	b = NULL;
	CHECK(request(GET("/metrics"), &b) == 200);
	CHECK(b && strstr(b, "lockmon_up 1\n"));
	free(b);
}

static void test_cap(void)
{
	char *b = NULL, *p;
	int n = 0;

	stop_server();
	start_server(1);
	CHECK(request(GET("/metrics"), &b) == 200);
	for (p = b; p && (p = strstr(p, "\nlockmon_lock_waits_total{")); p++)
		n++;
	CHECK(n == 2);		/* the first lock and "other" */
	CHECK(b && strstr(b, "lockmon_lock_waits_total{pid=\"other\",comm=\"other\",lock=\"other\""));
	CHECK(b && strstr(b, "lockmon_report_max_locks 1\n"));
	free(b);
	stop_server();
	start_server(50);
}

static void test_promtool(void)
{
	char *b = NULL;
	FILE *p;
	int st;

	if (system("command -v promtool >/dev/null 2>&1")) {
		printf("#  promtool not installed (Debian's prometheus): skipped\n");
		return;
	}
	CHECK(request(GET("/metrics"), &b) == 200);
	p = popen("promtool check metrics", "w");
	CHECK(p);
	if (!p || !b)
		return;
	fputs(b, p);
	st = pclose(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(b);
}

static void test_concurrent(void)
{
	int slow, deferred, fds[20], i, ok = 0;
	struct timespec a, z;
	char *b = NULL;

	/* one client half-sends its request, one waits on seconds=1 */
	slow = dial();
	send_all(slow, "GET /metrics HTTP/1.1\r\nHo", 25);
	deferred = dial();
	send_all(deferred, GET("/debug/pprof/mutex?seconds=1"),
		 strlen(GET("/debug/pprof/mutex?seconds=1")));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 20; i++) {
		fds[i] = dial();
		send_all(fds[i], GET("/metrics"), strlen(GET("/metrics")));
	}
	for (i = 0; i < 20; i++) {
		ok += read_resp(fds[i], NULL, NULL) == 200;
		close(fds[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &z);
	CHECK(ok == 20);
	/* served while the other two wait */
	CHECK(z.tv_sec - a.tv_sec < 1 || (z.tv_sec - a.tv_sec == 1 && z.tv_nsec < a.tv_nsec));
	CHECK(read_resp(deferred, &b, NULL) == 200);
	clock_gettime(CLOCK_MONOTONIC, &z);
	CHECK((z.tv_sec - a.tv_sec) * 1000 + (z.tv_nsec - a.tv_nsec) / 1000000 >= 950);
	free(b);
	close(deferred);
	send_all(slow, "st: t\r\n\r\n", 9);
	CHECK(read_resp(slow, NULL, NULL) == 200);
	close(slow);
}

/* seconds=N: at most LMR_SERVE_RECORDINGS at once, the rest 503 */
static void test_recordings(void)
{
	const char *r = GET("/debug/pprof/mutex?seconds=1");
	int fds[LMR_SERVE_RECORDINGS + 1], i, ok = 0, busy = 0, st;
	char *b = NULL;

	for (i = 0; i <= LMR_SERVE_RECORDINGS; i++) {
		fds[i] = dial();
		send_all(fds[i], r, strlen(r));
		/* in order, so the last one finds the others under way */
		usleep(50000);
	}
	for (i = 0; i <= LMR_SERVE_RECORDINGS; i++) {
		st = read_resp(fds[i], i ? NULL : &b, NULL);
		ok += st == 200;
		busy += st == 503;
		close(fds[i]);
	}
	CHECK(ok == LMR_SERVE_RECORDINGS && busy == 1);
	CHECK(b && (unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b);
	free(b);
	/* and the slots are free again */
	CHECK(request(r, NULL) == 200);
}

/* keep-alive: several requests on one connection, pipelined */
static void test_keepalive(void)
{
	int fd = dial(), i, ok = 0;
	const char *two = GET("/metrics") GET("/debug/pprof/")
		"GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char *b, *p;

	for (i = 0; i < 5; i++) {
		send_all(fd, GET("/metrics"), strlen(GET("/metrics")));
		ok += read_resp(fd, NULL, NULL) == 200;
	}
	CHECK(ok == 5);
	close(fd);
	/* three requests in one write, answered in order */
	b = until_eof(two);
	p = b ? strstr(b, "HTTP/1.1 200 OK\r\n") : NULL;
	p = p ? strstr(p + 1, "HTTP/1.1 200 OK\r\n") : NULL;
	CHECK(p && strstr(p, "HTTP/1.1 404 Not Found\r\n"));
	free(b);
	fd = dial();
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
		 strlen("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
	CHECK(read_resp(fd, NULL, NULL) == 200);
	CHECK(read(fd, &i, 1) == 0);	/* closed after it */
	close(fd);
}

static long child_rss_kb(void)
{
	char path[64], *s, *p;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	s = lmr_read_file(path, NULL, 1 << 16);
	p = s ? strstr(s, "VmRSS:") : NULL;
	if (p)
		kb = strtol(p + 6, NULL, 10);
	free(s);
	return kb;
}

/* 10,000 requests of every kind: the server's RSS stays flat */
static void test_memory(void)
{
	static const char *const reqs[] = {
		GET("/metrics"), GET("/debug/pprof/mutex"), GET("/nothing"),
		"POST / HTTP/1.1\r\nHost: t\r\n\r\n", GET("/debug/pprof/block"),
		"HELLO\r\n\r\n",
	};
	long before, after;
	int i, fd = -1, ok = 0, st;

	for (i = 0; i < 500; i++)
		ok += request(reqs[i % 6], NULL) > 0;
	before = child_rss_kb();
	for (i = 0; i < 10000; i++) {
		const char *r = reqs[i % 6];

		/* half on kept-alive connections, half on new ones */
		if (i % 2 && (i % 6) != 5 && (i % 6) != 3 && (i % 6) != 2) {
			if (fd < 0)
				fd = dial();
			send_all(fd, r, strlen(r));
			st = read_resp(fd, NULL, NULL);
			if (st != 200) {
				close(fd);
				fd = -1;
			}
		} else {
			st = request(r, NULL);
		}
		ok += st > 0;
	}
	if (fd >= 0)
		close(fd);
	after = child_rss_kb();
	printf("# RSS before 10000 requests %ld KiB, after %ld KiB; %d answered\n",
	       before, after, ok);
	CHECK(ok == 10500);
	CHECK(before > 0 && after > 0 && after - before < 512);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	start_server(50);
	RUN(test_good);
	RUN(test_bad_requests);
	RUN(test_module_away);
	RUN(test_cap);
	RUN(test_promtool);
	RUN(test_concurrent);
	RUN(test_recordings);
	RUN(test_keepalive);
	RUN(test_memory);
	stop_server();
	DONE();
}
