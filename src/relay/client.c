/*
 * client.c — the outbound SMTP client's state machine (see client.h):
 * greeting, EHLO (HELO fallback), STARTTLS, AUTH, then MAIL, RCPT and
 * DATA, pipelined when the server allows it (RFC 2920).
 */
#include "relay/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "base/log.h"
#include "relay/reply_parse.h"
#include "relay/smtp_out.h"

/* RFC 5321 s4.5.3.2 client timeouts, in seconds. */
#define T_COMMAND 300
#define T_DATA_INIT 120
#define T_DATA_BLOCK 180
#define T_DATA_END 600

enum client_state {
	C_GREETING,
	C_EHLO,
	C_HELO,
	C_STARTTLS,
	C_TLS_HANDSHAKE,
	C_AUTH,
	C_MAIL,
	C_RCPT,
	C_DATA,
	C_DOT,
	C_DONE,
};

struct relay_client {
	struct event_base *base;
	struct bufferevent *bev;
	struct relay_target target;
	struct relay_job job;
	relay_done_cb cb;
	void *arg;
	enum client_state state;
	struct remote_caps caps;
	bool tls;
	struct reply_acc acc;
	size_t rcpt_next; /* next RCPT whose reply is awaited */
	size_t naccepted; /* RCPTs answered 2yz */
	bool *rcpt_ok;
	bool split; /* a 452 made the rest NOT_TRIED */
	struct relay_result res;
	struct event *done_ev;
	bool finished;
};

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);

static SSL_CTX *
client_ssl_ctx(void)
{
	static SSL_CTX *ctx;

	if (ctx == NULL) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (ctx) {
			SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
			/* Opportunistic TLS: encrypt, verify nothing (RFC
			 * 7435). */
			SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		}
	}
	return ctx;
}

static void
set_timeout(struct relay_client *c, int seconds)
{
	struct timeval tv = {seconds, 0};

	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

static void
reply_copy(struct relay_reply *dst, const struct reply_acc *acc)
{
	free(dst->text);
	dst->code = acc->code;
	snprintf(dst->enhanced, sizeof(dst->enhanced), "%s", acc->enhanced);
	dst->text = strdup(acc->text);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_client *c = arg;

	c->cb(c->arg, &c->res);
	relay_client_abort(c);
}

/* Report once, later, from the loop; QUIT goes out if the link is up. */
static void
finish(struct relay_client *c, enum relay_stage failed, const char *error)
{
	size_t i;

	if (c->finished)
		return;
	c->finished = true;
	c->res.failed_stage = failed;
	c->res.error = error;
	for (i = 0; i < c->job.nrcpt; i++)
		if (failed != RELAY_STAGE_DONE &&
		    c->res.outcome[i] == RELAY_RCPT_ACCEPTED)
			c->res.outcome[i] = RELAY_RCPT_NOT_TRIED;
	if (c->bev) {
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_write(c->bev, "QUIT\r\n", 6);
	}
	c->state = C_DONE;
	event_active(c->done_ev, EV_TIMEOUT, 0);
}

static enum relay_stage
stage_of(enum client_state st)
{
	static const enum relay_stage map[] = {
	        [C_GREETING] = RELAY_STAGE_GREETING,
	        [C_EHLO] = RELAY_STAGE_EHLO,
	        [C_HELO] = RELAY_STAGE_EHLO,
	        [C_STARTTLS] = RELAY_STAGE_STARTTLS,
	        [C_TLS_HANDSHAKE] = RELAY_STAGE_STARTTLS,
	        [C_AUTH] = RELAY_STAGE_AUTH,
	        [C_MAIL] = RELAY_STAGE_MAIL,
	        [C_RCPT] = RELAY_STAGE_RCPT,
	        [C_DATA] = RELAY_STAGE_DATA,
	        [C_DOT] = RELAY_STAGE_DATA,
	        [C_DONE] = RELAY_STAGE_DONE,
	};
	return map[st];
}

/* The server ended the session with this reply (421 or an error). */
static void
fail_with_reply(struct relay_client *c)
{
	reply_copy(&c->res.session_reply, &c->acc);
	finish(c, stage_of(c->state), NULL);
}

/* Every recipient gets the same synthetic refusal (SIZE, SMTPUTF8). */
static void
refuse_all(struct relay_client *c, int code, const char *enh, const char *text)
{
	size_t i;

	for (i = 0; i < c->job.nrcpt; i++) {
		c->res.outcome[i] = RELAY_RCPT_REJECTED;
		c->res.rcpt_reply[i].code = code;
		snprintf(c->res.rcpt_reply[i].enhanced,
		         sizeof(c->res.rcpt_reply[i].enhanced), "%s", enh);
		c->res.rcpt_reply[i].text = strdup(text);
	}
	finish(c, RELAY_STAGE_DONE, NULL);
}

static void
send_ehlo(struct relay_client *c, const char *verb)
{
	memset(&c->caps, 0, sizeof(c->caps));
	evbuffer_add_printf(bufferevent_get_output(c->bev), "%s %s\r\n", verb,
	                    c->job.helo_name);
	c->state = verb[0] == 'E' ? C_EHLO : C_HELO;
}

/* MAIL, then every RCPT, then DATA: in one write when pipelining. */
static void
begin_transaction(struct relay_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char text[128];
	size_t i;

	if (c->caps.size_limit && c->job.msglen > c->caps.size_limit) {
		snprintf(text, sizeof(text),
		         "552 5.3.4 message size exceeds remote limit (SIZE "
		         "%zu)",
		         c->caps.size_limit);
		refuse_all(c, 552, "5.3.4", text);
		return;
	}
	if (c->job.env->smtputf8 && !c->caps.smtputf8) {
		refuse_all(c, 553, "5.6.7",
		           "553 5.6.7 remote server does not support SMTPUTF8");
		return;
	}
	c->res.remote_dsn = c->caps.dsn;
	out_mail(out, c->job.env, c->job.msglen, &c->caps);
	if (c->caps.pipelining) {
		for (i = 0; i < c->job.nrcpt; i++)
			out_rcpt(out, &c->job.env->rcpts[c->job.rcpt_idx[i]],
			         &c->caps);
		evbuffer_add(out, "DATA\r\n", 6);
	}
	c->state = C_MAIL;
	set_timeout(c, T_COMMAND);
}

static void
after_ehlo(struct relay_client *c)
{
	if (c->caps.starttls && !c->tls) {
		bufferevent_write(c->bev, "STARTTLS\r\n", 10);
		c->state = C_STARTTLS;
		return;
	}
	if (c->target.tls_required && !c->tls) {
		finish(c, RELAY_STAGE_STARTTLS,
		       "TLS required but the server does not offer STARTTLS");
		return;
	}
	if (c->target.auth_user) {
		struct evbuffer *out = bufferevent_get_output(c->bev);
		char plain[600], b64[810];
		int n;

		if (!c->tls || !c->caps.auth_plain) {
			finish(c, RELAY_STAGE_AUTH,
			       "AUTH PLAIN over TLS not available at the "
			       "smarthost");
			return;
		}
		n = snprintf(plain, sizeof(plain), "%c%s%c%s", 0,
		             c->target.auth_user, 0, c->target.auth_pass);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)plain,
		                n < (int)sizeof(plain) ? n
		                                       : (int)sizeof(plain));
		evbuffer_add_printf(out, "AUTH PLAIN %s\r\n", b64);
		OPENSSL_cleanse(plain, sizeof(plain));
		c->state = C_AUTH;
		return;
	}
	begin_transaction(c);
}

static void
start_tls(struct relay_client *c)
{
	SSL *ssl = SSL_new(client_ssl_ctx());
	struct bufferevent *tls;

	if (ssl == NULL) {
		finish(c, RELAY_STAGE_STARTTLS, "cannot create a TLS session");
		return;
	}
	SSL_set_tlsext_host_name(ssl, c->target.host);
	tls = bufferevent_openssl_filter_new(c->base, c->bev, ssl,
	                                     BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		finish(c, RELAY_STAGE_STARTTLS, "cannot start TLS");
		return;
	}
	c->bev = tls;
	bufferevent_setcb(tls, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	set_timeout(c, T_COMMAND);
	c->state = C_TLS_HANDSHAKE;
}

static void
tls_established(struct relay_client *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
	int alg = 0, bits = ci ? SSL_CIPHER_get_bits(ci, &alg) : 0;

	c->tls = true;
	snprintf(c->res.tls_info, sizeof(c->res.tls_info),
	         "%s with cipher %s (%d/%d bits)", SSL_get_version(ssl),
	         ci ? SSL_CIPHER_get_name(ci) : "none", bits, alg);
	send_ehlo(c, "EHLO");
}

/* A RCPT reply, in order. */
static void
on_rcpt(struct relay_client *c)
{
	size_t i = c->rcpt_next++;
	bool too_many = c->acc.code == 452 ||
	                (c->acc.code == 552 &&
	                 strncmp(c->acc.enhanced + 1, ".5.3", 4) == 0);

	if (c->acc.code / 100 == 2) {
		c->rcpt_ok[i] = true;
		c->naccepted++;
		reply_copy(&c->res.rcpt_reply[i], &c->acc);
	} else if (too_many && c->naccepted > 0) {
		/* RFC 5321 s4.5.3.1.10: send these in another transaction. */
		c->res.outcome[i] = RELAY_RCPT_NOT_TRIED;
		reply_copy(&c->res.rcpt_reply[i], &c->acc);
	} else {
		c->res.outcome[i] = RELAY_RCPT_REJECTED;
		reply_copy(&c->res.rcpt_reply[i], &c->acc);
	}
	if (c->rcpt_next < c->job.nrcpt) {
		if (!c->caps.pipelining)
			out_rcpt(
			        bufferevent_get_output(c->bev),
			        &c->job.env
			                 ->rcpts[c->job.rcpt_idx[c->rcpt_next]],
			        &c->caps);
		return;
	}
	c->state = C_DATA;
	set_timeout(c, T_DATA_INIT);
	if (c->caps.pipelining)
		return; /* DATA is on its way already */
	if (c->naccepted == 0) {
		finish(c, RELAY_STAGE_DONE, NULL);
		return;
	}
	bufferevent_write(c->bev, "DATA\r\n", 6);
}

static void
on_data(struct relay_client *c)
{
	size_t i;

	if (c->naccepted == 0) {
		/* A pipelined DATA after no accepted recipient: its 503/554
		 * says nothing about the recipients. */
		finish(c, RELAY_STAGE_DONE, NULL);
		return;
	}
	if (c->acc.code == 354) {
		out_data(bufferevent_get_output(c->bev), c->job.msg,
		         c->job.msglen);
		c->state = C_DOT;
		set_timeout(c, T_DATA_END);
		return;
	}
	for (i = 0; i < c->job.nrcpt; i++)
		if (c->rcpt_ok[i]) {
			c->res.outcome[i] = RELAY_RCPT_REJECTED;
			reply_copy(&c->res.rcpt_reply[i], &c->acc);
		}
	if (c->acc.code == 421)
		reply_copy(&c->res.session_reply, &c->acc);
	finish(c, RELAY_STAGE_DONE, NULL);
}

static void
on_dot(struct relay_client *c)
{
	size_t i;
	bool ok = c->acc.code / 100 == 2;

	for (i = 0; i < c->job.nrcpt; i++)
		if (c->rcpt_ok[i]) {
			c->res.outcome[i] =
			        ok ? RELAY_RCPT_ACCEPTED : RELAY_RCPT_REJECTED;
			reply_copy(&c->res.rcpt_reply[i], &c->acc);
		}
	finish(c, RELAY_STAGE_DONE, NULL);
}

/* A complete reply for the command of the current state. */
static void
on_reply(struct relay_client *c)
{
	int code = c->acc.code;

	if (code == 421 && c->state != C_DATA) {
		fail_with_reply(c);
		return;
	}
	switch (c->state) {
	case C_GREETING:
		if (code != 220) {
			fail_with_reply(c);
			return;
		}
		set_timeout(c, T_COMMAND);
		send_ehlo(c, "EHLO");
		break;
	case C_EHLO:
		if (code / 100 == 2) {
			c->caps.esmtp = true;
			after_ehlo(c);
		} else if (code / 100 == 5 && !c->tls) {
			send_ehlo(c, "HELO");
		} else {
			fail_with_reply(c);
		}
		break;
	case C_HELO:
		if (code / 100 != 2) {
			fail_with_reply(c);
			return;
		}
		after_ehlo(c);
		break;
	case C_STARTTLS:
		if (code == 220)
			start_tls(c);
		else if (c->target.tls_required)
			fail_with_reply(c);
		else {
			c->caps.starttls = false; /* go on in clear */
			after_ehlo(c);
		}
		break;
	case C_AUTH:
		if (code != 235) {
			fail_with_reply(c);
			return;
		}
		begin_transaction(c);
		break;
	case C_MAIL:
		if (code / 100 != 2) {
			fail_with_reply(c);
			return;
		}
		c->state = C_RCPT;
		if (!c->caps.pipelining)
			out_rcpt(bufferevent_get_output(c->bev),
			         &c->job.env->rcpts[c->job.rcpt_idx[0]],
			         &c->caps);
		break;
	case C_RCPT:
		on_rcpt(c);
		break;
	case C_DATA:
		on_data(c);
		break;
	case C_DOT:
		on_dot(c);
		break;
	default:
		break;
	}
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct relay_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	while (!c->finished &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		enum reply_line_status st = reply_acc_line(&c->acc, line, len);

		if (st != REPLY_LINE_BAD && c->state == C_EHLO &&
		    c->acc.lines > 1 && len > 4)
			caps_parse_line(&c->caps, line + 4, len - 4);
		free(line);
		if (st == REPLY_LINE_BAD) {
			finish(c, stage_of(c->state), "malformed reply");
			return;
		}
		if (st == REPLY_LINE_COMPLETE) {
			on_reply(c);
			reply_acc_reset(&c->acc);
		}
	}
	if (!c->finished && evbuffer_get_length(in) > 4096)
		finish(c, stage_of(c->state), "reply line too long");
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct relay_client *c = arg;

	if (c->finished)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == C_TLS_HANDSHAKE)
			tls_established(c);
		else
			set_timeout(c, c->job.timeout_connect > 0
			                       ? c->job.timeout_connect
			                       : T_COMMAND);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		finish(c, stage_of(c->state), "timeout");
		return;
	}
	if (c->state == C_TLS_HANDSHAKE && c->target.tls_required) {
		finish(c, RELAY_STAGE_STARTTLS, "TLS handshake failed");
		return;
	}
	finish(c,
	       c->state == C_GREETING ? RELAY_STAGE_CONNECT
	                              : stage_of(c->state),
	       (what & BEV_EVENT_EOF) ? "connection closed by the server"
	                              : "connection failed");
}

static bool
client_alloc(struct relay_client *c, const struct relay_target *t,
             const struct relay_job *job)
{
	c->target = *t;
	c->job = *job;
	c->res.outcome = calloc(job->nrcpt, sizeof(*c->res.outcome));
	c->res.rcpt_reply = calloc(job->nrcpt, sizeof(*c->res.rcpt_reply));
	c->rcpt_ok = calloc(job->nrcpt, sizeof(*c->rcpt_ok));
	c->done_ev = event_new(c->base, -1, 0, done_cb, c);
	snprintf(c->res.remote_mta, sizeof(c->res.remote_mta), "%s [%s]",
	         t->host, t->addr);
	return c->res.outcome && c->res.rcpt_reply && c->rcpt_ok && c->done_ev;
}

struct relay_client *
relay_client_start(struct event_base *base, const struct relay_target *t,
                   const struct relay_job *job, relay_done_cb cb, void *arg)
{
	struct relay_client *c = calloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[300];
	size_t i;

	if (c == NULL)
		return NULL;
	c->base = base;
	c->cb = cb;
	c->arg = arg;
	if (!client_alloc(c, t, job)) {
		relay_client_abort(c);
		return NULL;
	}
	for (i = 0; i < job->nrcpt; i++)
		c->res.outcome[i] = RELAY_RCPT_NOT_TRIED;
	snprintf(spec, sizeof(spec), strchr(t->addr, ':') ? "[%s]:%d" : "%s:%d",
	         t->addr, t->port);
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL ||
	    evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) <
	            0) {
		relay_client_abort(c);
		return NULL;
	}
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	set_timeout(c, job->timeout_connect > 0 ? job->timeout_connect
	                                        : T_COMMAND);
	c->state = C_GREETING;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, sslen) <
	    0)
		finish(c, RELAY_STAGE_CONNECT, "connect failed");
	return c;
}

void
relay_client_abort(struct relay_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->done_ev)
		event_free(c->done_ev);
	for (i = 0; c->res.rcpt_reply && i < c->job.nrcpt; i++)
		free(c->res.rcpt_reply[i].text);
	free(c->res.rcpt_reply);
	free(c->res.outcome);
	free(c->res.session_reply.text);
	free(c->rcpt_ok);
	free(c);
}
