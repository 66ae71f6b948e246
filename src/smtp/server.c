/*
 * server.c — listeners and the set of live sessions.
 */
#include "metrics/metrics.h"
#include "smtp/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "base/log.h"
#include "base/net.h"
#include "config/config.h"
#include "smtp/session.h"
#include "smtp/session_int.h"

/* What accept_cb needs to know about the listener it serves. */
struct listener_ctx {
	struct smtp_server *srv;
	enum listener_role role;
};

struct smtp_server {
	struct event_base *base;
	const struct config *cfg;
	struct spool *spool;
	struct tls_server *tls;
	struct auth_service *auth;
	struct policy *policy;
	struct evconnlistener **listeners;
	struct listener_ctx *listener_ctx;
	size_t nlisteners;
	TAILQ_HEAD(, session) sessions;
	size_t nsessions;
	TAILQ_HEAD(, session) flushes; /* replies to write in this pass */
	struct event *flush_ev;
	unsigned long next_serial;
	bool stopping;
	void (*stopped)(void *);
	void *stopped_arg;
};

struct event_base *
smtp_server_base(struct smtp_server *srv)
{
	return srv->base;
}

const struct config *
smtp_server_config(struct smtp_server *srv)
{
	return srv->cfg;
}

struct spool *
smtp_server_spool(struct smtp_server *srv)
{
	return srv->spool;
}

void
smtp_server_set_config(struct smtp_server *srv, const struct config *cfg)
{
	const struct config *old = srv->cfg;

	srv->cfg = config_ref(cfg);
	config_release(old);
}

void
smtp_server_set_spool(struct smtp_server *srv, struct spool *sp)
{
	srv->spool = sp;
}

void
smtp_server_set_tls(struct smtp_server *srv, struct tls_server *tls)
{
	srv->tls = tls;
}

void
smtp_server_set_auth(struct smtp_server *srv, struct auth_service *auth)
{
	srv->auth = auth;
}

void
smtp_server_set_policy(struct smtp_server *srv, struct policy *p)
{
	srv->policy = p;
}

struct policy *
smtp_server_policy(struct smtp_server *srv)
{
	return srv->policy;
}

/* Sessions from the client's network (its /64 for IPv6), its own included. */
unsigned
smtp_server_client_count(struct smtp_server *srv, const char *ip)
{
	char want[64], have[64];
	struct session *s;
	unsigned n = 0;

	net_key(ip, 32, 64, want, sizeof(want));
	TAILQ_FOREACH(s, &srv->sessions, entry) {
		net_key(s->client_ip, 32, 64, have, sizeof(have));
		if (strcmp(want, have) == 0)
			n++;
	}
	return n;
}

struct tls_server *
smtp_server_tls(struct smtp_server *srv)
{
	return srv->tls;
}

struct auth_service *
smtp_server_auth(struct smtp_server *srv)
{
	return srv->auth;
}

const char *
smtp_server_hostname(const struct smtp_server *srv)
{
	return srv->cfg->hostname;
}

/*
 * Session ids are unique across restarts, so a log that spans several runs
 * never mixes two sessions: the start time in the high bits, a random
 * offset below (two starts in one second), then one more per connection.
 */
static unsigned long
first_serial(void)
{
	return ((unsigned long)time(NULL) << 24) | (arc4random() & 0xfff000);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_server *srv = arg;
	struct session *s;

	while ((s = TAILQ_FIRST(&srv->flushes)) != NULL) {
		TAILQ_REMOVE(&srv->flushes, s, flush_entry);
		s->flush_queued = false;
		/* What is logged about a reply is written before it. */
		log_flush();
		session_flush(s);
	}
}

void
smtp_server_flush_later(struct smtp_server *srv, struct session *s)
{
	if (s->flush_queued)
		return;
	s->flush_queued = true;
	TAILQ_INSERT_TAIL(&srv->flushes, s, flush_entry);
	event_active(srv->flush_ev, EV_WRITE, 0);
}

struct smtp_server *
smtp_server_new(struct event_base *base, const struct config *cfg,
                struct spool *sp)
{
	struct smtp_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->flush_ev = event_new(base, -1, 0, flush_cb, srv);
	if (srv->flush_ev == NULL) {
		free(srv);
		return NULL;
	}
	TAILQ_INIT(&srv->flushes);
	srv->base = base;
	srv->cfg = config_ref(cfg);
	srv->spool = sp;
	TAILQ_INIT(&srv->sessions);
	srv->next_serial = first_serial();
	return srv;
}

/* Replies and TLS records are small and sent when complete: do not let
 * Nagle hold them for the peer's delayed ACK.  Set on the listening
 * socket, every accepted connection inherits it. */
static void
set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
	struct listener_ctx *lc = arg;
	struct smtp_server *srv = lc->srv;

	/* The listener made fd non-blocking and it inherited TCP_NODELAY
	 * (set_nodelay): two system calls fewer per connection. */
	if (lc->role == LISTENER_SUBMISSIONS && srv->tls == NULL) {
		evutil_closesocket(fd);
		return;
	}
	smtp_server_adopt(srv, fd, sa, lc->role);
}

void
smtp_server_adopt(struct smtp_server *srv, int fd, const struct sockaddr *sa,
                  enum listener_role role)
{
	struct session *s;

	s = session_new(srv, fd, sa, role, srv->next_serial++);
	if (s == NULL)
		return;
	metrics_count(M_CONNECTIONS);
	metrics_session(role);
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	if (srv->nsessions > (size_t)srv->cfg->max_connections)
		session_refuse(s);
	else
		session_admit(s);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();

	/* EMFILE and friends: keep serving the sessions we have. */
	log_event(LOG_LVL_WARN, "accept-error", "error",
	          evutil_socket_error_to_string(err), NULL);
}

static int
parse_listen(const struct config_listener *cl, struct sockaddr_storage *ss,
             int *len_r)
{
	char spec[128];
	int len = sizeof(*ss);

	if (strchr(cl->address, ':'))
		snprintf(spec, sizeof(spec), "[%s]:%d", cl->address, cl->port);
	else
		snprintf(spec, sizeof(spec), "%s:%d", cl->address, cl->port);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, &len) < 0)
		return -1;
	*len_r = len;
	return 0;
}

int
smtp_server_bind(struct smtp_server *srv)
{
	size_t i;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	srv->listeners = calloc(srv->cfg->nlisteners, sizeof(*srv->listeners));
	srv->listener_ctx =
	        calloc(srv->cfg->nlisteners, sizeof(*srv->listener_ctx));
	if (srv->listeners == NULL || srv->listener_ctx == NULL)
		return -1;
	for (i = 0; i < srv->cfg->nlisteners; i++) {
		const struct config_listener *cl = &srv->cfg->listeners[i];
		struct sockaddr_storage ss;
		char port[16];
		int len;

		snprintf(port, sizeof(port), "%d", cl->port);
		if (parse_listen(cl, &ss, &len) < 0) {
			log_event(LOG_LVL_ERROR, "listen", "address",
			          cl->address, "error", "bad address", NULL);
			return -1;
		}
		srv->listener_ctx[i].srv = srv;
		srv->listener_ctx[i].role = cl->role;
		srv->listeners[i] = evconnlistener_new_bind(
		        srv->base, accept_cb, &srv->listener_ctx[i],
		        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		                LEV_OPT_DISABLED,
		        511, (struct sockaddr *)&ss, len);
		if (srv->listeners[i] == NULL) {
			log_event(LOG_LVL_ERROR, "listen", "address",
			          cl->address, "port", port, "error",
			          strerror(errno), NULL);
			return -1;
		}
		srv->nlisteners++;
		set_nodelay(evconnlistener_get_fd(srv->listeners[i]));
		evconnlistener_set_error_cb(srv->listeners[i], accept_error_cb);
		log_event(LOG_LVL_INFO, "listen", "address", cl->address,
		          "port", port, NULL);
	}
	return 0;
}

void
smtp_server_start(struct smtp_server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_enable(srv->listeners[i]);
}

static void
close_listeners(struct smtp_server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	srv->nlisteners = 0;
}

void
smtp_server_session_gone(struct smtp_server *srv, struct session *s)
{
	TAILQ_REMOVE(&srv->sessions, s, entry);
	if (s->flush_queued)
		TAILQ_REMOVE(&srv->flushes, s, flush_entry);
	srv->nsessions--;
	if (srv->stopping && srv->nsessions == 0 && srv->stopped) {
		void (*cb)(void *) = srv->stopped;

		srv->stopped = NULL;
		cb(srv->stopped_arg);
	}
}

void
smtp_server_shutdown(struct smtp_server *srv, void (*done)(void *), void *arg)
{
	struct session *s, *next;

	srv->stopping = true;
	srv->stopped = done;
	srv->stopped_arg = arg;
	close_listeners(srv);
	/* Sessions are freed from the loop later, never inside this walk. */
	for (s = TAILQ_FIRST(&srv->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		session_shutdown(s);
	}
	if (srv->nsessions == 0 && srv->stopped) {
		srv->stopped = NULL;
		done(arg);
	}
}

bool
smtp_server_idle(const struct smtp_server *srv)
{
	return srv->nsessions == 0;
}

void
smtp_server_free(struct smtp_server *srv)
{
	close_listeners(srv);
	event_free(srv->flush_ev);
	free(srv->listeners);
	free(srv->listener_ctx);
	config_release(srv->cfg);
	free(srv);
}
