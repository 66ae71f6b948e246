/*
 * spectrum.c — Spectrum (Charter: spectrum.net, charter.net), a receiving
 * provider: refusals carry "AUP#I" (incoming) or "AUP#O" (outgoing)
 * followed by a four-digit code, listed on Spectrum's "understanding email
 * error codes" page by ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"

static const char *const reply_markers[] = {
        "spectrum.net", "charter.net", "aup#i", "aup#o", NULL,
};

/* clang-format off */
static const struct {
	int from, to;
	enum explain_reason reason;
} ranges[] = {
	{1000, 1000, REASON_BLOCKED},       /* sending IP blocked */
	{1010, 1080, REASON_REJECTED},      /* sending account blocked or limited */
	{1090, 1090, REASON_SYSTEMERROR},   /* cannot be processed now */
	{1100, 1150, REASON_REQUIREPTR},    /* no full-circle reverse DNS */
	{1160, 1190, REASON_POLICYVIOLATION},
	{1200, 1250, REASON_BLOCKED},       /* listed by Cloudmark or Spamhaus */
	{1260, 1260, REASON_NETWORKERROR},  /* IPv6 not accepted */
	{1300, 1340, REASON_TOOMANYCONN},   /* connection limits */
	{1350, 1490, REASON_RATELIMITED},   /* message and recipient limits */
	{1500, 1520, REASON_REJECTED},      /* sending as another address */
	{1530, 1530, REASON_MESGTOOBIG},
	{1540, 1550, REASON_RATELIMITED},
	{1560, 1560, REASON_POLICYVIOLATION}, /* too many invalid recipients */
	{1580, 1580, REASON_RATELIMITED},
};
/* clang-format on */

static int
spectrum_reason(const struct bounce_entry *e, const char *folded)
{
	const char *p = strstr(folded, "aup#");
	size_t i;
	int n;

	if (p == NULL)
		return -1;
	p += 4;
	while ((*p >= 'a' && *p <= 'z') || *p == '-')
		p++;
	if (strspn(p, "0123456789") != 4)
		return -1;
	n = atoi(p);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (n >= ranges[i].from && n <= ranges[i].to)
			return (int)ranges[i].reason;
	return -1;
}

const struct bounce_family family_spectrum = {
        .name = "spectrum",
        .reply_markers = reply_markers,
        .reply_reason = spectrum_reason,
};
