/* `lockstep ksrc build`: a kernel tree's locking files compiled against the shims into a backend
 * object, kept in a cache keyed by the tree and rebuilt when a file it compiled changes.
 *
 * The cache directory of a tree (LOCKSTEP_CACHE_DIR, else $XDG_CACHE_HOME/lockstep, else
 * ~/.cache/lockstep, then ksrc/<key>) holds:
 *   src/       the shims and glue, written from the copies embedded in lockstep (embed.py);
 *   tree/      the few headers of the tree's include/ the shims let through (asm-generic/
 *              qspinlock.h, linux/llist.h, ...): a kernel file that includes any other header
 *              fails on it by name instead of pulling in the kernel's whole include tree;
 *   NAME.o, NAME.log, NAME.d   one compilation per primitive (the glue includes the kernel file,
 *              so its static functions and per-CPU data are reachable);
 *   backend.so the object lockstep loads;
 *   manifest   the hash of the tree files compiled and their paths (from the compiler's
 *              dependency lists): the same hash means the same sources, and a replay of a trace
 *              recorded against other sources is refused.
 * The key covers the tree's path, the shims, the glue and the primitives selected; a lock file
 * serialises two lockstep processes building the same tree.
 */
#define _GNU_SOURCE
#include "ksrc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockstep/kbackend.h>

#include "../buf.h"
#include "../findings.h"

/* How long one compilation may take before it counts as hung. */
#define COMPILE_LIMIT_S 300.0
#define MAX_DEPS 256
/* The longest cache directory: its files' paths then fit in PATH_MAX. */
#define CACHE_MAX 1024

const struct ls_ksrc_backend ls_ksrc_backends[] = {
	{ "spinlock", "kernel/locking/qspinlock.c", "glue/spinlock.c",
	  { "asm-generic/qspinlock.h", "asm-generic/qspinlock_types.h",
	    "asm-generic/mcs_spinlock.h" } },
	{ "llist", "lib/llist.c", "glue/llist.c", { "linux/llist.h" } },
	{ "irq_work", "kernel/irq_work.c", "glue/irq_work.c",
	  { "linux/irq_work.h", "linux/irq_work_types.h", "linux/smp_types.h", "linux/llist.h" } },
	{ "rqspinlock", "kernel/bpf/rqspinlock.c", "glue/rqspinlock.c",
	  { "asm-generic/rqspinlock.h", "asm-generic/qspinlock.h", "asm-generic/qspinlock_types.h",
	    "asm-generic/mcs_spinlock.h" } },
};
const int ls_ksrc_nbackends = (int)(sizeof(ls_ksrc_backends) / sizeof(ls_ksrc_backends[0]));

static bool failf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The cache's base directory; false if its path does not fit in n bytes. */
static bool cache_base(char *buf, size_t n)
{
	const char *dir = getenv("LOCKSTEP_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int len;
	if (dir && *dir)
		len = snprintf(buf, n, "%s", dir);
	else if (xdg && *xdg)
		len = snprintf(buf, n, "%s/lockstep", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.cache/lockstep", home);
	else
		len = snprintf(buf, n, "/tmp/lockstep-cache-%u", (unsigned)getuid());
	return len >= 0 && (size_t)len < n;
}

/* Writes data to dir/rel, creating the directories on the way. */
static bool put(const char *dir, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	bool ok = ls_mkdirs(path);
	*slash = '/';
	return ok && ls_write_atomic(path, data, len);
}

/* The hash of the tree files at rel[0..n) (sorted): each path, then its bytes. */
static bool hash_files(const char *tree, char **rel, int n, unsigned long long *out, char *err,
		       size_t errlen)
{
	unsigned long long h = ls_fnv1a("lockstep-ksrc", 13);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", tree, rel[i]);
		size_t len;
		char *data = ls_read_file(path, &len);
		if (!data)
			return failf(err, errlen, "%s: %s", path, strerror(errno));
		h = ls_fnv1a_more(h, rel[i], strlen(rel[i]) + 1);
		h = ls_fnv1a_more(h, data, len);
		free(data);
	}
	*out = h;
	return true;
}

/* The shims and glue this lockstep compiles with, and the backend ABI: part of kernel-source,
 * since the same tree files under other shims are other code. */
static unsigned long long shims_hash(void)
{
	unsigned long long h = ls_fnv1a("lockstep-kshim", 14);
	for (const struct ls_ksrc_file *f = ls_ksrc_files; f->path; f++) {
		h = ls_fnv1a_more(h, f->path, strlen(f->path) + 1);
		h = ls_fnv1a_more(h, f->data, f->len);
	}
	int abi = LS_KBACKEND_ABI;
	return ls_fnv1a_more(h, &abi, sizeof(abi));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes "." and ".." components of an absolute path in place, without resolving symlinks:
 * the compiler writes "dir/../x.h" for a relative include, and a tree of symlinks (cp -rs) must
 * still count as the tree. */
static void normalize(char *path)
{
	char *out = path;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else if (n) {
			*out++ = '/';
			memmove(out, p, n);
			out += n;
		}
		p += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* Adds the tree files of a compiler dependency list (make syntax: "\ " is a space in a name,
 * "\" at a line's end continues it) to deps: paths under the tree, and headers copied into
 * the cache's tree/ directory, by their path in the tree. */
static void read_deps(const char *dfile, const char *tree, const char *copies, char **deps,
		      int *ndeps)
{
	size_t len;
	char *text = ls_read_file(dfile, &len);
	if (!text)
		return;
	char *p = strchr(text, ':');
	size_t tl = strlen(tree), cl = strlen(copies);
	char name[PATH_MAX];
	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ':' ||
		       (*p == '\\' && p[1] == '\n'))
			p += *p == '\\' ? 2 : 1;
		size_t n = 0;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && !(*p == '\\' && p[1] == '\n')) {
			if (*p == '\\' && (p[1] == ' ' || p[1] == '#'))
				p++;
			if (n + 1 < sizeof(name))
				name[n++] = *p;
			p++;
		}
		if (!n)
			break;
		name[n] = '\0';
		if (name[0] != '/')
			continue;	/* the compiler was given absolute paths only */
		normalize(name);
		const char *rel = NULL;
		if (strncmp(name, tree, tl) == 0 && name[tl] == '/')
			rel = name + tl + 1;
		else if (strncmp(name, copies, cl) == 0 && name[cl] == '/')
			rel = name + cl + 1;
		bool seen = false;
		for (int i = 0; rel && i < *ndeps && !seen; i++)
			seen = strcmp(deps[i], rel) == 0;
		if (rel && !seen && *ndeps < MAX_DEPS)
			deps[(*ndeps)++] = strdup(rel);
	}
	free(text);
}

/* The first error of a compiler log as one line: the kernel file and line, and the construct
 * the shims lack when the message names one. */
static void diagnose(const char *log, const char *tree, const char *cache, char *err,
		     size_t errlen)
{
	size_t len;
	char *text = ls_read_file(log, &len);
	char *line = text;
	while (line && *line) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		char *e = strstr(line, ": fatal error: ");
		size_t skip = sizeof(": fatal error: ") - 1;
		if (!e) {
			e = strstr(line, ": error: ");
			skip = sizeof(": error: ") - 1;
		}
		if (e) {
			char *msg = e + skip;
			*e = '\0';
			/* file:line:column -> file:line */
			char *col = strrchr(line, ':');
			if (col && col > line && strchr(col, ':') && strrchr(line, ':') != strchr(line, ':'))
				*col = '\0';
			const char *where = line;
			size_t tl = strlen(tree);
			char copies[PATH_MAX];
			snprintf(copies, sizeof(copies), "%s/tree/", cache);
			if (strncmp(where, tree, tl) == 0 && where[tl] == '/')
				where += tl + 1;
			else if (strncmp(where, copies, strlen(copies)) == 0)
				where += strlen(copies);
			/* Quotes are ASCII or UTF-8 ‘ ’ depending on the locale. */
			char name[256] = "";
			const char *q = strstr(msg, "\xe2\x80\x98");
			size_t ql = 3;
			if (!q) {
				q = strchr(msg, '\'');
				ql = 1;
			}
			if (q) {
				const char *qe = strstr(q + ql, ql == 3 ? "\xe2\x80\x99" : "'");
				if (qe && (size_t)(qe - q - ql) < sizeof(name))
					snprintf(name, sizeof(name), "%.*s", (int)(qe - q - ql), q + ql);
			}
			const char *missing = strstr(msg, ": No such file or directory");
			if (missing)
				snprintf(err, errlen, "%s: the shims lack <%.*s> (compiler output: %s)",
					 where, (int)(missing - msg), msg, log);
			else if (*name && strstr(msg, "implicit declaration of function"))
				snprintf(err, errlen, "%s: the shims lack %s() (compiler output: %s)",
					 where, name, log);
			else if (*name && strstr(msg, "undeclared"))
				snprintf(err, errlen, "%s: the shims lack %s (compiler output: %s)", where,
					 name, log);
			else if (*name && strstr(msg, "unknown type name"))
				snprintf(err, errlen, "%s: the shims lack the type %s (compiler output: %s)",
					 where, name, log);
			else
				snprintf(err, errlen, "%s: %s (compiler output: %s)", where, msg, log);
			free(text);
			return;
		}
		line = end ? end + 1 : NULL;
	}
	snprintf(err, errlen, "the compiler failed without an error line (compiler output: %s)",
		 log);
	free(text);
}

/* The C compiler: $CC (one word) or cc, looked up on PATH as a shell would. */
static const char *compiler(void)
{
	static char found[PATH_MAX];
	const char *cc = getenv("CC");
	if (!cc || !*cc || strchr(cc, ' '))
		cc = "cc";
	if (strchr(cc, '/'))
		return cc;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		snprintf(found, sizeof(found), "%.*s/%s", (int)n, n ? p : ".", cc);
		if (access(found, X_OK) == 0)
			return found;
		p += n + (end ? 1 : 0);
	}
	return cc;
}

/* Runs a compiler command, its stdout and stderr into log; its exit status, 127 if it could
 * not be started, -1 if it died or ran past COMPILE_LIMIT_S (then it is killed). */
static int run(const char *const *argv, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status = 0;
	/* Polled, in steps of 10 ms: a compiler that hangs is killed, with its children. */
	for (long waited = 0;; waited += 10) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return -1;
		if (waited >= (long)(COMPILE_LIMIT_S * 1000)) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last non-empty line of a log, or what if there is none. */
static void last_line(const char *log, const char *what, char *out, size_t n)
{
	size_t len;
	char *text = ls_read_file(log, &len);
	snprintf(out, n, "%s", what);
	while (text && len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (text && len) {
		char *nl = strrchr(text, '\n');
		snprintf(out, n, "%s: %s", what, nl ? nl + 1 : text);
	}
	free(text);
}

/* Compiles cache/src/<glue> into cache/<name>.o; false with the first error in err. */
static bool compile(const char *cache, const char *tree, const char *name, const char *glue,
		    char *err, size_t errlen)
{
	char shims[PATH_MAX], inc[PATH_MAX], copies[PATH_MAX], src[PATH_MAX], obj[PATH_MAX],
		dep[PATH_MAX], log[PATH_MAX];
	snprintf(shims, sizeof(shims), "-I%s/src/include/lockstep/kshim", cache);
	snprintf(inc, sizeof(inc), "-I%s/src/include", cache);
	snprintf(copies, sizeof(copies), "-I%s/tree/include", cache);
	/* -I, not -idirafter: a system directory's warnings, implicit declarations among them,
	 * would pass in silence. */
	char treeinc[PATH_MAX + 2];
	snprintf(treeinc, sizeof(treeinc), "-I%s", tree);
	/* __FILE__ relative to the tree (and to the cache's copies and sources), so a finding's
	 * message, and so its bug, is the same wherever the tree lives. */
	char map_tree[PATH_MAX + 32], map_copies[PATH_MAX + 32], map_src[PATH_MAX + 32];
	snprintf(map_tree, sizeof(map_tree), "-fmacro-prefix-map=%s/=", tree);
	snprintf(map_copies, sizeof(map_copies), "-fmacro-prefix-map=%s/tree/=", cache);
	snprintf(map_src, sizeof(map_src), "-fmacro-prefix-map=%s/src/=lockstep/", cache);
	snprintf(src, sizeof(src), "%s/src/%s", cache, glue);
	snprintf(obj, sizeof(obj), "%s/%s.o", cache, name);
	snprintf(dep, sizeof(dep), "%s/%s.d", cache, name);
	snprintf(log, sizeof(log), "%s/%s.log", cache, name);
	const char *argv[] = {
		compiler(), "-std=gnu11", "-O1", "-g", "-fPIC", "-fvisibility=hidden",
		"-fno-strict-aliasing", "-fno-common", "-fstack-clash-protection",
		"-Wno-pointer-sign", "-Werror=implicit-function-declaration",
		"-Werror=implicit-int", "-Werror=incompatible-pointer-types", "-Werror=int-conversion",
		shims, inc, copies, treeinc, map_tree, map_copies, map_src, "-MD", "-MF", dep, "-c", src, "-o", obj,
		NULL,
	};
	int rc = run(argv, log);
	if (rc == 0)
		return true;
	if (rc == 127 || rc < 0) {
		size_t len;
		char *text = ls_read_file(log, &len);
		bool empty = !text || !len;
		free(text);
		if (empty || rc == 127)
			return failf(err, errlen, "cannot run the C compiler '%s' (set CC; "
				     "compiler output: %s)", compiler(), log);
	}
	diagnose(log, tree, cache, err, errlen);
	return false;
}

static bool link_object(const char *cache, const char *const *names, int n, char *err,
			size_t errlen)
{
	char objs[8][PATH_MAX], out[PATH_MAX], tmp[PATH_MAX], log[PATH_MAX];
	const char *argv[16];
	int a = 0;
	argv[a++] = compiler();
	argv[a++] = "-shared";
	for (int i = 0; i < n; i++) {
		snprintf(objs[i], sizeof(objs[i]), "%s/%s.o", cache, names[i]);
		argv[a++] = objs[i];
	}
	snprintf(out, sizeof(out), "%s/backend.so", cache);
	snprintf(tmp, sizeof(tmp), "%s/backend.so.tmp", cache);
	snprintf(log, sizeof(log), "%s/link.log", cache);
	argv[a++] = "-o";
	argv[a++] = tmp;
	argv[a] = NULL;
	if (run(argv, log) != 0) {
		char last[512];
		last_line(log, "linking the backend object failed", last, sizeof(last));
		return failf(err, errlen, "%s (compiler output: %s)", last, log);
	}
	if (rename(tmp, out) != 0)
		return failf(err, errlen, "%s: %s", out, strerror(errno));
	return true;
}

/* Reads the manifest: the hash and the tree files it covers; false if there is none. */
static bool read_manifest(const char *cache, unsigned long long *hash, char *built, size_t bn,
			  char **deps, int *ndeps)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/manifest", cache);
	size_t len;
	char *text = ls_read_file(path, &len);
	if (!text)
		return false;
	bool ok = false;
	*ndeps = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "hash ", 5) == 0)
			ok = sscanf(line + 5, "%llx", hash) == 1;
		else if (strncmp(line, "built ", 6) == 0)
			snprintf(built, bn, "%s", line + 6);
		else if (strncmp(line, "file ", 5) == 0 && *ndeps < MAX_DEPS)
			deps[(*ndeps)++] = strdup(line + 5);
	}
	free(text);
	return ok && *ndeps > 0;
}

static void free_deps(char **deps, int n)
{
	for (int i = 0; i < n; i++)
		free(deps[i]);
}

static const struct ls_ksrc_backend *backend_named(const char *s)
{
	for (int i = 0; i < ls_ksrc_nbackends; i++)
		if (strcmp(s, ls_ksrc_backends[i].name) == 0 || strcmp(s, ls_ksrc_backends[i].file) == 0)
			return &ls_ksrc_backends[i];
	return NULL;
}

static void known_list(char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; i < ls_ksrc_nbackends && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s (%s)", i ? ", " : "",
				       ls_ksrc_backends[i].file, ls_ksrc_backends[i].name);
}

/* Builds into cache, which the caller holds locked. */
static bool build_locked(const char *cache, const char *tree, const struct ls_ksrc_backend **sel,
			 int nsel, struct ls_ksrc_build *b, char *err, size_t errlen)
{
	char *deps[MAX_DEPS];
	int ndeps = 0;
	char built[sizeof(b->built)] = "";
	unsigned long long was, now, shims = shims_hash();
	char object[PATH_MAX];
	snprintf(object, sizeof(object), "%s/backend.so", cache);
	if (read_manifest(cache, &was, built, sizeof(built), deps, &ndeps)) {
		char why[64];
		bool same = hash_files(tree, deps, ndeps, &now, why, sizeof(why)) &&
			    ls_fnv1a_more(now, &shims, sizeof(shims)) == was;
		free_deps(deps, ndeps);
		ndeps = 0;
		if (same && is_file(object)) {
			b->hash = was;
			snprintf(b->built, sizeof(b->built), "%s", built);
			b->fresh = false;
			return true;
		}
	}
	char srcdir[PATH_MAX], copies[PATH_MAX];
	snprintf(srcdir, sizeof(srcdir), "%s/src", cache);
	snprintf(copies, sizeof(copies), "%s/tree", cache);
	for (const struct ls_ksrc_file *f = ls_ksrc_files; f->path; f++)
		if (!put(srcdir, f->path, f->data, f->len))
			return failf(err, errlen, "%s/%s: %s", srcdir, f->path, strerror(errno));
	const char *names[8];
	int n = 0;
	built[0] = '\0';
	for (int i = 0; i < nsel; i++) {
		for (int h = 0; h < 6 && sel[i]->headers[h]; h++) {
			char from[PATH_MAX], rel[PATH_MAX];
			snprintf(from, sizeof(from), "%s/include/%s", tree, sel[i]->headers[h]);
			snprintf(rel, sizeof(rel), "include/%s", sel[i]->headers[h]);
			size_t len;
			char *data = ls_read_file(from, &len);
			if (!data)
				continue;	/* the compilation names it if a file includes it */
			bool ok = put(copies, rel, data, len);
			free(data);
			if (!ok)
				return failf(err, errlen, "%s/%s: %s", copies, rel, strerror(errno));
		}
		char ferr[1024];
		if (!compile(cache, tree, sel[i]->name, sel[i]->glue, ferr, sizeof(ferr)))
			return failf(err, errlen, "building the %s backend: %s", sel[i]->name, ferr);
		names[n++] = sel[i]->name;
		size_t at = strlen(built);
		snprintf(built + at, sizeof(built) - at, "%s%s", at ? " " : "", sel[i]->name);
	}
	if (!compile(cache, tree, "runtime", "glue/runtime.c", err, errlen))
		return false;
	names[n++] = "runtime";
	if (!link_object(cache, names, n, err, errlen))
		return false;
	for (int i = 0; i < nsel; i++) {
		char dfile[PATH_MAX];
		snprintf(dfile, sizeof(dfile), "%s/%s.d", cache, sel[i]->name);
		read_deps(dfile, tree, copies, deps, &ndeps);
	}
	qsort(deps, (size_t)ndeps, sizeof(deps[0]), cmp_str);
	/* kernel-source must cover at least each kernel file compiled, or a change to it would
	 * go unnoticed. */
	for (int i = 0; i < nsel; i++) {
		bool found = false;
		for (int j = 0; j < ndeps && !found; j++)
			found = strcmp(deps[j], sel[i]->file) == 0;
		if (!found) {
			free_deps(deps, ndeps);
			return failf(err, errlen, "the compiler's dependency list (%s/%s.d) does not "
				     "name %s: kernel-source could not cover it", cache, sel[i]->name,
				     sel[i]->file);
		}
	}
	bool ok = hash_files(tree, deps, ndeps, &now, err, errlen);
	now = ls_fnv1a_more(now, &shims, sizeof(shims));
	if (ok) {
		struct ls_buf m = { 0 };
		ls_buf_printf(&m, "hash %016llx\nbuilt %s\n", now, built);
		for (int i = 0; i < ndeps; i++)
			ls_buf_printf(&m, "file %s\n", deps[i]);
		ok = put(cache, "manifest", m.s, m.len);
		if (!ok)
			failf(err, errlen, "%s/manifest: %s", cache, strerror(errno));
		ls_buf_finish(&m);
	}
	free_deps(deps, ndeps);
	b->hash = now;
	snprintf(b->built, sizeof(b->built), "%s", built);
	b->fresh = true;
	return ok;
}

static bool build_tree(const char *tree, const char *const *only, int nonly,
		       struct ls_ksrc_build *b, bool hold, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->lock_fd = -1;
	char abs[PATH_MAX];
	if (!realpath(tree, abs))
		return failf(err, errlen, "kernel tree %s: %s", tree, strerror(errno));
	struct stat st;
	if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
		return failf(err, errlen, "kernel tree %s: not a directory", tree);
	if (strlen(abs) >= sizeof(b->tree))
		return failf(err, errlen, "kernel tree %s: path longer than the %zu bytes a trace "
			     "records", abs, sizeof(b->tree) - 1);
	snprintf(b->tree, sizeof(b->tree), "%s", abs);

	const struct ls_ksrc_backend *sel[8];
	int nsel = 0;
	char known[512];
	known_list(known, sizeof(known));
	for (int i = 0; i < nonly; i++) {
		const struct ls_ksrc_backend *k = backend_named(only[i]);
		if (!k)
			return failf(err, errlen, "no kernel backend for %s; lockstep builds %s",
				     only[i], known);
		bool dup = false;
		for (int j = 0; j < nsel; j++)
			dup |= sel[j] == k;
		if (!dup)
			sel[nsel++] = k;
	}
	if (!nonly)
		for (int i = 0; i < ls_ksrc_nbackends; i++)
			sel[nsel++] = &ls_ksrc_backends[i];
	int have = 0;
	for (int i = 0; i < nsel; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", abs, sel[i]->file);
		if (is_file(path))
			sel[have++] = sel[i];
		else if (nonly)
			return failf(err, errlen, "kernel tree %s has no %s", abs, sel[i]->file);
	}
	nsel = have;
	if (!nsel)
		return failf(err, errlen, "kernel tree %s has none of the files lockstep builds (%s): "
			     "is it a kernel source tree?", abs, known);

	unsigned long long key = ls_fnv1a(abs, strlen(abs) + 1), shims = shims_hash();
	key = ls_fnv1a_more(key, &shims, sizeof(shims));
	for (int i = 0; i < nsel; i++)
		key = ls_fnv1a_more(key, sel[i]->name, strlen(sel[i]->name) + 1);
	char base[CACHE_MAX - 64], cache[CACHE_MAX];
	if (!cache_base(base, sizeof(base)))
		return failf(err, errlen, "the cache directory's path is longer than %zu bytes (set "
			     "LOCKSTEP_CACHE_DIR to a shorter one)", sizeof(base) - 1);
	snprintf(cache, sizeof(cache), "%s/ksrc/%016llx", base, key);
	if (!ls_mkdirs(cache))
		return failf(err, errlen, "cache directory %s: %s (set LOCKSTEP_CACHE_DIR)", cache,
			     strerror(errno));
	snprintf(b->object, sizeof(b->object), "%s/backend.so", cache);

	char lockpath[PATH_MAX];
	snprintf(lockpath, sizeof(lockpath), "%s/lock", cache);
	int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		if (fd >= 0)
			close(fd);
		return failf(err, errlen, "%s: %s", lockpath, strerror(errno));
	}
	bool ok = build_locked(cache, abs, sel, nsel, b, err, errlen);
	if (ok && hold)
		b->lock_fd = fd;
	else
		close(fd);
	return ok;
}

bool ls_ksrc_build(const char *tree, const char *const *only, int nonly, struct ls_ksrc_build *b,
		   char *err, size_t errlen)
{
	return build_tree(tree, only, nonly, b, false, err, errlen);
}

bool ls_ksrc_build_held(const char *tree, struct ls_ksrc_build *b, char *err, size_t errlen)
{
	return build_tree(tree, NULL, 0, b, true, err, errlen);
}

void ls_ksrc_release(struct ls_ksrc_build *b)
{
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	b->lock_fd = -1;
}
