// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the control file: 100k random and boundary writes, each checked
 * against a model of the command language (one command per write, at most
 * 64 bytes, an optional trailing newline, printable ASCII words separated
 * by blanks; see module/control.c). An accepted write must change the
 * settings exactly as the model says; a refused one must fail with EINVAL
 * (EFAULT for an unreadable buffer) and change nothing. Then several
 * threads write at once. The kernel log must stay quiet throughout.
 *
 * LOCKMON_FUZZ_SEED picks the seed (printed either way);
 * LOCKMON_FUZZ_WRITES the number of single-threaded writes (default 100000).
 */
#include <ctype.h>
#include "lockmon_util.h"
#include "fault_util.h"
#include "kselftest_harness.h"

#define CMD_MAX		64
#define PID_MAX		4194304u
#define STALL_MIN	10u
#define STALL_MAX	3600000u
#define STACK_NS_MAX	4000000000u

/* ---- the model ------------------------------------------------------- */

struct state {
	int enabled;
	unsigned int pid, capture, stall_ms, stack_ns, tree;
	char comm[16];
};

enum op { OP_BAD, OP_ENABLE, OP_DISABLE, OP_RESET, OP_NOFILTER, OP_PID,
	  OP_COMM, OP_CAPTURE, OP_STALL, OP_STACK_NS, OP_TREE };

struct cmd {
	enum op op;
	unsigned int num;
	char comm[16];
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool parse_num(const char *s, size_t n, unsigned int lo,
		      unsigned int hi, unsigned int *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* What the module should make of @len bytes at @buf. */
static struct cmd model_parse(const unsigned char *buf, size_t len)
{
	struct cmd c = { OP_BAD };
	const char *w[3];
	size_t wl[3], i = 0;
	int n = 0;

	if (len == 0 || len > CMD_MAX)
		return c;
	if (buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		if ((buf[i] < 0x20 && buf[i] != '\t') || buf[i] > 0x7e)
			return c;
	for (i = 0; i < len;) {
		while (i < len && is_blank((char)buf[i]))
			i++;
		if (i == len)
			break;
		if (n == 2)
			return c;
		w[n] = (const char *)buf + i;
		while (i < len && !is_blank((char)buf[i]))
			i++;
		wl[n] = (size_t)((const char *)buf + i - w[n]);
		n++;
	}
#define IS(k, word) (wl[k] == strlen(word) && !memcmp(w[k], word, wl[k]))
	if (n == 1 && IS(0, "enable"))
		c.op = OP_ENABLE;
	else if (n == 1 && IS(0, "disable"))
		c.op = OP_DISABLE;
	else if (n == 1 && IS(0, "reset"))
		c.op = OP_RESET;
	else if (n == 1 && IS(0, "nofilter"))
		c.op = OP_NOFILTER;
	else if (n == 2 && IS(0, "pid") && parse_num(w[1], wl[1], 0, PID_MAX, &c.num))
		c.op = OP_PID;
	else if (n == 2 && IS(0, "tree") && parse_num(w[1], wl[1], 0, PID_MAX, &c.num))
		c.op = OP_TREE;
	else if (n == 2 && IS(0, "capture") && parse_num(w[1], wl[1], 0, 100, &c.num))
		c.op = OP_CAPTURE;
	else if (n == 2 && IS(0, "stall_ms") &&
		 parse_num(w[1], wl[1], STALL_MIN, STALL_MAX, &c.num))
		c.op = OP_STALL;
	else if (n == 2 && IS(0, "stack_ns") &&
		 parse_num(w[1], wl[1], 0, STACK_NS_MAX, &c.num))
		c.op = OP_STACK_NS;
	else if (n == 2 && IS(0, "comm") && wl[1] < 16) {
		memcpy(c.comm, w[1], wl[1]);
		c.comm[wl[1]] = 0;
		c.op = OP_COMM;
	}
#undef IS
	return c;
}

static void model_apply(struct state *s, const struct cmd *c)
{
	switch (c->op) {
	case OP_ENABLE: s->enabled = 1; break;
	case OP_DISABLE: s->enabled = 0; break;
	case OP_NOFILTER: s->pid = 0; s->comm[0] = 0; s->tree = 0; break;
	case OP_PID: s->pid = c->num; break;
	case OP_TREE: s->tree = c->num; break;
	case OP_COMM: memcpy(s->comm, c->comm, sizeof(s->comm)); break;
	/* a percentage and the rate rule replace each other */
	case OP_CAPTURE: s->capture = c->num; s->stack_ns = 0; break;
	case OP_STACK_NS: s->stack_ns = c->num; s->capture = 0; break;
	case OP_STALL: s->stall_ms = c->num; break;
	default: break;
	}
}

/* The control file as the module prints @s. */
static int model_show(const struct state *s, char *out, size_t len)
{
	return snprintf(out, len, "enabled %d\npid %u\ncomm %s\ncapture %u\nstall_ms %u\nstack_ns %u\ntree %u\n",
			s->enabled, s->pid, s->comm[0] ? s->comm : "-",
			s->capture, s->stall_ms, s->stack_ns, s->tree);
}

static bool show_parse(const char *txt, struct state *s)
{
	char comm[64];

	memset(s, 0, sizeof(*s));
	if (sscanf(txt, "enabled %d\npid %u\ncomm %63s\ncapture %u\nstall_ms %u\nstack_ns %u\ntree %u\n",
		   &s->enabled, &s->pid, comm, &s->capture, &s->stall_ms,
		   &s->stack_ns, &s->tree) != 7 ||
	    strlen(comm) >= sizeof(s->comm))
		return false;
	if (strcmp(comm, "-"))
		strcpy(s->comm, comm);
	return true;
}

/* ---- input generator (xorshift64*, seeded) ------------------------------ */

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static unsigned int rn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static unsigned long long boundary_num(void)
{
	static const unsigned long long b[] = {
		0, 1, 9, 10, 11, 99, 100, 101, 3599999, 3600000, 3600001,
		4194303, 4194304, 4194305, 999999999, 4294967295ull,
		4294967296ull, 9999999999ull, 18446744073709551615ull,
	};

	return rn(3) ? b[rn(sizeof(b) / sizeof(b[0]))] : rnd() % 10000000;
}

/* One input of up to @cap bytes; returns its length. */
static size_t gen(unsigned char *buf, size_t cap)
{
	static const char *const kw[] = {
		"pid", "comm", "capture", "stall_ms", "nofilter", "tree",
		"stack_ns",
	};
	static const char *const costly[] = { "enable", "disable", "reset" };
	size_t len = 0, i;
	int m, nmut;

	if (rn(10) == 0) {		/* pure noise */
		len = rn(80);
		for (i = 0; i < len && i < cap; i++)
			buf[i] = (unsigned char)rnd();
		return len < cap ? len : cap;
	}
	if (rn(2000) == 0) {		/* these re-register probes: rare */
		len = (size_t)snprintf((char *)buf, cap, "%s", costly[rn(3)]);
	} else {
		const char *k = kw[rn(6)];

		if (!strcmp(k, "comm")) {
			size_t n = rn(20);

			len = (size_t)snprintf((char *)buf, cap, "comm ");
			for (i = 0; i < n; i++)
				buf[len++] = (unsigned char)(0x21 + rn(0x5e));
		} else if (!strcmp(k, "nofilter")) {
			len = (size_t)snprintf((char *)buf, cap, "nofilter");
		} else {
			len = (size_t)snprintf((char *)buf, cap, "%s %s%llu", k,
					       rn(20) ? "" : "0", boundary_num());
		}
	}
	nmut = rn(4);
	for (m = 0; m < nmut; m++) {
		size_t at = len ? rn((unsigned int)len + 1) : 0;

		switch (rn(8)) {
		case 0:		/* insert any byte, NUL included */
		case 1:
			if (len + 1 >= cap)
				break;
			memmove(buf + at + 1, buf + at, len - at);
			buf[at] = (unsigned char)(rn(4) ? rnd() : (rn(2) ? 0 : '\n'));
			len++;
			break;
		case 2:		/* insert a blank */
			if (len + 1 >= cap)
				break;
			memmove(buf + at + 1, buf + at, len - at);
			buf[at] = rn(2) ? ' ' : '\t';
			len++;
			break;
		case 3:		/* delete */
			if (at < len) {
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 4:		/* truncate: a partial write */
			len = at;
			break;
		case 5:		/* trailing newline */
			if (len + 1 < cap)
				buf[len++] = '\n';
			break;
		case 6:		/* pad to or just past the limit */
			while (len < CMD_MAX - 1 + rn(3) && len + 1 < cap)
				buf[len++] = ' ';
			break;
		case 7:		/* replace */
			if (at < len)
				buf[at] = (unsigned char)rnd();
			break;
		}
	}
	return len;
}

static void hexdump(const unsigned char *b, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", b[i]);
	out[o] = 0;
}

/* Kernel log records written since @fd was opened at the end. */
static int kmsg_new_lines(int fd)
{
	char rec[2048];
	int n = 0;

	while (read(fd, rec, sizeof(rec)) > 0)
		n++;
	return n;
}

static uint64_t seed_from_env(void)
{
	const char *e = getenv("LOCKMON_FUZZ_SEED");

	return e ? strtoull(e, NULL, 0) : (lm_now_ns() ^ (uint64_t)getpid() << 32);
}

FIXTURE(fuzz) {
	int fd;			/* control, read-write */
	int kmsg;
	struct state st;	/* the model */
};

FIXTURE_SETUP(fuzz)
{
	char txt[256];
	ssize_t n;

	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 2000"));
	self->fd = open(LM_DIR "/control", O_RDWR);
	ASSERT_LE(0, self->fd);
	n = pread(self->fd, txt, sizeof(txt) - 1, 0);
	ASSERT_LT(0, n);
	txt[n] = 0;
	ASSERT_TRUE(show_parse(txt, &self->st)) TH_LOG("control: %s", txt);
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg);
	lseek(self->kmsg, 0, SEEK_END);
}

FIXTURE_TEARDOWN(fuzz)
{
	close(self->fd);
	close(self->kmsg);
	lm_control("nofilter");
	lm_control("enable");
	lm_control("capture 100");
	lm_control("stall_ms 2000");
}

TEST_F_TIMEOUT(fuzz, random_and_boundary_writes, 600)
{
	long writes = lm_scaled("LOCKMON_FUZZ_WRITES", 100000), i;
	long accepted = 0, refused = 0;
	uint64_t seed = seed_from_env(), t0 = lm_now_ns();
	unsigned char buf[4096 + 64];
	char want[256], got[256], hex[300];
	ssize_t got_n;
	int lines;

	ksft_print_msg("seed %#llx (LOCKMON_FUZZ_SEED=%#llx repeats this run)\n",
		       (unsigned long long)seed, (unsigned long long)seed);
	rng = seed | 1;
	ASSERT_LT(0, writes);
	for (i = 0; i < writes; i++) {
		size_t len;
		struct cmd c;
		ssize_t n;

		if (i % 1000 == 999) {		/* huge */
			len = sizeof(buf) - rn(64);
			memset(buf, rn(2) ? 'a' : ' ', len);
			memcpy(buf, "pid 1", 5);
		} else {
			len = gen(buf, sizeof(buf));
		}
		c = model_parse(buf, len);
		n = write(self->fd, buf, len);
		hexdump(buf, len < 80 ? len : 80, hex, sizeof(hex));
		if (c.op == OP_BAD) {
			ASSERT_EQ(-1, n) TH_LOG("write %ld accepted [%zu] %s", i, len, hex);
			ASSERT_EQ(EINVAL, errno) TH_LOG("write %ld [%zu] %s", i, len, hex);
			refused++;
		} else {
			ASSERT_EQ((ssize_t)len, n)
				TH_LOG("write %ld refused (%s) [%zu] %s", i,
				       strerror(errno), len, hex);
			model_apply(&self->st, &c);
			accepted++;
		}
		/*
		 * The settings are what the model says, refusal or not; the
		 * last line says whether this write was refused.
		 */
		model_show(&self->st, want, sizeof(want));
		n = pread(self->fd, got, sizeof(got) - 1, 0);
		ASSERT_LT(0, n);
		got[n] = 0;
		ASSERT_EQ(0, strncmp(want, got, strlen(want)))
			TH_LOG("after write %ld [%zu] %s: %s", i, len, hex, got);
		if (c.op == OP_BAD) {
			ASSERT_NE(0, strcmp(got + strlen(want), "last_error -\n"))
				TH_LOG("write %ld refused, no reason: %s", i, got);
		} else {
			ASSERT_STREQ("last_error -\n", got + strlen(want))
				TH_LOG("write %ld accepted, but %s", i, got);
		}
	}
	ksft_print_msg("%ld writes in %.1f s: %ld accepted, %ld refused\n", writes,
		       (lm_now_ns() - t0) / 1e9, accepted, refused);
	EXPECT_LT(writes / 100, accepted);
	EXPECT_LT(writes / 100, refused);

	/* an unreadable buffer: EFAULT, nothing changed */
	{
		char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *volatile nowhere = NULL;

		ASSERT_NE(MAP_FAILED, page);
		ASSERT_EQ(0, munmap(page + 4096, 4096));
		memcpy(page + 4096 - 4, "pid ", 4);	/* "pid 7" runs off the page */
		EXPECT_EQ(-1, write(self->fd, page + 4096 - 4, 5));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, write(self->fd, nowhere, 5));
		EXPECT_EQ(EFAULT, errno);
		munmap(page, 4096);
	}
	model_show(&self->st, want, sizeof(want));
	got_n = pread(self->fd, got, sizeof(got) - 1, 0);
	ASSERT_LT(0, got_n);
	got[got_n] = 0;
	EXPECT_EQ(0, strncmp(want, got, strlen(want)));
	EXPECT_STREQ("last_error the written buffer is not readable\n",
		     got + strlen(want));

	lines = kmsg_new_lines(self->kmsg);
	ksft_print_msg("kernel log: %d new lines\n", lines);
	EXPECT_GE(20, lines);
}

/* ---- several writers at once --------------------------------------------- */

#define WRITERS 4
#define PER_WRITER 5000

struct writer {
	int fd;
	uint64_t seed;
	long bad;			/* returns that disagree with the model */
	char first_bad[160];
	struct state seen;		/* the last accepted value of each field */
	unsigned int pids[PER_WRITER], npids;
	char comms[PER_WRITER][16];
	unsigned int ncomms;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[256];
	int i;

	rng = w->seed | 1;
	for (i = 0; i < PER_WRITER; i++) {
		size_t len = gen(buf, sizeof(buf));
		struct cmd c = model_parse(buf, len);
		ssize_t n;

		/* enable/disable/reset race with each other by design;
		 * keep the concurrent run to the settings */
		if (c.op == OP_ENABLE || c.op == OP_DISABLE || c.op == OP_RESET)
			continue;
		n = write(w->fd, buf, len);
		if ((c.op == OP_BAD) != (n < 0) ||
		    (n < 0 && errno != EINVAL) ||
		    (n >= 0 && (size_t)n != len)) {
			if (!w->bad++)
				snprintf(w->first_bad, sizeof(w->first_bad),
					 "op %d len %zu -> %zd (%s)", c.op, len,
					 n, n < 0 ? strerror(errno) : "ok");
			continue;
		}
		if (c.op == OP_PID || c.op == OP_NOFILTER)
			w->pids[w->npids++] = c.num;
		if (c.op == OP_COMM || c.op == OP_NOFILTER) {
			/* "comm -" reads back as no comm filter */
			if (!strcmp(c.comm, "-"))
				c.comm[0] = 0;
			memcpy(w->comms[w->ncomms++], c.comm, 16);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(fuzz, concurrent_writers, 300)
{
	static struct writer w[WRITERS];
	uint64_t seed = seed_from_env();
	pthread_t th[WRITERS];
	struct state end;
	char got[256];
	bool pid_ok, comm_ok;
	unsigned int i, k;
	ssize_t n;

	ksft_print_msg("seed %#llx\n", (unsigned long long)seed);
	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].seed = seed + i * 0x9E3779B97F4A7C15ull;
		w[i].fd = open(LM_DIR "/control", O_WRONLY);
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, writer_fn, &w[i]));
	}
	/* read while they write: always five well-formed lines */
	for (k = 0; k < 2000; k++) {
		n = pread(self->fd, got, sizeof(got) - 1, 0);
		ASSERT_LT(0, n);
		got[n] = 0;
		ASSERT_TRUE(show_parse(got, &end)) TH_LOG("torn read: %s", got);
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		close(w[i].fd);
		EXPECT_EQ(0, w[i].bad) TH_LOG("writer %u: %s", i, w[i].first_bad);
	}
	n = pread(self->fd, got, sizeof(got) - 1, 0);
	ASSERT_LT(0, n);
	got[n] = 0;
	ASSERT_TRUE(show_parse(got, &end)) TH_LOG("%s", got);
	/* the final pid and comm are values some writer set, never a mix */
	pid_ok = end.pid == self->st.pid;
	comm_ok = !strcmp(end.comm, self->st.comm);
	for (i = 0; i < WRITERS; i++) {
		for (k = 0; k < w[i].npids; k++)
			pid_ok |= w[i].pids[k] == end.pid;
		for (k = 0; k < w[i].ncomms; k++)
			comm_ok |= !strcmp(w[i].comms[k], end.comm);
	}
	EXPECT_TRUE(pid_ok) TH_LOG("final pid %u was never written", end.pid);
	EXPECT_TRUE(comm_ok) TH_LOG("final comm \"%s\" was never written", end.comm);
	n = kmsg_new_lines(self->kmsg);
	ksft_print_msg("kernel log: %zd new lines\n", n);
	EXPECT_GE(20, n);
}

LM_HARNESS_MAIN
