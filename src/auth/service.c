/*
 * service.c — the public face of the auth module (auth.h): picks the
 * backend, checks what the client sent before any backend sees it (the
 * mechanism name, base64, "*", line length), and hands every result to
 * the session from its own event, so a callback never runs inside the
 * call that caused it.  One log line per finished exchange; no secrets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "base/str.h"
#include "auth/auth_int.h"
#include "base/log.h"
#include "config/config.h"

static const char *
none_mechanisms(struct auth_service *svc)
{
	return "";
}

static bool
none_has_mech(struct auth_service *svc, const char *mech)
{
	return false;
}

static void
none_noop(struct auth_request *req)
{
}

static void
none_free(struct auth_service *svc)
{
}

static const struct auth_backend none_backend = {
        .mechanisms = none_mechanisms,
        .has_mech = none_has_mech,
        .start = NULL,
        .cont = NULL,
        .abort = none_noop,
        .free = none_free,
};

struct auth_service *
auth_service_new(struct event_base *base, const struct config *cfg,
                 int passwd_fd)
{
	struct auth_service *svc;
	int rc = 0, saved;

	svc = calloc(1, sizeof(*svc));
	if (svc == NULL)
		return NULL;
	svc->base = base;
	svc->be = &none_backend;
	switch (cfg->auth_backend) {
	case AUTH_BACKEND_PASSWD_FILE:
		rc = auth_local_init(svc, cfg, passwd_fd);
		break;
	case AUTH_BACKEND_DOVECOT:
		rc = auth_dovecot_init(svc, cfg);
		break;
	default:
		break;
	}
	if (rc < 0) {
		saved = errno;
		free(svc);
		errno = saved;
		return NULL;
	}
	return svc;
}

void
auth_service_free(struct auth_service *svc)
{
	if (svc == NULL)
		return;
	svc->be->free(svc);
	free(svc);
}

void
auth_service_key_lost(struct auth_service *svc)
{
	if (svc != NULL && svc->be->lost != NULL)
		svc->be->lost(svc);
}

const char *
auth_service_mechanisms(const struct auth_service *svc)
{
	/* The backends' lists live in their own state, not in *svc. */
	return svc->be->mechanisms((struct auth_service *)svc);
}

static const char *
status_name(enum auth_status st)
{
	switch (st) {
	case AUTH_CONTINUE:
		return "continue";
	case AUTH_OK:
		return "ok";
	case AUTH_FAIL:
		return "failed";
	case AUTH_TEMPFAIL:
		return "tempfail";
	case AUTH_BAD_BASE64:
		return "bad-base64";
	case AUTH_CANCELLED:
		return "cancelled";
	case AUTH_UNKNOWN_MECH:
		return "unknown-mechanism";
	case AUTH_MALFORMED:
		return "malformed";
	}
	return "?";
}

static void
request_fire(evutil_socket_t fd, short what, void *arg)
{
	struct auth_request *req = arg;
	enum auth_status st = req->st;
	char *data = req->data;

	req->data = NULL;
	req->posted = false;
	if (st != AUTH_CONTINUE)
		log_event(st == AUTH_OK ? LOG_LVL_INFO : LOG_LVL_WARN, "auth",
		          "session", req->session[0] ? req->session : NULL,
		          "client", req->client_ip, "mech", req->mech, "user",
		          req->user, "result", status_name(st), NULL);
	/* The callback may free req: nothing of it is used after. */
	req->cb(req->arg, st, data);
	free(data);
}

void
auth_request_post(struct auth_request *req, enum auth_status st,
                  const char *data)
{
	free(req->data);
	req->data = NULL;
	if (data != NULL && (req->data = str_dup(data)) == NULL)
		st = AUTH_TEMPFAIL;
	req->st = st;
	req->busy = false;
	req->posted = true;
	if (st != AUTH_CONTINUE)
		req->done = true;
	event_active(req->ev, EV_READ, 0);
}

void
auth_request_post_challenge(struct auth_request *req, const unsigned char *raw,
                            size_t len)
{
	char *b64 = auth_b64_encode(raw, len);

	if (b64 == NULL) {
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
		return;
	}
	auth_request_post(req, AUTH_CONTINUE, b64);
	free(b64);
}

void
auth_request_set_user(struct auth_request *req, const char *user)
{
	if (req->user != NULL && strcmp(req->user, user) == 0)
		return;
	free(req->user);
	req->user = str_dup(user);
}

/* What is wrong with a client line, or AUTH_CONTINUE when nothing. */
static enum auth_status
check_line(const char *line)
{
	unsigned char *raw;
	size_t len = strlen(line), n;

	if (strcmp(line, "*") == 0)
		return AUTH_CANCELLED;
	if (len > AUTH_LINE_MAX)
		return AUTH_MALFORMED;
	if (auth_b64_decode(line, len, &raw, &n) < 0)
		return AUTH_BAD_BASE64;
	OPENSSL_cleanse(raw, n);
	free(raw);
	return AUTH_CONTINUE;
}

static bool
valid_mech_name(const char *mech)
{
	size_t i, n = strlen(mech);

	/* RFC 4422 s3.1: upper-case letters, digits, '-' and '_', 1-20. */
	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++)
		if (!((mech[i] >= 'A' && mech[i] <= 'Z') ||
		      (mech[i] >= 'a' && mech[i] <= 'z') ||
		      (mech[i] >= '0' && mech[i] <= '9') || mech[i] == '-' ||
		      mech[i] == '_'))
			return false;
	return true;
}

struct auth_request *
auth_request_start(struct auth_service *svc, const char *mech,
                   const char *initial, const char *client_ip, bool secured,
                   auth_result_cb cb, void *arg)
{
	struct auth_request *req;
	enum auth_status st;
	size_t i;

	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return NULL;
	req->svc = svc;
	req->cb = cb;
	req->arg = arg;
	req->secured = secured;
	req->client_ip = str_dup(client_ip != NULL ? client_ip : "");
	req->ev = event_new(svc->base, -1, 0, request_fire, req);
	if (req->client_ip == NULL || req->ev == NULL) {
		auth_request_free(req);
		return NULL;
	}
	if (!valid_mech_name(mech) || !svc->be->has_mech(svc, mech)) {
		snprintf(req->mech, sizeof(req->mech), "%s",
		         valid_mech_name(mech) ? mech : "?");
		auth_request_post(req, AUTH_UNKNOWN_MECH, NULL);
		return req;
	}
	for (i = 0; mech[i] != '\0'; i++)
		req->mech[i] = (char)(mech[i] >= 'a' && mech[i] <= 'z'
		                              ? mech[i] - 'a' + 'A'
		                              : mech[i]);
	if (initial != NULL && strcmp(initial, "=") == 0)
		initial = "";
	else if (initial != NULL &&
	         (st = check_line(initial)) != AUTH_CONTINUE) {
		auth_request_post(req, st, NULL);
		return req;
	}
	req->busy = true;
	svc->be->start(req, initial);
	return req;
}

void
auth_request_continue(struct auth_request *req, const char *line)
{
	enum auth_status st;

	if (req->done)
		return;
	if (req->busy || req->posted) {
		/* A line before the challenge it answers: the session
		 * broke the protocol.  End the exchange. */
		req->svc->be->abort(req);
		auth_request_post(req, AUTH_MALFORMED, NULL);
		return;
	}
	if ((st = check_line(line)) != AUTH_CONTINUE) {
		req->svc->be->abort(req);
		auth_request_post(req, st, NULL);
		return;
	}
	req->busy = true;
	req->svc->be->cont(req, line);
}

void
auth_request_set_session(struct auth_request *req, unsigned long id)
{
	snprintf(req->session, sizeof(req->session), "%lu", id);
}

void
auth_request_free(struct auth_request *req)
{
	if (req == NULL)
		return;
	if (req->svc != NULL)
		req->svc->be->abort(req);
	if (req->ev != NULL)
		event_free(req->ev);
	free(req->data);
	free(req->client_ip);
	free(req->user);
	free(req->dc_initial);
	free(req);
}
