/*
 * trendmicro.c — Trend Micro InterScan Messaging Security Suite: "The
 * following mail could not be delivered." and "Reason: Unable to deliver
 * message to <address> (and other recipients in the same domain)." —
 * InterScan's words for a recipient the next hop refused.
 */
#include "explain/families/families.h"

static const char *const body[] = {
        "interscan messaging security suite",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"unable to deliver message to", REASON_USERUNKNOWN},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_trendmicro = {
        .name = "trendmicro",
        .body = body,
        .phrases = phrases,
};
