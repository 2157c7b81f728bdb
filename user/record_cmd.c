// SPDX-License-Identifier: GPL-2.0
/*
 * record: the lockmon events of the chosen processes into a record file,
 * with what symbolization needs once they have exited: the stack table
 * entries the events refer to and each process's maps (re-read while it
 * lives, so libraries loaded late are there). report: analyse a file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lockmon-report.h"

#define POLL_MS		50
#define MAPS_EVERY	4	/* polls */
#define STACKS_EVERY	20
/*
 * A poll reads for at most this long, so that a steady stream of events
 * cannot hold off --duration or a signal; the final read, once tracing is
 * off, has FINAL_SLICE_MS.
 */
#define SLICE_MS	200
#define FINAL_SLICE_MS	2000
/*
 * The snapshot unwinds by CFI the tasks blocked at the start whose wait
 * has lasted SNAP_CFI_NS (a hang, not a lock handed on in a moment), the
 * longest first, at most SNAP_CFI_MAX of them; the others keep the
 * module's stacks, as every later wait does. Each unwind reads the
 * thread's stack and its libraries' CFI: on a busy host, with a recorder
 * at low priority, unwinding every short wait held the start back for a
 * minute.
 */
#define SNAP_CFI_NS	1000000000ull
#define SNAP_CFI_MAX	64

static volatile sig_atomic_t lmr_stop;

static void on_signal(int sig)
{
	(void)sig;
	lmr_stop = 1;
}

struct lmr_proc_info {
	pid_t pid;
	pid_t tgid;		/* of a tid */
	char comm[16];
	int want;		/* -1 unknown, 0 no, 1 yes (tgids only) */
	char *maps_raw;		/* last /proc/PID/maps recorded (tgids) */
};

struct rec {
	const struct lmr_opts *o;
	struct lmr_writer w;
	pid_t child;
	bool tree;		/* the module follows child's process tree */
	struct lmr_proc_info *p;
	size_t np, capp;
	u32 *stacks;		/* stack ids referred to, and done flag */
	bool *stack_done;
	size_t ns, caps, caps2;
	u64 snapshot, first_ns;	/* records of the snapshot */
	struct lmr_state symst;	/* the maps that syms reads, cached */
	struct lmr_syms *syms;	/* for the CFI stacks of findings */
	u32 next_cfi;		/* the next id of such a stack */
	int err;
};

static struct lmr_proc_info *info(struct rec *r, pid_t pid)
{
	struct lmr_proc_info *arr;
	size_t i;

	for (i = 0; i < r->np; i++)
		if (r->p[i].pid == pid)
			return &r->p[i];
	arr = lmr_grow(r->p, &r->capp, r->np, sizeof(*arr));
	if (!arr)
		return NULL;
	r->p = arr;
	arr = &arr[r->np++];
	arr->pid = pid;
	arr->want = -1;
	return arr;
}

/* Tgid and comm of a tid, read once from /proc while it lives. */
static struct lmr_proc_info *task(struct rec *r, pid_t tid)
{
	struct lmr_proc_info *t = info(r, tid);
	char path[64], *s, *p;

	if (!t || t->tgid)
		return t;
	lmr_proc_comm(tid, t->comm, sizeof(t->comm));
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	s = lmr_read_file(path, NULL, 65536);
	p = s ? strstr(s, "\nTgid:") : NULL;
	t->tgid = p ? atoi(p + 6) : tid;
	free(s);
	return t;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], *s, *p;
	pid_t pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	s = lmr_read_file(path, NULL, 65536);
	p = s ? strstr(s, "\nPPid:") : NULL;
	if (p)
		pp = atoi(p + 6);
	free(s);
	return pp;
}

/* Is process @tgid one we record? With a command: it or a descendant. */
static bool wanted(struct rec *r, pid_t tgid)
{
	struct lmr_proc_info *p = info(r, tgid);
	pid_t a;
	int depth;

	if (!p)
		return false;
	if (p->want >= 0)
		return p->want;
	p->want = 1;
	if (r->child && !r->tree) {
		p->want = 0;
		for (a = tgid, depth = 0; a > 1 && depth < 64; depth++) {
			if (a == r->child) {
				p->want = 1;
				break;
			}
			a = parent_of(a);
		}
	}
	if (r->o->pid && r->o->pid != tgid)
		p->want = 0;
	return p->want;
}

/* Record the maps of @tgid again if they changed since last time. */
static void maps(struct rec *r, pid_t tgid)
{
	struct lmr_proc_info *p = info(r, tgid);
	char path[64], *raw, *full;

	if (!p)
		return;
	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	raw = lmr_read_file(path, NULL, 16 << 20);
	if (!raw || !*raw || (p->maps_raw && !strcmp(raw, p->maps_raw))) {
		free(raw);
		return;
	}
	full = lmr_read_maps(tgid);
	if (full) {
		/* "# maps" starts a snapshot: the reader drops older ones */
		lmr_writer_put_maps(&r->w, tgid, "# maps\n");
		lmr_writer_put_maps(&r->w, tgid, full);
		free(p->maps_raw);
		p->maps_raw = raw;
		raw = NULL;
	}
	free(full);
	free(raw);
}

static void note_stack(struct rec *r, u32 id)
{
	u32 *a;
	bool *b;
	size_t i;

	if (!id)
		return;
	for (i = 0; i < r->ns; i++)
		if (r->stacks[i] == id)
			return;
	a = lmr_grow(r->stacks, &r->caps, r->ns, sizeof(*a));
	if (!a)
		return;
	r->stacks = a;
	b = lmr_grow(r->stack_done, &r->caps2, r->ns, sizeof(*b));
	if (!b)
		return;
	r->stack_done = b;
	a[r->ns] = id;
	b[r->ns++] = false;
}

/* An event record, after the maps of its process when they are new. */
/* A snapshot record of one task in a wait: the fields both kinds share. */
static void snap_task(struct lockmon_record *rec, unsigned int type, pid_t tid,
		      pid_t tgid, u64 futex_id, u64 uaddr, pid_t owner,
		      const char *how, u32 stack_id, const char *comm)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = (__u16)type;
	rec->tid = (u32)tid;
	rec->tgid = (u32)tgid;
	rec->futex_id = futex_id;
	rec->uaddr = uaddr;
	rec->peer = (u32)owner;
	rec->owner_how = (__u16)lmr_how_code(how);
	rec->stack_id = stack_id;
	memcpy(rec->comm, comm, sizeof(rec->comm));
}

static void put(struct rec *r, const struct lockmon_record *rec)
{
	struct lmr_proc_info *p = info(r, (pid_t)rec->tgid);

	if (p && !p->maps_raw)
		maps(r, (pid_t)rec->tgid);
	note_stack(r, rec->stack_id);
	if (lmr_writer_put(&r->w, rec))
		r->err = -EIO;
}

static void stacks(struct rec *r);

/*
 * The stack of a finding's thread (or one blocked at the start) by CFI,
 * while the process lives, or from the module's copy once it is gone
 * (lmr_finding_cfi()), written to the file as a stack of the recorder's
 * own; @module_id (the module's stack for that wait, in @st) if there is
 * none. The module's return addresses may be a guess where code has no
 * frame pointers; these frames are checked as gdb checks them.
 */
static u32 cfi_stack(struct rec *r, const struct lmr_state *st, pid_t tgid,
		     pid_t tid, u64 uaddr, u32 module_id)
{
	const struct lmr_stack *m = st ? lmr_find_stack(st, module_id) : NULL;
	struct lockmon_record rec;
	u64 ips[LOCKMON_MAX_STACK];
	int n;

	if (!r->syms || r->next_cfi < LMR_CFI_STACK_ID)
		return module_id;
	n = lmr_finding_cfi(r->syms, tgid, tid, uaddr, m ? m->ip : NULL,
			    m ? m->nr : 0, ips, LOCKMON_MAX_STACK);
	if (n <= 0)
		return module_id;
	memset(&rec, 0, sizeof(rec));
	rec.type = LOCKMON_REC_STACK;
	rec.stack_id = r->next_cfi++;
	rec.tgid = (u32)tgid;
	rec.nr = (__u16)n;
	memcpy(rec.stack, ips, (size_t)n * sizeof(u64));
	if (lmr_writer_put(&r->w, &rec)) {
		r->err = -EIO;
		return module_id;
	}
	/* written: stacks() is not to look for it in the module's table */
	note_stack(r, rec.stack_id);
	if (r->ns && r->stacks[r->ns - 1] == rec.stack_id)
		r->stack_done[r->ns - 1] = true;
	return rec.stack_id;
}

static void on_event(const struct lockmon_record *ev, void *ctx)
{
	struct rec *r = ctx;
	struct lockmon_record rec = *ev;
	struct lmr_proc_info *t, *peer;

	/* a stall names a process, not a thread: its main thread stands in */
	t = task(r, (pid_t)(rec.type == LOCKMON_REC_STALL ? rec.tgid : rec.tid));
	if (!t)
		return;
	if (!rec.tgid)
		rec.tgid = (u32)t->tgid;
	if (rec.type == LOCKMON_REC_WAKE) {
		/* a wake matters to the wakee's handoff as well */
		peer = task(r, (pid_t)rec.peer);
		if (!wanted(r, (pid_t)rec.tgid) &&
		    !(peer && wanted(r, peer->tgid)))
			return;
	} else if (!wanted(r, (pid_t)rec.tgid)) {
		return;
	}
	if (r->o->comm[0] && rec.type != LOCKMON_REC_WAKE &&
	    strcmp(r->o->comm, t->comm))
		return;
	/* one that has exited: the comm ftrace saved with the event */
	if (strcmp(t->comm, "-") || !rec.comm[0] || rec.comm[0] == '<')
		memcpy(rec.comm, t->comm, sizeof(rec.comm));
	if (!r->first_ns)
		r->first_ns = rec.ts_ns;
	/*
	 * A finding's thread is in its wait now, but for a starvation,
	 * found as that wait ended (cfi_stack() checks the wait)
	 */
	if (rec.type == LOCKMON_REC_FINDING &&
	    rec.result != LOCKMON_FINDING_STARVATION && rec.uaddr)
		rec.stack_id = cfi_stack(r, NULL, (pid_t)rec.tgid,
					 (pid_t)rec.tid, rec.uaddr,
					 rec.stack_id);
	put(r, &rec);
}

/*
 * The present, before the events: the tasks of the processes we record
 * that are blocked now, with their lock, owner and stack, and the findings
 * open now. Their records have ts_ns 0, so they sort first; a wait that
 * began after the events were on is in both, and the reader keeps the
 * event.
 */
/* The SNAP_CFI_MAX-th longest wait of the tasks to record: unwound if >=. */
static u64 snap_cfi_from(struct rec *r, const struct lmr_state *st)
{
	u64 top[SNAP_CFI_MAX] = { 0 };
	unsigned int j, n = 0;
	size_t i;

	for (i = 0; i < st->nr_tasks; i++) {
		const struct lmr_task *t = &st->tasks[i];
		u64 w = t->wait_ns;

		if (!t->tid || !wanted(r, t->tgid) || w < SNAP_CFI_NS ||
		    (r->o->comm[0] && strcmp(r->o->comm, t->comm)))
			continue;
		/* kept in descending order: insert, dropping the smallest */
		if (n == SNAP_CFI_MAX && w <= top[n - 1])
			continue;
		if (n < SNAP_CFI_MAX)
			n++;
		for (j = n - 1; j > 0 && top[j - 1] < w; j--)
			top[j] = top[j - 1];
		top[j] = w;
	}
	return n == SNAP_CFI_MAX ? top[n - 1] : SNAP_CFI_NS;
}

static void snapshot(struct rec *r)
{
	struct lmr_state st = { 0 };
	struct lockmon_record rec;
	unsigned int k, unwound = 0;
	u64 cfi_from;
	size_t i;

	if (lmr_debugfs_load(&st, LMR_F_TASKS | LMR_F_FINDINGS | LMR_F_STACKS)) {
		lmr_warn("the recording starts without the blocked tasks and findings of now");
		goto out;
	}
	cfi_from = snap_cfi_from(r, &st);
	for (i = 0; i < st.nr_tasks && !r->err; i++) {
		const struct lmr_task *t = &st.tasks[i];
		u32 stack_id = t->stack_id;

		if (!t->tid || !wanted(r, t->tgid) ||
		    (r->o->comm[0] && strcmp(r->o->comm, t->comm)))
			continue;
		/* equal waits at the bound: still no more than the most */
		if (t->wait_ns >= cfi_from && unwound < SNAP_CFI_MAX) {
			stack_id = cfi_stack(r, &st, t->tgid, t->tid, t->uaddr,
					     t->stack_id);
			unwound++;
		}
		snap_task(&rec, LOCKMON_REC_WAIT_BEGIN, t->tid, t->tgid,
			  t->futex_id, t->uaddr, t->owner, t->owner_how,
			  stack_id, t->comm);
		rec.nr = 1;
		rec.value = t->wait_ns;
		put(r, &rec);
	}
	for (i = 0; i < st.nr_findings && !r->err; i++) {
		const struct lmr_finding *f = &st.findings[i];
		bool want = false;

		/* a finding is recorded whole if a task of it is ours */
		for (k = 0; k < f->nr; k++)
			want |= f->t[k].tgid && wanted(r, f->t[k].tgid);
		if (!want || !lmr_kind_code(f->kind))
			continue;
		for (k = 0; k < f->nr; k++) {
			const struct lmr_finding_task *t = &f->t[k];

			snap_task(&rec, LOCKMON_REC_FINDING, t->tid, t->tgid,
				  t->futex_id, t->uaddr, t->owner, t->how,
				  cfi_stack(r, &st, t->tgid, t->tid, t->uaddr,
					    t->stack_id), t->comm);
			rec.value = f->seq;
			rec.result = (__u16)lmr_kind_code(f->kind);
			rec.nr = (__u16)k;
			put(r, &rec);
		}
		/* a whole process blocked: as its lockmon_stall event says */
		if (f->stall_threads && f->stall_tgid) {
			memset(&rec, 0, sizeof(rec));
			rec.type = LOCKMON_REC_STALL;
			rec.value = f->seq;
			rec.tgid = (u32)f->stall_tgid;
			rec.peer = f->stall_threads;
			rec.blocked_ms = f->stall_blocked_ns / 1000000;
			lmr_proc_comm(f->stall_tgid, rec.comm, sizeof(rec.comm));
			if (!lmr_record_check(&rec, NULL, 0))
				put(r, &rec);
		}
	}
	r->snapshot = r->w.events;
	/* the stacks now, before their processes can exit */
	stacks(r);
out:
	lmr_state_free(&st);
}

/* Stack table entries the events named, each written once. */
static void stacks(struct rec *r)
{
	struct lmr_state st = { 0 };
	struct lockmon_record rec;
	size_t i;

	for (i = 0; i < r->ns && r->stack_done[i]; i++)
		;
	if (i == r->ns || lmr_debugfs_load(&st, LMR_F_STACKS))
		goto out;
	for (i = 0; i < r->ns; i++) {
		const struct lmr_stack *s;

		if (r->stack_done[i])
			continue;
		s = lmr_find_stack(&st, r->stacks[i]);
		if (!s)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.type = LOCKMON_REC_STACK;
		rec.stack_id = s->id;
		rec.tgid = (u32)s->tgid;
		rec.nr = (__u16)s->nr;
		memcpy(rec.stack, s->ip, s->nr * sizeof(u64));
		if (lmr_writer_put(&r->w, &rec))
			r->err = -EIO;
		r->stack_done[i] = true;
	}
out:
	lmr_state_free(&st);
}

/* The module's tree filter root (0: off), -1 if it has no tree filter. */
static int tree_get(void)
{
	char *s = lmr_read_file(LMR_DIR "/control", NULL, 4096), *p;
	int root = -1;

	p = s ? strstr(s, "\ntree ") : NULL;
	if (p)
		root = atoi(p + 6);
	free(s);
	return root;
}

static int tree_put(pid_t root)
{
	char cmd[32];
	FILE *f = fopen(LMR_DIR "/control", "w");
	int ok;

	if (!f)
		return -1;
	snprintf(cmd, sizeof(cmd), "tree %d\n", root);
	ok = fputs(cmd, f) >= 0;
	return fclose(f) || !ok ? -1 : 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

int lmr_cmd_record(const struct lmr_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rec r = { .o = o, .next_cfi = LMR_CFI_STACK_ID };
	struct lmr_stream *s = NULL;
	int status = 0, go[2] = { -1, -1 }, polls = 0, tree_was = -1;
	u64 t0, lost = 0;
	size_t i;
	int err;

	err = lmr_check_live(true);
	if (err)
		return err;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (lmr_writer_open(&r.w, o->output))
		return -EIO;
	r.syms = lmr_syms_new(&r.symst, true);
	s = lmr_stream_open(o->buffer_kb);
	if (!s) {
		err = -EIO;
		goto close_writer;
	}
	/* a command's processes do not exist yet: nothing to take */
	if (!o->cmd)
		snapshot(&r);
	if (o->cmd) {
		/* the child waits for the events to be on before exec */
		if (pipe(go)) {
			err = -errno;
			lmr_err("pipe: %s", strerror(errno));
			goto close_stream;
		}
		r.child = fork();
		if (r.child < 0) {
			err = -errno;
			lmr_err("fork: %s", strerror(errno));
			goto close_stream;
		}
		if (!r.child) {
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(127);
			close(go[0]);
			execvp(o->cmd[0], o->cmd);
			lmr_err("cannot run %s: %s", o->cmd[0], strerror(errno));
			_exit(127);
		}
		close(go[0]);
		/*
		 * The module traces the child and every process forked from
		 * it, to any depth, before it runs: no /proc walk can keep up
		 * with short-lived or reparented descendants.
		 */
		tree_was = tree_get();
		if (tree_was < 0)
			lmr_warn("the module has no tree filter: descendants are found through /proc, late ones may be missed");
		else if (tree_put(r.child))
			lmr_warn("cannot set the tree filter: %s", strerror(errno));
		else
			r.tree = true;
		if (write(go[1], "g", 1) != 1)
			lmr_warn("cannot start %s", o->cmd[0]);
		close(go[1]);
	}
	t0 = mono_ns();
	while (!lmr_stop && !r.err) {
		int more = lmr_stream_poll(s, on_event, &r, SLICE_MS);

		if (more < 0) {
			err = -EIO;
			lmr_err("cannot read the trace buffers");
			break;
		}
		if (++polls % MAPS_EVERY == 0) {
			for (i = 0; i < r.np; i++)
				if (r.p[i].want == 1 && r.p[i].maps_raw)
					maps(&r, r.p[i].pid);
			if (r.child && wanted(&r, r.child))
				maps(&r, r.child);
		}
		if (polls % STACKS_EVERY == 0)
			stacks(&r);
		if (r.child && waitpid(r.child, &status, WNOHANG) == r.child)
			break;
		if (!r.child && o->duration > 0 &&
		    mono_ns() - t0 >= (u64)(o->duration * 1e9))
			break;
		if (!more)
			sleep_ms(POLL_MS);
	}
	/* what is still in the buffers, and the stacks it names */
	lmr_stream_stop(s);
	if (lmr_stream_poll(s, on_event, &r, FINAL_SLICE_MS) < 0)
		err = -EIO;
	stacks(&r);
	lost = lmr_stream_lost(s);
	if (r.err)
		err = r.err;
	/* what the file holds, as report counts it: the stacks and maps too */
	fprintf(stderr, "lockmon-report: recorded %llu records (%llu events, %llu of them the snapshot of the start) to %s; lost events: %llu%s\n",
		(unsigned long long)r.w.records,
		(unsigned long long)r.w.events,
		(unsigned long long)r.snapshot, o->output,
		(unsigned long long)lost,
		lost ? " (the ring buffer overflowed: use a larger --buffer-kb)" : "");
	if (r.child && lmr_stop) {
		kill(r.child, SIGTERM);
		waitpid(r.child, &status, 0);
	}
close_stream:
	if (r.tree && tree_put(tree_was))
		lmr_warn("cannot restore the tree filter to %d", tree_was);
	lmr_stream_close(s);
	if (lmr_writer_close(&r.w, lost, r.first_ns) && !err)
		err = -EIO;
	goto done;
close_writer:
	lmr_writer_close(&r.w, 0, 0);
done:
	for (i = 0; i < r.np; i++)
		free(r.p[i].maps_raw);
	free(r.p);
	free(r.stacks);
	free(r.stack_done);
	lmr_syms_free(r.syms);
	lmr_state_free(&r.symst);
	return err;
}

int lmr_cmd_report(const struct lmr_opts *o, const char *path)
{
	struct lmr_state st = { 0 };
	struct lmr_ctx c = { .st = &st, .o = o, .out = stdout };
	int err;

	err = lmr_record_load(path, o->force ? LMR_READ_FORCE : 0, &st);
	if (err)
		goto out;
	lmr_filter(&st, o);
	c.syms = lmr_syms_new(&st, false);
	/* a profile that could not be written: no report either */
	if (o->pprof && lmr_pprof_write(&c, o->pprof))
		err = -EIO;
	else if (o->json)
		lmr_json_view(&c, "report");
	else if (o->folded)
		lmr_folded(&c);
	else
		lmr_view_report(&c);
	lmr_syms_free(c.syms);
out:
	lmr_state_free(&st);
	return err;
}
