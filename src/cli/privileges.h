/*
 * privileges — running as root only as long as needed: after the ports are
 * bound and the spool is open, give the spool and Maildir roots to the
 * configured user and become that user for good.
 *
 * Directories whose parents the user cannot traverse (e.g. a demo started
 * in /root) stay reachable through descriptors opened while still root:
 * their paths in the config are replaced by /proc/self/fd/N.
 *
 * A [domain] with an owner is not given to the user: its Maildirs are
 * made as root for that owner and mode, and the daemon keeps the owner's
 * group to write into them.
 *
 * Errors: -1 after logging why.  Call before starting worker threads that
 * must not run as root.
 */
#ifndef FERRY_CLI_PRIVILEGES_H
#define FERRY_CLI_PRIVILEGES_H

#include <sys/types.h>

struct config;

int privileges_drop(struct config *cfg);

/* "USER[:GROUP]" to ids (GROUP: USER's group); -1 when unknown. */
int privileges_owner_ids(const char *owner, uid_t *uid, gid_t *gid);

#endif
