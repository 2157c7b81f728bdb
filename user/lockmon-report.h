/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockmon-report internals: the state every view prints (locks, tasks,
 * findings, stacks, counters), filled either from the module's debugfs
 * files or from a recording, and the functions of each file.
 */
#ifndef LOCKMON_REPORT_H
#define LOCKMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <uapi/linux/lockmon.h>
#include <lockmon/columns.h>
#include "record_format.h"
#include "pprof.h"

#define LMR_SCHEMA	"lockmon-report/1"
#define LMR_DEBUGFS	"/sys/kernel/debug"
#define LMR_DIR		LMR_DEBUGFS "/lockmon"
#define LMR_NAME_LEN	512	/* room for a demangled C++ name */
#define LMR_WORD_LEN	24

typedef uint64_t u64;
typedef uint32_t u32;

/* ---- options ---------------------------------------------------------- */

/* -F: the columns of a lock table, each with an optional header of its own */
#define LMR_MAX_FIELDS	40
#define LMR_HEADER_LEN	24

struct lmr_col;

struct lmr_fields {
	unsigned int nr;		/* 0: the view's default columns */
	const struct lmr_col *col[LMR_MAX_FIELDS];
	char header[LMR_MAX_FIELDS][LMR_HEADER_LEN];	/* "": the column's */
};

/* --class: the futexes a view shows, by the class column */
enum {
	LMR_CLASS_DEFAULT,		/* all; lock for --folded and --pprof */
	LMR_CLASS_LOCK,			/* lock: contention */
	LMR_CLASS_EVENT,		/* event: idle waiting */
	LMR_CLASS_ALL,
};

struct lmr_opts {
	pid_t pid;			/* -p: 0 for every process */
	pid_t tid;			/* -t: 0 for every thread */
	char comm[16];			/* --comm: "" for every command */
	u64 min_wait_ns;		/* --min-wait */
	bool json, folded, dot, once;
	bool ptrace_holders;		/* top: unwind running holders */
	bool force;			/* report --force: past damage */
	int klass;			/* --class: LMR_CLASS_*, 0 unset */
	const char *pprof;		/* --pprof FILE */
	unsigned int profile;		/* --profile: enum lmr_profile */
	unsigned int by;		/* --by: enum lmr_profile_by */
	const char *output;		/* record -o FILE */
	double interval;		/* top -i SECONDS */
	double duration;		/* record --duration SECONDS */
	unsigned int buffer_kb;		/* record --buffer-kb */
	unsigned int limit;		/* top -n LOCKS */
	char **cmd;			/* record -- CMD ARGS */
	const struct lmr_col *sort_key;	/* -k: NULL for the default order */
	struct lmr_fields fields;	/* -F */
	const char *listen;		/* serve --listen ADDR:PORT */
	const char *unix_path;		/* serve --unix PATH */
	unsigned int max_locks;		/* serve, metrics --max-locks */
};

#define LMR_SERVE_LISTEN	"127.0.0.1:9464"
#define LMR_MAX_LOCKS		50	/* --max-locks by default */

/* ---- cli.c: the command line ---------------------------------------- */

#define LMR_CLI_RUN	0	/* run cli.cmd */
#define LMR_CLI_EXIT	1	/* help or version printed: exit 0 */

struct lmr_cli {
	const char *cmd;		/* top, locks, ..., record, report */
	const char *file;		/* report FILE */
	unsigned int files;		/* a live view's debugfs files, LMR_F_* */
};

/* LMR_CLI_RUN, LMR_CLI_EXIT, or below 0 after one line on stderr */
int lmr_cli_parse(int argc, char **argv, struct lmr_opts *o,
		  struct lmr_cli *cli, FILE *out);

/* ---- state ------------------------------------------------------------ */

/* The procs column of locks: the first two processes seen using a futex. */
struct lmr_procs {
	pid_t tgid;
	u64 uaddr;
	pid_t tgid2;			/* 0: none */
	u64 uaddr2;
};

/* The ips... column of stacks. */
struct lmr_ips {
	unsigned int nr;
	u64 ip[LOCKMON_MAX_STACK];
};

#define LMR_HIST	64		/* buckets of the hist column we keep */

/*
 * The member of a row struct for each column type of
 * include/lockmon/columns.h. A procs or ips column is a struct whose
 * members can also be named on their own (l->tgid, s->ip[i]).
 */
#define LMR_DECL_hex64(f)	u64 f;
#define LMR_DECL_addr(f)	u64 f;
#define LMR_DECL_u64(f)		u64 f;
#define LMR_DECL_u32(f)		u32 f;
#define LMR_DECL_flag(f)	bool f;
#define LMR_DECL_pid(f)		pid_t f;
#define LMR_DECL_word(f)	char f[LMR_WORD_LEN];
#define LMR_DECL_comm(f)	char f[16];
#define LMR_DECL_hist(f)	unsigned int f[LMR_HIST];
#define LMR_DECL_opthex(f)	u64 f;
#define LMR_DECL_cycle(f)	bool f;
#define LMR_DECL_procs(f)						\
	union {								\
		struct lmr_procs f;					\
		struct {						\
			pid_t tgid;					\
			u64 uaddr;					\
			pid_t tgid2;					\
			u64 uaddr2;					\
		};							\
	};
#define LMR_DECL_ips(f)							\
	union {								\
		struct lmr_ips f;					\
		struct {						\
			unsigned int nr;				\
			u64 ip[LOCKMON_MAX_STACK];			\
		};							\
	};
#define LMR_COLUMN_MEMBER(name, type, since, get, field, json, view)	\
	LMR_DECL_##type(field)

/*
 * A lock: the members of the locks file's columns come from its column
 * list, named by its field argument (id, procs, klass, waits, total_ns,
 * ...; Documentation/debugfs.rst says what each holds). A recording fills
 * the same members from events (distinct exactly, from the tids seen to
 * wait), all but hist.
 */
struct lmr_lock {
	LOCKMON_LOCKS_COLUMNS(LMR_COLUMN_MEMBER)
	/* recordings only */
	u64 handoff_total_ns, handoff_count, mutual_wakes;
	bool owner_seen;		/* a glibc or PI owner was read */
	/* live: the owner's own futex wait, from the tasks file (filter.c) */
	bool owner_blocked;
	u32 owner_stack;
	u64 owner_uaddr, owner_wait_ns;
};

/* Filled from the tasks and waitgraph files by their column lists. */
struct lmr_task {
	pid_t tid, tgid;
	char comm[16];
	u64 futex_id, uaddr;
	char kind[LMR_WORD_LEN];	/* tasks: futex or pi */
	u64 wait_ns;			/* live: current wait; recording: total */
	u64 waits, max_ns;		/* recordings only */
	pid_t owner;
	char owner_how[LMR_WORD_LEN];
	bool timed, woken;
	pid_t last_waker;
	u32 stack_id;
	u64 owner_waits_on;		/* waitgraph: the owner's own futex */
	bool cycle;			/* waitgraph: edge on a cycle */
	bool waiting;			/* recordings: in a wait at the end */
};

struct lmr_finding_task {
	pid_t tid, tgid, owner;
	char comm[16];
	u64 futex_id, uaddr;
	char how[LMR_WORD_LEN];
	bool timed;
	u32 stack_id;
};

struct lmr_finding {
	u64 seq, time_ns, latency_ns;
	char kind[LMR_WORD_LEN];
	unsigned int nr;
	struct lmr_finding_task t[LOCKMON_MAX_CHAIN];
	/* recordings: a stall's lockmon_stall event; 0 threads if none */
	pid_t stall_tgid;
	u32 stall_threads;
	u64 stall_blocked_ns;		/* since the oldest wait began */
	/* orphans (ABI 1.3): the dead owner's process and command, if seen */
	pid_t owner_tgid;
	char owner_comm[16];
	/* starvation (ABI 1.6): the wait, the lock's median, hand changes */
	u64 waited_ns, median_ns;
	u32 hands;
	/*
	 * holder-preempted, priority-inversion (ABI 1.7): the owner, off a
	 * CPU it waits for, and what ran there; prios are the kernel's
	 * (0-99 real-time, best first; 100-139 nice -20..19), -1 unknown
	 */
	pid_t holder, holder_tgid, ran, ran_tgid;
	int holder_prio, waiter_prio, ran_prio;
	u32 cpu;
	u64 off_cpu_ns;
	char holder_comm[16], ran_comm[16];
};

/* A user stack: the members of the stacks file's columns. */
struct lmr_stack {
	LOCKMON_STACKS_COLUMNS(LMR_COLUMN_MEMBER)
	bool cfi;		/* unwound by the reporter, not the module's */
};

struct lmr_stat {
	char name[48];
	char value[48];
};

/* One finished wait of a recording: the unit of --folded and --pprof. */
struct lmr_wait {
	pid_t tid, tgid;
	char comm[16];
	u64 futex_id, uaddr, wait_ns;
	u64 weight_ns;		/* what it stands for in a stack profile */
	u32 stack_id;
	pid_t owner;		/* of the lock as last read; 0: none */
	/* the wake that ended it (ABI 1.6): the mutex profile's sample */
	pid_t waker, waker_tgid;
	u32 waker_stack;	/* 0: none */
	u64 waker_weight_ns;	/* 0: not sampled */
	u64 waker_wait_ns;	/* the wait until that wake */
};

/* A thread created by a thread of its process: the threadcreate profile. */
struct lmr_create {
	pid_t tid, tgid;	/* the creator */
	pid_t child;
	char comm[16];
	u32 stack_id;		/* the creator's; 0: none */
};

/* /proc/PID/maps text of a process, kept while it lives and recorded. */
struct lmr_maps {
	pid_t tgid;
	char *text;
	size_t len;
};

struct lmr_state {
	const char *source;		/* "debugfs", "record", "trace.dat" */
	char version[32];		/* module version, live only */
	struct lmr_lock *locks;
	size_t nr_locks;
	struct lmr_task *tasks;
	size_t nr_tasks;
	struct lmr_finding *findings;
	size_t nr_findings;
	struct lmr_stack *stacks;
	size_t nr_stacks;
	struct lmr_stat *stats;
	size_t nr_stats;
	struct lmr_wait *waits;
	size_t nr_waits;
	struct lmr_maps *maps;
	size_t nr_maps;
	struct lmr_create *creates;	/* recordings only */
	size_t nr_creates, cap_creates;
	bool recorded;			/* figures come from events */
	bool unwound;			/* lmr_unwind_live() ran */
	u64 lost_events;
	u64 bad_sequences;		/* impossible event orders in a recording */
	u64 records, start_ns, duration_ns;
	u64 events;			/* records of events among them */
	/* a damaged record file read with --force: what was skipped */
	u64 damaged_places, damaged_bytes, first_damage, bad_records;
	size_t cap_locks, cap_tasks, cap_findings, cap_stacks, cap_stats;
	size_t cap_waits, cap_maps;
	/* what -p, -t, --comm, --min-wait had before them (filter.c) */
	bool filtered;
	size_t all_locks, all_tasks, all_graph, all_findings;
};

void lmr_state_free(struct lmr_state *st);
void *lmr_grow(void *arr, size_t *cap, size_t n, size_t size);
struct lmr_lock *lmr_find_lock(struct lmr_state *st, u64 id);
const struct lmr_stack *lmr_find_stack(const struct lmr_state *st, u32 id);
const char *lmr_tgid_comm(struct lmr_state *st, pid_t tgid);
void lmr_state_sort(struct lmr_state *st);

/* ---- util.c ----------------------------------------------------------- */

void lmr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lmr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *lmr_read_file(const char *path, size_t *len, size_t max);
int lmr_parse_duration(const char *s, u64 *ns);
int lmr_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
void lmr_fmt_ns(char *buf, size_t len, u64 ns);
/*
 * The @pct-th percentile of a lock's waits from its log2 histogram: the
 * upper bound of the bucket holding it, at most @max; 0 without waits.
 */
u64 lmr_hist_pct(const unsigned int *hist, u64 max, unsigned int pct);
bool lmr_is_mounted(const char *path, unsigned long magic);
void lmr_proc_comm(pid_t tid, char *comm, size_t len);

/* ---- debugfs_parse.c: the text of the module's files ------------------ */

#define LMR_MAX_TOK	64		/* cells of a line we look at */

/* The cells of one column of a row, and the member they are read into. */
struct lmr_cells {
	char **tok;
	int n;				/* 1, or the rest of the row for ips */
	size_t size;			/* of the member */
};

/* A column of a table file, as include/lockmon/columns.h lists it. */
struct lmr_column {
	const char *name;		/* in the file's header line */
	unsigned int since;		/* the ABI minor that added it */
	int (*parse)(const struct lmr_cells *c, void *dst);
	size_t off, size;		/* its member in the row struct */
	int num;			/* a figure: 1, -1 if signed; else 0 */
};

struct lmr_schema {
	const char *file;		/* locks, tasks, waitgraph, stacks */
	const struct lmr_column *col;
	unsigned int nr;
};

extern const struct lmr_schema lmr_schemas[];	/* ends with file NULL */

/* A table file being read: where each of its schema's columns is. */
struct lmr_table {
	const struct lmr_schema *schema;
	unsigned int minor;		/* the file's ABI minor */
	int line;			/* being read, from 1 */
	int nhdr;
	char *hdr[LMR_MAX_TOK];		/* the header line's names */
	int idx[LMR_MAX_TOK];		/* column i is cell idx[i]; -1: none */
};

/* called per row with its @n cells; non-zero stops the reading */
typedef int (*lmr_row_fn)(void *ctx, const struct lmr_table *t, char **tok,
			  int n);

const char *lmr_parse_error(void);	/* why the last parse failed */
const struct lmr_schema *lmr_schema_find(const char *file);
const struct lmr_column *lmr_column_find(const struct lmr_schema *s,
					 const char *name);
/* parse @text (in place) with @t->schema set; @t then names the header */
int lmr_table_split(char *text, struct lmr_table *t, lmr_row_fn fn, void *ctx);
/* the row's cell(s) of column @c into @dst, its member's type */
int lmr_cell_read(const struct lmr_table *t, const struct lmr_column *c,
		  char **tok, int n, void *dst);
/* the row's cells of every schema column into its members in @row */
int lmr_row_fill(const struct lmr_table *t, char **tok, int n, void *row);
/* a figure column's cell of the row */
int lmr_cell_number(const struct lmr_table *t, const struct lmr_column *c,
		    char **tok, int n, u64 *v);

/* ---- debugfs_read.c: the module's files ------------------------------- */

enum {
	LMR_F_LOCKS	= 1 << 0,
	LMR_F_TASKS	= 1 << 1,
	LMR_F_GRAPH	= 1 << 2,
	LMR_F_FINDINGS	= 1 << 3,
	LMR_F_STACKS	= 1 << 4,
	LMR_F_STATS	= 1 << 5,
};

int lmr_parse_version(const char *text, char *ver, size_t len,
		      unsigned int *major, unsigned int *minor);
int lmr_parse_locks(const char *text, struct lmr_state *st);
int lmr_parse_tasks(const char *text, struct lmr_state *st);
int lmr_parse_waitgraph(const char *text, struct lmr_state *st);
int lmr_parse_deadlocks(const char *text, struct lmr_state *st);
int lmr_parse_stacks(const char *text, struct lmr_state *st);
int lmr_parse_stats(const char *text, struct lmr_state *st);
int lmr_check_live(bool need_tracefs);
int lmr_debugfs_load(struct lmr_state *st, unsigned int what);

/* ---- record.c: record files ------------------------------------------- */

struct lmr_writer {
	FILE *f;
	char *path;
	u64 records, events;		/* written, and events among them */
	unsigned int nblk;		/* records held for the next block */
	struct lockmon_record blk[LMR_BLOCK_RECORDS];
};

#define LMR_READ_FORCE	1		/* read past damaged blocks */

int lmr_writer_open(struct lmr_writer *w, const char *path);
int lmr_writer_put(struct lmr_writer *w, const struct lockmon_record *r);
int lmr_writer_put_maps(struct lmr_writer *w, pid_t tgid, const char *text);
int lmr_writer_close(struct lmr_writer *w, u64 lost, u64 start_ns);
int lmr_record_check(const struct lockmon_record *r, char *why, size_t whylen);
int lmr_record_read(const void *buf, size_t len, unsigned int flags,
		    struct lmr_state *st, char *why, size_t whylen);
int lmr_record_parse(const void *buf, size_t len, struct lmr_state *st,
		     char *why, size_t whylen);
int lmr_record_load(const char *path, unsigned int flags,
		    struct lmr_state *st);

/* ---- analyze.c: events to figures ------------------------------------- */

struct lmr_analysis;
struct lmr_analysis *lmr_analysis_new(struct lmr_state *st);
void lmr_analysis_add(struct lmr_analysis *a, const struct lockmon_record *r);
void lmr_analysis_finish(struct lmr_analysis *a);
const char *lmr_how_name(unsigned int how);
const char *lmr_kind_name(unsigned int kind);
unsigned int lmr_how_code(const char *name);
unsigned int lmr_kind_code(const char *name);

/* ---- stream.c: the trace event stream --------------------------------- */

struct lmr_stream;
struct tep_event;
struct tep_record;
typedef void (*lmr_record_fn)(const struct lockmon_record *r, void *ctx);

void lmr_event_record(struct tep_event *ev, struct tep_record *rec,
		      struct lockmon_record *r);

struct lmr_stream *lmr_stream_open(unsigned int buffer_kb);
int lmr_stream_poll(struct lmr_stream *s, lmr_record_fn fn, void *ctx,
		    unsigned int slice_ms);
u64 lmr_stream_lost(struct lmr_stream *s);
void lmr_stream_stop(struct lmr_stream *s);
void lmr_stream_close(struct lmr_stream *s);
int lmr_tracedat_load(const char *path, struct lmr_state *st);
bool lmr_is_tracedat(const void *buf, size_t len);

/* ---- record_cmd.c: record and report ---------------------------------- */

int lmr_cmd_record(const struct lmr_opts *o);
int lmr_cmd_report(const struct lmr_opts *o, const char *path);

/* ---- serve.c: serve and metrics --------------------------------------- */

int lmr_cmd_serve(const struct lmr_opts *o);
int lmr_cmd_metrics(const struct lmr_opts *o);

/* ---- symbols.c -------------------------------------------------------- */

struct lmr_syms;
struct lmr_syms *lmr_syms_new(struct lmr_state *st, bool live);
void lmr_syms_free(struct lmr_syms *s);
/* "symbol+0xoff" of a data or code address of @tgid, or "0x..." */
const char *lmr_sym_data(struct lmr_syms *s, pid_t tgid, u64 addr,
			 char *buf, size_t len);
const char *lmr_sym_code(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
			 char *buf, size_t len);
/* source file (NULL: unknown) and *line of a code address */
const char *lmr_sym_line(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
			 int *line);
/* one frame as gdb shows it: an inlined function, or the physical one */
#define LMR_MAX_INLINE	16
struct lmr_src_frame {
	char name[LMR_NAME_LEN];
	const char *file;	/* NULL: no line information */
	int line;
	bool inlined;
};
int lmr_sym_frames(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
		   struct lmr_src_frame *out, int max);
/* "mutex@append_log_line": where a lock is taken, from a waiter's stack */
bool lmr_sym_site(struct lmr_syms *s, const struct lmr_stack *stk, char *out,
		  size_t len);
/* a blocked thread's stack by CFI from /proc, without stopping it */
int lmr_live_stack(struct lmr_syms *s, pid_t tgid, pid_t tid,
		   const u64 *seen, unsigned int nseen, u64 *ips,
		   unsigned int max);
void lmr_unwind_live(struct lmr_syms *s, struct lmr_state *st);
/* a finding's thread by CFI, live or from the module's copy (a recording) */
int lmr_finding_cfi(struct lmr_syms *s, pid_t tgid, pid_t tid, u64 uaddr,
		    const u64 *seen, unsigned int nseen, u64 *ips,
		    unsigned int max);
int lmr_thread_stack(struct lmr_syms *s, pid_t tgid, pid_t tid, u64 *ips,
		     unsigned int max);
char *lmr_read_maps(pid_t tgid);
/* the maps text of @tgid (with its "# build-id" lines), or NULL */
const char *lmr_sym_maps(struct lmr_syms *s, pid_t tgid);

/* ---- filter.c --------------------------------------------------------- */

bool lmr_want_task(const struct lmr_opts *o, pid_t tid, pid_t tgid,
		   const char *comm, u64 wait_ns);
void lmr_filter(struct lmr_state *st, const struct lmr_opts *o);
const char *lmr_filter_words(const struct lmr_opts *o, char *buf, size_t len);
int lmr_class_of(const struct lmr_opts *o, bool stacks);
const char *lmr_futex_class(const struct lmr_state *st, u64 id);
bool lmr_class_wants(int klass, const char *name);
void lmr_class_note_flush(void);

/* ---- views.c, dot.c, json.c, folded.c, pprof.c ------------------------ */

struct lmr_ctx {
	struct lmr_state *st;
	struct lmr_syms *syms;
	const struct lmr_opts *o;
	FILE *out;
	bool class_said;	/* what --class left out is said once */
};

const char *lmr_lock_name(struct lmr_ctx *c, const struct lmr_lock *l,
			  char *buf, size_t len);
const char *lmr_futex_name(struct lmr_ctx *c, u64 id, char *buf, size_t len);
const char *lmr_uaddr_name(struct lmr_ctx *c, pid_t tgid, u64 uaddr,
			   char *buf, size_t len);
const char *lmr_prio_str(char *buf, size_t len, int prio);
const char *lmr_finding_headline(struct lmr_ctx *c,
				 const struct lmr_finding *f, char *buf,
				 size_t len);
void lmr_finding_headlines(struct lmr_ctx *c);
void lmr_view_locks(struct lmr_ctx *c);
void lmr_view_tasks(struct lmr_ctx *c);
void lmr_view_graph(struct lmr_ctx *c);
void lmr_view_deadlocks(struct lmr_ctx *c);
void lmr_view_stats(struct lmr_ctx *c);
void lmr_view_top(struct lmr_ctx *c, const struct lmr_state *prev);
void lmr_view_report(struct lmr_ctx *c);
void lmr_view_dot(struct lmr_ctx *c);

/* ---- graph.c: the wait-for graph the graph views draw ---------------- */

struct lmr_gedge {
	const struct lmr_task *t;	/* the waiter */
	pid_t holder;			/* of its futex; 0: not known */
	const char *how;		/* how the holder was found */
	const struct lmr_gedge *holder_waits;	/* the holder's own wait */
	bool cycle;			/* the edge is on a cycle */
	bool orphan;			/* the holder has exited */
};

struct lmr_graph {
	struct lmr_gedge *e;		/* one per waiter */
	size_t n;
};

int lmr_graph_build(struct lmr_ctx *c, struct lmr_graph *g);
void lmr_graph_free(struct lmr_graph *g);
const char *lmr_graph_name(struct lmr_ctx *c, pid_t tid, char *buf, size_t len);
const char *lmr_owner_name(char *buf, size_t len, struct lmr_ctx *c,
			   pid_t owner, const char *how);

/* ---- columns.c: the columns of the lock tables, -k and -F ------------- */

/*
 * The view argument of a column (include/lockmon/columns.h), LMV_X(...),
 * becomes the list LMR_V_LMV_X(...): its kind, then LMV_X's arguments.
 * LMR_VIEW(M, field, type, view) calls M_<kind>(field, type, those). No
 * LMV_X is a macro, so a C() that passes view on leaves it one argument.
 */
#define LMR_V_LMV_COUNT(...)	count, __VA_ARGS__
#define LMR_V_LMV_NS(...)	ns, __VA_ARGS__
#define LMR_V_LMV_TEXT(...)	text, __VA_ARGS__
#define LMR_V_LMV_HAND(id)	hand, id
#define LMR_V_LMV_PART(in)	part, in
#define LMR_V_LMV_NONE		none, 0
#define LMR_VIEW(M, field, type, view)					\
	LMR_VIEW_(M, field, type, LMR_V_##view)
#define LMR_VIEW_(M, field, type, list)	LMR_VIEW__(M, field, type, list)
#define LMR_VIEW__(M, field, type, kind, ...)				\
	M##_##kind(field, type, __VA_ARGS__)

enum lmr_col_type {
	LMR_COL_TEXT,			/* a string, not a sort key */
	LMR_COL_PID,			/* a process id, not a sort key */
	LMR_COL_COUNT,			/* a count: a sort key */
	LMR_COL_NS,			/* a duration: a sort key */
};

struct lmr_col {
	const char *name;		/* for -k and -F */
	const char *alias;		/* perf lock's name for it, or NULL */
	const char *header;
	const char *interval_header;	/* top after its first screen */
	enum lmr_col_type type;
	int width;			/* below 0: left-aligned */
	u64 (*num)(const struct lmr_lock *l);
	const char *(*text)(struct lmr_ctx *c, const struct lmr_lock *l,
			    char *buf, size_t len);
	const char *help;
};

extern const struct lmr_col lmr_cols[];
extern const size_t lmr_nr_cols;

#define LMR_LOCKS_FIELDS \
	"name,pid,class,waits,wait_total,wait_max,avg,handoff,waiters,owner"
#define LMR_TOP_FIELDS \
	"name,process,class,owner=OWNER NOW,waiters,waits,wait_total,wait_max,handoff"

const struct lmr_col *lmr_col_find(const char *name);
bool lmr_col_is_key(const struct lmr_col *col);	/* a figure -k takes */
int lmr_parse_sort_key(const char *s, const struct lmr_col **key);
int lmr_parse_fields(const char *s, struct lmr_fields *f);
void lmr_sort_locks(struct lmr_state *st, const struct lmr_col *key);
void lmr_table_header(struct lmr_ctx *c, const struct lmr_fields *f,
		      bool interval);
void lmr_table_row(struct lmr_ctx *c, const struct lmr_fields *f,
		   const struct lmr_lock *l, const struct lmr_state *prev);

/* holder.c: a lock's wait split by its holder's state, in words */
const char *lmr_syscall_name(int nr, char *buf, size_t len);
u64 lmr_holder_total(const struct lmr_lock *l);
const char *lmr_holder_text(const struct lmr_lock *l, char *buf, size_t len);
const char *lmr_holder_verdict(const struct lmr_lock *l, char *buf,
			       size_t len);
void lmr_holder_lines(struct lmr_ctx *c, size_t max);

/* JSON: one object per view, schema LMR_SCHEMA */
void lmr_json_view(struct lmr_ctx *c, const char *view);
void lmr_json_string(FILE *f, const char *s);

/* FlameGraph folded stacks: "frame;frame value" */
void lmr_folded(struct lmr_ctx *c);

/* pprof: gzip-compressed profile.proto */
struct lmr_pb {
	unsigned char *buf;
	size_t len, cap;
	bool oom;
};

void lmr_pb_varint(struct lmr_pb *b, u64 v);
void lmr_pb_key(struct lmr_pb *b, unsigned int field, unsigned int wire);
void lmr_pb_uint(struct lmr_pb *b, unsigned int field, u64 v);
void lmr_pb_bytes(struct lmr_pb *b, unsigned int field, const void *p,
		  size_t len);
/* the profiles themselves: pprof.h */

#endif /* LOCKMON_REPORT_H */
