/*
 * yahoo.c — Yahoo: "Sorry, we were unable to deliver your message to the
 * following address.", then "<address>:" and the remote reply.
 */
#include "explain/families/families.h"

static const char *const body[] = {
        "sorry, we were unable to deliver your message",
        NULL,
};

const struct bounce_family family_yahoo = {
        .name = "yahoo",
        .body = body,
};
