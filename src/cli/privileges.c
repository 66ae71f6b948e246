/*
 * privileges.c — drop root after binding (see privileges.h).
 */
#include "base/str.h"
#include "cli/privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/log.h"
#include "config/config.h"

static uid_t chown_uid;
static bool need_dumpable;
static gid_t chown_gid;
/* While a domain's tree is given to the daemon: its mailboxes with an
 * owner of their own are left to own_mailbox(). */
static const struct config_domain *chown_domain;

static int
chown_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	/* The generated TLS pair is the key process's, root's alone
	 * (cli/keyproc.h): never the daemon's. */
	if (flag == FTW_D && f->level == 1 && chown_domain == NULL &&
	    strcmp(path + f->base, "tls") == 0)
		return FTW_SKIP_SUBTREE;
	if (st->st_uid != chown_uid || st->st_gid != chown_gid)
		if (lchown(path, chown_uid, chown_gid) < 0)
			return FTW_STOP;
	/* Files waiting in the world-writable maildrop keep the owner who
	 * submitted them: that owner is checked when they are picked up. */
	if (flag == FTW_D && f->level == 1 &&
	    strcmp(path + f->base, "maildrop") == 0)
		return FTW_SKIP_SUBTREE;
	if (flag == FTW_D && f->level == 1 && chown_domain != NULL &&
	    config_mailbox_owner(chown_domain, path + f->base) != NULL)
		return FTW_SKIP_SUBTREE;
	return FTW_CONTINUE;
}

/* Make a directory tree the user's, creating it if missing. */
static int
give_tree(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	if (fs_mkdir_p(path, 0755) < 0)
		return -1;
	/* 0 when the walk completed; FTW_STOP or -1 otherwise. */
	return nftw(path, chown_entry, 16, FTW_PHYS | FTW_ACTIONRETVAL) == 0
	               ? 0
	               : -1;
}

/* True if uid can search and write dir (checked with that user's rights). */
static bool
user_can_reach(const char *dir, uid_t uid, gid_t gid)
{
	bool ok;

	if (setegid(gid) < 0 || seteuid(uid) < 0)
		return false;
	ok = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
	if (seteuid(0) < 0 || setegid(0) < 0)
		log_fatal("privileges", "cannot regain root to finish setup");
	return ok;
}

/* Use the path relative to the working directory: the kernel does not
 * check the working directory's ancestors when resolving it. */
static bool
relative_to_cwd(char **path, uid_t uid, gid_t gid)
{
	char cwd[4096], *rel;
	size_t n;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	n = strlen(cwd);
	if (strncmp(*path, cwd, n) != 0 || (*path)[n] != '/')
		return false;
	rel = str_dup(*path + n + 1);
	if (rel == NULL || !user_can_reach(rel, uid, gid)) {
		free(rel);
		return false;
	}
	free(*path);
	*path = rel;
	return true;
}

/* Replace *path by a /proc/self/fd/N alias of a descriptor opened now. */
static int
pin_directory(char **path)
{
	char alias[64];
	int fd = open(*path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return -1;
	snprintf(alias, sizeof(alias), "/proc/self/fd/%d", fd);
	free(*path);
	*path = str_dup(alias);
	return *path ? 0 : -1;
}

/* The groups the daemon keeps: those of the domains' owners. */
#define KEPT_GROUPS_MAX 64
static gid_t kept_groups[KEPT_GROUPS_MAX];
static size_t nkept_groups;

static int
keep_group(gid_t gid)
{
	size_t i;

	for (i = 0; i < nkept_groups; i++)
		if (kept_groups[i] == gid)
			return 0;
	if (nkept_groups == KEPT_GROUPS_MAX)
		return -1;
	kept_groups[nkept_groups++] = gid;
	return 0;
}

int
privileges_owner_ids(const char *owner, uid_t *uid, gid_t *gid)
{
	char user[256];
	const char *colon = strchr(owner, ':');
	const struct passwd *pw;
	const struct group *gr;

	snprintf(user, sizeof(user), "%.*s",
	         (int)(colon ? (size_t)(colon - owner) : strlen(owner)), owner);
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL)
			return -1;
		*gid = gr->gr_gid;
	}
	return 0;
}

/* One directory of an owned domain, made or brought to owner and mode
 * (the directories only: messages already there keep theirs). */
static int
own_dir(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
		return -1;
	return 0;
}

static int
owner_ids_logged(const struct config_domain *d, const char *owner, uid_t *uid,
                 gid_t *gid)
{
	if (privileges_owner_ids(owner, uid, gid) == 0)
		return keep_group(*gid);
	log_event(LOG_LVL_ERROR, "privileges", "domain", d->name, "owner",
	          owner, "error", "no such user or group", NULL);
	return -1;
}

/* One mailbox's Maildir (tmp, new, cur) as its owner's, with the mode. */
static int
own_mailbox(const struct config_domain *d, const char *mailbox,
            const char *owner)
{
	static const char *const subs[] = {"", "/tmp", "/new", "/cur"};
	char path[4096];
	uid_t uid;
	gid_t gid;

	if (owner_ids_logged(d, owner, &uid, &gid) < 0)
		return -1;
	for (size_t j = 0; j < 4; j++) {
		snprintf(path, sizeof(path), "%s/%s%s", d->maildir_root,
		         mailbox, subs[j]);
		if (own_dir(path, uid, gid, (mode_t)d->maildir_mode) < 0) {
			log_event(LOG_LVL_ERROR, "privileges", "dir", path,
			          "error", strerror(errno), NULL);
			return -1;
		}
	}
	return 0;
}

/* Every mailbox with an owner (its own or the domain's). */
static int
own_mailboxes(const struct config_domain *d)
{
	for (size_t i = 0; i < d->nmailboxes; i++) {
		const char *owner =
		        config_mailbox_owner(d, d->mailboxes[i].name);

		if (owner != NULL &&
		    own_mailbox(d, d->mailboxes[i].name, owner) < 0)
			return -1;
	}
	return 0;
}

/*
 * A domain with an owner: its Maildirs are made here, as root, owned by
 * that user and group with the domain's mode; the daemon stays
 * unprivileged and writes through the group, which it keeps.
 */
static int
prepare_owned(const struct config_domain *d)
{
	uid_t uid;
	gid_t gid;

	if (owner_ids_logged(d, d->owner, &uid, &gid) < 0)
		return -1;
	if (fs_mkdir_p(d->maildir_root, 0755) < 0 ||
	    own_dir(d->maildir_root, uid, gid, (mode_t)d->maildir_mode) < 0) {
		log_event(LOG_LVL_ERROR, "privileges", "dir", d->maildir_root,
		          "error", strerror(errno), NULL);
		return -1;
	}
	return own_mailboxes(d);
}

static int
prepare_maildirs(struct config *cfg, uid_t uid, gid_t gid)
{
	size_t i;

	for (i = 0; i < cfg->ndomains; i++) {
		char **root = &cfg->domains[i].maildir_root;

		if (*root == NULL) /* the whole domain goes over LMTP */
			continue;
		if (cfg->domains[i].owner != NULL) {
			if (prepare_owned(&cfg->domains[i]) < 0)
				return -1;
			continue;
		}

		chown_domain = &cfg->domains[i];
		if (give_tree(*root, uid, gid) < 0) {
			chown_domain = NULL;
			log_event(LOG_LVL_ERROR, "privileges", "dir", *root,
			          "error", strerror(errno), NULL);
			return -1;
		}
		chown_domain = NULL;
		/* Mailboxes with an owner of their own, in a daemon's domain.
		 */
		if (own_mailboxes(&cfg->domains[i]) < 0)
			return -1;
		if (user_can_reach(*root, uid, gid) ||
		    relative_to_cwd(root, uid, gid))
			continue;
		if (pin_directory(root) < 0)
			return -1;
		/* /proc/self/fd of a process that changed uid is root's
		 * unless the process is dumpable again. */
		need_dumpable = true;
	}
	return 0;
}

int
privileges_drop(struct config *cfg)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		for (size_t i = 0; i < cfg->ndomains; i++)
			if (cfg->domains[i].owner != NULL ||
			    cfg->domains[i].nmailbox_owners > 0)
				log_event(LOG_LVL_WARN, "privileges", "domain",
				          cfg->domains[i].name, "error",
				          "not started as root: owner and mode "
				          "are not applied",
				          NULL);
		return 0;
	}
	if (cfg->user == NULL || cfg->user[0] == '\0') {
		log_event(LOG_LVL_ERROR, "privileges", "error",
		          "started as root but no 'user' to run as", NULL);
		return -1;
	}
	pw = getpwnam(cfg->user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_event(LOG_LVL_ERROR, "privileges", "user", cfg->user,
		          "error", "no such unprivileged user", NULL);
		return -1;
	}
	/* Owners' look-ups below reuse getpwnam()'s storage. */
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (give_tree(cfg->spool_dir, uid, gid) < 0 ||
	    prepare_maildirs(cfg, uid, gid) < 0)
		return -1;
	if (setgroups(nkept_groups, kept_groups) < 0 || setgid(gid) < 0 ||
	    setuid(uid) < 0 || setuid(0) == 0) {
		log_event(LOG_LVL_ERROR, "privileges", "user", cfg->user,
		          "error", strerror(errno), NULL);
		return -1;
	}
	if (need_dumpable)
		prctl(PR_SET_DUMPABLE, 1);
	log_event(LOG_LVL_INFO, "privileges", "user", cfg->user, NULL);
	return 0;
}
