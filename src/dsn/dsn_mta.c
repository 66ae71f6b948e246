/*
 * dsn_mta.c — the mta-name of the Remote-MTA field (RFC 3464 s2.3.5) with
 * the "dns" name type: a host name, never "name [address]".
 *
 * The relay describes the server it talked to as "name [address]".  When it
 * connected to a bare address (a numeric smarthost or transport entry) no
 * name is known; the field then carries the address as an RFC 5321 s4.1.3
 * address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"), the form SMTP
 * itself uses for a host without a name.  The field must be there for a
 * recipient relayed over SMTP (s2.3.5), so it is not left out.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "dsn/dsn_int.h"

static char *
ndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (d == NULL)
		abort();
	return d;
}

/* 4 or 6 for a numeric address, 0 otherwise. */
static int
ip_family(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 6;
	return 0;
}

static char *
address_literal(const char *ip)
{
	int fam = ip_family(ip);
	size_t n = strlen(ip) + 8;
	char *out;

	if (fam == 0)
		return NULL;
	if ((out = malloc(n)) == NULL)
		abort();
	snprintf(out, n, fam == 4 ? "[%s]" : "[IPv6:%s]", ip);
	return out;
}

char *
dsn_remote_mta_name(const char *remote)
{
	const char *open = remote ? strrchr(remote, '[') : NULL;
	size_t rlen = remote ? strlen(remote) : 0;
	char *name, *addr = NULL, *out;

	if (remote == NULL || remote[0] == '\0')
		return NULL;
	if (open != NULL && open > remote && open[-1] == ' ' &&
	    remote[rlen - 1] == ']') {
		name = ndup(remote, (size_t)(open - remote) - 1);
		addr = ndup(open + 1, rlen - (size_t)(open - remote) - 2);
	} else {
		name = str_dup(remote);
	}
	if (name[0] != '\0' && name[0] != '[' && ip_family(name) == 0) {
		free(addr);
		return name;
	}
	out = address_literal(ip_family(name) != 0 ? name : addr ? addr : "");
	free(name);
	free(addr);
	return out;
}
