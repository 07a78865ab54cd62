/* Finding files: one trace and one report per distinct signature, in an output directory.
 * Files are written under a temporary name and renamed, so a run killed mid-way never leaves a
 * partial file, and the trace is written last, so a trace's presence means the pair is complete. */
#ifndef LS_FINDINGS_H
#define LS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

/* "<dir>/<kind>-<hash>" without extension. */
void ls_finding_stem(const char *dir, const struct ls_result *r, char *buf, size_t n);

/* Creates dir (and parents) if needed; false with errno set on failure. */
bool ls_mkdirs(const char *dir);

/* Writes data to path: atomically (a temporary file, then a rename) for a regular file or a new
 * one, through a symlink to the file it names, and straight through for a character device or
 * a FIFO (/dev/null, /dev/stdout), which a rename would replace.  Anything else (a directory)
 * fails with errno set. */
bool ls_write_atomic(const char *path, const char *data, size_t len);

enum { LS_OUT_NEW, LS_OUT_FILE, LS_OUT_STREAM, LS_OUT_BAD };
/* What path is as an output, following symlinks: LS_OUT_NEW (does not exist), LS_OUT_FILE
 * (a regular file), LS_OUT_STREAM (a character device or FIFO), LS_OUT_BAD (anything else, or
 * unreadable; errno set). */
int ls_output_kind(const char *path);
/* Whether ls_write_atomic(path) can succeed, checked before the work that produces the data:
 * false with a one-line reason in why. */
bool ls_output_check(const char *path, char *why, size_t n);

/* Reads a whole file; NULL with errno set on failure.  *len excludes the added NUL. */
char *ls_read_file(const char *path, size_t *len);

/* The most a trace or a raw fuzzer input given on the command line may hold: a trace of the
 * default million steps with a decision at every step is about 20 MB. */
#define LS_INPUT_MAX_BYTES (64u << 20)
/* Reads an input named on the command line: it must be a regular file (a FIFO or a device would
 * block or never end) of at most max bytes.  NULL with a one-line reason in why on failure. */
char *ls_read_input(const char *path, size_t max, size_t *len, char *why, size_t n);

/* ---- the directory's table of findings: README.md and index.tsv -------------------------------
 *
 * A findings directory lists what it holds in README.md: a row per *.trace file, one per bug
 * (its title, target, placements, hits, the kept trace and its replay command), then each bug's
 * placements with their hits.  The trace files are the truth:
 * each row's kind, signature, target and seed come from its trace's header, so a trace copied in
 * gets a row and a trace deleted by hand loses its row at the next update.  What a trace does
 * not say, index.tsv keeps: the hits, summed over every campaign and run that wrote to the
 * directory, the execution index within its campaign at which the kept trace was found, and the
 * placements seen under the bug with their hits ("+" lines after the row's).
 * Both files are rewritten atomically, under an flock() of DIR/.index.lock, from what the
 * directory holds at that moment: the writer's rows are merged into a fresh load, its hits as the
 * increase since it last loaded or wrote them, so campaigns, runs and explores writing to one
 * directory at once keep each other's rows and hits.
 *
 * After a kill: a trace is complete or absent (written last, by rename), so the rows rebuilt from
 * the traces at the next load are right; the hits are those of the last write (a campaign writes
 * half a second after a change at most), and loading removes the temporary files of writers
 * that no longer exist. */
#define LS_NO_EXEC UINT64_MAX

struct ls_finding_row {
	char file[256];			/* "deadlock-9897ee4b79c1.trace" */
	char shape[40];			/* the file name's kind: "deadlock", "ABBA", "crash", ... */
	char target[64], variant[64];
	char kernel_tree[256];		/* the trace's kernel-tree, "" for the hand models */
	char signature[1024];		/* the kept trace's placement */
	char bug[768], title[256];	/* "" for a trace written before bug identities */
	enum ls_kind kind;
	uint64_t decisions, steps;	/* of the kept trace */
	uint64_t seed;
	uint64_t first_exec;		/* LS_NO_EXEC: not known (`run`, or no index entry) */
	uint64_t hits;			/* 0: not known */
	uint64_t hits_on_disk;		/* hits as last loaded or written: the rest is new */
	bool readable;			/* the trace parsed; otherwise only file and shape are set */
};

/* A placement seen under a row's bug: its signature and hits, kept in index.tsv. */
struct ls_finding_place {
	char file[256];			/* the row's */
	char *signature;
	uint64_t hits, hits_on_disk;
};

struct ls_finding_dir {
	char dir[4096];			/* as given, without trailing slashes */
	struct ls_finding_row *rows;
	int n, cap;
	struct ls_finding_place *pl;
	int npl, cappl;
};

/* Reads dir's traces and index.tsv (a missing directory is empty).  False with errno set if the
 * directory cannot be read. */
bool ls_finding_dir_load(struct ls_finding_dir *d, const char *dir);
/* The row of the trace file at path (only its base name counts), added from the file's header
 * if it has none; NULL if the file cannot be read.  Valid until the next call. */
struct ls_finding_row *ls_finding_dir_get(struct ls_finding_dir *d, const char *path);
/* Whether the trace at path parses and is at least as small a trace of its bug as one of kind
 * with that many decisions and steps (ls_bug_rank(), then decisions, then steps): a bug keeps its
 * smallest trace. */
bool ls_finding_kept_over(const char *path, enum ls_kind kind, uint64_t decisions, uint64_t steps);
/* The row of path read again from its trace (after it was replaced by a smaller one); NULL if
 * the file cannot be read. */
struct ls_finding_row *ls_finding_dir_refresh(struct ls_finding_dir *d, const char *path);
/* The placement `signature` of the row of the trace at path, added with no hits if new; NULL
 * out of memory.  Valid until the next call. */
struct ls_finding_place *ls_finding_dir_place(struct ls_finding_dir *d, const char *path,
					      const char *signature);
/* Merges d into the directory as it is now and writes README.md and index.tsv (the directory
 * is created if needed), each atomically; d's rows then hold the merged hits.  False with errno
 * set on failure. */
bool ls_finding_dir_write(struct ls_finding_dir *d);
void ls_finding_dir_finish(struct ls_finding_dir *d);

#endif
