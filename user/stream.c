// SPDX-License-Identifier: GPL-2.0
/*
 * The lockmon trace events, read through libtracefs from an instance of
 * our own ("lockmon-report-<pid>"), so other tracing users keep their
 * buffers and settings; and the same events from trace-cmd's trace.dat
 * files through libtracecmd. Fields are looked up by name with
 * libtraceevent: fields added later do not break us, and events we do not
 * know are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <event-parse.h>
#include <tracefs.h>
#include <trace-cmd.h>
#include "lockmon-report.h"

struct lmr_stream {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	int ncpus;
	u64 missed;		/* from the buffer pages' missed-event marks */
};

static int field(struct tep_event *ev, struct tep_record *rec,
		 const char *name, unsigned long long *v)
{
	struct tep_format_field *f = tep_find_field(ev, name);

	*v = 0;
	if (!f)
		return -ENOENT;
	return tep_read_number_field(f, rec->data, v) ? -EINVAL : 0;
}

/*
 * One event as a record; r->type is 0 for events that have no record type
 * (later additions) and for those the reader would refuse.
 */
void lmr_event_record(struct tep_event *ev, struct tep_record *rec,
		      struct lockmon_record *r)
{
	unsigned long long v;

	memset(r, 0, sizeof(*r));
	if (!ev || !ev->system || strcmp(ev->system, "lockmon"))
		return;
	r->ts_ns = rec->ts;
#define F(name, dst) do { field(ev, rec, name, &v); dst = v; } while (0)
	if (!strcmp(ev->name, "lockmon_wait_begin")) {
		r->type = LOCKMON_REC_WAIT_BEGIN;
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("futex_id", r->futex_id);
		F("uaddr", r->uaddr);
		F("owner", r->peer);
		F("owner_how", r->owner_how);
		F("stack_id", r->stack_id);
	} else if (!strcmp(ev->name, "lockmon_wait_end")) {
		r->type = LOCKMON_REC_WAIT_END;
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("futex_id", r->futex_id);
		F("uaddr", r->uaddr);
		F("wait_ns", r->value);
		F("result", r->result);
		/* ABI 1.2: the stack and profile weight come with the end */
		if (!field(ev, rec, "weight_ns", &v)) {
			r->weight_ns = v;
			r->nr = 1;
			F("stack_id", r->stack_id);
		}
	} else if (!strcmp(ev->name, "lockmon_wait_stack")) {
		r->type = LOCKMON_REC_WAIT_STACK;
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("futex_id", r->futex_id);
		F("stack_id", r->stack_id);
	} else if (!strcmp(ev->name, "lockmon_wake")) {
		r->type = LOCKMON_REC_WAKE;
		F("waker", r->tid);
		F("wakee", r->peer);
		F("futex_id", r->futex_id);
		/* ABI 1.6: the waker's stack, for the mutex profile */
		if (!field(ev, rec, "weight_ns", &v)) {
			r->weight_ns = v;
			r->nr = 1;
			F("stack_id", r->stack_id);
			F("wait_ns", r->value);
		}
	} else if (!strcmp(ev->name, "lockmon_thread_create")) {
		r->type = LOCKMON_REC_THREAD;
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("child", r->peer);
		F("stack_id", r->stack_id);
	} else if (!strcmp(ev->name, "lockmon_finding")) {
		r->type = LOCKMON_REC_FINDING;
		F("seq", r->value);
		F("kind", r->result);
		F("index", r->nr);
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("futex_id", r->futex_id);
		F("uaddr", r->uaddr);
		F("owner", r->peer);
		F("owner_how", r->owner_how);
	} else if (!strcmp(ev->name, "lockmon_owner")) {
		r->type = LOCKMON_REC_OWNER;
		F("tid", r->tid);
		F("tgid", r->tgid);
		F("futex_id", r->futex_id);
		F("owner", r->peer);
		F("owner_how", r->owner_how);
	} else if (!strcmp(ev->name, "lockmon_stall")) {
		r->type = LOCKMON_REC_STALL;
		F("seq", r->value);
		F("tgid", r->tgid);
		F("threads", r->peer);
		F("blocked_ms", r->blocked_ms);
	}
#undef F
	if (r->type && lmr_record_check(r, NULL, 0))
		r->type = 0;
}

struct lmr_cb {
	struct lmr_stream *s;
	lmr_record_fn fn;
	void *ctx;
	u64 until_ns;		/* CLOCK_MONOTONIC; 0: no limit */
	unsigned int seen;
};

static u64 stream_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* the clock is read once per this many events */
#define STREAM_CLOCK_EVERY	256

static int stream_cb(struct tep_event *ev, struct tep_record *rec, int cpu,
		     void *data)
{
	struct lmr_cb *cb = data;
	struct lockmon_record r;

	(void)cpu;
	if (rec->missed_events)
		cb->s->missed += rec->missed_events > 0 ?
				 (u64)rec->missed_events : 1;
	lmr_event_record(ev, rec, &r);
	if (r.type)
		cb->fn(&r, cb->ctx);
	/*
	 * A non-zero return ends tracefs_iterate_raw_events(); what is left
	 * stays in the buffers for the next call.
	 */
	return cb->until_ns && ++cb->seen % STREAM_CLOCK_EVERY == 0 &&
	       stream_now() >= cb->until_ns;
}

/*
 * Our own instance with only the lockmon events on. @buffer_kb: per-CPU
 * buffer size, 0 for the kernel's default.
 */
struct lmr_stream *lmr_stream_open(unsigned int buffer_kb)
{
	const char *systems[] = { "lockmon", NULL };
	struct lmr_stream *s = calloc(1, sizeof(*s));
	char name[64], num[32];

	if (!s)
		return NULL;
	snprintf(name, sizeof(name), "lockmon-report-%d", getpid());
	s->inst = tracefs_instance_create(name);
	if (!s->inst) {
		lmr_err("cannot create the tracefs instance %s: %s", name,
			strerror(errno));
		goto fail;
	}
	if (buffer_kb) {
		snprintf(num, sizeof(num), "%u", buffer_kb);
		if (tracefs_instance_file_write(s->inst, "buffer_size_kb",
						num) < 0) {
			lmr_err("cannot set the buffer size to %u KiB", buffer_kb);
			goto fail;
		}
	}
	s->tep = tracefs_local_events_system(NULL, systems);
	if (!s->tep || !tep_find_event_by_name(s->tep, "lockmon",
					       "lockmon_wait_end")) {
		lmr_err("the lockmon trace events are not in tracefs: is the module built with them?");
		goto fail;
	}
	if (tracefs_event_enable(s->inst, "lockmon", NULL) ||
	    tracefs_trace_on(s->inst)) {
		lmr_err("cannot enable the lockmon events in instance %s", name);
		goto fail;
	}
	s->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	return s;
fail:
	lmr_stream_close(s);
	return NULL;
}

/*
 * Read what the buffers hold now, for at most @slice_ms (0: until they are
 * empty). The iteration reads until every buffer is empty, which under a
 * steady load may be never: a caller that must also watch a clock or a
 * signal passes a slice and calls again. Returns 1 when the slice ran
 * out (events may be left), 0 when the buffers were read to the end, or
 * -EIO.
 */
int lmr_stream_poll(struct lmr_stream *s, lmr_record_fn fn, void *ctx,
		    unsigned int slice_ms)
{
	struct lmr_cb cb = { s, fn, ctx, 0, 0 };

	if (slice_ms)
		cb.until_ns = stream_now() + (u64)slice_ms * 1000000ull;

	if (tracefs_iterate_raw_events(s->tep, s->inst, NULL, 0, stream_cb,
				       &cb) < 0)
		return -EIO;
	return cb.until_ns && stream_now() >= cb.until_ns;
}

/*
 * Events the ring buffer overwrote or dropped, and those still in it,
 * summed over the CPUs: called after the last poll.
 */
u64 lmr_stream_lost(struct lmr_stream *s)
{
	/* "entries:", read after the last poll, is what was never read */
	static const char *const keys[] = { "overrun:", "commit overrun:",
					    "dropped events:", "entries:" };
	char file[64], *text, *p;
	u64 lost = 0;
	size_t k;
	int cpu;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(s->inst, file, NULL);
		if (!text)
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			for (p = text; (p = strstr(p, keys[k])); p++) {
				/* "overrun:" must start a line */
				if (p != text && p[-1] != '\n')
					continue;
				lost += strtoull(p + strlen(keys[k]), NULL, 10);
				break;
			}
		}
		free(text);
	}
	return lost > s->missed ? lost : s->missed;
}

/* No more events into the instance: the next poll can read it empty. */
void lmr_stream_stop(struct lmr_stream *s)
{
	tracefs_trace_off(s->inst);
}

void lmr_stream_close(struct lmr_stream *s)
{
	if (!s)
		return;
	if (s->inst) {
		tracefs_trace_off(s->inst);
		tracefs_event_disable(s->inst, NULL, NULL);
		tracefs_instance_destroy(s->inst);
		tracefs_instance_free(s->inst);
	}
	if (s->tep)
		tep_free(s->tep);
	free(s);
}

/* ---- trace.dat ------------------------------------------------------- */

bool lmr_is_tracedat(const void *buf, size_t len)
{
	static const char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
				      'i', 'n', 'g' };

	return len >= sizeof(magic) && !memcmp(buf, magic, sizeof(magic));
}

struct lmr_dat {
	struct tep_handle *tep;
	struct lmr_analysis *a;
	u64 missed;
};

static int dat_cb(struct tracecmd_input *h, struct tep_record *rec, int cpu,
		  void *data)
{
	struct lmr_dat *d = data;
	struct lockmon_record r;
	struct tep_event *ev;
	int pid;

	(void)h;
	(void)cpu;
	if (rec->missed_events)
		d->missed += rec->missed_events > 0 ?
			     (u64)rec->missed_events : 1;
	ev = tep_find_event_by_record(d->tep, rec);
	lmr_event_record(ev, rec, &r);
	if (!r.type)
		return 0;
	if (r.type == LOCKMON_REC_WAKE)
		r.tgid = (u32)tep_data_pid(d->tep, rec);
	/* a stall is about a process: the name of its main thread */
	pid = (int)(r.type == LOCKMON_REC_STALL ? r.tgid : r.tid);
	snprintf(r.comm, sizeof(r.comm), "%s",
		 tep_data_comm_from_pid(d->tep, pid));
	lmr_analysis_add(d->a, &r);
	return 0;
}

/*
 * A trace-cmd recording of the lockmon events (trace-cmd record -e
 * lockmon). It has no stack table and no maps: stacks show as addresses.
 */
int lmr_tracedat_load(const char *path, struct lmr_state *st)
{
	struct tracecmd_input *h;
	struct lmr_dat d = { 0 };

	tracecmd_set_loglevel(TEP_LOG_NONE);
	h = tracecmd_open(path, 0);
	if (!h) {
		lmr_err("%s: not a readable trace.dat file", path);
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	st->source = "trace.dat";
	st->recorded = true;
	d.tep = tracecmd_get_tep(h);
	d.a = lmr_analysis_new(st);
	if (!d.a) {
		tracecmd_close(h);
		return -ENOMEM;
	}
	tracecmd_iterate_events(h, NULL, 0, dat_cb, &d);
	lmr_analysis_finish(d.a);
	/* its records are the lockmon events read, as a record file's */
	st->records = st->events;
	st->lost_events = d.missed;
	tracecmd_close(h);
	return 0;
}
