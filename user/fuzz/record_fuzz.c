// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the record-file reader and the analysis behind it. */
#include <stdlib.h>
#include "../lockmon-report.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lmr_state st = { 0 };
	char why[160];
	void *copy = malloc(size ? size : 1);

	/* a file is read into malloc'd, aligned memory: do the same */
	if (!copy)
		return 0;
	if (size)
		__builtin_memcpy(copy, data, size);
	lmr_record_parse(copy, size, &st, why, sizeof(why));
	lmr_state_free(&st);
	free(copy);
	return 0;
}
