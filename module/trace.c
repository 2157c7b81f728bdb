// SPDX-License-Identifier: GPL-2.0
/* The one file that instantiates lockmon's trace events. */
#define CREATE_TRACE_POINTS
#include "trace.h"
