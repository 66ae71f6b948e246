/*
 * dsn_xtext.c — the encodings that keep addresses and envelope ids in the
 * delivery-status part 7-bit and unambiguous: xtext (RFC 3461 s4, "+HH" for
 * '+', '=' and anything outside '!'..'~') and utf-8-addr-xtext (RFC 6533
 * s3, "\x{HHHH}" for non-ASCII characters and for '+', '=', '\' and
 * controls).  Bytes that are not valid UTF-8 are written as U+FFFD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "dsn/dsn_int.h"

char *
dsn_xtext(const char *s)
{
	struct dsn_buf b = {0};
	const unsigned char *u;

	dsn_buf_add(&b, "", 0);
	for (u = (const unsigned char *)(s ? s : ""); *u != '\0'; u++) {
		if (*u >= 0x21 && *u <= 0x7e && *u != '+' && *u != '=')
			dsn_buf_add(&b, (const char *)u, 1);
		else
			dsn_buf_printf(&b, "+%02X", *u);
	}
	return b.p;
}

char *
dsn_utf8_addr_xtext(const char *s)
{
	struct dsn_buf b = {0};
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u), i = 0, k;
	unsigned cp;

	dsn_buf_add(&b, "", 0);
	while (i < n) {
		k = dsn_utf8_next(u + i, n - i, &cp);
		if (k == 0)
			cp = 0xfffd, k = 1;
		if (cp >= 0x21 && cp <= 0x7e && cp != '+' && cp != '=' &&
		    cp != '\\')
			dsn_buf_add(&b, (const char *)u + i, 1);
		else
			dsn_buf_printf(&b, "\\x{%02X}", cp);
		i += k;
	}
	return b.p;
}

char *
dsn_typed_address(const char *addr)
{
	struct dsn_buf b = {0};
	char *v;

	addr = addr ? addr : "";
	if (dsn_has_8bit(addr, strlen(addr))) {
		v = dsn_utf8_addr_xtext(addr);
		dsn_buf_printf(&b, "utf-8; %s", v);
	} else {
		v = dsn_clean_text(addr, true);
		dsn_buf_printf(&b, "rfc822; %s", v);
	}
	free(v);
	return b.p;
}

char *
dsn_orcpt_value(const char *orcpt)
{
	const char *semi, *addr;
	struct dsn_buf b = {0};
	char *type, *v;

	orcpt = orcpt ? orcpt : "";
	semi = strchr(orcpt, ';');
	addr = semi ? semi + 1 : orcpt;
	while (*addr == ' ')
		addr++;
	if (semi != NULL) {
		v = strndup(orcpt, (size_t)(semi - orcpt));
		if (v == NULL)
			abort();
		type = dsn_clean_token(v, "-", "rfc822");
		free(v);
	} else {
		type = str_dup("rfc822");
	}
	if (type == NULL)
		abort();
	if (dsn_has_8bit(addr, strlen(addr)) || strcasecmp(type, "utf-8") == 0)
		dsn_buf_printf(&b, "utf-8;%s", v = dsn_utf8_addr_xtext(addr));
	else
		dsn_buf_printf(&b, "%s;%s", type, v = dsn_xtext(addr));
	free(v);
	free(type);
	return b.p;
}
