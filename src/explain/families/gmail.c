/*
 * gmail.c — Gmail: "Delivery to the following recipient failed
 * permanently:" and "Technical details of permanent failure:" (older), or
 * "Your message wasn't delivered to <address>" and "The response from the
 * remote server was:" (newer).
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "from:mailer-daemon@googlemail.com",
        NULL,
};
static const char *const body[] = {
        "delivery to the following recipient",
        "google tried to deliver your message",
        "your message wasn't delivered to",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"the recipient server did not accept our requests to connect",
         REASON_EXPIRED},
        {"dns error: domain name not found", REASON_HOSTUNKNOWN},
        {"dns error: dns server returned answer with no data",
         REASON_HOSTUNKNOWN},
        {"the email account that you tried to reach does not exist",
         REASON_USERUNKNOWN},
        {"the email account that you tried to reach is disabled",
         REASON_SUSPEND},
        {"the email account that you tried to reach is over quota",
         REASON_MAILBOXFULL},
        {"message rejected. please visit", REASON_SPAMDETECTED},
        {"has been blocked", REASON_BLOCKED},
        {"delivery to the following recipient has been delayed",
         REASON_EXPIRED},
        {"message will be retried", REASON_EXPIRED},
        {"'send mail as'", REASON_REJECTED},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_gmail = {
        .name = "gmail",
        .headers = headers,
        .body = body,
        .phrases = phrases,
};
