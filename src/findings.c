/* Finding files on disk: names, directories, atomic writes. */
#define _GNU_SOURCE
#include "findings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ls_finding_stem(const char *dir, const struct ls_result *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s-%012llx", dir, r->shape[0] ? r->shape : ls_kind_name(r->kind),
		 r->hash & 0xffffffffffffull);
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

bool ls_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[4200];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp.%ld", dirlen, path, slash ? slash + 1 : path,
		 (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return false;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
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
