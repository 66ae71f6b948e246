/*
 * codec.c — milter packets in and out (see codec.h).
 */
#include "milter/codec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

void
milter_pkt(struct evbuffer *out, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	evbuffer_add(out, &n, sizeof(n));
	evbuffer_add(out, &cmd, 1);
	if (len > 0)
		evbuffer_add(out, data, len);
}

void
milter_pkt_strings(struct evbuffer *out, char cmd, const char *first, ...)
{
	size_t len = 0;
	const char *s;
	uint32_t n;
	va_list ap;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		len += strlen(s) + 1;
	va_end(ap);
	n = htonl((uint32_t)len + 1);
	evbuffer_add(out, &n, sizeof(n));
	evbuffer_add(out, &cmd, 1);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		evbuffer_add(out, s, strlen(s) + 1);
	va_end(ap);
}

void
milter_pkt_optneg(struct evbuffer *out)
{
	uint32_t v[3] = {htonl(MILTER_VERSION), htonl(MILTER_ACTIONS),
	                 htonl(MILTER_STEPS)};

	milter_pkt(out, SMFIC_OPTNEG, v, sizeof(v));
}

void
milter_pkt_connect(struct evbuffer *out, const char *name, const char *addr,
                   int port)
{
	char family = strchr(addr, ':') ? '6' : '4';
	uint16_t p = htons((uint16_t)port);
	uint32_t n;
	char cmd = SMFIC_CONNECT;
	size_t len = strlen(name) + 1 + 1 + sizeof(p) + strlen(addr) + 1;

	if (strcmp(addr, "unknown") == 0) {
		/* SMFIA_UNKNOWN: no port and no address follow. */
		len = strlen(name) + 1 + 1;
		family = 'U';
	}
	n = htonl((uint32_t)len + 1);
	evbuffer_add(out, &n, sizeof(n));
	evbuffer_add(out, &cmd, 1);
	evbuffer_add(out, name, strlen(name) + 1);
	evbuffer_add(out, &family, 1);
	if (family == 'U')
		return;
	evbuffer_add(out, &p, sizeof(p));
	evbuffer_add(out, addr, strlen(addr) + 1);
}

enum milter_parse_status
milter_reply_next(struct evbuffer *in, struct milter_reply *out, char *why,
                  size_t why_len)
{
	size_t len = evbuffer_get_length(in);
	enum milter_parse_status st;
	const char *err;

	if (len == 0)
		return MILTER_PARSE_MORE;
	st = milter_reply_parse(evbuffer_pullup(in, (ev_ssize_t)len), len, out,
	                        &err);
	if (st == MILTER_PARSE_ERROR)
		snprintf(why, why_len, "protocol error: %s", err);
	return st;
}

enum milter_parse_status
milter_reply_parse(const uint8_t *buf, size_t len, struct milter_reply *out,
                   const char **error_r)
{
	uint32_t n;

	if (len < 5)
		return MILTER_PARSE_MORE;
	memcpy(&n, buf, sizeof(n));
	n = ntohl(n);
	if (n == 0) {
		*error_r = "empty packet";
		return MILTER_PARSE_ERROR;
	}
	if (n > MILTER_PACKET_MAX) {
		*error_r = "packet too large";
		return MILTER_PARSE_ERROR;
	}
	if (len - 4 < n)
		return MILTER_PARSE_MORE;
	out->cmd = (char)buf[4];
	out->data = buf + 5;
	out->len = n - 1;
	out->consumed = (size_t)n + 4;
	return MILTER_PARSE_OK;
}

int
milter_parse_optneg(const struct milter_reply *r, struct milter_optneg *o)
{
	uint32_t v[3];

	if (r->cmd != SMFIR_OPTNEG || r->len < sizeof(v))
		return -1;
	memcpy(v, r->data, sizeof(v));
	o->version = ntohl(v[0]);
	o->actions = ntohl(v[1]);
	o->steps = ntohl(v[2]);
	return 0;
}

/* The NUL-terminated string at data[*at], advancing *at past it. */
static const char *
take_string(const struct milter_reply *r, size_t *at)
{
	const uint8_t *nul;
	const char *s;

	if (*at >= r->len)
		return NULL;
	nul = memchr(r->data + *at, '\0', r->len - *at);
	if (nul == NULL)
		return NULL;
	s = (const char *)r->data + *at;
	*at = (size_t)(nul - r->data) + 1;
	return s;
}

int
milter_parse_header(const struct milter_reply *r, bool indexed, uint32_t *index,
                    const char **name, const char **value)
{
	size_t at = 0;
	uint32_t i;

	if (indexed) {
		if (r->len < sizeof(i))
			return -1;
		memcpy(&i, r->data, sizeof(i));
		*index = ntohl(i);
		at = sizeof(i);
	}
	*name = take_string(r, &at);
	*value = take_string(r, &at);
	if (*name == NULL || *value == NULL || (*name)[0] == '\0')
		return -1;
	for (const char *p = *name; *p; p++)
		if (*p <= ' ' || *p == ':' || (unsigned char)*p >= 0x7f)
			return -1;
	return 0;
}

int
milter_parse_string(const struct milter_reply *r, const char **s)
{
	size_t at = 0;

	*s = take_string(r, &at);
	return *s != NULL ? 0 : -1;
}

int
milter_parse_replycode(const char *s, int *code)
{
	if ((s[0] != '4' && s[0] != '5') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || (s[3] != ' ' && s[3] != '\0'))
		return -1;
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
			return -1;
	return 0;
}
