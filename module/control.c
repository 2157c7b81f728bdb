// SPDX-License-Identifier: GPL-2.0
/*
 * The control file's command language: one command per write, an optional
 * trailing newline, words separated by blanks. Anything else is -EINVAL,
 * and a refused command changes nothing.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif
#include "control.h"

struct lm_word {
	const char *s;
	size_t len;
};

static int lm_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split @buf into at most two words; more is an error. */
static int lm_split(const char *buf, size_t len, struct lm_word *w)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		while (i < len && lm_is_blank(buf[i]))
			i++;
		if (i == len)
			break;
		if (n == 2)
			return -EINVAL;
		w[n].s = buf + i;
		while (i < len && !lm_is_blank(buf[i]))
			i++;
		w[n].len = buf + i - w[n].s;
		n++;
	}
	return n;
}

static int lm_word_is(const struct lm_word *w, const char *kw)
{
	return w->len == strlen(kw) && !memcmp(w->s, kw, w->len);
}

static int lm_parse_uint(const struct lm_word *w, unsigned int min,
			 unsigned int max, unsigned int *out)
{
	unsigned long v = 0;
	size_t i;

	if (!w->len || w->len > 10)
		return -EINVAL;
	for (i = 0; i < w->len; i++) {
		if (w->s[i] < '0' || w->s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(w->s[i] - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/**
 * lm_parse_control() - parse one control command
 * @buf: the bytes written (not NUL-terminated)
 * @len: how many
 * @cmd: filled in on success; untouched on error
 *
 * Return: 0, or -EINVAL for anything that is not exactly one command.
 */
int lm_parse_control(const char *buf, size_t len, struct lm_cmd *cmd)
{
	struct lm_word w[2];
	struct lm_cmd c;
	size_t i;
	int n;

	if (!len || len > LM_CMD_MAX_LEN)
		return -EINVAL;
	if (buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			return -EINVAL;	/* NUL, newline inside, controls */
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] > 0x7e)
			return -EINVAL;
	n = lm_split(buf, len, w);
	if (n <= 0)
		return -EINVAL;

	memset(&c, 0, sizeof(c));
	if (n == 1 && lm_word_is(&w[0], "enable"))
		c.op = LM_CMD_ENABLE;
	else if (n == 1 && lm_word_is(&w[0], "disable"))
		c.op = LM_CMD_DISABLE;
	else if (n == 1 && lm_word_is(&w[0], "reset"))
		c.op = LM_CMD_RESET;
	else if (n == 1 && lm_word_is(&w[0], "nofilter"))
		c.op = LM_CMD_NOFILTER;
	else if (n == 2 && lm_word_is(&w[0], "pid"))
		c.op = LM_CMD_PID;
	else if (n == 2 && lm_word_is(&w[0], "capture"))
		c.op = LM_CMD_CAPTURE;
	else if (n == 2 && lm_word_is(&w[0], "stall_ms"))
		c.op = LM_CMD_STALL;
	else if (n == 2 && lm_word_is(&w[0], "comm"))
		c.op = LM_CMD_COMM;
	else if (n == 2 && lm_word_is(&w[0], "stack_ns"))
		c.op = LM_CMD_STACK_NS;
	else
		return -EINVAL;

	switch (c.op) {
	case LM_CMD_PID:
		if (lm_parse_uint(&w[1], 0, LM_PID_MAX, &c.num))
			return -EINVAL;
		break;
	case LM_CMD_CAPTURE:
		if (lm_parse_uint(&w[1], 0, 100, &c.num))
			return -EINVAL;
		break;
	case LM_CMD_STALL:
		if (lm_parse_uint(&w[1], LM_STALL_MS_MIN, LM_STALL_MS_MAX, &c.num))
			return -EINVAL;
		break;
	case LM_CMD_STACK_NS:
		if (lm_parse_uint(&w[1], 0, LM_STACK_NS_MAX, &c.num))
			return -EINVAL;
		break;
	case LM_CMD_COMM:
		if (w[1].len >= LM_COMM_LEN)
			return -EINVAL;
		memcpy(c.comm, w[1].s, w[1].len);
		break;
	default:
		break;
	}
	*cmd = c;
	return 0;
}
