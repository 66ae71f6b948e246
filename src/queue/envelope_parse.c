/*
 * envelope_parse.c — strict parser for the envelope text format.  Input is
 * untrusted in the sense that a torn or tampered file must be rejected, never
 * misread: every line must be complete, every key known and unique, and the
 * file must end with "end".  From version 4 on the "end" line carries the
 * CRC-32 of every byte before it: a file whose blocks are partly another
 * envelope's (a recycled file that a crash left half rewritten) fails it.
 */
#include "queue/envelope.h"
#include "queue/envelope_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_TOKENS 8

struct tokens {
	const char *s[MAX_TOKENS];
	size_t n[MAX_TOKENS];
	size_t count; /* MAX_TOKENS + 1 when the line had too many */
};

enum key {
	K_ID,
	K_ARRIVAL,
	K_SENDER,
	K_HELO,
	K_CLIENT,
	K_PROTOCOL,
	K_ENVID,
	K_AUTH,
	K_RET,
	K_BODY,
	K_SMTPUTF8,
	K_SIZE,
	K_CRC,
	K_REQUIRETLS,
	K_RCPT,
	K_END,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
        "id",    "arrival",    "sender", "helo", "client",   "protocol",
        "envid", "auth",       "ret",    "body", "smtputf8", "size",
        "crc",   "requiretls", "rcpt",   "end"};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
envelope_get_token(const char *tok, size_t len, char **out)
{
	size_t i, o = 0;
	char *s;

	*out = NULL;
	if (len == 1 && tok[0] == '-')
		return 0;
	if ((s = malloc(len + 1)) == NULL)
		abort();
	if (!(len == 1 && tok[0] == '.')) {
		for (i = 0; i < len; i++) {
			int hi, lo;

			if (tok[i] != '%') {
				s[o++] = tok[i];
				continue;
			}
			if (i + 2 >= len)
				goto bad;
			if ((hi = hexval(tok[i + 1])) < 0 ||
			    (lo = hexval(tok[i + 2])) < 0 || hi + lo == 0)
				goto bad;
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	s[o] = '\0';
	*out = s;
	return 0;
bad:
	free(s);
	return -1;
}

static void
split(const char *line, size_t len, struct tokens *t)
{
	size_t i, start = 0;

	t->count = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (t->count == MAX_TOKENS) {
			t->count++;
			return;
		}
		t->s[t->count] = line + start;
		t->n[t->count++] = i - start;
		start = i + 1;
	}
}

static int
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Exactly 8 lower-case hex digits, as envelope_serialize() writes them. */
static int
parse_crc(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (len != 8)
		return -1;
	for (i = 0; i < len; i++) {
		if (hexval(s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return -1;
		v = v << 4 | (uint32_t)hexval(s[i]);
	}
	*out = v;
	return 0;
}

static int
parse_id(const char *s, size_t len, char *id)
{
	size_t i;

	if (len != QUEUE_ID_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if (hexval(s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return -1;
	memcpy(id, s, len);
	id[len] = '\0';
	return 0;
}

/* rcpt STATE NEXT NOTIFY ADDRESS ORIGINAL ORCPT LAST_REPLY */
static int
parse_rcpt(const struct tokens *t, struct envelope *env)
{
	struct envelope_rcpt r = {0};
	uint64_t next, notify;
	size_t idx;

	if (t->count != 8 ||
	    envelope_state_from_name(t->s[1], t->n[1], &r.state) < 0 ||
	    parse_u64(t->s[2], t->n[2], INT64_MAX, &next) < 0 ||
	    parse_u64(t->s[3], t->n[3], 0xf, &notify) < 0)
		return -1;
	if (envelope_get_token(t->s[4], t->n[4], &r.address) < 0 ||
	    r.address == NULL ||
	    envelope_get_token(t->s[5], t->n[5], &r.original) < 0 ||
	    envelope_get_token(t->s[6], t->n[6], &r.orcpt) < 0 ||
	    envelope_get_token(t->s[7], t->n[7], &r.last_reply) < 0) {
		free(r.address);
		free(r.original);
		free(r.orcpt);
		return -1;
	}
	r.next_attempt = (time_t)next;
	r.notify = (unsigned)notify;
	idx = envelope_add_rcpt(env, "", NULL, NULL, 0);
	free(env->rcpts[idx].address);
	free(env->rcpts[idx].original);
	env->rcpts[idx] = r;
	return 0;
}

static char **
string_field(struct envelope *env, enum key k)
{
	switch (k) {
	case K_SENDER:
		return &env->sender;
	case K_HELO:
		return &env->helo;
	case K_CLIENT:
		return &env->client_addr;
	case K_PROTOCOL:
		return &env->protocol;
	case K_ENVID:
		return &env->envid;
	case K_AUTH:
		return &env->auth;
	default:
		return NULL;
	}
}

/* Applies one "key value..." line; -1 when the value is malformed. */
static int
apply(struct envelope *env, enum key k, const struct tokens *t)
{
	char **field = string_field(env, k);
	uint64_t v = 0;
	int e;

	if (k == K_RCPT)
		return parse_rcpt(t, env);
	if (t->count != 2)
		return -1;
	if (field)
		return envelope_get_token(t->s[1], t->n[1], field);
	switch (k) {
	case K_ID:
		return parse_id(t->s[1], t->n[1], env->id);
	case K_ARRIVAL:
		e = parse_u64(t->s[1], t->n[1], INT64_MAX, &v);
		env->arrival = (time_t)v;
		return e;
	case K_RET:
	case K_BODY:
		if (envelope_enum_from_name(k == K_BODY, t->s[1], t->n[1], &e) <
		    0)
			return -1;
		if (k == K_BODY)
			env->body = (enum body_type)e;
		else
			env->ret = (enum dsn_ret)e;
		return 0;
	case K_SMTPUTF8:
		e = parse_u64(t->s[1], t->n[1], 1, &v);
		env->smtputf8 = v == 1;
		return e;
	case K_REQUIRETLS:
		e = parse_u64(t->s[1], t->n[1], 1, &v);
		env->requiretls = v == 1;
		return e;
	case K_SIZE:
		e = parse_u64(t->s[1], t->n[1], SIZE_MAX, &v);
		env->size = (size_t)v;
		return e;
	case K_CRC:
		env->has_crc = true;
		return parse_crc(t->s[1], t->n[1], &env->msg_crc);
	default:
		return -1;
	}
}

static int
lookup_key(const char *s, size_t len)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == len &&
		    memcmp(key_names[k], s, len) == 0)
			return k;
	return -1;
}

/* Sets *version to 1 to 4, the versions this parser knows. */
static const char *
check_header(const char **p, const char *end, int *version)
{
	static const char magic[] = ENVELOPE_MAGIC " ";
	size_t n = sizeof(magic) - 1;

	if ((size_t)(end - *p) < n + 2 || memcmp(*p, magic, n) != 0 ||
	    (*p)[n] < '1' || (*p)[n] > '4' || (*p)[n + 1] != '\n')
		return "not a version 1 to 4 envelope";
	*version = (*p)[n] - '0';
	*p += n + 2;
	return NULL;
}

/* Whether key k may appear in an envelope of this version. */
static bool
known_in(int k, int version)
{
	return k >= 0 && !(k == K_AUTH && version < 2) &&
	       !(k == K_REQUIRETLS && version < 3) &&
	       !(k == K_CRC && version < 4);
}

/* The "end" line: bare up to version 3; from 4 the checksum of the text
 * before it (from text to line). */
static const char *
check_end(const char *text, const char *line, const struct tokens *t,
          int version)
{
	uint32_t want;

	if (version < 4)
		return t->count == 1 ? NULL : "malformed value";
	if (t->count != 2 || parse_crc(t->s[1], t->n[1], &want) < 0)
		return "malformed value";
	if ((uint32_t)crc32_z(0, (const Bytef *)text,
	                      (z_size_t)(line - text)) != want)
		return "checksum mismatch";
	return NULL;
}

#define REQUIRED (1u << K_ID | 1u << K_ARRIVAL | 1u << K_SENDER | 1u << K_SIZE)

/* Parses the lines after the header (text is the whole file, p its first
 * line after the header); returns NULL or an error message. */
static const char *
parse_lines(const char *text, const char *p, const char *end, int version,
            struct envelope *env)
{
	unsigned seen = 0;
	struct tokens t;
	const char *nl, *line, *err;
	int k;

	while (p < end && !(seen & 1u << K_END)) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return "truncated line";
		split(p, (size_t)(nl - p), &t);
		line = p;
		p = nl + 1;
		if (!known_in(k = lookup_key(t.s[0], t.n[0]), version))
			return "unknown key";
		if (k != K_RCPT && (seen & 1u << k))
			return "duplicate key";
		seen |= 1u << k;
		if (k == K_END) {
			if ((err = check_end(text, line, &t, version)))
				return err;
		} else if (apply(env, (enum key)k, &t) < 0) {
			return "malformed value";
		}
	}
	if (!(seen & 1u << K_END))
		return "missing end line";
	if (p != end)
		return "data after end line";
	if ((seen & REQUIRED) != REQUIRED ||
	    (version >= 4 && !(seen & 1u << K_CRC)))
		return "required key missing";
	if (env->nrcpts == 0)
		return "no recipients";
	return NULL;
}

int
envelope_parse(const char *text, size_t len, struct envelope *env,
               const char **error_r)
{
	const char *p = text, *err;
	int version = 0;

	memset(env, 0, sizeof(*env));
	if ((err = check_header(&p, text + len, &version)) == NULL)
		err = parse_lines(text, p, text + len, version, env);
	if (err == NULL)
		return 0;
	envelope_free(env);
	if (error_r)
		*error_r = err;
	return -1;
}
