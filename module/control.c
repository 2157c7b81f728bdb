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

struct lm_keyword {
	const char *name;
	enum lm_cmd_op op;
	int nargs;		/* words after the name: 0 or 1 */
	const char *bad_arg;	/* the reason an argument is refused */
};

static const struct lm_keyword lm_keywords[] = {
	{ "enable", LM_CMD_ENABLE, 0, NULL },
	{ "disable", LM_CMD_DISABLE, 0, NULL },
	{ "reset", LM_CMD_RESET, 0, NULL },
	{ "nofilter", LM_CMD_NOFILTER, 0, NULL },
	{ "pid", LM_CMD_PID, 1, "pid: not a number in 0..4194304" },
	{ "tree", LM_CMD_TREE, 1, "tree: not a number in 0..4194304" },
	{ "capture", LM_CMD_CAPTURE, 1, "capture: not a number in 0..100" },
	{ "stall_ms", LM_CMD_STALL, 1, "stall_ms: not a number in 10..3600000" },
	{ "comm", LM_CMD_COMM, 1, "comm: longer than 15 characters" },
	{ "stack_ns", LM_CMD_STACK_NS, 1,
	  "stack_ns: not a number in 0..4000000000" },
	{ NULL, 0, 0, NULL }
};

static int lm_refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* The argument of @kw in @w, into @c. */
static int lm_parse_arg(const struct lm_keyword *kw, const struct lm_word *w,
			struct lm_cmd *c)
{
	switch (kw->op) {
	case LM_CMD_PID:
	case LM_CMD_TREE:
		return lm_parse_uint(w, 0, LM_PID_MAX, &c->num);
	case LM_CMD_CAPTURE:
		return lm_parse_uint(w, 0, 100, &c->num);
	case LM_CMD_STALL:
		return lm_parse_uint(w, LM_STALL_MS_MIN, LM_STALL_MS_MAX,
				     &c->num);
	case LM_CMD_STACK_NS:
		return lm_parse_uint(w, 0, LM_STACK_NS_MAX, &c->num);
	case LM_CMD_COMM:
		if (w->len >= LM_COMM_LEN)
			return -EINVAL;
		memcpy(c->comm, w->s, w->len);
		return 0;
	default:
		return 0;
	}
}

/**
 * lm_parse_control() - parse one control command
 * @buf: the bytes written (not NUL-terminated)
 * @len: how many
 * @cmd: filled in on success; untouched on error
 * @why: on error, if not NULL, set to a static string saying why
 *
 * Return: 0, or -EINVAL for anything that is not exactly one command.
 */
int lm_parse_control(const char *buf, size_t len, struct lm_cmd *cmd,
		     const char **why)
{
	const struct lm_keyword *kw = NULL;
	struct lm_word w[2];
	struct lm_cmd c;
	size_t i;
	int n;

	if (!len)
		return lm_refuse(why, "an empty write");
	if (len > LM_CMD_MAX_LEN)
		return lm_refuse(why, "longer than 64 bytes");
	if (buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			return lm_refuse(why,
					 "a control character (a NUL, or a newline before the end)");
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] > 0x7e)
			return lm_refuse(why, "a byte that is not printable ASCII");
	n = lm_split(buf, len, w);
	if (n < 0)
		return lm_refuse(why, "more than two words");
	if (n == 0)
		return lm_refuse(why, "no command");

	for (i = 0; lm_keywords[i].name; i++)
		if (lm_word_is(&w[0], lm_keywords[i].name))
			kw = &lm_keywords[i];
	if (!kw)
		return lm_refuse(why, "unknown command");
	if (n - 1 != kw->nargs)
		return lm_refuse(why, kw->nargs ? "this command takes one argument" :
					     "this command takes no argument");
	memset(&c, 0, sizeof(c));
	c.op = kw->op;
	if (n == 2 && lm_parse_arg(kw, &w[1], &c))
		return lm_refuse(why, kw->bad_arg);
	*cmd = c;
	return 0;
}
