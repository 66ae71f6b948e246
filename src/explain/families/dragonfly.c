/*
 * dragonfly.c — DragonFly Mail Agent (dma): "There was an error
 * delivering your mail to <address>.", the remote reply or dma's own sentence
 * below it, then "Message headers follow."
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "received:dragonfly mail agent",
        NULL,
};
static const char *const body[] = {
        "this is the dragonfly mail agent",
        NULL,
};
static const char *const end[] = {
        "message headers follow",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"could not deliver for the last", REASON_EXPIRED},
        {"unable to resolve", REASON_HOSTUNKNOWN},
        {"can not resolve", REASON_HOSTUNKNOWN},
        {"dns lookup failure", REASON_HOSTUNKNOWN},
        {NULL, REASON_UNDEFINED},
};

const struct bounce_family family_dragonfly = {
        .name = "dragonfly",
        .headers = headers,
        .body = body,
        .end = end,
        .phrases = phrases,
};
