// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the record-file reader and the analysis behind it, both as
 * report reads a file and as report --force does, past damaged blocks.
 */
#include <stdlib.h>
#include "../lockmon-report.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lmr_state st = { 0 };
	char why[192];
	void *copy = malloc(size ? size : 1);
	unsigned int flags;

	/* a file is read into malloc'd, aligned memory: do the same */
	if (!copy)
		return 0;
	if (size)
		__builtin_memcpy(copy, data, size);
	for (flags = 0; flags <= LMR_READ_FORCE; flags++) {
		lmr_record_read(copy, size, flags, &st, why, sizeof(why));
		lmr_state_free(&st);
	}
	free(copy);
	return 0;
}
