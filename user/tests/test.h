/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal harness for the host unit tests: "ok NAME" / "not ok NAME". */
#ifndef LMR_TEST_H
#define LMR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* What a view prints, as a string to free. */
static inline char *capture(void (*fn)(struct lmr_ctx *), struct lmr_ctx *c)
{
	char *buf = NULL;
	size_t len = 0;

	c->out = open_memstream(&buf, &len);
	fn(c);
	fclose(c->out);
	return buf;
}

/* A state as a live view sees it, from the captured debugfs files. */
static inline void live_state(struct lmr_state *st, const char *prefix)
{
	static const struct {
		const char *file;
		int (*parse)(const char *, struct lmr_state *);
	} files[] = {
		{ "locks", lmr_parse_locks }, { "tasks", lmr_parse_tasks },
		{ "waitgraph", lmr_parse_waitgraph },
		{ "deadlocks", lmr_parse_deadlocks },
		{ "stacks", lmr_parse_stacks }, { "stats", lmr_parse_stats },
	};
	char name[64], *t;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->source = "debugfs";
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(name, sizeof(name), "fixtures/%s-%s.txt", prefix,
			 files[i].file);
		if (access(name, F_OK))
			continue;
		t = fixture(name + 9);
		CHECK(files[i].parse(t, st) == 0);
		free(t);
	}
	lmr_state_sort(st);
}

#endif
