/*
 * nttdocomo.c — NTT docomo (docomo.ne.jp), a receiving provider.  Its
 * "550 Unknown user" answers RCPT TO for an address that does not exist,
 * but its reception filter (a subscriber's domain or sender rejection
 * settings) gave the same words after DATA: then the sender was refused.
 * X.2.0 with those words is the filter too.
 */
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"

static const char *const reply_markers[] = {
        "docomo.ne.jp",
        "docomo.",
        NULL,
};

static int
docomo_reason(const struct bounce_entry *e, const char *folded)
{
	if (strstr(folded, "552 too much mail data") != NULL)
		return REASON_MAILBOXFULL;
	if (strstr(folded, "552 too many recipients") != NULL)
		return REASON_TOOMANYCONN;
	if (strstr(folded, "unknown user") == NULL)
		return -1;
	if (strcmp(e->status, "5.2.0") == 0)
		return REASON_FILTERED;
	if (e->command == BOUNCE_CMD_DATA)
		return REASON_REJECTED;
	if (e->command == BOUNCE_CMD_RCPT)
		return REASON_USERUNKNOWN;
	return -1;
}

const struct bounce_family family_nttdocomo = {
        .name = "nttdocomo",
        .reply_markers = reply_markers,
        .reply_reason = docomo_reason,
};
