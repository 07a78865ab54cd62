/* Finding files on disk: names, directories, atomic writes, and the directory's README.md. */
#define _GNU_SOURCE
#include "findings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "bug.h"
#include "report.h"
#include "trace.h"

void ls_finding_stem(const char *dir, const struct ls_result *r, char *buf, size_t n)
{
	char family[40];
	ls_bug_family(r->bug[0] ? r->bug : r->signature, family, sizeof(family));
	snprintf(buf, n, "%s/%s-%012llx", dir, family,
		 (r->bug[0] ? r->bug_hash : r->hash) & 0xffffffffffffull);
}

bool ls_mkdirs(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return false;
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	return true;
}

/* Writes all of data to fd; false with errno set on failure. */
static bool write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		off += (size_t)w;
	}
	return true;
}

int ls_output_kind(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? LS_OUT_NEW : LS_OUT_BAD;
	if (S_ISREG(st.st_mode))
		return LS_OUT_FILE;
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return LS_OUT_STREAM;
	errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	return LS_OUT_BAD;
}

bool ls_output_check(const char *path, char *why, size_t n)
{
	char dir[4096];
	switch (ls_output_kind(path)) {
	case LS_OUT_STREAM:
		if (access(path, W_OK) == 0)
			return true;
		break;
	case LS_OUT_FILE:
	case LS_OUT_NEW: {
		/* A new file or a replaced one is made in the directory of the file itself (a
		 * symlink's target). */
		char real[4096];
		const char *p = realpath(path, real) ? real : path;
		snprintf(dir, sizeof(dir), "%s", p);
		char *slash = strrchr(dir, '/');
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = 0;
		else
			*slash = 0;
		if (access(dir, W_OK | X_OK) == 0)
			return true;
		snprintf(why, n, "cannot write %s: %s (its directory %s)", path, strerror(errno),
			 dir);
		return false;
	}
	default:
		break;
	}
	snprintf(why, n, "cannot write %s: %s", path,
		 errno == EINVAL ? "not a regular file, device or FIFO" : strerror(errno));
	return false;
}

bool ls_write_atomic(const char *path, const char *data, size_t len)
{
	/* A device or a FIFO (/dev/null, /dev/stdout) is written through, never replaced by a
	 * rename; a symlink is followed, so the file it names is the one replaced. */
	int kind = ls_output_kind(path);
	if (kind == LS_OUT_STREAM) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		bool ok = write_all(fd, data, len);
		int e = errno;
		close(fd);
		errno = e;
		return ok;
	}
	if (kind == LS_OUT_BAD)
		return false;
	char real[4096];
	struct stat lst;
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, real))
		path = real;
	char tmp[4200];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp.%ld", dirlen, path, slash ? slash + 1 : path,
		 (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return false;
	if (!write_all(fd, data, len))
		goto fail;
	if (fsync(fd) != 0 && errno != EINVAL)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return false;
	}
	return true;
fail: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return false;
}
}

char *ls_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	while (s) {
		size_t r = fread(s + n, 1, cap - n - 1, f);
		n += r;
		if (n + 1 < cap) {
			if (ferror(f)) {
				free(s);
				s = NULL;
			}
			break;
		}
		char *t = realloc(s, cap * 2);
		if (!t) {
			free(s);
			s = NULL;
			break;
		}
		s = t;
		cap *= 2;
	}
	int e = errno;
	fclose(f);
	if (!s) {
		errno = e ? e : ENOMEM;
		return NULL;
	}
	s[n] = 0;
	*len = n;
	return s;
}

char *ls_read_input(const char *path, size_t max, size_t *len, char *why, size_t n)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat() can refuse it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *s = NULL;
	if (fstat(fd, &st) != 0) {
		snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, n, "%s is %s, not a regular file", path,
			 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" :
			 "special");
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(why, n, "%s holds %lld bytes, more than the %zu MiB an input may hold", path,
			 (long long)st.st_size, max >> 20);
		goto out;
	}
	/* The size may change under us: read at most max + 1 bytes whatever fstat() said. */
	size_t cap = (size_t)st.st_size + 1, got = 0;
	s = malloc(cap + 1);
	if (!s) {
		snprintf(why, n, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (got == cap) {
			if (cap > max) {
				snprintf(why, n, "%s grew past the %zu MiB an input may hold", path,
					 max >> 20);
				free(s);
				s = NULL;
				goto out;
			}
			size_t more = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *t = realloc(s, more + 1);
			if (!t) {
				snprintf(why, n, "%s: out of memory", path);
				free(s);
				s = NULL;
				goto out;
			}
			s = t;
			cap = more;
		}
		ssize_t r = read(fd, s + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
			free(s);
			s = NULL;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	s[got] = 0;
	*len = got;
out:
	close(fd);
	return s;
}

/* ---- the directory's table ------------------------------------------------------------------ */

#define INDEX_NAME "index.tsv"

/* A finding's kept trace; KIND-HASH.min.trace, its minimized form (lockstep minimize), is not a
 * row of its own. */
static bool is_trace_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".trace") == 0 &&
	       !(n > 10 && strcmp(name + n - 10, ".min.trace") == 0);
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Reads and parses the trace at path: 1 parsed (ls_trace_free() t), 0 read but not a trace,
 * -1 not readable. */
static int read_trace(const char *path, struct ls_trace *t)
{
	size_t len;
	char *text = ls_read_file(path, &len);
	if (!text)
		return -1;
	char err[256];
	int parsed = !memchr(text, 0, len) && ls_trace_parse(text, len, t, err, sizeof(err));
	free(text);
	return parsed;
}

/* A row from the trace file's header; false if the file cannot be read at all. */
static bool read_row(const struct ls_finding_dir *d, const char *file, struct ls_finding_row *row)
{
	char path[4400];
	memset(row, 0, sizeof(*row));
	snprintf(row->file, sizeof(row->file), "%s", file);
	/* "<shape>-<12 hex digits>.trace" */
	const char *dash = strrchr(file, '-');
	snprintf(row->shape, sizeof(row->shape), "%.*s",
		 dash ? (int)(dash - file) : (int)(strlen(file) - 6), file);
	row->first_exec = LS_NO_EXEC;
	snprintf(path, sizeof(path), "%s/%s", d->dir, file);
	struct ls_trace t;
	int parsed = read_trace(path, &t);
	if (parsed < 0)
		return false;
	if (parsed) {
		row->readable = true;
		snprintf(row->target, sizeof(row->target), "%s", t.target);
		snprintf(row->variant, sizeof(row->variant), "%s", t.variant);
		snprintf(row->kernel_tree, sizeof(row->kernel_tree), "%s",
			 t.has_kernel ? t.kernel_tree : "");
		snprintf(row->signature, sizeof(row->signature), "%s", t.signature);
		snprintf(row->bug, sizeof(row->bug), "%s", t.bug);
		snprintf(row->title, sizeof(row->title), "%s", t.title);
		row->kind = t.kind;
		row->decisions = t.nsteps;
		row->steps = t.nsteps_run;
		row->seed = t.seed;
		ls_trace_free(&t);
	}
	return true;
}

static struct ls_finding_row *add_row(struct ls_finding_dir *d, const struct ls_finding_row *row)
{
	struct ls_finding_row *rows = ls_grow(d->rows, &d->cap, d->n, sizeof(*d->rows));
	if (!rows)
		return NULL;
	d->rows = rows;
	d->rows[d->n] = *row;
	return &d->rows[d->n++];
}

static struct ls_finding_row *find_row(struct ls_finding_dir *d, const char *file)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->rows[i].file, file) == 0)
			return &d->rows[i];
	return NULL;
}

static int cmp_row(const void *a, const void *b)
{
	const struct ls_finding_row *x = a, *y = b;
	int c = strcmp(x->target, y->target);
	if (!c)
		c = strcmp(x->variant, y->variant);
	return c ? c : strcmp(x->file, y->file);
}

static int cmp_place(const void *a, const void *b)
{
	const struct ls_finding_place *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->signature, y->signature);
}

/* ".NAME.tmp.PID", ls_write_atomic()'s temporary file, left behind when PID was killed before
 * its rename: removed once no process PID exists here and the file is a minute old (a writer in
 * another PID namespace sharing the directory has renamed its file long before). */
static void remove_stale_tmp(const char *dir, const char *name)
{
	const char *t = strstr(name, ".tmp.");
	if (name[0] != '.' || !t)
		return;
	char *end;
	errno = 0;
	long pid = strtol(t + 5, &end, 10);
	if (errno || *end || pid <= 0 || t[5] < '0' || t[5] > '9')
		return;
	if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return;
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && time(NULL) - st.st_mtime >= 60)
		unlink(path);
}

bool ls_finding_dir_load(struct ls_finding_dir *d, const char *dir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	for (size_t n = strlen(d->dir); n > 1 && d->dir[n - 1] == '/'; n--)
		d->dir[n - 1] = 0;
	DIR *dh = opendir(d->dir);
	if (!dh)
		return errno == ENOENT;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		struct ls_finding_row row;
		remove_stale_tmp(d->dir, e->d_name);
		if (is_trace_name(e->d_name) && read_row(d, e->d_name, &row) && !add_row(d, &row)) {
			closedir(dh);
			errno = ENOMEM;
			return false;
		}
	}
	closedir(dh);
	char path[4200];
	snprintf(path, sizeof(path), "%s/" INDEX_NAME, d->dir);
	size_t len;
	char *text = ls_read_file(path, &len);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		char file[256], first[32];
		unsigned long long hits;
		int sig = 0;
		if (line[0] == '+' && sscanf(line, "+\t%255[^\t]\t%llu\t%n", file, &hits, &sig) == 2 &&
		    sig > 0) {
			struct ls_finding_place *pl;
			if (find_row(d, file) && (pl = ls_finding_dir_place(d, file, line + sig)))
				pl->hits = pl->hits_on_disk = hits;
			continue;
		}
		if (line[0] == '#' || sscanf(line, "%255[^\t]\t%llu\t%31s", file, &hits, first) != 3)
			continue;
		struct ls_finding_row *row = find_row(d, file);
		if (!row)
			continue;	/* its trace was deleted */
		row->hits = row->hits_on_disk = hits;
		row->first_exec = strcmp(first, "-") == 0 ? LS_NO_EXEC : strtoull(first, NULL, 10);
	}
	free(text);
	if (d->n)
		qsort(d->rows, (size_t)d->n, sizeof(*d->rows), cmp_row);
	return true;
}

struct ls_finding_row *ls_finding_dir_get(struct ls_finding_dir *d, const char *path)
{
	const char *file = base_of(path);
	struct ls_finding_row *row = find_row(d, file), fresh;
	if (row)
		return row;
	if (!read_row(d, file, &fresh))
		return NULL;
	row = add_row(d, &fresh);
	if (!row)
		return NULL;
	qsort(d->rows, (size_t)d->n, sizeof(*d->rows), cmp_row);
	return find_row(d, file);
}

bool ls_finding_kept_over(const char *path, enum ls_kind kind, uint64_t decisions, uint64_t steps)
{
	struct ls_trace t;
	if (read_trace(path, &t) <= 0)
		return false;
	bool kept = ls_bug_trace_cmp(t.kind, t.nsteps, t.nsteps_run, kind, decisions, steps) <= 0;
	ls_trace_free(&t);
	return kept;
}

struct ls_finding_row *ls_finding_dir_refresh(struct ls_finding_dir *d, const char *path)
{
	struct ls_finding_row *row = ls_finding_dir_get(d, path), fresh;
	if (!row || !read_row(d, row->file, &fresh))
		return NULL;
	fresh.first_exec = row->first_exec;
	fresh.hits = row->hits;
	fresh.hits_on_disk = row->hits_on_disk;
	*row = fresh;
	return row;
}

struct ls_finding_place *ls_finding_dir_place(struct ls_finding_dir *d, const char *path,
					      const char *signature)
{
	const char *file = base_of(path);
	for (int i = 0; i < d->npl; i++)
		if (strcmp(d->pl[i].file, file) == 0 && strcmp(d->pl[i].signature, signature) == 0)
			return &d->pl[i];
	struct ls_finding_place *grown = ls_grow(d->pl, &d->cappl, d->npl, sizeof(*d->pl));
	if (!grown)
		return NULL;
	d->pl = grown;
	struct ls_finding_place *pl = &d->pl[d->npl];
	memset(pl, 0, sizeof(*pl));
	snprintf(pl->file, sizeof(pl->file), "%s", file);
	pl->signature = strdup(signature);
	if (!pl->signature)
		return NULL;
	d->npl++;
	return pl;
}

/* Text for a Markdown table cell inside a code span: no pipes, no backticks, one line. */
static void cell_code(struct ls_buf *b, const char *s)
{
	ls_buf_printf(b, "`");
	for (; *s; s++) {
		if (*s == '|')
			ls_buf_printf(b, "\\|");
		else if (*s == '`')
			ls_buf_printf(b, "'");
		else if (*s == '\n' || *s == '\r')
			ls_buf_printf(b, " ");
		else
			ls_buf_printf(b, "%c", *s);
	}
	ls_buf_printf(b, "`");
}

/* Renders d into README.md and index.tsv. */
static bool write_files(const struct ls_finding_dir *d);

bool ls_finding_dir_write(struct ls_finding_dir *d)
{
	if (!ls_mkdirs(d->dir))
		return false;
	char path[sizeof(d->dir) + 300];
	snprintf(path, sizeof(path), "%s/.index.lock", d->dir);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0)
		return false;
	while (flock(lock, LOCK_EX) != 0 && errno == EINTR)
		;
	/* The directory as it is now, with d's rows merged in. */
	struct ls_finding_dir now;
	bool ok = ls_finding_dir_load(&now, d->dir);
	for (int i = 0; ok && i < d->n; i++) {
		struct ls_finding_row *r = &d->rows[i], *w = find_row(&now, r->file);
		if (!w) {
			/* Not on disk (yet, or any more): keep the row only while its trace exists. */
			snprintf(path, sizeof(path), "%s/%s", d->dir, r->file);
			if (access(path, F_OK) != 0)
				continue;
			w = add_row(&now, r);
			if (!w) {
				errno = ENOMEM;
				ok = false;
				break;
			}
			w->hits = w->hits_on_disk = 0;
		}
		w->hits += r->hits - r->hits_on_disk;
		if (r->first_exec != LS_NO_EXEC)
			w->first_exec = r->first_exec;
		r->hits = r->hits_on_disk = w->hits;
		w->hits_on_disk = w->hits;
	}
	for (int i = 0; ok && i < d->npl; i++) {
		struct ls_finding_place *r = &d->pl[i], *w;
		if (!find_row(&now, r->file))
			continue;
		if (!(w = ls_finding_dir_place(&now, r->file, r->signature))) {
			errno = ENOMEM;
			ok = false;
			break;
		}
		w->hits += r->hits - r->hits_on_disk;
		r->hits = r->hits_on_disk = w->hits;
		w->hits_on_disk = w->hits;
	}
	if (ok) {
		if (now.n)
			qsort(now.rows, (size_t)now.n, sizeof(*now.rows), cmp_row);
		if (now.npl)
			qsort(now.pl, (size_t)now.npl, sizeof(*now.pl), cmp_place);
		ok = write_files(&now);
	}
	int e = errno;
	ls_finding_dir_finish(&now);
	close(lock);	/* releases the lock */
	errno = e;
	return ok;
}

static bool write_files(const struct ls_finding_dir *d)
{
	struct ls_buf md = { 0 }, idx = { 0 };
	ls_buf_printf(&md, "# Findings\n\n"
			   "Written by `lockstep fuzz`, `run` and `explore` whenever they add a finding "
			   "here: one row per\nbug (`KIND-HASH.trace`, with its report in "
			   "`KIND-HASH.txt`), holding the smallest trace of it\nfound so far: a hang "
			   "over the lock validator's prediction of it, then the fewest\ndecisions, "
			   "then the fewest steps.  A bug is what went wrong whatever the CPUs and "
			   "contexts\n(its title); each way it showed up is a placement, listed under "
			   "the table.  Hits count every\nexecution that reached the bug, over all the "
			   "campaigns and runs that wrote here; \"kept\" is\nwhere the kept trace was "
			   "found: its execution within its campaign and its seed.  The replay\n"
			   "command re-executes it.  `" INDEX_NAME "` keeps the hits, executions and "
			   "placements between\ncampaigns; the rest comes from the traces.\n\n");
	if (!d->n)
		ls_buf_printf(&md, "No findings yet.\n");
	else
		ls_buf_printf(&md, "| kind | bug | target | placements | hits | kept | trace | "
				   "replay |\n|---|---|---|--:|--:|---|---|---|\n");
	ls_buf_printf(&idx, "# lockstep findings index (README.md is made from it and the traces):\n"
			    "# trace file, hits, execution of the kept trace in its campaign (- if "
			    "unknown);\n# then \"+\", the file, hits and signature of each placement "
			    "of its bug\n");
	for (int i = 0; i < d->n; i++) {
		const struct ls_finding_row *r = &d->rows[i];
		int npl = 0;
		for (int j = 0; j < d->npl; j++)
			npl += strcmp(d->pl[j].file, r->file) == 0;
		ls_buf_printf(&md, "| %s | ", r->shape);
		if (r->readable) {
			cell_code(&md, r->title[0] ? r->title : r->signature);
			ls_buf_printf(&md, " | %s:%s | %d | ", r->target, r->variant, npl ? npl : 1);
		} else {
			ls_buf_printf(&md, "(the trace does not parse) | ? | ? | ");
		}
		if (r->hits)
			ls_buf_printf(&md, "%" PRIu64, r->hits);
		else
			ls_buf_printf(&md, "-");
		ls_buf_printf(&md, " | ");
		if (r->readable) {
			if (r->first_exec != LS_NO_EXEC)
				ls_buf_printf(&md, "execution %" PRIu64 ", ", r->first_exec);
			ls_buf_printf(&md, "seed %" PRIu64 ", %" PRIu64 " decision%s, %" PRIu64
					   " steps", r->seed, r->decisions,
				      r->decisions == 1 ? "" : "s", r->steps);
		}
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", d->dir, r->file);
		ls_buf_printf(&md, " | [%s](%s) | `", r->file, r->file);
		ls_replay_command(r->target, r->kernel_tree, path, &md);
		ls_buf_printf(&md, "` |\n");
		ls_buf_printf(&idx, "%s\t%" PRIu64 "\t", r->file, r->hits);
		if (r->first_exec != LS_NO_EXEC)
			ls_buf_printf(&idx, "%" PRIu64 "\n", r->first_exec);
		else
			ls_buf_printf(&idx, "-\n");
		for (int j = 0; j < d->npl; j++)
			if (strcmp(d->pl[j].file, r->file) == 0)
				ls_buf_printf(&idx, "+\t%s\t%" PRIu64 "\t%s\n", r->file, d->pl[j].hits,
					      d->pl[j].signature);
	}
	if (d->npl) {
		ls_buf_printf(&md, "\n## Placements\n\nEach bug's placements: the contexts and CPUs "
				   "it showed up with, and how many executions reached each.\n");
		for (int i = 0; i < d->n; i++) {
			const struct ls_finding_row *r = &d->rows[i];
			bool head = false;
			for (int j = 0; j < d->npl; j++) {
				const struct ls_finding_place *pl = &d->pl[j];
				if (strcmp(pl->file, r->file) != 0)
					continue;
				if (!head)
					ls_buf_printf(&md, "\n[%s](%s):\n\n", r->file, r->file);
				head = true;
				ls_buf_printf(&md, "- ");
				cell_code(&md, pl->signature);
				ls_buf_printf(&md, " (%" PRIu64 " hit%s)\n", pl->hits,
					      pl->hits == 1 ? "" : "s");
			}
		}
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/README.md", d->dir);
	bool ok = ls_write_atomic(path, md.s, md.len);
	snprintf(path, sizeof(path), "%s/" INDEX_NAME, d->dir);
	ok = ok && ls_write_atomic(path, idx.s, idx.len);
	int e = errno;
	ls_buf_finish(&md);
	ls_buf_finish(&idx);
	errno = e;
	return ok;
}

void ls_finding_dir_finish(struct ls_finding_dir *d)
{
	free(d->rows);
	for (int i = 0; i < d->npl; i++)
		free(d->pl[i].signature);
	free(d->pl);
	d->rows = NULL;
	d->pl = NULL;
	d->n = d->cap = d->npl = d->cappl = 0;
}
