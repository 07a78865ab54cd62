/* Sessions as the commands open them: execution options, the decision source, the target, and
 * saving what an execution found (a report and a trace, atomically) into a findings directory. */
#define _GNU_SOURCE
#include "session.h"
#include "../ksrc/ksrc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "../findings.h"
#include "../report.h"
#include "../trace.h"
#include "../../targets/targets.h"
#include "../lockdep/lockdep.h"

void ls_exec_opts_default(struct ls_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	ls_config_default(&o->cfg);
	o->p_switch = 0.1;
	o->p_slow = 0.02;
	o->p_irq = 0.05;
	o->slow = o->cfg.slow_budget;
	o->memory_model = ls_memory_model_name(o->cfg.memory_model);
	o->reorder_budget = o->cfg.reorder_budget;
	o->out = "crashes";
	o->engine = "random";
	o->pct_depth = 3;
}

void ls_random_label(const struct ls_exec_opts *o, char *buf, size_t n)
{
	snprintf(buf, n, "random p-switch %g p-slow %g p-irq %g", o->p_switch, o->p_slow, o->p_irq);
}

void ls_engine_init(struct ls_engine *e, const struct ls_exec_opts *o)
{
	memset(e, 0, sizeof(*e));
	if (strcmp(o->engine, "random") == 0) {
		e->kind = LS_ENGINE_RANDOM;
		ls_random_init(&e->u.random, o->p_switch, o->p_slow, o->p_irq);
		ls_random_label(o, e->label, sizeof(e->label));
		e->st = &e->u.random.base;
	} else if (strcmp(o->engine, "pct") == 0) {
		e->kind = LS_ENGINE_PCT;
		ls_pct_init(&e->u.pct, (int)o->pct_depth);
		ls_pct_label(&e->u.pct, e->label, sizeof(e->label));
		e->st = &e->u.pct.base;
	} else {
		ls_die(LS_EXIT_USAGE, "unknown engine '%s' (available: random, pct)", o->engine);
	}
}

void ls_open_session(const char *spec, const struct ls_exec_opts *o, struct ls_session *s)
{
	const struct ls_config *cfg = &o->cfg;
	const struct ls_target *t;
	int variant;
	char err[512];
	if (!ls_target_spec(spec, &t, &variant, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s", err);
	if (!ls_session_init(s, t, variant, cfg, err, sizeof(err)))
		ls_die(LS_EXIT_INTERNAL, "%s", err);
	ls_session_set_lockdep(s, o->no_lockdep ? LS_LOCKDEP_OFF
			       : o->lockdep_compat ? LS_LOCKDEP_COMPAT : LS_LOCKDEP_ON);
}

/* The trace of a finding that cites earlier executions: their decisions come from running them
 * again (the session's strategy and their seeds make the same decisions), after the report and
 * the finding's own decisions are taken from the machine. */
static void trace_with_priors(struct ls_session *s, const struct ls_result *r,
			      const char *strategy, struct ls_buf *trace)
{
	struct ls_machine *m = s->m;
	struct ls_trace_exec main = { r->seed, NULL, m->nlog };
	struct ls_decision *own = malloc((m->nlog ? m->nlog : 1) * sizeof(*own));
	struct ls_trace_exec prior[8];
	struct ls_decision *copies[8] = { 0 };
	if (!own)
		ls_die(LS_EXIT_INTERNAL, "out of memory");
	memcpy(own, m->log, m->nlog * sizeof(*own));
	main.d = own;
	for (int i = 0; i < r->nprior; i++) {
		ls_session_rerun(s, s->strategy, r->prior_exec[i], r->prior_seed[i]);
		copies[i] = malloc((m->nlog ? m->nlog : 1) * sizeof(*copies[i]));
		if (!copies[i])
			ls_die(LS_EXIT_INTERNAL, "out of memory");
		memcpy(copies[i], m->log, m->nlog * sizeof(*copies[i]));
		prior[i] = (struct ls_trace_exec){ r->prior_seed[i], copies[i], m->nlog };
	}
	ls_trace_write_execs(s, r, strategy, prior, r->nprior, &main, trace);
	for (int i = 0; i < r->nprior; i++)
		free(copies[i]);
	free(own);
}

void ls_render_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		       const char *dir, char *path, size_t pathlen, struct ls_buf *report,
		       struct ls_buf *trace)
{
	char stem[4096];
	ls_finding_stem(dir, r, stem, sizeof(stem));
	snprintf(path, pathlen, "%s.trace", stem);
	ls_report_write(s, r, strategy, path, report);
	if (r->nprior)
		trace_with_priors(s, r, strategy, trace);
	else
		ls_trace_write(s, r, strategy, trace);
}

bool ls_try_write_finding(const char *path, const struct ls_buf *report,
			  const struct ls_buf *trace)
{
	char dir[4096], report_path[4200];
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	snprintf(report_path, sizeof(report_path), "%.*s.txt",
		 (int)(n > 6 && strcmp(path + n - 6, ".trace") == 0 ? n - 6 : n), path);
	if (!ls_mkdirs(dir))
		return false;
	/* Replacing a bug's trace with a smaller one: its report goes back if the trace fails. */
	size_t oldlen = 0;
	char *old = access(path, F_OK) == 0 ? ls_read_file(report_path, &oldlen) : NULL;
	bool ok = ls_write_atomic(report_path, report->s, report->len);
	if (ok && !ls_write_atomic(path, trace->s, trace->len)) {
		/* No report without its trace, nor a trace with another execution's report. */
		int e = errno;
		if (old)
			ls_write_atomic(report_path, old, oldlen);
		else if (access(path, F_OK) != 0)
			unlink(report_path);
		errno = e;
		ok = false;
	}
	int e = errno;
	free(old);
	errno = e;
	return ok;
}

void ls_write_finding(const char *path, const struct ls_buf *report, const struct ls_buf *trace)
{
	if (!ls_try_write_finding(path, report, trace))
		ls_die(LS_EXIT_INTERNAL, "cannot write %s: %s", path, strerror(errno));
}

void ls_note_finding(const char *path, const char *signature, uint64_t hits)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	struct ls_finding_dir d;
	if (!ls_finding_dir_load(&d, dir))
		ls_die(LS_EXIT_INTERNAL, "cannot read %s: %s", dir, strerror(errno));
	struct ls_finding_row *row = ls_finding_dir_get(&d, path);
	if (row) {
		row->hits += hits;
		struct ls_finding_place *pl = ls_finding_dir_place(&d, path, signature);
		if (pl)
			pl->hits += hits;
	}
	if (!ls_finding_dir_write(&d))
		ls_die(LS_EXIT_INTERNAL, "cannot write the index of %s: %s", dir, strerror(errno));
	ls_finding_dir_finish(&d);
}

bool ls_save_finding(struct ls_session *s, const struct ls_result *r, const char *strategy,
		     const char *dir, char *path, size_t pathlen, struct ls_buf *report)
{
	char stem[4096];
	ls_finding_stem(dir, r, stem, sizeof(stem));
	snprintf(path, pathlen, "%s.trace", stem);
	if (!ls_mkdirs(dir))
		ls_die(LS_EXIT_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
	if (ls_finding_kept_over(path, r->kind, s->m->nlog, r->steps)) {
		ls_report_write(s, r, strategy, path, report);
		return false;	/* a bug keeps its smallest trace */
	}
	struct ls_buf trace = { 0 };
	ls_render_finding(s, r, strategy, dir, path, pathlen, report, &trace);
	ls_write_finding(path, report, &trace);
	ls_buf_finish(&trace);
	return true;
}

void ls_json_bug(struct ls_buf *b, const struct ls_result *r)
{
	if (r->kind == LS_KIND_NONE)
		return;
	ls_buf_printf(b, ",\"bug_hash\":\"%012llx\",\"title\":", r->bug_hash & 0xffffffffffffull);
	ls_json_str(b, r->title);
	ls_buf_printf(b, ",\"identity\":");
	ls_json_str(b, r->bug);
}

void ls_json_lockdep(struct ls_buf *b, const struct ls_session *s, const struct ls_result *r)
{
	const struct ls_lockdep_report *ld = r->kind != LS_KIND_NONE ? ls_lockdep_report() : NULL;
	ls_buf_printf(b, ",\"shape\":");
	ls_json_str(b, r->shape[0] ? r->shape : ls_kind_name(r->kind));
	if (!ld)
		return;
	ls_buf_printf(b, ",\"lockdep\":{\"mode\":\"%s\",\"bug\":", ls_lockdep_mode_name(s->lockdep));
	ls_json_str(b, ls_lockdep_bug_title(ld->bug));
	ls_buf_printf(b, ",\"shape\":");
	ls_json_str(b, ld->shape);
	ls_buf_printf(b, ",\"averted\":%s,\"context\":", ld->averted ? "true" : "false");
	ls_json_str(b, ls_ctx_name(ld->ctx));
	ls_buf_printf(b, ",\"step\":%" PRIu64 ",\"acquiring\":", ld->step);
	ls_json_str(b, ls_lockdep_class(ld->next.class_id)->name);
	if (ld->bug == LS_BUG_CIRCULAR || ld->bug == LS_BUG_RECURSIVE ||
	    ld->bug == LS_BUG_INTERRUPT_AA || ld->bug == LS_BUG_IRQ_ORDER) {
		ls_buf_printf(b, ",\"holding\":");
		ls_json_str(b, ls_lockdep_class(ld->prev.class_id)->name);
	}
	if (ld->usage_old >= 0 && ld->bug != LS_BUG_IRQ_ORDER) {
		ls_buf_printf(b, ",\"usage\":[");
		ls_json_str(b, ls_usage_name(ld->usage_old));
		ls_buf_printf(b, ",");
		ls_json_str(b, ls_usage_name(ld->usage_new));
		ls_buf_printf(b, "]");
	}
	ls_buf_printf(b, ",\"chain\":[");
	for (int i = 0; i < ld->nchain; i++) {
		const struct ls_dep *d = ls_lockdep_dep(ld->chain[i]);
		ls_buf_printf(b, "%s{\"from\":", i ? "," : "");
		ls_json_str(b, ls_lockdep_class(d->from)->name);
		ls_buf_printf(b, ",\"to\":");
		ls_json_str(b, ls_lockdep_class(d->to)->name);
		ls_buf_printf(b, ",\"context\":");
		ls_json_str(b, d->origin.ctx);
		ls_buf_printf(b, ",\"step\":%" PRIu64 ",\"execution\":%" PRIu32 ",\"seed\":%" PRIu64
				 ",\"site\":",
			      d->origin.step, d->origin.exec, d->origin.seed);
		char site[300];
		const char *file = d->origin.site ? d->origin.site->file : "?";
		if (strstr(file, "targets/"))
			file = strstr(file, "targets/");
		snprintf(site, sizeof(site), "%s:%d", file,
			 d->origin.site ? d->origin.site->line : 0);
		ls_json_str(b, site);
		ls_buf_printf(b, "}");
	}
	ls_buf_printf(b, "],\"prior_seeds\":[");
	for (int i = 0; i < ld->nprior; i++)
		ls_buf_printf(b, "%s%" PRIu64, i ? "," : "", ld->prior_seed[i]);
	ls_buf_printf(b, "]}");
}

/* The kernel tree a trace needs: given, loaded, and its files the ones the trace ran. */
static void trace_kernel(const char *file, const struct ls_trace *t, const char *kernel_opt)
{
	char err[2048];
	if (!t->has_kernel) {
		if (kernel_opt)
			ls_die(LS_EXIT_USAGE, "%s was recorded with lockstep's hand models, not a "
			       "kernel tree: replay it without --kernel-tree", file);
		return;
	}
	if (!kernel_opt)
		ls_die(LS_EXIT_USAGE, "%s ran the kernel sources of %s (kernel-source %016llx), and "
		       "lockstep never builds code because a trace names it: pass --kernel-tree %s",
		       file, t->kernel_tree, t->kernel_hash, t->kernel_tree);
	if (!ls_ksrc_load(kernel_opt, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "--kernel-tree: %s", err);
	const struct ls_ksrc_build *k = ls_ksrc_active();
	if (k->hash != t->kernel_hash)
		ls_die(LS_EXIT_USAGE, "%s was recorded against other kernel sources: the files "
		       "compiled from %s hash to %016llx, the trace's kernel-source is %016llx (from "
		       "%s); replay refused", file, k->tree, k->hash, t->kernel_hash,
		       t->kernel_tree);
}

void ls_trace_open(const char *file, const char *text, size_t len, const char *target_opt,
		   const char *kernel_opt, struct ls_trace *t, const struct ls_target **target,
		   int *variant)
{
	char err[1400];
	if (memchr(text, 0, len))
		ls_die(LS_EXIT_USAGE, "%s: not a lockstep trace (binary data)", file);
	if (!ls_trace_parse(text, len, t, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	trace_kernel(file, t, kernel_opt);
	char name[4096];
	const char *want = NULL;
	if (target_opt && !ls_target_spec_split(target_opt, name, sizeof(name), &want))
		ls_die(LS_EXIT_USAGE, "--target: expected TARGET[:VARIANT] or FILE.so, got '%s'",
		       target_opt);
	if (want && strcmp(want, t->variant) != 0)
		ls_die(LS_EXIT_USAGE, "%s is a trace of variant %s; --target names variant %s", file,
		       t->variant, want);
	const char *load = t->target;
	if (!ls_target_names_object(t->target)) {
		if (target_opt && strcmp(name, t->target) != 0)
			ls_die(LS_EXIT_USAGE, "%s is a trace of %s; --target names %s", file,
			       t->target, name);
	} else if (!target_opt) {
		ls_die(LS_EXIT_USAGE, "%s: the trace's target %s is a shared object, and lockstep "
		       "never loads code because a trace names it: pass --target %s (the object "
		       "the trace was recorded with)", file, t->target, t->target);
	} else if (!ls_target_names_object(name)) {
		ls_die(LS_EXIT_USAGE, "%s is a trace of the shared object %s; --target names %s",
		       file, t->target, name);
	} else {
		unsigned long long hash;
		if (!ls_object_hash(name, &hash, err, sizeof(err)))
			ls_die(LS_EXIT_USAGE, "%s", err);
		if (!t->has_target_hash)
			fprintf(stderr, "%s: note: %s has no target-hash line (an older lockstep "
				"wrote it): %s is loaded unchecked\n", ls_prog, file, name);
		else if (hash != t->target_hash)
			ls_die(LS_EXIT_USAGE, "%s is not the object %s was recorded with: its content "
			       "hash is %016llx, the trace's target-hash %016llx (rebuild the object "
			       "as it was, or record the trace again)", name, file, hash,
			       t->target_hash);
		load = name;
	}
	*target = ls_target_find(load, err, sizeof(err));
	if (!*target)
		ls_die(LS_EXIT_USAGE, "%s: %s", file, err);
	unsigned long long loaded;
	if (t->has_target_hash && ls_target_object_hash(*target, &loaded) && loaded != t->target_hash)
		ls_die(LS_EXIT_USAGE, "%s changed while it was loaded: its content hash is now %016llx, "
		       "the trace's %016llx", load, loaded, t->target_hash);
	*variant = ls_variant_find(*target, t->variant);
	if (*variant < 0)
		ls_die(LS_EXIT_USAGE, "%s: target %s has no variant '%s'", file, load, t->variant);
}

