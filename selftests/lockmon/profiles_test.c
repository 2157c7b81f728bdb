// SPDX-License-Identifier: GPL-2.0
/*
 * Go's profiles from lockmon-report (--pprof FILE --profile KIND), against
 * what the workloads measure themselves:
 *   - mutex: profiles_work's waiter waits on a mutex that rel_x releases
 *     from release_x and rel_y from release_y; the delay of each site is
 *     the wait time the waiter measured in that site's rounds (within 5 %),
 *     its contentions the rounds, and --by waiter puts it all on take;
 *   - threadcreate: the threads created from each site, exactly;
 *   - threads: four threads of this test parked on a mutex, live;
 *   - block: every wait, so at least the mutex profile's delay.
 * go tool pprof -raw, -top and -traces read every profile with nothing on
 * stderr.
 */
#include "lockmon_util.h"
#include <math.h>
#include <stdarg.h>
#include "kselftest_harness.h"

#define ROUNDS	20
#define REC	"/tmp/lmr_profiles.lmr"
#define TRUTH	"/tmp/lmr_profiles.truth"
#define PROF	"/tmp/lmr_profiles.pb.gz"
#define OUT	"/tmp/lmr_profiles.out"
#define ERR	"/tmp/lmr_profiles.err"
#define PPROF	"HOME=/tmp GOCACHE=/tmp/gocache GOFLAGS=-mod=mod go tool pprof"
#define MAXS	8

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The size of a file; -1 if it cannot be read. */
static long file_size(const char *path)
{
	struct stat s;

	return stat(path, &s) ? -1 : (long)s.st_size;
}

/* -raw, -top and -traces of PROF: each exits 0 with an empty stderr. */
static void pprof_reads(struct __test_metadata *_metadata, const char *what)
{
	static const char *const views[] = { "-raw", "-top", "-traces" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, sh(PPROF " %s " PROF " >/dev/null 2>" ERR,
				views[i]));
		EXPECT_EQ(0, file_size(ERR));
		if (file_size(ERR) > 0) {
			ksft_print_msg("%s %s:\n", what, views[i]);
			sh("cat " ERR);
		}
	}
}

/*
 * Sum value @vi of each sample of `go tool pprof -raw PROF` by the
 * innermost of @sites its stack names. -raw: "Samples:", a header line,
 * then "  V0 [V1]: L1 L2 ..." (leaf first) with label lines, then
 * "Locations" with "  ID: 0xADDR M=N NAME ...". @total: of every sample.
 */
static void raw_by_site(struct __test_metadata *_metadata,
			const char *const *sites, int nsites, int vi,
			double *got, double *total)
{
	static char names[8192][128];
	struct { double v; int locs[64]; int n; } *smp;
	char line[8192];
	int nsmp = 0, i, j, k;
	bool in_samples = false, in_locs = false;
	FILE *f;

	ASSERT_EQ(0, sh(PPROF " -raw " PROF " >" OUT " 2>/dev/null"));
	f = fopen(OUT, "r");
	ASSERT_NE(NULL, f);
	smp = calloc(65536, sizeof(*smp));
	ASSERT_NE(NULL, smp);
	memset(names, 0, sizeof(names));
	*total = 0;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *p;
		unsigned long long v[2] = { 0 };
		int id, off, nv = 0;

		if (!strncmp(line, "Samples:", 8)) {
			in_samples = true;
			continue;
		}
		if (!strncmp(line, "Locations", 9)) {
			in_samples = false;
			in_locs = true;
			continue;
		}
		if (!strncmp(line, "Mappings", 8))
			break;
		if (in_samples && colon && nsmp < 65536) {
			for (p = line; p < colon && nv < 2 &&
			     sscanf(p, " %llu%n", &v[nv], &off) == 1; p += off)
				nv++;
			if (!nv || p != colon)
				continue;
			smp[nsmp].v = (double)v[vi];
			*total += (double)v[vi];
			for (p = colon + 1; smp[nsmp].n < 64 &&
			     sscanf(p, " %d%n", &id, &off) == 1; p += off)
				smp[nsmp].locs[smp[nsmp].n++] = id;
			nsmp++;
		} else if (in_locs &&
			   sscanf(line, " %d: %*s %*s %n", &id, &off) == 1 &&
			   id > 0 && id < 8192) {
			snprintf(names[id], sizeof(names[id]), "%s", line + off);
		}
	}
	fclose(f);
	for (i = 0; i < nsmp; i++)
		for (j = 0; j < smp[i].n; j++) {
			const char *name = names[smp[i].locs[j]];

			for (k = 0; k < nsites; k++)
				if (!strncmp(name, sites[k], strlen(sites[k])) &&
				    name[strlen(sites[k])] == ' ')
					break;
			if (k < nsites) {
				got[k] += smp[i].v;
				break;
			}
		}
	free(smp);
}

static double truth_of(const char *name)
{
	unsigned long long v;
	char n[64];
	double r = -1;
	FILE *f = fopen(TRUTH, "r");

	while (f && fscanf(f, "%63s %llu", n, &v) == 2)
		if (!strcmp(n, name))
			r = (double)v;
	if (f)
		fclose(f);
	return r;
}

static char rep[PATH_MAX];

static int report(const char *kind, const char *extra)
{
	return sh("%s report " REC " --pprof " PROF " --profile %s %s >/dev/null",
		  rep, kind, extra);
}

/*
 * Fixed work, then go tool pprof six times: past the harness's 30 s
 * default on a busy host (it ran out there with three guests on two
 * cores), and only TEST_F_TIMEOUT sets a test's own.
 */
FIXTURE(profiles) {
};

FIXTURE_SETUP(profiles)
{
}

FIXTURE_TEARDOWN(profiles)
{
}

TEST_F_TIMEOUT(profiles, recorded_profiles_match_the_workload, 120)
{
	static const char *const rel[] = { "release_x", "release_y" };
	static const char *const cre[] = { "spawn_workers", "create_a",
					   "create_b" };
	static const char *const wai[] = { "take" };
	double got[MAXS], total, mutex_total, t;
	char work[PATH_MAX];
	int i;

	ASSERT_EQ(0, lm_fresh());	/* capture 100: every wait sampled */
	lm_beside_exe(rep, sizeof(rep), "../../user/lockmon-report");
	lm_beside_exe(work, sizeof(work), "profiles_work");
	ASSERT_EQ(0, sh("%s record -o " REC " -- %s %d " TRUTH " >/dev/null",
			rep, work, ROUNDS));
	for (i = 0; i < 2; i++)
		ASSERT_LT(0, truth_of(rel[i]));

	/* mutex: the delay is the releaser's */
	ASSERT_EQ(0, report("mutex", ""));
	pprof_reads(_metadata, "mutex");
	memset(got, 0, sizeof(got));
	raw_by_site(_metadata, rel, 2, 1, got, &mutex_total);
	for (i = 0; i < 2; i++) {
		t = truth_of(rel[i]);
		ksft_print_msg("mutex delay at %s: %.0f ns, measured %.0f ns (%+.2f%%)\n",
			       rel[i], got[i], t, 100.0 * (got[i] - t) / t);
		EXPECT_GT(0.05, fabs(got[i] - t) / t);
	}
	ksft_print_msg("mutex delay in all: %.0f ns\n", mutex_total);
	memset(got, 0, sizeof(got));
	raw_by_site(_metadata, rel, 2, 0, got, &total);
	for (i = 0; i < 2; i++) {
		ksft_print_msg("mutex contentions at %s: %.0f, rounds %d\n",
			       rel[i], got[i], ROUNDS);
		EXPECT_EQ(ROUNDS, (int)got[i]);
	}

	/* --by waiter: the same delay, at the waiter's site */
	ASSERT_EQ(0, report("mutex", "--by waiter"));
	pprof_reads(_metadata, "mutex --by waiter");
	memset(got, 0, sizeof(got));
	raw_by_site(_metadata, wai, 1, 1, got, &total);
	t = truth_of(rel[0]) + truth_of(rel[1]);
	ksft_print_msg("mutex --by waiter delay at take: %.0f ns, measured %.0f ns\n",
		       got[0], t);
	EXPECT_GT(0.05, fabs(got[0] - t) / t);

	/* block: every wait, the semaphores' too */
	ASSERT_EQ(0, report("block", ""));
	pprof_reads(_metadata, "block");
	memset(got, 0, sizeof(got));
	raw_by_site(_metadata, wai, 1, 1, got, &total);
	ksft_print_msg("block delay: %.0f ns in all, %.0f at take\n", total,
		       got[0]);
	EXPECT_LE(mutex_total, total);
	EXPECT_GT(0.05, fabs(got[0] - t) / t);

	/* threadcreate: exact counts by site */
	ASSERT_EQ(0, report("threadcreate", ""));
	pprof_reads(_metadata, "threadcreate");
	memset(got, 0, sizeof(got));
	raw_by_site(_metadata, cre, 3, 0, got, &total);
	for (i = 0; i < 3; i++) {
		ksft_print_msg("threadcreate at %s: %.0f, created %.0f\n",
			       cre[i], got[i], truth_of(cre[i]));
		EXPECT_EQ(truth_of(cre[i]), got[i]);
	}
	EXPECT_EQ(11, (int)total);

	/* a bad kind: one line, exit 2 */
	EXPECT_EQ(2, sh("%s report " REC " --pprof " PROF " --profile goroutine 2>" ERR,
			rep));
	EXPECT_EQ(0, sh("test $(wc -l <" ERR ") -eq 1"));
}

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t park_tid[4];

static __attribute__((noinline, noipa)) void park_site(void)
{
	pthread_mutex_lock(&park_mu);
	pthread_mutex_unlock(&park_mu);
	__asm__ volatile("" ::: "memory");
}

static void *parked(void *arg)
{
	__atomic_store_n(&park_tid[(intptr_t)arg], lm_gettid(),
			 __ATOMIC_RELEASE);
	park_site();
	return NULL;
}

TEST_F_TIMEOUT(profiles, threads_blocked_now, 120)
{
	static const char *const park[] = { "park_site" };
	double got[MAXS] = { 0 }, total;
	pthread_t th[4];
	int i;

	ASSERT_EQ(0, lm_fresh());
	lm_beside_exe(rep, sizeof(rep), "../../user/lockmon-report");
	pthread_mutex_lock(&park_mu);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, parked,
					    (void *)(intptr_t)i));
	for (i = 0; i < 4; i++) {
		ASSERT_TRUE(lm_wait_until(__atomic_load_n(&park_tid[i],
							  __ATOMIC_ACQUIRE),
					  10000));
		ASSERT_TRUE(lm_wait_blocked(park_tid[i], 10000));
	}
	EXPECT_EQ(0, sh("%s tasks -p %d --pprof " PROF " --profile threads >/dev/null",
			rep, getpid()));
	pthread_mutex_unlock(&park_mu);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pprof_reads(_metadata, "threads");
	raw_by_site(_metadata, park, 1, 0, got, &total);
	ksft_print_msg("threads: %.0f blocked, %.0f at park_site\n", total,
		       got[0]);
	EXPECT_EQ(4, (int)total);
	EXPECT_EQ(4, (int)got[0]);
}

LM_HARNESS_MAIN
