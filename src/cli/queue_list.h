/*
 * queue_list — the queue listing (`ferry queue list`, mailq): envelope
 * summaries of the queued and held messages, never their content.  Used by
 * the CLI on a spool it may read, and by the daemon's showq socket for
 * users who may not (control.h).
 */
#ifndef FERRY_CLI_QUEUE_LIST_H
#define FERRY_CLI_QUEUE_LIST_H

#include <stdbool.h>
#include <stdio.h>

struct spool;

/* Writes the listing of sp (text or JSON lines) to out; -1 when part of
 * the queue could not be read. */
int queue_list_write(FILE *out, struct spool *sp, bool json);

/* `queue list` for a user who cannot read the spool: the daemon's listing
 * from <spool_dir>/showq.sock copied to stdout.  An exit status. */
int queue_showq(const char *spool_dir);

#endif
