// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers against debugfs text captured from a VM run (fixtures/), and
 * record files written by our writer and damaged on purpose.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <event-parse.h>
#include <zlib.h>
#include "test.h"

static void version_file(void)
{
	char *t = fixture("version.txt"), ver[32];
	unsigned int major, minor;

	CHECK(lmr_parse_version(t, ver, sizeof(ver), &major, &minor) == 0);
	CHECK(!strcmp(ver, "0.1.0") && major == 1 && minor == 0);
	CHECK(lmr_parse_version("lockmon\n", ver, sizeof(ver), &major, &minor));
	CHECK(lmr_parse_version("lockmon 1 abi 1.0 junk", ver, sizeof(ver),
				&major, &minor));
	free(t);
}

static void locks_table(void)
{
	struct lmr_state st = { 0 };
	char *t = fixture("contend-locks.txt");
	const struct lmr_lock *l;

	CHECK(lmr_parse_locks(t, &st) == 0);
	CHECK(st.nr_locks == 3);
	l = &st.locks[0];
	CHECK(l->id == 0x74a75d7e636b70ffULL);
	CHECK(!strcmp(l->klass, "lock"));
	CHECK(l->tgid == 119 && l->uaddr == 0x556a10e741c0ULL);
	CHECK(l->waits == 32 && l->wakes == 32);
	CHECK(l->total_ns == 6378249700ULL && l->max_ns == 202756630ULL);
	CHECK(l->handoff_avg_ns == 58793 && l->handoff_max_ns == 472940);
	CHECK(l->waiters == 4 && l->owner == 119);
	CHECK(!strcmp(l->owner_how, "glibc-owner"));
	CHECK(st.locks[1].owner == 0 && st.locks[1].waiters == 0);
	lmr_state_free(&st);
	free(t);
}

static void tasks_and_graph(void)
{
	struct lmr_state st = { 0 };
	char *t = fixture("abba-tasks.txt"), *g = fixture("abba-waitgraph.txt");
	size_t i, cycles = 0;

	CHECK(lmr_parse_tasks(t, &st) == 0);
	CHECK(st.nr_tasks == 3);
	CHECK(st.tasks[0].tid == 134 && st.tasks[0].tgid == 132);
	CHECK(st.tasks[0].wait_ns == 3178616760ULL);
	CHECK(st.tasks[0].owner == 135 && st.tasks[0].stack_id == 3353);
	CHECK(!strcmp(st.tasks[0].comm, "abba"));
	/* the graph merges into the same rows by tid */
	CHECK(lmr_parse_waitgraph(g, &st) == 0);
	CHECK(st.nr_tasks == 3);
	for (i = 0; i < st.nr_tasks; i++)
		cycles += st.tasks[i].cycle;
	CHECK(cycles == 2);
	CHECK(st.tasks[0].owner_waits_on == 0x0c7791d5b1ac7befULL);
	CHECK(st.tasks[1].owner_waits_on == 0 && !st.tasks[1].cycle);
	lmr_state_free(&st);
	free(t);
	free(g);
}

static void deadlocks_file(void)
{
	struct lmr_state st = { 0 };
	char *t = fixture("abba-deadlocks.txt");
	const struct lmr_finding *f;

	CHECK(lmr_parse_deadlocks(t, &st) == 0);
	CHECK(st.nr_findings == 2);
	f = &st.findings[0];
	CHECK(f->seq == 1 && !strcmp(f->kind, "cycle") && f->nr == 2);
	CHECK(f->latency_ns == 70360);
	CHECK(f->t[0].tid == 135 && f->t[0].owner == 134);
	CHECK(f->t[0].uaddr == 0x564b88fd30e0ULL && f->t[0].stack_id == 3281);
	CHECK(!strcmp(f->t[1].how, "glibc-owner"));
	CHECK(!strcmp(st.findings[1].kind, "stall") && st.findings[1].nr == 3);
	lmr_state_free(&st);
	free(t);
}

/* ABI 1.3: an orphan names its dead owner, a cycle the stall it took in. */
static void deadlocks_abi_1_3(void)
{
	static const char text[] =
		"# lockmon abi 1.3\n"
		"# finding SEQ kind=KIND tasks=N time_ns=T latency_ns=L then task lines\n"
		"finding 1 kind=cycle tasks=2 time_ns=100 latency_ns=20 stall_threads=3 stall_blocked_ns=2500000000\n"
		"  task 0 tid=142 tgid=139 comm=demo futex=684d3150c63d9103 uaddr=0x1a0 owner=141 how=glibc-owner timed=0 stack=0\n"
		"  task 1 tid=141 tgid=139 comm=demo futex=3f73b347c24751c0 uaddr=0x160 owner=142 how=glibc-owner timed=0 stack=0\n"
		"finding 2 kind=orphan tasks=1 time_ns=200 latency_ns=30 owner_tgid=138 owner_comm=worker\n"
		"  task 0 tid=138 tgid=138 comm=demo futex=3c9bdc9ab93fb717 uaddr=0x1a0 owner=144 how=glibc-owner timed=0 stack=0\n"
		"finding 3 kind=orphan tasks=1 time_ns=300 latency_ns=30 owner_tgid=x owner_comm=-\n";
	struct lmr_state st = { 0 };
	const struct lmr_finding *f;

	CHECK(lmr_parse_deadlocks(text, &st) != 0);	/* finding 3: bad tgid */
	CHECK(st.nr_findings == 2);
	f = &st.findings[0];
	CHECK(f->stall_threads == 3 && f->stall_tgid == 139);
	CHECK(f->stall_blocked_ns == 2500000000ULL && !f->owner_tgid);
	f = &st.findings[1];
	CHECK(f->owner_tgid == 138 && !strcmp(f->owner_comm, "worker"));
	CHECK(!f->stall_threads && f->t[0].owner == 144);
	lmr_state_free(&st);
}

/* ABI 1.6: a starvation finding's wait, median and hand changes. */
static void deadlocks_abi_1_6(void)
{
	static const char text[] =
		"# lockmon abi 1.6\n"
		"finding 1 kind=starvation tasks=1 time_ns=5577317165 latency_ns=2330360 waited_ns=2147260 median_ns=917504 hands=4\n"
		"  task 0 tid=144 tgid=141 comm=fair_test futex=684d3150c63d9103 uaddr=0x56224e50cc40 owner=143 how=inferred timed=0 stack=7\n"
		"finding 2 kind=starvation tasks=1 time_ns=1 latency_ns=1 waited_ns=1 median_ns=1 hands=4294967296\n";
	struct lmr_state st = { 0 };
	const struct lmr_finding *f;

	CHECK(lmr_parse_deadlocks(text, &st) != 0);	/* finding 2: hands */
	CHECK(st.nr_findings == 1);
	f = &st.findings[0];
	CHECK(!strcmp(f->kind, "starvation") && f->nr == 1);
	CHECK(f->waited_ns == 2147260 && f->median_ns == 917504);
	CHECK(f->hands == 4 && f->t[0].tid == 144 && !f->stall_threads);
	CHECK(lmr_kind_code("starvation") == LOCKMON_FINDING_STARVATION);
	CHECK(!strcmp(lmr_kind_name(LOCKMON_FINDING_STARVATION), "starvation"));
	lmr_state_free(&st);
}

static void stacks_and_stats(void)
{
	struct lmr_state st = { 0 };
	char *t = fixture("abba-stacks.txt"), *s = fixture("contend-stats.txt");
	const struct lmr_stack *k;
	size_t i;
	bool seen = false;

	CHECK(lmr_parse_stacks(t, &st) == 0);
	CHECK(st.nr_stacks == 6);
	k = lmr_find_stack(&st, 3281);
	CHECK(k && k->tgid == 132 && k->nr == 3);
	CHECK(k && k->ip[1] == 0x564b88fd0208ULL);
	CHECK(lmr_parse_stats(s, &st) == 0);
	for (i = 0; i < st.nr_stats; i++) {
		if (!strcmp(st.stats[i].name, "waits"))
			seen = !strcmp(st.stats[i].value, "116");
		if (!strcmp(st.stats[i].name, "probe_futex_wait"))
			CHECK(!strcmp(st.stats[i].value, "on missed=0"));
	}
	CHECK(seen);
	lmr_state_free(&st);
	free(t);
	free(s);
}

static void bad_tables(void)
{
	struct lmr_state st = { 0 };
	char *t = fixture("contend-locks.txt"), *p;

	/* another ABI major */
	p = strstr(t, "abi 1.0");
	p[4] = '2';
	CHECK(lmr_parse_locks(t, &st) == -EPROTO);
	p[4] = '1';
	/* a row cut short */
	t[strlen(t) - 60] = 0;
	CHECK(lmr_parse_locks(t, &st) == -EINVAL);
	lmr_state_free(&st);
	CHECK(lmr_parse_locks("# lockmon abi 1.0\nfutex class\n", &st) == -EINVAL);
	CHECK(lmr_parse_tasks("", &st) == -EINVAL);
	CHECK(lmr_parse_deadlocks("# lockmon abi 1.0\n  task 0 tid=1\n", &st) == -EINVAL);
	CHECK(lmr_parse_stacks("# lockmon abi 1.0\nstack tgid ips...\n1 2\n", &st) == -EINVAL);
	CHECK(lmr_parse_stacks("# lockmon abi 1.0\nstack tgid ips...\n1 2 0xzz\n", &st) == -EINVAL);
	lmr_state_free(&st);
	free(t);
}

/* Cells are found by the header's names: any order, unknown ones skipped. */
static void column_order(void)
{
	const char *a = "# lockmon abi 1.2\n"
		"futex class pi procs blocked again timeouts signals wakes total_ns max_ns avg_ns handoff_avg_ns handoff_max_ns waiters distinct owner owner_how hist\n"
		"00000000000000aa lock 1 7:0x10,8:0x20 5 6 7 8 9 100 50 20 3 4 2 1 7 pi-word 3:5\n";
	const char *b = "# lockmon abi 1.2\n"
		"hist owner_how owner distinct waiters handoff_max_ns handoff_avg_ns avg_ns max_ns total_ns wakes signals timeouts again blocked procs pi class futex newer\n"
		"3:5 pi-word 7 1 2 4 3 20 50 100 9 8 7 6 5 7:0x10,8:0x20 1 lock 00000000000000aa x\n";
	struct lmr_state x = { 0 }, y = { 0 };

	CHECK(lmr_parse_locks(a, &x) == 0 && x.nr_locks == 1);
	CHECK(lmr_parse_locks(b, &y) == 0 && y.nr_locks == 1);
	if (x.nr_locks == 1 && y.nr_locks == 1) {
		CHECK(!memcmp(x.locks, y.locks, sizeof(*x.locks)));
		CHECK(x.locks[0].id == 0xaa && x.locks[0].pi && x.locks[0].waits == 5);
		CHECK(x.locks[0].tgid == 7 && x.locks[0].uaddr == 0x10);
		CHECK(x.locks[0].tgid2 == 8 && x.locks[0].uaddr2 == 0x20);
		CHECK(x.locks[0].hist[3] == 5 && x.locks[0].avg_ns == 20);
		CHECK(!strcmp(x.locks[0].owner_how, "pi-word"));
	}
	lmr_state_free(&x);
	lmr_state_free(&y);
}

/* One line of reason: which line, which column, which cell. */
static void bad_cells(void)
{
	const char *hdr = "# lockmon abi 1.2\n"
		"futex class pi procs blocked again timeouts signals wakes total_ns max_ns avg_ns handoff_avg_ns handoff_max_ns waiters distinct owner owner_how hist\n";
	static const struct {
		const char *row, *why;
	} bad[] = {
		{ "zz lock 0 7:0x10 5 6 7 8 9 100 50 20 3 4 2 1 7 none -\n",
		  "line 3: bad futex 'zz'" },
		{ "aa lock 0 7:0x10 5 x 7 8 9 100 50 20 3 4 2 1 7 none -\n",
		  "line 3: bad again 'x'" },
		{ "aa lock 0 7:0x10,8 5 6 7 8 9 100 50 20 3 4 2 1 7 none -\n",
		  "line 3: bad procs '7:0x10,8'" },
		{ "aa lock 0 7:0x10 5 6 7 8 9 100 50 20 3 4 2 1 7 none 99:1\n",
		  "line 3: bad hist '99:1'" },
		{ "aa lock 0 7:0x10 5 6 7 8 9 100 50 20 3 4 5000000000 1 7 none -\n",
		  "line 3: bad waiters '5000000000'" },
		{ "aa lock 0 7:0x10 5 6\n", "line 3: 6 cells for 19 columns" },
	};
	struct lmr_state st = { 0 };
	char text[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", hdr, bad[i].row);
		CHECK(lmr_parse_locks(text, &st) == -EINVAL);
		CHECK(!strcmp(lmr_parse_error(), bad[i].why));
		lmr_state_free(&st);
	}
	CHECK(lmr_parse_locks("# lockmon abi 1.2\nfutex class\n", &st) == -EINVAL);
	CHECK(!strcmp(lmr_parse_error(), "line 2: no column 'pi'"));
	CHECK(lmr_parse_stacks("# lockmon abi 1.2\nstack ips... tgid\n", &st) == -EINVAL);
	CHECK(!strcmp(lmr_parse_error(), "line 2: column 'ips...' is not the last"));
	lmr_state_free(&st);
}

static void durations(void)
{
	u64 ns;

	CHECK(lmr_parse_duration("10ms", &ns) == 0 && ns == 10000000);
	CHECK(lmr_parse_duration("2s", &ns) == 0 && ns == 2000000000ULL);
	CHECK(lmr_parse_duration("500us", &ns) == 0 && ns == 500000);
	CHECK(lmr_parse_duration("7", &ns) == 0 && ns == 7000000);
	CHECK(lmr_parse_duration("-1ms", &ns));
	CHECK(lmr_parse_duration("5 parsecs", &ns));
	CHECK(lmr_parse_duration("", &ns));
}

/* ---- record files ---------------------------------------------------- */

#define TMP "/tmp/lmr_parse_test.lmr"
#define LONG_PATH "/opt/a/very/long/directory/name/that/keeps/going/and/going/beyond/one/hundred/and/twenty/eight/characters/libfoo.so.1"

static struct lockmon_record rec(__u16 type, __u64 ts, __u32 tid, __u64 futex)
{
	struct lockmon_record r = { .type = type, .ts_ns = ts, .tid = tid,
				    .tgid = 100, .futex_id = futex,
				    .uaddr = 0x1000 + futex };

	memcpy(r.comm, "worker", 7);
	return r;
}

/*
 * Two waits on futex 7: 100 ns and 300 ns, woken 10 ns and 30 ns before;
 * then task 103 blocks on futex 8 behind 104 until the end, the scan finds
 * 105 holds it now, and a stall finding of the process with its stall
 * record. An owner record for 101's wait, which has ended, changes nothing.
 */
#define SAMPLE_RECORDS	17

static void write_sample(const char *path, u64 lost)
{
	struct lmr_writer w;
	struct lockmon_record r;

	CHECK(lmr_writer_open(&w, path) == 0);
	r = rec(LOCKMON_REC_WAIT_BEGIN, 1000, 101, 7);
	r.peer = 102;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	r.stack_id = 5;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_WAKE, 1090, 102, 7);
	r.peer = 101;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_WAIT_END, 1100, 101, 7);
	r.value = 100;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_WAIT_BEGIN, 2000, 102, 7);
	r.peer = 101;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_WAKE, 2270, 101, 7);
	r.peer = 102;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_WAIT_END, 2300, 102, 7);
	r.value = 300;
	r.result = LOCKMON_WAIT_WOKEN;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_FINDING, 2400, 101, 7);
	r.result = LOCKMON_FINDING_CYCLE;
	r.value = 9;
	r.nr = 1;
	lmr_writer_put(&w, &r);
	memset(&r, 0, sizeof(r));
	r.type = LOCKMON_REC_STACK;
	r.stack_id = 5;
	r.tgid = 100;
	r.nr = 2;
	r.stack[0] = 0x401000;
	r.stack[1] = 0x402000;
	lmr_writer_put(&w, &r);
	lmr_writer_put_maps(&w, 100, "# maps\n00400000-00500000 r-xp 00000000 fd:00 1     /bin/true\n");
	lmr_writer_put_maps(&w, 100, "7f0000000000-7f0000001000 r-xp 00000000 fd:00 2   " LONG_PATH "\n");
	/* records 12 to 16 */
	r = rec(LOCKMON_REC_WAIT_BEGIN, 2500, 103, 8);
	r.peer = 104;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_OWNER, 2350, 101, 7);
	r.uaddr = 0;
	r.peer = 999;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_OWNER, 2600, 103, 8);
	r.uaddr = 0;
	r.peer = 105;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_FINDING, 2700, 103, 8);
	r.result = LOCKMON_FINDING_STALL;
	r.value = 10;
	r.peer = 105;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	lmr_writer_put(&w, &r);
	r = rec(LOCKMON_REC_STALL, 2700, 0, 0);
	r.uaddr = 0;
	r.value = 10;
	r.peer = 3;
	r.blocked_ms = 757;
	lmr_writer_put(&w, &r);
	CHECK(lmr_writer_close(&w, lost, 1000) == 0);
}

#define HDR	sizeof(struct lockmon_file_header)
#define BLK	sizeof(struct lockmon_block_header)
#define RS	sizeof(struct lockmon_record)

/* The records of a file of one block. */
static struct lockmon_record *records(char *buf)
{
	return (void *)(buf + HDR + BLK);
}

/* Its checksums again, after a test changed the header or a record. */
static void reseal(char *buf)
{
	struct lockmon_file_header *h = (void *)buf;
	struct lockmon_block_header *b = (void *)(buf + HDR);

	h->header_crc = 0;
	h->header_crc = (u32)crc32(0, (void *)h, HDR);
	b->data_crc = (u32)crc32(0, (void *)(b + 1), b->nr * RS);
	b->header_crc = (u32)crc32(0, (void *)b, BLK - 4);
}

static const struct lmr_task *find_task(const struct lmr_state *st, pid_t tid)
{
	size_t i;

	for (i = 0; i < st->nr_tasks; i++)
		if (st->tasks[i].tid == tid)
			return &st->tasks[i];
	return NULL;
}

static void json_deadlocks(struct lmr_ctx *c)
{
	lmr_json_view(c, "deadlocks");
}

static void record_roundtrip(void)
{
	struct lmr_state st = { 0 };
	const struct lmr_lock *l;
	const struct lmr_task *t;
	char why[160], *buf;
	size_t len;

	write_sample(TMP, 3);
	buf = lmr_read_file(TMP, &len, 1 << 20);
	CHECK(buf && len == HDR + BLK + SAMPLE_RECORDS * RS);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == 0);
	/* every record counts; the stack and maps ones are not events */
	CHECK(st.records == SAMPLE_RECORDS && st.events == SAMPLE_RECORDS - 5);
	CHECK(st.lost_events == 3 && st.start_ns == 1000);
	/* the stall record, last, counts for the duration */
	CHECK(st.duration_ns == 1700 && st.bad_sequences == 0);
	CHECK(st.nr_locks == 2);
	l = &st.locks[0];
	CHECK(l->id == 7);
	CHECK(l->waits == 2 && l->total_ns == 400 && l->max_ns == 300);
	CHECK(l->wakes == 2 && l->handoff_count == 2);
	CHECK(l->handoff_avg_ns == 20 && l->handoff_max_ns == 30);
	CHECK(!strcmp(l->klass, "lock") && l->waiters == 0);
	CHECK(st.nr_tasks == 3);
	t = &st.tasks[0];
	CHECK(t->tid == 102 && t->waits == 1 && t->wait_ns == 300);
	CHECK(!strcmp(t->comm, "worker") && !t->waiting);
	CHECK(st.nr_waits == 2 && st.waits[0].stack_id == 5);
	CHECK(st.waits[1].stack_id == 0);
	CHECK(st.nr_findings == 2 && st.findings[0].seq == 9 &&
	      st.findings[0].nr == 2 && st.findings[0].t[1].tid == 101);
	CHECK(st.findings[0].stall_threads == 0);
	/* the owner record moved 103's wait, and its lock, to owner 105 */
	l = &st.locks[1];
	CHECK(l->id == 8 && l->waiters == 1 && l->owner == 105);
	CHECK(!strcmp(l->owner_how, "glibc-owner") && !strcmp(l->klass, "lock"));
	t = find_task(&st, 103);
	CHECK(t && t->waiting && t->owner == 105 && t->waits == 0);
	CHECK(t && !strcmp(t->owner_how, "glibc-owner"));
	/* ... and the one for an ended wait did not touch 101 */
	t = find_task(&st, 101);
	CHECK(t && !t->waiting && t->owner == 102);
	/* the stall record is the stall finding's */
	CHECK(!strcmp(st.findings[1].kind, "stall") && st.findings[1].seq == 10);
	CHECK(st.findings[1].nr == 1 && st.findings[1].t[0].tid == 103);
	CHECK(st.findings[1].stall_tgid == 100 &&
	      st.findings[1].stall_threads == 3 &&
	      st.findings[1].stall_blocked_ns == 757000000ULL);
	CHECK(st.findings[1].time_ns == 2700);
	CHECK(st.nr_stacks == 1 && st.stacks[0].ip[1] == 0x402000);
	CHECK(st.nr_maps == 1);
	/* blanks squeezed, the long line rebuilt from its pieces */
	CHECK(st.maps[0].text && strstr(st.maps[0].text,
	      "00400000-00500000 r-xp 00000000 fd:00 1 /bin/true\n"));
	CHECK(st.maps[0].text && strstr(st.maps[0].text, " 2 " LONG_PATH));
	lmr_state_free(&st);
	free(buf);
}

static void record_damaged(void)
{
	struct lmr_state st = { 0 };
	struct lockmon_file_header *h;
	struct lockmon_record *r;
	char why[192], *buf;
	size_t len;

	write_sample(TMP, 0);
	buf = lmr_read_file(TMP, &len, 1 << 20);
	CHECK(buf != NULL);
	if (!buf)
		return;
	h = (void *)buf;
	r = records(buf);
	CHECK(sizeof(*r) == 200 && HDR == 64 && BLK == 24);
	CHECK(h->format_major == 2 && h->records == SAMPLE_RECORDS);
	CHECK(lmr_record_parse(buf, len - 1, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "damaged at offset 64: truncated: a block of 17 records, 3399 bytes left"));
	CHECK(lmr_record_parse(buf, 20, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "truncated"));
	h->format_major++;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EPROTO);
	CHECK(!strcmp(why, "recorded in format 3.1, this reporter reads formats 1.x and 2.x"));
	h->format_major--;
	h->reserved[1] = 1;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "damaged at offset 0: header checksum mismatch"));
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "corrupt header: reserved field 1 is not zero"));
	h->reserved[1] = 0;
	reseal(buf);
	h->record_size = 12;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	h->record_size = sizeof(*r);
	/* a changed record fails its block's checksum ... */
	r[7].nr = LOCKMON_MAX_STACK + 1;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "damaged at offset 64: checksum mismatch in the block of records 0..16"));
	/* ... and one written so is still checked by itself */
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "corrupt record 7 at offset 1488: stack of depth 17"));
	r[7].nr = 2;
	reseal(buf);
	buf[0] = 'X';
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "bad magic"));
	buf[0] = 'L';
	/* owner and stall records that name no task or a bad code */
	CHECK(r[14].type == LOCKMON_REC_OWNER && r[16].type == LOCKMON_REC_STALL);
	r[14].owner_how = 9;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "corrupt record 14 at offset 2888: owner change with owner_how 9"));
	r[14].owner_how = LOCKMON_OWNER_NONE;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	r[14].owner_how = LOCKMON_OWNER_GLIBC;
	r[14].tid = 0;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, ": owner change of no task (tid 0, tgid 100)"));
	r[14].tid = 103;
	r[16].peer = 0;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, ": stall 10 of process 100 with 0 threads"));
	/* --force skips the bad record and reads the rest */
	CHECK(lmr_record_read(buf, len, LMR_READ_FORCE, &st, why,
			      sizeof(why)) == 0);
	CHECK(st.records == SAMPLE_RECORDS - 1 && st.bad_records == 1);
	CHECK(st.damaged_places == 1 && st.first_damage == HDR + BLK + 16 * RS);
	lmr_state_free(&st);
	r[16].peer = 3;
	r[16].value = 0;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "corrupt record 16 at offset 3288: stall 0 "));
	r[16].value = 10;
	r[16].tgid = 0;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	r[16].tgid = 100;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == 0);
	CHECK(st.damaged_places == 0);
	lmr_state_free(&st);
	/* an unknown record type of a later minor version is skipped */
	r[1].type = 77;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == 0);
	CHECK(st.locks[0].wakes == 1);
	lmr_state_free(&st);
	/* a header that still counts no records: the recorder was cut off */
	h->records = 0;
	reseal(buf);
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(!strcmp(why, "incomplete: the header counts 0 records, the blocks hold 17 (was the recording cut short?)"));
	CHECK(lmr_record_read(buf, len, LMR_READ_FORCE, &st, why,
			      sizeof(why)) == 0);
	CHECK(st.records == SAMPLE_RECORDS);
	lmr_state_free(&st);
	free(buf);
	unlink(TMP);
}

/* A corrupt stall record in a file: one line on stderr, nothing else. */
static void record_corrupt_message(void)
{
	struct lmr_state st = { 0 };
	struct lockmon_record *r;
	char *buf, *err, want[160];
	size_t len;
	FILE *f;
	int fd, saved;

	write_sample(TMP, 0);
	buf = lmr_read_file(TMP, &len, 1 << 20);
	CHECK(buf != NULL);
	if (!buf)
		return;
	r = records(buf);
	r[16].peer = 0;
	reseal(buf);
	f = fopen(TMP, "w");
	CHECK(f && fwrite(buf, len, 1, f) == 1);
	if (f)
		fclose(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(TMP ".err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	CHECK(lmr_record_load(TMP, 0, &st) == -EINVAL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	err = lmr_read_file(TMP ".err", NULL, 4096);
	snprintf(want, sizeof(want),
		 "lockmon-report: %s: corrupt record 16 at offset 3288: stall 10 of process 100 with 0 threads\n",
		 TMP);
	CHECK(err && !strcmp(err, want));
	lmr_state_free(&st);
	free(err);
	free(buf);
	unlink(TMP ".err");
	unlink(TMP);
}

/* What stderr (and stdout, to @out) get while the report of @path runs. */
static char *report_of(const char *path, bool force, int *ret, char **out)
{
	struct lmr_opts o = { .force = force };
	int saved[2], fd[2], i;
	char *err;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		saved[i] = dup(i + 1);
		fd[i] = open(i ? TMP ".err" : TMP ".out",
			     O_WRONLY | O_CREAT | O_TRUNC, 0600);
		CHECK(saved[i] >= 0 && fd[i] >= 0);
		dup2(fd[i], i + 1);
	}
	*ret = lmr_cmd_report(&o, path);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		dup2(saved[i], i + 1);
		close(saved[i]);
		close(fd[i]);
	}
	*out = lmr_read_file(TMP ".out", NULL, 1 << 20);
	unlink(TMP ".out");
	err = lmr_read_file(TMP ".err", NULL, 4096);
	unlink(TMP ".err");
	return err;
}

/*
 * 4,000 bytes in the middle of a recording of 1,000 waits overwritten:
 * report fails with one line naming the offset of the block where the
 * damage starts, and --force reads every block the damage missed.
 */
#define WAITS	1000

static void record_random_damage(void)
{
	size_t len, off, a, first_bad = 0, bad_bytes = 0, bad_records = 0;
	struct lmr_state st = { 0 };
	unsigned int seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	struct lmr_writer w;
	struct lockmon_record r;
	char *buf, *err, *out, want[256];
	int i, ret;
	FILE *f;

	CHECK(lmr_writer_open(&w, TMP) == 0);
	for (i = 0; i < 2 * WAITS; i++) {
		r = rec(i % 2 ? LOCKMON_REC_WAIT_END : LOCKMON_REC_WAIT_BEGIN,
			1000 + (u64)i * 10, 101, 7);
		r.value = i % 2 ? 100 : 0;
		CHECK(lmr_writer_put(&w, &r) == 0);
	}
	CHECK(w.records == 2 * WAITS && w.events == 2 * WAITS);
	CHECK(lmr_writer_close(&w, 0, 1000) == 0);
	buf = lmr_read_file(TMP, &len, 1 << 22);
	CHECK(buf && len > 8000);
	if (!buf)
		return;
	/* the blocks the stretch [a, a + 4000) touches, from their headers */
	a = len / 2 - 2000;
	for (off = HDR; off < len;) {
		struct lockmon_block_header *b = (void *)(buf + off);
		size_t end = off + BLK + b->nr * RS;

		CHECK(b->magic == LMR_BLOCK_MAGIC);
		if (end > a && off < a + 4000) {
			if (!bad_bytes)
				first_bad = off;
			bad_bytes += end - off;
			bad_records += b->nr;
		}
		off = end;
	}
	CHECK(off == len && bad_records >= 64);
	printf("# seed %u: damage at %zu, blocks from %zu\n", seed, a,
	       first_bad);
	srand(seed);
	for (off = a; off < a + 4000; off++)
		buf[off] ^= (char)(1 + rand() % 255);
	f = fopen(TMP, "w");
	CHECK(f && fwrite(buf, len, 1, f) == 1);
	if (f)
		fclose(f);

	err = report_of(TMP, false, &ret, &out);
	snprintf(want, sizeof(want), "lockmon-report: %s: damaged at offset %zu: ",
		 TMP, first_bad);
	CHECK(ret == -EINVAL && out && !*out);
	CHECK(err && !strncmp(err, want, strlen(want)));
	CHECK(err && strstr(err, " (--force reads what is intact)\n") &&
	      strchr(err, '\n')[1] == 0);
	free(err);
	free(out);

	err = report_of(TMP, true, &ret, &out);
	snprintf(want, sizeof(want),
		 "lockmon-report: warning: %s: damaged: skipped %zu bytes in 1 places from offset %zu (0 bad records); read %zu records\n",
		 TMP, bad_bytes, first_bad, 2 * WAITS - bad_records);
	CHECK(ret == 0 && err && !strcmp(err, want));
	snprintf(want, sizeof(want), "source record: %zu records (%zu events)",
		 2 * WAITS - bad_records, 2 * WAITS - bad_records);
	CHECK(out && !strncmp(out, want, strlen(want)));
	free(err);
	free(out);
	CHECK(lmr_record_read(buf, len, LMR_READ_FORCE, &st, want,
			      sizeof(want)) == 0);
	CHECK(st.nr_locks == 1 &&
	      st.locks[0].waits == WAITS - bad_records / 2 &&
	      st.locks[0].total_ns == 100 * st.locks[0].waits);
	lmr_state_free(&st);
	free(buf);
	unlink(TMP);
}

/*
 * A recording of an ABBA deadlock already there when it began: the
 * snapshot's waits and finding, then the same wait of 102 as an event
 * (it began as the events came on) and the cycle found again. The finding
 * has both tasks with the stacks of their waits; 102's two begins are
 * one wait.
 */
static void snapshot_and_finding_stacks(void)
{
	struct lmr_opts o = { 0 };
	struct lmr_state st = { 0 };
	struct lmr_ctx c = { .st = &st, .o = &o };
	struct lmr_writer w;
	struct lockmon_record r;
	char *out;
	int i;

	CHECK(lmr_writer_open(&w, TMP) == 0);
	for (i = 0; i < 2; i++) {
		r = rec(LOCKMON_REC_WAIT_BEGIN, 0, 101 + i, 7 + i);
		r.nr = 1;
		r.value = 5000000;
		r.peer = 102 - i;
		r.owner_how = LOCKMON_OWNER_GLIBC;
		r.stack_id = 5 + i;
		CHECK(lmr_writer_put(&w, &r) == 0);
	}
	for (i = 0; i < 2; i++) {
		r = rec(LOCKMON_REC_FINDING, 0, 101 + i, 7 + i);
		r.result = LOCKMON_FINDING_CYCLE;
		r.value = 4;
		r.nr = i;
		r.peer = 102 - i;
		r.owner_how = LOCKMON_OWNER_GLIBC;
		r.stack_id = i ? 0 : 5;	/* the second from the wait */
		CHECK(lmr_writer_put(&w, &r) == 0);
	}
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.type = LOCKMON_REC_STACK;
		r.stack_id = 5 + i;
		r.tgid = 100;
		r.nr = 1;
		r.stack[0] = 0x401000 + i;
		CHECK(lmr_writer_put(&w, &r) == 0);
	}
	r = rec(LOCKMON_REC_WAIT_BEGIN, 2000, 102, 8);
	r.peer = 101;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	CHECK(lmr_writer_put(&w, &r) == 0);
	/* a finding event again, with no stack: the event has none */
	r = rec(LOCKMON_REC_FINDING, 3000, 102, 8);
	r.result = LOCKMON_FINDING_CYCLE;
	r.value = 11;
	r.peer = 101;
	r.owner_how = LOCKMON_OWNER_GLIBC;
	CHECK(lmr_writer_put(&w, &r) == 0);
	CHECK(lmr_writer_close(&w, 0, 1000) == 0);
	CHECK(lmr_record_load(TMP, 0, &st) == 0);
	CHECK(st.records == 8 && st.events == 6 && st.bad_sequences == 0);
	CHECK(st.nr_findings == 2 && st.findings[0].nr == 2);
	CHECK(st.findings[0].t[0].tid == 101 && st.findings[0].t[1].tid == 102);
	CHECK(st.findings[0].t[0].stack_id == 5 &&
	      st.findings[0].t[1].stack_id == 6);
	CHECK(st.findings[1].t[0].stack_id == 6);
	CHECK(st.nr_locks == 2 && st.locks[0].waiters == 1 &&
	      st.locks[1].waiters == 1);
	c.syms = lmr_syms_new(&st, false);
	out = capture(lmr_view_deadlocks, &c);
	CHECK(out && !strstr(out, "no stack captured"));
	CHECK(out && strstr(out, "0x401000") && strstr(out, "0x401001"));
	free(out);
	out = capture(json_deadlocks, &c);
	CHECK(out && !strstr(out, "\"stack\":null") &&
	      strstr(out, "\"stack\":["));
	free(out);
	lmr_syms_free(c.syms);
	lmr_state_free(&st);
	unlink(TMP);
}

/*
 * A file of record format 1.2 (no blocks) still reads, and the same
 * records in blocks (the 2.0 seed of the fuzzer, made from it) give the
 * same figures.
 */
static void old_format_read(void)
{
	static const char *const files[] = {
		"../fuzz/corpus/record/contend.lmr",
		"../fuzz/corpus/record/contend-v2.lmr",
	};
	struct lmr_state st[2];
	struct lockmon_file_header h;
	char *buf;
	size_t len, i;

	for (i = 0; i < 2; i++) {
		buf = lmr_read_file(files[i], &len, 1 << 20);
		CHECK(buf && len > HDR);
		if (!buf)
			return;
		memcpy(&h, buf, sizeof(h));
		CHECK(h.format_major == 1 + i);
		CHECK(lmr_record_load(files[i], 0, &st[i]) == 0);
		free(buf);
	}
	CHECK(st[0].records == 44 && st[1].records == 44);
	CHECK(st[0].events == 36 && st[1].events == 36);
	CHECK(st[0].nr_locks == st[1].nr_locks && st[0].nr_locks > 0);
	for (i = 0; i < st[0].nr_locks && i < st[1].nr_locks; i++)
		CHECK(st[0].locks[i].id == st[1].locks[i].id &&
		      st[0].locks[i].waits == st[1].locks[i].waits &&
		      st[0].locks[i].total_ns == st[1].locks[i].total_ns);
	lmr_state_free(&st[0]);
	lmr_state_free(&st[1]);
}

/* ---- trace events to records ----------------------------------------- */

/*
 * An event of the given format with @data as its body after the common
 * fields. fixtures/EVENT-format.txt is the event's tracefs format file;
 * the two there now were written by hand from module/trace.h, with the
 * field offsets of the built module's debug info, until capture-fixtures
 * replaces them with the live ones.
 */
static void event_record(const char *event, const void *data, size_t len,
			 struct lockmon_record *r)
{
	struct tep_handle *tep = tep_alloc();
	struct tep_record rec = { .ts = 5000 };
	unsigned char raw[64] = { 0 };
	struct tep_event *ev;
	char name[64], *fmt;

	memset(r, 0, sizeof(*r));
	snprintf(name, sizeof(name), "%s-format.txt", event);
	fmt = fixture(name);
	CHECK(tep && tep_parse_event(tep, fmt, strlen(fmt), "lockmon") == 0);
	ev = tep ? tep_find_event_by_name(tep, "lockmon", event) : NULL;
	CHECK(ev != NULL);
	memcpy(raw + 8, data, len);
	rec.data = raw;
	rec.size = (int)(8 + len);
	if (ev)
		lmr_event_record(ev, &rec, r);
	free(fmt);
	if (tep)
		tep_free(tep);
}

static void owner_and_stall_events(void)
{
	/* the bodies of trace_event_raw_lockmon_{owner,stall} after "ent" */
	struct owner_body {
		int32_t tid, tgid;
		u64 futex_id;
		int32_t owner;
		uint8_t owner_how;
	} __attribute__((packed, aligned(4))) own = {
		120, 118, 0xcf407940b4ddc782ULL, 119, LOCKMON_OWNER_GLIBC
	};
	struct stall_body {
		u64 seq;
		int32_t tgid;
		u32 threads;
		u64 blocked_ms;
	} stall = { 4, 139, 4, 757 };
	struct lockmon_record r;

	event_record("lockmon_owner", &own, sizeof(own), &r);
	CHECK(r.type == LOCKMON_REC_OWNER && r.ts_ns == 5000);
	CHECK(r.tid == 120 && r.tgid == 118 && r.futex_id == 0xcf407940b4ddc782ULL);
	CHECK(r.peer == 119 && r.owner_how == LOCKMON_OWNER_GLIBC);
	CHECK(lmr_record_check(&r, NULL, 0) == 0);
	event_record("lockmon_stall", &stall, sizeof(stall), &r);
	CHECK(r.type == LOCKMON_REC_STALL && r.ts_ns == 5000);
	CHECK(r.value == 4 && r.tgid == 139 && r.peer == 4 && r.blocked_ms == 757);
	CHECK(r.tid == 0 && r.futex_id == 0);
	/* what the reader would refuse is not made a record */
	stall.threads = 0;
	event_record("lockmon_stall", &stall, sizeof(stall), &r);
	CHECK(r.type == 0);
	own.owner_how = LOCKMON_OWNER_NONE;
	event_record("lockmon_owner", &own, sizeof(own), &r);
	CHECK(r.type == 0);
}

/* The reporter's own symbolization, on this (PIE) process while it lives. */
static int test_global_lock[4];

/* its entry is on the line it returns */
static __attribute__((noinline)) int line_probe(void) { return __LINE__; }

static void symbolize_self(void)
{
	struct lmr_state st = { 0 };
	struct lmr_syms *s = lmr_syms_new(&st, true);
	char buf[LMR_NAME_LEN];
	const char *file;
	void *cxx;
	int line;

	test_global_lock[1] = 1;
	CHECK(!strcmp(lmr_sym_data(s, getpid(), (u64)(uintptr_t)&test_global_lock[1],
				   buf, sizeof(buf)), "test_global_lock+0x4"));
	CHECK(!strncmp(lmr_sym_code(s, getpid(), (u64)(uintptr_t)symbolize_self + 3,
				    false, buf, sizeof(buf)), "symbolize_self+0x3", 18));
	/* file:line from the DWARF line table */
	file = lmr_sym_line(s, getpid(), (u64)(uintptr_t)line_probe, false, &line);
	CHECK(file && strstr(file, "parse_test.c") && line == line_probe());
	/* a C++ function of libstdc++, named as C++ spells it */
	cxx = dlsym(RTLD_DEFAULT, "_ZSt9terminatev");
	CHECK(cxx && !strcmp(lmr_sym_code(s, getpid(), (u64)(uintptr_t)cxx, false,
					  buf, sizeof(buf)), "std::terminate()+0x0"));
	/* a stack address is in no data symbol */
	CHECK(!strncmp(lmr_sym_data(s, getpid(), (u64)(uintptr_t)buf, buf,
				    sizeof(buf)), "0x", 2));
	/* the maps were cached with build-ids: they serve after "exit" too */
	CHECK(st.nr_maps == 1 && strstr(st.maps[0].text, "# build-id "));
	lmr_syms_free(s);
	s = lmr_syms_new(&st, false);
	CHECK(!strcmp(lmr_sym_data(s, getpid(), (u64)(uintptr_t)&test_global_lock[0],
				   buf, sizeof(buf)), "test_global_lock"));
	lmr_syms_free(s);
	lmr_state_free(&st);
}

/* A thread blocked in read() at a known chain, built -O2 (no frame pointers) */
static int unwind_pipe[2];
static volatile pid_t unwind_tid;

static __attribute__((noinline)) void unwind_leaf(void)
{
	char c;

	if (read(unwind_pipe[0], &c, 1) != 1)
		abort();
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void unwind_mid(void)
{
	unwind_leaf();
	__asm__ volatile("" ::: "memory");
}

static void *unwind_thread(void *arg)
{
	(void)arg;
	unwind_tid = gettid();
	unwind_mid();
	return NULL;
}

/* /proc/self/task/TID/syscall says read (0) */
static bool in_read(pid_t tid)
{
	char path[64], *t;
	bool yes;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	t = lmr_read_file(path, NULL, 4096);
	yes = t && !strncmp(t, "0 ", 2);
	free(t);
	return yes;
}

static void live_unwind(void)
{
	static const char *const want[] = { "unwind_leaf+", "unwind_mid+",
					    "unwind_thread+", "start_thread+" };
	struct lmr_state st = { 0 };
	struct lmr_syms *s = lmr_syms_new(&st, true);
	u64 ips[LOCKMON_MAX_STACK], other = 1;
	char buf[LMR_NAME_LEN];
	pthread_t th;
	int n, i, tries;

	CHECK(pipe(unwind_pipe) == 0);
	CHECK(pthread_create(&th, NULL, unwind_thread, NULL) == 0);
	for (tries = 0; tries < 5000 && !(unwind_tid && in_read(unwind_tid));
	     tries++)
		usleep(1000);
	CHECK(unwind_tid && in_read(unwind_tid));
	n = lmr_live_stack(s, getpid(), unwind_tid, NULL, 0, ips,
			   LOCKMON_MAX_STACK);
	CHECK(n >= 5);
	for (i = 0; i < 4 && i + 1 < n; i++) {
		lmr_sym_code(s, getpid(), ips[i + 1], true, buf, sizeof(buf));
		if (strncmp(buf, want[i], strlen(want[i])))
			fprintf(stderr, "# frame %d: %s, want %s\n", i + 1, buf,
				want[i]);
		CHECK(!strncmp(buf, want[i], strlen(want[i])));
	}
	/* a pc the thread is not at: another wait, not unwound */
	CHECK(lmr_live_stack(s, getpid(), unwind_tid, &other, 1, ips,
			     LOCKMON_MAX_STACK) == -ESRCH);
	CHECK(write(unwind_pipe[1], "x", 1) == 1);
	pthread_join(th, NULL);
	close(unwind_pipe[0]);
	close(unwind_pipe[1]);
	lmr_syms_free(s);
	lmr_state_free(&st);
}

/*
 * A heap mutex a thread waits on through append_log_line() with log_lock()
 * inlined into it: the lock is named where it is taken, and the stack has
 * log_lock as an inlined frame of its own before append_log_line.
 */
static pthread_mutex_t *heap_lock;
static volatile pid_t heap_tid;

static inline __attribute__((always_inline)) void log_lock(void)
{
	pthread_mutex_lock(heap_lock);
}

static __attribute__((noinline)) void append_log_line(void)
{
	log_lock();
	pthread_mutex_unlock(heap_lock);
	__asm__ volatile("" ::: "memory");
}

static void *heap_thread(void *arg)
{
	(void)arg;
	heap_tid = gettid();
	append_log_line();
	return NULL;
}

/* /proc/self/task/TID/syscall says futex (202) */
static bool in_futex(pid_t tid)
{
	char path[64], *t;
	bool yes;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	t = lmr_read_file(path, NULL, 4096);
	yes = t && !strncmp(t, "202 ", 4);
	free(t);
	return yes;
}

static void heap_lock_named(void)
{
	struct lmr_state st = { 0 };
	struct lmr_syms *s = lmr_syms_new(&st, true);
	struct lmr_ctx c = { .st = &st, .syms = s };
	struct lmr_src_frame f[LMR_MAX_INLINE];
	char name[LMR_NAME_LEN], want[64];
	u64 ips[LOCKMON_MAX_STACK];
	bool inl = false;
	pthread_t th;
	int n, i, k, nf, tries;

	heap_lock = malloc(sizeof(*heap_lock));
	CHECK(heap_lock && !pthread_mutex_init(heap_lock, NULL));
	pthread_mutex_lock(heap_lock);
	CHECK(pthread_create(&th, NULL, heap_thread, NULL) == 0);
	for (tries = 0; tries < 5000 && !(heap_tid && in_futex(heap_tid));
	     tries++)
		usleep(1000);
	CHECK(heap_tid && in_futex(heap_tid));
	n = lmr_live_stack(s, getpid(), heap_tid, NULL, 0, ips,
			   LOCKMON_MAX_STACK);
	CHECK(n >= 3);
	/* log_lock inlined, then append_log_line, at one return address */
	for (i = 1; i < n && !inl; i++) {
		nf = lmr_sym_frames(s, getpid(), ips[i], true, f, LMR_MAX_INLINE);
		for (k = 0; k + 1 < nf; k++)
			if (f[k].inlined && !strcmp(f[k].name, "log_lock") &&
			    !strncmp(f[k + 1].name, "append_log_line+", 16) &&
			    f[k].file && strstr(f[k].file, "parse_test.c"))
				inl = true;
	}
	CHECK(inl);
	st.stacks = calloc(1, sizeof(*st.stacks));
	st.tasks = calloc(1, sizeof(*st.tasks));
	CHECK(st.stacks && st.tasks);
	st.nr_stacks = st.cap_stacks = st.nr_tasks = st.cap_tasks = 1;
	st.stacks[0].id = 1;
	st.stacks[0].tgid = getpid();
	st.stacks[0].nr = (unsigned int)n;
	memcpy(st.stacks[0].ip, ips, (size_t)n * sizeof(ips[0]));
	st.tasks[0].tid = heap_tid;
	st.tasks[0].tgid = getpid();
	st.tasks[0].uaddr = (u64)(uintptr_t)heap_lock;
	st.tasks[0].stack_id = 1;
	snprintf(want, sizeof(want), "mutex@log_lock 0x%llx",
		 (unsigned long long)(uintptr_t)heap_lock);
	lmr_uaddr_name(&c, getpid(), (u64)(uintptr_t)heap_lock, name,
		       sizeof(name));
	if (strcmp(name, want))
		fprintf(stderr, "# heap lock named '%s', want '%s'\n", name,
			want);
	CHECK(!strcmp(name, want));
	/* a static lock keeps its symbol */
	CHECK(!strcmp(lmr_uaddr_name(&c, getpid(),
				     (u64)(uintptr_t)&test_global_lock[0], name,
				     sizeof(name)), "test_global_lock"));
	pthread_mutex_unlock(heap_lock);
	pthread_join(th, NULL);
	free(heap_lock);
	lmr_syms_free(s);
	lmr_state_free(&st);
}

int main(void)
{
	RUN(version_file);
	RUN(heap_lock_named);
	RUN(locks_table);
	RUN(tasks_and_graph);
	RUN(deadlocks_file);
	RUN(deadlocks_abi_1_3);
	RUN(deadlocks_abi_1_6);
	RUN(stacks_and_stats);
	RUN(bad_tables);
	RUN(column_order);
	RUN(bad_cells);
	RUN(durations);
	RUN(record_roundtrip);
	RUN(record_damaged);
	RUN(record_corrupt_message);
	RUN(record_random_damage);
	RUN(old_format_read);
	RUN(snapshot_and_finding_stacks);
	RUN(owner_and_stall_events);
	RUN(symbolize_self);
	RUN(live_unwind);
	DONE();
}
