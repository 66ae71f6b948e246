/*
 * redis_link.c — one Redis connection on our own bufferevent (see
 * redis_link.h).
 *
 * A command goes out as RESP bytes and leaves a waiter at the tail of a
 * queue; Redis answers in order, so each reply the reader completes
 * belongs to the waiter at the head.  Going down (an error, EOF, a
 * timeout while connecting, a refused AUTH, a reply nobody asked for)
 * always takes the same path: drop the bufferevent and the reader's
 * half-read bytes, answer every waiter NULL, tell the owner, retry in a
 * second.
 */
#include "base/str.h"
#include "policy/redis_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls/tls.h"

#define RETRY_SECONDS 1

struct waiter {
	redis_reply_fn fn;
	void *arg;
	TAILQ_ENTRY(waiter) entry;
};

struct redis_link {
	struct event_base *base;
	struct redis_link_config cfg; /* strings owned */
	SSL_CTX *ctx;                 /* cfg.tls only; made again if NULL */
	struct bufferevent *bev;      /* NULL while down */
	redisReader *reader;
	TAILQ_HEAD(, waiter) waiting;
	bool up;
	struct event *retry;
	redis_status_fn status_fn;
	void *status_arg;
};

static void link_connect(struct redis_link *l);

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = str_dup(s)) == NULL)
		abort();
	return d;
}

static void
fail_waiting(struct redis_link *l)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(&l->waiting)) != NULL) {
		TAILQ_REMOVE(&l->waiting, w, entry);
		w->fn(w->arg, NULL);
		free(w);
	}
}

static void
reader_reset(struct redis_link *l)
{
	if (l->reader)
		redisReaderFree(l->reader);
	if ((l->reader = redisReaderCreate()) == NULL)
		abort();
}

static void
link_down(struct redis_link *l, const char *why)
{
	struct timeval tv = {RETRY_SECONDS, 0};

	if (l->bev) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	l->up = false;
	reader_reset(l);
	fail_waiting(l);
	l->status_fn(l->status_arg, false, why);
	evtimer_add(l->retry, &tv);
}

static void
link_ready(struct redis_link *l)
{
	l->up = true;
	bufferevent_set_timeouts(l->bev, NULL, NULL);
	l->status_fn(l->status_arg, true, NULL);
}

static int
link_queue(struct redis_link *l, const char *cmd, size_t len, redis_reply_fn fn,
           void *arg)
{
	struct waiter *w;

	if (l->bev == NULL || bufferevent_write(l->bev, cmd, len) < 0)
		return -1;
	if ((w = malloc(sizeof(*w))) == NULL)
		abort();
	w->fn = fn;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&l->waiting, w, entry);
	return 0;
}

static int
link_queue_argv(struct redis_link *l, int argc, const char **argv,
                const size_t *lens, redis_reply_fn fn, void *arg)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	int rc;

	if (len < 0)
		abort();
	rc = link_queue(l, cmd, (size_t)len, fn, arg);
	redisFreeCommand(cmd);
	return rc;
}

static void
auth_reply(void *arg, const redisReply *reply)
{
	struct redis_link *l = arg;
	char why[300];

	if (reply == NULL)
		return; /* already down */
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "AUTH refused: %s", reply->str);
		link_down(l, why);
		return;
	}
	link_ready(l);
}

static void
link_connected(struct redis_link *l)
{
	const char *argv[3] = {"AUTH", NULL, NULL};
	int argc = 0;

	if (l->cfg.password == NULL) {
		link_ready(l);
		return;
	}
	argc = 1;
	if (l->cfg.username)
		argv[argc++] = l->cfg.username;
	argv[argc++] = l->cfg.password;
	if (link_queue_argv(l, argc, argv, NULL, auth_reply, l) < 0)
		link_down(l, "cannot send AUTH");
}

/* Hands each complete reply to the waiter at the head. */
static void
deliver_replies(struct redis_link *l, struct bufferevent *bev)
{
	struct waiter *w;
	void *reply;

	for (;;) {
		reply = NULL;
		if (redisReaderGetReply(l->reader, &reply) != REDIS_OK) {
			link_down(l, l->reader->errstr[0] ? l->reader->errstr
			                                  : "protocol error");
			return;
		}
		if (reply == NULL)
			return;
		if ((w = TAILQ_FIRST(&l->waiting)) == NULL) {
			freeReplyObject(reply);
			link_down(l, "an answer to no command");
			return;
		}
		TAILQ_REMOVE(&l->waiting, w, entry);
		w->fn(w->arg, reply);
		freeReplyObject(reply);
		free(w);
		if (l->bev != bev)
			return; /* the callback took the link down */
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct redis_link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		if (redisReaderFeed(l->reader, v.iov_base, v.iov_len) !=
		    REDIS_OK) {
			link_down(l, "cannot buffer the answer");
			return;
		}
		evbuffer_drain(in, v.iov_len);
	}
	deliver_replies(l, bev);
}

/* OpenSSL's reason, and the certificate check's when that failed. */
static void
tls_failure(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	char reason[256];
	long vr;

	tls_bev_error(bev, reason, sizeof(reason),
	              errno ? strerror(errno) : "connection closed");
	vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (vr != X509_V_OK)
		snprintf(buf, len, "TLS: %s (%s)", reason,
		         X509_verify_cert_error_string(vr));
	else
		snprintf(buf, len, "TLS: %s", reason);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct redis_link *l = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		link_connected(l);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "%s",
		         l->up ? "timed out" : "timed out connecting");
	else if (l->cfg.tls && !l->up)
		tls_failure(bev, why, sizeof(why));
	else if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "connection closed by Redis");
	else
		snprintf(why, sizeof(why), "%s",
		         errno ? strerror(errno) : "connection error");
	link_down(l, why);
}

static SSL_CTX *
ctx_new(const struct redis_link_config *cfg, char *why, size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *failed = NULL;
	char reason[256] = "";
	unsigned long e;

	if (ctx == NULL)
		failed = "cannot create a TLS context";
	else if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		failed = "cannot set TLS 1.2 as minimum";
	else if ((cfg->ca_file ? SSL_CTX_load_verify_locations(
	                                 ctx, cfg->ca_file, NULL)
	                       : SSL_CTX_set_default_verify_paths(ctx)) != 1)
		failed = "cannot load redis_tls_ca_file";
	else if (cfg->cert_file &&
	         SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		failed = "cannot load redis_tls_cert_file";
	else if (cfg->cert_file &&
	         (SSL_CTX_use_PrivateKey_file(
	                  ctx, cfg->key_file ? cfg->key_file : cfg->cert_file,
	                  SSL_FILETYPE_PEM) != 1 ||
	          SSL_CTX_check_private_key(ctx) != 1))
		failed = "cannot load redis_tls_key_file";
	if (failed == NULL) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		return ctx;
	}
	if ((e = ERR_get_error()) != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(why, len, "TLS: %s%s%s", failed, e ? ": " : "", reason);
	SSL_CTX_free(ctx);
	return NULL;
}

static bool
is_address(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 ||
	       inet_pton(AF_INET6, s, tmp) == 1;
}

/* SNI when the expected name is a name (RFC 6066 s3); the certificate
 * must carry that name or address (RFC 6125). */
static SSL *
ssl_new(struct redis_link *l, char *why, size_t len)
{
	const char *name = l->cfg.server_name   ? l->cfg.server_name
	                   : l->cfg.socket_path ? NULL
	                                        : l->cfg.host;
	SSL *ssl;
	int ok = 1;

	if (l->ctx == NULL && (l->ctx = ctx_new(&l->cfg, why, len)) == NULL)
		return NULL;
	if ((ssl = SSL_new(l->ctx)) == NULL) {
		snprintf(why, len, "TLS: cannot create a session");
		return NULL;
	}
	if (name != NULL && is_address(name)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	} else if (name != NULL) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		ok = SSL_set_tlsext_host_name(ssl, name) == 1 &&
		     SSL_set1_host(ssl, name) == 1;
	}
	if (ok != 1) {
		snprintf(why, len, "TLS: cannot set the name to verify");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* The server's address; -1 when redis_server is not numeric. */
static int
link_address(const struct redis_link *l, struct sockaddr_storage *ss,
             socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (l->cfg.socket_path) {
		if (strlen(l->cfg.socket_path) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, l->cfg.socket_path,
		       strlen(l->cfg.socket_path) + 1);
		*sslen = sizeof(*sun);
	} else if (inet_pton(AF_INET, l->cfg.host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)l->cfg.port);
		*sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, l->cfg.host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)l->cfg.port);
		*sslen = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

static void
link_connect(struct redis_link *l)
{
	struct timeval tv = {l->cfg.connect_timeout_ms / 1000,
	                     (suseconds_t)(l->cfg.connect_timeout_ms % 1000) *
	                             1000};
	struct sockaddr_storage ss;
	socklen_t sslen;
	char why[512];
	SSL *ssl;

	if (link_address(l, &ss, &sslen) < 0) {
		link_down(l, l->cfg.socket_path ? "redis_socket is too long"
		                                : "redis_server is not a "
		                                  "numeric address");
		return;
	}
	if (l->cfg.tls) {
		if ((ssl = ssl_new(l, why, sizeof(why))) == NULL) {
			link_down(l, why);
			return;
		}
		l->bev = bufferevent_openssl_socket_new(
		        l->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
		        BEV_OPT_CLOSE_ON_FREE);
	} else {
		l->bev = bufferevent_socket_new(l->base, -1,
		                                BEV_OPT_CLOSE_ON_FREE);
	}
	if (l->bev == NULL)
		abort();
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	bufferevent_set_timeouts(l->bev, &tv, &tv);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	errno = 0;
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&ss,
	                               (int)sslen) < 0) {
		snprintf(why, sizeof(why), "%s",
		         errno ? strerror(errno) : "cannot connect");
		link_down(l, why);
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect(arg);
}

struct redis_link *
redis_link_new(struct event_base *base, const struct redis_link_config *cfg,
               redis_status_fn status_fn, void *arg)
{
	struct redis_link *l = calloc(1, sizeof(*l));
	char why[512];

	if (l == NULL)
		abort();
	l->base = base;
	l->cfg = *cfg;
	l->cfg.host = dup_or_null(cfg->host);
	l->cfg.socket_path = dup_or_null(cfg->socket_path);
	l->cfg.username = dup_or_null(cfg->username);
	l->cfg.password = dup_or_null(cfg->password);
	l->cfg.ca_file = dup_or_null(cfg->ca_file);
	l->cfg.cert_file = dup_or_null(cfg->cert_file);
	l->cfg.key_file = dup_or_null(cfg->key_file);
	l->cfg.server_name = dup_or_null(cfg->server_name);
	l->status_fn = status_fn;
	l->status_arg = arg;
	TAILQ_INIT(&l->waiting);
	reader_reset(l);
	l->retry = evtimer_new(base, retry_cb, l);
	/* Once; a context that failed (a file missing) is made again at
	 * each connect, so fixing the file needs no restart. */
	if (cfg->tls)
		l->ctx = ctx_new(&l->cfg, why, sizeof(why));
	link_connect(l);
	return l;
}

bool
redis_link_up(const struct redis_link *l)
{
	return l->up;
}

int
redis_link_send(struct redis_link *l, const char *cmd, size_t len,
                redis_reply_fn fn, void *arg)
{
	if (!l->up)
		return -1;
	return link_queue(l, cmd, len, fn, arg);
}

int
redis_link_send_argv(struct redis_link *l, int argc, const char **argv,
                     const size_t *lens, redis_reply_fn fn, void *arg)
{
	if (!l->up)
		return -1;
	return link_queue_argv(l, argc, argv, lens, fn, arg);
}

void
redis_link_free(struct redis_link *l)
{
	if (l == NULL)
		return;
	event_free(l->retry);
	if (l->bev)
		bufferevent_free(l->bev);
	l->up = false;
	fail_waiting(l);
	redisReaderFree(l->reader);
	SSL_CTX_free(l->ctx);
	free((char *)l->cfg.host);
	free((char *)l->cfg.socket_path);
	free((char *)l->cfg.username);
	free((char *)l->cfg.password);
	free((char *)l->cfg.ca_file);
	free((char *)l->cfg.cert_file);
	free((char *)l->cfg.key_file);
	free((char *)l->cfg.server_name);
	free(l);
}
