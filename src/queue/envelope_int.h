/*
 * envelope_int — token escaping shared by the envelope serialiser and
 * parser.  Not part of the public interface.
 *
 * A value is written as one space-free token: "-" stands for NULL, "." for
 * the empty string, and every byte that could split a token or a line
 * (controls, space, DEL) as well as '%' itself is written as %XX.  Bytes
 * >= 0x80 stay raw so SMTPUTF8 addresses remain readable.
 */
#ifndef FERRY_QUEUE_ENVELOPE_INT_H
#define FERRY_QUEUE_ENVELOPE_INT_H

#include <stddef.h>
#include <stdio.h>

#define ENVELOPE_MAGIC "ferry-envelope"
/* Version written: 4 has the message's checksum ("crc") and its own (on
 * the "end" line), and may carry "requiretls".  The parser also reads the
 * versions before: 1 (no "auth" line), 2, and 3 (2 with "requiretls": a
 * ferry that knew no REQUIRETLS rejected it rather than relay the message
 * without it; every ferry from before 4 rejects version 4 too). */
#define ENVELOPE_VERSION 4

/* Writes the token for s (NULL allowed) to f. */
void envelope_put_token(FILE *f, const char *s);
/* Decodes a token of len bytes.  *out is NULL for "-", else a heap string.
 * Returns -1 on a malformed escape or an encoded NUL byte. */
int envelope_get_token(const char *tok, size_t len, char **out);

/* which 0: enum dsn_ret names, 1: enum body_type names. */
int envelope_enum_from_name(int which, const char *s, size_t len, int *out);

#endif
