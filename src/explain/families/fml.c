/*
 * fml.c — the fml mailing-list manager's error notices to the list's
 * owner: "Loop Alert: Duplicated Message-ID" and similar, naming the
 * list address; the list refused the message because of its own checks
 * (a loop, a duplicate), a fault of the system, not of an address.
 */
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const headers[] = {
        "subject:loop alert:",
        NULL,
};
static const char *const body[] = {
        "duplicated message-id",
        NULL,
};

static void
read_fml(const struct bounce_text *t, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	const char *nl = memchr(t->text, '\n', t->len);
	size_t n = nl ? (size_t)(nl - t->text) : t->len;
	struct bounce_entry *e;

	if (!mime_address(t->text, n, addr, sizeof(addr)) ||
	    (e = bounce_entry_for(rep, addr)) == NULL)
		return;
	bounce_append_diag(e, t->text, n);
}

const struct bounce_family family_fml = {
        .name = "fml",
        .headers = headers,
        .body = body,
        .read = read_fml,
        .fixed = REASON_SYSTEMERROR,
};
