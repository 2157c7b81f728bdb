// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers against debugfs text captured from a VM run (fixtures/), and
 * record files written by our writer and damaged on purpose.
 */
#include <errno.h>
#include <unistd.h>
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

/* two waits on futex 7: 100 ns and 300 ns, woken 10 ns and 30 ns before */
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
	CHECK(lmr_writer_close(&w, lost, 1000) == 0);
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
	CHECK(buf && len == sizeof(struct lockmon_file_header) +
	      12 * sizeof(struct lockmon_record));
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == 0);
	CHECK(st.lost_events == 3 && st.start_ns == 1000);
	CHECK(st.duration_ns == 1400 && st.bad_sequences == 0);
	CHECK(st.nr_locks == 1);
	l = &st.locks[0];
	CHECK(l->waits == 2 && l->total_ns == 400 && l->max_ns == 300);
	CHECK(l->wakes == 2 && l->handoff_count == 2);
	CHECK(l->handoff_avg_ns == 20 && l->handoff_max_ns == 30);
	CHECK(!strcmp(l->klass, "lock") && l->waiters == 0);
	CHECK(st.nr_tasks == 2);
	t = &st.tasks[0];
	CHECK(t->tid == 102 && t->waits == 1 && t->wait_ns == 300);
	CHECK(!strcmp(t->comm, "worker"));
	CHECK(st.nr_waits == 2 && st.waits[0].stack_id == 5);
	CHECK(st.waits[1].stack_id == 0);
	CHECK(st.nr_findings == 1 && st.findings[0].seq == 9 &&
	      st.findings[0].nr == 2 && st.findings[0].t[1].tid == 101);
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
	char why[160], *buf;
	size_t len;

	write_sample(TMP, 0);
	buf = lmr_read_file(TMP, &len, 1 << 20);
	CHECK(buf != NULL);
	if (!buf)
		return;
	h = (void *)buf;
	r = (void *)(buf + sizeof(*h));
	CHECK(sizeof(*r) == 200);
	CHECK(lmr_record_parse(buf, len - 1, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "truncated: the last record has 199 of 200 bytes"));
	CHECK(lmr_record_parse(buf, 20, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "truncated"));
	h->abi_major++;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EPROTO);
	h->abi_major--;
	h->reserved[2] = 1;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	h->reserved[2] = 0;
	h->record_size = 12;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	h->record_size = sizeof(*r);
	r[7].nr = LOCKMON_MAX_STACK + 1;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "corrupt record 7"));
	r[7].nr = 2;
	buf[0] = 'X';
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == -EINVAL);
	CHECK(strstr(why, "bad magic"));
	buf[0] = 'L';
	/* an unknown record type of a later minor version is skipped */
	r[1].type = 77;
	CHECK(lmr_record_parse(buf, len, &st, why, sizeof(why)) == 0);
	CHECK(st.locks[0].wakes == 1);
	lmr_state_free(&st);
	free(buf);
	unlink(TMP);
}

/* The reporter's own symbolization, on this (PIE) process while it lives. */
static int test_global_lock[4];

static void symbolize_self(void)
{
	struct lmr_state st = { 0 };
	struct lmr_syms *s = lmr_syms_new(&st, true);
	char buf[LMR_NAME_LEN];

	test_global_lock[1] = 1;
	CHECK(!strcmp(lmr_sym_data(s, getpid(), (u64)(uintptr_t)&test_global_lock[1],
				   buf, sizeof(buf)), "test_global_lock+0x4"));
	CHECK(!strncmp(lmr_sym_code(s, getpid(), (u64)(uintptr_t)symbolize_self + 3,
				    false, buf, sizeof(buf)), "symbolize_self+0x3", 18));
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

int main(void)
{
	RUN(version_file);
	RUN(locks_table);
	RUN(tasks_and_graph);
	RUN(deadlocks_file);
	RUN(stacks_and_stats);
	RUN(bad_tables);
	RUN(durations);
	RUN(record_roundtrip);
	RUN(record_damaged);
	RUN(symbolize_self);
	DONE();
}
