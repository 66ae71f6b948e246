/*
 * exchange.c — Microsoft Exchange 2003 to Office 365: "Your message did
 * not reach some or all of the intended recipients" / "Delivery has failed to
 * these recipients", the address on a line of its own ("address on <date>"),
 * Exchange's sentence below it, and "Diagnostic information for
 * administrators" with the remote reply.
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "x-mailer:internet mail service",
        "x-ms-exchange-message-is-ndr:",
        NULL,
};
static const char *const body[] = {
        "did not reach the following recipient",
        "did not reach some or all of the intended recipients",
        "delivery has failed to these recipients",
        "diagnostic information for administrators",
        "remote server returned '",
        "resolver.adr.",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"recipient name is not recognized", REASON_USERUNKNOWN},
        {"the e-mail account does not exist", REASON_USERUNKNOWN},
        {"unknown recipient", REASON_USERUNKNOWN},
        {"mailbox is full", REASON_MAILBOXFULL},
        {"message was too large", REASON_MESGTOOBIG},
        {"message deleted by", REASON_FILTERED},
        {"could not be delivered because delivery to this address is "
         "restricted",
         REASON_FILTERED},
        {"message expired", REASON_EXPIRED},
        {"delivery to this recipient has been delayed", REASON_EXPIRED},
        {"destination domain does not exist", REASON_HOSTUNKNOWN},
        {"recipsizelimit", REASON_EXCEEDLIMIT},
        {"resolver.adr.recipnotfound", REASON_USERUNKNOWN},
        {"resolver.adr.recipientnotfound", REASON_USERUNKNOWN},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_exchange = {
        .name = "exchange",
        .headers = headers,
        .body = body,
        .phrases = phrases,
};
