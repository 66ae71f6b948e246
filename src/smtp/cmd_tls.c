/*
 * cmd_tls.c — STARTTLS (RFC 3207): the 220 goes out in clear, then the
 * socket is handed to OpenSSL and the session starts over (s4.2: all state
 * from before TLS is discarded, EHLO is required again).
 */
#include <stdio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "base/log.h"
#include "smtp/session_int.h"
#include "tls/tls.h"

bool
session_offers_starttls(const struct session *s)
{
	return !s->tls && s->tls_policy != TLS_POLICY_NONE &&
	       smtp_server_tls(s->srv) != NULL;
}

bool
session_tls_missing(const struct session *s)
{
	return !s->tls && s->tls_policy == TLS_POLICY_REQUIRED;
}

void
cmd_starttls(struct session *s, const struct smtp_command *cmd)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	if (s->tls) {
		session_reply(s, R_STARTTLS_ACTIVE);
		return;
	}
	if (!session_offers_starttls(s)) {
		session_reply(s, R_CMD_NOT_IMPLEMENTED);
		return;
	}
	if (cmd->argslen > 0) {
		session_reply(s, R_STARTTLS_SYNTAX);
		return;
	}
	/* The key process is gone: no handshake could be signed. */
	if (!tls_server_available(smtp_server_tls(s->srv))) {
		session_reply(s, R_TLS_UNAVAILABLE);
		return;
	}
	/* Anything sent behind STARTTLS before our 220 would be taken as if
	 * it came through TLS (CVE-2011-0411): refuse and hang up. */
	if (evbuffer_get_length(in) > 0) {
		session_reply(s, R_STARTTLS_PIPELINED);
		session_reset_transaction(s);
		session_close(s);
		return;
	}
	session_reply(s, R_STARTTLS_GO);
	session_reset_transaction(s);
	bufferevent_disable(s->bev, EV_READ);
	s->state = SS_STARTTLS;
}

/* The 220 has been written to the socket: switch it to TLS. */
void
session_start_tls(struct session *s)
{
	struct tls_server *ts = smtp_server_tls(s->srv);
	SSL *ssl = tls_server_available(ts)
	                   ? tls_server_ssl(ts, s->role != LISTENER_SMTP)
	                   : NULL;
	struct bufferevent *bev;

	if (ssl == NULL) {
		session_reply(s, R_TLS_UNAVAILABLE);
		s->state = SS_CONNECTED;
		session_close(s);
		return;
	}
	bufferevent_free(s->bev);
	bev = bufferevent_openssl_socket_new(smtp_server_base(s->srv), s->fd,
	                                     ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	s->bev = NULL;
	if (bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(s->fd);
		s->fd = -1;
		session_close(s);
		return;
	}
	s->bev_owns_fd = true;
	s->tls = true;
	s->helo[0] = '\0';
	s->esmtp = false;
	s->state = SS_CONNECTED;
	session_attach_bev(s, bev);
}
