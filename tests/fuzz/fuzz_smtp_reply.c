/*
 * fuzz_smtp_reply.c — the SMTP client's reply parser must accept or reject
 * any bytes without reading out of bounds, consume only what it was given,
 * and return text that is printable and holds the code it reports.  Every
 * reply in the input is parsed in turn, as the client does with a buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/ehlo.h"
#include "relay/reply_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct reply_parsed *r, size_t left)
{
	char code[4];

	if (r->consumed == 0 || r->consumed > left || r->nlines == 0 ||
	    r->nlines > RELAY_REPLY_LINES_MAX)
		abort();
	if (r->code < 200 || r->code > 599)
		abort();
	code[0] = (char)('0' + r->code / 100);
	code[1] = (char)('0' + r->code / 10 % 10);
	code[2] = (char)('0' + r->code % 10);
	code[3] = '\0';
	if (strncmp(r->text, code, 3) != 0)
		abort();
	for (const char *p = r->text; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
	if (r->enhanced[0] != '\0' && r->enhanced[0] != code[0])
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t pos = 0;

	while (pos < size) {
		struct reply_parsed r;
		struct ehlo_caps caps;
		const char *err;

		if (relay_reply_parse(buf + pos, size - pos, &r, &err) !=
		    REPLY_PARSE_OK)
			break;
		check(&r, size - pos);
		relay_ehlo_parse(r.lines, r.nlines, &caps);
		pos += r.consumed;
		relay_reply_parsed_free(&r);
	}
	return 0;
}
