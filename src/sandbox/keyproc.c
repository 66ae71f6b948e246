/*
 * keyproc.c — the key process's sandbox (see sandbox.h): it holds the TLS
 * private key or the password hashes and only ever answers the daemon on
 * its socket, so its filter allows reading files (Landlock: only the
 * directories of its own secret files), its socket, memory and little
 * else: no socket of its own, no connect, no write to a file, no process.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "config/config.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_int.h"

static const char *const keyproc_allowed[] = {
        /* its socket, the log, and the files it reads again */
        "read",
        "write",
        "readv",
        "writev",
        "pread64",
        "sendmsg",
        "recvmsg",
        "sendto",
        "recvfrom",
        "close",
        "fstat",
        "stat",
        "lstat",
        "newfstatat",
        "statx",
        "lseek",
        "fcntl",
        "readlink",
        "readlinkat",
        "getdents64",
        "poll",
        "ppoll",
        /* memory (yescrypt maps its own) */
        "brk",
        "mmap",
        "munmap",
        "mremap",
        "mprotect",
        "madvise",
        /* the C library and OpenSSL */
        "futex",
        "getrandom",
        "clock_gettime",
        "gettimeofday",
        "time",
        "getpid",
        "gettid",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "rt_sigreturn",
        "rt_sigprocmask",
        "rt_sigaction",
        "tgkill",
        "restart_syscall",
        "exit",
        "exit_group",
        NULL,
};

#if defined(__SANITIZE_ADDRESS__)
/* What the sanitizer runtime does when it reports (see seccomp.c). */
static const char *const keyproc_sanitizer[] = {
        "clone",       "ptrace",    "wait4", "kill",
        "getpgid",     "getdents",  "prctl", "sched_yield",
        "sigaltstack", "nanosleep", NULL,
};
#endif

static int
allow_list(scmp_filter_ctx ctx, const char *const *names)
{
	int rc = 0, nr;

	for (size_t i = 0; names[i] != NULL && rc == 0; i++) {
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	return rc;
}

/* open and openat for reading only. */
static int
allow_read_open(scmp_filter_ctx ctx)
{
	int rc, nr = seccomp_syscall_resolve_name("open");

	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	                      SCMP_A2(SCMP_CMP_MASKED_EQ,
	                              O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
	if (rc == 0 && nr != __NR_SCMP_ERROR)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		                      SCMP_A1(SCMP_CMP_MASKED_EQ,
		                              O_ACCMODE | O_CREAT | O_TRUNC,
		                              O_RDONLY));
	return rc;
}

static int
keyproc_seccomp(bool log_only)
{
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return -1;
	rc = allow_list(ctx, keyproc_allowed);
#if defined(__SANITIZE_ADDRESS__)
	if (rc == 0)
		rc = allow_list(ctx, keyproc_sanitizer);
#endif
	if (rc == 0)
		rc = allow_read_open(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

int
sandbox_keyproc_start(const struct config *cfg, const char *role,
                      const char *const *paths)
{
	const char *log_only = getenv("FERRY_SANDBOX_LOG");

	if (!cfg->sandbox)
		return 0;
	if (landlock_keyproc_start(paths) < 0)
		return -1;
	if (keyproc_seccomp(log_only != NULL && log_only[0] == '1') < 0) {
		log_event(LOG_LVL_ERROR, "sandbox", "role", role, "seccomp",
		          "load", NULL);
		return -1;
	}
	log_event(LOG_LVL_INFO, "sandbox", "role", role, "seccomp",
	          log_only != NULL && log_only[0] == '1' ? "log" : "on", NULL);
	return 0;
}
