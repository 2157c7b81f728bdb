// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the debugfs text parsers. The first byte picks the parser,
 * the rest is the file's text.
 */
#include <stdlib.h>
#include <string.h>
#include "../lockmon-report.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int (*const parse[])(const char *, struct lmr_state *) = {
		lmr_parse_locks, lmr_parse_tasks, lmr_parse_waitgraph,
		lmr_parse_deadlocks, lmr_parse_stacks, lmr_parse_stats,
	};
	struct lmr_state st = { 0 };
	unsigned int major, minor;
	char ver[32], *text;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (data[0] == 0xff)
		lmr_parse_version(text, ver, sizeof(ver), &major, &minor);
	else
		parse[data[0] % 6](text, &st);
	lmr_state_free(&st);
	free(text);
	return 0;
}
