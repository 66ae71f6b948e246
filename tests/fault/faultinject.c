/*
 * faultinject.c — an LD_PRELOAD library for the fault tests: file system
 * calls fail with a chosen errno on chosen paths, as on a full or failing
 * disk, while the daemon runs.
 *
 * FERRY_FAULT_FILE names a file of rules, opened when the library loads
 * and read again whenever it changes (so a test turns faults on and off
 * at run time; rewrite it in place, do not replace it):
 *
 *     OP PATH-SUBSTRING ERRNO      e.g.  write /spool/ ENOSPC
 *
 * OP is open (a create or an open for writing), write, fsync (also
 * fdatasync), syncfs, rename, mkdir or link.  A call fails when its path,
 * or the path of its descriptor, contains PATH-SUBSTRING.  ERRNO is
 * ENOSPC, EDQUOT, EIO, EACCES or ENOENT.  An empty or missing file: no faults.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_RULES 16

struct rule {
	char op[16];
	char path[256];
	int err;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[MAX_RULES];
static int nrules;
static struct timespec seen_mtime;
static off_t seen_size = -1;

static int
errno_named(const char *name)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {{"ENOSPC", ENOSPC},
	             {"EDQUOT", EDQUOT},
	             {"EIO", EIO},
	             {"EACCES", EACCES},
	             {"ENOENT", ENOENT}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].err;
	return EIO;
}

/* Opened before the daemon's sandbox closes the file system; read again
 * through the descriptor, so a test must rewrite the file in place. */
static int rules_fd = -1;

__attribute__((constructor)) static void
open_rules(void)
{
	const char *file = getenv("FERRY_FAULT_FILE");

	if (file != NULL)
		rules_fd = (int)syscall(SYS_openat, AT_FDCWD, file,
		                        O_RDONLY | O_CLOEXEC);
}

/* Raw system calls: this runs inside the calls it replaces. */
static void
load_rules(void)
{
	char buf[4096], *line, *save = NULL, err[16];
	struct stat st;
	ssize_t n;

	if (rules_fd < 0 || syscall(SYS_fstat, rules_fd, &st) < 0)
		return;
	if (st.st_size == seen_size && st.st_mtim.tv_sec == seen_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == seen_mtime.tv_nsec)
		return;
	n = syscall(SYS_pread64, rules_fd, buf, sizeof(buf) - 1, (off_t)0);
	buf[n > 0 ? n : 0] = '\0';
	nrules = 0;
	for (line = strtok_r(buf, "\n", &save); line && nrules < MAX_RULES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct rule *r = &rules[nrules];

		if (sscanf(line, "%15s %255s %15s", r->op, r->path, err) == 3) {
			r->err = errno_named(err);
			nrules++;
		}
	}
	seen_size = st.st_size;
	seen_mtime = st.st_mtim;
}

/* The errno the call must fail with, or 0. */
static int
fault_for(const char *op, const char *path)
{
	int i, err = 0;

	if (rules_fd < 0 || path == NULL)
		return 0;
	pthread_mutex_lock(&mu);
	load_rules();
	for (i = 0; i < nrules && err == 0; i++)
		if (strcmp(rules[i].op, op) == 0 &&
		    strstr(path, rules[i].path) != NULL)
			err = rules[i].err;
	pthread_mutex_unlock(&mu);
	return err;
}

static int
fd_fault(const char *op, int fd)
{
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return fault_for(op, path);
}

/* dirfd-relative paths are matched by the directory's path plus name. */
static int
at_fault(const char *op, int dirfd, const char *name)
{
	char link[64], path[4096];
	ssize_t n;

	if (name == NULL)
		return 0;
	if (name[0] == '/' || dirfd == AT_FDCWD)
		return fault_for(op, name);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	snprintf(path + n, sizeof(path) - (size_t)n, "/%s", name);
	return fault_for(op, path);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define FAIL_IF(e)                                                             \
	do {                                                                   \
		int e_ = (e);                                                  \
		if (e_) {                                                      \
			errno = e_;                                            \
			return -1;                                             \
		}                                                              \
	} while (0)

static bool
writing(int flags)
{
	return (flags & (O_CREAT | O_WRONLY | O_RDWR)) != 0;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (writing(flags))
		FAIL_IF(at_fault("open", dirfd, path));
	return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
        __attribute__((alias("openat")));

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (writing(flags))
		FAIL_IF(fault_for("open", path));
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

ssize_t
write(int fd, const void *buf, size_t len)
{
	FAIL_IF(fd_fault("write", fd));
	return REAL(write)(fd, buf, len);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	FAIL_IF(fd_fault("write", fd));
	return REAL(writev)(fd, iov, n);
}

int
fsync(int fd)
{
	FAIL_IF(fd_fault("fsync", fd));
	return REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	FAIL_IF(fd_fault("fsync", fd));
	return REAL(fdatasync)(fd);
}

int
syncfs(int fd)
{
	FAIL_IF(fd_fault("syncfs", fd));
	return REAL(syncfs)(fd);
}

int
rename(const char *from, const char *to)
{
	FAIL_IF(fault_for("rename", to));
	return REAL(rename)(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	FAIL_IF(at_fault("rename", tofd, to));
	return REAL(renameat)(fromfd, from, tofd, to);
}

int
mkdir(const char *path, mode_t mode)
{
	FAIL_IF(fault_for("mkdir", path));
	return REAL(mkdir)(path, mode);
}

int
link(const char *from, const char *to)
{
	FAIL_IF(fault_for("link", to));
	return REAL(link)(from, to);
}

int
linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	FAIL_IF(at_fault("link", tofd, to));
	return REAL(linkat)(fromfd, from, tofd, to, flags);
}
