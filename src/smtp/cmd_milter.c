/*
 * cmd_milter.c — the session's side of the milters (src/milter/): the
 * content of a message is kept in memory while it arrives when the
 * listener has milters, shown to them at the final dot, and then
 * committed as they changed it, or refused with their reply.  The
 * session waits in SS_COMMITTING meanwhile, as it does for the spool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "base/str.h"
#include "base/log.h"
#include "milter/milter.h"
#include "queue/spool.h"
#include "smtp/addr.h"
#include "smtp/session_int.h"

static const char *
listener_milters(const struct session *s)
{
	const char *list = s->role == LISTENER_SMTP ? s->cfg->milter_smtp
	                                            : s->cfg->milter_submission;

	return list != NULL && list[0] != '\0' ? list : NULL;
}

void
session_milter_hold(struct session *s)
{
	if ((listener_milters(s) == NULL && !session_auth_wanted(s)) ||
	    s->tx.write_error)
		return;
	if ((s->tx.held = evbuffer_new()) == NULL)
		abort();
}

void
session_milter_cleanup(struct session *s)
{
	if (s->tx.milter != NULL) {
		milter_cancel(s->tx.milter);
		s->tx.milter = NULL;
	}
	if (s->tx.held != NULL) {
		evbuffer_free(s->tx.held);
		s->tx.held = NULL;
	}
	milter_links_abort(s->milters);
}

/* The milter's "550 5.7.1 text": its text, for our own code. */
static const char *
reply_text(const char *reply)
{
	const char *p = reply + 3;

	while (*p == ' ')
		p++;
	/* An enhanced code of the same class goes; ours replaces it. */
	if (p[0] == reply[0] && p[1] == '.') {
		p += strcspn(p, " ");
		while (*p == ' ')
			p++;
	}
	return *p ? p : NULL;
}

static void
refuse(struct session *s, const struct milter_result *res)
{
	bool perm = res->verdict == MILTER_REJECT;
	const char *text = res->reply ? reply_text(res->reply) : NULL;

	log_event(LOG_LVL_INFO, perm ? "milter-reject" : "milter-tempfail",
	          "id", s->tx.env.id, "milter", res->who, "reply", res->reply,
	          "error", res->why, NULL);
	content_count(perm ? R_MILTER_REJECT : R_MILTER_TEMPFAIL);
	if (text != NULL)
		session_reply(
		        s, perm ? R_MILTER_REJECT_TEXT : R_MILTER_TEMPFAIL_TEXT,
		        text);
	else
		session_reply(s, perm ? R_MILTER_REJECT : R_MILTER_TEMPFAIL);
	content_done(s);
}

/* Said 250, delivers nothing: what a milter's discard asks for. */
static void
discard(struct session *s, const struct milter_result *res)
{
	log_event(LOG_LVL_INFO, "milter-discard", "id", s->tx.env.id, "milter",
	          res->who, NULL);
	content_count(R_QUEUED);
	session_reply(s, R_QUEUED, s->tx.env.id);
	content_done(s);
}

/* Recipients the milters removed or added. */
static void
apply_rcpts(struct session *s, const struct milter_result *res)
{
	struct envelope *env = &s->tx.env;
	size_t i, kept = 0;

	for (i = 0; i < env->nrcpts; i++) {
		if (!res->rcpt_removed[i]) {
			env->rcpts[kept++] = env->rcpts[i];
			continue;
		}
		free(env->rcpts[i].address);
		free(env->rcpts[i].original);
		free(env->rcpts[i].orcpt);
		free(env->rcpts[i].last_reply);
	}
	env->nrcpts = kept;
	for (i = 0; i < res->nadded; i++)
		envelope_add_rcpt(env, res->rcpt_added[i], res->rcpt_added[i],
		                  NULL, 0);
}

/* SMFIR_CHGFROM: bounces and notices go to the new sender, written as
 * ferry writes any reverse-path; one that is not an address is ignored
 * (and logged), the old sender stays. */
static void
apply_sender(struct session *s, const struct milter_result *res)
{
	char path[ADDR_PATH_MAX + 8], text[ADDR_PATH_MAX + 3], *sender;
	struct mailaddr a;
	size_t used;
	int n;

	if (res->sender == NULL)
		return;
	n = snprintf(path, sizeof(path), "<%s>", res->sender);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    addr_parse_path(path, (size_t)n, true, false, &a, &used) !=
	            ADDR_OK ||
	    used != (size_t)n) {
		log_event(LOG_LVL_WARN, "milter-chgfrom", "id", s->tx.env.id,
		          "error", "not an address", "to", res->sender, NULL);
		return;
	}
	addr_format(&a, text, sizeof(text));
	if ((sender = str_dup(text)) == NULL)
		abort();
	log_event(LOG_LVL_INFO, "milter-chgfrom", "id", s->tx.env.id, "from",
	          s->tx.env.sender, "to", sender, NULL);
	free(s->tx.env.sender);
	s->tx.env.sender = sender;
}

/* SMFIR_QUARANTINE: accepted, then kept on hold for an administrator
 * (`ferry queue release` or `delete`). */
static void
apply_quarantine(struct session *s, const struct milter_result *res)
{
	if (res->quarantine == NULL)
		return;
	log_event(LOG_LVL_INFO, "milter-quarantine", "id", s->tx.env.id,
	          "milter", res->quarantined_by, "reason", res->quarantine,
	          NULL);
	spool_msg_hold_on_commit(s->tx.msg);
}

static void
milter_done(void *arg, const struct milter_result *res)
{
	struct session *s = arg;
	struct evbuffer *held = s->tx.held;
	const void *data = res->data;
	size_t len = res->len;

	s->tx.milter = NULL;
	if (s->freed_while_committing) {
		s->state = SS_CLOSING; /* nothing was promised: drop it */
		session_reset_transaction(s);
		session_close(s);
		return;
	}
	if (res->verdict == MILTER_REJECT || res->verdict == MILTER_TEMPFAIL) {
		refuse(s, res);
		return;
	}
	apply_rcpts(s, res);
	apply_sender(s, res);
	if (res->verdict == MILTER_DISCARD || s->tx.env.nrcpts == 0) {
		discard(s, res);
		return;
	}
	if (data == NULL) {
		len = evbuffer_get_length(held);
		data = evbuffer_pullup(held, -1);
	}
	if (len > 0 && spool_msg_write(s->tx.msg, data, len) < 0) {
		enum reply_id why =
		        errno == ENOSPC ? R_DISK_FULL : R_LOCAL_ERROR;

		content_count(why);
		session_reply(s, why);
		content_done(s);
		return;
	}
	apply_quarantine(s, res);
	content_commit(s);
}

void
session_milter_check(struct session *s)
{
	if (listener_milters(s) == NULL) { /* held for the checks alone */
		size_t len = evbuffer_get_length(s->tx.held);

		if (len > 0 &&
		    spool_msg_write(s->tx.msg, evbuffer_pullup(s->tx.held, -1),
		                    len) < 0) {
			enum reply_id why =
			        errno == ENOSPC ? R_DISK_FULL : R_LOCAL_ERROR;

			content_count(why);
			session_reply(s, why);
			content_done(s);
			return;
		}
		content_commit(s);
		return;
	}
	const char **rcpts = calloc(s->tx.env.nrcpts + 1, sizeof(char *));
	struct milter_request req = {
	        .milters = listener_milters(s),
	        .timeout = s->cfg->milter_timeout,
	        .default_action = s->cfg->milter_default_action == 1
	                                  ? MILTER_DEFAULT_ACCEPT
	                                  : MILTER_DEFAULT_TEMPFAIL,
	        .hostname = s->cfg->hostname,
	        .daemon_name = s->role == LISTENER_SMTP ? "smtp" : "submission",
	        .client_addr = s->client_ip,
	        .client_name = "unknown",
	        .helo = s->helo,
	        .sender = s->tx.env.sender ? s->tx.env.sender : "",
	        .nrcpts = s->tx.env.nrcpts,
	        .queue_id = s->tx.env.id,
	        .auth_user = s->auth_user,
	        .auth_mech = s->auth_user ? s->auth_mech : NULL,
	        .tls_version = s->tls ? s->tls_info : NULL,
	        .data = (const char *)evbuffer_pullup(s->tx.held, -1),
	        .len = evbuffer_get_length(s->tx.held),
	        .links = s->milters,
	};

	if (rcpts == NULL)
		abort();
	for (size_t i = 0; i < s->tx.env.nrcpts; i++)
		rcpts[i] = s->tx.env.rcpts[i].address;
	req.rcpts = rcpts;
	s->state = SS_COMMITTING;
	session_set_timeout(s, s->cfg->timeout_data_end);
	s->tx.milter =
	        milter_check(smtp_server_base(s->srv), &req, milter_done, s);
	free(rcpts);
}

/* --- the stages before the content ------------------------------------ */

/* What the client hears when a milter refuses at a stage: its own text
 * (with our code) or the registry's words. */
struct stage_replies {
	enum reply_id reject, reject_text, tempfail, tempfail_text;
	bool closes; /* connect and HELO: a tempfail ends the session */
};

static const struct stage_replies stage_replies[] = {
        [MILTER_STAGE_CONNECT] = {R_MILTER_CONN_REJECT,
                                  R_MILTER_CONN_REJECT_TEXT,
                                  R_MILTER_CONN_TEMPFAIL,
                                  R_MILTER_CONN_TEMPFAIL, true},
        [MILTER_STAGE_HELO] = {R_MILTER_HELO_REJECT, R_MILTER_REJECT_TEXT,
                               R_MILTER_CONN_TEMPFAIL, R_MILTER_CONN_TEMPFAIL,
                               true},
        [MILTER_STAGE_MAIL] = {R_MILTER_SENDER_REJECT, R_MILTER_REJECT_TEXT,
                               R_MILTER_TEMPFAIL, R_MILTER_TEMPFAIL_TEXT,
                               false},
        [MILTER_STAGE_RCPT] = {R_MILTER_RCPT_REJECT, R_MILTER_REJECT_TEXT,
                               R_MILTER_TEMPFAIL, R_MILTER_TEMPFAIL_TEXT,
                               false},
};

static enum milter_stage
milter_stage_of(enum policy_stage stage)
{
	switch (stage) {
	case POLICY_CONNECT:
		return MILTER_STAGE_CONNECT;
	case POLICY_HELO:
		return MILTER_STAGE_HELO;
	case POLICY_MAIL:
		return MILTER_STAGE_MAIL;
	default:
		return MILTER_STAGE_RCPT;
	}
}

static void
stage_log(struct session *s, enum milter_stage st,
          const struct milter_stage_result *res)
{
	static const char *const names[] = {"connect", "helo", "mail", "rcpt"};
	bool perm = res->verdict == MILTER_REJECT;
	char serial[24];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	if (st == MILTER_STAGE_RCPT) /* that recipient only */
		log_event(LOG_LVL_INFO, "milter-rcpt-refused", "session",
		          serial, "client", s->client_ip, "milter", res->who,
		          "to", s->ask.to, "reply", res->reply, NULL);
	else
		log_event(LOG_LVL_INFO,
		          perm ? "milter-reject" : "milter-tempfail", "session",
		          serial, "client", s->client_ip, "stage", names[st],
		          "milter", res->who, "reply", res->reply, NULL);
}

/* The milters' verdict as the policy would have given it. */
static void
stage_verdict(struct session *s, enum milter_stage st,
              const struct milter_stage_result *res, struct policy_verdict *v)
{
	const struct stage_replies *r = &stage_replies[st];
	const char *text = res->reply ? reply_text(res->reply) : NULL;
	bool perm = res->verdict == MILTER_REJECT;

	v->refused = true;
	v->rule = "milter";
	if (!perm && r->closes) {
		v->reply = (int)r->tempfail;
		snprintf(v->args[0], sizeof(v->args[0]), "%s",
		         smtp_server_hostname(s->srv));
		v->close = true;
		return;
	}
	if (text != NULL) {
		v->reply = (int)(perm ? r->reject_text : r->tempfail_text);
		snprintf(v->args[0], sizeof(v->args[0]), "%s", text);
	} else {
		v->reply = (int)(perm ? r->reject : r->tempfail);
	}
}

static void
stage_decided(void *arg, const struct milter_stage_result *res)
{
	struct session *s = arg;
	enum milter_stage st = milter_stage_of(s->ask.stage);
	struct policy_verdict v;

	memset(&v, 0, sizeof(v));
	s->milter_waiting = false;
	if (s->state == SS_CLOSING) { /* 421 sent while it waited */
		recipient_result_free(&s->ask.res);
		return;
	}
	if (res->verdict != MILTER_ACCEPT) {
		stage_log(s, st, res);
		stage_verdict(s, st, res, &v);
		if (st == MILTER_STAGE_MAIL) /* the milters' message is over */
			milter_links_abort(s->milters);
	}
	s->ask.then(s, &v);
	if (s->state != SS_CLOSING)
		session_resume(s);
}

static struct milter_request
session_request(const struct session *s)
{
	struct milter_request req = {
	        .milters = listener_milters(s),
	        .timeout = s->cfg->milter_timeout,
	        .default_action = s->cfg->milter_default_action == 1
	                                  ? MILTER_DEFAULT_ACCEPT
	                                  : MILTER_DEFAULT_TEMPFAIL,
	        .hostname = s->cfg->hostname,
	        .daemon_name = s->role == LISTENER_SMTP ? "smtp" : "submission",
	        .client_addr = s->client_ip,
	        .client_name = "unknown",
	        .client_port = 0,
	        .helo = s->ask.helo,
	        .sender = s->ask.from,
	        .auth_user = s->auth_user,
	        .auth_mech = s->auth_user ? s->auth_mech : NULL,
	        .tls_version = s->tls ? s->tls_info : NULL,
	        .links = s->milters,
	};

	return req;
}

bool
session_milter_stage(struct session *s, enum policy_stage stage)
{
	const char *rcpt[1];
	struct milter_request req;

	if (listener_milters(s) == NULL || stage == POLICY_DATA)
		return false;
	req = session_request(s);
	if (s->milters == NULL)
		s->milters = milter_links_open(smtp_server_base(s->srv), &req);
	rcpt[0] = s->ask.to; /* the links keep the string, not the array */
	req.rcpts = rcpt;
	req.nrcpts = 1;
	s->milter_waiting = true;
	milter_links_stage(s->milters, milter_stage_of(stage), &req,
	                   stage_decided, s);
	return true;
}

void
session_milter_close(struct session *s)
{
	milter_links_free(s->milters);
	s->milters = NULL;
	s->milter_waiting = false;
}
