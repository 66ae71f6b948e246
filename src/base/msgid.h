/*
 * msgid — the Message-ID of a stored message, for the log lines that let
 * an administrator follow a message from the client's view to ours.
 */
#ifndef FERRY_BASE_MSGID_H
#define FERRY_BASE_MSGID_H

#include <stddef.h>

/*
 * Copies the Message-ID header field's value (folding and surrounding
 * space removed, control bytes dropped) of msg into out, at most outlen-1
 * bytes.  Looks only at the header section.  Returns out, or NULL when
 * the message has no Message-ID (out is then "").
 */
const char *msgid_find(const char *msg, size_t len, char *out, size_t outlen);

#endif
