/* Deduplication for `lockstep fuzz` (pool.c explains the campaign): one row per signature, the
 * kept-trace rule (the smallest execution index that reached a signature keeps its trace; a trace
 * from an earlier campaign is never replaced), hits, and the findings directory's README.md and
 * index.tsv, rewritten at most every README_PERIOD_S while the campaign runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

uint64_t ls_fuzz_total_executions(const struct parent *p)
{
	uint64_t n = p->executions;
	for (uint64_t j = 0; j < p->cp->jobs; j++)
		if (p->w[j].pid)
			n += __atomic_load_n(&p->w[j].page->done, __ATOMIC_ACQUIRE);
	return n;
}

/* Hits of every finding, the live workers' shared counts included. */
static void total_hits(const struct parent *p, uint64_t *hits)
{
	for (int i = 0; i < p->nf; i++)
		hits[i] = p->f[i].hits;
	for (uint64_t j = 0; j < p->cp->jobs; j++) {
		const struct worker *w = &p->w[j];
		if (!w->pid)
			continue;
		for (uint32_t k = 0; k < w->nmap && k < LOCAL_MAX; k++)
			hits[w->map[k]] += __atomic_load_n(&w->page->hits[k], __ATOMIC_RELAXED);
	}
}

void ls_fuzz_dir_update(struct parent *p, bool force)
{
	double t = ls_wall_s();
	if (force ? !p->dir_touched : !p->dir_dirty || t - p->dir_written < README_PERIOD_S)
		return;
	uint64_t *hits = calloc((size_t)p->nf + 1, sizeof(*hits));
	if (!hits)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	total_hits(p, hits);
	for (int i = 0; i < p->nf; i++) {
		struct ls_finding_row *row = ls_finding_dir_get(&p->dir, p->f[i].path);
		if (!row)
			continue;
		/* Only what is new since the last write: others may write to the directory too. */
		row->hits = row->hits_on_disk + (hits[i] - p->f[i].written_hits);
		if (p->f[i].ours) {
			row->first_exec = p->f[i].first_exec;
			row->seed = p->f[i].first_seed;
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
		for (int i = 0; i < p->nf; i++)
			p->f[i].written_hits = hits[i];
		p->dir_dirty = false;
	}
	free(hits);
	p->dir_written = t;
}

int ls_fuzz_find(const struct parent *p, unsigned long long hash, const char *signature)
{
	for (int i = 0; i < p->nf; i++)
		if (p->f[i].hash == hash && strcmp(p->f[i].signature, signature) == 0)
			return i;
	return -1;
}

int ls_fuzz_add(struct parent *p, enum ls_kind kind, unsigned long long hash,
		       const char *signature, const char *shape, const char *path)
{
	if (p->nf == p->capf) {
		p->capf = p->capf ? 2 * p->capf : 16;
		p->f = realloc(p->f, (size_t)p->capf * sizeof(*p->f));
		if (!p->f)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	struct ls_fuzz_finding *f = &p->f[p->nf];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->hash = hash;
	f->signature = strdup(signature);
	if (!f->signature)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	snprintf(f->shape, sizeof(f->shape), "%s", shape);
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->first_exec = UINT64_MAX;
	return p->nf++;
}

/* Files a report of finding i at execution exec, which ended at wall time `wall`: a new finding,
 * or an earlier execution of one, has its report and trace written (unless its trace is from an
 * earlier campaign).  A bug for the variant is the campaign's first bug if nothing came before. */
void ls_fuzz_file(struct parent *p, int i, uint64_t exec, uint64_t seed, double wall,
			 const char *report, size_t rlen, const char *trace, size_t tlen)
{
	struct ls_fuzz_finding *f = &p->f[i];
	const struct ls_session *s = &p->cp->s;
	if (ls_variant_bug(&s->target->variants[s->variant], f->kind)) {
		if (p->bug_exec == UINT64_MAX || wall < p->bug_wall)
			p->bug_wall = wall;
		if (exec < p->bug_exec) {
			p->bug_exec = exec;
			p->bug_kind = f->kind;
		}
		p->bug_stop = p->cp->stop_on_bug;
	}
	bool fresh = f->first_exec == UINT64_MAX;
	if (!fresh && exec >= f->first_exec)
		return;
	uint64_t was = f->first_exec;
	f->first_exec = exec;
	f->first_seed = seed;
	if (fresh) {
		FILE *old = fopen(f->path, "r");
		if (old)
			fclose(old);	/* from an earlier campaign: the first trace is kept */
		f->ours = !old;
	}
	if (f->ours) {
		struct ls_buf r = { (char *)report, rlen, rlen }, t = { (char *)trace, tlen, tlen };
		f->unsaved = !ls_try_write_finding(f->path, &r, &t);
		if (f->unsaved) {
			f->unsaved_errno = errno;
			if (p->tty)
				fputc('\n', stderr);
			fprintf(stderr, "fuzz: cannot save %s: %s; the finding is reported here only\n",
				f->path, strerror(errno));
		}
	}
	if (fresh)
		ls_finding_dir_get(&p->dir, f->path);	/* a row for it, from the trace's header */
	p->dir_dirty = p->dir_touched = true;
	if (p->h->finding)
		p->h->finding(p->h->arg, f, fresh, exec, was, report, rlen);
}

void ls_fuzz_map_local(struct worker *w, uint32_t local, int idx)
{
	if (local != w->nmap)
		ls_die(LS_EXIT_INTERNAL, "worker %d numbered a finding %u after %u", w->slot, local,
		       w->nmap);
	if (w->nmap == w->capmap) {
		w->capmap = w->capmap ? 2 * w->capmap : 16;
		w->map = realloc(w->map, w->capmap * sizeof(*w->map));
		if (!w->map)
			ls_die(LS_EXIT_INTERNAL, "out of memory");
	}
	w->map[w->nmap++] = idx;
}
