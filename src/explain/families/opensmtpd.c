/*
 * opensmtpd.c — OpenSMTPD: "This is the MAILER-DAEMON, please DO NOT
 * REPLY", then "address: reply" per recipient, then "Below is a copy of the
 * original message:".
 */
#include "explain/families/families.h"

static const char *const body[] = {
        "this is the mailer-daemon, please do not reply",
        "an error has occurred while attempting to deliver a message",
        NULL,
};
static const char *const end[] = {
        "below is a copy of the original message",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"invalid domain name", REASON_HOSTUNKNOWN},
        {"domain has no mx", REASON_HOSTUNKNOWN},
        {"no mx found for domain", REASON_NOTACCEPT},
        {"destination seem to reject all mails", REASON_NOTACCEPT},
        {"network error on destination mxs", REASON_NETWORKERROR},
        {"temporary failure in mx lookup", REASON_NETWORKERROR},
        {"envelope expired", REASON_EXPIRED},
        {"delivery time expired", REASON_EXPIRED},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_opensmtpd = {
        .name = "opensmtpd",
        .body = body,
        .end = end,
        .phrases = phrases,
};
