/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon-report's record files: data layout only. The module never reads
 * them, so they have a format version of their own, apart from the
 * module's ABI: a reporter-only change does not touch the module.
 */
#ifndef LOCKMON_RECORD_FORMAT_H
#define LOCKMON_RECORD_FORMAT_H

#include <linux/types.h>
#include <uapi/linux/lockmon.h>

/*
 * The major version changes when the layout or a field's meaning changes,
 * the minor when something is added. 1.2 is the layout of lockmon 1.2's
 * files, which carried the module ABI in these two fields; 2.0 put the
 * records in checked blocks; 2.1 added the waker's stack to WAKE and the
 * THREAD record. The reader still reads 1.x files.
 */
#define LMR_FORMAT_MAJOR	2
#define LMR_FORMAT_MINOR	1
#define LMR_FORMAT_MAJOR_OLD	1	/* also read: records without blocks */

/*
 * lockmon-report record files: a header, then blocks of fixed-size
 * records (1.x: the records alone), all little-endian as written on
 * x86_64.
 */
#define LOCKMON_FILE_MAGIC	"LOCKMON\0"

/*
 * Ids of the stacks the recorder unwinds itself: above any of the
 * module's, which are slots of its stack table (max_stacks at most 2^20).
 */
#define LMR_CFI_STACK_ID	0x80000000u

struct lockmon_file_header {
	char	magic[8];
	__u16	format_major;
	__u16	format_minor;
	__u32	record_size;	/* sizeof(struct lockmon_record) */
	__u64	lost_events;	/* ring buffer overruns while recording */
	__u64	start_ns;	/* trace clock at the start */
	/* 2.0; zero in 1.x, where the three were reserved */
	__u64	records;	/* records in the file's blocks */
	__u32	block_records;	/* the most records a block holds */
	__u32	header_crc;	/* crc32 of the header, with this field 0 */
	__u64	reserved[2];	/* must be zero */
};

/*
 * 2.0: each block of records starts with this. @first is the index of its
 * first record in the file, so a lost or repeated block shows; the two
 * crc32s (zlib's) cover the @nr records and the 20 bytes before
 * @header_crc. A damaged block is found at its offset; a reader that goes
 * on looks for the next block header whose checks pass, at the next
 * multiple of 8 bytes.
 */
#define LMR_BLOCK_MAGIC		0x4b424d4cu	/* "LMBK" */
#define LMR_BLOCK_RECORDS	64		/* what the writer puts in one */

struct lockmon_block_header {
	__u32	magic;		/* LMR_BLOCK_MAGIC */
	__u32	nr;		/* records in the block, 1..block_records */
	__u64	first;		/* index of its first record in the file */
	__u32	data_crc;	/* crc32 of its records */
	__u32	header_crc;	/* crc32 of the 20 bytes above */
};

enum lockmon_record_type {
	LOCKMON_REC_WAIT_BEGIN	= 1,	/* a task blocked on a futex */
	LOCKMON_REC_WAIT_END	= 2,	/* ... and returned from it */
	LOCKMON_REC_WAKE	= 3,	/* a task woke a waiter */
	LOCKMON_REC_FINDING	= 4,	/* one task of a finding */
	LOCKMON_REC_STACK	= 5,	/* user stack: ips in stack[] */
	LOCKMON_REC_MAPS	= 6,	/* one line of /proc/PID/maps in text */
	LOCKMON_REC_OWNER	= 7,	/* the scan re-read a waiter's owner */
	LOCKMON_REC_STALL	= 8,	/* a stall finding: its process */
	LOCKMON_REC_WAIT_STACK	= 9,	/* a wait under way got its stack */
	LOCKMON_REC_THREAD	= 10,	/* a thread created another (2.1) */
};

/*
 * Fields each type uses; the others are zero. The records of events (all
 * but STACK and MAPS) also carry ts_ns and comm, the task's command name
 * (STALL: the process's).
 *   WAIT_BEGIN	tid, tgid, futex_id, uaddr, peer = owner, owner_how,
 *		stack_id; nr = 1: from the snapshot at the start (see below),
 *		a wait under way since value ns, ts_ns 0
 *   WAIT_END	tid, tgid, futex_id, uaddr, value = wait ns, result;
 *		since ABI 1.2 also nr = 1, stack_id (0: none) and weight_ns,
 *		the wait time this wait stands for in a stack profile (0: not
 *		sampled, other waits stand for it)
 *   WAKE	tid = waker, tgid = waker's process, peer = wakee, futex_id;
 *		since 2.1 (ABI 1.6) nr = 1, stack_id = the waker's stack (0:
 *		none), value = the wakee's wait so far, weight_ns = what the
 *		wait stands for in a mutex profile (0: not sampled)
 *   FINDING	value = finding seq, result = kind, nr = task index, tid,
 *		tgid, futex_id, uaddr, peer = owner, owner_how; stack_id
 *		(0: none) when it comes from the snapshot
 *   STACK	stack_id, tgid, nr = depth, stack[] (innermost first)
 *   MAPS	tgid, nr = piece of the line, text
 *   OWNER	tid, tgid, futex_id, peer = owner read now (0: none),
 *		owner_how (how the wait's owner was found: 1 or 2)
 *   STALL	value = finding seq, tgid, peer = number of threads,
 *		blocked_ms = since the oldest of their waits began
 *   WAIT_STACK	tid, tgid, futex_id, stack_id: the scan (or a cycle found)
 *		took the stack of a wait that is still under way
 *   THREAD	tid = the creating thread, tgid, peer = the new thread,
 *		stack_id = the creator's stack (0: none)
 *
 * A recording starts with a snapshot of the module's state: a WAIT_BEGIN
 * with nr = 1 for each task blocked then, FINDING records of the findings
 * open then, both with ts_ns 0 so they sort first, and their stacks.
 */

struct lockmon_record {
	__u16	type;		/* enum lockmon_record_type */
	__u16	result;		/* wait result, finding kind */
	__u16	owner_how;	/* enum lockmon_owner_how */
	__u16	nr;		/* stack depth; finding: task index */
	__u64	ts_ns;
	__u32	tgid;
	__u32	tid;
	__u32	peer;		/* owner; wakee (wake); threads (stall) */
	__u32	stack_id;	/* 0: none */
	__u64	futex_id;	/* stable id of the futex, not a pointer */
	__u64	uaddr;		/* user address in tgid */
	__u64	value;		/* wait ns (end), finding seq (finding, stall) */
	char	comm[16];
	union {
		__u64	stack[LOCKMON_MAX_STACK];
		char	text[LOCKMON_MAX_STACK * 8];
		__u64	blocked_ms;	/* stall: since the oldest wait began */
		__u64	weight_ns;	/* wait end, wake: weight in profiles */
	};
};

#endif /* LOCKMON_RECORD_FORMAT_H */
