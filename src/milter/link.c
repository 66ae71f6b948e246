/*
 * link.c — the session's conversations with its milters (milter.h): each
 * one is opened at connect and walks the stages with the client; a stage
 * asks the milters one after the other, and the first that refuses
 * decides.
 */
#include "base/mem.h"
#include "milter/link.h"

#include <arpa/inet.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/str.h"
#include "milter/codec.h"
#include "milter/milter.h"

char **
milter_split_list(const char *list, size_t *n)
{
	char **v = NULL, *copy = str_dup(list), *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		char **grown = xreallocarray(v, *n + 1, sizeof(*v));

		v = grown;
		v[(*n)++] = str_dup(tok);
	}
	free(copy);
	return v;
}

/* "unix:/path", "local:/path", "inet:ADDR:PORT", "inet:PORT@ADDR",
 * "inet6:..." the same. */
int
milter_spec_sockaddr(const char *spec, struct sockaddr_storage *ss,
                     socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[128];
	const char *p, *colon, *at;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		p = strchr(spec, ':') + 1;
		if (p[0] != '/' || strlen(p) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, p, strlen(p) + 1);
		*len = sizeof(*sun);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		p = spec + 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		p = spec + 6;
	else
		return -1;
	if ((at = strchr(p, '@')) != NULL) {
		port = strtol(p, NULL, 10);
		snprintf(host, sizeof(host), "%s", at + 1);
	} else if ((colon = strrchr(p, ':')) != NULL &&
	           (size_t)(colon - p) < sizeof(host)) {
		memcpy(host, p, (size_t)(colon - p));
		host[colon - p] = '\0';
		port = strtol(colon + 1, NULL, 10);
	} else {
		return -1;
	}
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (port <= 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

void
milter_send_macros(struct evbuffer *out, char stage, const char *const *kv)
{
	size_t len = 1;
	char cmd = SMFIC_MACRO;
	uint32_t n;
	size_t i;

	for (i = 0; kv[i] != NULL; i += 2)
		if (kv[i + 1] != NULL)
			len += strlen(kv[i]) + strlen(kv[i + 1]) + 2;
	n = htonl((uint32_t)len + 1);
	evbuffer_add(out, &n, sizeof(n));
	evbuffer_add(out, &cmd, 1);
	evbuffer_add(out, &stage, 1);
	for (i = 0; kv[i] != NULL; i += 2) {
		if (kv[i + 1] == NULL)
			continue;
		evbuffer_add(out, kv[i], strlen(kv[i]) + 1);
		evbuffer_add(out, kv[i + 1], strlen(kv[i + 1]) + 1);
	}
}

struct milter_links {
	struct event_base *base;
	struct milter_request req; /* the connection's facts */
	char *milters;
	struct milter_link *v;
	size_t n;

	/* The stage being asked. */
	enum milter_stage stage;
	struct milter_request q;
	const char *rcpt;
	size_t cur;
	bool running;
	milter_stage_cb cb;
	void *cbarg;
	struct event *timer, *done_ev;
	struct milter_stage_result res;
	char reply[512];
};

static void run(struct milter_links *ls);

static void
arm_timer(struct milter_links *ls)
{
	struct timeval tv = {ls->req.timeout > 0 ? ls->req.timeout : 10, 0};

	evtimer_add(ls->timer, &tv);
}

static void
report(struct milter_links *ls, enum milter_verdict v, const char *reply,
       const char *who)
{
	evtimer_del(ls->timer);
	ls->running = false;
	ls->res.verdict = v;
	ls->res.reply = NULL;
	ls->res.who = who;
	if (reply != NULL) {
		snprintf(ls->reply, sizeof(ls->reply), "%s", reply);
		ls->res.reply = ls->reply;
	}
	event_active(ls->done_ev, EV_TIMEOUT, 0);
}

static void
close_link(struct milter_link *l)
{
	if (l->bev != NULL) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
}

/* The milter failed: closed for the session, the default action from
 * now on (see milter.h); the stage goes on with the next milter. */
static void
link_failed(struct milter_link *l, const char *why)
{
	struct milter_links *ls = l->ls;

	snprintf(l->why, sizeof(l->why), "%s", why);
	log_event(LOG_LVL_WARN, "milter", "milter", l->spec, "client",
	          ls->req.client_addr, "error", why, "action",
	          ls->req.default_action == MILTER_DEFAULT_ACCEPT ? "accept"
	                                                          : "tempfail",
	          NULL);
	close_link(l);
	l->st = LINK_DEAD;
	if (ls->running && &ls->v[ls->cur] == l) {
		evtimer_del(ls->timer);
		ls->cur++;
		run(ls);
	}
}

static bool
skipped(const struct milter_link *l, uint32_t flag)
{
	return (l->steps & flag) != 0;
}

static void
send_connect(struct milter_links *ls, struct evbuffer *out)
{
	const struct milter_request *q = &ls->req;
	char port[16], underscore[300];
	const char *kv[] = {"j",
	                    q->hostname,
	                    "_",
	                    underscore,
	                    "{daemon_name}",
	                    q->daemon_name,
	                    "{client_addr}",
	                    q->client_addr,
	                    "{client_name}",
	                    q->client_name,
	                    "{client_port}",
	                    port,
	                    NULL};

	snprintf(port, sizeof(port), "%d", q->client_port);
	snprintf(underscore, sizeof(underscore), "%s [%s]", q->client_name,
	         q->client_addr);
	milter_send_macros(out, SMFIC_CONNECT, kv);
	milter_pkt_connect(out, q->client_name, q->client_addr, q->client_port);
}

static void
send_mail(struct milter_links *ls, struct evbuffer *out)
{
	const struct milter_request *q = &ls->q;
	char from[1100];
	const char *kv[] = {"{mail_addr}", q->sender,     "{auth_authen}",
	                    q->auth_user,  "{auth_type}", q->auth_mech,
	                    NULL};

	milter_send_macros(out, SMFIC_MAIL, kv);
	snprintf(from, sizeof(from), "<%s>", q->sender);
	milter_pkt_strings(out, SMFIC_MAIL, from, NULL);
}

static void
send_rcpt(struct milter_links *ls, struct evbuffer *out)
{
	const char *rcpt = ls->rcpt;
	const char *kv[] = {"{rcpt_addr}", rcpt, NULL};
	char to[1100];

	milter_send_macros(out, SMFIC_RCPT, kv);
	snprintf(to, sizeof(to), "<%s>", rcpt);
	milter_pkt_strings(out, SMFIC_RCPT, to, NULL);
}

/* Sends the stage to l; true when its reply is awaited. */
static bool
send_stage(struct milter_links *ls, struct milter_link *l)
{
	struct evbuffer *out = bufferevent_get_output(l->bev);
	const char *h_kv[] = {"{tls_version}", ls->q.tls_version, "{cipher}",
	                      ls->q.cipher, NULL};

	switch (ls->stage) {
	case MILTER_STAGE_CONNECT:
		if (skipped(l, SMFIP_NOCONNECT))
			return false;
		send_connect(ls, out);
		return !skipped(l, SMFIP_NR_CONN);
	case MILTER_STAGE_HELO:
		if (skipped(l, SMFIP_NOHELO))
			return false;
		milter_send_macros(out, SMFIC_HELO, h_kv);
		milter_pkt_strings(out, SMFIC_HELO, ls->q.helo, NULL);
		return !skipped(l, SMFIP_NR_HELO);
	case MILTER_STAGE_MAIL:
		l->in_message = true;
		if (skipped(l, SMFIP_NOMAIL))
			return false;
		send_mail(ls, out);
		return !skipped(l, SMFIP_NR_MAIL);
	case MILTER_STAGE_RCPT:
		if (skipped(l, SMFIP_NORCPT))
			return false;
		send_rcpt(ls, out);
		return !skipped(l, SMFIP_NR_RCPT);
	}
	return false;
}

static void readcb(struct bufferevent *bev, void *arg);
static void eventcb(struct bufferevent *bev, short what, void *arg);

static void
link_connect(struct milter_link *l)
{
	struct milter_links *ls = l->ls;
	struct sockaddr_storage ss;
	socklen_t len;

	l->st = LINK_CONNECTING;
	if (milter_spec_sockaddr(l->spec, &ss, &len) < 0) {
		link_failed(l, "bad milter address");
		return;
	}
	l->bev = bufferevent_socket_new(ls->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL)
		abort();
	bufferevent_setcb(l->bev, readcb, NULL, eventcb, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	arm_timer(ls);
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&ss,
	                               (int)len) < 0)
		link_failed(l, "connect failed");
}

/* Asks the milters from ls->cur on; reports once one refuses or all
 * have been asked. */
static void
run(struct milter_links *ls)
{
	while (ls->cur < ls->n) {
		struct milter_link *l = &ls->v[ls->cur];

		if (l->st == LINK_DEAD || l->quiet_session ||
		    l->quiet_message) {
			ls->cur++;
			continue;
		}
		if (l->st == LINK_NEW) {
			link_connect(l); /* run() again after the negotiation */
			return;
		}
		if (send_stage(ls, l)) {
			arm_timer(ls);
			return;
		}
		ls->cur++;
	}
	report(ls, MILTER_ACCEPT, NULL, NULL);
}

static void
on_optneg(struct milter_link *l, const struct milter_reply *r)
{
	struct milter_optneg o;

	if (milter_parse_optneg(r, &o) < 0 || o.version < 2) {
		link_failed(l, "protocol error: bad option negotiation");
		return;
	}
	l->steps = o.steps & MILTER_STEPS;
	l->st = LINK_UP;
	run(l->ls);
}

/* The milter's answer to the stage. */
static void
on_stage_reply(struct milter_link *l, const struct milter_reply *r)
{
	struct milter_links *ls = l->ls;
	const char *text = NULL;
	int code;

	switch (r->cmd) {
	case SMFIR_PROGRESS:
		arm_timer(ls);
		return;
	case SMFIR_ACCEPT:
		if (ls->stage <= MILTER_STAGE_HELO)
			l->quiet_session = true;
		else
			l->quiet_message = true;
		/* fall through */
	case SMFIR_CONTINUE:
		evtimer_del(ls->timer);
		ls->cur++;
		run(ls);
		return;
	case SMFIR_DISCARD:
		l->discard = true; /* decided at the final dot */
		l->quiet_message = true;
		evtimer_del(ls->timer);
		ls->cur++;
		run(ls);
		return;
	case SMFIR_REJECT:
		report(ls, MILTER_REJECT, NULL, l->spec);
		return;
	case SMFIR_TEMPFAIL:
		report(ls, MILTER_TEMPFAIL, NULL, l->spec);
		return;
	case SMFIR_REPLYCODE:
		if (milter_parse_string(r, &text) < 0 ||
		    milter_parse_replycode(text, &code) < 0) {
			link_failed(l, "protocol error: bad reply code");
			return;
		}
		report(ls, code / 100 == 5 ? MILTER_REJECT : MILTER_TEMPFAIL,
		       text, l->spec);
		return;
	default:
		link_failed(l, "protocol error: unexpected reply");
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct milter_link *l = arg;

	while (l->bev == bev) {
		struct evbuffer *in = bufferevent_get_input(bev);
		struct milter_reply r;
		char why[160];

		switch (milter_reply_next(in, &r, why, sizeof(why))) {
		case MILTER_PARSE_MORE:
			return;
		case MILTER_PARSE_ERROR:
			link_failed(l, why);
			return;
		case MILTER_PARSE_OK:
			break;
		}
		if (l->st == LINK_OPTNEG)
			on_optneg(l, &r);
		else if (l->ls->running && &l->ls->v[l->ls->cur] == l)
			on_stage_reply(l, &r);
		else
			link_failed(l, "protocol error: reply not asked for");
		/* The reply may have closed the link (and its input). */
		if (l->bev == bev)
			evbuffer_drain(in, r.consumed);
	}
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct milter_link *l = arg;

	if (what & BEV_EVENT_CONNECTED) {
		l->st = LINK_OPTNEG;
		milter_pkt_optneg(bufferevent_get_output(bev));
		arm_timer(l->ls);
		return;
	}
	link_failed(l, l->st == LINK_CONNECTING ? "connect failed"
	                                        : "connection lost");
}

static void
timeoutcb(evutil_socket_t fd, short what, void *arg)
{
	struct milter_links *ls = arg;

	if (ls->running && ls->cur < ls->n)
		link_failed(&ls->v[ls->cur], "timeout");
}

static void
donecb(evutil_socket_t fd, short what, void *arg)
{
	struct milter_links *ls = arg;

	ls->cb(ls->cbarg, &ls->res);
}

struct milter_links *
milter_links_open(struct event_base *base, const struct milter_request *req)
{
	struct milter_links *ls = calloc(1, sizeof(*ls));
	char **specs;
	size_t i;

	if (ls == NULL)
		abort();
	ls->base = base;
	ls->req = *req;
	ls->milters = str_dup(req->milters);
	ls->req.milters = ls->milters;
	specs = milter_split_list(ls->milters, &ls->n);
	if ((ls->v = calloc(ls->n + 1, sizeof(*ls->v))) == NULL)
		abort();
	for (i = 0; i < ls->n; i++) {
		ls->v[i].ls = ls;
		ls->v[i].spec = specs[i];
	}
	free(specs);
	ls->timer = evtimer_new(base, timeoutcb, ls);
	ls->done_ev = event_new(base, -1, 0, donecb, ls);
	if (ls->timer == NULL || ls->done_ev == NULL)
		abort();
	return ls;
}

void
milter_links_stage(struct milter_links *ls, enum milter_stage stage,
                   const struct milter_request *req, milter_stage_cb cb,
                   void *arg)
{
	ls->stage = stage;
	ls->q = *req;
	ls->rcpt = stage == MILTER_STAGE_RCPT ? req->rcpts[0] : NULL;
	ls->cb = cb;
	ls->cbarg = arg;
	ls->cur = 0;
	ls->running = true;
	run(ls);
}

void
milter_links_abort(struct milter_links *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		struct milter_link *l = &ls->v[i];

		if (l->st == LINK_UP && l->in_message && !l->borrowed)
			milter_pkt(bufferevent_get_output(l->bev), SMFIC_ABORT,
			           NULL, 0);
		l->in_message = false;
		l->quiet_message = false;
		l->discard = false;
	}
}

void
milter_links_free(struct milter_links *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		close_link(&ls->v[i]);
		free(ls->v[i].spec);
	}
	free(ls->v);
	event_free(ls->timer);
	event_free(ls->done_ev);
	free(ls->milters);
	free(ls);
}

struct milter_link *
milter_links_at(struct milter_links *ls, size_t i)
{
	return &ls->v[i];
}

size_t
milter_links_count(const struct milter_links *ls)
{
	return ls->n;
}

void
milter_link_return(struct milter_link *l, bool alive)
{
	l->borrowed = false;
	if (!alive) {
		close_link(l);
		l->st = LINK_DEAD;
		snprintf(l->why, sizeof(l->why), "%s",
		         "broken at the final dot");
		return;
	}
	bufferevent_setcb(l->bev, readcb, NULL, eventcb, l);
}
