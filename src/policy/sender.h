/*
 * sender — which MAIL FROM addresses an authenticated user may use
 * (submission, RFC 6409 s8.1).  A user owns: the login itself when it is an
 * address; login@D for every local domain D; local addresses (mailboxes or
 * aliases) that lead only to the user's own mailbox; and what [auth] sender
 * rules grant ("login: addr, *@domain, *").  The null reverse-path is always
 * allowed (bounces and notifications).
 *
 * Pure: reads the immutable config.  Case-insensitive.
 */
#ifndef FERRY_POLICY_SENDER_H
#define FERRY_POLICY_SENDER_H

#include <stdbool.h>

struct config;

/* sender is "local@domain" or "" for <>. */
bool sender_owned(const struct config *cfg, const char *login,
                  const char *sender);

#endif
