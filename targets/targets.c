/* The table of in-tree targets, `TARGET[:VARIANT]` lookup, and targets loaded from shared
 * objects.  A new in-tree target adds one line here and one file to meson.build.
 *
 * A target part that is not an in-tree name but ends in ".so" or contains a '/' names a shared
 * object built against the installed headers (docs/out-of-tree.md).  It is loaded once per process
 * with dlopen(RTLD_NOW | RTLD_LOCAL): its undefined symbols (ls_point, ls_spin_lock, ...) resolve
 * against the lockstep executable, which exports them.  The loaded target is a copy of the
 * object's struct ls_target renamed to the path as given, so reports, fuzz summaries and the
 * trace's `target` line carry the path.  Objects are never unloaded.
 *
 * Loading runs the object's constructors, so nothing loads an object because a file says so: a
 * trace records the path and a content hash (FNV-1a over the object's bytes), and `replay` and
 * `minimize` load only an object the user names with --target, after checking that its hash is
 * the trace's.  An object is first loaded in a forked child, so one whose constructors crash or
 * never return is refused with a message instead of taking lockstep down. */
#define _GNU_SOURCE
#include "targets.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

#include "trace.h"
#include "litmus/litmus.h"

extern const struct ls_target ls_target_demo_abba;
extern const struct ls_target ls_target_demo_nmi_aa;
extern const struct ls_target ls_target_rqs_aa;
extern const struct ls_target ls_target_rqs_abba;
extern const struct ls_target ls_target_rqs_abbcca;
extern const struct ls_target ls_target_rqs_held_max;
extern const struct ls_target ls_target_rqs_stress_aa2;
extern const struct ls_target ls_target_rqs_stress_aa3;
extern const struct ls_target ls_target_rqs_stress_abba2;
extern const struct ls_target ls_target_rqs_stress_abba3;
extern const struct ls_target ls_target_rqs_stress_abbcca3;
extern const struct ls_target ls_target_rqs_ringbuf_nmi;
extern const struct ls_target ls_target_kptr_dtor_nmi;
extern const struct ls_target ls_target_buildid_stackmap;
extern const struct ls_target ls_target_bpf_task_vma;
extern const struct ls_target ls_target_maps_lpm_trie;
extern const struct ls_target ls_target_maps_queue_stack;
extern const struct ls_target ls_target_maps_lru_abba;
extern const struct ls_target ls_target_contention_locks;
extern const struct ls_target ls_target_bpf_contention_tracepoint;
extern const struct ls_target ls_target_qspinlock_mcs;
extern const struct ls_target ls_target_qspinlock_nmi_node;

const struct ls_target *const ls_targets[] = {
	&ls_target_demo_abba,
	&ls_target_demo_nmi_aa,
	&ls_target_rqs_aa,
	&ls_target_rqs_abba,
	&ls_target_rqs_abbcca,
	&ls_target_rqs_held_max,
	&ls_target_rqs_stress_aa2,
	&ls_target_rqs_stress_aa3,
	&ls_target_rqs_stress_abba2,
	&ls_target_rqs_stress_abba3,
	&ls_target_rqs_stress_abbcca3,
	&ls_target_rqs_ringbuf_nmi,
	&ls_target_kptr_dtor_nmi,
	&ls_target_buildid_stackmap,
	&ls_target_bpf_task_vma,
	&ls_target_maps_lpm_trie,
	&ls_target_maps_queue_stack,
	&ls_target_maps_lru_abba,
	&ls_target_contention_locks,
	&ls_target_bpf_contention_tracepoint,
	&ls_target_qspinlock_mcs,
	&ls_target_qspinlock_nmi_node,
};
const int ls_ntargets = (int)(sizeof(ls_targets) / sizeof(ls_targets[0]));

/* Longest task, interrupt source or variant name a shared object may declare: each must fit a
 * trace's choice ("nmi NAME cpu7") and variant lines. */
#define NAME_MAX_LEN 31

/* A loaded shared object; the list only grows. */
struct object {
	struct object *next;
	void *handle;
	unsigned long long hash;	/* FNV-1a of the file's bytes when it was loaded */
	struct ls_target target;	/* the object's, with .name = path */
	char path[];
};

static struct object *objects;

static bool unknown_target(const char *name, char *err, size_t errlen);

static const struct ls_target *builtin_find(const char *name)
{
	for (int i = 0; i < ls_ntargets; i++)
		if (strcmp(ls_targets[i]->name, name) == 0)
			return ls_targets[i];
	const struct ls_litmus *lt = ls_litmus_find(name);
	if (lt)
		return lt->target;
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool names_object(const char *name)
{
	return ends_with(name, ".so") || strchr(name, '/');
}

/* A name shown in traces: 1..NAME_MAX_LEN printable characters, none of them a space or in
 * `also` (variants may not contain ':', the spec's separator). */
static bool good_name(const char *name, const char *also)
{
	if (!name || !*name || strlen(name) > NAME_MAX_LEN)
		return false;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr(also, *p))
			return false;
	return true;
}

static bool check_irqs(const char *path, const char *what, const struct ls_irq_decl *d, int n,
		       int ncpus, char *err, size_t errlen)
{
	if (n < 0 || n > LS_MAX_IRQ_SOURCES || (n && !d)) {
		snprintf(err, errlen, "%s: declares %d %s sources (0..%d, with an array)", path, n,
			 what, LS_MAX_IRQ_SOURCES);
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (!good_name(d[i].name, "")) {
			snprintf(err, errlen, "%s: %s source %d needs a name of 1..%d characters "
					      "without spaces", path, what, i, NAME_MAX_LEN);
			return false;
		}
		if (!d[i].fn || !d[i].cpus || (ncpus < 32 && (d[i].cpus >> ncpus))) {
			snprintf(err, errlen, "%s: %s source %s needs a handler and CPUs among its %d",
				 path, what, d[i].name, ncpus);
			return false;
		}
	}
	return true;
}

/* What the machine and the trace need of a target, checked once so that a broken object is bad
 * input (exit 2) rather than an internal error or a crash later. */
static bool check_target(const char *path, const struct ls_target *t, char *err, size_t errlen)
{
	if (t->ncpus < 1 || t->ncpus > LS_MAX_CPUS) {
		snprintf(err, errlen, "%s: declares %d CPUs (1..%d supported)", path, t->ncpus,
			 LS_MAX_CPUS);
		return false;
	}
	if (t->ntasks < 1 || t->ntasks > LS_MAX_TASKS || !t->tasks) {
		snprintf(err, errlen, "%s: declares %d tasks (1..%d, with an array)", path, t->ntasks,
			 LS_MAX_TASKS);
		return false;
	}
	for (int i = 0; i < t->ntasks; i++) {
		const struct ls_task_decl *d = &t->tasks[i];
		if (!good_name(d->name, "@")) {
			snprintf(err, errlen, "%s: task %d needs a name of 1..%d characters without "
					      "spaces or '@'", path, i, NAME_MAX_LEN);
			return false;
		}
		if (!d->fn || d->cpu < 0 || d->cpu >= t->ncpus) {
			snprintf(err, errlen, "%s: task %s needs a function and a CPU in 0..%d", path,
				 d->name, t->ncpus - 1);
			return false;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(t->tasks[j].name, d->name) == 0) {
				snprintf(err, errlen, "%s: two tasks are named %s", path, d->name);
				return false;
			}
	}
	if (!check_irqs(path, "NMI", t->nmis, t->nnmis, t->ncpus, err, errlen) ||
	    !check_irqs(path, "hardirq", t->irqs, t->nirqs, t->ncpus, err, errlen))
		return false;
	if (t->nvariants < 1 || !t->variants) {
		snprintf(err, errlen, "%s: declares no variants", path);
		return false;
	}
	for (int i = 0; i < t->nvariants; i++) {
		const struct ls_variant *v = &t->variants[i];
		if (!good_name(v->name, ":")) {
			snprintf(err, errlen, "%s: variant %d needs a name of 1..%d characters without "
					      "spaces or ':'", path, i, NAME_MAX_LEN);
			return false;
		}
		/* LS_KIND_COUNT is "not settled" (target.h), as in-tree targets use it. */
		if ((unsigned)v->expect > LS_KIND_COUNT) {
			snprintf(err, errlen, "%s: variant %s expects unknown outcome %d", path,
				 v->name, (int)v->expect);
			return false;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(t->variants[j].name, v->name) == 0) {
				snprintf(err, errlen, "%s: two variants are named %s", path, v->name);
				return false;
			}
	}
	if (!t->init) {
		snprintf(err, errlen, "%s: has no init hook (it must reset the target's state)",
			 path);
		return false;
	}
	return true;
}

/* dlerror()'s message, on one line and without the path it usually starts with. */
static const char *dl_reason(const char *path)
{
	static char buf[512];
	const char *e = dlerror();
	size_t n = strlen(path);
	if (!e)
		return "unknown dynamic loader error";
	if (strncmp(e, path, n) == 0 && strncmp(e + n, ": ", 2) == 0)
		e += n + 2;
	snprintf(buf, sizeof(buf), "%s", e);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return buf;
}

#define OBJECT_MAX_BYTES (1u << 30)
#define LOAD_TIMEOUT_S 30

bool ls_object_hash(const char *path, unsigned long long *hash, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > OBJECT_MAX_BYTES) {
		snprintf(err, errlen, "cannot load %s: %s", path,
			 S_ISREG(st.st_mode) ? "larger than 1 GiB" : "not a regular file");
		close(fd);
		return false;
	}
	unsigned long long h = LS_FNV1A_INIT;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
			close(fd);
			return false;
		}
		h = ls_fnv1a_more(h, buf, (size_t)n);
	}
	close(fd);
	*hash = h;
	return true;
}

/* Loads the object in a child first: its constructors run there, and if they crash, end the
 * process or never return, the object is refused here rather than ending the process that asked. */
#define PROBE_LOADED 42
#define PROBE_REFUSED 43

static bool probe_load(const char *local, const char *path, char *err, size_t errlen)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot load %s: fork: %s", path, strerror(errno));
		return false;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		_exit(dlopen(local, RTLD_NOW | RTLD_LOCAL) ? PROBE_LOADED : PROBE_REFUSED);
	}
	int status = 0;
	pid_t got = 0;
	for (int waited = 0; waited < LOAD_TIMEOUT_S * 100; waited++) {
		got = waitpid(pid, &status, WNOHANG);
		if (got != 0 && !(got < 0 && errno == EINTR))
			break;
		usleep(10000);
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "cannot load %s: loading it did not finish in %d s (a "
				      "constructor that never returns?)", path, LOAD_TIMEOUT_S);
		return false;
	}
	if (got < 0) {
		snprintf(err, errlen, "cannot load %s: waitpid: %s", path, strerror(errno));
		return false;
	}
	/* A dlopen() error is reported by the real load, with its reason. */
	if (WIFEXITED(status) &&
	    (WEXITSTATUS(status) == PROBE_LOADED || WEXITSTATUS(status) == PROBE_REFUSED))
		return true;
	if (WIFEXITED(status))
		snprintf(err, errlen, "cannot load %s: a constructor of the object ended the process "
				      "with exit(%d)", path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "cannot load %s: loading it killed the process with signal %d "
				      "(%s): a constructor of the object crashed", path,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	return false;
}

/* Loads the target from the shared object at path (once per process); NULL with a one-line
 * reason in err on failure. */
static const struct ls_target *object_load(const char *path, char *err, size_t errlen)
{
	for (struct object *o = objects; o; o = o->next)
		if (strcmp(o->path, path) == 0)
			return &o->target;

	/* The path becomes the trace's target line; refuse now what a replay could not read. */
	size_t max = sizeof(((struct ls_trace *)0)->target) - 1;
	if (strlen(path) > max) {
		snprintf(err, errlen, "%s: path longer than the %zu bytes a trace records; use a "
				      "shorter (relative) path", path, max);
		return NULL;
	}
	unsigned long long hash;
	if (!ls_object_hash(path, &hash, err, errlen))
		return NULL;
	/* Without a '/', dlopen() would search the library path instead of this directory. */
	char local[sizeof(((struct ls_trace *)0)->target) + 2];
	snprintf(local, sizeof(local), "%s%s", strchr(path, '/') ? "" : "./", path);
	if (!probe_load(local, path, err, errlen))
		return NULL;
	void *h = dlopen(local, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "cannot load %s: %s", path, dl_reason(local));
		return NULL;
	}
	const int *abi = dlsym(h, "lockstep_target_abi");
	const struct ls_target *(*entry)(void) =
		(const struct ls_target *(*)(void))dlsym(h, "lockstep_target_entry");
	const struct ls_target *t = NULL;
	if (!abi || !entry)
		snprintf(err, errlen, "%s is not a lockstep target: it does not define %s (end the "
				      "target's file with LS_TARGET_EXPORT(target))",
			 path, abi ? "lockstep_target_entry" : "lockstep_target_abi");
	else if (*abi != LS_TARGET_ABI)
		snprintf(err, errlen, "%s was built for lockstep target ABI %d, this lockstep loads "
				      "ABI %d: rebuild it against this lockstep's headers",
			 path, *abi, LS_TARGET_ABI);
	else if (!(t = entry()))
		snprintf(err, errlen, "%s: lockstep_target_entry() returned NULL", path);
	if (!t || !check_target(path, t, err, errlen)) {
		dlclose(h);
		return NULL;
	}

	struct object *o = malloc(sizeof(*o) + strlen(path) + 1);
	if (!o) {
		snprintf(err, errlen, "out of memory");
		dlclose(h);
		return NULL;
	}
	strcpy(o->path, path);
	o->handle = h;
	o->hash = hash;
	o->target = *t;
	o->target.name = o->path;
	if (!o->target.summary)
		o->target.summary = "";
	if (!o->target.models)
		o->target.models = "";
	o->next = objects;
	objects = o;
	return &o->target;
}

const struct ls_target *ls_target_find(const char *name, char *err, size_t errlen)
{
	const struct ls_target *t = builtin_find(name);
	if (t)
		return t;
	if (names_object(name))
		return object_load(name, err, errlen);
	unknown_target(name, err, errlen);
	return NULL;
}

bool ls_target_object_hash(const struct ls_target *t, unsigned long long *hash)
{
	for (struct object *o = objects; o; o = o->next)
		if (&o->target == t) {
			*hash = o->hash;
			return true;
		}
	return false;
}

bool ls_target_names_object(const char *name)
{
	return !builtin_find(name) && names_object(name);
}

int ls_variant_find(const struct ls_target *t, const char *name)
{
	for (int i = 0; i < t->nvariants; i++)
		if (strcmp(t->variants[i].name, name) == 0)
			return i;
	return -1;
}

static bool unknown_target(const char *name, char *err, size_t errlen)
{
	int len = snprintf(err, errlen, "unknown target '%s' (known:", name);
	for (int i = 0; i < ls_ntargets && len > 0 && (size_t)len < errlen; i++)
		len += snprintf(err + len, errlen - (size_t)len, " %s", ls_targets[i]->name);
	if (len > 0 && (size_t)len < errlen)
		snprintf(err + len, errlen - (size_t)len, "; or a shared object: ./NAME.so)");
	return false;
}

bool ls_target_spec_split(const char *spec, char *name, size_t n, const char **variant)
{
	/* In-tree names contain no ':'; a path may, so its variant follows the last ':' that has
	 * no '/' after it. */
	const char *colon = strchr(spec, ':');
	size_t k = colon ? (size_t)(colon - spec) : strlen(spec);
	if (k && k < n) {
		memcpy(name, spec, k);
		name[k] = 0;
		if (builtin_find(name)) {
			*variant = colon ? colon + 1 : NULL;
			return true;
		}
	}
	colon = strrchr(spec, ':');
	if (colon && strchr(colon, '/'))
		colon = NULL;
	k = colon ? (size_t)(colon - spec) : strlen(spec);
	if (k == 0 || k >= n)
		return false;
	memcpy(name, spec, k);
	name[k] = 0;
	*variant = colon ? colon + 1 : NULL;
	return true;
}

bool ls_target_spec(const char *spec, const struct ls_target **t, int *variant, char *err,
		    size_t errlen)
{
	char name[4096];
	const char *colon;
	if (!ls_target_spec_split(spec, name, sizeof(name), &colon)) {
		snprintf(err, errlen, "expected TARGET[:VARIANT], got '%s'", spec);
		return false;
	}
	*t = builtin_find(name);
	if (!*t) {
		/* "demo/typo" is a mistyped in-tree name, not a missing file. */
		bool path = ends_with(name, ".so") || name[0] == '/' || strncmp(name, "./", 2) == 0 ||
			    strncmp(name, "../", 3) == 0 || (strchr(name, '/') && access(name, F_OK) == 0);
		if (!path)
			return unknown_target(name, err, errlen);
		*t = object_load(name, err, errlen);
		if (!*t)
			return false;
	}
	if (!colon) {
		*variant = 0;
		return true;
	}
	*variant = ls_variant_find(*t, colon);
	if (*variant < 0) {
		int len = snprintf(err, errlen, "target %s has no variant '%s' (variants:", name,
				   colon);
		for (int i = 0; i < (*t)->nvariants && len > 0 && (size_t)len < errlen; i++)
			len += snprintf(err + len, errlen - (size_t)len, " %s",
					(*t)->variants[i].name);
		if (len > 0 && (size_t)len < errlen)
			snprintf(err + len, errlen - (size_t)len, ")");
		return false;
	}
	return true;
}
