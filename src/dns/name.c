/*
 * name.c — domain name syntax for the resolver.
 *
 * The rules are those a name must meet to be looked up at all: labels of
 * 1..63 octets, at most 253 characters of text, and only letters, digits,
 * '-' and '_' inside labels.  Hyphen placement is not checked: such names
 * exist in the DNS even if RFC 5321 would not let a client type them, and
 * refusing them here would turn a lookup into a bounce.
 */
#include "dns/name.h"

#include <ctype.h>
#include <string.h>

#define LABEL_MAX 63

static bool
host_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) || c == '-' || c == '_');
}

bool
dns_name_check(const char *domain, char *out, const char **why)
{
	size_t len, label = 0, i;

	if (domain == NULL || domain[0] == '\0') {
		*why = "empty domain";
		return false;
	}
	len = strlen(domain);
	if (domain[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "the root is not a mail domain";
		return false;
	}
	if (len > DNS_NAME_MAX) {
		*why = "domain longer than 253 characters";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)domain[i];

		if (c == '.') {
			if (label == 0) {
				*why = "empty label in domain";
				return false;
			}
			label = 0;
		} else if (!host_char(c)) {
			*why = c >= 0x80 ? "non-ASCII domain (needs A-labels)"
			                 : "invalid character in domain";
			return false;
		} else if (++label > LABEL_MAX) {
			*why = "label longer than 63 characters";
			return false;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0) {
		*why = "empty label in domain";
		return false;
	}
	out[len] = '.';
	out[len + 1] = '\0';
	return true;
}

size_t
dns_name_from_wire(const unsigned char *wire, size_t len, char *out)
{
	size_t pos = 0, o = 0;

	for (;;) {
		size_t n;

		if (pos >= len)
			return 0;
		n = wire[pos++];
		if (n == 0)
			break;
		/* 0xc0 pointers and the reserved 0x40/0x80 label types */
		if (n > LABEL_MAX || n > len - pos)
			return 0;
		if (o != 0)
			out[o++] = '.';
		if (o + n > DNS_NAME_MAX)
			return 0;
		for (; n > 0; n--, pos++) {
			if (!host_char(wire[pos]))
				return 0;
			out[o++] = (char)tolower(wire[pos]);
		}
	}
	out[o] = '\0';
	return pos;
}
