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
#include <zlib.h>
#include "lockmon-report.h"

#define LMR_RECORD_FILE_MAX	(1ULL << 32)

static u32 crc(const void *p, size_t len)
{
	return (u32)crc32(0L, p, (uInt)len);
}

static void header_fill(struct lockmon_file_header *h, u64 records, u64 lost,
			u64 start_ns)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, LOCKMON_FILE_MAGIC, sizeof(h->magic));
	h->format_major = LMR_FORMAT_MAJOR;
	h->format_minor = LMR_FORMAT_MINOR;
	h->record_size = sizeof(struct lockmon_record);
	h->lost_events = lost;
	h->start_ns = start_ns;
	h->records = records;
	h->block_records = LMR_BLOCK_RECORDS;
	h->header_crc = crc(h, sizeof(*h));
}

int lmr_writer_open(struct lmr_writer *w, const char *path)
{
	struct lockmon_file_header h;

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "w");
	if (!w->f) {
		lmr_err("cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	w->path = strdup(path);
	/* 0 records until the close: a file cut short says so */
	header_fill(&h, 0, 0, 0);
	if (fwrite(&h, sizeof(h), 1, w->f) != 1) {
		lmr_err("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* The records held back, as one block. */
static int writer_flush(struct lmr_writer *w)
{
	struct lockmon_block_header b = {
		.magic = LMR_BLOCK_MAGIC,
		.nr = w->nblk,
		.first = w->records - w->nblk,
	};
	size_t len = w->nblk * sizeof(w->blk[0]);

	if (!w->nblk)
		return 0;
	b.data_crc = crc(w->blk, len);
	b.header_crc = crc(&b, offsetof(struct lockmon_block_header,
					header_crc));
	w->nblk = 0;
	if (fwrite(&b, sizeof(b), 1, w->f) != 1 ||
	    fwrite(w->blk, len, 1, w->f) != 1)
		return -EIO;
	return 0;
}

static bool is_event(unsigned int type)
{
	return type != LOCKMON_REC_STACK && type != LOCKMON_REC_MAPS;
}

int lmr_writer_put(struct lmr_writer *w, const struct lockmon_record *r)
{
	w->blk[w->nblk++] = *r;
	w->records++;
	if (is_event(r->type))
		w->events++;
	if (w->nblk == LMR_BLOCK_RECORDS)
		return writer_flush(w);
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

/* The counts are only known at the end: rewrite the header. */
int lmr_writer_close(struct lmr_writer *w, u64 lost, u64 start_ns)
{
	struct lockmon_file_header h;
	int err = writer_flush(w);

	header_fill(&h, w->records, lost, start_ns);
	if (err || fflush(w->f) || fseek(w->f, 0, SEEK_SET) ||
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
	case LOCKMON_REC_WAIT_BEGIN:
		if (r->nr > 1) {
			WHY("wait begin with flags %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_WAIT_END:
		if (r->nr > 1) {
			WHY("wait end with flags %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_WAKE:
		if (r->nr > 1) {
			WHY("wake with flags %u", r->nr);
			return -EINVAL;
		}
		break;
	case LOCKMON_REC_THREAD:
		if (!r->tid || !r->tgid || !r->peer) {
			WHY("thread %u created by no task (tid %u, tgid %u)",
			    r->peer, r->tid, r->tgid);
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

/* Whether a whole, intact block starts at @off; its record count in @nr. */
static bool block_ok(const unsigned char *buf, size_t len, size_t off,
		     size_t rs, u32 most, u32 *nr, char *why, size_t whylen)
{
	struct lockmon_block_header b;

	if (len - off < sizeof(b)) {
		WHY("truncated: the block header has %zu of %zu bytes",
		    len - off, sizeof(b));
		return false;
	}
	memcpy(&b, buf + off, sizeof(b));
	if (b.magic != LMR_BLOCK_MAGIC) {
		WHY("no block header");
		return false;
	}
	if (b.header_crc != crc(&b, offsetof(struct lockmon_block_header,
					     header_crc))) {
		WHY("block header checksum mismatch");
		return false;
	}
	if (!b.nr || b.nr > most) {
		WHY("block of %u records, at most %u", b.nr, most);
		return false;
	}
	if ((len - off - sizeof(b)) / rs < b.nr) {
		WHY("truncated: a block of %u records, %zu bytes left", b.nr,
		    len - off - sizeof(b));
		return false;
	}
	if (b.data_crc != crc(buf + off + sizeof(b), b.nr * rs)) {
		WHY("checksum mismatch in the block of records %llu..%llu",
		    (unsigned long long)b.first,
		    (unsigned long long)(b.first + b.nr - 1));
		return false;
	}
	*nr = b.nr;
	return true;
}

static u64 block_first(const unsigned char *buf, size_t off)
{
	struct lockmon_block_header b;

	memcpy(&b, buf + off, sizeof(b));
	return b.first;
}

/* Note a damaged stretch of @n bytes from @off, --force going past it. */
static void damage(struct lmr_state *st, size_t off, size_t n)
{
	if (!st->damaged_places)
		st->first_damage = off;
	st->damaged_places++;
	st->damaged_bytes += n;
}

/*
 * The records of a 2.0 file's blocks into @order (room for all). Without
 * LMR_READ_FORCE the first damage is the error, named by its offset; with
 * it, damaged stretches are skipped up to the next intact block.
 */
static int read_blocks(const unsigned char *buf, size_t len,
		       const struct lockmon_file_header *h, unsigned int flags,
		       const struct lockmon_record **order, size_t *n,
		       struct lmr_state *st, char *why, size_t whylen)
{
	size_t off = sizeof(*h), rs = h->record_size, bad, i;
	bool force = flags & LMR_READ_FORCE;
	char what[96];
	u32 nr;

	*n = 0;
	while (off < len) {
		if (!block_ok(buf, len, off, rs, h->block_records, &nr, what,
			      sizeof(what))) {
			if (!force) {
				WHY("damaged at offset %zu: %s", off, what);
				return -EINVAL;
			}
			for (bad = off, off += 8; off < len; off += 8)
				if (block_ok(buf, len, off, rs,
					     h->block_records, &nr, NULL, 0))
					break;
			if (off > len)
				off = len;
			damage(st, bad, off - bad);
			continue;
		}
		if (block_first(buf, off) != *n && !force) {
			WHY("damaged at offset %zu: the block of record %llu where record %zu belongs",
			    off, (unsigned long long)block_first(buf, off), *n);
			return -EINVAL;
		}
		off += sizeof(struct lockmon_block_header);
		for (i = 0; i < nr; i++)
			order[(*n)++] = (const void *)(buf + off + i * rs);
		off += nr * rs;
	}
	if (h->records != *n && !force) {
		WHY("incomplete: the header counts %llu records, the blocks hold %zu (was the recording cut short?)",
		    (unsigned long long)h->records, *n);
		return -EINVAL;
	}
	return 0;
}

/* The header's own checks; the version is known to be 1 or 2. */
static int header_check(const struct lockmon_file_header *h,
			unsigned int flags, struct lmr_state *st, char *why,
			size_t whylen)
{
	struct lockmon_file_header c = *h;
	size_t i;

	if (h->format_major == LMR_FORMAT_MAJOR) {
		c.header_crc = 0;
		if (crc(&c, sizeof(c)) != h->header_crc) {
			if (!(flags & LMR_READ_FORCE)) {
				WHY("damaged at offset 0: header checksum mismatch");
				return -EINVAL;
			}
			damage(st, 0, 0);
		}
		if (!h->block_records || h->block_records > 65536) {
			WHY("corrupt header: %u records a block", h->block_records);
			return -EINVAL;
		}
	} else if (h->records || h->block_records || h->header_crc) {
		/* 1.x: these were reserved fields 0 and 1 */
		WHY("corrupt header: reserved field %d is not zero",
		    h->records ? 0 : 1);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		if (h->reserved[i]) {
			WHY("corrupt header: reserved field %zu is not zero",
			    i + (h->format_major == LMR_FORMAT_MAJOR ? 0 : 2));
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Check and analyse a whole record file held in @buf. On error @why says
 * what is wrong; -EPROTO for another format, -EINVAL for a bad file. With
 * LMR_READ_FORCE (2.0 files), damaged blocks and records are skipped and
 * counted in @st instead.
 */
int lmr_record_read(const void *buf, size_t len, unsigned int flags,
		    struct lmr_state *st, char *why, size_t whylen)
{
	const struct lockmon_file_header *h = buf;
	const struct lockmon_record **order = NULL;
	struct lockmon_file_header hdr;
	struct lmr_analysis *a = NULL;
	const unsigned char *p;
	char what[96];
	size_t n, i, k, rs, body;
	int err = 0;

	memset(st, 0, sizeof(*st));
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
	if (hdr.format_major != LMR_FORMAT_MAJOR &&
	    hdr.format_major != LMR_FORMAT_MAJOR_OLD) {
		WHY("recorded in format %u.%u, this reporter reads formats %u.x and %u.x",
		    hdr.format_major, hdr.format_minor, LMR_FORMAT_MAJOR_OLD,
		    LMR_FORMAT_MAJOR);
		return -EPROTO;
	}
	/* a later minor version may append fields: read our prefix */
	rs = hdr.record_size;
	if (rs < sizeof(struct lockmon_record) || rs > 65536 || rs % 8) {
		WHY("corrupt header: record size %zu, expected %zu", rs,
		    sizeof(struct lockmon_record));
		return -EINVAL;
	}
	err = header_check(&hdr, flags, st, why, whylen);
	if (err)
		return err;
	body = len - sizeof(hdr);
	p = (const unsigned char *)buf + sizeof(hdr);
	order = calloc(body / rs + 1, sizeof(*order));
	if (!order) {
		WHY("out of memory");
		return -ENOMEM;
	}
	if (hdr.format_major == LMR_FORMAT_MAJOR_OLD) {
		if (body % rs) {
			WHY("truncated: the last record has %zu of %zu bytes",
			    body % rs, rs);
			err = -EINVAL;
			goto out;
		}
		n = body / rs;
		for (i = 0; i < n; i++)
			order[i] = (const void *)(p + i * rs);
	} else {
		err = read_blocks(buf, len, &hdr, flags, order, &n, st, why,
				  whylen);
		if (err)
			goto out;
	}
	for (i = 0, k = 0; i < n; i++) {
		const struct lockmon_record *r = order[i];
		size_t off = (size_t)((const unsigned char *)r -
				      (const unsigned char *)buf);

		if (r->type < LOCKMON_REC_WAIT_BEGIN) {
			snprintf(what, sizeof(what), "type %u", r->type);
		} else if (!lmr_record_check(r, what, sizeof(what))) {
			order[k++] = r;
			continue;
		}
		if (!(flags & LMR_READ_FORCE)) {
			WHY("corrupt record %zu at offset %zu: %s", i, off, what);
			err = -EINVAL;
			goto out;
		}
		damage(st, off, rs);
		st->bad_records++;
	}
	n = k;

	st->source = "record";
	st->recorded = true;
	st->lost_events = hdr.lost_events;
	st->start_ns = hdr.start_ns;
	st->records = n;
	a = lmr_analysis_new(st);
	if (!a) {
		WHY("out of memory");
		err = -ENOMEM;
		goto out;
	}
	/* CPUs' buffers are merged by time already; make sure of it */
	qsort(order, n, sizeof(*order), cmp_ts);
	for (i = 0; i < n; i++)
		lmr_analysis_add(a, order[i]);
	lmr_analysis_finish(a);
out:
	free(order);
	if (err)
		lmr_state_free(st);
	return err;
}

int lmr_record_parse(const void *buf, size_t len, struct lmr_state *st,
		     char *why, size_t whylen)
{
	return lmr_record_read(buf, len, 0, st, why, whylen);
}

int lmr_record_load(const char *path, unsigned int flags,
		    struct lmr_state *st)
{
	char why[192];
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
	err = lmr_record_read(buf, len, flags, st, why, sizeof(why));
	free(buf);
	if (err == -EINVAL && strstr(why, "damaged at offset"))
		lmr_err("%s: %s (--force reads what is intact)", path, why);
	else if (err)
		lmr_err("%s: %s", path, why);
	else if (st->damaged_places)
		lmr_warn("%s: damaged: skipped %llu bytes in %llu places from offset %llu (%llu bad records); read %llu records",
			 path, (unsigned long long)st->damaged_bytes,
			 (unsigned long long)st->damaged_places,
			 (unsigned long long)st->first_damage,
			 (unsigned long long)st->bad_records,
			 (unsigned long long)st->records);
	return err;
}
