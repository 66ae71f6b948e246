/*
 * cox.c — Cox (cox.net), a receiving provider: its refusals carry an
 * acceptable-use token "AUP#XXXX" documented on its error-code page;
 * the blocklist codes end in "BL" (CXBL, CDRBL, IPBL...): the sending IP
 * is listed.
 */
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"

static const char *const reply_markers[] = {
        "cox.com",
        "cox.net",
        NULL,
};

static int
cox_reason(const struct bounce_entry *e, const char *folded)
{
	const char *p = strstr(folded, "aup#");
	size_t n;

	if (p == NULL)
		return -1;
	p += 4;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n >= 2 && p[n - 2] == 'b' && p[n - 1] == 'l')
		return REASON_BLOCKED;
	return -1;
}

const struct bounce_family family_cox = {
        .name = "cox",
        .reply_markers = reply_markers,
        .reply_reason = cox_reason,
};
