/*
 * envelope.c — building, freeing and serialising envelopes.  The text format
 * is described in docs/queue-format.md; the parser is envelope_parse.c.
 */
#include "base/mem.h"
#include "queue/envelope.h"
#include "queue/envelope_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/str.h"

static const char *const ret_names[] = {"unspec", "full", "hdrs"};
static const char *const body_names[] = {"7bit", "8bitmime", "binarymime"};
static const char *const state_names[] = {"pending", "delivered", "deferred",
                                          "bounced", "bouncing",  "notifying"};

size_t
envelope_add_rcpt(struct envelope *env, const char *address,
                  const char *original, const char *orcpt, unsigned notify)
{
	struct envelope_rcpt *r;

	r = xreallocarray(env->rcpts, env->nrcpts + 1, sizeof(*r));
	env->rcpts = r;
	r = &env->rcpts[env->nrcpts];
	memset(r, 0, sizeof(*r));
	r->address = str_dup(address);
	r->original = str_dup(original ? original : address);
	r->orcpt = str_dup(orcpt);
	r->notify = notify;
	r->state = RCPT_PENDING;
	return env->nrcpts++;
}

void
envelope_free(struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].address);
		free(env->rcpts[i].original);
		free(env->rcpts[i].orcpt);
		free(env->rcpts[i].last_reply);
	}
	free(env->rcpts);
	free(env->sender);
	free(env->helo);
	free(env->client_addr);
	free(env->protocol);
	free(env->envid);
	free(env->auth);
	memset(env, 0, sizeof(*env));
}

static int
must_escape(unsigned char ch)
{
	return ch <= 0x20 || ch == 0x7f || ch == '%';
}

void
envelope_put_token(FILE *f, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputc('-', f);
		return;
	}
	/* "-" and "." are reserved for NULL and empty: escape them whole. */
	if (*s == '\0' || strcmp(s, "-") == 0 || strcmp(s, ".") == 0) {
		fputs(*s == '\0' ? "." : *s == '-' ? "%2D" : "%2E", f);
		return;
	}
	for (p = (const unsigned char *)s; *p; p++) {
		if (must_escape(*p))
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

static void
put_field(FILE *f, const char *key, const char *value)
{
	fputs(key, f);
	fputc(' ', f);
	envelope_put_token(f, value);
	fputc('\n', f);
}

static void
put_rcpt(FILE *f, const struct envelope_rcpt *r)
{
	fprintf(f, "rcpt %s %lld %u ", state_names[r->state],
	        (long long)r->next_attempt, r->notify);
	envelope_put_token(f, r->address);
	fputc(' ', f);
	envelope_put_token(f, r->original);
	fputc(' ', f);
	envelope_put_token(f, r->orcpt);
	fputc(' ', f);
	envelope_put_token(f, r->last_reply);
	fputc('\n', f);
}

char *
envelope_serialize(const struct envelope *env, size_t *len_r)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(f, "%s %d\n", ENVELOPE_MAGIC, ENVELOPE_VERSION);
	put_field(f, "id", env->id);
	fprintf(f, "arrival %lld\n", (long long)env->arrival);
	put_field(f, "sender", env->sender ? env->sender : "");
	put_field(f, "helo", env->helo);
	put_field(f, "client", env->client_addr);
	put_field(f, "protocol", env->protocol);
	put_field(f, "envid", env->envid);
	put_field(f, "auth", env->auth);
	fprintf(f, "ret %s\nbody %s\nsmtputf8 %d\nsize %zu\ncrc %08lx\n",
	        ret_names[env->ret], body_names[env->body],
	        env->smtputf8 ? 1 : 0, env->size, (unsigned long)env->msg_crc);
	if (env->requiretls)
		fputs("requiretls 1\n", f);
	for (i = 0; i < env->nrcpts; i++)
		put_rcpt(f, &env->rcpts[i]);
	/* The checksum of every byte before the end line (recovery tells a
	 * half-rewritten recycled file by it: docs/queue-format.md). */
	if (fflush(f) != 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fprintf(f, "end %08lx\n",
	        (unsigned long)crc32_z(0, (const Bytef *)buf, len));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len_r)
		*len_r = len;
	return buf;
}

const char *
envelope_state_name(enum rcpt_state st)
{
	return state_names[st];
}

int
envelope_state_from_name(const char *s, size_t len, enum rcpt_state *st)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strlen(state_names[i]) == len &&
		    memcmp(state_names[i], s, len) == 0) {
			*st = (enum rcpt_state)i;
			return 0;
		}
	return -1;
}

int
envelope_enum_from_name(int which, const char *s, size_t len, int *out)
{
	const char *const *names = which ? body_names : ret_names;
	int i;

	for (i = 0; i < 3; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

bool
envelope_all_final(const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING ||
		    env->rcpts[i].state == RCPT_DEFERRED ||
		    env->rcpts[i].state == RCPT_BOUNCING ||
		    env->rcpts[i].state == RCPT_NOTIFYING)
			return false;
	return true;
}
