// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the control-file parser: the very control.c the module
 * builds, compiled for userspace. Also a bounded random fuzz: every input is
 * either accepted with a well-formed command or refused, never anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../control.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok - %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static int parse(const char *s, struct lm_cmd *c)
{
	return lm_parse_control(s, strlen(s), c, NULL);
}

static int parse_why(const char *s, struct lm_cmd *c, const char **why)
{
	return lm_parse_control(s, strlen(s), c, why);
}

static void test_accepts(void)
{
	struct lm_cmd c;

	CHECK(!parse("enable", &c) && c.op == LM_CMD_ENABLE, "enable");
	CHECK(!parse("disable\n", &c) && c.op == LM_CMD_DISABLE, "disable\\n");
	CHECK(!parse("reset", &c) && c.op == LM_CMD_RESET, "reset");
	CHECK(!parse("nofilter", &c) && c.op == LM_CMD_NOFILTER, "nofilter");
	CHECK(!parse("pid 1234", &c) && c.op == LM_CMD_PID && c.num == 1234, "pid");
	CHECK(!parse("pid 0", &c) && c.num == 0, "pid 0");
	CHECK(!parse("pid 4194304", &c) && c.num == 4194304, "pid max");
	CHECK(!parse("tree 77", &c) && c.op == LM_CMD_TREE && c.num == 77, "tree");
	CHECK(!parse("tree 0", &c) && c.op == LM_CMD_TREE && c.num == 0, "tree 0");
	CHECK(!parse("  capture\t100 \n", &c) && c.op == LM_CMD_CAPTURE &&
	      c.num == 100, "capture with blanks");
	CHECK(!parse("stall_ms 10", &c) && c.num == 10, "stall min");
	CHECK(!parse("stack_ns 0", &c) && c.op == LM_CMD_STACK_NS &&
	      c.num == 0, "stack_ns 0: no stacks");
	CHECK(!parse("stack_ns 4000000000", &c) && c.num == 4000000000U,
	      "stack_ns max");
	CHECK(!parse("comm python3", &c) && c.op == LM_CMD_COMM &&
	      !strcmp(c.comm, "python3"), "comm");
	CHECK(!parse("comm 123456789012345", &c) && strlen(c.comm) == 15,
	      "comm of 15");
}

static void test_refuses(void)
{
	static const char *const bad[] = {
		"", "\n", " ", "enable x", "Enable", "pid", "pid -1", "pid +1",
		"pid 1x", "pid 4194305", "pid 99999999999", "pid 00000000001",
		"capture 101", "capture", "stall_ms 9", "stall_ms 3600001",
		"comm", "comm 1234567890123456", "comm a b", "reset\nreset",
		"enable\n\n", "\x01", "pid\x7f", "comm caf\xc3\xa9",
		"stack_ns", "stack_ns 4000000001", "stack_ns 99999999999",
		"stack_ns -1", "stack_ns 1ms",
	};
	struct lm_cmd c = { .op = LM_CMD_RESET, .num = 77 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse(bad[i], &c) == -EINVAL, "accepted \"%s\"", bad[i]);
	CHECK(lm_parse_control("pid 1\0" "2", 7, &c, NULL) == -EINVAL, "embedded NUL");
	{
		char big[LM_CMD_MAX_LEN + 1];

		memset(big, ' ', sizeof(big));
		memcpy(big, "reset", 5);
		CHECK(lm_parse_control(big, sizeof(big), &c, NULL) == -EINVAL, "too long");
	}
	CHECK(c.op == LM_CMD_RESET && c.num == 77, "refusal changed the command");
}

/* Each refusal says why, in words a user can act on. */
static void test_reasons(void)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "", "an empty write" },
		{ "\n", "no command" },
		{ "frobnicate", "unknown command" },
		{ "pid", "this command takes one argument" },
		{ "reset now", "this command takes no argument" },
		{ "pid 1 2", "more than two words" },
		{ "pid 4194305", "pid: not a number in 0..4194304" },
		{ "tree 4194305", "tree: not a number in 0..4194304" },
		{ "tree", "this command takes one argument" },
		{ "tree -1", "tree: not a number in 0..4194304" },
		{ "capture 101", "capture: not a number in 0..100" },
		{ "stall_ms 9", "stall_ms: not a number in 10..3600000" },
		{ "stack_ns 1ms", "stack_ns: not a number in 0..4000000000" },
		{ "comm 1234567890123456", "comm: longer than 15 characters" },
		{ "reset\nreset", "a control character (a NUL, or a newline before the end)" },
		{ "comm caf\xc3\xa9", "a byte that is not printable ASCII" },
	};
	struct lm_cmd c;
	const char *why;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		CHECK(parse_why(cases[i].in, &c, &why) == -EINVAL && why &&
		      !strcmp(why, cases[i].why), "\"%s\": why \"%s\"",
		      cases[i].in, why ? why : "(null)");
	}
	{
		char big[LM_CMD_MAX_LEN + 1];

		memset(big, ' ', sizeof(big));
		why = NULL;
		CHECK(lm_parse_control(big, sizeof(big), &c, &why) == -EINVAL &&
		      why && !strcmp(why, "longer than 64 bytes"), "too long: why");
	}
	why = "untouched";
	CHECK(!parse_why("pid 7", &c, &why) && !strcmp(why, "untouched"),
	      "success set why");
}

static void test_random(void)
{
	unsigned int i, j, seed = 12345;
	static const char alphabet[] = "enabldispcturomf_ 0123456789\n\t\0x";
	char buf[80];
	struct lm_cmd c;

	for (i = 0; i < 200000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 72);
		int r;

		for (j = 0; j < len; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		memset(&c, 0xa5, sizeof(c));
		r = lm_parse_control(buf, len, &c, NULL);
		if (r == 0 && (c.op > LM_CMD_STALL ||
			       (c.op == LM_CMD_CAPTURE && c.num > 100) ||
			       (c.op == LM_CMD_COMM && strlen(c.comm) >= LM_COMM_LEN))) {
			CHECK(0, "random input gave a bad command");
			return;
		}
		if (r != 0 && r != -EINVAL) {
			CHECK(0, "random input gave %d", r);
			return;
		}
	}
	CHECK(1, "random");
}

int main(void)
{
	test_accepts();
	test_refuses();
	test_reasons();
	test_random();
	printf("control_parse_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
