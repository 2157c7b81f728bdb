// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses to names with libdwfl: code addresses of user stacks and the
 * data address of a futex (a lock in .data/.bss shows as its symbol).
 * A process is described by its /proc/PID/maps text, read once while it
 * lives (or taken from a recording), so it symbolizes after it exits.
 * Maps text carries "# build-id PATH HEX" lines of its own: a file that
 * was rebuilt since is reported, not trusted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include "lockmon-report.h"

/* libstdc++'s demangler (the C++ ABI's entry point; C++ and legacy Rust) */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

#define LMR_MAPS_MAX	(16 << 20)
#define LMR_UCOPY_MAX	4096	/* the module's LM_UCOPY_BYTES */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct lmr_badmod {
	u64 start, end;
};

struct lmr_proc {
	pid_t tgid;
	Dwfl *dwfl;		/* NULL: nothing known about the process */
	struct lmr_badmod *bad;	/* modules whose build-id changed */
	size_t nr_bad;
};

struct lmr_syms {
	struct lmr_state *st;
	bool live;
	struct lmr_proc *p;
	size_t n, cap;
};

static char *lmr_debuginfo_path;

static const Dwfl_Callbacks lmr_cbs = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &lmr_debuginfo_path,
};

static void hex(char *out, const unsigned char *id, int len)
{
	int i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", id[i]);
	out[2 * (len > 0 ? len : 0)] = 0;
}

static Dwfl *dwfl_from_maps(const char *maps)
{
	char *clean, *q;
	const char *p;
	FILE *f;
	Dwfl *d;

	/* libdwfl reads the maps format only: leave our own lines out */
	clean = malloc(strlen(maps) + 2);
	if (!clean)
		return NULL;
	for (p = maps, q = clean; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

		/* an empty line is an error to libdwfl */
		if (*p != '#' && *p != '\n') {
			memcpy(q, p, len);
			q += len;
		}
		p += len;
	}
	if (q > clean && q[-1] != '\n')
		*q++ = '\n';
	*q = 0;
	d = dwfl_begin(&lmr_cbs);
	f = fmemopen(clean, strlen(clean), "r");
	if (!d || !f || dwfl_linux_proc_maps_report(d, f) ||
	    dwfl_report_end(d, NULL, NULL)) {
		if (d)
			dwfl_end(d);
		d = NULL;
	}
	if (f)
		fclose(f);
	free(clean);
	return d;
}

struct lmr_bid_ctx {
	char *out;
	size_t len, cap;
};

static int bid_module(Dwfl_Module *m, void **ud, const char *name,
		      Dwarf_Addr start, void *arg)
{
	struct lmr_bid_ctx *c = arg;
	const unsigned char *id;
	GElf_Addr vaddr;
	char h[130], line[PATH_MAX + 160];
	int len, n;
	char *nb;

	(void)ud;
	(void)start;
	if (!name || name[0] != '/')
		return DWARF_CB_OK;
	dwfl_module_getelf(m, &vaddr);
	len = dwfl_module_build_id(m, &id, &vaddr);
	if (len <= 0 || len > 64)
		return DWARF_CB_OK;
	hex(h, id, len);
	n = snprintf(line, sizeof(line), "# build-id %s %s\n", name, h);
	if (n < 0 || (size_t)n >= sizeof(line))
		return DWARF_CB_OK;
	if (c->len + (size_t)n + 1 > c->cap) {
		c->cap = (c->len + (size_t)n + 1) * 2;
		nb = realloc(c->out, c->cap);
		if (!nb)
			return DWARF_CB_ABORT;
		c->out = nb;
	}
	memcpy(c->out + c->len, line, (size_t)n + 1);
	c->len += (size_t)n;
	return DWARF_CB_OK;
}

/*
 * The module's copy of a process's file mappings (its maps file: the TGID,
 * then a /proc/PID/maps line), for a process that is gone: the lines of
 * @tgid whose file still has the inode it had then. A file replaced since
 * (a rebuilt binary) is left out, so its frames stay unnamed rather than
 * named wrong. The device is not compared: under overlayfs a mapping's
 * device is the lower layer's, and stat() gives the overlay's.
 */
static char *module_maps(pid_t tgid, size_t *out_len)
{
	char *all, *line, *next, *out, prefix[24];
	size_t len, pl, n = 0;
	unsigned long long ino;
	struct stat st;
	char *path;

	all = lmr_read_file(LMR_DIR "/maps", &len, LMR_MAPS_MAX);
	if (!all)
		return NULL;
	out = malloc(len + 1);
	if (!out) {
		free(all);
		return NULL;
	}
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%d ", tgid);
	for (line = all; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, prefix, pl))
			continue;
		/* START-END PERMS OFFSET DEV INODE PATH */
		path = strchr(line + pl, '/');
		if (!path || sscanf(line + pl, "%*s %*s %*s %*s %llu", &ino) != 1 ||
		    stat(path, &st) || (unsigned long long)st.st_ino != ino)
			continue;
		n += (size_t)sprintf(out + n, "%s\n", line + pl);
	}
	free(all);
	if (!n) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/*
 * /proc/PID/maps of a live process followed by the build-id of each
 * mapped file; for a process that is gone, the mappings the module kept
 * when it had a finding. NULL when neither is there.
 */
char *lmr_read_maps(pid_t tgid)
{
	struct lmr_bid_ctx c = { 0 };
	char path[64], *maps, *all;
	size_t len = 0;
	Dwfl *d;

	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	maps = lmr_read_file(path, &len, LMR_MAPS_MAX);
	if (!maps || !len) {
		free(maps);
		maps = module_maps(tgid, &len);
	}
	if (!maps)
		return NULL;
	d = dwfl_from_maps(maps);
	if (d) {
		dwfl_getmodules(d, bid_module, &c, 0);
		dwfl_end(d);
	}
	all = realloc(maps, len + c.len + 2);
	if (!all) {
		free(c.out);
		return maps;
	}
	if (len && all[len - 1] != '\n')
		all[len++] = '\n';
	if (c.out)
		memcpy(all + len, c.out, c.len);
	all[len + c.len] = 0;
	free(c.out);
	return all;
}

struct lmr_check_ctx {
	const char *maps;
	struct lmr_proc *p;
};

/* Compare each module's build-id with the one the maps text recorded. */
static int check_module(Dwfl_Module *m, void **ud, const char *name,
			Dwarf_Addr start, void *arg)
{
	struct lmr_check_ctx *c = arg;
	const unsigned char *id;
	Dwarf_Addr s, e;
	GElf_Addr vaddr;
	char want[PATH_MAX + 16], h[130], *hit;
	struct lmr_badmod *nb;
	int len;

	(void)ud;
	(void)start;
	if (!name || name[0] != '/')
		return DWARF_CB_OK;
	snprintf(want, sizeof(want), "# build-id %s ", name);
	hit = strstr(c->maps, want);
	if (!hit)
		return DWARF_CB_OK;
	hit += strlen(want);
	dwfl_module_getelf(m, &vaddr);
	len = dwfl_module_build_id(m, &id, &vaddr);
	h[0] = 0;
	if (len > 0 && len <= 64)
		hex(h, id, len);
	if (len > 0 && !strncmp(hit, h, strlen(h)) &&
	    (hit[strlen(h)] == '\n' || !hit[strlen(h)]))
		return DWARF_CB_OK;
	nb = realloc(c->p->bad, (c->p->nr_bad + 1) * sizeof(*nb));
	if (!nb)
		return DWARF_CB_ABORT;
	c->p->bad = nb;
	dwfl_module_info(m, NULL, &s, &e, NULL, NULL, NULL, NULL);
	nb[c->p->nr_bad].start = s;
	nb[c->p->nr_bad++].end = e;
	return DWARF_CB_OK;
}

struct lmr_syms *lmr_syms_new(struct lmr_state *st, bool live)
{
	struct lmr_syms *s = calloc(1, sizeof(*s));

	if (s) {
		s->st = st;
		s->live = live;
	}
	return s;
}

void lmr_syms_free(struct lmr_syms *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->p[i].dwfl)
			dwfl_end(s->p[i].dwfl);
		free(s->p[i].bad);
	}
	free(s->p);
	free(s);
}

static const char *maps_of(struct lmr_syms *s, pid_t tgid)
{
	struct lmr_state *st = s->st;
	struct lmr_maps *m;
	size_t i;
	char *text;

	for (i = 0; i < st->nr_maps; i++)
		if (st->maps[i].tgid == tgid)
			return st->maps[i].text;
	if (!s->live)
		return NULL;
	text = lmr_read_maps(tgid);
	if (!text)
		return NULL;
	m = lmr_grow(st->maps, &st->cap_maps, st->nr_maps, sizeof(*m));
	if (!m) {
		free(text);
		return NULL;
	}
	st->maps = m;
	m[st->nr_maps].tgid = tgid;
	m[st->nr_maps].text = text;
	m[st->nr_maps].len = strlen(text);
	return m[st->nr_maps++].text;
}

const char *lmr_sym_maps(struct lmr_syms *s, pid_t tgid)
{
	return maps_of(s, tgid);
}

static struct lmr_proc *proc_of(struct lmr_syms *s, pid_t tgid)
{
	struct lmr_check_ctx c;
	struct lmr_proc *p;
	const char *maps;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->p[i].tgid == tgid)
			return &s->p[i];
	p = lmr_grow(s->p, &s->cap, s->n, sizeof(*p));
	if (!p)
		return NULL;
	s->p = p;
	p = &p[s->n++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	maps = maps_of(s, tgid);
	if (maps) {
		p->dwfl = dwfl_from_maps(maps);
		c.maps = maps;
		c.p = p;
		if (p->dwfl)
			dwfl_getmodules(p->dwfl, check_module, &c, 0);
	}
	return p;
}

static bool is_bad(const struct lmr_proc *p, u64 addr)
{
	size_t i;

	for (i = 0; i < p->nr_bad; i++)
		if (addr >= p->bad[i].start && addr < p->bad[i].end)
			return true;
	return false;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * A demangled legacy Rust path as rustc-demangle's short form has it:
 * the "$LT$"-style escapes decoded (with the '_' put before one that
 * starts a path segment), ".." as "::", and the trailing
 * "::h<16 hex digits>" hash dropped. @s is rewritten in place; false if it
 * is not one (no hash at its end).
 */
static bool rust_legacy(char *s)
{
	static const struct { const char *esc, *ch; } esc[] = {
		{ "$LT$", "<" }, { "$GT$", ">" }, { "$RF$", "&" },
		{ "$BP$", "*" }, { "$C$", "," }, { "$SP$", "@" },
		{ "$u20$", " " }, { "$u27$", "'" }, { "$u5b$", "[" },
		{ "$u5d$", "]" }, { "$u7b$", "{" }, { "$u7d$", "}" },
		{ "$u7e$", "~" }, { "$u3b$", ";" }, { "$u2b$", "+" },
		{ "$u22$", "\"" },
	};
	size_t n = strlen(s), i, k;
	char *r, *w;

	if (n < 19 || strncmp(s + n - 19, "::h", 3) ||
	    strspn(s + n - 16, "0123456789abcdef") != 16)
		return false;
	s[n - 19] = 0;
	for (r = w = s; *r;) {
		for (k = 0; k < ARRAY_SIZE(esc); k++) {
			i = strlen(esc[k].esc);
			if (!strncmp(r, esc[k].esc, i))
				break;
		}
		if (k < ARRAY_SIZE(esc)) {
			*w++ = esc[k].ch[0];
			r += i;
		} else if (r[0] == '_' && r[1] == '$' &&
			   (w == s || w[-1] == ':')) {
			r++;	/* an identifier's '_' before an escape */
		} else if (r[0] == '.' && r[1] == '.') {
			*w++ = ':';
			*w++ = ':';
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return true;
}

/*
 * A mangled C++ (or legacy Rust, which uses the same scheme) name as
 * __cxa_demangle prints it, a Rust one as rust_legacy() shortens it; any
 * other name as it is. A ".llvm.NNN" suffix (LLVM's mark on a local
 * symbol it renamed, common in Rust's std) is dropped first, since
 * __cxa_demangle refuses the whole name with it.
 */
static const char *demangle(const char *name, char *out, size_t len)
{
	char mangled[LMR_NAME_LEN], *d, *dot;
	int status = -1;

	if (strncmp(name, "_Z", 2))
		return name;
	snprintf(mangled, sizeof(mangled), "%s", name);
	dot = strstr(mangled, ".llvm.");
	if (dot && strspn(dot + 6, "0123456789") == strlen(dot + 6))
		*dot = 0;
	d = __cxa_demangle(mangled, NULL, NULL, &status);
	if (!d || status)
		return name;
	rust_legacy(d);
	snprintf(out, len, "%s", d);
	free(d);
	return out;
}

/*
 * @ret: @ip is a return address; the call is the byte before it, which is
 * what must be looked up (a call can be the last instruction of a function).
 */
const char *lmr_sym_code(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
			 char *buf, size_t len)
{
	struct lmr_proc *p = s ? proc_of(s, tgid) : NULL;
	u64 look = ret && ip ? ip - 1 : ip;
	const char *name, *mname;
	char dm[LMR_NAME_LEN];
	Dwfl_Module *m;
	Dwarf_Addr start;
	GElf_Off off;
	GElf_Sym sym;

	snprintf(buf, len, "0x%llx", (unsigned long long)ip);
	if (!p || !p->dwfl)
		return buf;
	m = dwfl_addrmodule(p->dwfl, look);
	if (!m)
		return buf;
	mname = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (is_bad(p, look)) {
		snprintf(buf, len, "%s+0x%llx[build-id changed]",
			 base(mname ? mname : "?"),
			 (unsigned long long)(ip - start));
		return buf;
	}
	name = dwfl_module_addrinfo(m, look, &off, &sym, NULL, NULL, NULL);
	if (name)
		snprintf(buf, len, "%s+0x%llx", demangle(name, dm, sizeof(dm)),
			 (unsigned long long)(off + (look != ip)));
	else
		snprintf(buf, len, "%s+0x%llx", base(mname ? mname : "?"),
			 (unsigned long long)(ip - start));
	return buf;
}

/*
 * The source file and line of a code address from its module's DWARF line
 * table (dwfl_module_getsrc): the line of the call for a return address.
 * NULL when the module has no line information for it. The string lives
 * as long as @s.
 */
const char *lmr_sym_line(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
			 int *line)
{
	struct lmr_proc *p = s ? proc_of(s, tgid) : NULL;
	u64 look = ret && ip ? ip - 1 : ip;
	const char *file;
	Dwfl_Module *m;
	Dwfl_Line *l;

	*line = 0;
	if (!p || !p->dwfl || is_bad(p, look))
		return NULL;
	m = dwfl_addrmodule(p->dwfl, look);
	l = m ? dwfl_module_getsrc(m, look) : NULL;
	if (!l)
		return NULL;
	file = dwfl_lineinfo(l, NULL, line, NULL, NULL, NULL);
	if (!file || *line <= 0) {
		*line = 0;
		return NULL;
	}
	return file;
}

/* An inlined function's name: its linkage name demangled, else its name. */
static const char *inline_name(Dwarf_Die *die, char *out, size_t len)
{
	Dwarf_Attribute a;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name,
						     &a));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die,
							     DW_AT_MIPS_linkage_name,
							     &a));
	if (name)
		return demangle(name, out, len);
	name = dwarf_diename(die);
	snprintf(out, len, "%s", name ? name : "??");
	return out;
}

/* The file and line an inlined call was made from: DW_AT_call_file/line. */
static const char *call_site(Dwarf_Die *cu, Dwarf_Die *die, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word idx, ln;
	Dwarf_Files *files;
	size_t nfiles;
	const char *file;

	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &idx) ||
	    dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &ln) ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) || idx >= nfiles)
		return NULL;
	file = dwarf_filesrc(files, idx, NULL, NULL);
	if (!file || !ln)
		return NULL;
	*line = (int)ln;
	return file;
}

/*
 * The frames gdb shows for one code address: the functions inlined at it,
 * innermost first, then the function the symbol table has. The inline
 * chain is the DW_TAG_inlined_subroutine scopes around the address in
 * its compile unit (libdw's dwarf_getscopes(), as perf report --inline
 * reads it); the innermost frame has the line table's line, each outer one
 * the call site (DW_AT_call_file/line) of the one inlined into it. Without
 * debug information the one physical frame. Returns how many, at least 1.
 */
int lmr_sym_frames(struct lmr_syms *s, pid_t tgid, u64 ip, bool ret,
		   struct lmr_src_frame *out, int max)
{
	struct lmr_proc *p = s ? proc_of(s, tgid) : NULL;
	u64 look = ret && ip ? ip - 1 : ip;
	Dwarf_Die *cu = NULL, *scopes = NULL;
	Dwfl_Module *m = NULL;
	Dwarf_Addr bias = 0;
	const char *file;
	int n = 0, nsc, i, line;

	file = lmr_sym_line(s, tgid, ip, ret, &line);
	if (p && p->dwfl && !is_bad(p, look))
		m = dwfl_addrmodule(p->dwfl, look);
	if (m)
		cu = dwfl_module_addrdie(m, look, &bias);
	/*
	 * dwarf_getscopes() goes on from an inlined function into its
	 * abstract definition; the concrete nesting, inlined call in inlined
	 * call up to the subprogram, is dwarf_getscopes_die() of the
	 * innermost scope, as eu-addr2line -i reads it
	 */
	nsc = cu ? dwarf_getscopes(cu, look - bias, &scopes) : 0;
	if (nsc > 0) {
		Dwarf_Die in = scopes[0];

		free(scopes);
		scopes = NULL;
		nsc = dwarf_getscopes_die(&in, &scopes);
	}
	for (i = 0; i < nsc && n < max - 1; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_subprogram)
			break;
		if (tag != DW_TAG_inlined_subroutine)
			continue;
		out[n].inlined = true;
		inline_name(&scopes[i], out[n].name, sizeof(out[n].name));
		out[n].file = file;
		out[n].line = file ? line : 0;
		n++;
		/* the next frame out is at this one's call site */
		file = call_site(cu, &scopes[i], &line);
	}
	free(scopes);
	out[n].inlined = false;
	lmr_sym_code(s, tgid, ip, ret, out[n].name, sizeof(out[n].name));
	out[n].file = file;
	out[n].line = file ? line : 0;
	return n + 1;
}

/* The libraries a lock call goes through before it reaches the futex. */
static const char *const lock_libs[] = {
	"libc.so", "libc-", "libpthread", "ld-linux", "libstdc++",
	"libgcc_s", "libjvm.so", "libatomic",
};

/* Function names of lock code that is inlined or linked into a program. */
static const char *const lock_fns[] = {
	"std::", "__gthread", "__gnu_cxx::", "core::", "parking_lot",
	"sync.", "runtime.", "internal/sync.", "pthread_", "__pthread",
	"___pthread", "__lll_", "__GI_", "lll_", "futex_", "__futex",
};

static bool has_prefix(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(s, v[i], strlen(v[i])))
			return true;
	return false;
}

/* A function name for a lock's name: no offset, version, clone or types. */
static void short_name(const char *name, char *out, size_t len)
{
	char *p;
	int depth = 0;
	size_t n = strnlen(name, len - 1);

	memcpy(out, name, n);
	out[n] = 0;
	p = strstr(out, "+0x");
	if (p)
		*p = 0;
	p = strchr(out, '@');
	if (p)
		*p = 0;
	p = strstr(out, " [clone");
	if (p)
		*p = 0;
	for (p = out; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>')
			depth--;
		else if (*p == '(' && !depth && p > out &&
			 strncmp(p - 1, ".(", 2)) {
			/* a parameter list; Go's "sync.(*Mutex)" is a name */
			*p = 0;
			break;
		}
	}
	/* a function template's demangled name starts with its return type */
	for (p = out + strlen(out), depth = 0; p > out; p--) {
		if (p[-1] == '>')
			depth++;
		else if (p[-1] == '<')
			depth--;
		else if (p[-1] == ' ' && !depth)
			break;
	}
	memmove(out, p, strlen(p) + 1);
}

/* What kind of lock the outermost lock-library function takes. */
static const char *lock_kind(const char *fn)
{
	char low[LMR_NAME_LEN];
	size_t i;

	for (i = 0; fn[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)(fn[i] >= 'A' && fn[i] <= 'Z' ? fn[i] + 32 :
				fn[i]);
	low[i] = 0;
	if (strstr(low, "rwlock") || strstr(low, "rwmutex"))
		return "rwlock";
	if (strstr(low, "mutex"))
		return "mutex";
	if (strstr(low, "cond"))
		return "cond";
	if (strstr(low, "sem_") || strstr(low, "semaphore"))
		return "sem";
	if (strstr(low, "barrier"))
		return "barrier";
	if (strstr(low, "join"))
		return "join";
	return "lock";
}

/*
 * Where a lock is taken, from a stack that waited on it: "KIND@FUNCTION",
 * FUNCTION the innermost frame (inlined ones included) outside the lock
 * library (glibc, libstdc++, the JVM; std::, sync., runtime. functions in
 * the program itself), KIND from the outermost function inside it
 * (pthread_mutex_lock: mutex). False when no frame has a name outside it.
 */
bool lmr_sym_site(struct lmr_syms *s, const struct lmr_stack *stk, char *out,
		  size_t len)
{
	struct lmr_proc *p = s && stk ? proc_of(s, stk->tgid) : NULL;
	struct lmr_src_frame f[LMR_MAX_INLINE];
	char api[LMR_NAME_LEN] = "", fn[LMR_NAME_LEN];
	unsigned int i;
	int k, nf;

	if (!p || !p->dwfl)
		return false;
	for (i = 0; i < stk->nr; i++) {
		u64 look = i && stk->ip[i] ? stk->ip[i] - 1 : stk->ip[i];
		Dwfl_Module *m = dwfl_addrmodule(p->dwfl, look);
		const char *mname = m ? dwfl_module_info(m, NULL, NULL, NULL,
							 NULL, NULL, NULL,
							 NULL) : NULL;
		bool lib = mname && has_prefix(base(mname), lock_libs,
					       ARRAY_SIZE(lock_libs));

		nf = lmr_sym_frames(s, stk->tgid, stk->ip[i], i > 0, f,
				    LMR_MAX_INLINE);
		for (k = 0; k < nf; k++) {
			/*
			 * no symbol, in no module or in one that has none
			 * there ("libnio.so+0x9dbc8": the JVM's interpreter
			 * and JIT code): nothing to name it by
			 */
			if (!strncmp(f[k].name, "0x", 2) ||
			    (mname && !strncmp(f[k].name, base(mname),
					       strlen(base(mname))) &&
			     !strncmp(f[k].name + strlen(base(mname)), "+0x", 3)))
				return false;
			short_name(f[k].name, fn, sizeof(fn));
			/*
			 * Go: a thread (M) of the runtime parked on its own
			 * note, or the runtime's internal lock; which Go lock,
			 * if any, a goroutine waits on is not seen.
			 */
			if (!strcmp(fn, "runtime.notesleep") ||
			    !strcmp(fn, "runtime.futexsleep") ||
			    !strcmp(fn, "runtime.notetsleep_internal")) {
				snprintf(out, len, "go-runtime-park");
				return true;
			}
			if (!strcmp(fn, "runtime.lock2") ||
			    !strcmp(fn, "runtime.lockWithRank")) {
				snprintf(out, len, "go-runtime-lock");
				return true;
			}
			if (lib || has_prefix(fn, lock_fns, ARRAY_SIZE(lock_fns))) {
				snprintf(api, sizeof(api), "%s", fn);
				continue;
			}
			if (!api[0] || !fn[0])
				return false;
			snprintf(out, len, "%s@%s", lock_kind(api), fn);
			return true;
		}
	}
	return false;
}

/* A data address: "symbol+0xoff" only when a data symbol covers it. */
const char *lmr_sym_data(struct lmr_syms *s, pid_t tgid, u64 addr,
			 char *buf, size_t len)
{
	struct lmr_proc *p = s ? proc_of(s, tgid) : NULL;
	const char *name;
	Dwfl_Module *m;
	GElf_Off off;
	GElf_Sym sym;

	snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	if (!p || !p->dwfl || is_bad(p, addr))
		return buf;
	m = dwfl_addrmodule(p->dwfl, addr);
	if (!m)
		return buf;
	name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	if (name && GELF_ST_TYPE(sym.st_info) == STT_OBJECT &&
	    off < (sym.st_size ? sym.st_size : 1)) {
		if (off)
			snprintf(buf, len, "%s+0x%llx", name,
				 (unsigned long long)off);
		else
			snprintf(buf, len, "%s", name);
	}
	return buf;
}

struct lmr_frames {
	u64 *ips;
	unsigned int n, max;
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct lmr_frames *f = arg;
	Dwarf_Addr pc;
	bool act;

	if (f->n >= f->max || !dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	f->ips[f->n++] = pc;
	return DWARF_CB_OK;
}

/*
 * The user stack of a thread that is not blocked in lockmon's view (a
 * lock holder), unwound by libdwfl through ptrace: the thread stops for
 * the time of the unwind, and a futex wait it is in is interrupted. The
 * one use of ptrace in lockmon-report: top, with --ptrace-holders only.
 * Returns the depth, or -errno.
 */
int lmr_thread_stack(struct lmr_syms *s, pid_t tgid, pid_t tid, u64 *ips,
		     unsigned int max)
{
	struct lmr_frames f = { ips, 0, max };
	Dwfl *d;
	int err;

	(void)s;
	d = dwfl_begin(&lmr_cbs);
	if (!d)
		return -ENOMEM;
	if (dwfl_linux_proc_report(d, tgid) || dwfl_report_end(d, NULL, NULL)) {
		dwfl_end(d);
		return -ESRCH;
	}
	err = dwfl_linux_proc_attach(d, tgid, false);
	if (err) {
		dwfl_end(d);
		return err > 0 ? -err : -EPERM;
	}
	dwfl_getthread_frames(d, tid, frame_cb, &f);
	dwfl_end(d);
	return (int)f.n;
}

/*
 * The stack of a thread blocked in a system call, unwound with libdwfl's
 * CFI from the pc and stack pointer /proc/TGID/task/TID/syscall gives,
 * reading its memory through /proc/TGID/mem: nothing stops or signals the
 * thread. Only rsp and rip are known; a frame whose CFA is rbp-based
 * (code with frame pointers) takes rbp from where a callee's CFI says it
 * was saved, else from a guess (find_bp(), find_frame()). A wrong guess
 * gives frames gdb does not show, so every frame is checked as gdb checks
 * it (unw_frame()): the walk ends before one that fails.
 */
struct lmr_ucopy {
	Dwarf_Word ip, sp, bp;
	size_t len;
	unsigned char data[LMR_UCOPY_MAX];
};

struct lmr_unw {
	pid_t tid;
	int mem;		/* /proc/TGID/mem, or -1: @copy and @maps */
	const struct lmr_ucopy *copy;	/* the module's copy of the stack */
	const char *maps;	/* whose files hold the code, with @copy */
	Dwarf_Word pc, sp, bp;
	Dwarf_Word last_sp;	/* rsp of the outermost frame reached */
	bool have_bp, given;
	bool bad;		/* ended at a frame that failed the checks */
	bool done;		/* the walk reached the outermost frame */
	bool last_act;		/* the last frame's pc is not a return address */
	u64 *ips;
	unsigned int n, max;
};

/*
 * @n bytes at @addr of the process from the module's copy: the stack from
 * the copied words, code from the file mapped there (the maps text's line
 * for @addr), as the process saw it if the file is the same.
 */
static bool copy_read(const struct lmr_unw *u, void *dst, size_t n, u64 addr)
{
	const char *line, *next;
	unsigned long long start, end, off;
	char path[PATH_MAX];
	bool ok;
	int fd;

	if (addr >= u->copy->sp && addr - u->copy->sp <= u->copy->len &&
	    n <= u->copy->len - (addr - u->copy->sp)) {
		memcpy(dst, u->copy->data + (addr - u->copy->sp), n);
		return true;
	}
	for (line = u->maps; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		/* START-END PERMS OFFSET DEV INODE PATH */
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start,
			   &end, &off, path) != 4 || path[0] != '/' ||
		    addr < start || addr + n > end)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		ok = pread(fd, dst, n, (off_t)(off + (addr - start))) ==
		     (ssize_t)n;
		close(fd);
		return ok;
	}
	return false;
}

/* @n bytes of the process at @addr: from /proc/TGID/mem or the copy */
static bool unw_read(const struct lmr_unw *u, void *dst, size_t n, u64 addr)
{
	if (u->mem < 0)
		return u->copy && copy_read(u, dst, n, addr);
	return pread(u->mem, dst, n, (off_t)addr) == (ssize_t)n;
}

static pid_t unw_next_thread(Dwfl *d, void *arg, void **thread_arg)
{
	struct lmr_unw *u = arg;

	(void)d;
	if (u->given)
		return 0;
	u->given = true;
	*thread_arg = u;
	return u->tid;
}

static bool unw_mem(Dwfl *d, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct lmr_unw *u = arg;

	(void)d;
	return unw_read(u, result, sizeof(*result), addr);
}

static bool unw_regs(Dwfl_Thread *t, void *arg)
{
	struct lmr_unw *u = arg;

	/* DWARF x86_64 registers: 6 rbp, 7 rsp */
	if (!dwfl_thread_state_registers(t, 7, 1, &u->sp))
		return false;
	if (u->have_bp && !dwfl_thread_state_registers(t, 6, 1, &u->bp))
		return false;
	dwfl_thread_state_register_pc(t, u->pc);
	return true;
}

static const Dwfl_Thread_Callbacks lmr_unw_cbs = {
	.next_thread = unw_next_thread,
	.memory_read = unw_mem,
	.set_initial_registers = unw_regs,
};

/* The length of the indirect call "ff /2" with ModRM @modrm and SIB @sib. */
static int call_len(unsigned char modrm, unsigned char sib)
{
	int mod = modrm >> 6, rm = modrm & 7, n = 2;

	if (mod == 3)
		return n;
	if (rm == 4) {
		n++;			/* SIB; base 101 with mod 00: disp32 */
		if (!mod && (sib & 7) == 5)
			n += 4;
	} else if (!mod && rm == 5) {
		n += 4;			/* disp32(%rip) */
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/*
 * Does the code address @ret follow a call instruction? call rel32, or an
 * indirect call (ff /2) through a register or memory whose encoding ends
 * at @ret: *%reg, *(%reg), *d8(%reg), *d32(%reg), *d32(%rip), with or
 * without an index (virtual calls, PLT-less calls through the GOT).
 */
static bool after_call(const struct lmr_unw *u, Dwarf_Addr ret)
{
	unsigned char c[8];
	int len, i;

	if (ret < 8 || !unw_read(u, c, sizeof(c), ret - 8))
		return false;
	if (c[3] == 0xe8)
		return true;
	for (len = 2; len <= 7; len++) {
		i = 8 - len;
		if (c[i] == 0xff && ((c[i + 1] >> 3) & 7) == 2 &&
		    call_len(c[i + 1], i + 2 < 8 ? c[i + 2] : 0) == len)
			return true;
	}
	return false;
}

/*
 * One frame of the walk. Beyond the first, a caller's frame must be, as
 * for gdb, outer to the one before it (its stack pointer higher: gdb
 * stops with "previous frame inner to this frame" or "identical to this
 * frame" otherwise), and its return address code of a mapped file that
 * follows a call. A frame that is not ends the walk, as bad: the frames
 * before it are kept, it and any beyond are not.
 */
static int unw_frame(Dwfl_Frame *state, void *arg)
{
	struct lmr_unw *u = arg;
	Dwfl *d = dwfl_thread_dwfl(dwfl_frame_thread(state));
	Dwarf_Word sp = 0;
	Dwarf_Addr pc;
	bool act;

	if (u->n >= u->max || !dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	if (dwfl_frame_reg(state, 7, &sp))
		sp = 0;
	if (u->n && (!pc || !sp || sp <= u->last_sp ||
		     !dwfl_addrmodule(d, pc) ||
		     (!act && !after_call(u, pc)))) {
		u->bad = true;
		return DWARF_CB_ABORT;
	}
	if (!pc)
		return DWARF_CB_ABORT;
	u->ips[u->n++] = pc;
	u->last_sp = sp;
	u->last_act = act;
	return DWARF_CB_OK;
}

/*
 * "NR a1 .. a6 SP PC" of a thread in a system call; false otherwise. With
 * @uaddr, only a thread in futex(2) on @uaddr or in futex_waitv(2).
 */
static bool syscall_in(pid_t tgid, pid_t tid, Dwarf_Word *sp, Dwarf_Word *pc,
		       const u64 *uaddr)
{
	unsigned long long v[9];
	char path[64], *text;
	long nr;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", tgid, tid);
	text = lmr_read_file(path, NULL, 4096);
	if (!text)
		return false;
	ok = sscanf(text, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr,
		    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
	     nr >= 0;
	free(text);
	if (ok && uaddr)
		ok = (nr == SYS_futex && v[0] == *uaddr) || nr == SYS_futex_waitv;
	if (ok) {
		*sp = v[6];
		*pc = v[7];
	}
	return ok && *sp && *pc;
}

/*
 * How often @tid has been switched out, voluntarily or not, from its
 * status file; -1 if that cannot be read. A thread asleep in a wait is
 * not switched: an unchanged count across an unwind means it did not run
 * meanwhile, so the stack words read were those of the wait.
 */
static long long switches(pid_t tgid, pid_t tid)
{
	char path[64], *text, *p;
	long long n = 0;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", tgid, tid);
	text = lmr_read_file(path, NULL, 65536);
	if (!text)
		return -1;
	for (p = strstr(text, "ctxt_switches:"); p;
	     p = strstr(p + 1, "ctxt_switches:")) {
		n += strtoll(p + strlen("ctxt_switches:"), NULL, 10);
		found++;
	}
	free(text);
	return found == 2 ? n : -1;
}

/* Is the frame at @bp (saved rbp, return address) one of code after a call? */
static bool saved_bp(const struct lmr_unw *u, Dwarf_Word bp)
{
	u64 ret;

	return unw_read(u, &ret, sizeof(ret), bp + 8) && ret > 4096 &&
	       after_call(u, ret);
}

/*
 * Where the frame-pointer walk began: the word below the slot of @ret, a
 * saved rbp that points further up. Word by word, so that the end of the
 * stack mapping only ends the search.
 */
static bool find_bp(const struct lmr_unw *u, Dwarf_Word sp, u64 ret,
		    Dwarf_Word *bp)
{
	u64 prev = 0, w;
	Dwarf_Word a;

	for (a = sp; a < sp + 16384; a += 8) {
		if (!unw_read(u, &w, sizeof(w), a))
			return false;
		/*
		 * a saved rbp points further up the stack, at a frame whose
		 * return address is code after a call: a code address next
		 * to @ret (a guess the module's scan made, not a walk of
		 * frame pointers) is not taken for one
		 */
		if (a > sp && w == ret && prev > a && prev < a + (8 << 20) &&
		    !(prev & 7) && saved_bp(u, prev)) {
			*bp = a - 8;
			return true;
		}
		prev = w;
	}
	return false;
}

/*
 * Is the frame at @pc (a return address unless @act) one without a
 * caller? Its CFI says the return address is undefined, as clone3's and
 * _start's do.
 */
static bool outermost(Dwfl *d, Dwarf_Addr pc, bool act)
{
	Dwfl_Module *m = dwfl_addrmodule(d, pc);
	Dwarf_Addr bias, at = act ? pc : pc - 1;
	Dwarf_Op mem[3], *ops = NULL;
	Dwarf_Frame *f = NULL;
	Dwarf_CFI *cfi;
	size_t nops = 1;
	bool end;
	int ra;

	if (!m)
		return false;
	cfi = dwfl_module_eh_cfi(m, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &f)) {
		cfi = dwfl_module_dwarf_cfi(m, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &f))
			return false;
	}
	ra = dwarf_frame_info(f, NULL, NULL, NULL);
	end = ra >= 0 && !dwarf_frame_register(f, ra, mem, &ops, &nops) &&
	      !nops && ops == mem;
	free(f);
	return end;
}

static void unwind(struct lmr_unw *u, const char *maps, pid_t tgid)
{
	Dwfl *d = dwfl_from_maps(maps);

	u->n = 0;
	u->bad = false;
	u->done = false;
	u->given = false;
	u->last_sp = 0;
	/*
	 * libdwfl ends a walk it cannot continue (rbp unknown) as it ends a
	 * complete one: complete is a walk to a frame that has no caller
	 */
	if (d && dwfl_attach_state(d, NULL, tgid, &lmr_unw_cbs, u))
		u->done = !dwfl_getthread_frames(d, u->tid, unw_frame, u) &&
			  !u->bad && u->n &&
			  outermost(d, u->ips[u->n - 1], u->last_act);
	if (d)
		dwfl_end(d);
}

/* The first (saved rbp, return address) pair at or above @sp. */
static bool find_frame(struct lmr_unw *u, const char *maps, Dwarf_Word sp,
		       Dwarf_Word *bp)
{
	Dwfl *d = dwfl_from_maps(maps);
	u64 w[2];
	Dwarf_Word a;
	bool found = false;

	for (a = sp; d && !found && a < sp + 4096; a += 8) {
		if (!unw_read(u, w, sizeof(w), a))
			break;
		if (w[0] > a && w[0] < a + (8 << 20) && !(w[0] & 7) &&
		    dwfl_addrmodule(d, w[1]) && after_call(u, w[1])) {
			*bp = a;
			found = true;
		}
	}
	if (d)
		dwfl_end(d);
	return found;
}

/*
 * Unwind @u again with @bp as rbp (@have_bp false: none), and keep it in
 * place of @u if it is better: complete where @u is not, or deeper.
 */
static void unwind_again(struct lmr_unw *u, const char *maps, pid_t tgid,
			 bool have_bp, Dwarf_Word bp)
{
	u64 more[LOCKMON_MAX_STACK];
	struct lmr_unw v = *u;

	v.ips = more;
	v.max = u->max < LOCKMON_MAX_STACK ? u->max : LOCKMON_MAX_STACK;
	v.have_bp = have_bp;
	v.bp = bp;
	unwind(&v, maps, tgid);
	if ((v.done && !u->done) || (v.done == u->done && v.n > u->n)) {
		memcpy(u->ips, more, v.n * sizeof(*u->ips));
		u->n = v.n;
		u->done = v.done;
		u->bad = v.bad;
		u->last_sp = v.last_sp;
	}
}

/*
 * The stack of @tid by CFI, frames checked (unw_frame()); @done set when
 * it is complete, down to the outermost frame. -ESRCH when the thread is
 * no longer in the wait the module saw (@seen, its stack; @uaddr, its
 * futex, if known), or ran while its stack was read: it is read while the
 * thread may run, and a thread that left the wait and came back to one
 * at the same pc gave a stack of its own making (lll_lock_wait called from
 * now_ns()).
 */
static int live_stack_in(struct lmr_syms *s, pid_t tgid, pid_t tid,
			 const u64 *uaddr, const u64 *seen, unsigned int nseen,
			 u64 *ips, unsigned int max, bool *done)
{
	struct lmr_unw u = { .tid = tid, .ips = ips, .max = max };
	long long ran;
	char path[64];
	const char *maps;
	Dwarf_Word bp;

	*done = false;
	if (!s || !s->live)
		return -ESRCH;
	ran = switches(tgid, tid);
	if (ran < 0 || !syscall_in(tgid, tid, &u.sp, &u.pc, uaddr))
		return -ESRCH;
	/* the thread left the wait the module saw: not that wait's stack */
	if (nseen && seen[0] != u.pc)
		return -ESRCH;
	maps = maps_of(s, tgid);
	if (!maps)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/mem", tgid);
	u.mem = open(path, O_RDONLY | O_CLOEXEC);
	if (u.mem < 0)
		return -errno;
	if (nseen > 1)
		u.have_bp = find_bp(&u, u.sp, seen[1], &u.bp);
	unwind(&u, maps, tgid);
	/* a wrong guess of rbp: try without one */
	if (!u.done && u.have_bp)
		unwind_again(&u, maps, tgid, false, 0);
	/*
	 * Stopped short (without a start for rbp, or a wrong one): at a
	 * frame with frame pointers, whose saved rbp and return address are
	 * the first pair above its rsp of a word pointing further up the
	 * stack and a code address. Unwind again from there, and keep the
	 * better stack.
	 */
	if (!u.done && u.n && u.n < max && u.last_sp &&
	    find_frame(&u, maps, u.last_sp, &bp))
		unwind_again(&u, maps, tgid, true, bp);
	close(u.mem);
	/* it ran meanwhile: the words read need not be of one stack */
	if (switches(tgid, tid) != ran)
		return -ESRCH;
	*done = u.done;
	return u.n ? (int)u.n : -ESRCH;
}

/*
 * The module's copy of @tid's registers and stack top (its ustacks file:
 * "TGID TID IP SP BP LEN HEX"), taken when a finding named the thread.
 */
static bool read_ucopy(pid_t tgid, pid_t tid, struct lmr_ucopy *c)
{
	char *all, *line, *next, *hex, prefix[32];
	unsigned long long ip, sp, bp;
	unsigned int len, i, b;
	bool found = false;
	size_t pl;

	all = lmr_read_file(LMR_DIR "/ustacks", NULL, LMR_MAPS_MAX);
	if (!all)
		return false;
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%d %d ", tgid, tid);
	for (line = all; line && *line && !found; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, prefix, pl) ||
		    sscanf(line + pl, "%llx %llx %llx %u", &ip, &sp, &bp,
			   &len) != 4 || len > sizeof(c->data))
			continue;
		hex = strrchr(line, ' ');
		if (!hex || strlen(hex + 1) != 2 * (size_t)len)
			continue;
		for (i = 0; i < len && sscanf(hex + 1 + 2 * i, "%2x", &b) == 1; i++)
			c->data[i] = (unsigned char)b;
		if (i != len)
			continue;
		c->ip = ip;
		c->sp = sp;
		c->bp = bp;
		c->len = len;
		found = true;
	}
	free(all);
	return found;
}

/*
 * The stack of @tid by CFI from the module's copy of its registers and
 * stack (read_ucopy()), for a finding's thread that is gone or has left
 * the wait: the registers are the thread's own, rbp too, so no guess is
 * made. -ESRCH without a copy of the wait the module saw (@seen).
 */
static int copy_stack(struct lmr_syms *s, pid_t tgid, pid_t tid,
		      const u64 *seen, unsigned int nseen, u64 *ips,
		      unsigned int max, bool *done)
{
	struct lmr_unw u = { .tid = tid, .mem = -1, .ips = ips, .max = max };
	struct lmr_ucopy *c;
	const char *maps;

	*done = false;
	maps = s ? maps_of(s, tgid) : NULL;
	c = maps ? malloc(sizeof(*c)) : NULL;
	if (!c)
		return -ESRCH;
	if (!read_ucopy(tgid, tid, c) || (nseen && seen[0] != c->ip)) {
		free(c);
		return -ESRCH;
	}
	u.copy = c;
	u.maps = maps;
	u.sp = c->sp;
	u.pc = c->ip;
	u.bp = c->bp;
	u.have_bp = true;
	unwind(&u, maps, tgid);
	free(c);
	*done = u.done;
	return u.n ? (int)u.n : -ESRCH;
}

static int live_stack(struct lmr_syms *s, pid_t tgid, pid_t tid, u64 uaddr,
		      const u64 *seen, unsigned int nseen, u64 *ips,
		      unsigned int max, bool *done)
{
	return live_stack_in(s, tgid, tid, uaddr ? &uaddr : NULL, seen, nseen,
			     ips, max, done);
}

/*
 * A finding's thread for a recording: unwound live if it is in its wait
 * on @uaddr now, else from the module's copy (of the wait @seen names,
 * when @nseen). Only a complete stack, or one no shorter than the
 * module's, is given, as unwind_one() trusts one; -ESRCH otherwise.
 */
int lmr_finding_cfi(struct lmr_syms *s, pid_t tgid, pid_t tid, u64 uaddr,
		    const u64 *seen, unsigned int nseen, u64 *ips,
		    unsigned int max)
{
	bool done;
	int n;

	n = live_stack_in(s, tgid, tid, &uaddr, seen, nseen, ips, max, &done);
	if (n <= 0)
		n = copy_stack(s, tgid, tid, seen, nseen, ips, max, &done);
	if (n <= 0 || (!done && (unsigned int)n < nseen))
		return -ESRCH;
	return n;
}

int lmr_live_stack(struct lmr_syms *s, pid_t tgid, pid_t tid,
		   const u64 *seen, unsigned int nseen, u64 *ips,
		   unsigned int max)
{
	bool done;

	return live_stack(s, tgid, tid, 0, seen, nseen, ips, max, &done);
}

/* Put a stack unwound now in place of the module's for the task's wait. */
static void unwind_one(struct lmr_syms *s, struct lmr_state *st, pid_t tgid,
		       pid_t tid, u64 uaddr, u32 *stack_id, bool finding)
{
	const struct lmr_stack *old = lmr_find_stack(st, *stack_id);
	u64 seen[LOCKMON_MAX_STACK], ips[LOCKMON_MAX_STACK];
	unsigned int nseen = old ? old->nr : 0;
	struct lmr_stack *ns;
	bool done;
	u32 id = 1;
	size_t i;
	int n;

	if (old)
		memcpy(seen, old->ip, nseen * sizeof(seen[0]));
	n = live_stack(s, tgid, tid, uaddr, seen, nseen, ips,
		       LOCKMON_MAX_STACK, &done);
	/* a finding's thread that is gone: the module's copy of its stack */
	if (n <= 0 && finding)
		n = copy_stack(s, tgid, tid, seen, nseen, ips,
			       LOCKMON_MAX_STACK, &done);
	/*
	 * An unwind that stopped short of the outermost frame is not
	 * trusted over a deeper stack of the module's; a complete one, each
	 * frame checked, is: the module's may hold return addresses its scan
	 * guessed, which gdb does not show.
	 */
	if (n <= 0 || (!done && (unsigned int)n < nseen))
		return;
	for (i = 0; i < st->nr_stacks; i++)
		if (st->stacks[i].id >= id)
			id = st->stacks[i].id + 1;
	ns = lmr_grow(st->stacks, &st->cap_stacks, st->nr_stacks, sizeof(*ns));
	if (!ns)
		return;
	st->stacks = ns;
	ns = &ns[st->nr_stacks++];
	memset(ns, 0, sizeof(*ns));
	ns->id = id;
	ns->tgid = tgid;
	ns->nr = (unsigned int)n;
	ns->cfi = true;
	memcpy(ns->ip, ips, (size_t)n * sizeof(ips[0]));
	*stack_id = id;
}

/*
 * Live views: each blocked task's stack, and each finding task's that is
 * still blocked, unwound by CFI in place of the return addresses the
 * module found (lmr_live_stack()).
 */
void lmr_unwind_live(struct lmr_syms *s, struct lmr_state *st)
{
	size_t i;
	unsigned int k;

	st->unwound = true;
	for (i = 0; i < st->nr_tasks; i++)
		unwind_one(s, st, st->tasks[i].tgid, st->tasks[i].tid,
			   st->tasks[i].uaddr, &st->tasks[i].stack_id, false);
	for (i = 0; i < st->nr_findings; i++)
		for (k = 0; k < st->findings[i].nr; k++)
			unwind_one(s, st, st->findings[i].t[k].tgid,
				   st->findings[i].t[k].tid,
				   st->findings[i].t[k].uaddr,
				   &st->findings[i].t[k].stack_id, true);
}
