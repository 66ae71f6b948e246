/*
 * maildir — writing one message into a Maildir (an unnamed file made in tmp/
 * and linked into new/, or tmp/ then rename into new/ where the kernel
 * refuses the link), and a cache of Maildirs known to exist, with their
 * tmp/ and new/ open, so a delivery normally costs four syscalls, each
 * relative to a directory descriptor instead of a walk of the whole path:
 * openat, writev, linkat, close.
 *
 * Durability is the caller's job (one sync per batch), except that creating
 * a Maildir fsyncs the new directories and their parents, since the batch
 * sync in SYNC_FSYNC mode only covers the new/ directories it touched.
 *
 * Ownership: the cache owns copies of the paths it is given, and the
 * descriptors of at most MAILDIR_OPEN_MAX (maildir.c) Maildirs' tmp/ and
 * new/, the least recently used closed first.
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
/* Forgets path (and closes its directories), e.g. after it vanished
 * under us. */
void maildir_forget(struct maildir_cache *c, const char *path);
/* A new round (a delivery batch): maildir_prepare() checks once per round
 * that each cached Maildir's new/ is still the directory it holds open,
 * and prepares it afresh when it was deleted or replaced. */
void maildir_cache_round(struct maildir_cache *c);
/* The open new/ of a prepared Maildir (for the batch's sync), or -1. */
int maildir_new_dir(struct maildir_cache *c, const char *path);

/*
 * Writes iov[] as one new message: an unnamed file in path/tmp/ (O_TMPFILE)
 * linked as path/new/NAME, then fsynced when do_fsync; where O_TMPFILE or
 * the link by descriptor is refused, path/tmp/NAME fsynced when do_fsync and
 * renamed to path/new/NAME.  All relative to the directories c holds open
 * for a prepared path (else by full path).  NAME is unique per the Maildir
 * convention: "SECS.MUSECSPpidQseq_QID.HOST,S=SIZE".  A Maildir deleted
 * under the cache fails with ENOENT: forget it and prepare it again.
 */
int maildir_write(struct maildir_cache *c, const char *path, const char *qid,
                  const struct iovec *iov, int iovcnt, bool do_fsync,
                  mode_t mode);

#endif
