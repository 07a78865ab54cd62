/* Stress, the baseline of `lockstep stress`.  The target's code runs on real threads, as a stress test runs
 * kernel code today, and a watchdog declares the hangs.
 *
 * The threads run in lockstep-stress, built beside this executable from the same model library
 * and targets compiled for real concurrency (sched/native.c says how CPUs, interrupts and waits
 * map onto threads, timers and signals).  This command checks the arguments, hands the child a
 * shared page (a memfd) and watches it:
 *   - the child counts finished rounds (executions); when the count has not moved for the
 *     watchdog period, that is a hang.  The child's reporter thread is asked where every context
 *     is and what it waits for, then the child is killed.  A hang counts as found when the
 *     watchdog fires: the time includes the watchdog period, as it would for a person watching
 *     a stress test (the kernel's own lockup detectors wait 10 to 20 s);
 *   - a failed check or model BUG and a stall are reported by the child itself;
 *   - a child that dies of a signal is a crash.
 * The run stops at the first bug for the variant, or after --time; nothing here is
 * deterministic, so a finding has no trace to replay: replay and minimize are the simulator's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "../../targets/targets.h"

static bool in_tree(const struct ls_target *t)
{
	for (int i = 0; i < ls_ntargets; i++)
		if (ls_targets[i] == t)
			return true;
	return false;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static pid_t spawn(const char *exe, int fd, const struct ls_target *t, int variant,
		   uint64_t seed)
{
	char fds[16], vs[16], ss[32];
	snprintf(fds, sizeof(fds), "%d", fd);
	snprintf(vs, sizeof(vs), "%d", variant);
	snprintf(ss, sizeof(ss), "%" PRIu64, seed);
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "stress: fork: %s", strerror(errno));
	if (pid == 0) {
		/* Ctrl-C stops the run through the parent (it sets the stop flag and reports), not
		 * by killing the child, which would read as a crash; and the child dies with the
		 * parent.  Ignored signals stay ignored across exec. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(LS_NATIVE_EXIT_ERROR);
		char *argv[] = { (char *)exe, fds, (char *)t->name, vs, ss, NULL };
		execv(exe, argv);
		fprintf(stderr, "lockstep: stress: cannot run %s: %s\n", exe, strerror(errno));
		_exit(LS_NATIVE_EXIT_ERROR);
	}
	return pid;
}

/* Asks the child's reporter where everything is; false if it does not answer in time. */
static bool ask_report(struct ls_native_shared *sh)
{
	__atomic_store_n(&sh->report_done, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->report_req, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &sh->report_req, FUTEX_WAKE, 1, NULL, NULL, 0);
	for (int i = 0; i < 300; i++) {
		if (__atomic_load_n(&sh->report_done, __ATOMIC_ACQUIRE))
			return true;
		sleep_ms(10);
	}
	return false;
}

int ls_stress_run(const struct ls_stress_opts *so, const struct ls_stress_hooks *h)
{
	const struct ls_target *t;
	int variant;
	char err[512];
	if (!ls_target_spec(so->spec, &t, &variant, err, sizeof(err)))
		ls_die(LS_EXIT_USAGE, "%s", err);
	if (!in_tree(t))
		ls_die(LS_EXIT_USAGE, "stress: %s is not an in-tree target; stress runs the targets "
				      "built into lockstep-stress (lockstep list)", so->spec);
	const struct ls_variant *v = &t->variants[variant];

	char exe[4200];
	if (!ls_internal_exe("lockstep-stress", NULL, exe, sizeof(exe)))
		ls_die(LS_EXIT_INTERNAL, "stress: lockstep-stress is neither beside lockstep nor "
					 "installed at %s", exe);

	int fd = memfd_create("lockstep-stress", 0);
	if (fd < 0 || ftruncate(fd, sizeof(struct ls_native_shared)) != 0)
		ls_die(LS_EXIT_INTERNAL, "stress: shared page: %s", strerror(errno));
	struct ls_native_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED,
					   fd, 0);
	if (sh == MAP_FAILED)
		ls_die(LS_EXIT_INTERNAL, "stress: shared page: %s", strerror(errno));

	ls_catch_stop_signals();
	double start = ls_wall_s();
	pid_t pid = spawn(exe, fd, t, variant, so->seed);
	close(fd);

	uint64_t last_rounds = 0;
	double last_progress = start, stop_sent = 0;
	int status = 0, found = 0;
	bool exited = false, hang = false, unanswered = false;
	double found_s = 0, hang_since = 0, hang_period = 0;
	uint64_t found_round = 0;
	while (!exited) {
		sleep_ms(10);
		pid_t w = waitpid(pid, &status, WNOHANG);
		double now = ls_wall_s();
		if (w == pid) {
			exited = true;
			break;
		}
		uint64_t r = __atomic_load_n(&sh->rounds, __ATOMIC_ACQUIRE);
		if (r != last_rounds || !sh->start_ns) {
			last_rounds = r;
			last_progress = now;
		}
		if (!stop_sent && (now - start >= so->time_s || ls_stop_signal)) {
			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			stop_sent = now;
		}
		/* The watchdog period stretches to 4x the longest round seen, so slow targets
		 * (mdelay()s, 250 ms timeouts) are not hangs by construction. */
		double period = so->watchdog_s, longest = (double)sh->max_round_ns / 1e9;
		if (4 * longest > period)
			period = 4 * longest;
		if (now - last_progress >= period) {
			unanswered = !ask_report(sh);
			/* The child may have ended by itself (a finding, --time) or finished the
			 * round while the report was taken: then it was no hang. */
			if (waitpid(pid, &status, WNOHANG) == pid) {
				exited = true;
				break;
			}
			if (__atomic_load_n(&sh->rounds, __ATOMIC_ACQUIRE) != r)
				continue;
			hang = true;
			hang_period = period;
			hang_since = last_progress - start;
			found_s = ls_wall_s() - start;
			found_round = r + 1;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			exited = true;
		}
	}
	double elapsed = ls_wall_s() - start;
	uint64_t rounds = __atomic_load_n(&sh->rounds, __ATOMIC_ACQUIRE);

	const char *text = NULL;
	enum ls_kind kind = LS_KIND_NONE;
	char crash[256] = "";
	if (hang) {
		kind = unanswered ? LS_KIND_DEADLOCK : (enum ls_kind)sh->report_kind;
		text = unanswered ? "deadlock: the child did not answer the watchdog's report "
				    "request\n" : sh->report;
	} else if (WIFSIGNALED(status)) {
		kind = LS_KIND_CRASH;
		found_s = elapsed;
		found_round = rounds + 1;
		snprintf(crash, sizeof(crash), "crash: lockstep-stress died of signal %d (%s)\n",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		text = crash;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == LS_NATIVE_EXIT_FOUND && sh->kind) {
		kind = (enum ls_kind)sh->kind;
		found_s = (double)sh->found_ns / 1e9;
		found_round = sh->found_round + 1;
		text = sh->text;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != LS_NATIVE_EXIT_CLEAN) {
		ls_die(LS_EXIT_INTERNAL, "stress: lockstep-stress failed (exit %d)%s%s",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, sh->text[0] ? ": " : "",
		       sh->text);
	}
	found = kind != LS_KIND_NONE && ls_variant_bug(v, kind);

	/* The signature: the report's first line. */
	char sig[512] = "";
	if (text) {
		size_t n = strcspn(text, "\n");
		snprintf(sig, sizeof(sig), "%.*s", (int)(n < sizeof(sig) - 1 ? n : sizeof(sig) - 1),
			 text);
	}
	if (h && h->summary) {
		struct ls_stress_result res = {
			.t = t, .variant = variant, .sh = sh, .kind = kind, .found = found,
			.text = text, .signature = sig, .hang = hang, .hang_period = hang_period,
			.hang_since = hang_since, .found_s = found_s, .found_round = found_round,
			.elapsed_s = elapsed, .rounds = rounds,
		};
		h->summary(h->arg, &res);
	}
	munmap(sh, sizeof(*sh));
	return found ? LS_EXIT_FOUND : LS_EXIT_CLEAN;
}
