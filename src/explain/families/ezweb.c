/*
 * ezweb.c — au by KDDI's mobile mail (ezweb.ne.jp): "Mail System Error -
 * Returned Mail" from Postmaster@ezweb.ne.jp, a Japanese notice
 * (ISO-2022-JP) with an English sentence saying why, then the address on
 * a line of its own.  The sentence is the reason even when a delivery-
 * status part quotes a generic "550 user unknown".
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "from:@ezweb.ne.jp",
        NULL,
};
static const char *const body[] = {
        "the user(s) account is",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"account is disabled", REASON_SUSPEND},
        {"account is temporarily", REASON_SUSPEND},
        {"over quota", REASON_MAILBOXFULL},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_ezweb = {
        .name = "ezweb",
        .headers = headers,
        .body = body,
        .phrases = phrases,
        .notice_says_why = 1,
};
