/*
 * check_host.c — what `ferry check-config` checks beyond the file itself:
 * what `ferry serve` would refuse, or fail at later, on this host.
 *
 *  - the TLS certificate and key load and match (serve exits 78 when a
 *    listener needs them);
 *  - started as root, serve switches to `user`: it must exist and not be
 *    root (serve exits 77 otherwise);
 *  - the files the daemon reads after that switch must be readable by
 *    that user: passwd_file (re-read when it changes), smarthost_ca_file,
 *    dns_local_data and the Redis TLS files are errors; cert_file and key_file,
 * read as root at start, only warnings, since SIGHUP re-reads them as the user.
 *
 * The user checks need root, as serve does; run as another user,
 * check-config says that it skipped them.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/check_host.h"
#include "cli/privileges.h"
#include "tls/tls.h"

struct read_check {
	const char *what; /* "[auth] passwd_file" */
	const char *path;
	bool fatal;
};

/* The policy opens its Redis connection after the switch. */
static size_t
redis_files(const struct config_policy *p, struct read_check *out)
{
	size_t n = 0;

	if (p->state != POLICY_STATE_REDIS || !p->redis_tls)
		return 0;
	if (p->redis_tls_ca_file)
		out[n++] = (struct read_check){"[policy] redis_tls_ca_file",
		                               p->redis_tls_ca_file, true};
	if (p->redis_tls_cert_file)
		out[n++] = (struct read_check){"[policy] redis_tls_cert_file",
		                               p->redis_tls_cert_file, true};
	if (p->redis_tls_key_file)
		out[n++] = (struct read_check){"[policy] redis_tls_key_file",
		                               p->redis_tls_key_file, true};
	return n;
}

static size_t
files_read_as_user(const struct config *cfg, struct read_check *out)
{
	size_t n = 0;

	if (cfg->relay_smarthost_ca_file)
		out[n++] =
		        (struct read_check){"[relay] smarthost_ca_file",
		                            cfg->relay_smarthost_ca_file, true};
	if (cfg->relay_dns_local_data)
		out[n++] = (struct read_check){"[relay] dns_local_data",
		                               cfg->relay_dns_local_data, true};
	/* Not the TLS pair nor the password file: the key processes read
	 * them, as root when serve starts as root (cli/keyproc.h). */
	n += redis_files(&cfg->policy, out + n);
	return n;
}

/* In a child that has become the user exactly as serve does (primary
 * group, no supplementary groups); exits with the number of errors. */
static void
child_check(const struct passwd *pw, const struct read_check *files, size_t n,
            const char *name)
{
	int errors = 0;
	size_t i;
	FILE *f;

	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		_exit(100);
	for (i = 0; i < n; i++) {
		if ((f = fopen(files[i].path, "r")) != NULL) {
			fclose(f);
			continue;
		}
		fprintf(stderr, "%s: %s%s: %s: user %s cannot read it%s\n",
		        name, files[i].fatal ? "" : "warning: ", files[i].what,
		        files[i].path, pw->pw_name,
		        files[i].fatal ? "" : ", so SIGHUP cannot reload it");
		errors += files[i].fatal;
	}
	_exit(errors > 99 ? 99 : errors);
}

static int
check_readable(const struct config *cfg, const struct passwd *pw,
               const char *name)
{
	struct read_check files[12];
	size_t n = files_read_as_user(cfg, files);
	int status;
	pid_t pid;

	if (n == 0)
		return 0;
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		child_check(pw, files, n, name);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 100)
		return 1;
	return WEXITSTATUS(status);
}

static int
owner_exists(const char *name, const struct config_domain *d, const char *key,
             const char *owner)
{
	uid_t uid;
	gid_t gid;

	if (owner == NULL || privileges_owner_ids(owner, &uid, &gid) == 0)
		return 0;
	fprintf(stderr,
	        "%s: [domain %s] %s: %s is not a user (and group) of this "
	        "system\n",
	        name, d->name, key, owner);
	return 1;
}

/* owner and every mailbox_owner name users (and groups) of this host. */
static int
check_owners_exist(const char *name, const struct config_domain *d)
{
	if (owner_exists(name, d, "owner", d->owner))
		return 1;
	for (size_t j = 0; j < d->nmailbox_owners; j++)
		if (owner_exists(name, d, "mailbox_owner",
		                 d->mailbox_owners[j].owner))
			return 1;
	return 0;
}

static int
check_user(const struct config *cfg, const char *name)
{
	const struct passwd *pw;

	if (geteuid() != 0) {
		if (cfg->user != NULL)
			fprintf(stderr,
			        "%s: note: not run as root, so user %s and "
			        "what "
			        "it can read were not checked\n",
			        name, cfg->user);
		return 0;
	}
	if (cfg->user == NULL || cfg->user[0] == '\0') {
		fprintf(stderr,
		        "%s: [server] user: not set; started as root, ferry "
		        "serve needs a user to run as\n",
		        name);
		return 1;
	}
	for (size_t i = 0; i < cfg->ndomains; i++)
		if (check_owners_exist(name, &cfg->domains[i]) != 0)
			return 1;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL || pw->pw_uid == 0) {
		fprintf(stderr,
		        "%s: [server] user: %s is %s; started as root, ferry "
		        "serve would exit 77\n",
		        name, cfg->user,
		        pw == NULL ? "not a user of this system" : "root");
		return 1;
	}
	return check_readable(cfg, pw, name);
}

int
check_host(const struct config *cfg, const char *name)
{
	char err[512];
	int errors = 0;

	if (tls_check_config(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		errors++;
	}
	return errors + check_user(cfg, name);
}
