/*
 * smtp_out.c — the client's commands and data (see smtp_out.h).
 */
#include "relay/smtp_out.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

static bool
kw_is(const char *kw, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && strncasecmp(kw, name, n) == 0 &&
	       (len == n || kw[n] == ' ' || kw[n] == '=');
}

void
caps_parse_line(struct remote_caps *caps, const char *kw, size_t len)
{
	if (kw_is(kw, len, "PIPELINING"))
		caps->pipelining = true;
	else if (kw_is(kw, len, "STARTTLS"))
		caps->starttls = true;
	else if (kw_is(kw, len, "DSN"))
		caps->dsn = true;
	else if (kw_is(kw, len, "SMTPUTF8"))
		caps->smtputf8 = true;
	else if (kw_is(kw, len, "8BITMIME"))
		caps->eightbit = true;
	else if (kw_is(kw, len, "SIZE")) {
		caps->size = true;
		caps->size_limit = len > 5 ? strtoull(kw + 5, NULL, 10) : 0;
	} else if (kw_is(kw, len, "AUTH")) {
		char buf[256];
		size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

		memcpy(buf, kw, n);
		buf[n] = '\0';
		for (n = 0; buf[n]; n++)
			if (buf[n] == '=')
				buf[n] = ' ';
		caps->auth_plain = strcasestr(buf, " PLAIN") != NULL;
		caps->auth_login = strcasestr(buf, " LOGIN") != NULL;
	}
}

void
out_xtext(struct evbuffer *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			evbuffer_add_printf(out, "+%02X", c);
		else
			evbuffer_add(out, s, 1);
	}
}

void
out_mail(struct evbuffer *out, const struct envelope *env, size_t size,
         const struct remote_caps *caps)
{
	evbuffer_add_printf(out, "MAIL FROM:<%s>",
	                    env->sender ? env->sender : "");
	if (caps->size)
		evbuffer_add_printf(out, " SIZE=%zu", size);
	if (caps->eightbit && env->body == BODY_8BITMIME)
		evbuffer_add_printf(out, " BODY=8BITMIME");
	if (caps->smtputf8 && env->smtputf8)
		evbuffer_add_printf(out, " SMTPUTF8");
	if (caps->dsn && env->ret != DSN_RET_UNSPEC)
		evbuffer_add_printf(out, " RET=%s",
		                    env->ret == DSN_RET_FULL ? "FULL" : "HDRS");
	if (caps->dsn && env->envid) {
		evbuffer_add_printf(out, " ENVID=");
		out_xtext(out, env->envid);
	}
	evbuffer_add(out, "\r\n", 2);
}

static void
out_notify(struct evbuffer *out, unsigned notify)
{
	const char *sep = " NOTIFY=";

	if (notify & DSN_NOTIFY_NEVER) {
		evbuffer_add_printf(out, "%sNEVER", sep);
		return;
	}
	if (notify & DSN_NOTIFY_SUCCESS) {
		evbuffer_add_printf(out, "%sSUCCESS", sep);
		sep = ",";
	}
	if (notify & DSN_NOTIFY_FAILURE) {
		evbuffer_add_printf(out, "%sFAILURE", sep);
		sep = ",";
	}
	if (notify & DSN_NOTIFY_DELAY)
		evbuffer_add_printf(out, "%sDELAY", sep);
}

void
out_rcpt(struct evbuffer *out, const struct envelope_rcpt *r,
         const struct remote_caps *caps)
{
	evbuffer_add_printf(out, "RCPT TO:<%s>", r->address);
	if (caps->dsn && r->notify)
		out_notify(out, r->notify);
	if (caps->dsn && r->orcpt) {
		const char *semi = strchr(r->orcpt, ';');

		if (semi) {
			evbuffer_add_printf(out, " ORCPT=%.*s;",
			                    (int)(semi - r->orcpt), r->orcpt);
			out_xtext(out, semi + 1);
		}
	}
	evbuffer_add(out, "\r\n", 2);
}

void
out_data(struct evbuffer *out, const char *msg, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(msg + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - msg) + 1 : len;

		if (msg[pos] == '.')
			evbuffer_add(out, ".", 1);
		evbuffer_add(out, msg + pos, end - pos);
		pos = end;
	}
	if (len > 0 && msg[len - 1] != '\n')
		evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, ".\r\n", 3);
}
