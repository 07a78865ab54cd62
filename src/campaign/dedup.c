/* Deduplication for `lockstep fuzz` (pool.c explains the campaign): one row per bug (src/bug.c)
 * with the placements seen under it, the kept-trace rule (a bug keeps its smallest trace: a hang
 * over a validator's prediction, then the fewest decisions, the fewest steps, the smallest
 * execution index, so the kept trace does not depend on which worker got there first; a trace an
 * earlier campaign left is replaced only by a smaller one), hits per bug and per placement, and
 * the findings directory's README.md and index.tsv, rewritten at most every README_PERIOD_S
 * while the campaign runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "../bug.h"

uint64_t ls_fuzz_total_executions(const struct parent *p)
{
	uint64_t n = p->executions;
	for (uint64_t j = 0; j < p->cp->jobs; j++)
		if (p->w[j].pid)
			n += __atomic_load_n(&p->w[j].page->done, __ATOMIC_ACQUIRE);
	return n;
}

/* Hits of every bug and placement, the live workers' shared counts included: hits[i] for bug
 * i, plh[i][j] for its placement j. */
static void total_hits(const struct parent *p, uint64_t *hits, uint64_t **plh)
{
	for (int i = 0; i < p->nf; i++) {
		hits[i] = p->f[i].hits;
		for (int j = 0; j < p->f[i].npl; j++)
			plh[i][j] = p->f[i].pl[j].hits;
	}
	for (uint64_t j = 0; j < p->cp->jobs; j++) {
		const struct worker *w = &p->w[j];
		if (!w->pid)
			continue;
		for (uint32_t k = 0; k < w->nmap && k < LOCAL_MAX; k++) {
			uint64_t n = __atomic_load_n(&w->page->hits[k], __ATOMIC_RELAXED);
			hits[w->map[k].bug] += n;
			plh[w->map[k].bug][w->map[k].pl] += n;
		}
	}
}

static void *xcalloc(size_t n, size_t size)
{
	void *v = calloc(n ? n : 1, size);
	if (!v)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	return v;
}

void ls_fuzz_dir_update(struct parent *p, bool force)
{
	double t = ls_wall_s();
	if (force ? !p->dir_touched : !p->dir_dirty || t - p->dir_written < README_PERIOD_S)
		return;
	uint64_t *hits = xcalloc((size_t)p->nf, sizeof(*hits));
	uint64_t **plh = xcalloc((size_t)p->nf, sizeof(*plh));
	for (int i = 0; i < p->nf; i++)
		plh[i] = xcalloc((size_t)p->f[i].npl, sizeof(**plh));
	total_hits(p, hits, plh);
	for (int i = 0; i < p->nf; i++) {
		struct ls_fuzz_finding *f = &p->f[i];
		struct ls_finding_row *row = ls_finding_dir_get(&p->dir, f->path);
		if (!row)
			continue;
		/* Only what is new since the last write: others may write to the directory too. */
		row->hits = row->hits_on_disk + (hits[i] - f->written_hits);
		if (f->ours && f->kept_exec != UINT64_MAX)
			row->first_exec = f->kept_exec;
		for (int j = 0; j < f->npl; j++) {
			struct ls_finding_place *pl = ls_finding_dir_place(&p->dir, f->path,
									   f->pl[j].signature);
			if (pl)
				pl->hits = pl->hits_on_disk + (plh[i][j] - f->pl[j].written_hits);
		}
	}
	bool ok = ls_finding_dir_write(&p->dir);
	if (!ok && !p->dir_failed) {
		/* A full disk: said once; the next update tries again. */
		if (p->tty)
			fputc('\n', stderr);
		fprintf(stderr, "fuzz: cannot update %s/README.md and index.tsv: %s; findings are "
				"still reported here\n", p->dir.dir, strerror(errno));
	}
	p->dir_failed = !ok;
	if (ok) {
		for (int i = 0; i < p->nf; i++) {
			p->f[i].written_hits = hits[i];
			for (int j = 0; j < p->f[i].npl; j++)
				p->f[i].pl[j].written_hits = plh[i][j];
		}
		p->dir_dirty = false;
	}
	for (int i = 0; i < p->nf; i++)
		free(plh[i]);
	free(plh);
	free(hits);
	p->dir_written = t;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	return d;
}

struct slot ls_fuzz_place(struct parent *p, const struct arrival *a)
{
	struct slot at = { -1, -1 };
	for (int i = 0; i < p->nf && at.bug < 0; i++)
		if (p->f[i].hash == a->bug_hash && strcmp(p->f[i].bug, a->bug) == 0)
			at.bug = i;
	if (at.bug < 0) {
		if (!(p->f = ls_grow(p->f, &p->capf, p->nf, sizeof(*p->f))))
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		struct ls_fuzz_finding *f = &p->f[p->nf];
		memset(f, 0, sizeof(*f));
		f->kind = a->kind;
		f->hash = a->bug_hash;
		f->bug = xstrdup(a->bug);
		f->title = xstrdup(a->title);
		snprintf(f->shape, sizeof(f->shape), "%s", a->shape);
		snprintf(f->path, sizeof(f->path), "%s", a->path);
		f->first_exec = f->kept_exec = UINT64_MAX;
		at.bug = p->nf++;
	}
	struct ls_fuzz_finding *f = &p->f[at.bug];
	for (int j = 0; j < f->npl && at.pl < 0; j++)
		if (strcmp(f->pl[j].signature, a->signature) == 0)
			at.pl = j;
	if (at.pl < 0) {
		if (!(f->pl = ls_grow(f->pl, &f->cappl, f->npl, sizeof(*f->pl))))
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		struct ls_fuzz_placement *pl = &f->pl[f->npl];
		memset(pl, 0, sizeof(*pl));
		pl->signature = xstrdup(a->signature);
		pl->kind = a->kind;
		snprintf(pl->shape, sizeof(pl->shape), "%s", a->shape);
		pl->first_exec = UINT64_MAX;
		at.pl = f->npl++;
	}
	return at;
}

/* (rank, decisions, steps, execution) of a against the bug's kept trace. */
bool ls_fuzz_smaller(const struct parent *p, int bug, const struct arrival *a)
{
	const struct ls_fuzz_finding *f = &p->f[bug];
	if (f->kept_exec == UINT64_MAX)
		return true;
	int c = ls_bug_trace_cmp(a->kind, a->decisions, a->steps, f->kind, f->kept_decisions,
				 f->kept_steps);
	return c ? c < 0 : a->exec < f->kept_exec;
}

void ls_fuzz_file(struct parent *p, struct slot at, const struct arrival *a)
{
	struct ls_fuzz_finding *f = &p->f[at.bug];
	struct ls_fuzz_placement *pl = &f->pl[at.pl];
	const struct ls_session *s = &p->cp->s;
	if (ls_variant_bug(&s->target->variants[s->variant], a->kind)) {
		if (p->bug_exec == UINT64_MAX || a->wall < p->bug_wall)
			p->bug_wall = a->wall;
		if (a->exec < p->bug_exec) {
			p->bug_exec = a->exec;
			p->bug_kind = a->kind;
		}
		p->bug_stop = p->cp->stop_on_bug;
	}
	bool fresh = f->first_exec == UINT64_MAX;
	bool new_pl = pl->first_exec == UINT64_MAX;
	if (a->exec < pl->first_exec) {
		pl->first_exec = a->exec;
		pl->first_seed = a->seed;
	}
	if (a->exec < f->first_exec) {
		f->first_exec = a->exec;
		f->first_seed = a->seed;
	}
	bool keep = ls_fuzz_smaller(p, at.bug, a);
	bool was_ours = f->ours;
	if (keep && f->kept_exec == UINT64_MAX && !f->ours) {
		/* The bug's first trace this campaign: an earlier campaign's stays if not larger. */
		if (ls_finding_kept_over(f->path, a->kind, a->decisions, a->steps))
			keep = false;
		else
			f->ours = true;
	}
	uint64_t was = f->kept_exec;
	if (keep) {
		struct ls_fuzz_finding before = *f;
		f->kind = a->kind;
		snprintf(f->shape, sizeof(f->shape), "%s", a->shape);
		f->kept_exec = a->exec;
		f->kept_seed = a->seed;
		f->kept_decisions = a->decisions;
		f->kept_steps = a->steps;
		f->kept_pl = at.pl;
		struct ls_buf r = { (char *)a->report, a->rlen, a->rlen };
		struct ls_buf t = { (char *)a->trace, a->tlen, a->tlen };
		bool had = access(f->path, F_OK) == 0;
		bool saved = ls_try_write_finding(f->path, &r, &t);
		int e = errno;
		if (p->tty && !saved)
			fputc('\n', stderr);
		if (!saved && had) {
			/* The trace already there (this campaign's or an earlier one's) stays, with
			 * its report, and stays the kept one. */
			*f = before;
			f->ours = was_ours;
			keep = false;
			fprintf(stderr, "fuzz: cannot save a smaller trace of %s (execution %" PRIu64
					"): %s; the trace already there stays\n", f->path, a->exec,
				strerror(e));
		} else if (!saved) {
			f->unsaved = true;
			f->unsaved_errno = e;
			fprintf(stderr, "fuzz: cannot save %s: %s; the finding is reported here only\n",
				f->path, strerror(e));
		} else {
			f->unsaved = false;
		}
		ls_finding_dir_refresh(&p->dir, f->path);
	} else if (fresh) {
		ls_finding_dir_get(&p->dir, f->path);	/* a row for it, from the trace's header */
	}
	p->dir_dirty = p->dir_touched = true;
	if (p->h->finding && (fresh || new_pl || keep))
		p->h->finding(p->h->arg, f, fresh, new_pl && !fresh ? at.pl : -1, a->exec,
			      keep ? was : f->kept_exec, a->report, a->rlen);
}

void ls_fuzz_map_local(struct worker *w, uint32_t local, struct slot at)
{
	if (local < w->nmap)
		return;		/* a smaller trace of a placement it reported before */
	if (local != w->nmap)
		ls_die(LS_EXIT_INTERNAL, "worker %d numbered a finding %u after %u", w->slot, local,
		       w->nmap);
	if (w->nmap == w->capmap) {
		w->capmap = w->capmap ? 2 * w->capmap : 16;
		w->map = realloc(w->map, w->capmap * sizeof(*w->map));
		if (!w->map)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	w->map[w->nmap++] = at;
}
