/*
 * queue_int — the parts of `ferry queue` that tests call directly: output
 * formats (queue_format.c) and the control-socket client (queue_client.c).
 */
#ifndef FERRY_CLI_QUEUE_INT_H
#define FERRY_CLI_QUEUE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "queue/envelope.h"

/* Columns of the list: "ID!" (17), size (8), arrival (19). */
#define QUEUE_LIST_INDENT 47

/* Totals for the closing line of the list. */
struct queue_totals {
	unsigned long long bytes;
	unsigned long requests;
};

/* One message in the mailq layout: the line with id ('!' when held),
 * size, arrival and sender, then each pending, deferred (or with
 * show_all, every) recipient, preceded by its last reply in parentheses. */
void queue_print_entry(FILE *out, const struct envelope *env, bool held,
                       struct queue_totals *t);
void queue_print_header(FILE *out);
/* "-- 3 Kbytes in 2 Requests." or "Mail queue is empty". */
void queue_print_totals(FILE *out, const struct queue_totals *t);

/* One JSON object (one line) for `queue list --json`. */
void queue_print_json(FILE *out, const struct envelope *env, bool held);
/* `queue show`: the envelope, then the header block of msg (may be NULL). */
void queue_print_show(FILE *out, const struct envelope *env, bool held,
                      const char *msg, size_t len);
void queue_print_show_json(FILE *out, const struct envelope *env, bool held,
                           const char *msg, size_t len);

/* The reason category of a recipient's last reply ("mailboxfull"), or NULL
 * when it has none or is not deferred or bounced. */
const char *queue_rcpt_reason(const struct envelope_rcpt *r);
/* Length of the header block at msg (through the empty line, or all). */
size_t queue_header_len(const char *msg, size_t len);
void queue_json_string(FILE *out, const char *s);

/* Sends "line\n" to <spool_dir>/control.sock and reads the answer into
 * reply (without its last "\n"; one line but for a refused RELOAD).  Returns 0,
 * or a sysexits code after printing why to stderr. */
int queue_control(const char *spool_dir, const char *line, char *reply,
                  size_t len);

/* Which queued messages `queue delete` takes at once: those with a
 * recipient still to deliver that is deferred (deferred), in a domain
 * (rcpt_domain), and from a sender ("" for <>); NULL/false: any. */
struct queue_filter {
	bool deferred;
	const char *sender;
	const char *rcpt_domain;
};

/* Deletes them through the daemon, one DELETE each, and prints how many.
 * Returns 0 or a sysexits code. */
int queue_delete_matching(const char *spool_dir, const struct queue_filter *f);

#endif
