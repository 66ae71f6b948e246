/*
 * ehlo.c — EHLO reply keywords (see ehlo.h).
 */
#include "relay/ehlo.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the word at p (up to a space or '='). */
static size_t
word_len(const char *p)
{
	return strcspn(p, " =");
}

static bool
word_is(const char *p, size_t len, const char *kw)
{
	return len == strlen(kw) && strncasecmp(p, kw, len) == 0;
}

/* SIZE [n]: a missing, zero or unreadable number means no limit. */
static void
parse_size(const char *arg, struct ehlo_caps *caps)
{
	unsigned long long v;
	char *end;

	caps->size = true;
	caps->size_max = 0;
	while (*arg == ' ')
		arg++;
	if (*arg < '0' || *arg > '9')
		return;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != ' ') || v > SIZE_MAX)
		return;
	caps->size_max = (size_t)v;
}

/* AUTH mech... (also the old "AUTH=mech..." form). */
static void
parse_auth(const char *arg, struct ehlo_caps *caps)
{
	while (*arg != '\0') {
		size_t len;

		while (*arg == ' ' || *arg == '=')
			arg++;
		len = word_len(arg);
		if (word_is(arg, len, "PLAIN"))
			caps->auth |= EHLO_AUTH_PLAIN;
		else if (word_is(arg, len, "LOGIN"))
			caps->auth |= EHLO_AUTH_LOGIN;
		arg += len;
	}
}

static void
parse_keyword(const char *line, struct ehlo_caps *caps)
{
	static const struct {
		const char *kw;
		size_t off;
	} flags[] = {
	        {"STARTTLS", offsetof(struct ehlo_caps, starttls)},
	        {"PIPELINING", offsetof(struct ehlo_caps, pipelining)},
	        {"8BITMIME", offsetof(struct ehlo_caps, eightbitmime)},
	        {"SMTPUTF8", offsetof(struct ehlo_caps, smtputf8)},
	        {"DSN", offsetof(struct ehlo_caps, dsn)},
	        {"CHUNKING", offsetof(struct ehlo_caps, chunking)},
	        {"ENHANCEDSTATUSCODES", offsetof(struct ehlo_caps, enhanced)},
	        {"REQUIRETLS", offsetof(struct ehlo_caps, requiretls)},
	};
	size_t len = word_len(line);

	if (word_is(line, len, "SIZE")) {
		parse_size(line + len, caps);
		return;
	}
	if (word_is(line, len, "AUTH")) {
		caps->auth_listed = true;
		parse_auth(line + len, caps);
		return;
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (word_is(line, len, flags[i].kw) && line[len] != '=') {
			*(bool *)((char *)caps + flags[i].off) = true;
			return;
		}
	}
}

void
relay_ehlo_parse(char *const *lines, size_t nlines, struct ehlo_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	for (size_t i = 1; i < nlines; i++)
		parse_keyword(lines[i], caps);
}
