/*
 * smtp_out — what the client writes: MAIL and RCPT with their ESMTP
 * parameters (SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT with RFC 3461
 * xtext), and the message with dot-stuffing (RFC 5321 s4.5.2).
 * Pure: appends to an evbuffer.
 */
#ifndef FERRY_RELAY_SMTP_OUT_H
#define FERRY_RELAY_SMTP_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/envelope.h"

struct evbuffer;

struct remote_caps {
	bool esmtp, pipelining, starttls, dsn, smtputf8, eightbit, size;
	bool auth_plain, auth_login;
	size_t size_limit; /* 0: none announced */
};

/* Parse one EHLO response line ("250-KEYWORD params" without code). */
void caps_parse_line(struct remote_caps *caps, const char *kw, size_t len);

void out_mail(struct evbuffer *out, const struct envelope *env, size_t size,
              const struct remote_caps *caps);
void out_rcpt(struct evbuffer *out, const struct envelope_rcpt *r,
              const struct remote_caps *caps);
/* The message, dot-stuffed, ending in CRLF "." CRLF. */
void out_data(struct evbuffer *out, const char *msg, size_t len);
/* RFC 3461 s4 xtext. */
void out_xtext(struct evbuffer *out, const char *s);

#endif
