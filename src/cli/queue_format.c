/*
 * queue_format.c — how `ferry queue list` and `show` print messages: the
 * mailq layout, JSON lines, and the detailed view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/queue_int.h"
#include "explain/explain.h"

static bool
rcpt_listed(const struct envelope_rcpt *r)
{
	return r->state == RCPT_PENDING || r->state == RCPT_DEFERRED ||
	       r->state == RCPT_BOUNCING || r->state == RCPT_NOTIFYING;
}

static const char *
sender_name(const struct envelope *env)
{
	return env->sender && env->sender[0] ? env->sender : "MAILER-DAEMON";
}

const char *
queue_rcpt_reason(const struct envelope_rcpt *r)
{
	struct explain_result res;

	if (r->last_reply == NULL ||
	    (r->state != RCPT_DEFERRED && r->state != RCPT_BOUNCED &&
	     r->state != RCPT_BOUNCING))
		return NULL;
	explain_reply(r->last_reply, strlen(r->last_reply), &res);
	return explain_reason_name(res.reason);
}

size_t
queue_header_len(const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

static void
format_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%a %b %e %H:%M:%S", &tm);
}

void
queue_print_header(FILE *out)
{
	fprintf(out, "%-17s %8s %-19s %s\n", "-Queue ID--------", "--Size--",
	        "---Arrival Time----", "-Sender/Recipient-------");
}

void
queue_print_entry(FILE *out, const struct envelope *env, bool held,
                  struct queue_totals *t)
{
	char id[QUEUE_ID_LEN + 2], when[32];
	size_t i;

	snprintf(id, sizeof(id), "%s%s", env->id, held ? "!" : "");
	format_time(when, sizeof(when), env->arrival);
	fprintf(out, "%-17s %8zu %-19s %s\n", id, env->size, when,
	        sender_name(env));
	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		if (!rcpt_listed(r))
			continue;
		if (r->last_reply)
			fprintf(out, "%*s(%s)\n", QUEUE_LIST_INDENT, "",
			        r->last_reply);
		fprintf(out, "%*s%s\n", QUEUE_LIST_INDENT, "", r->address);
	}
	fputc('\n', out);
	if (t) {
		t->bytes += env->size;
		t->requests++;
	}
}

void
queue_print_totals(FILE *out, const struct queue_totals *t)
{
	if (t->requests == 0) {
		fputs("Mail queue is empty\n", out);
		return;
	}
	fprintf(out, "-- %llu Kbytes in %lu Request%s.\n",
	        (t->bytes + 1023) / 1024, t->requests,
	        t->requests == 1 ? "" : "s");
}

void
queue_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
json_rcpt(FILE *out, const struct envelope_rcpt *r)
{
	fputs("{\"address\":", out);
	queue_json_string(out, r->address);
	fputs(",\"original\":", out);
	queue_json_string(out, r->original);
	fputs(",\"state\":", out);
	queue_json_string(out, envelope_state_name(r->state));
	fprintf(out, ",\"next_attempt\":%lld,\"last_reply\":",
	        (long long)r->next_attempt);
	queue_json_string(out, r->last_reply);
	fputs(",\"reason\":", out);
	queue_json_string(out, queue_rcpt_reason(r));
	fputc('}', out);
}

static void
json_fields(FILE *out, const struct envelope *env, bool held, bool all)
{
	size_t i, n = 0;

	fputs("{\"id\":", out);
	queue_json_string(out, env->id);
	fprintf(out, ",\"status\":\"%s\",\"size\":%zu,\"arrival\":%lld",
	        held ? "held" : "queued", env->size, (long long)env->arrival);
	fputs(",\"sender\":", out);
	queue_json_string(out, env->sender);
	if (all) {
		fputs(",\"helo\":", out);
		queue_json_string(out, env->helo);
		fputs(",\"client\":", out);
		queue_json_string(out, env->client_addr);
		fputs(",\"protocol\":", out);
		queue_json_string(out, env->protocol);
		fputs(",\"envid\":", out);
		queue_json_string(out, env->envid);
		fputs(",\"auth\":", out);
		queue_json_string(out, env->auth);
		fprintf(out, ",\"smtputf8\":%s",
		        env->smtputf8 ? "true" : "false");
	}
	fputs(",\"recipients\":[", out);
	for (i = 0; i < env->nrcpts; i++) {
		if (!all && !rcpt_listed(&env->rcpts[i]))
			continue;
		if (n++)
			fputc(',', out);
		json_rcpt(out, &env->rcpts[i]);
	}
	fputc(']', out);
}

void
queue_print_json(FILE *out, const struct envelope *env, bool held)
{
	json_fields(out, env, held, false);
	fputs("}\n", out);
}

/* The header block with CRLF turned into LF, for a terminal. */
static void
print_headers(FILE *out, const char *msg, size_t len)
{
	size_t i, n = queue_header_len(msg, len);

	for (i = 0; i < n; i++)
		if (!(msg[i] == '\r' && i + 1 < n && msg[i + 1] == '\n'))
			fputc(msg[i], out);
}

void
queue_print_show(FILE *out, const struct envelope *env, bool held,
                 const char *msg, size_t len)
{
	char when[32];
	const char *reason;
	size_t i;

	format_time(when, sizeof(when), env->arrival);
	fprintf(out, "id:        %s\nstatus:    %s\n", env->id,
	        held ? "held" : "queued");
	fprintf(out, "arrival:   %s (%lld)\nsize:      %zu\n", when,
	        (long long)env->arrival, env->size);
	fprintf(out, "sender:    <%s>\nhelo:      %s\nclient:    %s\n",
	        env->sender ? env->sender : "", env->helo ? env->helo : "-",
	        env->client_addr ? env->client_addr : "-");
	fprintf(out, "protocol:  %s\n", env->protocol ? env->protocol : "-");
	if (env->envid)
		fprintf(out, "envid:     %s\n", env->envid);
	if (env->auth)
		fprintf(out, "auth:      <%s>\n", env->auth);
	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		fprintf(out, "recipient: <%s> %s", r->address,
		        envelope_state_name(r->state));
		if (r->original && strcmp(r->original, r->address) != 0)
			fprintf(out, " (for <%s>)", r->original);
		fputc('\n', out);
		if (r->state == RCPT_DEFERRED && r->next_attempt > 0) {
			format_time(when, sizeof(when), r->next_attempt);
			fprintf(out, "  next attempt: %s\n", when);
		}
		if (r->last_reply)
			fprintf(out, "  last reply:   %s\n", r->last_reply);
		if ((reason = queue_rcpt_reason(r)) != NULL)
			fprintf(out, "  reason:       %s\n", reason);
	}
	if (msg) {
		fputs("\n", out);
		print_headers(out, msg, len);
	}
}

void
queue_print_show_json(FILE *out, const struct envelope *env, bool held,
                      const char *msg, size_t len)
{
	char *hdr = NULL;
	size_t n;

	json_fields(out, env, held, true);
	fputs(",\"headers\":", out);
	if (msg) {
		n = queue_header_len(msg, len);
		hdr = strndup(msg, n);
	}
	queue_json_string(out, hdr);
	free(hdr);
	fputs("}\n", out);
}
