/*
 * client_session.c — the SMTP client before the mail transaction: the
 * greeting, EHLO (HELO when EHLO is refused), STARTTLS and AUTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "base/str.h"
#include "dane/dane.h"
#include "relay/client_int.h"
#include "relay/command.h"
#include "relay/tls_client.h"
#include "tls/tls.h"

static bool
is_2yz(const struct reply_parsed *r)
{
	return r->code / 100 == 2;
}

static void
send_ehlo(struct relay_client *c, const char *verb, enum client_state st)
{
	char line[300];

	snprintf(line, sizeof(line), "%s %s\r\n", verb, c->job->helo_name);
	client_send(c, line);
	client_expect(c, st, T_EHLO);
}

void
relay_session_greeting(struct relay_client *c, const struct reply_parsed *r)
{
	if (r->code != 220) {
		client_fail_quit(c, r, NULL);
		return;
	}
	if (!relay_addr_ok(c->job->helo_name)) {
		client_fail_quit(c, NULL, "bad HELO name");
		return;
	}
	send_ehlo(c, c->target.lmtp ? "LHLO" : "EHLO", ST_EHLO);
}

static void
start_auth(struct relay_client *c)
{
	const char *user = c->target.auth_user;
	const char *pass = c->target.auth_pass ? c->target.auth_pass : "";
	char *line;

	/* Never send credentials in clear text. */
	c->state = ST_AUTH; /* the stage a failure is reported at */
	if (!c->tls) {
		client_fail_quit(c, NULL, "AUTH needs TLS, and there is none");
		return;
	}
	if (c->caps.auth & EHLO_AUTH_PLAIN) {
		line = relay_cmd_auth_plain(user, pass);
		c->auth_step = 2;
	} else if (c->caps.auth & EHLO_AUTH_LOGIN) {
		line = str_dup("AUTH LOGIN\r\n");
		c->auth_step = 0;
	} else {
		client_fail_quit(
		        c, NULL,
		        "the remote offers neither AUTH PLAIN nor LOGIN");
		return;
	}
	if (line == NULL)
		abort();
	client_send(c, line);
	relay_cmd_free_secret(line);
	client_expect(c, ST_AUTH, T_EHLO);
}

/* What comes after a successful EHLO or HELO. */
static void
after_hello(struct relay_client *c)
{
	/* LMTP runs to a server of this site: TLS only when required. */
	if (!c->tls && c->caps.starttls && !c->tls_refused &&
	    !c->target.tls_never &&
	    (!c->target.lmtp || c->target.tls_required)) {
		client_send(c, "STARTTLS\r\n");
		client_expect(c, ST_STARTTLS, T_EHLO);
		return;
	}
	if (!c->tls && c->target.tls_required) {
		c->state =
		        ST_STARTTLS; /* the stage the failure is reported at */
		client_fail_quit(
		        c, NULL,
		        "TLS required but the remote does not offer it");
		return;
	}
	if (c->target.auth_user != NULL && !c->authed) {
		start_auth(c);
		return;
	}
	relay_txn_start(c);
}

void
relay_session_ehlo(struct relay_client *c, const struct reply_parsed *r)
{
	bool first = !c->helo_tried;

	c->helo_tried = true;
	if (is_2yz(r)) {
		relay_ehlo_parse(r->lines, r->nlines, &c->caps);
		c->res.remote_dsn = c->caps.dsn;
		after_hello(c);
		return;
	}
	/* EHLO not understood (RFC 5321 s4.1.4, s3.2): try HELO, but not
	 * after STARTTLS, where the remote has already spoken ESMTP. */
	if (r->code / 100 == 5 && first && !c->target.lmtp) {
		send_ehlo(c, "HELO", ST_HELO);
		return;
	}
	client_fail_quit(c, r, NULL);
}

void
relay_session_helo(struct relay_client *c, const struct reply_parsed *r)
{
	if (!is_2yz(r)) {
		client_fail_quit(c, r, NULL);
		return;
	}
	memset(&c->caps, 0, sizeof(c->caps));
	c->res.remote_dsn = false;
	after_hello(c);
}

void
relay_session_starttls(struct relay_client *c, const struct reply_parsed *r)
{
	if (r->code != 220) {
		if (c->target.tls_required) {
			client_fail_quit(
			        c, r, "TLS required but STARTTLS was refused");
			return;
		}
		c->tls_refused = true;
		after_hello(c);
		return;
	}
	/* Anything after the 220 was sent before TLS and could be forged
	 * by a man in the middle (RFC 3207 s6). */
	if (client_pending_input(c) > 0) {
		client_fail(c, NULL,
		            "protocol error: data after STARTTLS reply");
		return;
	}
	if (client_start_tls(c) < 0)
		client_fail(c, NULL, c->errbuf);
}

static bool
dane_verify(const struct relay_client *c)
{
	return c->target.dane != NULL && c->target.dane->mode == DANE_VERIFY;
}

/* The peer matched the TLSA records: 0; else the client is failing. */
static int
check_dane(struct relay_client *c, SSL *ssl)
{
	if (ssl == NULL || dane_tls_check(ssl, c->target.host, c->errbuf,
	                                  sizeof(c->errbuf)) < 0) {
		client_fail_quit(c, NULL,
		                 ssl != NULL ? c->errbuf
		                             : "DANE verification failed");
		return -1;
	}
	c->res.tls_auth = RELAY_TLS_DANE;
	return 0;
}

/* The certificate is checked only to be reported on (tls_check). */
static bool
check_only(const struct relay_client *c)
{
	return c->target.tls_check && !c->target.tls_verify &&
	       c->target.auth_user == NULL;
}

void
relay_session_tls_ready(struct relay_client *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	struct relay_tls_peer buf;
	const struct relay_tls_peer *peer = client_tls_peer(c, &buf);

	c->tls = true;
	c->res.tls_auth = RELAY_TLS_UNTRUSTED;
	if (ssl != NULL)
		tls_describe(ssl, c->res.tls_info, sizeof(c->res.tls_info));
	if (dane_verify(c)) {
		/* Before EHLO, so before anything of the message is sent. */
		if (check_dane(c, ssl) < 0)
			return;
	} else if (peer != NULL) {
		if (ssl == NULL)
			snprintf(c->errbuf, sizeof(c->errbuf),
			         "certificate verification failed");
		if (ssl != NULL &&
		    relay_tls_verify(ssl, c->target.host, peer, c->errbuf,
		                     sizeof(c->errbuf)) == 0) {
			c->res.tls_auth = RELAY_TLS_VERIFIED;
		} else if (check_only(c)) {
			snprintf(c->res.tls_error, sizeof(c->res.tls_error),
			         "%s", c->errbuf);
		} else {
			/* Before EHLO, so before any credential is sent. */
			client_fail_quit(c, NULL, c->errbuf);
			return;
		}
	}
	if (c->target.implicit_tls && !c->helo_tried) {
		client_expect(c, ST_GREETING,
		              c->job->timeout_connect > 0
		                      ? c->job->timeout_connect
		                      : T_GREETING);
		return;
	}
	/* RFC 3207 s4.2: forget what was learnt before TLS. */
	memset(&c->caps, 0, sizeof(c->caps));
	send_ehlo(c, c->target.lmtp ? "LHLO" : "EHLO", ST_EHLO);
}

/* AUTH LOGIN: 334 for the user name, 334 for the password, then 235. */
void
relay_session_auth(struct relay_client *c, const struct reply_parsed *r)
{
	const char *secret;
	char *line;

	if (c->auth_step < 2 && r->code == 334) {
		secret = c->auth_step == 0     ? c->target.auth_user
		         : c->target.auth_pass ? c->target.auth_pass
		                               : "";
		line = relay_cmd_base64_line(secret);
		client_send(c, line);
		relay_cmd_free_secret(line);
		c->auth_step++;
		client_expect(c, ST_AUTH, T_EHLO);
		return;
	}
	if (c->auth_step == 2 && r->code == 235) {
		c->authed = true;
		after_hello(c);
		return;
	}
	client_fail_quit(c, r, NULL);
}
