/*
 * fuzz_milter_reply.c — libFuzzer target: any bytes as what a milter
 * sends back.  Every packet the parser finds goes through the field
 * parsers and, at end of message, the edits a real conversation would
 * make on a small message; nothing may crash, read out of bounds or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "milter/codec.h"
#include "milter/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
apply(struct milter_message *m, const struct milter_reply *r)
{
	struct milter_optneg o;
	const char *name, *value, *s;
	uint32_t index;
	int code;

	switch (r->cmd) {
	case SMFIR_OPTNEG:
		(void)milter_parse_optneg(r, &o);
		break;
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (milter_parse_header(r, r->cmd != SMFIR_ADDHEADER, &index,
		                        &name, &value) < 0)
			break;
		if (r->cmd == SMFIR_ADDHEADER)
			milter_message_add(m, name, value);
		else if (r->cmd == SMFIR_INSHEADER)
			milter_message_insert(m, index, name, value);
		else
			milter_message_change(m, index, name, value);
		break;
	case SMFIR_REPLBODY:
		milter_message_body_chunk(m, r->data, r->len);
		break;
	case SMFIR_REPLYCODE:
		if (milter_parse_string(r, &s) == 0)
			(void)milter_parse_replycode(s, &code);
		break;
	default:
		if (milter_parse_string(r, &s) == 0)
			(void)strlen(s);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char msg[] = "Subject: a\r\nX-A: 1\r\n\tfolded\r\n"
	                          "X-A: 2\r\n\r\nbody\r\n";
	struct milter_message m;
	struct milter_reply r;
	struct evbuffer *out;
	const char *err;

	milter_message_parse(&m, msg, sizeof(msg) - 1);
	while (size > 0 &&
	       milter_reply_parse(data, size, &r, &err) == MILTER_PARSE_OK) {
		apply(&m, &r);
		data += r.consumed;
		size -= r.consumed;
	}
	milter_message_body_done(&m);
	out = evbuffer_new();
	if (out != NULL) {
		milter_message_write(&m, out);
		evbuffer_free(out);
	}
	milter_message_free(&m);
	return 0;
}
