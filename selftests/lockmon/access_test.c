// SPDX-License-Identifier: GPL-2.0
/*
 * Who may read lockmon, and what it shows them.
 *
 * Every file under /sys/kernel/debug/lockmon is refused to an unprivileged
 * user (uid 65534, no capabilities), whether reached by its path or from
 * a directory descriptor opened by root. No output - debugfs files, trace
 * events, kernel log lines - contains a kernel address, checked while
 * deadlocking, contended, PI and process-shared workloads run.
 */
#include "lockmon_util.h"
#include <ctype.h>
#include <grp.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include "fault_util.h"
#include "kselftest_harness.h"

static const char *const lm_files[] = {
	"version", "control", "stats", "locks", "tasks", "waitgraph",
	"deadlocks", "stacks", "maps", "ustacks",
};

#define NR_FILES (sizeof(lm_files) / sizeof(lm_files[0]))

/* ---- unprivileged access ---------------------------------------------- */

/* Drop every capability, for good, and become nobody. 0 or -errno. */
static int become_nobody(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -errno;
	if (syscall(SYS_capget, &h, d))
		return -errno;
	if (d[0].effective || d[1].effective || d[0].permitted || d[1].permitted)
		return -EPERM - 1000;
	return 0;
}

/*
 * In a child that has become nobody: try every file for reading and for
 * writing, by path and relative to @dirfd. Returns the number of opens
 * that succeeded or failed with something other than EACCES/EPERM, or
 * 100 + the setup error.
 */
static int try_as_nobody(int dirfd)
{
	int bad = 0, err = become_nobody();
	unsigned int i, m;

	if (err) {
		fprintf(stderr, "# cannot drop privileges: %d\n", err);
		return 100;
	}
	for (i = 0; i < NR_FILES; i++) {
		for (m = 0; m < 2; m++) {
			int flags = m ? O_WRONLY : O_RDONLY, fd, how;
			char path[128];

			for (how = 0; how < 2; how++) {
				snprintf(path, sizeof(path), LM_DIR "/%s", lm_files[i]);
				fd = how ? openat(dirfd, lm_files[i], flags) :
					   open(path, flags);
				if (fd < 0 && (errno == EACCES || errno == EPERM))
					continue;
				fprintf(stderr, "# nobody: open(%s, %s)%s: %s\n", path,
					m ? "O_WRONLY" : "O_RDONLY",
					how ? " via dirfd" : "",
					fd >= 0 ? "allowed" : strerror(errno));
				if (fd >= 0)
					close(fd);
				bad++;
			}
		}
	}
	/* the refusals come from the files, not from a broken child */
	err = open("/etc/passwd", O_RDONLY);
	if (err < 0) {
		fprintf(stderr, "# nobody cannot read /etc/passwd either: %s\n",
			strerror(errno));
		bad++;
	}
	return bad;
}

TEST(files_refused_to_unprivileged_user)
{
	int dirfd, status;
	pid_t pid;

	ASSERT_EQ(0, lm_fresh());
	/* root opens the lockmon directory itself: from it, only each file's
	 * own mode stands between nobody and the file */
	dirfd = open(LM_DIR, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, dirfd);
	pid = fork();
	if (pid == 0)
		_exit(try_as_nobody(dirfd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%d opens were not refused", WEXITSTATUS(status));
	close(dirfd);
	/* root still reads them */
	{
		char *v = lm_read_lm("version");

		EXPECT_NE(NULL, v);
		free(v);
	}
}

/* ---- no kernel addresses ------------------------------------------------- */

/* A 64-bit value in the kernel half of x86_64's address space. */
static bool kernel_half(unsigned long long v)
{
	return v >= 0xffff800000000000ull;
}

struct leak_scan {
	long tokens;		/* numbers checked */
	int leaks;		/* kernel-looking numbers outside id fields */
	int id_hits;		/* distinct futex ids in the kernel range */
	unsigned long long id[64];
	char first[200];
};

static void note_leak(struct leak_scan *s, const char *src, const char *tok)
{
	if (!s->leaks++)
		snprintf(s->first, sizeof(s->first), "%s: %.120s", src, tok);
}

static void note_id(struct leak_scan *s, unsigned long long v)
{
	int i;

	for (i = 0; i < s->id_hits && i < 64; i++)
		if (s->id[i] == v)
			return;
	if (s->id_hits < 64)
		s->id[s->id_hits] = v;
	s->id_hits++;
}

/*
 * Check one token (a cell, a key=value field, a word). A futex id is a
 * 64-bit keyed hash: one in 2^17 of them falls in the kernel range by
 * chance, so those are counted apart and judged in bulk.
 */
static void scan_token(struct leak_scan *s, const char *src, const char *tok,
		       bool id)
{
	const char *p = tok;

	if (strstr(tok, "ptrval")) {
		note_leak(s, src, tok);
		return;
	}
	while (*p) {
		unsigned long long v;
		const char *q;
		int hex = 0, dec = 0;

		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		for (q = p; isxdigit((unsigned char)*q); q++)
			hex++;
		for (q = p; isdigit((unsigned char)*q); q++)
			dec++;
		if (hex >= 16) {
			s->tokens++;
			v = strtoull(p, NULL, 16);
			if (hex == 16 && kernel_half(v)) {
				if (id)
					note_id(s, v);
				else
					note_leak(s, src, tok);
			} else if (hex > 16) {
				note_leak(s, src, tok);	/* longer than any u64 */
			}
		}
		if (dec >= 19 && dec == hex) {	/* a pointer printed in decimal */
			errno = 0;
			v = strtoull(p, NULL, 10);
			if (!errno && kernel_half(v))
				note_leak(s, src, tok);
		}
		p += hex ? hex : 1;
	}
}

static bool id_column(const char *col)
{
	return col && (!strcmp(col, "futex") || !strcmp(col, "owner_waits_on"));
}

/* Table files: columns by name from the header. */
static int scan_table(struct leak_scan *s, const char *name)
{
	struct lm_table *t = lm_table(name);
	int r, c;

	if (!t)
		return -1;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < LM_MAX_COLS && t->cell[r][c]; c++)
			scan_token(s, name, t->cell[r][c],
				   c < t->ncols && id_column(t->cols[c]));
	lm_table_free(t);
	return 0;
}

/* Free text: words, and key=value fields whose key "futex" is an id. */
static void scan_text(struct leak_scan *s, const char *src, char *text)
{
	char *save = NULL, *w;

	for (w = strtok_r(text, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		scan_token(s, src, w, !strncmp(w, "futex=", 6));
}

static int scan_file(struct leak_scan *s, const char *path, const char *src)
{
	char *b = lm_read(path);

	if (!b)
		return -1;
	scan_text(s, src, b);
	free(b);
	return 0;
}

/*
 * ustacks: "TGID TID IP SP BP LEN HEX". The registers are checked as
 * numbers; HEX is a copy of the thread's user stack, user memory that any
 * word may be in (-128 reads as 0xffffffffffffff80), so it is checked to
 * be LEN bytes of hex digits and nothing else.
 */
static int scan_ustacks(struct leak_scan *s)
{
	char *b = lm_read(LM_DIR "/ustacks"), *line, *save = NULL;
	char *w, *wsave;
	unsigned int len;
	int f;

	if (!b)
		return -1;
	for (line = strtok_r(b, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		len = 0;
		wsave = NULL;
		for (f = 0, w = strtok_r(line, " ", &wsave); w;
		     f++, w = strtok_r(NULL, " ", &wsave)) {
			if (f == 5)
				len = (unsigned int)strtoul(w, NULL, 10);
			if (f < 6) {
				scan_token(s, "ustacks", w, false);
				continue;
			}
			if (f > 6 || strlen(w) != 2 * (size_t)len ||
			    strspn(w, "0123456789abcdef") != strlen(w))
				note_leak(s, "ustacks (not a stack copy)", w);
		}
		if (f != 7)
			note_leak(s, "ustacks (not 7 fields)", line);
	}
	free(b);
	return 0;
}

/* ---- workloads that fill every file ---- */

struct work {
	pthread_mutex_t m[2];		/* contended */
	pthread_mutex_t ab[2];		/* ABBA */
	pthread_mutex_t pi[2];		/* PI ABBA */
	pthread_mutex_t shared;		/* between processes */
	pthread_mutex_t cvm;
	pthread_cond_t cv;
	pthread_barrier_t abba, piabba;
	volatile int started;
};

static void *w_contend(void *arg)
{
	struct work *w = arg;
	unsigned int i;

	__atomic_fetch_add(&w->started, 1, __ATOMIC_SEQ_CST);
	for (i = 0;; i++) {
		pthread_mutex_lock(&w->m[i & 1]);
		sched_yield();
		pthread_mutex_unlock(&w->m[i & 1]);
	}
	return NULL;
}

static void *w_abba(void *arg)
{
	struct work *w = arg;
	static int n;
	int me = __atomic_fetch_add(&n, 1, __ATOMIC_SEQ_CST) & 1;

	__atomic_fetch_add(&w->started, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&w->ab[me]);
	pthread_barrier_wait(&w->abba);
	pthread_mutex_lock(&w->ab[!me]);
	return NULL;
}

static void *w_piabba(void *arg)
{
	struct work *w = arg;
	static int n;
	int me = __atomic_fetch_add(&n, 1, __ATOMIC_SEQ_CST) & 1;

	__atomic_fetch_add(&w->started, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&w->pi[me]);
	pthread_barrier_wait(&w->piabba);
	pthread_mutex_lock(&w->pi[!me]);
	return NULL;
}

static void *w_cond(void *arg)
{
	struct work *w = arg;

	__atomic_fetch_add(&w->started, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&w->cvm);
	for (;;)
		pthread_cond_wait(&w->cv, &w->cvm);
	return NULL;
}

static void *w_shared(void *arg)
{
	struct work *w = arg;

	__atomic_fetch_add(&w->started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		pthread_mutex_lock(&w->shared);
		lm_sleep_ms(2);
		pthread_mutex_unlock(&w->shared);
	}
	return NULL;
}

#define STARTED 13	/* 4 contend + 2 abba + 2 pi + 1 cond + 2x2 shared */

static pid_t work_child(struct work *w, bool main)
{
	pthread_t th;
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < 2; i++)
		pthread_create(&th, NULL, w_shared, w);
	if (main) {
		for (i = 0; i < 4; i++)
			pthread_create(&th, NULL, w_contend, w);
		for (i = 0; i < 2; i++)
			pthread_create(&th, NULL, w_abba, w);
		for (i = 0; i < 2; i++)
			pthread_create(&th, NULL, w_piabba, w);
		pthread_create(&th, NULL, w_cond, w);
	}
	for (;;)
		pause();
}

static struct work *work_new(void)
{
	struct work *w = lm_shared(sizeof(*w));
	pthread_mutexattr_t a;
	pthread_condattr_t ca;
	int i;

	if (!w)
		return NULL;
	pthread_mutexattr_init(&a);
	for (i = 0; i < 2; i++) {
		pthread_mutex_init(&w->m[i], &a);
		pthread_mutex_init(&w->ab[i], &a);
	}
	pthread_mutex_init(&w->cvm, &a);
	pthread_condattr_init(&ca);
	pthread_cond_init(&w->cv, &ca);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	for (i = 0; i < 2; i++)
		pthread_mutex_init(&w->pi[i], &a);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_NONE);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&w->shared, &a);
	pthread_barrier_init(&w->abba, NULL, 2);
	pthread_barrier_init(&w->piabba, NULL, 2);
	return w;
}

#define INST "/sys/kernel/tracing/instances/lm_access"

FIXTURE(leaks) {
	pid_t child[2];
	int kmsg;
};

FIXTURE_SETUP(leaks)
{
	self->child[0] = self->child[1] = 0;
	ASSERT_EQ(0, lm_fresh());
	ASSERT_EQ(0, lm_control("stall_ms 200"));
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg);
	lseek(self->kmsg, 0, SEEK_END);
	rmdir(INST);
}

FIXTURE_TEARDOWN(leaks)
{
	lm_kill(self->child[0]);
	lm_kill(self->child[1]);
	close(self->kmsg);
	write_str(INST "/events/lockmon/enable", "0");
	rmdir(INST);
	lm_control("stall_ms 2000");
}

TEST_F_TIMEOUT(leaks, no_kernel_address_in_any_output, 120)
{
	struct work *w = work_new();
	struct leak_scan s = { 0 };
	bool tracing = !mkdir(INST, 0700) &&
		       !write_str(INST "/events/lockmon/enable", "1");
	char rec[1024], *b;
	unsigned int round, i;
	ssize_t n;

	ASSERT_NE(NULL, w);
	self->child[0] = work_child(w, true);
	self->child[1] = work_child(w, false);
	ASSERT_TRUE(lm_wait_until(w->started == STARTED, 20000));
	/* the deadlocks are found: the deadlocks file has content to check */
	ASSERT_TRUE(lm_wait_until(lm_count_findings(NULL, self->child[0]) >= 2, 20000));
	for (round = 0; round < 20; round++) {
		for (i = 0; i < NR_FILES; i++) {
			const char *f = lm_files[i];
			char path[128];

			if (!strcmp(f, "locks") || !strcmp(f, "tasks") ||
			    !strcmp(f, "waitgraph") || !strcmp(f, "stacks")) {
				ASSERT_EQ(0, scan_table(&s, f)) TH_LOG("%s", f);
			} else if (!strcmp(f, "ustacks")) {
				ASSERT_EQ(0, scan_ustacks(&s));
			} else {
				snprintf(path, sizeof(path), LM_DIR "/%s", f);
				ASSERT_EQ(0, scan_file(&s, path, f)) TH_LOG("%s", f);
			}
		}
		/* the next round reads what a later scan left */
		ASSERT_TRUE(lm_wait_scans(1));
	}
	if (tracing) {
		b = lm_read(INST "/trace");
		ASSERT_NE(NULL, b);
		EXPECT_NE(NULL, strstr(b, "lockmon_wait_begin"));
		scan_text(&s, "trace", b);
		free(b);
	} else {
		ksft_print_msg("no tracefs instance: trace events not checked\n");
	}
	while ((n = read(self->kmsg, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = 0;
		if (strstr(rec, "lockmon"))
			scan_text(&s, "kernel log", rec);
	}
	ksft_print_msg("%ld long numbers checked, %d futex ids in the kernel range\n",
		       s.tokens, s.id_hits);
	EXPECT_LT(100, s.tokens);
	EXPECT_EQ(0, s.leaks) TH_LOG("%d kernel-looking values, first in %s",
				     s.leaks, s.first);
	/* ids are hashes: more than one in the kernel range is no accident */
	EXPECT_GE(1, s.id_hits);
}

LM_HARNESS_MAIN
