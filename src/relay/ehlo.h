/*
 * ehlo — the service extensions a remote server lists in its EHLO reply
 * (RFC 5321 s4.1.1.1): STARTTLS (RFC 3207), PIPELINING (RFC 2920), SIZE
 * (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461),
 * CHUNKING (RFC 3030), AUTH (RFC 4954) and ENHANCEDSTATUSCODES (RFC 2034).
 * Keywords are case-insensitive; unknown ones are ignored.
 *
 * Pure: lines in (per reply line, the text after the code and its
 * separator; the first is the server's name and is skipped), a struct
 * out.  Any thread.
 */
#ifndef FERRY_RELAY_EHLO_H
#define FERRY_RELAY_EHLO_H

#include <stdbool.h>
#include <stddef.h>

enum ehlo_auth {
	EHLO_AUTH_PLAIN = 1 << 0,
	EHLO_AUTH_LOGIN = 1 << 1,
};

struct ehlo_caps {
	bool starttls;
	bool pipelining;
	bool size;       /* SIZE listed */
	size_t size_max; /* its limit; 0: none given */
	bool eightbitmime;
	bool smtputf8;
	bool dsn;
	bool chunking;
	bool enhanced;
	bool requiretls;  /* RFC 8689 */
	unsigned auth;    /* enum ehlo_auth bits */
	bool auth_listed; /* AUTH with any mechanisms: takes MAIL AUTH= */
};

void relay_ehlo_parse(char *const *lines, size_t nlines,
                      struct ehlo_caps *caps);

#endif
