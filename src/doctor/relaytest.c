/*
 * relaytest.c — the open-relay self-test: a dialogue with the server's own
 * port-25 listener as an outside client would have it (no AUTH), that asks
 * to relay to a domain the server does not host and stops at RCPT: RSET
 * and QUIT follow whatever the answer, so nothing is ever sent.  An open
 * relay is found by spammers within hours and then listed everywhere.
 */
#include <stdio.h>
#include <string.h>

#include "doctor/doctor_int.h"

#define G "relay"
/* RFC 2606: a name that can never be a real domain ferry hosts. */
#define OUTSIDE_RCPT "doctor-relay-test@relay-test.invalid"

static const struct config_listener *
smtp_listener(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nlisteners; i++)
		if (cfg->listeners[i].role == LISTENER_SMTP)
			return &cfg->listeners[i];
	return NULL;
}

/* A wildcard listener is reached on loopback. */
static const char *
reachable(const char *addr)
{
	if (strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "*") == 0)
		return "127.0.0.1";
	if (strcmp(addr, "::") == 0)
		return "::1";
	return addr;
}

static void
judge(struct doctor *d, const char *where, int code, const char *text)
{
	struct doctor_check *c;

	if (code >= 500) {
		c = doctor_add(d, G, "open-relay", where, DOCTOR_PASS,
		               "%s refuses to relay for an outside client",
		               where);
		doctor_detail(c, "RCPT TO:<%s>: %s", OUTSIDE_RCPT, text);
		return;
	}
	if (code >= 400) {
		c = doctor_add(d, G, "open-relay", where, DOCTOR_WARN,
		               "%s deferred the relay attempt instead of "
		               "refusing it",
		               where);
		doctor_detail(c, "RCPT TO:<%s>: %s", OUTSIDE_RCPT, text);
		c->fix = "the answer should be a permanent refusal (554 5.7.1 "
		         "relay access denied); check the policy";
		return;
	}
	c = doctor_add(d, G, "open-relay", where, DOCTOR_FAIL,
	               "%s is an open relay: it accepted a recipient at an "
	               "outside domain without AUTH",
	               where);
	doctor_detail(c, "RCPT TO:<%s>: %s (nothing was sent: RSET followed)",
	              OUTSIDE_RCPT, text);
	c->fix = "stop the server at once and fix the relay policy";
	c->sample = "spam-wave";
}

void
doctor_relay_test(struct doctor *d)
{
	const struct config_listener *l = smtp_listener(d->cfg);
	char where[300], err[512], text[2048], cmd[320];
	struct doctor_check *c;
	struct probe p;
	int code;

	if (doctor_skipped(d, "open-relay"))
		return;
	if (l == NULL) {
		doctor_add(d, G, "open-relay", "", DOCTOR_SKIP,
		           "no port-25 listener is configured");
		return;
	}
	snprintf(where, sizeof(where), "%s port %d", reachable(l->address),
	         l->port);
	if (probe_connect(&p, reachable(l->address), l->port,
	                  d->opts->timeout_ms, err, sizeof(err)) < 0) {
		c = doctor_add(d, G, "open-relay", where, DOCTOR_WARN,
		               "the self-test could not reach %s", where);
		doctor_detail(c, "%s", err);
		c->fix = "start the server (ferry serve), then run doctor "
		         "again";
		return;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s", d->helo);
	if (probe_reply(&p, text, sizeof(text)) != 220 ||
	    probe_cmd(&p, cmd, text, sizeof(text)) != 250 ||
	    probe_cmd(&p, "MAIL FROM:<>", text, sizeof(text)) != 250) {
		c = doctor_add(d, G, "open-relay", where, DOCTOR_WARN,
		               "the self-test did not get to RCPT on %s",
		               where);
		doctor_detail(c, "%s", text[0] ? text : "(no answer)");
		probe_close(&p);
		return;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", OUTSIDE_RCPT);
	code = probe_cmd(&p, cmd, text, sizeof(text));
	if (code < 0)
		doctor_add(d, G, "open-relay", where, DOCTOR_WARN,
		           "%s did not answer RCPT", where);
	else
		judge(d, where, code, text);
	probe_cmd(&p, "RSET", text, sizeof(text));
	probe_cmd(&p, "QUIT", text, sizeof(text));
	probe_close(&p);
}
