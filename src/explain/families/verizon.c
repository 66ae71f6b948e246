/*
 * verizon.c — Verizon's e-mail-to-SMS gateway (vtext.com): "Error: Invalid
 * user address" and the remote reply, then the envelope; the number the
 * message went to does not exist.  Its layout is Apache James's.
 */
#include "explain/families/families.h"

static const char *const headers[] = {
        "from:@vtext.com",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"invalid user address", REASON_USERUNKNOWN},
        {NULL, REASON_UNDEFINED},
};

static void
read_verizon(const struct bounce_text *t, struct bounce_report *rep)
{
	family_apachejames.read(t, rep);
}

const struct bounce_family family_verizon = {
        .name = "verizon",
        .headers = headers,
        .phrases = phrases,
        .read = read_verizon,
};
