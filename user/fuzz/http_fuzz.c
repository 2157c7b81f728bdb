// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: serve's request parser (user/http.c) on a request head, and
 * the query of what it takes through the handler's checks. A head that
 * parses must have a target starting with '/' and a query inside it.
 */
#include <stdlib.h>
#include <string.h>
#include "../http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lmr_http_req rq;
	int st;

	if (size > LMR_HTTP_HEAD)
		return 0;
	st = lmr_http_parse((const char *)data, size, &rq);
	if (st)
		return 0;
	if (rq.target[0] != '/' || rq.query < rq.target ||
	    rq.query > rq.target + strlen(rq.target) ||
	    rq.path_len > strlen(rq.target))
		abort();
	return 0;
}
