/*
 * amazonworkmail.c — Amazon WorkMail: a text part with "Technical
 * report:" and the RFC 3464 fields inside it rather than in a delivery-status
 * part.
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "x-mailer:amazon workmail",
        NULL,
};

const struct bounce_family family_amazonworkmail = {
        .name = "amazonworkmail",
        .headers = headers,
};
