/*
 * orange.c — Orange (France Télécom: orange.fr, wanadoo.fr), a receiving
 * provider: its replies end with an error token such as "OFR_506 [506]",
 * "OFR005_505 [505]" or "LPN007_426", whose three-digit number is the
 * documented cause.  The hundreds say what kind: 1xx the sending IP
 * (blocklisted, reputation), 4xx the recipient (416-419 unknown, 420-429
 * mailbox disabled), 505 an internal error, 506-599 content judged as
 * spam, 999 refused for now (too many connections or a blocked IP).
 */
#include <stdlib.h>
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"

static const char *const reply_markers[] = {
        "ofr_", "ofr0", "lpn0", "orange.fr", "wanadoo.fr", NULL,
};

/* The number after the token's last '_' ("ofr005_505" -> 505), or -1. */
static int
token_number(const char *folded)
{
	static const char *const prefixes[] = {"ofr", "lpn"};
	const char *p, *u;
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		for (p = strstr(folded, prefixes[i]); p != NULL;
		     p = strstr(p + 3, prefixes[i])) {
			u = p + 3;
			while (*u >= '0' && *u <= '9')
				u++;
			if (*u == '_' && u[1] >= '0' && u[1] <= '9' &&
			    u[2] >= '0' && u[2] <= '9' && u[3] >= '0' &&
			    u[3] <= '9')
				return atoi(u + 1);
		}
	}
	return -1;
}

static int
orange_reason(const struct bounce_entry *e, const char *folded)
{
	int n = token_number(folded);

	if (n < 0)
		return -1;
	if (n == 999 || (n >= 100 && n < 200))
		return REASON_BLOCKED;
	if (n >= 416 && n <= 419)
		return REASON_USERUNKNOWN;
	if (n >= 420 && n <= 429)
		return REASON_SUSPEND;
	if (n == 505)
		return REASON_SYSTEMERROR;
	if (n > 505 && n < 600)
		return REASON_SPAMDETECTED;
	return -1;
}

const struct bounce_family family_orange = {
        .name = "orange",
        .reply_markers = reply_markers,
        .reply_reason = orange_reason,
};
