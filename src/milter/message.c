/*
 * message.c — header fields and body of a message under milter edits
 * (see message.h).
 */
#include "base/mem.h"
#include "milter/message.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "base/str.h"

static void
push_header(struct milter_message *m, size_t at, char *name, char *value)
{
	struct milter_header *h = xreallocarray(m->h, m->nh + 1, sizeof(*h));

	m->h = h;
	if (at > m->nh)
		at = m->nh;
	memmove(&h[at + 1], &h[at], (m->nh - at) * sizeof(*h));
	h[at].name = name;
	h[at].value = value;
	m->nh++;
}

/* Length of the header field starting at p (folded lines included, CRLF
 * of the last line excluded), or 0 when p does not start a field. */
static size_t
field_len(const char *p, const char *end, size_t *colon)
{
	const char *q = p, *c;

	c = memchr(p, ':', (size_t)(end - p));
	if (c == NULL || c == p)
		return 0;
	for (const char *x = p; x < c; x++)
		if (*x <= ' ' || *x == 0x7f)
			return 0;
	*colon = (size_t)(c - p);
	for (;;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));

		if (nl == NULL)
			return (size_t)(end - p);
		if (nl + 1 >= end || (nl[1] != ' ' && nl[1] != '\t'))
			return (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
		q = nl + 1;
	}
}

void
milter_message_parse(struct milter_message *m, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	size_t n, colon;

	memset(m, 0, sizeof(*m));
	while (p < end && !(end - p >= 2 && p[0] == '\r' && p[1] == '\n')) {
		if ((n = field_len(p, end, &colon)) == 0)
			break; /* not a header field: the body starts here */
		push_header(m, m->nh, str_ndup(p, colon),
		            str_ndup(p + colon + 1, n - colon - 1));
		p += n;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
	}
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	m->body = str_ndup(p, (size_t)(end - p));
	m->bodylen = (size_t)(end - p);
}

void
milter_message_free(struct milter_message *m)
{
	for (size_t i = 0; i < m->nh; i++) {
		free(m->h[i].name);
		free(m->h[i].value);
	}
	free(m->h);
	free(m->body);
	if (m->new_body)
		evbuffer_free(m->new_body);
	memset(m, 0, sizeof(*m));
}

char *
milter_header_value(const struct milter_header *h)
{
	const char *v = h->value;
	char *out, *o;

	if (*v == ' ')
		v++;
	out = o = str_dup(v);
	for (; *v; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))
			*o++ = *v;
	*o = '\0';
	return out;
}

/* " value" with each LF (not already after CR) made CRLF; control bytes
 * other than tab cannot start a new line in the message. */
static char *
stored_value(const char *value)
{
	size_t len = strlen(value);
	char *out = malloc(3 * len + 2), *o = out; /* LF -> CRLF TAB */

	if (out == NULL)
		abort();
	*o++ = ' ';
	for (const char *v = value; *v; v++) {
		if (*v == '\r')
			continue;
		if (*v == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			if (v[1] != ' ' && v[1] != '\t')
				*o++ = '\t';
			continue;
		}
		*o++ = (unsigned char)*v < ' ' && *v != '\t' ? '?' : *v;
	}
	*o = '\0';
	return out;
}

void
milter_message_add(struct milter_message *m, const char *name,
                   const char *value)
{
	push_header(m, m->nh, str_dup(name), stored_value(value));
	m->changed = true;
}

void
milter_message_insert(struct milter_message *m, uint32_t index,
                      const char *name, const char *value)
{
	push_header(m, index, str_dup(name), stored_value(value));
	m->changed = true;
}

void
milter_message_change(struct milter_message *m, uint32_t index,
                      const char *name, const char *value)
{
	uint32_t seen = 0;

	for (size_t i = 0; i < m->nh; i++) {
		if (strcasecmp(m->h[i].name, name) != 0 || ++seen != index)
			continue;
		m->changed = true;
		free(m->h[i].value);
		if (value[0] != '\0') {
			m->h[i].value = stored_value(value);
			return;
		}
		free(m->h[i].name);
		memmove(&m->h[i], &m->h[i + 1],
		        (m->nh - i - 1) * sizeof(*m->h));
		m->nh--;
		return;
	}
	/* No such field: a change adds it (as Sendmail does). */
	if (value[0] != '\0')
		milter_message_add(m, name, value);
}

void
milter_message_body_chunk(struct milter_message *m, const void *data,
                          size_t len)
{
	if (m->new_body == NULL && (m->new_body = evbuffer_new()) == NULL)
		abort();
	evbuffer_add(m->new_body, data, len);
}

void
milter_message_body_done(struct milter_message *m)
{
	size_t len;

	if (m->new_body == NULL)
		return;
	len = evbuffer_get_length(m->new_body);
	free(m->body);
	m->body = xmalloc(len + 1);
	evbuffer_remove(m->new_body, m->body, len);
	m->bodylen = len;
	evbuffer_free(m->new_body);
	m->new_body = NULL;
	m->changed = true;
}

void
milter_message_write(const struct milter_message *m, struct evbuffer *out)
{
	for (size_t i = 0; i < m->nh; i++)
		evbuffer_add_printf(out, "%s:%s\r\n", m->h[i].name,
		                    m->h[i].value);
	evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, m->body, m->bodylen);
}
