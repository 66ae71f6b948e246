/*
 * client_result.c — the SMTP client's result: per recipient outcome and
 * reply, the session's end, and the log line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "relay/client_int.h"

void
relay_result_init(struct relay_client *c)
{
	struct relay_result *res = &c->res;
	size_t n = c->job->nrcpt ? c->job->nrcpt : 1;
	const char *host = c->target.host;
	const char *addr = c->target.addr ? c->target.addr : "";

	res->failed_stage = RELAY_STAGE_DONE;
	res->outcome = calloc(n, sizeof(*res->outcome));
	res->rcpt_reply = calloc(n, sizeof(*res->rcpt_reply));
	res->after_data = calloc(n, sizeof(*res->after_data));
	if (res->outcome == NULL || res->rcpt_reply == NULL ||
	    res->after_data == NULL)
		abort();
	for (size_t i = 0; i < c->job->nrcpt; i++)
		res->outcome[i] = RELAY_RCPT_NOT_TRIED;
	snprintf(res->remote_mta, sizeof(res->remote_mta), "%s [%s]",
	         host != NULL && host[0] != '\0' ? host : addr, addr);
}

static void
reply_clear(struct relay_reply *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

void
relay_result_free(struct relay_client *c)
{
	reply_clear(&c->res.session_reply);
	for (size_t i = 0; i < c->nrcpt && c->res.rcpt_reply; i++)
		reply_clear(&c->res.rcpt_reply[i]);
	free(c->res.rcpt_reply);
	free(c->res.outcome);
	free(c->res.after_data);
	c->res.rcpt_reply = NULL;
	c->res.outcome = NULL;
	c->res.after_data = NULL;
}

/* A new job on the same connection: what the session learnt (remote,
 * TLS, DSN support) stays, the rest starts afresh. */
void
relay_result_reset(struct relay_client *c)
{
	c->res.error = NULL;
	c->res.reusable = false;
	relay_result_init(c);
}

void
relay_result_copy_reply(struct relay_reply *dst, const struct reply_parsed *r)
{
	reply_clear(dst);
	if (r == NULL)
		return;
	dst->code = r->code;
	snprintf(dst->enhanced, sizeof(dst->enhanced), "%s", r->enhanced);
	dst->text = str_dup(r->text);
}

/* A reply made here rather than read from the remote. */
void
relay_result_synthetic(struct relay_reply *dst, int code, const char *enh,
                       const char *text)
{
	char buf[512];

	reply_clear(dst);
	snprintf(buf, sizeof(buf), "%d %s %s", code, enh, text);
	dst->code = code;
	snprintf(dst->enhanced, sizeof(dst->enhanced), "%s", enh);
	dst->text = str_dup(buf);
}

void
relay_result_status(struct relay_reply *dst, enum status_id st,
                    const char *text)
{
	const struct status_def *d = status_def(st);

	relay_result_synthetic(dst, d->code, d->enh, text ? text : d->text);
}

/* Sets a recipient's final outcome; r NULL clears its reply. */
void
relay_result_rcpt(struct relay_client *c, size_t job_pos,
                  enum relay_rcpt_outcome o, const struct reply_parsed *r)
{
	c->res.outcome[job_pos] = o;
	relay_result_copy_reply(&c->res.rcpt_reply[job_pos], r);
	c->progress[job_pos] = RP_FINAL;
}

enum relay_stage
relay_result_stage(enum client_state st)
{
	static const enum relay_stage map[] = {
	        [ST_CONNECTING] = RELAY_STAGE_CONNECT,
	        [ST_GREETING] = RELAY_STAGE_GREETING,
	        [ST_EHLO] = RELAY_STAGE_EHLO,
	        [ST_HELO] = RELAY_STAGE_EHLO,
	        [ST_STARTTLS] = RELAY_STAGE_STARTTLS,
	        [ST_TLS] = RELAY_STAGE_STARTTLS,
	        [ST_AUTH] = RELAY_STAGE_AUTH,
	        [ST_MAIL] = RELAY_STAGE_MAIL,
	        [ST_RCPT] = RELAY_STAGE_RCPT,
	        [ST_DATA] = RELAY_STAGE_DATA,
	        [ST_DOT] = RELAY_STAGE_DATA,
	        [ST_RSET] = RELAY_STAGE_DONE,
	        [ST_QUIT] = RELAY_STAGE_DONE,
	        [ST_DONE] = RELAY_STAGE_DONE,
	};

	return map[st];
}

static const char *
stage_name(enum relay_stage st)
{
	static const char *const names[] = {
	        [RELAY_STAGE_CONNECT] = "connect",
	        [RELAY_STAGE_GREETING] = "greeting",
	        [RELAY_STAGE_EHLO] = "ehlo",
	        [RELAY_STAGE_STARTTLS] = "starttls",
	        [RELAY_STAGE_AUTH] = "auth",
	        [RELAY_STAGE_MAIL] = "mail",
	        [RELAY_STAGE_RCPT] = "rcpt",
	        [RELAY_STAGE_DATA] = "data",
	        [RELAY_STAGE_DONE] = "done",
	};

	return names[st];
}

const char *
relay_tls_auth_name(enum relay_tls_auth a)
{
	static const char *const names[] = {
	        [RELAY_TLS_NONE] = "none",
	        [RELAY_TLS_UNTRUSTED] = "untrusted",
	        [RELAY_TLS_VERIFIED] = "verified",
	        [RELAY_TLS_DANE] = "dane-verified",
	};

	return names[a];
}

/* One line per session: where it ended and how many got through. */
void
relay_result_log(const struct relay_client *c)
{
	const struct relay_result *res = &c->res;
	size_t n[3] = {0, 0, 0};
	char counts[96];

	for (size_t i = 0; i < c->job->nrcpt; i++)
		n[res->outcome[i]]++;
	snprintf(counts, sizeof(counts), "%zu/%zu/%zu", n[RELAY_RCPT_ACCEPTED],
	         n[RELAY_RCPT_REJECTED], n[RELAY_RCPT_NOT_TRIED]);
	log_event(res->failed_stage == RELAY_STAGE_DONE ? LOG_LVL_INFO
	                                                : LOG_LVL_WARN,
	          "relay", "id", c->job->env->id, "remote", res->remote_mta,
	          "stage", stage_name(res->failed_stage), "tls",
	          relay_tls_auth_name(res->tls_auth), "cipher",
	          res->tls_info[0] ? res->tls_info : NULL,
	          "accepted/rejected/not_tried", counts, "reply",
	          res->session_reply.text, "error", res->error, NULL);
}
