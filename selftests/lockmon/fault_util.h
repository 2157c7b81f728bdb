/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the fault, limit and security selftests: load and unload
 * lockmon with the syscalls (no insmod process per cycle, and the errno
 * is seen), read one figure of the stats file, write a sysfs-style file.
 * Include after lockmon_util.h.
 */
#ifndef LOCKMON_FAULT_UTIL_H
#define LOCKMON_FAULT_UTIL_H

/* finit_module(); returns 0 or -errno. */
static inline int mod_load(const char *params)
{
	int fd = open(lm_ko(), O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		err = -errno;
	close(fd);
	return err;
}

/* delete_module() without waiting; returns 0 or -errno (EAGAIN: in use). */
static inline int mod_unload(void)
{
	return syscall(SYS_delete_module, "lockmon", O_NONBLOCK) ? -errno : 0;
}

/* The figure called @name in the stats file, or 0. */
static inline unsigned long long stat_of(const char *name)
{
	char *s = lm_read_lm("stats"), *p, key[64];
	unsigned long long v = 0;

	if (!s)
		return 0;
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(s, key);
	if (p)
		v = strtoull(p + strlen(key), NULL, 10);
	free(s);
	return v;
}

static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

#endif /* LOCKMON_FAULT_UTIL_H */
