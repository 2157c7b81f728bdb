// SPDX-License-Identifier: GPL-2.0
/*
 * A lock's wait time split by what its holder was doing (the locks file's
 * hold_*_ns columns), in words, and a verdict on what to do about it.
 */
#include <stdio.h>
#include <string.h>
#include "lockmon-report.h"

/* Names of the system calls a holder sleeps in most often (x86-64). */
static const struct {
	int nr;
	const char *name;
} lmr_syscalls[] = {
#ifdef __x86_64__
	{ 0, "read" }, { 1, "write" }, { 2, "open" }, { 3, "close" },
	{ 4, "stat" }, { 5, "fstat" }, { 6, "lstat" }, { 7, "poll" },
	{ 9, "mmap" }, { 11, "munmap" }, { 16, "ioctl" }, { 17, "pread64" },
	{ 18, "pwrite64" }, { 19, "readv" }, { 20, "writev" },
	{ 23, "select" }, { 26, "msync" }, { 34, "pause" },
	{ 35, "nanosleep" }, { 40, "sendfile" }, { 42, "connect" },
	{ 43, "accept" }, { 44, "sendto" }, { 45, "recvfrom" },
	{ 46, "sendmsg" }, { 47, "recvmsg" }, { 56, "clone" },
	{ 57, "fork" }, { 59, "execve" }, { 61, "wait4" }, { 72, "fcntl" },
	{ 73, "flock" }, { 74, "fsync" }, { 75, "fdatasync" },
	{ 76, "truncate" }, { 77, "ftruncate" }, { 82, "rename" },
	{ 83, "mkdir" }, { 87, "unlink" }, { 128, "rt_sigtimedwait" },
	{ 130, "rt_sigsuspend" }, { 162, "sync" }, { 202, "futex" },
	{ 208, "io_getevents" }, { 217, "getdents64" },
	{ 230, "clock_nanosleep" }, { 232, "epoll_wait" },
	{ 247, "waitid" }, { 257, "openat" }, { 262, "newfstatat" },
	{ 270, "pselect6" }, { 271, "ppoll" }, { 275, "splice" },
	{ 277, "sync_file_range" }, { 281, "epoll_pwait" },
	{ 285, "fallocate" }, { 288, "accept4" }, { 295, "preadv" },
	{ 296, "pwritev" }, { 299, "recvmmsg" }, { 307, "sendmmsg" },
	{ 426, "io_uring_enter" }, { 441, "epoll_pwait2" },
#endif
};

const char *lmr_syscall_name(int nr, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(lmr_syscalls) / sizeof(lmr_syscalls[0]); i++)
		if (lmr_syscalls[i].nr == nr) {
			snprintf(buf, len, "%s()", lmr_syscalls[i].name);
			return buf;
		}
	snprintf(buf, len, "syscall %d", nr);
	return buf;
}

/* The parts of the split, largest first in the text. */
struct part {
	u64 ns;
	const char *words;
};

static unsigned int parts(const struct lmr_lock *l, struct part *p,
			  char *sleep_words, size_t len)
{
	char sys[32];

	if (l->hold_syscall >= 0)
		snprintf(sleep_words, len, "in %s",
			 lmr_syscall_name(l->hold_syscall, sys, sizeof(sys)));
	else
		snprintf(sleep_words, len, "asleep");
	p[0] = (struct part){ l->hold_running_ns, "running" };
	p[1] = (struct part){ l->hold_preempted_ns, "preempted" };
	p[2] = (struct part){ l->hold_futex_ns, "waiting on another lock" };
	p[3] = (struct part){ l->hold_sleeping_ns, sleep_words };
	p[4] = (struct part){ l->hold_stopped_ns, "stopped" };
	p[5] = (struct part){ l->hold_exited_ns, "exited" };
	p[6] = (struct part){ l->hold_unknown_ns, "unknown" };
	return 7;
}

u64 lmr_holder_total(const struct lmr_lock *l)
{
	return l->hold_running_ns + l->hold_preempted_ns + l->hold_futex_ns +
	       l->hold_sleeping_ns + l->hold_stopped_ns + l->hold_exited_ns +
	       l->hold_unknown_ns;
}

/*
 * "7.9s waited: holder running 6.1s, preempted 1.5s, in read() 300ms":
 * the parts of at least 1 % of the split, largest first. NULL when the
 * lock has no split (a recording, or a module before ABI 1.4).
 */
const char *lmr_holder_text(const struct lmr_lock *l, char *buf, size_t len)
{
	char sleep_words[48], a[16];
	struct part p[7];
	unsigned int n = parts(l, p, sleep_words, sizeof(sleep_words));
	u64 total = lmr_holder_total(l);
	bool used[7] = { false };
	unsigned int i, k, shown = 0;
	size_t off;

	if (!total)
		return NULL;
	lmr_fmt_ns(a, sizeof(a), total);
	off = (size_t)snprintf(buf, len, "%s waited", a);
	/*
	 * The split also holds the part of the waits still going on, which
	 * total_ns (finished waits) does not: say how much, so the two
	 * figures can be told apart.
	 */
	if (total > l->total_ns && (total - l->total_ns) * 100 >= total &&
	    off < len) {
		lmr_fmt_ns(a, sizeof(a), total - l->total_ns);
		off += (size_t)snprintf(buf + off, len - off,
					" (%s of it in waits not yet ended)", a);
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, ": holder");
	for (k = 0; k < n && off < len; k++) {
		int best = -1;

		for (i = 0; i < n; i++)
			if (!used[i] && (best < 0 || p[i].ns > p[best].ns))
				best = (int)i;
		used[best] = true;
		if (!p[best].ns || p[best].ns * 100 < total)
			break;
		lmr_fmt_ns(a, sizeof(a), p[best].ns);
		off += (size_t)snprintf(buf + off, len - off, "%s %s %s",
					shown++ ? "," : "", p[best].words, a);
	}
	return buf;
}

static unsigned int pct(u64 part, u64 whole)
{
	return whole ? (unsigned int)((part * 100 + whole / 2) / whole) : 0;
}

/*
 * A short verdict from the split: what the holder mostly did while tasks
 * waited, and where to look. NULL when the lock has no split.
 */
const char *lmr_holder_verdict(const struct lmr_lock *l, char *buf,
			       size_t len)
{
	u64 total = lmr_holder_total(l), known = total - l->hold_unknown_ns;
	char sys[32];

	if (!total)
		return NULL;
	if (known * 2 < total) {
		snprintf(buf, len, "holder unknown %u %%: no owner known, or waits shorter than a scan",
			 pct(l->hold_unknown_ns, total));
	} else if (l->hold_exited_ns * 2 >= known) {
		snprintf(buf, len, "holder exited holding it: see the orphan finding");
	} else if (l->hold_preempted_ns * 4 >= known) {
		snprintf(buf, len, "holder preempted %u %%: check CPU contention",
			 pct(l->hold_preempted_ns, known));
	} else if (l->hold_running_ns * 2 >= known) {
		snprintf(buf, len, "mostly holder on CPU: shorten the critical section");
	} else if (l->hold_sleeping_ns * 2 >= known) {
		const char *name = l->hold_syscall >= 0 ?
			lmr_syscall_name(l->hold_syscall, sys, sizeof(sys)) :
			NULL;

		if (name && (!strcmp(name, "nanosleep()") ||
			     !strcmp(name, "clock_nanosleep()") ||
			     !strcmp(name, "pause()")))
			snprintf(buf, len, "holder sleeps in %s: do not sleep holding the lock",
				 name);
		else if (name)
			snprintf(buf, len, "holder sleeps in %s: move I/O out of the lock",
				 name);
		else
			snprintf(buf, len, "holder sleeps in the kernel: move blocking calls out of the lock");
	} else if (l->hold_futex_ns * 2 >= known) {
		snprintf(buf, len, "holder waits on another lock: a chain of locks, look at the one it waits on");
	} else if (l->hold_stopped_ns * 2 >= known) {
		snprintf(buf, len, "holder stopped or traced: a debugger or SIGSTOP holds it");
	} else {
		snprintf(buf, len, "holder running %u %%, sleeping %u %%, waiting on locks %u %%: no single cause",
			 pct(l->hold_running_ns, known),
			 pct(l->hold_sleeping_ns, known),
			 pct(l->hold_futex_ns, known));
	}
	return buf;
}

/*
 * The split and verdict of the first @max locks with one, but event
 * futexes, one paragraph each, under a heading; nothing when none has.
 */
void lmr_holder_lines(struct lmr_ctx *c, size_t max)
{
	char name[LMR_NAME_LEN], text[256], verdict[160];
	size_t i, shown = 0, unknown = 0;

	for (i = 0; i < c->st->nr_locks && shown < max; i++) {
		const struct lmr_lock *l = &c->st->locks[i];
		u64 total = lmr_holder_total(l);

		/* an event futex has no holder: its split is all unknown */
		if (!strcmp(l->klass, "event") ||
		    !lmr_holder_text(l, text, sizeof(text)))
			continue;
		/* nothing known of the holder: no verdict worth a paragraph */
		if ((total - l->hold_unknown_ns) * 100 < total) {
			unknown++;
			continue;
		}
		if (!shown++)
			fprintf(c->out, "\nWhile tasks waited, the holder was:\n");
		fprintf(c->out, "  %s (%s/%d): %s\n    => %s\n",
			lmr_lock_name(c, l, name, sizeof(name)),
			lmr_tgid_comm(c->st, l->tgid), l->tgid, text,
			lmr_holder_verdict(l, verdict, sizeof(verdict)));
	}
	if (shown && unknown)
		fprintf(c->out, "  (%zu more with no holder known: locks without an owner word, or waits shorter than a scan)\n",
			unknown);
}
