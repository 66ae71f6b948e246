/*
 * imailserver.c — Ipswitch IMail: one line per recipient, "reason:
 * address", then "Original message follows."
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "x-mailer:<smtp32",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"unknown user", REASON_USERUNKNOWN},
        {"user mailbox exceeds allowed size", REASON_MAILBOXFULL},
        {"delivery failed * attempts", REASON_EXPIRED},
        {"invalid final delivery userid", REASON_USERUNKNOWN},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_imailserver = {
        .name = "imailserver",
        .headers = headers,
        .phrases = phrases,
};
