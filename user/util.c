// SPDX-License-Identifier: GPL-2.0
/* Error lines, file reading, number and duration parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "lockmon-report.h"

/* Every error is one line, prefixed with the program name. */
void lmr_err(const char *fmt, ...)
{
	va_list ap;

	fputs("lockmon-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void lmr_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("lockmon-report: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Read a whole file (debugfs and procfs files have no size) into a
 * NUL-terminated buffer of at most @max bytes. NULL with errno set.
 */
char *lmr_read_file(const char *path, size_t *len, size_t max)
{
	size_t cap = 65536, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || n + 1 >= cap) {
			if (buf)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			if (buf && n + 1 >= cap) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap);
			if (!nb)
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

/* A whole decimal (or 0x hex) number no larger than @max. */
int lmr_parse_uint(const char *s, unsigned long long max,
		   unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "250ms", "2s", "100us", "5000ns", "1.5s"; a bare number is ms. */
int lmr_parse_duration(const char *s, u64 *ns)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "", 1e6 },
	};
	double v;
	char *end;
	size_t i;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v != v)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		v *= units[i].mul;
		if (v > 1e18)
			return -EINVAL;
		*ns = (u64)v;
		return 0;
	}
	return -EINVAL;
}

/*
 * Human duration with three significant digits: "812ns", "3.2ms", "1.5s".
 * A value that rounds up to 1000 of a unit is shown in the next one
 * ("1s", never "1e+03ms"); seconds beyond 999 are shown whole.
 */
void lmr_fmt_ns(char *buf, size_t len, u64 ns)
{
	static const struct {
		double div;
		const char *unit;
	} u[] = { { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" } };
	size_t i;

	if (ns < 1000) {
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
		return;
	}
	for (i = 0; i < 2; i++)
		if (ns / u[i].div < 999.5)
			break;
	if (ns / u[i].div < 999.5)
		snprintf(buf, len, "%.3g%s", ns / u[i].div, u[i].unit);
	else
		snprintf(buf, len, "%.0f%s", ns / u[i].div, u[i].unit);
}

bool lmr_is_mounted(const char *path, unsigned long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == magic;
}

/* The command name of a live task, "-" when it is gone. */
void lmr_proc_comm(pid_t tid, char *comm, size_t len)
{
	char path[64], *s;

	snprintf(path, sizeof(path), "/proc/%d/comm", tid);
	s = lmr_read_file(path, NULL, 64);
	if (!s) {
		snprintf(comm, len, "-");
		return;
	}
	s[strcspn(s, "\n")] = 0;
	snprintf(comm, len, "%s", *s ? s : "-");
	free(s);
}
