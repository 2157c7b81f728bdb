/* SPDX-License-Identifier: GPL-2.0 */
/* The HTTP/1.1 server of "lockmon-report serve" (http.c). */
#ifndef LOCKMON_REPORT_HTTP_H
#define LOCKMON_REPORT_HTTP_H

#include <signal.h>
#include <sys/socket.h>
#include "lockmon-report.h"

#define LMR_HTTP_HEAD	8192	/* a request head, at most */
#define LMR_HTTP_TARGET	1024	/* its target, at most */
#define LMR_HTTP_CONNS	32	/* connections served at once */

struct lmr_http_req {
	char method[16];
	char target[LMR_HTTP_TARGET];	/* path?query */
	size_t path_len;		/* of the path in target */
	const char *query;		/* in target, after '?'; "" if none */
	bool head, keep, gzip_ok;
};

struct lmr_http_resp {
	int status;
	const char *type;		/* Content-Type; NULL: text/plain */
	const char *headers;		/* more header lines, each with CRLF */
	char *body;			/* malloc'd, freed by the server */
	size_t len;
	bool retry;			/* 503: say Retry-After */
};

/*
 * A request's handler: fills @rs and returns 0, or returns 1 with *@until
 * (lmr_http_now_ns()'s clock) to be called again then. *@pending is NULL
 * at the first call; what the handler puts there is given back at the
 * next, and to the cancel function if the server stops first.
 */
typedef int (*lmr_http_fn)(void *ctx, const struct lmr_http_req *rq,
			   struct lmr_http_resp *rs, void **pending,
			   u64 *until);

struct lmr_http {
	lmr_http_fn fn;
	void *ctx;
	void (*tick)(void *ctx);	/* after each poll() */
	void (*cancel)(void *ctx, void *pending);
	volatile sig_atomic_t *quit;
	unsigned int max_conns;		/* 0: LMR_HTTP_CONNS */
	unsigned int idle_timeout_ms;	/* 0: 30 s */
	unsigned int io_timeout_ms;	/* 0: 30 s */
	/* counters, for the reporter's own metrics */
	u64 accepted, requests, errors, refused, refused_unsent, timeouts;
	u64 responses[6];		/* by status class: [2] 2xx ... [5] 5xx */
};

int lmr_http_parse_addr(const char *s, struct sockaddr_storage *ss,
			socklen_t *len);
/* a listening socket, or below 0 after one line on stderr */
int lmr_http_listen(const char *addr, const char *unix_path);
int lmr_http_port(int fd);
int lmr_http_parse(const char *head, size_t len, struct lmr_http_req *rq);
int lmr_http_run(struct lmr_http *s, int lfd);
const char *lmr_http_reason(int status);
u64 lmr_http_now_ns(void);

#endif
