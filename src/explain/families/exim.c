/*
 * exim.c — Exim: "This message was created automatically by mail
 * delivery software." and "A message that you sent could not be delivered to
 * one or more of its recipients", then "  address" and the reason indented
 * below it; the failed addresses also in X-Failed-Recipients.
 */
#include "explain/families/families.h"

static const char *const body[] = {
        "mail delivery software",
        "following address(es) failed",
        "incorrectly constructed",
        NULL,
};
static const char *const end[] = {
        "------ this is a copy of the message",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"all hosts * have been failing for a long time", REASON_EXPIRED},
        {"all relevant mx records point to non-existent hosts",
         REASON_HOSTUNKNOWN},
        {"unrouteable address", REASON_HOSTUNKNOWN},
        {"unknown mail transport error", REASON_NETWORKERROR},
        {"too many \"received\" headers", REASON_NETWORKERROR},
        {"mailbox is full", REASON_MAILBOXFULL},
        {"quota exceeded", REASON_MAILBOXFULL},
        {"retry timeout exceeded", REASON_EXPIRED},
        {"error in address", REASON_SYNTAXERROR},
        {"return message verification", REASON_REJECTED},
        {"the account or domain may not exist", REASON_HOSTUNKNOWN},
        {"pipe to |", REASON_MAILERERROR},
        {"malformed address", REASON_SYNTAXERROR},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_exim = {
        .name = "exim",
        .body = body,
        .end = end,
        .phrases = phrases,
};
