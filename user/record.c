// SPDX-License-Identifier: GPL-2.0
/*
 * Record files (include/uapi/linux/lockmon.h): a struct lockmon_file_header,
 * then fixed-size struct lockmon_record entries. The reader trusts nothing
 * in the file: every size and count is checked before it is used, and a
 * truncated or corrupt file is one error, never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lockmon-report.h"

#define LMR_RECORD_FILE_MAX	(1ULL << 32)

int lmr_writer_open(struct lmr_writer *w, const char *path)
{
	struct lockmon_file_header h = { .format_major = LMR_FORMAT_MAJOR };

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "w");
	if (!w->f) {
		lmr_err("cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	w->path = strdup(path);
	memcpy(h.magic, LOCKMON_FILE_MAGIC, sizeof(h.magic));
	h.format_minor = LMR_FORMAT_MINOR;
	h.record_size = sizeof(struct lockmon_record);
	if (fwrite(&h, sizeof(h), 1, w->f) != 1) {
		lmr_err("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int lmr_writer_put(struct lmr_writer *w, const struct lockmon_record *r)
{
	if (fwrite(r, sizeof(*r), 1, w->f) != 1)
		return -EIO;
	w->records++;
	return 0;
}

/*
 * One LOCKMON_REC_MAPS record per maps line, blanks squeezed; a line longer
 * than text[] continues in records with nr = 1, 2, ...
 */
int lmr_writer_put_maps(struct lmr_writer *w, pid_t tgid, const char *text)
{
	struct lockmon_record r;
	const char *p = text;
	char line[4096];
	size_t n, off;

	while (*p) {
		n = 0;
		while (*p && *p != '\n') {
			if (!(*p == ' ' && n && line[n - 1] == ' ') &&
			    n < sizeof(line) - 1)
				line[n++] = *p;
			p++;
		}
		if (*p)
			p++;
		while (n && line[n - 1] == ' ')
			n--;
		for (off = 0; off < n || !off; off += sizeof(r.text)) {
			size_t len = n - off < sizeof(r.text) ? n - off :
				     sizeof(r.text);

			memset(&r, 0, sizeof(r));
			r.type = LOCKMON_REC_MAPS;
			r.tgid = (u32)tgid;
			r.nr = (__u16)(off / sizeof(r.text));
			memcpy(r.text, line + off, len);
			if (lmr_writer_put(w, &r))
				return -EIO;
			if (!n)
				break;
		}
	}
	return 0;
}

/* The lost count is only known at the end: rewrite the header. */
int lmr_writer_close(struct lmr_writer *w, u64 lost, u64 start_ns)
{
	struct lockmon_file_header h = { .format_major = LMR_FORMAT_MAJOR };
	int err = 0;

	memcpy(h.magic, LOCKMON_FILE_MAGIC, sizeof(h.magic));
	h.format_minor = LMR_FORMAT_MINOR;
	h.record_size = sizeof(struct lockmon_record);
	h.lost_events = lost;
	h.start_ns = start_ns;
	if (fflush(w->f) || fseek(w->f, 0, SEEK_SET) ||
	    fwrite(&h, sizeof(h), 1, w->f) != 1)
		err = -EIO;
	if (fclose(w->f))
		err = -EIO;
	if (err)
		lmr_err("cannot write %s: %s", w->path, strerror(errno));
	free(w->path);
	w->f = NULL;
	return err;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct lockmon_record *x = *(const struct lockmon_record **)a;
	const struct lockmon_record *y = *(const struct lockmon_record **)b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x < y ? -1 : x > y;
}

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

/*
 * Whether the fields of one record that the analysis relies on are sane:
 * sizes and indexes in range, the task or process an event is about named.
 * The reader refuses a file with such a record, and the recorder does not
 * write one. On error @why (may be NULL) says what is wrong.
 */
int lmr_record_check(const struct lockmon_record *r, char *why, size_t whylen)
{
	switch (r->type) {
	case LOCKMON_REC_STACK:
		if (r->nr > LOCKMON_MAX_STACK || !r->stack_id) {
			WHY("stack of depth %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_FINDING:
		if (r->nr >= LOCKMON_MAX_CHAIN) {
			WHY("finding task %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_OWNER:
		if (!r->tid || !r->tgid) {
			WHY("owner change of no task (tid %u, tgid %u)", r->tid,
			    r->tgid);
			return -EINVAL;
		}
		if (r->owner_how < LOCKMON_OWNER_PI ||
		    r->owner_how > LOCKMON_OWNER_INFERRED) {
			WHY("owner change with owner_how %u", r->owner_how);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_WAIT_END:
		if (r->nr > 1) {
			WHY("wait end with flags %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_STALL:
		if (!r->value || !r->tgid || !r->peer) {
			WHY("stall %llu of process %u with %u threads",
			    (unsigned long long)r->value, r->tgid, r->peer);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/*
 * Check and analyse a whole record file held in @buf. On error @why says
 * what is wrong; -EPROTO for another ABI, -EINVAL for a bad file.
 */
int lmr_record_parse(const void *buf, size_t len, struct lmr_state *st,
		     char *why, size_t whylen)
{
	const struct lockmon_file_header *h = buf;
	const struct lockmon_record **order = NULL;
	struct lockmon_file_header hdr;
	struct lmr_analysis *a = NULL;
	const unsigned char *p;
	char what[96];
	size_t n, i, rs, body;
	int err = 0;

	if (len < sizeof(hdr.magic) ||
	    memcmp(h->magic, LOCKMON_FILE_MAGIC, sizeof(hdr.magic))) {
		WHY("not a lockmon record file (bad magic)");
		return -EINVAL;
	}
	if (len < sizeof(*h)) {
		WHY("truncated: %zu bytes, the header alone is %zu", len,
		    sizeof(*h));
		return -EINVAL;
	}
	memcpy(&hdr, h, sizeof(hdr));
	if (hdr.format_major != LMR_FORMAT_MAJOR) {
		WHY("recorded in format %u.%u, this reporter reads format %u.x",
		    hdr.format_major, hdr.format_minor, LMR_FORMAT_MAJOR);
		return -EPROTO;
	}
	/* a later minor version may append fields: read our prefix */
	rs = hdr.record_size;
	if (rs < sizeof(struct lockmon_record) || rs > 65536 || rs % 8) {
		WHY("corrupt header: record size %zu, expected %zu", rs,
		    sizeof(struct lockmon_record));
		return -EINVAL;
	}
	for (i = 0; i < 4; i++) {
		if (hdr.reserved[i]) {
			WHY("corrupt header: reserved field %zu is not zero", i);
			return -EINVAL;
		}
	}
	body = len - sizeof(hdr);
	if (body % rs) {
		WHY("truncated: the last record has %zu of %zu bytes", body % rs,
		    rs);
		return -EINVAL;
	}
	n = body / rs;
	p = (const unsigned char *)buf + sizeof(hdr);
	for (i = 0; i < n; i++) {
		const struct lockmon_record *r = (const void *)(p + i * rs);

		if (r->type < LOCKMON_REC_WAIT_BEGIN) {
			WHY("corrupt record %zu: type %u", i, r->type);
			return -EINVAL;
		}
		if (lmr_record_check(r, what, sizeof(what))) {
			WHY("corrupt record %zu: %s", i, what);
			return -EINVAL;
		}
	}

	memset(st, 0, sizeof(*st));
	st->source = "record";
	st->recorded = true;
	st->lost_events = hdr.lost_events;
	st->start_ns = hdr.start_ns;
	st->records = n;
	order = calloc(n ? n : 1, sizeof(*order));
	a = lmr_analysis_new(st);
	if (!order || !a) {
		WHY("out of memory");
		err = -ENOMEM;
		goto out;
	}
	/* CPUs' buffers are merged by time already; make sure of it */
	for (i = 0; i < n; i++)
		order[i] = (const void *)(p + i * rs);
	qsort(order, n, sizeof(*order), cmp_ts);
	for (i = 0; i < n; i++)
		lmr_analysis_add(a, order[i]);
out:
	if (a)
		lmr_analysis_finish(a);
	free(order);
	return err;
}

int lmr_record_load(const char *path, struct lmr_state *st)
{
	char why[160];
	size_t len;
	char *buf;
	int err;

	buf = lmr_read_file(path, &len, LMR_RECORD_FILE_MAX);
	if (!buf) {
		lmr_err("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	if (lmr_is_tracedat(buf, len)) {
		free(buf);
		return lmr_tracedat_load(path, st);
	}
	err = lmr_record_parse(buf, len, st, why, sizeof(why));
	free(buf);
	if (err)
		lmr_err("%s: %s", path, why);
	return err;
}
