/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser for the commands written to /sys/kernel/debug/lockmon/control.
 * Pure C with no kernel dependency, so the host unit tests build the very
 * same file.
 */
#ifndef LOCKMON_CONTROL_H
#define LOCKMON_CONTROL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#endif

#define LM_CMD_MAX_LEN		64	/* longest write accepted */
#define LM_COMM_LEN		16	/* TASK_COMM_LEN */
#define LM_PID_MAX		4194304	/* PID_MAX_LIMIT on 64-bit */
#define LM_STALL_MS_MIN		10
#define LM_STALL_MS_MAX		3600000
#define LM_STACK_NS_MAX		4000000000U	/* about 4 s: fits a u32 draw */

enum lm_cmd_op {
	LM_CMD_ENABLE,		/* "enable" */
	LM_CMD_DISABLE,		/* "disable" */
	LM_CMD_RESET,		/* "reset" */
	LM_CMD_PID,		/* "pid <tgid>", 0 = every process */
	LM_CMD_COMM,		/* "comm <name>" */
	LM_CMD_NOFILTER,	/* "nofilter" */
	LM_CMD_CAPTURE,		/* "capture <0..100>" */
	LM_CMD_STALL,		/* "stall_ms <ms>" */
	LM_CMD_STACK_NS,	/* "stack_ns <0..4000000000>" */
	LM_CMD_TREE,		/* "tree <tgid>": it and what it forks; 0 = off */
};

struct lm_cmd {
	enum lm_cmd_op op;
	unsigned int num;
	char comm[LM_COMM_LEN];
};

int lm_parse_control(const char *buf, size_t len, struct lm_cmd *cmd,
		     const char **why);

#endif /* LOCKMON_CONTROL_H */
