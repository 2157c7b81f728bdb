// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP/1.1 server of "lockmon-report serve": one thread, poll(), a
 * fixed table of connections, each with a fixed input buffer, so its
 * memory does not grow with the number of requests or clients.
 *
 * It takes GET and HEAD without a body, keeps connections alive (HTTP/1.1
 * unless "Connection: close"), answers pipelined requests in order, and
 * refuses the rest with a status and a closed connection: 400 for what
 * does not parse, 405 for other methods, 413 for a body or a request head
 * over LMR_HTTP_HEAD bytes, 414 for a long target, 505 for another HTTP
 * version, 503 when every connection slot is taken. A handler may park a
 * request until a time (?seconds=N): the other connections go on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "http.h"

enum { C_FREE, C_READ, C_DEFER, C_WRITE };

struct conn {
	int fd;
	int state;
	bool keep;			/* after this response */
	u64 deadline_ns;		/* C_READ: idle; C_DEFER: wake; C_WRITE */
	struct lmr_http_req rq;
	void *pending;			/* the handler's, while C_DEFER */
	size_t inlen;
	char in[LMR_HTTP_HEAD];
	char *out;
	size_t outlen, outoff;
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

u64 lmr_http_now_ns(void)
{
	return now_ns();
}

const char *lmr_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* ---- listening -------------------------------------------------------- */

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (127.0.0.1) into @ss */
int lmr_http_parse_addr(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon;
	unsigned long long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (!hl)
			strcpy(host, "127.0.0.1");
	}
	if (lmr_parse_uint(colon + 1, 65535, &port))
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

int lmr_http_listen(const char *addr, const char *unix_path)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len;
	struct stat sb;
	int fd, one = 1, err;

	if (unix_path) {
		if (strlen(unix_path) >= sizeof(un.sun_path)) {
			lmr_err("--unix: path too long (at most %zu bytes): %s",
				sizeof(un.sun_path) - 1, unix_path);
			return -EINVAL;
		}
		strcpy(un.sun_path, unix_path);
		/* a socket left by an earlier run is replaced, nothing else */
		if (!lstat(unix_path, &sb)) {
			if (!S_ISSOCK(sb.st_mode)) {
				lmr_err("--unix: %s exists and is not a socket",
					unix_path);
				return -EEXIST;
			}
			unlink(unix_path);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) ||
		    listen(fd, 64)) {
			err = errno;
			lmr_err("--unix: cannot listen on %s: %s", unix_path,
				strerror(err));
			if (fd >= 0)
				close(fd);
			return -err;
		}
		return fd;
	}
	if (lmr_http_parse_addr(addr, &ss, &len)) {
		lmr_err("--listen: not ADDR:PORT (127.0.0.1:9464, [::1]:9464): '%s'",
			addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		err = errno;
		lmr_err("--listen: cannot listen on %s: %s", addr, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

/* the port a listening socket got (for --listen ADDR:0) */
int lmr_http_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * The head of @len bytes (ending in CRLF CRLF) into @rq: 0, or the
 * status to refuse it with.
 */
int lmr_http_parse(const char *head, size_t len, struct lmr_http_req *rq)
{
	const char *p = head, *end = head + len, *eol, *sp, *q, *colon;
	size_t n;
	bool host = false, v11;

	memset(rq, 0, sizeof(*rq));
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (!eol)
		return 400;
	/* method */
	for (sp = p; sp < eol && tchar(*sp); sp++)
		;
	if (sp == p || sp >= eol || *sp != ' ')
		return 400;
	n = (size_t)(sp - p);
	if (n >= sizeof(rq->method))
		n = sizeof(rq->method) - 1;
	memcpy(rq->method, p, n);
	/* target */
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (!sp || sp == p)
		return 400;
	for (q = p; q < sp; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return 400;
	if (*p != '/')
		return 400;
	n = (size_t)(sp - p);
	if (n >= sizeof(rq->target))
		return 414;
	memcpy(rq->target, p, n);
	q = memchr(rq->target, '?', n);
	rq->query = q ? q + 1 : rq->target + n;
	rq->path_len = q ? (size_t)(q - rq->target) : n;
	/* version */
	p = sp + 1;
	n = (size_t)(eol - p);
	if (n != 8 || strncmp(p, "HTTP/", 5) || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9')
		return 400;
	if (p[5] != '1')
		return 505;
	v11 = p[7] != '0';
	rq->keep = v11;
	/* header fields */
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			return 400;
		if (eol == p)
			break;		/* the empty line */
		for (colon = p; colon < eol && tchar(*colon); colon++)
			;
		if (colon == p || colon >= eol || *colon != ':')
			return 400;
		for (q = colon + 1; q < eol; q++)
			if (((unsigned char)*q < ' ' && *q != '\t') || *q == 0x7f)
				return 400;
		n = (size_t)(colon - p);
		for (q = colon + 1; q < eol && (*q == ' ' || *q == '\t'); q++)
			;
		if (n == 4 && !strncasecmp(p, "host", 4)) {
			if (host)
				return 400;
			host = true;
		} else if (n == 14 && !strncasecmp(p, "content-length", 14)) {
			const char *d;

			if (q == eol)
				return 400;
			for (d = q; d < eol && *d >= '0' && *d <= '9'; d++)
				;
			while (d < eol && (*d == ' ' || *d == '\t'))
				d++;
			if (d != eol)
				return 400;
			for (d = q; d < eol && *d == '0'; d++)
				;
			if (d < eol && *d >= '0' && *d <= '9')
				return 413;	/* a body: none is taken */
		} else if (n == 17 && !strncasecmp(p, "transfer-encoding", 17)) {
			return 413;
		} else if (n == 10 && !strncasecmp(p, "connection", 10)) {
			if (memmem(q, (size_t)(eol - q), "close", 5))
				rq->keep = false;
			else if (!v11 && memmem(q, (size_t)(eol - q),
						"keep-alive", 10))
				rq->keep = true;
		} else if (n == 15 && !strncasecmp(p, "accept-encoding", 15)) {
			if (memmem(q, (size_t)(eol - q), "gzip", 4))
				rq->gzip_ok = true;
		}
	}
	if (v11 && !host)
		return 400;
	if (!strcmp(rq->method, "HEAD"))
		rq->head = true;
	else if (strcmp(rq->method, "GET"))
		return 405;
	return 0;
}

/* ---- the connections -------------------------------------------------- */

static void conn_close(struct conn *c)
{
	c->pending = NULL;
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = C_FREE;
}

/* the response's head and (unless HEAD) body as c->out, then write it */
static void respond(struct lmr_http *s, struct conn *c,
		    struct lmr_http_resp *rs)
{
	const char *type = rs->type ? rs->type : "text/plain; charset=utf-8";
	char head[1024];
	int hl;

	if (rs->status >= 400)
		c->keep = false;
	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		      "Content-Length: %zu\r\n%s%s%s"
		      "X-Content-Type-Options: nosniff\r\n"
		      "Connection: %s\r\n\r\n",
		      rs->status, lmr_http_reason(rs->status), type, rs->len,
		      rs->status == 405 ? "Allow: GET, HEAD\r\n" : "",
		      rs->headers ? rs->headers : "",
		      rs->status == 503 && rs->retry ? "Retry-After: 10\r\n" : "",
		      c->keep ? "keep-alive" : "close");
	if (hl < 0 || (size_t)hl >= sizeof(head))
		hl = 0;
	free(c->out);
	c->outlen = (size_t)hl + (c->rq.head ? 0 : rs->len);
	c->out = malloc(c->outlen ? c->outlen : 1);
	if (!c->out) {
		free(rs->body);
		conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)hl);
	if (!c->rq.head && rs->len)
		memcpy(c->out + hl, rs->body, rs->len);
	free(rs->body);
	rs->body = NULL;
	c->outoff = 0;
	c->state = C_WRITE;
	c->deadline_ns = now_ns() + s->io_timeout_ms * 1000000ull;
	s->responses[rs->status / 100 < 6 ? rs->status / 100 : 5]++;
	if (rs->status >= 400)
		s->errors++;
}

static void error_resp(struct lmr_http *s, struct conn *c, int status,
		       const char *why)
{
	struct lmr_http_resp rs = { .status = status };
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%d %s: %s\n", status,
		     lmr_http_reason(status), why);
	rs.body = strdup(buf);
	rs.len = rs.body ? (size_t)n : 0;
	respond(s, c, &rs);
}

static const char *why_of(int status)
{
	switch (status) {
	case 400: return "the request does not parse as HTTP/1.1";
	case 405: return "only GET and HEAD are served";
	case 413: return "request bodies are not taken, and a request head is at most 8 KiB";
	case 414: return "the target is longer than 1 KiB";
	case 505: return "HTTP/1.0 and HTTP/1.1 only";
	}
	return "refused";
}

/* a complete head is in c->in: handle it (or park it) */
static void handle(struct lmr_http *s, struct conn *c)
{
	struct lmr_http_resp rs = { .status = 500 };
	u64 until = 0;
	int r;

	r = s->fn(s->ctx, &c->rq, &rs, &c->pending, &until);
	if (r > 0) {
		c->state = C_DEFER;
		c->deadline_ns = until;
		return;
	}
	c->pending = NULL;
	respond(s, c, &rs);
}

/* try to find and take a request in c->in */
static void take(struct lmr_http *s, struct conn *c)
{
	char *end;
	size_t hl;
	int st;

	end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (!end) {
		if (c->inlen == sizeof(c->in))
			error_resp(s, c, 413, why_of(413));
		return;
	}
	hl = (size_t)(end - c->in) + 4;
	st = lmr_http_parse(c->in, hl, &c->rq);
	memmove(c->in, c->in + hl, c->inlen - hl);
	c->inlen -= hl;
	s->requests++;
	if (st) {
		error_resp(s, c, st, why_of(st));
		return;
	}
	c->keep = c->rq.keep;
	c->pending = NULL;
	handle(s, c);
}

static void on_read(struct lmr_http *s, struct conn *c)
{
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->deadline_ns = now_ns() + s->idle_timeout_ms * 1000000ull;
	take(s, c);
}

static void on_write(struct lmr_http *s, struct conn *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return;
	free(c->out);
	c->out = NULL;
	if (!c->keep) {
		conn_close(c);
		return;
	}
	c->state = C_READ;
	c->deadline_ns = now_ns() + s->idle_timeout_ms * 1000000ull;
	take(s, c);		/* a pipelined request already read */
}

static void refuse(struct lmr_http *s, int fd)
{
	static const char busy[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
		"Content-Length: 43\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
		"503 Service Unavailable: too many clients\n";

	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		s->refused_unsent++;
	close(fd);
	s->refused++;
}

int lmr_http_run(struct lmr_http *s, int lfd)
{
	struct conn *cs;
	struct pollfd *pf;
	int *idx;
	unsigned int i, n;
	int r, ms, fd;
	u64 now, next;

	if (!s->max_conns)
		s->max_conns = LMR_HTTP_CONNS;
	if (!s->idle_timeout_ms)
		s->idle_timeout_ms = 30000;
	if (!s->io_timeout_ms)
		s->io_timeout_ms = 30000;
	cs = calloc(s->max_conns, sizeof(*cs));
	pf = calloc(s->max_conns + 1, sizeof(*pf));
	idx = calloc(s->max_conns + 1, sizeof(*idx));
	if (!cs || !pf || !idx) {
		free(cs);
		free(pf);
		free(idx);
		lmr_err("serve: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < s->max_conns; i++)
		cs[i].fd = -1;
	while (!*s->quit) {
		now = now_ns();
		next = now + 1000000000ull;
		n = 0;
		pf[n].fd = lfd;
		pf[n].events = POLLIN;
		idx[n++] = -1;
		for (i = 0; i < s->max_conns; i++) {
			struct conn *c = &cs[i];

			if (c->state == C_FREE)
				continue;
			if (c->deadline_ns <= now) {
				if (c->state == C_DEFER) {
					handle(s, c);
					if (c->state == C_FREE)
						continue;
					if (c->state == C_DEFER &&
					    c->deadline_ns <= now)
						c->deadline_ns = now + 1000000;
				} else {
					s->timeouts++;
					conn_close(c);
					continue;
				}
			}
			if (c->deadline_ns < next)
				next = c->deadline_ns;
			if (c->state == C_DEFER)
				continue;
			pf[n].fd = c->fd;
			pf[n].events = c->state == C_WRITE ? POLLOUT : POLLIN;
			pf[n].revents = 0;
			idx[n++] = (int)i;
		}
		pf[0].revents = 0;
		ms = (int)((next - now) / 1000000ull) + 1;
		r = poll(pf, n, ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			lmr_err("serve: poll: %s", strerror(errno));
			break;
		}
		if (s->tick)
			s->tick(s->ctx);
		for (i = 1; i < n; i++) {
			struct conn *c = &cs[idx[i]];

			if (!pf[i].revents || c->fd != pf[i].fd)
				continue;
			if (c->state == C_WRITE)
				on_write(s, c);
			else if (c->state == C_READ &&
				 (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				on_read(s, c);
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		/* take what the backlog holds, up to the free slots */
		while ((fd = accept4(lfd, NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			for (i = 0; i < s->max_conns && cs[i].state != C_FREE; i++)
				;
			if (i == s->max_conns) {
				refuse(s, fd);
				continue;
			}
			cs[i].fd = fd;
			cs[i].state = C_READ;
			cs[i].inlen = 0;
			cs[i].deadline_ns = now_ns() +
					    s->idle_timeout_ms * 1000000ull;
			s->accepted++;
		}
	}
	for (i = 0; i < s->max_conns; i++) {
		if (cs[i].state == C_DEFER && cs[i].pending && s->cancel)
			s->cancel(s->ctx, cs[i].pending);
		if (cs[i].state != C_FREE)
			conn_close(&cs[i]);
	}
	free(cs);
	free(pf);
	free(idx);
	return 0;
}
