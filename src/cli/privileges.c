/*
 * privileges.c — drop root after binding (see privileges.h).
 */
#define _XOPEN_SOURCE 700
#include "cli/privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"

static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (st->st_uid != chown_uid || st->st_gid != chown_gid)
		if (lchown(path, chown_uid, chown_gid) < 0)
			return -1;
	return 0;
}

/* Make a directory tree the user's, creating the top if missing. */
static int
give_tree(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	return nftw(path, chown_entry, 16, FTW_PHYS);
}

/* True if uid can search and write dir (checked with that user's rights). */
static bool
user_can_reach(const char *dir, uid_t uid, gid_t gid)
{
	bool ok;

	if (setegid(gid) < 0 || seteuid(uid) < 0)
		return false;
	ok = access(dir, W_OK | X_OK) == 0;
	if (seteuid(0) < 0 || setegid(0) < 0)
		log_fatal("privileges", "cannot regain root to finish setup");
	return ok;
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
	*path = strdup(alias);
	return *path ? 0 : -1;
}

static int
prepare_maildirs(struct config *cfg, uid_t uid, gid_t gid)
{
	size_t i;

	for (i = 0; i < cfg->ndomains; i++) {
		char **root = &cfg->domains[i].maildir_root;

		if (give_tree(*root, uid, gid) < 0) {
			log_event(LOG_LVL_ERROR, "privileges", "dir", *root,
			          "error", strerror(errno), NULL);
			return -1;
		}
		if (!user_can_reach(*root, uid, gid) && pin_directory(root) < 0)
			return -1;
	}
	return 0;
}

int
privileges_drop(struct config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
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
	if (give_tree(cfg->spool_dir, pw->pw_uid, pw->pw_gid) < 0 ||
	    prepare_maildirs(cfg, pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
		log_event(LOG_LVL_ERROR, "privileges", "user", cfg->user,
		          "error", strerror(errno), NULL);
		return -1;
	}
	log_event(LOG_LVL_INFO, "privileges", "user", cfg->user, NULL);
	return 0;
}
