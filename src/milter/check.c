/*
 * check.c — one message through the listener's milters at its final dot,
 * one after the other, on the event loop (see milter.h), over the
 * session's conversations (link.c).  Each walks the content stages in
 * order; send_stage() sends what the current stage needs and says
 * whether a reply is awaited; on_reply() acts on it.
 */
#include "base/mem.h"
#include "milter/milter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/str.h"
#include "milter/codec.h"
#include "milter/link.h"
#include "milter/message.h"

/* The session's conversations have seen connect, HELO, MAIL and RCPT
 * already: the check starts at DATA. */
enum stage {
	ST_DATA,
	ST_HEADER,
	ST_EOH,
	ST_BODY,
	ST_EOB,
	ST_END,
};

struct milter_check {
	struct event_base *base;
	struct milter_request req; /* strings point into copies below */
	char *milters, *data;
	char **rcpts;
	milter_done_cb cb;
	void *cbarg;

	char **specs;
	size_t nspecs, cur;
	struct bufferevent *bev;
	struct milter_link *link; /* the session's, while it talks over it */
	struct bufferevent *given_back; /* the link's, handed back alive */
	struct event *timer, *done_ev;
	enum stage st;
	size_t idx; /* recipient, header field or body offset */
	uint32_t steps;

	struct milter_message msg;
	bool *removed;
	char **added;
	size_t nadded;

	char *sender;     /* SMFIR_CHGFROM, the last one */
	char *quarantine; /* SMFIR_QUARANTINE reason, the first one */
	const char *quarantined_by;

	struct milter_result res;
	char reply[512], why[160];
	struct evbuffer *out;
};

static void next_milter(struct milter_check *mc);
static void readcb(struct bufferevent *bev, void *arg);
static void eventcb(struct bufferevent *bev, short what, void *arg);
static void advance(struct milter_check *mc);

bool
milter_spec_valid(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return milter_spec_sockaddr(spec, &ss, &len) == 0;
}

static void
arm_timer(struct milter_check *mc)
{
	struct timeval tv = {mc->req.timeout > 0 ? mc->req.timeout : 10, 0};

	evtimer_add(mc->timer, &tv);
}

/* Hands the session's conversation back; alive: it can go on with the
 * next message. */
static void
close_conn(struct milter_check *mc, bool alive)
{
	if (mc->link != NULL) {
		if (alive && mc->st == ST_EOB)
			mc->link->in_message = false;
		milter_link_return(mc->link, alive);
		mc->given_back = alive ? mc->bev : NULL;
		mc->link = NULL;
		mc->bev = NULL;
	}
	evtimer_del(mc->timer);
}

/* Every milter has had its say (or one decided): report, later. */
static void
finish(struct milter_check *mc)
{
	close_conn(mc, true);
	mc->st = ST_END;
	event_active(mc->done_ev, EV_TIMEOUT, 0);
}

static void
decide(struct milter_check *mc, enum milter_verdict v, const char *reply)
{
	mc->res.verdict = v;
	if (reply != NULL) {
		snprintf(mc->reply, sizeof(mc->reply), "%s", reply);
		mc->res.reply = mc->reply;
	}
	mc->res.who = mc->specs[mc->cur];
	if (v != MILTER_ACCEPT) {
		finish(mc);
		return;
	}
}

/* The milter failed us: the default action. */
static void
failed(struct milter_check *mc, const char *why)
{
	snprintf(mc->why, sizeof(mc->why), "%s", why);
	log_event(LOG_LVL_WARN, "milter", "milter", mc->specs[mc->cur], "id",
	          mc->req.queue_id, "error", why, "action",
	          mc->req.default_action == MILTER_DEFAULT_ACCEPT ? "accept"
	                                                          : "tempfail",
	          NULL);
	close_conn(mc, false);
	if (mc->req.default_action == MILTER_DEFAULT_ACCEPT) {
		mc->cur++;
		next_milter(mc);
		return;
	}
	mc->res.why = mc->why;
	decide(mc, MILTER_TEMPFAIL, NULL);
}

static bool
skipped(const struct milter_check *mc, uint32_t flag)
{
	return (mc->steps & flag) != 0;
}

static void
send_header(struct milter_check *mc)
{
	const struct milter_header *h = &mc->msg.h[mc->idx];
	char *value = milter_header_value(h);

	milter_pkt_strings(mc->out, SMFIC_HEADER, h->name, value, NULL);
	free(value);
}

static void
send_body(struct milter_check *mc)
{
	size_t n = mc->msg.bodylen - mc->idx;

	if (n > MILTER_CHUNK_MAX)
		n = MILTER_CHUNK_MAX;
	milter_pkt(mc->out, SMFIC_BODY, mc->msg.body + mc->idx, n);
}

/* Sends the current stage; true when its reply is awaited.  A stage the
 * milter asked to leave out sends nothing and awaits nothing. */
static bool
send_stage(struct milter_check *mc)
{
	const struct milter_request *q = &mc->req;
	const char *i_kv[] = {"i", q->queue_id, NULL};

	switch (mc->st) {
	case ST_DATA:
		if (skipped(mc, SMFIP_NODATA))
			return false;
		milter_send_macros(mc->out, SMFIC_DATA, i_kv);
		milter_pkt(mc->out, SMFIC_DATA, NULL, 0);
		return !skipped(mc, SMFIP_NR_DATA);
	case ST_HEADER:
		if (skipped(mc, SMFIP_NOHDRS))
			return false;
		send_header(mc);
		return !skipped(mc, SMFIP_NR_HDR);
	case ST_EOH:
		if (skipped(mc, SMFIP_NOEOH))
			return false;
		milter_send_macros(mc->out, SMFIC_EOH, i_kv);
		milter_pkt(mc->out, SMFIC_EOH, NULL, 0);
		return !skipped(mc, SMFIP_NR_EOH);
	case ST_BODY:
		if (skipped(mc, SMFIP_NOBODY))
			return false;
		send_body(mc);
		return !skipped(mc, SMFIP_NR_BODY);
	case ST_EOB:
		milter_send_macros(mc->out, SMFIC_BODYEOB, i_kv);
		milter_pkt(mc->out, SMFIC_BODYEOB, NULL, 0);
		return true;
	default:
		return false;
	}
}

/* The stage after the current one. */
static void
step(struct milter_check *mc)
{
	switch (mc->st) {
	case ST_HEADER:
		if (++mc->idx < mc->msg.nh)
			return;
		mc->st = ST_EOH;
		return;
	case ST_BODY:
		mc->idx += MILTER_CHUNK_MAX;
		if (mc->idx < mc->msg.bodylen)
			return;
		mc->st = ST_EOB;
		return;
	default:
		break;
	}
	mc->st++;
	mc->idx = 0;
	if ((mc->st == ST_HEADER && mc->msg.nh == 0) ||
	    (mc->st == ST_BODY && mc->msg.bodylen == 0))
		step(mc);
}

static void
advance(struct milter_check *mc)
{
	do
		step(mc);
	while (mc->st < ST_END && !send_stage(mc));
	arm_timer(mc);
}

/* This milter is through with the message: on to the next one. */
static void
milter_done(struct milter_check *mc)
{
	close_conn(mc, true);
	mc->cur++;
	next_milter(mc);
}

static void
add_rcpt(struct milter_check *mc, const char *rcpt)
{
	char *a = str_dup(rcpt[0] == '<' ? rcpt + 1 : rcpt);

	char **grown = xreallocarray(mc->added, mc->nadded + 1, sizeof(char *));

	a[strcspn(a, ">")] = '\0';
	mc->added = grown;
	mc->added[mc->nadded++] = a;
}

static void
del_rcpt(struct milter_check *mc, const char *rcpt)
{
	size_t n = strlen(rcpt);

	if (rcpt[0] == '<' && n >= 2) {
		rcpt++;
		n -= 2;
	}
	for (size_t i = 0; i < mc->req.nrcpts; i++)
		if (strlen(mc->req.rcpts[i]) == n &&
		    strncasecmp(mc->req.rcpts[i], rcpt, n) == 0)
			mc->removed[i] = true;
}

/* "<a@b.example>" or "a@b.example" as a bare address; "" for <>. */
static char *
bare_address(const char *s)
{
	char *a = str_dup(s[0] == '<' ? s + 1 : s);

	a[strcspn(a, ">")] = '\0';
	return a;
}

/* SMFIR_CHGFROM: the address, then ESMTP arguments ferry leaves as they
 * are; SMFIR_QUARANTINE: the reason. */
static int
sender_or_quarantine(struct milter_check *mc, const struct milter_reply *r)
{
	const char *s;

	if (milter_parse_string(r, &s) < 0)
		return -1;
	if (r->cmd == SMFIR_CHGFROM) {
		free(mc->sender);
		mc->sender = bare_address(s);
	} else if (mc->quarantine == NULL) {
		mc->quarantine = str_dup(s[0] ? s : "quarantined by a milter");
		mc->quarantined_by = mc->specs[mc->cur];
	}
	return 0;
}

/* A modification at end of message; -1 when it is malformed. */
static int
modify(struct milter_check *mc, const struct milter_reply *r)
{
	const char *name, *value, *s;
	uint32_t index = 0;

	switch (r->cmd) {
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (milter_parse_header(r, r->cmd != SMFIR_ADDHEADER, &index,
		                        &name, &value) < 0)
			return -1;
		if (r->cmd == SMFIR_ADDHEADER)
			milter_message_add(&mc->msg, name, value);
		else if (r->cmd == SMFIR_INSHEADER)
			milter_message_insert(&mc->msg, index, name, value);
		else
			milter_message_change(&mc->msg, index, name, value);
		return 0;
	case SMFIR_ADDRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_DELRCPT:
		if (milter_parse_string(r, &s) < 0 || s[0] == '\0')
			return -1;
		if (r->cmd == SMFIR_DELRCPT)
			del_rcpt(mc, s);
		else
			add_rcpt(mc, s);
		return 0;
	case SMFIR_REPLBODY:
		milter_message_body_chunk(&mc->msg, r->data, r->len);
		return 0;
	case SMFIR_CHGFROM:
	case SMFIR_QUARANTINE:
		return sender_or_quarantine(mc, r);
	default:
		return -1;
	}
}

/* reject, tempfail, discard or a reply code: true when r was one. */
static bool
verdict(struct milter_check *mc, const struct milter_reply *r)
{
	const char *text;
	int code;

	switch (r->cmd) {
	case SMFIR_REJECT:
		decide(mc, MILTER_REJECT, NULL);
		return true;
	case SMFIR_TEMPFAIL:
		decide(mc, MILTER_TEMPFAIL, NULL);
		return true;
	case SMFIR_DISCARD:
		decide(mc, MILTER_DISCARD, NULL);
		return true;
	case SMFIR_REPLYCODE:
		if (milter_parse_string(r, &text) < 0 ||
		    milter_parse_replycode(text, &code) < 0) {
			failed(mc, "protocol error: bad reply code");
			return true;
		}
		decide(mc, code / 100 == 5 ? MILTER_REJECT : MILTER_TEMPFAIL,
		       text);
		return true;
	default:
		return false;
	}
}

static void
on_eob_reply(struct milter_check *mc, const struct milter_reply *r)
{
	if (r->cmd == SMFIR_ACCEPT || r->cmd == SMFIR_CONTINUE) {
		milter_message_body_done(&mc->msg);
		milter_done(mc);
		return;
	}
	if (verdict(mc, r))
		return;
	if (modify(mc, r) < 0)
		failed(mc,
		       "protocol error: unexpected reply at end of message");
	else
		arm_timer(mc);
}

static void
on_reply(struct milter_check *mc, const struct milter_reply *r)
{
	if (r->cmd == SMFIR_PROGRESS) {
		arm_timer(mc);
		return;
	}
	if (mc->st == ST_EOB) {
		on_eob_reply(mc, r);
		return;
	}
	if (r->cmd == SMFIR_CONTINUE) {
		advance(mc);
	} else if (r->cmd == SMFIR_ACCEPT) {
		milter_done(mc); /* no more stages, no changes */
	} else if (r->cmd == SMFIR_SKIP && mc->st == ST_BODY) {
		mc->idx = mc->msg.bodylen; /* advance() goes on with EOB */
		advance(mc);
	} else if (!verdict(mc, r)) {
		failed(mc, "protocol error: unexpected reply");
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct milter_check *mc = arg;

	while (mc->bev == bev) {
		struct evbuffer *in = bufferevent_get_input(bev);
		struct milter_reply r;

		switch (milter_reply_next(in, &r, mc->why, sizeof(mc->why))) {
		case MILTER_PARSE_MORE:
			return;
		case MILTER_PARSE_ERROR:
			failed(mc, mc->why);
			return;
		case MILTER_PARSE_OK:
			break;
		}
		on_reply(mc, &r);
		/* on_reply may have closed the connection (and its input),
		 * or handed the session's back, with the reply still in. */
		if (mc->bev == bev || mc->given_back == bev)
			evbuffer_drain(in, r.consumed);
	}
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	failed(arg, "connection lost");
}

static void
timeoutcb(evutil_socket_t fd, short what, void *arg)
{
	failed(arg, "timeout");
}

/* Goes on over the session's conversation with this milter: it has
 * seen connect, HELO, MAIL and RCPT already. */
static void
resume_link(struct milter_check *mc)
{
	struct milter_link *l = milter_links_at(mc->req.links, mc->cur);

	if (l->discard) {
		decide(mc, MILTER_DISCARD, NULL);
		return;
	}
	if (l->st == LINK_DEAD &&
	    mc->req.default_action == MILTER_DEFAULT_TEMPFAIL) {
		snprintf(mc->why, sizeof(mc->why), "%s", l->why);
		mc->res.why = mc->why;
		decide(mc, MILTER_TEMPFAIL, NULL);
		return;
	}
	if (l->st != LINK_UP || l->quiet_session || l->quiet_message) {
		mc->cur++;
		next_milter(mc);
		return;
	}
	l->borrowed = true;
	mc->link = l;
	mc->bev = l->bev;
	mc->out = bufferevent_get_output(l->bev);
	mc->steps = l->steps;
	bufferevent_setcb(mc->bev, readcb, NULL, eventcb, mc);
	mc->st = ST_DATA;
	mc->idx = 0;
	if (send_stage(mc))
		arm_timer(mc);
	else
		advance(mc);
}

static void
next_milter(struct milter_check *mc)
{
	if (mc->cur >= mc->nspecs ||
	    mc->cur >= milter_links_count(mc->req.links)) {
		mc->res.verdict = MILTER_ACCEPT;
		finish(mc);
		return;
	}
	resume_link(mc);
}

static void
donecb(evutil_socket_t fd, short what, void *arg)
{
	struct milter_check *mc = arg;
	struct evbuffer *data = NULL;

	if (mc->res.verdict == MILTER_ACCEPT && mc->msg.changed) {
		if ((data = evbuffer_new()) == NULL)
			abort();
		milter_message_write(&mc->msg, data);
		mc->res.len = evbuffer_get_length(data);
		mc->res.data = (const char *)evbuffer_pullup(data, -1);
	}
	mc->res.rcpt_removed = mc->removed;
	mc->res.rcpt_added = (const char *const *)mc->added;
	mc->res.nadded = mc->nadded;
	mc->res.sender = mc->sender;
	mc->res.quarantine = mc->quarantine;
	mc->res.quarantined_by = mc->quarantined_by;
	mc->cb(mc->cbarg, &mc->res);
	if (data != NULL)
		evbuffer_free(data);
	milter_cancel(mc);
}

struct milter_check *
milter_check(struct event_base *base, const struct milter_request *req,
             milter_done_cb cb, void *arg)
{
	struct milter_check *mc = calloc(1, sizeof(*mc));
	size_t i;

	if (mc == NULL)
		abort();
	mc->base = base;
	mc->req = *req;
	mc->cb = cb;
	mc->cbarg = arg;
	mc->milters = str_dup(req->milters);
	mc->specs = milter_split_list(mc->milters, &mc->nspecs);
	mc->rcpts = calloc(req->nrcpts + 1, sizeof(char *));
	mc->removed = calloc(req->nrcpts + 1, sizeof(bool));
	if (mc->rcpts == NULL || mc->removed == NULL)
		abort();
	for (i = 0; i < req->nrcpts; i++)
		mc->rcpts[i] = str_dup(req->rcpts[i]);
	mc->req.rcpts = (const char *const *)mc->rcpts;
	mc->req.milters = mc->milters;
	/* The strings of the request stay valid: the session outlives us or
	 * cancels us. */
	milter_message_parse(&mc->msg, req->data, req->len);
	mc->req.data = NULL;
	mc->timer = evtimer_new(base, timeoutcb, mc);
	mc->done_ev = event_new(base, -1, 0, donecb, mc);
	if (mc->timer == NULL || mc->done_ev == NULL)
		abort();
	next_milter(mc);
	return mc;
}

void
milter_cancel(struct milter_check *mc)
{
	size_t i;

	if (mc == NULL)
		return;
	close_conn(mc, false);
	event_free(mc->timer);
	event_free(mc->done_ev);
	milter_message_free(&mc->msg);
	for (i = 0; i < mc->nspecs; i++)
		free(mc->specs[i]);
	free(mc->specs);
	for (i = 0; i < mc->req.nrcpts; i++)
		free(mc->rcpts[i]);
	free(mc->rcpts);
	free(mc->removed);
	for (i = 0; i < mc->nadded; i++)
		free(mc->added[i]);
	free(mc->added);
	free(mc->milters);
	free(mc->data);
	free(mc->sender);
	free(mc->quarantine);
	free(mc);
}
