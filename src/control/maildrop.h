/*
 * maildrop — the file format `ferry sendmail` writes into
 * <spool>/maildrop/ and the daemon picks up (docs/queue.md):
 *
 *   ferry-maildrop 1\n
 *   uid 1000\n
 *   sender <alice@example.org>\n        ("<>" for the null sender)
 *   rcpt <bob@example.org>\n            (one or more)
 *   data\n
 *   MESSAGE (CRLF line endings)
 *
 * Files are named by 32 lower-case hex digits (random); the writer creates
 * ".tNAME" first and renames it.  The header is parsed strictly: any
 * unknown, duplicate, missing or malformed line rejects the file, and every
 * address must pass addr_parse_path().
 *
 * Pure: no I/O.  Ownership: maildrop_hdr_free() frees the recipients.
 * Errors: maildrop_parse() returns -1 with a static message in *error_r.
 */
#ifndef FERRY_CONTROL_MAILDROP_H
#define FERRY_CONTROL_MAILDROP_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/addr.h"

#define MAILDROP_DIR "maildrop"
#define MAILDROP_MAGIC "ferry-maildrop 1"
#define MAILDROP_NAME_LEN 32
#define MAILDROP_MAX_RCPTS 1000
/* Longest header: every recipient at the path limit, plus slack. */
#define MAILDROP_HEADER_MAX (MAILDROP_MAX_RCPTS * (ADDR_PATH_MAX + 16) + 256)

struct maildrop_hdr {
	long uid;
	struct mailaddr sender;
	struct mailaddr *rcpts;
	size_t nrcpts;
};

/* A final maildrop name: exactly MAILDROP_NAME_LEN lower-case hex digits. */
bool maildrop_name_valid(const char *name);
/* Appends a copy of a; -1 (ENOMEM, E2BIG over MAILDROP_MAX_RCPTS). */
int maildrop_add_rcpt(struct maildrop_hdr *h, const struct mailaddr *a);
void maildrop_hdr_free(struct maildrop_hdr *h);

/* The header text (through "data\n"); heap, *len_r set.  NULL: ENOMEM. */
char *maildrop_serialize(const struct maildrop_hdr *h, size_t *len_r);
/* Parses the header at buf[0..len); *body_off_r is where the message
 * starts.  h is empty on failure. */
int maildrop_parse(const char *buf, size_t len, struct maildrop_hdr *h,
                   size_t *body_off_r, const char **error_r);

/* "<local@domain>" or "<>" into buf (ADDR_PATH_MAX + 3 octets). */
void maildrop_format_path(const struct mailaddr *a, char *buf, size_t len);

#endif
