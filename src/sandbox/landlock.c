/*
 * landlock.c — the filesystem half of the sandbox (see sandbox.h).
 *
 * ABI 2 (Linux 5.19) is the least this uses: without LANDLOCK_ACCESS_FS_
 * REFER every rename between directories is refused, and the spool and
 * Maildir deliveries are such renames.  On older kernels the sandbox is
 * the seccomp filter alone, and a log line says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/landlock.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/str.h"
#include "base/log.h"
#include "config/config.h"
#include "sandbox/sandbox_int.h"

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_FILE_RIGHTS                                                         \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |          \
	 LANDLOCK_ACCESS_FS_READ_FILE)
/* Everything ABI 2 knows: what a rule does not grant is refused. */
#define FS_HANDLED ((LANDLOCK_ACCESS_FS_REFER << 1) - 1)
/* Queue and Maildir trees: files and directories made, renamed, removed;
 * the control sockets live in the spool. */
#define FS_TREE                                                                \
	(FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |                             \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |      \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |           \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REFER)
/* A log file, opened again after a rotation made a new one. */
#define FS_LOG_DIR (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG)

/* Read by the C library, OpenSSL and libunbound after start-up: name
 * service, time zones, the CA store, lazily loaded libraries. */
static const char *const system_read[] = {
        "/etc/resolv.conf",
        "/etc/hosts",
        "/etc/nsswitch.conf",
        "/etc/host.conf",
        "/etc/gai.conf",
        "/etc/services",
        "/etc/protocols",
        "/etc/passwd",
        "/etc/group",
        "/etc/localtime",
        "/etc/ld.so.cache",
        /* not all of /etc/ssl: private keys are kept in /etc/ssl/private */
        "/etc/ssl/certs",
        "/etc/ssl/openssl.cnf",
        "/usr/lib/ssl",
        "/usr/share/zoneinfo",
        "/usr/share/ca-certificates",
        "/usr/lib",
        "/lib",
        "/lib64",
        "/dev/urandom",
        "/dev/random",
        NULL,
};

/* Read by the key processes alone (options marked secret): no rule of the
 * daemon's may reach them. */
#define SECRETS_MAX 16
static char *secrets[SECRETS_MAX];
static size_t nsecrets;

static atomic_int ruleset = -1;
static _Thread_local bool entered;

static int
ruleset_new(void)
{
	struct landlock_ruleset_attr attr = {.handled_access_fs = FS_HANDLED};

	return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	                    0);
}

/* A missing path is not an error: the daemon will not find it either. */
static int
allow(int rs, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = {0};
	struct stat st;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= FS_FILE_RIGHTS;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
	                  &pb, 0);
	close(fd);
	if (rc < 0)
		log_event(LOG_LVL_WARN, "sandbox", "path", path, "error",
		          strerror(errno), NULL);
	return rc;
}

static void
note_secret(void *arg, const char *path)
{
	char *real = realpath(path, NULL);

	if (nsecrets < SECRETS_MAX)
		secrets[nsecrets++] = str_dup(path);
	if (real != NULL && nsecrets < SECRETS_MAX)
		secrets[nsecrets++] = real;
	else
		free(real);
}

/* Whether a rule on directory dir would let the daemon read a secret. */
static bool
covers_secret(const char *dir)
{
	char *real = realpath(dir, NULL);
	const char *d = real ? real : dir;
	size_t n = strlen(d);
	bool covers = false;

	while (n > 1 && d[n - 1] == '/')
		n--;
	for (size_t i = 0; i < nsecrets && !covers; i++)
		covers = strncmp(secrets[i], d, n) == 0 &&
		         (secrets[i][n] == '/' || (n == 1 && d[0] == '/'));
	free(real);
	return covers;
}

/* A rule on a directory that holds a secret file would hand the daemon
 * that file: the file alone then (a file replaced by rename there is not
 * readable after a reload; keep secrets in a directory of their own). */
static void
allow_in_dir(int rs, const char *file, char *dir, uint64_t access)
{
	if (!covers_secret(dir)) {
		allow(rs, dir, access);
		return;
	}
	log_event(LOG_LVL_WARN, "sandbox", "path", file, "grant", "file-only",
	          "reason", "its directory holds a secret file", NULL);
	allow(rs, file, access & FS_FILE_RIGHTS);
}

/* The directory holding path, and the one holding what path resolves
 * to: a certificate renewed through a symbolic link is a new file. */
static void
allow_dir_of(int rs, const char *path, uint64_t access)
{
	char *copy, *real;

	if (path == NULL)
		return;
	copy = str_dup(path);
	if (copy != NULL)
		allow_in_dir(rs, path, dirname(copy), access);
	free(copy);
	real = realpath(path, NULL);
	if (real != NULL) {
		char *file = str_dup(real);

		allow_in_dir(rs, file, dirname(real), access);
		free(file);
	}
	free(real);
}

/* A directory rule that cannot be narrowed (the spool, a Maildir root, a
 * system directory): say so when it holds a secret file. */
static void
allow_tree(int rs, const char *dir, uint64_t access)
{
	if (dir != NULL && covers_secret(dir))
		log_event(LOG_LVL_WARN, "sandbox", "path", dir, "detail",
		          "holds a secret file the daemon can then read: move "
		          "it to a directory of its own",
		          NULL);
	allow(rs, dir, access);
}

/* A path option names a directory (read it) or a file (read its
 * directory, so a file replaced by rename is still readable). */
static void
allow_path_option(void *arg, const char *path)
{
	struct stat st;
	int rs = *(const int *)arg;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		allow_tree(rs, path, FS_READ);
	else
		allow_dir_of(rs, path, FS_READ);
}

static void
add_config_rules(int rs, const struct config *cfg, const char *config_path)
{
	size_t i;

	config_for_each_secret_path(cfg, note_secret, NULL);
	allow_tree(rs, cfg->spool_dir, FS_TREE);
	for (i = 0; i < cfg->ndomains; i++)
		allow_tree(rs, cfg->domains[i].maildir_root, FS_TREE);
	allow_dir_of(rs, cfg->policy.state_file, FS_TREE);
	allow_dir_of(rs, cfg->log_file, FS_LOG_DIR);
	allow_dir_of(rs, config_path, FS_READ);
	/* Every file option but the secret ones (CA files, alias files, DNS
	 * data...), so a new option cannot be forgotten here; the options
	 * marked secret in the table (TLS key and certificate, password file)
	 * are the key processes' alone. */
	config_for_each_path(cfg, allow_path_option, &rs);
	allow_dir_of(rs, cfg->relay_resolv_conf, FS_READ);
	for (i = 0; system_read[i] != NULL; i++)
		allow_tree(rs, system_read[i], FS_READ);
	allow(rs, "/dev/null", FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE);
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer runtime reads its memory map and thread list. */
	allow(rs, "/proc/self", FS_READ);
#endif
}

static int
restrict_self(int rs)
{
	/* Without it, only CAP_SYS_ADMIN may restrict itself; ferry never
	 * runs a program, so nothing needs set-user-ID. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_landlock_restrict_self, rs, 0);
}

static int
abi_version(void)
{
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	                    LANDLOCK_CREATE_RULESET_VERSION);
}

int
landlock_start(const struct config *cfg, const char *config_path)
{
	char v[12];
	int abi = abi_version(), rs;

	snprintf(v, sizeof(v), "%d", abi < 0 ? 0 : abi);
	if (abi < 2) {
		log_event(LOG_LVL_WARN, "sandbox", "landlock", "unavailable",
		          "abi", v, "detail",
		          abi < 0 ? strerror(errno)
		                  : "needs ABI 2 (Linux 5.19) for renames",
		          NULL);
		return 0;
	}
	rs = ruleset_new();
	if (rs < 0) {
		log_event(LOG_LVL_ERROR, "sandbox", "landlock", "ruleset",
		          "error", strerror(errno), NULL);
		return -1;
	}
	add_config_rules(rs, cfg, config_path);
	if (restrict_self(rs) < 0) {
		log_event(LOG_LVL_ERROR, "sandbox", "landlock", "restrict",
		          "error", strerror(errno), NULL);
		close(rs);
		return -1;
	}
	entered = true;
	atomic_store(&ruleset, rs);
	log_event(LOG_LVL_INFO, "sandbox", "landlock", "on", "abi", v, NULL);
	return 1;
}

int
landlock_keyproc_start(const char *const *paths)
{
	int abi = abi_version(), rs;

	if (abi < 2)
		return 0;
	rs = ruleset_new();
	if (rs < 0)
		return -1;
	for (size_t i = 0; paths[i] != NULL; i++) {
		char *copy = str_dup(paths[i]),
		     *real = realpath(paths[i], NULL);

		allow(rs, dirname(copy), FS_READ);
		if (real != NULL)
			allow(rs, dirname(real), FS_READ);
		free(copy);
		free(real);
	}
	for (size_t i = 0; system_read[i] != NULL; i++)
		allow(rs, system_read[i], FS_READ);
	if (restrict_self(rs) < 0) {
		log_event(LOG_LVL_ERROR, "sandbox", "landlock", "restrict",
		          "error", strerror(errno), NULL);
		close(rs);
		return -1;
	}
	close(rs);
	return 1;
}

void
landlock_thread_enter(void)
{
	int rs;

	if (entered)
		return;
	rs = atomic_load(&ruleset);
	if (rs < 0)
		return;
	if (restrict_self(rs) < 0)
		log_fatal("sandbox", "a thread cannot take the Landlock rules");
	entered = true;
}
