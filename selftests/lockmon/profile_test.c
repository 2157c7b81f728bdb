// SPDX-License-Identifier: GPL-2.0
/*
 * Stack profiles are unbiased at the module's default stack setting (Go's
 * block-profile rule, stack_ns): profile_sites waits from three call sites
 * in a split it measures itself, about 60/30/10 % of its wait time, with
 * waits shorter than stack_ns, so most are not sampled and each sample
 * stands for several. lockmon-report's folded and pprof outputs must give
 * each site's share within 5 percentage points of the measured one.
 */
#include "lockmon_util.h"
#include <math.h>
#include <stdarg.h>
#include "kselftest_harness.h"

#define ROUNDS	1500
#define FILE_	"/tmp/lmr_profile.lmr"
#define TRUTH	"/tmp/lmr_profile.truth"
#define OUT	"/tmp/lmr_profile.out"
#define NSITES	3

static const char *const sites[NSITES] = {
	"site_sixty", "site_thirty", "site_ten",
};

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

/* The innermost site named in a line of frames; -1 for none. */
static int site_in(const char *frames, bool innermost_last)
{
	const char *best = NULL;
	int i, site = -1;

	for (i = 0; i < NSITES; i++) {
		const char *p = strstr(frames, sites[i]), *q = p;

		/* the last occurrence when the innermost frame comes last */
		while (innermost_last && q && (q = strstr(q + 1, sites[i])))
			p = q;
		if (!p)
			continue;
		if (!best || (innermost_last ? p > best : p < best)) {
			best = p;
			site = i;
		}
	}
	return site;
}

static void shares(double *sh_, const double *ns)
{
	double sum = 0;
	int i;

	for (i = 0; i < NSITES; i++)
		sum += ns[i];
	for (i = 0; i < NSITES; i++)
		sh_[i] = sum > 0 ? 100.0 * ns[i] / sum : 0;
}

static void compare(struct __test_metadata *_metadata, const char *what,
		    const double *got, const double *truth)
{
	double g[NSITES], t[NSITES];
	int i;

	shares(g, got);
	shares(t, truth);
	for (i = 0; i < NSITES; i++) {
		ksft_print_msg("%s: %s %.1f%% of wait time, measured %.1f%%\n",
			       what, sites[i], g[i], t[i]);
		EXPECT_GT(5.0, fabs(g[i] - t[i]));
	}
}

/* folded: "comm;outer;...;inner;[lock] NAME ns" */
static void folded_ns(struct __test_metadata *_metadata, double *ns)
{
	char line[8192];
	FILE *f = fopen(OUT, "r");

	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char *sp = strrchr(line, ' ');
		int s;

		if (!sp)
			continue;
		*sp = 0;
		s = site_in(line, true);
		if (s >= 0)
			ns[s] += strtod(sp + 1, NULL);
	}
	fclose(f);
}

/*
 * go tool pprof -raw: "Samples:", a header line, then "  COUNT  NS: L1 L2
 * ..." (leaf first), then "Locations" with "  ID: 0xADDR M=N NAME ...".
 */
static void pprof_ns(struct __test_metadata *_metadata, double *ns)
{
	static char names[4096][128];
	struct { double ns; int locs[64]; int n; } *smp;
	char line[8192];
	int nsmp = 0, i, j;
	bool in_samples = false, in_locs = false;
	FILE *f = fopen(OUT, "r");

	ASSERT_NE(NULL, f);
	smp = calloc(65536, sizeof(*smp));
	ASSERT_NE(NULL, smp);
	memset(names, 0, sizeof(names));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long cnt, v;
		int id, off;
		char *p;

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
		if (in_samples && nsmp < 65536 &&
		    sscanf(line, " %llu %llu:%n", &cnt, &v, &off) == 2) {
			smp[nsmp].ns = (double)v;
			for (p = line + off; smp[nsmp].n < 64 &&
			     sscanf(p, " %d%n", &id, &off) == 1; p += off)
				smp[nsmp].locs[smp[nsmp].n++] = id;
			nsmp++;
		} else if (in_locs && sscanf(line, " %d: %*s %*s %n", &id, &off) == 1 &&
			   id > 0 && id < 4096) {
			snprintf(names[id], sizeof(names[id]), "%s", line + off);
		}
	}
	fclose(f);
	for (i = 0; i < nsmp; i++) {
		for (j = 0; j < smp[i].n; j++) {
			int s = site_in(names[smp[i].locs[j]], false);

			if (s >= 0) {
				ns[s] += smp[i].ns;
				break;
			}
		}
	}
	free(smp);
}

TEST(wait_time_by_site_is_unbiased)
{
	char rep[PATH_MAX], work[PATH_MAX];
	double truth[NSITES] = { 0 }, got[NSITES] = { 0 };
	unsigned long long v;
	char *param, name[64];
	FILE *f;
	int i;

	ASSERT_EQ(0, lm_fresh());
	/* the module's own default, whatever it is */
	param = lm_read("/sys/module/lockmon/parameters/stack_ns");
	ASSERT_NE(NULL, param);
	snprintf(name, sizeof(name), "stack_ns %llu", strtoull(param, NULL, 10));
	free(param);
	ASSERT_EQ(0, lm_control(name));
	lm_beside_exe(rep, sizeof(rep), "../../user/lockmon-report");
	lm_beside_exe(work, sizeof(work), "profile_sites");
	ASSERT_EQ(0, sh("%s record -o " FILE_ " -- %s %d " TRUTH " >/dev/null",
			rep, work, ROUNDS));

	f = fopen(TRUTH, "r");
	ASSERT_NE(NULL, f);
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		for (i = 0; i < NSITES; i++)
			if (!strcmp(name, sites[i]))
				truth[i] = (double)v;
	fclose(f);
	for (i = 0; i < NSITES; i++)
		ASSERT_LT(0, truth[i]);

	ASSERT_EQ(0, sh("%s report " FILE_ " --folded >" OUT, rep));
	folded_ns(_metadata, got);
	compare(_metadata, "folded", got, truth);

	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, sh("%s report " FILE_ " --pprof /tmp/lmr_profile.pb.gz",
			rep));
	ASSERT_EQ(0, sh("HOME=/tmp GOCACHE=/tmp/gocache GOFLAGS=-mod=mod go tool pprof -raw -sample_index=delay /tmp/lmr_profile.pb.gz >" OUT " 2>/dev/null"));
	pprof_ns(_metadata, got);
	compare(_metadata, "pprof", got, truth);
	lm_control("capture 100");
}

LM_HARNESS_MAIN
