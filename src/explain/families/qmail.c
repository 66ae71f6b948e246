/*
 * qmail.c — qmail and its descendants: "Hi. This is the qmail-send
 * program", then "<address>:" and the remote reply per recipient.
 */
#include "explain/families/families.h"

static const char *const body[] = {
        "qmail-send program",
        "this is the qmail",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"no mailbox here by that name", REASON_USERUNKNOWN},
        {"couldn't find any host", REASON_HOSTUNKNOWN},
        {"wasn't able to establish an smtp connection", REASON_NETWORKERROR},
        {"isn't in my list of allowed rcpthosts", REASON_NORELAYING},
        {"this message is looping", REASON_NETWORKERROR},
        {"couldn't find a mail exchanger or ip address", REASON_NOTACCEPT},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_qmail = {
        .name = "qmail",
        .body = body,
        .phrases = phrases,
};
