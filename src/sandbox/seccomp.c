/*
 * seccomp.c — the system-call half of the sandbox (see sandbox.h): an
 * allow-list, everything else kills the whole process (SIGSYS).
 *
 * The list is what the integration suite makes ferry call after start-up
 * (found with the filter in log mode: FERRY_SANDBOX_LOG=1).  Among what it
 * leaves out: execve and execveat, fork (clone without CLONE_THREAD),
 * ptrace and process_vm_*, mount, module and key management, socket
 * families other than IPv4, IPv6 and local sockets, setuid and friends.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "sandbox/sandbox_int.h"

static const char *const allowed[] = {
        /* files and descriptors */
        "read",
        "write",
        "readv",
        "writev",
        "pread64",
        "pwrite64",
        "preadv",
        "pwritev",
        "open",
        "openat",
        "close",
        "close_range",
        "dup",
        "dup2",
        "dup3",
        "fcntl",
        "ioctl",
        "lseek",
        "fstat",
        "stat",
        "lstat",
        "newfstatat",
        "statx",
        "fstatfs",
        "statfs",
        "access",
        "faccessat",
        "faccessat2",
        "readlink",
        "readlinkat",
        "getdents64",
        "getcwd",
        "fsync",
        "fdatasync",
        "syncfs",
        "ftruncate",
        "fallocate",
        "rename",
        "renameat",
        "renameat2",
        "link",
        "linkat",
        "unlink",
        "unlinkat",
        "mkdir",
        "mkdirat",
        "rmdir",
        "fchmod",
        "chmod",
        "fchmodat",
        "umask",
        "utimensat",
        "flock",
        "pipe",
        "pipe2",
        "eventfd2",
        /* memory */
        "brk",
        "mmap",
        "munmap",
        "mremap",
        "mprotect",
        "madvise",
        /* event loop, threads, time */
        "poll",
        "ppoll",
        "select",
        "pselect6",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_wait",
        "epoll_pwait",
        "futex",
        "set_robust_list",
        "get_robust_list",
        "rseq",
        "sched_yield",
        "sched_getaffinity",
        "nanosleep",
        "clock_nanosleep",
        "clock_gettime",
        "clock_getres",
        "gettimeofday",
        "time",
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "sigaltstack",
        "restart_syscall",
        "exit",
        "exit_group",
        "getpid",
        "gettid",
        "getppid",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getgroups",
        "getresuid",
        "getresgid",
        "tgkill",
        "getrandom",
        "uname",
        "sysinfo",
        "getrlimit",
        "prlimit64",
        /* network (socket() itself is checked below) */
        "socketpair",
        "bind",
        "listen",
        "accept",
        "accept4",
        "connect",
        "getsockname",
        "getpeername",
        "setsockopt",
        "getsockopt",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "sendmmsg",
        "recvmmsg",
        "shutdown",
        /* threads started before the sandbox take its Landlock rules */
        "prctl",
        "landlock_restrict_self",
        NULL,
};

static const int socket_families[] = {AF_UNIX, AF_INET, AF_INET6};

#if defined(__SANITIZE_ADDRESS__)
/* make SAN=1 builds keep the filter, plus what the sanitizer runtime does
 * when it reports: LeakSanitizer stops the threads from a traced helper
 * process (clone without CLONE_THREAD, ptrace, wait4).  Its symbolizer
 * would also run a program; execve still kills that helper, and the
 * report keeps its raw addresses (addr2line -e build/san/ferry). */
static const char *const sanitizer_allowed[] = {
        "clone", "ptrace", "wait4", "kill", "getpgid", "getdents", NULL,
};
#endif

static int
allow_name(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	/* A call this architecture does not have (open on arm64). */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int
add_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; allowed[i] != NULL && rc == 0; i++)
		rc = allow_name(ctx, allowed[i]);
#if defined(__SANITIZE_ADDRESS__)
	for (i = 0; sanitizer_allowed[i] != NULL && rc == 0; i++)
		rc = allow_name(ctx, sanitizer_allowed[i]);
#endif
	for (i = 0;
	     i < sizeof(socket_families) / sizeof(*socket_families) && rc == 0;
	     i++)
		rc = seccomp_rule_add(
		        ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		        SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)socket_families[i]));
	/* New threads only: a new process could escape nothing seccomp holds,
	 * but it is not something ferry does. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
		                              CLONE_THREAD));
	/* clone3 passes its flags in memory, out of the filter's sight: the
	 * C library falls back to clone on ENOSYS. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		                      SCMP_SYS(clone3), 0);
	return rc;
}

int
seccomp_start(bool log_only)
{
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		log_event(LOG_LVL_ERROR, "sandbox", "seccomp", "init", NULL);
		return -1;
	}
	/* Every thread, also those started before (commit, auth workers). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* A binary tree of the allowed numbers, not a linear scan: every call
	 * of the event loop passes through the filter. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc == 0)
		rc = add_rules(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		log_event(LOG_LVL_ERROR, "sandbox", "seccomp", "load", "error",
		          strerror(-rc), NULL);
		return -1;
	}
	log_event(LOG_LVL_INFO, "sandbox", "seccomp", log_only ? "log" : "on",
	          NULL);
	return 0;
}
