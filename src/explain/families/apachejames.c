/*
 * apachejames.c — Apache James (also behind carrier SMS gateways):
 * "Error: <reason>", "Error message below:" with the remote reply, and
 * "Message details:" listing the envelope, the recipient as "RCPT TO:".
 */
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const body[] = {
        "error message below:",
        NULL,
};

/* The text between two markers, as one line appended to e. */
static void
append_between(struct bounce_entry *e, const char *text, size_t len,
               const char *from, const char *to)
{
	const char *p = mime_memcasemem(text, len, from), *q;

	if (p == NULL)
		return;
	p += strlen(from);
	q = mime_memcasemem(p, (size_t)(text + len - p), to);
	bounce_append_diag(e, p, (size_t)((q ? q : text + len) - p));
}

static void
read_james(const struct bounce_text *t, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	const char *p = mime_memcasemem(t->text, t->len, "rcpt to:");
	struct bounce_entry *e;

	if (p == NULL)
		return;
	p += strlen("rcpt to:");
	if (!mime_address(p, strcspn(p, "\n"), addr, sizeof(addr)) ||
	    (e = bounce_entry_for(rep, addr)) == NULL)
		return;
	append_between(e, t->text, t->len, "error:", "error message below:");
	append_between(e, t->text, t->len,
	               "error message below:", "message details:");
}

const struct bounce_family family_apachejames = {
        .name = "apachejames",
        .body = body,
        .read = read_james,
};
