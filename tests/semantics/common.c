/* Suite `semantics`: the helpers every case file uses (semantics.h). */
#include <stdlib.h>

#include "report.h"
#include "semantics.h"

void sem_open(struct ls_session *s, const struct ls_target *t, int variant,
	      const struct ls_config *cfg)
{
	struct ls_config def;
	char err[256];
	if (!cfg) {
		ls_config_default(&def);
		cfg = &def;
	}
	if (!ls_session_init(s, t, variant, cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		exit(TEST_FAIL);
	}
}

void sem_explain(struct ls_session *s, const struct ls_result *r, const char *strategy)
{
	struct ls_buf b = { 0 };
	fprintf(stderr, "  %s:%s, %s, seed %" PRIu64 ": outcome %s%s%s (%" PRIu64 " steps)\n",
		s->target->name, s->target->variants[s->variant].name, strategy, r->seed,
		ls_kind_name(r->kind), r->signature[0] ? ": " : "", r->signature, r->steps);
	if (r->kind != LS_KIND_NONE) {
		ls_report_write(s, r, strategy, NULL, &b);
		fprintf(stderr, "%s", b.s ? b.s : "");
	}
	ls_buf_finish(&b);
}

/* ---- the strategy --------------------------------------------------------------------------- */

static void sem_begin(struct ls_strategy *base, uint64_t seed)
{
	struct sem_strategy *s = (struct sem_strategy *)base;
	s->picked = 0;
	s->walk.base.begin(&s->walk.base, seed);
}

static int sem_choose(struct ls_strategy *base, struct ls_point *pt)
{
	struct sem_strategy *s = (struct sem_strategy *)base;
	int i = s->pick ? s->pick(s, pt) : -1;
	if (i >= 0) {
		s->picked++;
		return i;
	}
	return s->walk.base.choose(&s->walk.base, pt);
}

void sem_strategy_init(struct sem_strategy *s, sem_pick_fn pick, double p_switch, double p_slow,
		       double p_irq)
{
	memset(s, 0, sizeof(*s));
	s->base.name = "semantics";
	s->base.begin = sem_begin;
	s->base.choose = sem_choose;
	s->pick = pick;
	ls_random_init(&s->walk, p_switch, p_slow, p_irq);
}

int sem_choice(struct ls_point *pt, enum ls_choice_kind kind, int cpu)
{
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (pt->choices[i].kind == kind && (cpu < 0 || pt->choices[i].cpu == cpu))
			return i;
	return -1;
}

int sem_run_choice(struct ls_point *pt, int ctx)
{
	int n = ls_point_choices(pt);
	for (int i = 0; i < n; i++)
		if (pt->choices[i].kind == LS_CH_RUN && pt->choices[i].ctx == ctx)
			return i;
	return -1;
}

/* ---- dfs ------------------------------------------------------------------------------------ */

int sem_dfs(const struct ls_target *t, int variant, const struct ls_config *cfg,
	    unsigned preemptions, unsigned nmis, bool por,
	    int (*each)(struct ls_session *s, const struct ls_result *r, void *arg), void *arg,
	    uint64_t *executions)
{
	struct ls_session s;
	struct ls_dfs d;
	struct ls_dfs_config dc = { .preemptions = preemptions, .nmis = nmis, .por = por };
	char err[256];
	int rc = 0;
	sem_open(&s, t, variant, cfg);
	if (!ls_dfs_init(&d, &dc, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		ls_session_finish(&s);
		return -1;
	}
	while (rc == 0 && ls_dfs_next(&d)) {
		struct ls_result r;
		ls_session_run(&s, &d.base, d.exec, &r);
		ls_dfs_done(&d);
		rc = each ? each(&s, &r, arg) : 0;
		if (rc) {
			char label[96];
			ls_dfs_label(&dc, label, sizeof(label));
			if (rc == TEST_FAIL)
				sem_explain(&s, &r, label);
		}
	}
	if (rc == 0 && d.error[0]) {
		fprintf(stderr, "%s: the dfs search stopped: %s\n", t->name, d.error);
		rc = -1;
	}
	*executions = d.executions;
	ls_dfs_finish(&d);
	ls_session_finish(&s);
	return rc;
}
