/* Suite `memory`: the helpers every case file uses (memory.h). */
#include <stdlib.h>

#include "memory.h"
#include "report.h"

enum ls_kind mem_kind;

struct ls_config mem_cfg(enum ls_memory_model mm, bool reorder)
{
	struct ls_config cfg;
	ls_config_default(&cfg);
	cfg.memory_model = (uint8_t)mm;
	cfg.compiler_reorder = reorder;
	return cfg;
}

const char *mem_cfg_name(const struct ls_config *cfg, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", ls_memory_model_name((enum ls_memory_model)cfg->memory_model),
		 cfg->compiler_reorder ? "+compiler-reorder" : "");
	return buf;
}

static const char *verdict_name(enum mem_verdict v)
{
	return v == MEM_NEVER ? "Never" : v == MEM_SOMETIMES ? "Sometimes" : "Always";
}

const struct ls_ctx *mem_ctx(const char *name)
{
	const struct ls_machine *m = ls_machine_current();
	for (int i = 0; m && i < m->nctx; i++)
		if (strcmp(m->ctx[i].name, name) == 0)
			return &m->ctx[i];
	return NULL;
}

int mem_check(const struct mem_claim *c)
{
	struct ls_config cfg = mem_cfg(c->mm, c->reorder);
	struct ls_dfs_config dc = {
		.preemptions = c->preemptions ? c->preemptions : MEM_PREEMPTIONS,
		.nmis = c->nmis,
		.por = true,
	};
	struct ls_session s;
	struct ls_dfs d;
	char err[256], cname[48], label[96];
	uint64_t satisfied = 0, unclean = 0;
	int rc = TEST_PASS;
	mem_cfg_name(&cfg, cname, sizeof(cname));
	ls_dfs_label(&dc, label, sizeof(label));
	if (!ls_session_init(&s, c->t, c->variant, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", c->t->name, err);
		return TEST_FAIL;
	}
	if (!ls_dfs_init(&d, &dc, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", c->t->name, err);
		ls_session_finish(&s);
		return TEST_FAIL;
	}
	while (ls_dfs_next(&d)) {
		struct ls_result r;
		mem_kind = ls_session_run(&s, &d.base, d.exec, &r);
		ls_dfs_done(&d);
		if (c->outcome())
			satisfied++;
		if (r.kind != LS_KIND_NONE && !c->any_kind && unclean++ == 0) {
			/* The first one, explained. */
			struct ls_buf b = { 0 };
			fprintf(stderr, "  %s:%s under %s, %s, execution %" PRIu64 ": %s%s%s\n",
				c->t->name, c->t->variants[c->variant].name, cname, label, d.exec,
				ls_kind_name(r.kind), r.signature[0] ? ": " : "", r.signature);
			ls_report_write(&s, &r, label, NULL, &b);
			fprintf(stderr, "%s", b.s ? b.s : "");
			ls_buf_finish(&b);
		}
	}
	uint64_t n = d.executions;
	enum mem_verdict got = satisfied == 0 ? MEM_NEVER
			       : satisfied == n ? MEM_ALWAYS
						: MEM_SOMETIMES;
	if (d.error[0]) {
		fprintf(stderr, "  %s under %s, %s: the search did not complete: %s\n", c->t->name,
			cname, label, d.error);
		rc = TEST_FAIL;
	} else if (n == 0) {
		fprintf(stderr, "  %s under %s, %s: no execution\n", c->t->name, cname, label);
		rc = TEST_FAIL;
	}
	if (unclean) {
		fprintf(stderr, "  %s under %s: %" PRIu64 " of %" PRIu64 " executions were not clean\n",
			c->t->name, cname, unclean, n);
		rc = TEST_FAIL;
	}
	printf("  %-9s %-22s %-26s %s (%" PRIu64 " of %" PRIu64 ")%s\n", verdict_name(got), cname,
	       c->t->name, c->what, satisfied, n, got == c->want ? "" : "  <- WRONG");
	if (got != c->want) {
		fprintf(stderr, "  %s:%s under %s, %s: \"%s\" is %s, the rule says %s (%" PRIu64
			" of %" PRIu64 " executions)\n", c->t->name, c->t->variants[c->variant].name,
			cname, label, c->what, verdict_name(got), verdict_name(c->want), satisfied, n);
		rc = TEST_FAIL;
	}
	ls_dfs_finish(&d);
	ls_session_finish(&s);
	return rc;
}
