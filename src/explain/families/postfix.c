/*
 * postfix.c — Postfix: "This is the mail system at host ...", a DSN part
 * beside the text; without one, "<address>: host ... said: reply (in reply
 * to RCPT TO command)" per recipient.
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "x-postfix-queue-id:",
        NULL,
};
static const char *const body[] = {
        "this is the mail system at host",
        "this is the postfix program",
        NULL,
};

const struct bounce_family family_postfix = {
        .name = "postfix",
        .headers = headers,
        .body = body,
};
