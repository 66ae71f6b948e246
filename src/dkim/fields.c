/*
 * fields.c — walking the header fields of a stored message, and the From
 * domain that decides the signing domain.
 */
#include <string.h>
#include <strings.h>

#include "dkim/dkim_int.h"
#include "dkim/sign_int.h"

void
dkim_each_field(const char *msg, size_t len,
                int (*fn)(void *arg, const char *f, size_t n), void *arg)
{
	const char *body = dkim_body_start(msg, len), *p = msg;

	while (p < body) {
		const char *start = p, *nl;

		if (p[0] == '\r' && p + 1 < body && p[1] == '\n')
			break; /* the empty line */
		/* A field runs on while the next line starts with WSP. */
		do {
			nl = memchr(p, '\n', (size_t)(body - p));
			p = nl ? nl + 1 : body;
		} while (p < body && (*p == ' ' || *p == '\t'));
		size_t n = (size_t)(p - start);
		while (n > 0 && (start[n - 1] == '\n' || start[n - 1] == '\r'))
			n--;
		if (fn(arg, start, n))
			return;
	}
}

bool
dkim_field_is(const char *f, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *p;

	if (n <= nl || strncasecmp(f, name, nl) != 0)
		return false;
	for (p = f + nl; p < f + n && (*p == ' ' || *p == '\t'); p++)
		;
	return p < f + n && *p == ':';
}

struct from_scan {
	int count;
	char address[512];
	bool ok;
};

static bool
addr_char(char c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '(' &&
	       c != ')' && c != '<' && c != '>';
}

/* The single mailbox of a From value, "Name <a@d>" or "a@d (Name)", with
 * the domain lower-cased. */
static bool
from_address(const char *v, size_t n, char *out, size_t outlen)
{
	const char *lt = memchr(v, '<', n), *end = v + n, *p, *at = NULL;
	size_t i = 0;

	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL || memchr(gt, ',', (size_t)(end - gt)) ||
		    memchr(gt + 1, '<', (size_t)(end - gt - 1)))
			return false;
		v = lt + 1;
		end = gt;
	} else if (memchr(v, ',', n)) {
		return false; /* several authors */
	}
	while (v < end && !addr_char(*v))
		v++;
	for (p = v; p < end && addr_char(*p); p++) {
		if (i + 1 >= outlen)
			return false;
		if (*p == '@')
			at = p;
		out[i++] = (at && *p >= 'A' && *p <= 'Z')
		                   ? (char)(*p - 'A' + 'a')
		                   : *p;
	}
	while (i > 0 && out[i - 1] == '.')
		i--;
	out[i] = '\0';
	return at != NULL && at > v && (size_t)(at - v) + 1 < i;
}

static int
from_cb(void *arg, const char *f, size_t n)
{
	struct from_scan *fs = arg;
	const char *colon;

	if (!dkim_field_is(f, n, "from"))
		return 0;
	fs->count++;
	colon = memchr(f, ':', n);
	fs->ok = from_address(colon + 1, n - (size_t)(colon + 1 - f),
	                      fs->address, sizeof(fs->address));
	return 0;
}

bool
dkim_from_address(const char *msg, size_t len, char *out, size_t outlen)
{
	struct from_scan fs = {0};

	dkim_each_field(msg, len, from_cb, &fs);
	size_t l = strlen(fs.address);

	if (fs.count != 1 || !fs.ok || l + 1 > outlen)
		return false;
	memcpy(out, fs.address, l + 1);
	return true;
}
