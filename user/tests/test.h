/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal harness for the host unit tests: "ok NAME" / "not ok NAME". */
#ifndef LMR_TEST_H
#define LMR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lockmon-report.h"

static int t_pass, t_fail, t_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stdout, "#  %s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
		t_failed = 1;						\
	}								\
} while (0)

#define RUN(fn) do {							\
	t_failed = 0;							\
	fn();								\
	printf("%s %s\n", t_failed ? "not ok" : "ok", #fn);		\
	if (t_failed)							\
		t_fail++;						\
	else								\
		t_pass++;						\
} while (0)

#define DONE() do {							\
	printf("# %d passed, %d failed\n", t_pass, t_fail);		\
	return t_fail ? 1 : 0;						\
} while (0)

static inline char *fixture(const char *name)
{
	char path[256];
	char *s;

	snprintf(path, sizeof(path), "fixtures/%s", name);
	s = lmr_read_file(path, NULL, 1 << 24);
	if (!s) {
		fprintf(stdout, "#  cannot read %s\n", path);
		exit(1);
	}
	return s;
}

#endif
