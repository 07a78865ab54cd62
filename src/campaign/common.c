/* What every command and campaign shares: errors and exit, stop signals, wall time, the
 * internal executables, child commands, and the inputs and outputs named on a command line. */
#define _GNU_SOURCE
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "version.h"
#include "../findings.h"

const char *ls_prog = "lockstep";

void ls_die(int code, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, and no terminal escape from a name or path the user (or a trace) gave:
	 * control characters are written as \xNN. */
	fprintf(stderr, "%s: ", ls_prog);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	ls_child_exiting();	/* in a child running target code: lockstep's exit, not the target's */
	exit(code);
}


void ls_out_dir_or_die(const char *dir, bool force)
{
	if (!dir)
		return;
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return;	/* made at the first finding */
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		ls_die(LS_EXIT_USAGE, "--out %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	if (force)
		return;
	/* A findings directory: empty, holding findings (an index or a trace), or holding only
	 * what a campaign writes on its way there (another campaign starting in it at the same
	 * time): reports, README.md, the index lock, temporary files; and a .gitignore, which keeps
	 * findings out of a repository (this one's crashes/ has one). */
	DIR *dh = opendir(dir);
	if (!dh)
		ls_die(LS_EXIT_USAGE, "--out %s: %s", dir, strerror(errno));
	bool other = false, ours = false;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (strcmp(n, "index.tsv") == 0 || (len > 6 && strcmp(n + len - 6, ".trace") == 0))
			ours = true;
		else if (!(strcmp(n, "README.md") == 0 || strcmp(n, ".index.lock") == 0 ||
			   strcmp(n, ".gitignore") == 0 ||
			   (len > 4 && strcmp(n + len - 4, ".txt") == 0) ||
			   (n[0] == '.' && strstr(n, ".tmp."))))
			other = true;
	}
	closedir(dh);
	if (other && !ours)
		ls_die(LS_EXIT_USAGE, "--out %s: a non-empty directory that holds no lockstep findings "
				      "(give an empty or new one, or --force)", dir);
}

volatile sig_atomic_t ls_stop_signal;

static void on_stop_signal(int sig)
{
	ls_stop_signal = sig;
}

void ls_catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;	/* output to a pipe goes on while the command winds down */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

double ls_wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ls_self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0)
		ls_die(LS_EXIT_INTERNAL, "cannot read /proc/self/exe: %s", strerror(errno));
	buf[n] = 0;
}

bool ls_internal_exe(const char *name, const char *build_subdir, char *buf, size_t len)
{
	char dir[4096];
	ls_self_exe(dir, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	/* The build tree: BUILD/lockstep, BUILD/SUBDIR/NAME. */
	snprintf(buf, len, "%s/%s%s%s", dir, build_subdir ? build_subdir : "",
		 build_subdir ? "/" : "", name);
	if (access(buf, X_OK) == 0)
		return true;
	/* An install: PREFIX/bin/lockstep, PREFIX/libexec/lockstep/NAME, found relative to the
	 * executable so that a staged (DESTDIR) or moved install works too. */
	snprintf(buf, len, "%s/%s/lockstep/%s", dir, LS_BIN_TO_LIBEXEC, name);
	if (access(buf, X_OK) == 0)
		return true;
	return false;
}

void ls_output_or_die(const char *cmd, const char *option, const char *path)
{
	char why[4400];
	if (path && !ls_output_check(path, why, sizeof(why)))
		ls_die(LS_EXIT_USAGE, "%s: %s: %s", cmd, option, why);
}

char *ls_input_or_die(const char *path, size_t *len)
{
	char why[4400];
	char *text = ls_read_input(path, LS_INPUT_MAX_BYTES, len, why, sizeof(why));
	if (!text)
		ls_die(LS_EXIT_USAGE, "%s", why);
	return text;
}

bool ls_input_is_trace(const char *text, size_t len)
{
	static const char magic[] = "lockstep-trace ";
	return len >= sizeof(magic) - 1 && memcmp(text, magic, sizeof(magic) - 1) == 0;
}

int ls_run_child(char *const *argv, const char *dir, double limit_s, const char *errpath,
		 struct ls_buf *out, double *wall)
{
	int fd[2];
	if (pipe(fd) != 0)
		ls_die(LS_EXIT_INTERNAL, "pipe: %s", strerror(errno));
	fflush(NULL);
	double t0 = ls_wall_s();
	pid_t pid = fork();
	if (pid < 0)
		ls_die(LS_EXIT_INTERNAL, "fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (null < 0 || err < 0 || dup2(null, 0) < 0 || dup2(fd[1], 1) < 0 ||
		    dup2(err, 2) < 0 || (dir && chdir(dir) != 0))
			_exit(LS_EXIT_INTERNAL);
		close(fd[0]);
		close(fd[1]);
		if (dir)
			setenv("TMPDIR", dir, 1);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: the kill below must not race the child's own */
	close(fd[1]);
	bool killed = false;
	for (;;) {
		double left = limit_s - (ls_wall_s() - t0);
		if (!killed && (left <= 0 || ls_stop_signal)) {
			kill(-pid, SIGKILL);
			killed = true;
		}
		struct pollfd pfd = { fd[0], POLLIN, 0 };
		int timeout = killed ? 1000 : left < 0.1 ? 100 : (int)(left * 1000) + 1;
		int r = poll(&pfd, 1, timeout > 1000 ? 1000 : timeout);
		if (r < 0 && errno != EINTR)
			ls_die(LS_EXIT_INTERNAL, "poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		char chunk[65536];
		ssize_t n = read(fd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ls_buf_printf(out, "%.*s", (int)n, chunk);
	}
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);	/* anything of its group left behind (a fuzzer's own children) */
	*wall = ls_wall_s() - t0;
	if (killed || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

void ls_last_line(const char *path, const char *prefix, char *out, size_t n)
{
	size_t len;
	char *s = ls_read_file(path, &len);
	snprintf(out, n, "%s", prefix);
	if (!s)
		return;
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = 0;
	const char *p = strrchr(s, '\n') ? strrchr(s, '\n') + 1 : s;
	size_t k = strlen(out);
	snprintf(out + k, n - k, "%s%s", k && *p ? ": " : "", p);
	free(s);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

bool ls_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return access(dir, F_OK) != 0;
}
