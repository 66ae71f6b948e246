/*
 * googlegroups.c — Google Groups: Gmail's mailer tells the sender that
 * the group does not exist or does not take posts from them (in the sender's
 * language); the group is in X-Failed-Recipients.  Either way the group
 * refused the sender.
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "x-failed-recipients:@googlegroups.",
        NULL,
};

const struct bounce_family family_googlegroups = {
        .name = "googlegroups",
        .headers = headers,
        .fixed = REASON_REJECTED,
};
