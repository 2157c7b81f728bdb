// SPDX-License-Identifier: GPL-2.0
/*
 * lockmon-report against ground truth: a workload that times its own
 * blocking futex waits is recorded, and the report's figures must match
 * its measurements; the pprof output is read by go tool pprof, trace-cmd
 * sees the events; and each error path prints its one line and fails.
 */
#include "lockmon_util.h"
#include <sys/mount.h>
#include "../../user/record_format.h"
#include "kselftest_harness.h"

#define OUT	"/tmp/lmr_out"
#define ERR	"/tmp/lmr_err"

/* A path next to the build tree, like lm_ko(): ../../@rel from our binary. */
static const char *tree(const char *rel)
{
	static char path[4][PATH_MAX];
	static int turn;
	char *p = path[turn++ % 4], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", p, PATH_MAX - 64);
	if (n <= 0)
		return rel;
	p[n] = 0;
	slash = strrchr(p, '/');
	snprintf(slash + 1, PATH_MAX - (size_t)(slash + 1 - p), "../../%s", rel);
	return p;
}

/* Run a shell command, stdout to OUT and stderr to ERR; its exit status. */
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	strcat(cmd, " >" OUT " 2>" ERR);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Unsigned number after "key" (e.g. "\"waits\":") in @s, or -1ULL. */
static unsigned long long num_after(const char *s, const char *key)
{
	const char *p = s ? strstr(s, key) : NULL;

	return p ? strtoull(p + strlen(key), NULL, 10) : -1ULL;
}

/* The JSON object of the lock at @uaddr in a report: from its '{'. */
static const char *lock_obj(const char *json, unsigned long long uaddr)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"uaddr\":\"0x%llx\"", uaddr);
	p = strstr(json, key);
	if (!p)
		return NULL;
	while (p > json && *p != '{')
		p--;
	return p;
}

struct truth {
	unsigned long long lock, waits, total_ns;
	int tgid;
};

static int read_truth(const char *path, struct truth *t)
{
	char *s = lm_read(path);
	int ok;

	if (!s)
		return -1;
	ok = sscanf(s, "contend tgid=%d lock=0x%llx waits=%llu total_ns=%llu",
		    &t->tgid, &t->lock, &t->waits, &t->total_ns) == 4;
	free(s);
	return ok ? 0 : -1;
}

FIXTURE(report) {
	char file[64];
};

FIXTURE_SETUP(report)
{
	ASSERT_EQ(0, lm_fresh());
	snprintf(self->file, sizeof(self->file), "/tmp/lmr_%d.lmr", getpid());
}

FIXTURE_TEARDOWN(report)
{
	unlink(self->file);
	/* a failed module_abi_mismatch_fails must not leave its fakes */
	umount2("/sys/kernel/debug/lockmon/version", MNT_DETACH);
	umount2("/sys/kernel/debug/lockmon/locks", MNT_DETACH);
}

/* 4 waiters x 5 rounds behind a 100 ms holder, futex lock: exact counts */
TEST_F_TIMEOUT(report, record_matches_workload, 120)
{
	unsigned long long recorded, events;
	const char *o, *line;
	struct truth t;
	char *json;

	ASSERT_EQ(0, run("%s record -o %s -- %s -w 4 -r 5 -H 100 -o /tmp/lmr_truth",
			 tree("user/lockmon-report"), self->file,
			 tree("user/demo/contend")));
	ASSERT_EQ(0, read_truth("/tmp/lmr_truth", &t));
	/* what record says it wrote is what report reads */
	json = lm_read(ERR);
	ASSERT_NE(NULL, json);
	recorded = num_after(json, "recorded ");
	events = num_after(json, " records (");
	EXPECT_NE(NULL, strstr(json, "; lost events: 0")) TH_LOG("%s", json);
	free(json);
	ASSERT_EQ(0, run("%s report %s --json", tree("user/lockmon-report"),
			 self->file));
	json = lm_read(OUT);
	ASSERT_NE(NULL, json);
	ASSERT_NE(NULL, strstr(json, "{\"schema\":\"lockmon-report/1\""));
	EXPECT_EQ(0, num_after(json, "\"lost_events\":"));
	EXPECT_EQ(recorded, num_after(json, "\"records\":"));
	EXPECT_EQ(events, num_after(json, "\"events\":"));
	/* 4 x 5 waits: a begin and an end each at least */
	EXPECT_LE(2 * t.waits, events);
	o = lock_obj(json, t.lock);
	if (o)
		TH_LOG("workload: %llu waits, %llu ns; report: %llu waits, %llu ns",
		       t.waits, t.total_ns, num_after(o, "\"waits\":"),
		       num_after(o, "\"total_wait_ns\":"));
	ASSERT_NE(NULL, o) TH_LOG("no lock at 0x%llx in %s", t.lock, json);
	EXPECT_GE(t.waits, 20);
	EXPECT_EQ(t.waits, num_after(o, "\"waits\":"));
	/* the workload's clock brackets the syscall: a little more */
	EXPECT_LE(num_after(o, "\"total_wait_ns\":"), t.total_ns);
	EXPECT_GE(num_after(o, "\"total_wait_ns\":") * 100, t.total_ns * 97);
	EXPECT_NE(NULL, strstr(o, "\"name\":\"work_lock_word\""));
	EXPECT_NE(NULL, strstr(o, "\"class\":\"lock\""));
	free(json);

	/* the same figures through pprof, read by go tool pprof */
	ASSERT_EQ(0, run("%s report %s --pprof /tmp/lmr.pb.gz",
			 tree("user/lockmon-report"), self->file));
	if (access("/usr/bin/go", X_OK))
		SKIP(return, "go is not installed");
	ASSERT_EQ(0, run("HOME=/tmp GOCACHE=/tmp/gocache GOFLAGS=-mod=mod go tool pprof -top -sample_index=contentions /tmp/lmr.pb.gz"));
	json = lm_read(OUT);
	ASSERT_NE(NULL, json);
	line = strstr(json, "[lock] work_lock_word");
	ASSERT_NE(NULL, line) TH_LOG("%s", json);
	while (line > json && line[-1] != '\n')
		line--;
	/* flat contentions of the lock frame: the wait count */
	EXPECT_EQ(t.waits, strtoull(line, NULL, 10)) TH_LOG("%s", json);
	free(json);
}

/* lockmon_wait_end lines of trace-cmd report text for the lock at @uaddr */
static unsigned long long wait_ends(const char *text, unsigned long long uaddr)
{
	unsigned long long n = 0;
	const char *line, *end;
	char want[40];

	snprintf(want, sizeof(want), " uaddr=0x%llx ", uaddr);
	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (memmem(line, end - line, "lockmon_wait_end:", 17) &&
		    memmem(line, end - line, want, strlen(want)))
			n++;
		if (!*end)
			break;
	}
	return n;
}

/* The lockmon event lines of trace-cmd report text. */
static unsigned long long lockmon_events(const char *text)
{
	unsigned long long n = 0;
	const char *p;

	for (p = text; p && (p = strstr(p, ": lockmon_")); p++)
		n++;
	return n;
}

/*
 * A trace-cmd capture holds the events, and the reporter reads it. The
 * capture is start, workload, stop, extract: `trace-cmd record -- CMD`
 * twice handed back a file short of events (once 3 of 6 waits, once
 * none at all) when the host ran three guests at once, and extract reads
 * the stopped buffer whole, with no recorder process to race.
 */
TEST_F_TIMEOUT(report, trace_cmd_sees_events, 120)
{
	unsigned long long events;
	struct truth t;
	const char *o;
	char *text;

	if (access("/usr/bin/trace-cmd", X_OK))
		SKIP(return, "trace-cmd is not installed");
	ASSERT_EQ(0, run("trace-cmd start -e lockmon"));
	ASSERT_EQ(0, run("%s -w 2 -r 3 -H 50 -o /tmp/lmr_truth",
			 tree("user/demo/contend")));
	ASSERT_EQ(0, run("trace-cmd stop && cd /tmp && trace-cmd extract -o /tmp/lmr.dat"));
	ASSERT_EQ(0, run("trace-cmd reset"));
	ASSERT_EQ(0, read_truth("/tmp/lmr_truth", &t));
	ASSERT_EQ(0, run("trace-cmd report -i /tmp/lmr.dat"));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "lockmon_wait_begin"));
	/* trace-cmd's own reading of the file holds every wait */
	EXPECT_EQ(t.waits, wait_ends(text, t.lock))
		TH_LOG("trace-cmd report: %llu wait_end events on 0x%llx, the workload counted %llu",
		       wait_ends(text, t.lock), t.lock, t.waits);
	events = lockmon_events(text);
	free(text);
	ASSERT_EQ(0, run("%s report /tmp/lmr.dat --json", tree("user/lockmon-report")));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "\"source\":\"trace.dat\""));
	/* its records are the lockmon events trace-cmd reads in it */
	EXPECT_LE(4 * t.waits, events);
	EXPECT_EQ(events, num_after(text, "\"records\":"));
	EXPECT_EQ(events, num_after(text, "\"events\":"));
	o = lock_obj(text, t.lock);
	ASSERT_NE(NULL, o) TH_LOG("%s", text);
	EXPECT_EQ(t.waits, num_after(o, "\"waits\":"))
		TH_LOG("lockmon-report: %s", o);
	free(text);
	unlink("/tmp/lmr.dat");
}

/* perf sees the module's trace events with no code of lockmon's. */
TEST_F_TIMEOUT(report, perf_sees_events, 120)
{
	struct truth t;
	char *text;

	if (access("/usr/bin/perf", X_OK))
		SKIP(return, "perf is not installed");
	ASSERT_EQ(0, run("perf record -q -e 'lockmon:*' -o /tmp/lmr.perf %s -w 2 -r 3 -H 50 -o /tmp/lmr_truth",
			 tree("user/demo/contend")));
	ASSERT_EQ(0, read_truth("/tmp/lmr_truth", &t));
	ASSERT_EQ(0, run("perf script -i /tmp/lmr.perf"));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "lockmon:lockmon_wait_begin:"));
	EXPECT_NE(NULL, strstr(text, "lockmon:lockmon_wake:"));
	EXPECT_GE(t.waits, 2);
	EXPECT_EQ(t.waits, wait_ends(text, t.lock))
		TH_LOG("perf script: %llu wait_end events on 0x%llx, the workload counted %llu",
		       wait_ends(text, t.lock), t.lock, t.waits);
	free(text);
	unlink("/tmp/lmr.perf");
}

/* A 4 KiB buffer and a burst of short waits: the loss is reported. */
TEST_F_TIMEOUT(report, overflow_is_counted, 120)
{
	char *text;

	ASSERT_EQ(0, run("%s record --buffer-kb 4 -o %s -- %s -w 16 -r 200 -H 1 -o /dev/null",
			 tree("user/lockmon-report"), self->file,
			 tree("user/demo/contend")));
	text = lm_read(ERR);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(NULL, strstr(text, "lost events: 0;")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "lost events: ")) TH_LOG("%s", text);
	EXPECT_LT(0, num_after(text, "lost events: ")) TH_LOG("%s", text);
	free(text);
	ASSERT_EQ(0, run("%s report %s --json", tree("user/lockmon-report"),
			 self->file));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_LT(0, num_after(text, "\"lost_events\":"));
	EXPECT_NE(-1ULL, num_after(text, "\"lost_events\":"));
	free(text);
}

/*
 * --duration holds under a steady stream of events. One read of the
 * buffers goes on until they are empty, and with four loads of eight
 * threads outrunning a recorder at nice 19 they never are: the recorder
 * used to read until the load stopped, and SIGTERM could not stop it
 * either. The loads run until the recorder has exited, so a recorder that
 * reads until the load stops never exits; timeout(1) gives it 300 s (times
 * LOCKMON_SLOW) and then SIGKILL (exit 124 or 137). That is a watchdog, not
 * a wait: CFS gives nice 19 a weight of 15 against 1024 for each of the 32
 * threads, so the recorder's few tens of milliseconds of work (the
 * snapshot, the reads, the final read) spread over a minute: 55.8 s and
 * 68.1 s in two make check runs on a busy host, past the 60 s it had.
 */
TEST_F_TIMEOUT(report, duration_ends_under_steady_load, 400)
{
	long long blocked = lm_stat("blocked");
	pid_t load[4];
	uint64_t t0;
	char *text;
	int i, st;

	ASSERT_LE(0, blocked);
	for (i = 0; i < 4; i++) {
		load[i] = fork();
		ASSERT_LE(0, load[i]);
		if (!load[i]) {
			const char *c = tree("user/demo/contend");

			execl(c, c, "-w", "8", "-r", "100000000", "-H", "1",
			      "-o", "/dev/null", NULL);
			_exit(127);
		}
	}
	/* the loads' waits are under way before the recording starts */
	EXPECT_TRUE(lm_wait_until(lm_stat("blocked") > blocked + 1000, 30000));
	t0 = lm_now_ns();
	st = run("timeout -k 5 %u nice -n 19 %s record --duration 2 -o %s",
		 300 * lm_slow(), tree("user/lockmon-report"), self->file);
	ksft_print_msg("the 2 s recording ended after %.1f s\n",
		       (double)(lm_now_ns() - t0) / 1e9);
	for (i = 0; i < 4; i++) {
		kill(load[i], SIGKILL);
		waitpid(load[i], NULL, 0);
	}
	ASSERT_EQ(0, st);
	text = lm_read(ERR);
	ASSERT_NE(NULL, text);
	EXPECT_LT(0, num_after(text, "recorded ")) TH_LOG("%s", text);
	free(text);
}

/* Ctrl-C ends a recording cleanly: file complete, instance removed. */
TEST_F_TIMEOUT(report, sigint_removes_instance, 60)
{
	char cmd[512];
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		snprintf(cmd, sizeof(cmd), "%s", tree("user/lockmon-report"));
		execl(cmd, cmd, "record", "-o", self->file, "--duration", "600",
		      NULL);
		_exit(127);
	}
	snprintf(cmd, sizeof(cmd),
		 "/sys/kernel/tracing/instances/lockmon-report-%d", pid);
	EXPECT_TRUE(lm_wait_until(access(cmd, F_OK) == 0, 30000))
		TH_LOG("no instance %s", cmd);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_NE(0, access(cmd, F_OK));
	EXPECT_EQ(0, run("%s report %s", tree("user/lockmon-report"),
			 self->file));
}

static void expect_error(struct __test_metadata *_metadata, const char *line)
{
	char *err = lm_read(ERR);

	ASSERT_NE(NULL, err);
	EXPECT_STREQ(line, err);
	free(err);
}

TEST_F(report, corrupt_files_fail)
{
	struct lockmon_file_header h = { .format_major = LMR_FORMAT_MAJOR + 1 };
	char path[128], want[256], buf[80];
	FILE *f;
	int fd;

	ASSERT_EQ(0, run("%s record -o %s -- %s -w 2 -r 1 -H 20 -o /dev/null",
			 tree("user/lockmon-report"), self->file,
			 tree("user/demo/contend")));
	/* cut inside the first block's header */
	snprintf(path, sizeof(path), "%s.cut", self->file);
	fd = open(self->file, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(80, read(fd, buf, sizeof(buf)));
	close(fd);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fwrite(buf, sizeof(buf), 1, f));
	fclose(f);
	snprintf(want, sizeof(want),
		 "lockmon-report: %s: damaged at offset %zu: truncated: the block header has %zu of %zu bytes (--force reads what is intact)\n",
		 path, sizeof(h), 80 - sizeof(h),
		 sizeof(struct lockmon_block_header));
	EXPECT_EQ(1, run("%s report %s", tree("user/lockmon-report"), path));
	expect_error(_metadata, want);
	/* another ABI */
	memcpy(h.magic, LOCKMON_FILE_MAGIC, 8);
	h.record_size = sizeof(struct lockmon_record);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	snprintf(want, sizeof(want),
		 "lockmon-report: %s: recorded in format %u.0, this reporter reads formats %u.x and %u.x\n",
		 path, LMR_FORMAT_MAJOR + 1, LMR_FORMAT_MAJOR_OLD,
		 LMR_FORMAT_MAJOR);
	EXPECT_EQ(1, run("%s report %s", tree("user/lockmon-report"), path));
	expect_error(_metadata, want);
	/* not a record file at all */
	EXPECT_EQ(1, run("%s report /etc/os-release", tree("user/lockmon-report")));
	expect_error(_metadata,
		     "lockmon-report: /etc/os-release: not a lockmon record file (bad magic)\n");
	unlink(path);
}

TEST_F(report, bad_arguments_fail)
{
	EXPECT_EQ(2, run("%s locks --min-wait soon", tree("user/lockmon-report")));
	expect_error(_metadata,
		     "lockmon-report: --min-wait: not a duration: 'soon' (e.g. 10ms, 500us, 2s)\n");
	EXPECT_EQ(2, run("%s record", tree("user/lockmon-report")));
	expect_error(_metadata, "lockmon-report: record needs -o FILE\n");
	EXPECT_EQ(2, run("%s frobnicate", tree("user/lockmon-report")));
	expect_error(_metadata,
		     "lockmon-report: unknown command 'frobnicate' (see lockmon-report --help)\n");
}

TEST_F(report, not_root_fails)
{
	if (access("/usr/bin/setpriv", X_OK))
		SKIP(return, "setpriv is not installed");
	EXPECT_EQ(1, run("setpriv --reuid=65534 --regid=65534 --clear-groups %s locks",
			 tree("user/lockmon-report")));
	expect_error(_metadata,
		     "lockmon-report: must be run as root: the lockmon debugfs files and tracefs are root-only\n");
}

TEST_F(report, module_not_loaded_fails)
{
	ASSERT_EQ(0, lm_unload());
	EXPECT_EQ(1, run("%s top --once", tree("user/lockmon-report")));
	expect_error(_metadata,
		     "lockmon-report: the lockmon module is not loaded (insmod lockmon.ko)\n");
	EXPECT_EQ(1, run("%s record -o %s --duration 1",
			 tree("user/lockmon-report"), self->file));
	expect_error(_metadata,
		     "lockmon-report: the lockmon module is not loaded (insmod lockmon.ko)\n");
	ASSERT_EQ(0, lm_load(NULL));
}

/*
 * A module of another ABI: its version file, then one of its tables, is
 * bind-mounted over the live module's, so the reporter meets exactly what
 * a mismatched lockmon.ko would show it.
 */
static int cover(const char *file, const char *text)
{
	char target[128];
	int fd;

	snprintf(target, sizeof(target), "/sys/kernel/debug/lockmon/%s", file);
	fd = open("/tmp/lmr_fake", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return mount("/tmp/lmr_fake", target, NULL, MS_BIND, NULL);
}

TEST_F(report, module_abi_mismatch_fails)
{
	char fake[128], want[256];

	snprintf(fake, sizeof(fake), "lockmon 9.9 abi %d.0\n",
		 LOCKMON_ABI_MAJOR + 1);
	ASSERT_EQ(0, cover("version", fake));
	EXPECT_EQ(1, run("%s locks", tree("user/lockmon-report")));
	snprintf(want, sizeof(want),
		 "lockmon-report: ABI mismatch: module lockmon 9.9 has ABI %d.0, this reporter ABI %d.%d\n",
		 LOCKMON_ABI_MAJOR + 1, LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
	expect_error(_metadata, want);
	EXPECT_EQ(1, run("%s record -o %s --duration 1",
			 tree("user/lockmon-report"), self->file));
	expect_error(_metadata, want);
	EXPECT_NE(0, access(self->file, F_OK));
	ASSERT_EQ(0, umount("/sys/kernel/debug/lockmon/version"));

	/* the version agrees but a table speaks another ABI */
	snprintf(fake, sizeof(fake), "# lockmon abi %d.0\nfutex\n",
		 LOCKMON_ABI_MAJOR + 1);
	ASSERT_EQ(0, cover("locks", fake));
	EXPECT_EQ(1, run("%s locks", tree("user/lockmon-report")));
	snprintf(want, sizeof(want),
		 "lockmon-report: ABI mismatch in /sys/kernel/debug/lockmon/locks: module ABI %d.0, reporter ABI %d.%d\n",
		 LOCKMON_ABI_MAJOR + 1, LOCKMON_ABI_MAJOR, LOCKMON_ABI_MINOR);
	expect_error(_metadata, want);
	ASSERT_EQ(0, umount("/sys/kernel/debug/lockmon/locks"));
	EXPECT_EQ(0, run("%s locks", tree("user/lockmon-report")));
}

/*
 * Two CPython threads wait forever on a Condition no one notifies: a lost
 * wake-up. The recording holds the stall and the lockmon_stall event's
 * figures: the process, 2 threads, how long. The workload is the
 * recorder's command, so its waits and the stall fall inside the recording;
 * a child process of its own kills it once lockmon has the stall.
 */
#define STALL_PY "import os, signal, threading, time\n" \
	"if os.fork() == 0:\n" \
	"    me = ' tgid=%d ' % os.getppid()\n" \
	"    for _ in range(6000):\n" \
	"        d = open('" LM_DIR "/deadlocks').read().split('finding ')\n" \
	"        if any(f.split()[1:2] == ['kind=stall'] and me in f for f in d):\n" \
	"            break\n" \
	"        time.sleep(0.01)\n" \
	"    os.kill(os.getppid(), signal.SIGKILL)\n" \
	"    os._exit(0)\n" \
	"c = threading.Condition()\n" \
	"def park():\n" \
	"    with c:\n" \
	"        c.wait()\n" \
	"threading.Thread(target=park).start()\n" \
	"park()\n"

TEST_F_TIMEOUT(report, recorded_stall, 180)
{
	char want[128];
	const char *s;
	char *text;
	FILE *f;
	int pid;

	if (access("/usr/bin/python3", X_OK))
		SKIP(return, "python3 is not installed");
	f = fopen("/tmp/lmr_stall.py", "w");
	ASSERT_NE(NULL, f);
	fputs(STALL_PY, f);
	fclose(f);
	ASSERT_EQ(0, lm_control("stall_ms 300"));
	/*
	 * A child process of its own kills it once the deadlocks file has
	 * the stall, 60 s at most (a thread of its own would not be blocked);
	 * the recorder's status is then the workload's.
	 */
	run("%s record -o %s -- sh -c 'echo $$ >/tmp/lmr_pid; exec python3 /tmp/lmr_stall.py'",
	    tree("user/lockmon-report"), self->file);
	text = lm_read("/tmp/lmr_pid");
	ASSERT_NE(NULL, text);
	pid = atoi(text);
	free(text);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, run("%s report %s --json -p %d",
			 tree("user/lockmon-report"), self->file, pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	s = strstr(text, "\"stall\":{");
	ASSERT_NE(NULL, s) TH_LOG("%s", text);
	EXPECT_EQ(pid, num_after(s, "\"tgid\":"));
	EXPECT_EQ(2, num_after(s, "\"threads\":"));
	EXPECT_LE(300000000ull, num_after(s, "\"blocked_ns\":"));
	free(text);
	ASSERT_EQ(0, run("%s report %s -p %d", tree("user/lockmon-report"),
			 self->file, pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want),
		 "Every thread of process %d is blocked (2 threads", pid);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
	free(text);
}

/* ---- an owner change recorded end to end ----------------------------- */

struct handover {
	pthread_mutex_t m;
	volatile pid_t main_tid, waiter[2], first;
	volatile int started;
};

/* Takes the lock and keeps it: the first of the two gets it. */
static void *handover_waiter(void *arg)
{
	struct handover *h = arg;
	int i = __atomic_fetch_add(&h->started, 1, __ATOMIC_SEQ_CST);
	pid_t none = 0;

	h->waiter[i] = lm_gettid();
	pthread_mutex_lock(&h->m);
	__atomic_compare_exchange_n(&h->first, &none, lm_gettid(), false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

/* The JSON object of recorded task @tid in a report, from its '{'. */
static const char *task_obj(const char *json, pid_t tid)
{
	const char *tasks = strstr(json, "\"tasks\":[");
	char key[32];

	if (!tasks)
		return NULL;
	snprintf(key, sizeof(key), "{\"tid\":%d,", tid);
	return strstr(tasks, key);
}

/*
 * The main thread holds a glibc mutex while two threads block on it, then
 * lets it go: one waiter takes it for good and the other keeps waiting,
 * now for a new owner. The wait began owned by the main thread; only the
 * lockmon_owner event of the periodic scan tells the recording who holds
 * the lock at the end.
 */
TEST_F_TIMEOUT(report, recorded_owner_change, 60)
{
	struct handover *h = lm_shared(sizeof(*h));
	pid_t rec, child, still;
	char path[128], want[96];
	const char *o, *end;
	char *text;
	pthread_t th;
	int st;

	ASSERT_NE(NULL, h);
	pthread_mutex_init(&h->m, NULL);
	rec = fork();
	ASSERT_LE(0, rec);
	if (!rec) {
		snprintf(path, sizeof(path), "%s", tree("user/lockmon-report"));
		execl(path, path, "record", "-o", self->file, "--duration", "4",
		      NULL);
		_exit(127);
	}
	/* the workload starts once the recorder's events are on */
	snprintf(path, sizeof(path),
		 "/sys/kernel/tracing/instances/lockmon-report-%d/events/lockmon/enable",
		 rec);
	ASSERT_TRUE(lm_wait_until(({
		char *on = lm_read(path);
		bool yes = on && on[0] == '1';

		free(on);
		yes; }), 10000));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		h->main_tid = lm_gettid();
		pthread_mutex_lock(&h->m);
		pthread_create(&th, NULL, handover_waiter, h);
		pthread_create(&th, NULL, handover_waiter, h);
		while (h->started < 2 || !h->waiter[0] || !h->waiter[1] ||
		       !lm_in_futex(getpid(), h->waiter[0], NULL) ||
		       !lm_in_futex(getpid(), h->waiter[1], NULL))
			lm_sleep_ms(5);
		/* both waits are older than a scan period */
		lm_wait_scans(2);
		pthread_mutex_unlock(&h->m);
		for (;;)
			pause();
	}
	ASSERT_EQ(rec, waitpid(rec, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_NE(0, h->first) TH_LOG("no waiter took the lock");
	still = h->first == h->waiter[0] ? h->waiter[1] : h->waiter[0];

	ASSERT_EQ(0, run("%s report %s --json -p %d",
			 tree("user/lockmon-report"), self->file, child));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	o = task_obj(text, still);
	ASSERT_NE(NULL, o) TH_LOG("no task %d in %s", still, text);
	end = strchr(o, '}');
	ASSERT_NE(NULL, end);
	EXPECT_TRUE(memmem(o, end - o, "\"waiting\":true", 14) != NULL)
		TH_LOG("%.*s", (int)(end - o + 1), o);
	EXPECT_EQ((unsigned long long)h->first, num_after(o, "\"owner\":"))
		TH_LOG("the lock went from %d to %d; the report: %.*s",
		       h->main_tid, h->first, (int)(end - o + 1), o);
	EXPECT_TRUE(memmem(o, end - o, "\"owner_how\":\"glibc-owner\"", 25) != NULL);
	free(text);

	ASSERT_EQ(0, run("%s report %s -p %d", tree("user/lockmon-report"),
			 self->file, child));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want), "still waiting, owner ?/%d (glibc-owner)",
		 h->first);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
	free(text);
	lm_kill(child);
}

/* The live views name the lock, its owner and the deadlock chain. */
TEST_F_TIMEOUT(report, live_views_show_deadlock, 60)
{
	pid_t pid;
	char *text;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(tree("user/demo/abba"), "abba", NULL);
		_exit(127);
	}
	ASSERT_TRUE(lm_wait_until(lm_count_findings("cycle", pid) > 0, 10000));
	ASSERT_EQ(0, run("%s deadlocks -p %d", tree("user/lockmon-report"), pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "deadlock cycle, 2 tasks")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "waits on accounts_lock held by"));
	EXPECT_NE(NULL, strstr(text, "waits on audit_lock held by"));
	EXPECT_NE(NULL, strstr(text, "*** DEADLOCK ***"));
	free(text);
	ASSERT_EQ(0, run("%s graph --dot -p %d", tree("user/lockmon-report"), pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "label=\"cycle\"")) TH_LOG("%s", text);
	free(text);
	if (!access("/usr/bin/dot", X_OK))
		EXPECT_EQ(0, run("dot -Tsvg < " OUT));
	lm_kill(pid);
}

/* The first cycle finding of the module's deadlocks file: its two tids. */
static pid_t cycle_tids(pid_t tid[2])
{
	static struct lm_finding_rec f[16];
	int n = lm_findings(f, 16), i;

	for (i = 0; i < n; i++) {
		if (strcmp(f[i].kind, "cycle") || f[i].nr != 2)
			continue;
		tid[0] = f[i].tid[0];
		tid[1] = f[i].tid[1];
		return f[i].tgid[0];
	}
	return 0;
}

/*
 * Whether the module has the stacks of both tasks of its first cycle
 * finding: it takes a waiter's stack when the cycle is found or at a later
 * scan, and tells the trace then (lockmon_wait_stack).
 */
static bool cycle_stacks_known(void)
{
	struct lmr_state st = { 0 };
	char *buf = lm_read_lm("deadlocks");
	bool known = false;
	size_t i;

	if (buf && !lmr_parse_deadlocks(buf, &st)) {
		for (i = 0; i < st.nr_findings; i++) {
			const struct lmr_finding *f = &st.findings[i];

			if (strcmp(f->kind, "cycle") || f->nr != 2)
				continue;
			known = f->t[0].stack_id && f->t[1].stack_id;
			break;
		}
	}
	lmr_state_free(&st);
	free(buf);
	return known;
}

/*
 * The report of a recording holds the ABBA cycle of process @pid with
 * threads @tid, their locks by name and the stacks of their waits, in text
 * and in JSON (the cycle's object, up to the next finding).
 */
static void expect_recorded_cycle(struct __test_metadata *_metadata,
				  const char *file, pid_t pid,
				  const pid_t tid[2])
{
	char want[160], *text, *cycle, *end;
	int k;

	ASSERT_EQ(0, run("%s report %s", tree("user/lockmon-report"), file));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	cycle = strstr(text, "deadlock cycle, 2 tasks");
	ASSERT_NE(NULL, cycle) TH_LOG("%s", text);
	end = strstr(cycle, "*** DEADLOCK ***");
	ASSERT_NE(NULL, end) TH_LOG("%s", text);
	*end = 0;
	for (k = 0; k < 2; k++) {
		snprintf(want, sizeof(want), " abba/%d (pid %d) waits on ",
			 tid[k], pid);
		EXPECT_NE(NULL, strstr(cycle, want)) TH_LOG("%s", cycle);
		snprintf(want, sizeof(want), " held by %d [glibc-owner]\n",
			 tid[1 - k]);
		EXPECT_NE(NULL, strstr(cycle, want)) TH_LOG("%s", cycle);
	}
	EXPECT_NE(NULL, strstr(cycle, "waits on accounts_lock held by"));
	EXPECT_NE(NULL, strstr(cycle, "waits on audit_lock held by"));
	/* the stacks of the finding's tasks, symbolized from the recording */
	EXPECT_NE(NULL, strstr(cycle, "transfer+")) TH_LOG("%s", cycle);
	EXPECT_NE(NULL, strstr(cycle, "audit+"));
	EXPECT_EQ(NULL, strstr(cycle, "(no stack captured)"));
	free(text);
	ASSERT_EQ(0, run("%s report %s --json", tree("user/lockmon-report"),
			 file));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	cycle = strstr(text, "\"kind\":\"cycle\"");
	ASSERT_NE(NULL, cycle) TH_LOG("%s", text);
	end = strstr(cycle + 1, "\"kind\":");
	if (end)
		*end = 0;
	EXPECT_EQ(NULL, strstr(cycle, "\"stack\":null")) TH_LOG("%s", cycle);
	EXPECT_NE(NULL, strstr(cycle, "\"stack\":[{"));
	free(text);
}

/*
 * A deadlock older than the recording: record -p starts with the snapshot
 * of the module's state, so the report of a second's recording, in which
 * the deadlocked threads do nothing, names the cycle, both threads (those
 * the module's deadlocks file names), their locks and their stacks.
 */
TEST_F_TIMEOUT(report, record_snapshot_has_deadlock, 60)
{
	pid_t pid, tid[2] = { 0, 0 };
	char *text;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(tree("user/demo/abba"), "abba", NULL);
		_exit(127);
	}
	ASSERT_TRUE(lm_wait_until(lm_count_findings("cycle", pid) > 0, 10000));
	ASSERT_EQ(pid, cycle_tids(tid));
	ASSERT_EQ(0, run("%s record -o %s -p %d --duration 1",
			 tree("user/lockmon-report"), self->file, pid));
	text = lm_read(ERR);
	ASSERT_NE(NULL, text);
	/* 3 blocked tasks (main joins) and the cycle's 2 finding records */
	EXPECT_LE(5, num_after(text, " events, ")) TH_LOG("%s", text);
	free(text);
	expect_recorded_cycle(_metadata, self->file, pid, tid);
	lm_kill(pid);
}

/*
 * The same deadlock forming while it is recorded: the finding comes as an
 * event, which has no stack, and its tasks get those of their waits, from
 * their begin or the lockmon_wait_stack event that came later. The
 * recording of abba ends with SIGINT once the module has the cycle and
 * both its stacks.
 */
TEST_F_TIMEOUT(report, recorded_cycle_has_stacks, 60)
{
	pid_t rec, pid, tid[2] = { 0, 0 };
	char cmd[512];
	int st;

	rec = fork();
	ASSERT_LE(0, rec);
	if (!rec) {
		snprintf(cmd, sizeof(cmd), "%s", tree("user/lockmon-report"));
		execl(cmd, cmd, "record", "-o", self->file, "--",
		      tree("user/demo/abba"), NULL);
		_exit(127);
	}
	EXPECT_TRUE(lm_wait_until((pid = cycle_tids(tid)) > 0, 20000));
	/* the recording ends once the module has told both stacks */
	EXPECT_TRUE(lm_wait_until(cycle_stacks_known(), 20000));
	kill(rec, SIGINT);
	ASSERT_EQ(rec, waitpid(rec, &st, 0));
	ASSERT_NE(0, pid);
	EXPECT_TRUE(WIFEXITED(st));
	expect_recorded_cycle(_metadata, self->file, pid, tid);
}

/*
 * Whether the module's maps file holds, for @pid, exactly the file-backed
 * lines of its /proc/PID/maps (ground truth, read while it lives).
 */
static bool maps_kept(pid_t pid, bool verbose)
{
	char path[64], prefix[24], *proc, *mod, *line, *next, *want;
	size_t pl;
	int n = 0, hits = 0, mine = 0;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	proc = lm_read(path);
	mod = lm_read_lm("maps");
	if (!proc || !mod) {
		free(proc);
		free(mod);
		return false;
	}
	/* the module's lines for the pid: "PID " at the start of a line */
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%d ", pid);
	for (line = mod; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		if (!strncmp(line, prefix, pl))
			mine++;
	}
	for (line = proc; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!strchr(line, '/'))
			continue;	/* anonymous, [heap], [stack]: not kept */
		/* /proc pads the inode column; the module prints one blank */
		want = malloc(strlen(line) + 32);
		if (!want)
			break;
		{
			char range[64], perms[8], off[32], dev[16], *file;
			unsigned long long ino;

			file = strchr(line, '/');
			if (sscanf(line, "%63s %7s %31s %15s %llu", range, perms,
				   off, dev, &ino) != 5) {
				free(want);
				continue;
			}
			sprintf(want, "%d %s %s %s %s %llu %s\n", pid, range,
				perms, off, dev, ino, file);
		}
		n++;
		if (strstr(mod, want))
			hits++;
		else if (verbose)
			printf("# not kept: %s", want);
		free(want);
	}
	ok = n > 0 && hits == n && mine == n;
	if (!ok && verbose)
		printf("# maps: %d file mappings, %d kept, %d lines for the pid; the module's:\n%s",
		       n, hits, mine, mod);
	free(proc);
	free(mod);
	return ok;
}

/*
 * Names that outlive the process: once abba's cycle is found, the module
 * keeps its file mappings (the maps file, checked against /proc/PID/maps).
 * After the process is killed, lockmon-report deadlocks must still name the
 * locks and the frames of both threads, in text and JSON.
 */
TEST_F_TIMEOUT(report, names_outlive_the_process, 60)
{
	pid_t pid, tid[2] = { 0, 0 };
	char *text;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(tree("user/demo/abba"), "abba", NULL);
		_exit(127);
	}
	ASSERT_TRUE(lm_wait_until(cycle_tids(tid) == pid, 20000));
	ASSERT_TRUE(lm_wait_until(cycle_stacks_known(), 20000));
	if (!lm_wait_until(maps_kept(pid, false), 10000))
		EXPECT_TRUE(maps_kept(pid, true));
	lm_kill(pid);
	ASSERT_NE(0, kill(pid, 0));

	ASSERT_EQ(0, run("%s deadlocks -p %d", tree("user/lockmon-report"), pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(text, strstr(text, "DEADLOCK pid ")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "accounts_lock \u2194 audit_lock") ?:
			strstr(text, "audit_lock \u2194 accounts_lock"));
	EXPECT_NE(NULL, strstr(text, "waits on accounts_lock held by"));
	EXPECT_NE(NULL, strstr(text, "waits on audit_lock held by"));
	EXPECT_NE(NULL, strstr(text, "transfer+"));
	EXPECT_NE(NULL, strstr(text, "audit+"));
	EXPECT_NE(NULL, strstr(text, "pthread_mutex_lock"));
	free(text);
	ASSERT_EQ(0, run("%s deadlocks -p %d --json", tree("user/lockmon-report"),
			 pid));
	text = lm_read(OUT);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "accounts_lock")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "transfer"));
	free(text);
}

LM_HARNESS_MAIN
