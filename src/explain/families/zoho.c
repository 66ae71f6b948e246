/*
 * zoho.c — Zoho Mail: "This message was created automatically by mail
 * delivery software.", then one line per recipient, "address Kind,
 * ERROR_CODE :550, ERROR_CODE :5.1.1 remote reply".
 */
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const headers[] = {
        "x-mailer:zoho mail",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"host not reachable", REASON_EXPIRED},
        {NULL, REASON_UNDEFINED},
};

/* "address text" at a line start: the address, then everything else. */
static void
read_zoho(const struct bounce_text *t, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	struct bounce_entry *e;
	const char *p = t->text, *end = t->text + t->len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = strcspn(p, " \n");
		if (p + n < nl && memchr(p, '@', n) != NULL &&
		    mime_address(p, n, addr, sizeof(addr)) &&
		    strlen(addr) == n && (e = bounce_entry_for(rep, addr))) {
			bounce_append_diag(e, p + n, (size_t)(nl - p) - n);
		}
		p = nl + 1;
	}
}

const struct bounce_family family_zoho = {
        .name = "zoho",
        .headers = headers,
        .phrases = phrases,
        .read = read_zoho,
};
