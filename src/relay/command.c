/*
 * command.c — commands the SMTP client sends (see command.h).
 */
#include "relay/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "relay/xtext.h"

bool
relay_addr_ok(const char *addr)
{
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	}
	return true;
}

static FILE *
mem_open(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		abort();
	return f;
}

static char *
mem_close(FILE *f, char **buf)
{
	if (fclose(f) != 0 || *buf == NULL)
		abort();
	return *buf;
}

/* " NAME=xtext(value)" */
static void
put_xtext(FILE *f, const char *name, const char *value)
{
	char *x = relay_xtext_encode(value);

	fprintf(f, " %s=%s", name, x);
	free(x);
}

char *
relay_cmd_mail(const struct envelope *env, const struct ehlo_caps *caps,
               size_t msglen)
{
	char *buf = NULL;
	size_t len;
	FILE *f = mem_open(&buf, &len);

	fprintf(f, "MAIL FROM:<%s>", env->sender ? env->sender : "");
	if (caps->size)
		fprintf(f, " SIZE=%zu", msglen);
	if (env->body != BODY_7BIT && caps->eightbitmime)
		fputs(" BODY=8BITMIME", f);
	if (env->smtputf8 && caps->smtputf8)
		fputs(" SMTPUTF8", f);
	if (env->requiretls && caps->requiretls)
		fputs(" REQUIRETLS", f);
	if (caps->dsn && env->ret != DSN_RET_UNSPEC)
		fputs(env->ret == DSN_RET_FULL ? " RET=FULL" : " RET=HDRS", f);
	if (caps->dsn && env->envid != NULL)
		put_xtext(f, "ENVID", env->envid);
	/* RFC 4954 s5: passed on only to servers that take it; "<>" when
	 * the identity was not trusted on arrival. */
	if (caps->auth_listed && env->auth != NULL)
		put_xtext(f, "AUTH", env->auth[0] != '\0' ? env->auth : "<>");
	fputs("\r\n", f);
	return mem_close(f, &buf);
}

static void
put_notify(FILE *f, unsigned notify)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	        {DSN_NOTIFY_SUCCESS, "SUCCESS"},
	        {DSN_NOTIFY_FAILURE, "FAILURE"},
	        {DSN_NOTIFY_DELAY, "DELAY"},
	};
	const char *sep = " NOTIFY=";

	if (notify & DSN_NOTIFY_NEVER) {
		fputs(" NOTIFY=NEVER", f);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (notify & names[i].bit) {
			fprintf(f, "%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

/* ORCPT=addr-type;xtext — the envelope keeps "rfc822;addr" decoded. */
static void
put_orcpt(FILE *f, const char *orcpt)
{
	const char *semi = strchr(orcpt, ';');
	char *x;

	if (semi == NULL || semi == orcpt) {
		x = relay_xtext_encode(orcpt);
		fprintf(f, " ORCPT=rfc822;%s", x);
	} else {
		x = relay_xtext_encode(semi + 1);
		fprintf(f, " ORCPT=%.*s;%s", (int)(semi - orcpt), orcpt, x);
	}
	free(x);
}

char *
relay_cmd_rcpt(const struct envelope_rcpt *r, const struct ehlo_caps *caps)
{
	char *buf = NULL;
	size_t len;
	FILE *f = mem_open(&buf, &len);

	fprintf(f, "RCPT TO:<%s>", r->address);
	if (caps->dsn && r->notify != 0)
		put_notify(f, r->notify);
	if (caps->dsn && r->orcpt != NULL && r->orcpt[0] != '\0')
		put_orcpt(f, r->orcpt);
	fputs("\r\n", f);
	return mem_close(f, &buf);
}

void
relay_cmd_data(struct evbuffer *out, const char *msg, size_t len)
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
	if (len > 0 &&
	    (len < 2 || msg[len - 2] != '\r' || msg[len - 1] != '\n'))
		evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, ".\r\n", 3);
}

/* base64(data) + "\r\n" after prefix. */
static char *
base64_line(const char *prefix, const unsigned char *data, size_t len)
{
	size_t plen = strlen(prefix);
	size_t cap = plen + 4 * ((len + 2) / 3) + 3;
	char *out = malloc(cap);
	int n;

	if (out == NULL || len > 0x3fffffff)
		abort();
	memcpy(out, prefix, plen);
	n = EVP_EncodeBlock((unsigned char *)out + plen, data, (int)len);
	memcpy(out + plen + n, "\r\n", 2);
	out[plen + (size_t)n + 2] = '\0';
	return out;
}

char *
relay_cmd_auth_plain(const char *user, const char *pass)
{
	size_t ulen = strlen(user), plen = strlen(pass);
	size_t len = ulen + plen + 2;
	unsigned char *raw = malloc(len);
	char *line;

	if (raw == NULL)
		abort();
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, pass, plen);
	line = base64_line("AUTH PLAIN ", raw, len);
	OPENSSL_cleanse(raw, len);
	free(raw);
	return line;
}

char *
relay_cmd_base64_line(const char *s)
{
	return base64_line("", (const unsigned char *)s, strlen(s));
}

void
relay_cmd_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
