/*
 * maildir — writing one message into a Maildir (tmp/ then rename into new/),
 * and a cache of Maildirs known to exist so a delivery normally costs four
 * syscalls: open, writev, close, rename.
 *
 * Durability is the caller's job (one sync per batch), except that creating
 * a Maildir fsyncs the new directories and their parents, since the batch
 * sync in SYNC_FSYNC mode only covers the new/ directories it touched.
 *
 * Ownership: the cache owns copies of the paths it is given.
 * Errors: -1 with errno.  Threads: one cache per thread; maildir_write() is
 * thread-safe (the sequence number is atomic).
 */
#ifndef FERRY_DELIVER_MAILDIR_H
#define FERRY_DELIVER_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct maildir_cache;

struct maildir_cache *maildir_cache_new(void);
void maildir_cache_free(struct maildir_cache *c);

/* Makes sure path/{tmp,new,cur} exist (mode 0700, parents as needed; under
 * a setgid directory whose group has rwx, that directory's mode) and
 * returns the device the Maildir lives on (for syncfs batching) and the
 * mode for its messages: 0600, or for a Maildir whose group has rwx (one
 * shared with a reader such as Dovecot) its mode without execute bits. */
int maildir_prepare(struct maildir_cache *c, const char *path, dev_t *dev,
                    mode_t *file_mode);
/* Forgets path, e.g. after it vanished under us. */
void maildir_forget(struct maildir_cache *c, const char *path);

/*
 * Writes iov[] as one new message: path/tmp/NAME, fsync when do_fsync,
 * rename to path/new/NAME.  NAME is unique per the Maildir convention:
 * "SECS.MUSECSPpidQseq_QID.HOST,S=SIZE".
 */
int maildir_write(const char *path, const char *qid, const struct iovec *iov,
                  int iovcnt, bool do_fsync, mode_t mode);

#endif
