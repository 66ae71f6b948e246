/*
 * result.c — acting on what the remote server said, recipient by
 * recipient: the decision is explain_decide()'s (one function of basic
 * code, enhanced code and text), the bookkeeping is here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/log.h"
#include "base/msgid.h"
#include "base/str.h"
#include "config/config.h"
#include "dane/dane.h"
#include "tlsrpt/tlsrpt.h"
#include "explain/explain.h"
#include "metrics/metrics.h"
#include "reply/status.h"
#include "sched/backoff.h"
#include "sched/outbound_int.h"

void
out_msg_set_state(struct out_msg *m, size_t idx, enum rcpt_state st,
                  const char *reply)
{
	struct envelope_rcpt *r = &m->env.rcpts[idx];

	r->state = st;
	free(r->last_reply);
	r->last_reply = str_dup(reply);
	out_msg_mark_changed(m, idx);
}

void
out_msg_mark_changed(struct out_msg *m, size_t idx)
{
	size_t i;

	for (i = 0; i < m->nchanged; i++)
		if (m->changed_idx[i] == idx)
			return;
	m->changed_idx = xreallocarray(m->changed_idx, m->nchanged + 1,
	                               sizeof(*m->changed_idx));
	m->changed_idx[m->nchanged++] = idx;
}

void
out_msg_add_report(struct out_msg *m, size_t idx, enum dsn_action action,
                   const char *status, const char *diagnostic,
                   const char *remote, const char *reason)
{
	struct out_report *rep;

	rep = xreallocarray(m->reports, m->nreports + 1, sizeof(*rep));
	m->reports = rep;
	rep += m->nreports++;
	rep->idx = idx;
	rep->action = action;
	rep->status = str_dup(status);
	rep->diagnostic = str_dup(diagnostic);
	rep->remote = str_dup(remote);
	rep->reason = str_dup(reason);
	rep->when = time(NULL);
}

void
out_msg_clear_reports(struct out_msg *m)
{
	size_t i;

	for (i = 0; i < m->nreports; i++) {
		free(m->reports[i].status);
		free(m->reports[i].diagnostic);
		free(m->reports[i].remote);
		free(m->reports[i].reason);
	}
	m->nreports = 0;
}

/* tls: how far the last session's TLS was authenticated, and its version
 * and cipher (absent when no session was tried). */
static void
log_outcome(const struct out_job *job, size_t idx, const char *event,
            const char *remote, const char *reply, const char *reason)
{
	const struct out_msg *m = job->msg;
	enum metric_delivery r =
	        strcmp(event, "relay-delivered") == 0  ? MD_DELIVERED
	        : strcmp(event, "relay-deferred") == 0 ? MD_DEFERRED
	                                               : MD_BOUNCED;
	char delay[24], msgid[256];

	metrics_delivery(job->target.lmtp ? MT_LMTP : MT_RELAY, r);
	log_fmt_delay(m->env.arrival, delay, sizeof(delay));
	log_event(LOG_LVL_INFO, event, "id", m->id, "to",
	          m->env.rcpts[idx].address, "relay", remote, "delay", delay,
	          "tls", job->tls_seen, "cipher",
	          job->cipher[0] ? job->cipher : NULL, "tls_policy",
	          job->dane_unavailable ? "dane-unavailable" : NULL,
	          "message-id",
	          m->data ? msgid_find(m->data, m->len, msgid, sizeof(msgid))
	                  : NULL,
	          "reply", reply, "reason", reason, NULL);
}

static void
defer(struct out_job *job, size_t idx, const char *reply, const char *remote,
      const char *reason)
{
	struct out_msg *m = job->msg;
	const struct config *cfg = job->ob->cfg;

	out_msg_set_state(m, idx, RCPT_DEFERRED, reply);
	m->env.rcpts[idx].next_attempt = outbound_retry_time(
	        m, job->ob,
	        time(NULL) + backoff_delay(m->attempts + 1,
	                                   cfg->relay_retry_min,
	                                   cfg->relay_retry_max));
	m->deferred = true;
	log_outcome(job, idx, "relay-deferred", remote, reply, reason);
}

static void
bounce(struct out_job *job, size_t idx, const char *status, const char *reply,
       const char *remote, const char *reason)
{
	out_msg_set_state(job->msg, idx, RCPT_BOUNCED, reply);
	out_msg_add_report(job->msg, idx, DSN_ACTION_FAILED, status, reply,
	                   remote, reason);
	log_outcome(job, idx, "relay-bounced", remote, reply, reason);
}

void
out_result_all(struct out_job *job, enum rcpt_state st, const char *status,
               const char *text, const char *remote)
{
	size_t i;

	for (i = 0; i < job->n; i++) {
		if (st == RCPT_BOUNCED)
			bounce(job, job->idx[i], status, text, remote,
			       status[2] == '1' ? "hostunknown" : "undefined");
		else
			defer(job, job->idx[i], text, remote, "networkerror");
	}
}

/* Slow a destination down after 421 or rate-limit replies. */
static void
back_off(struct out_job *job)
{
	const struct config *cfg = job->ob->cfg;
	struct out_dest *d = job->dest;

	d->backoff_until =
	        time(NULL) + backoff_delay(++d->backoffs, cfg->relay_retry_min,
	                                   cfg->relay_retry_max);
	log_event(LOG_LVL_WARN, "relay-backoff", "domain", d->domain, NULL);
}

static void
delivered(struct out_job *job, size_t idx, const struct relay_result *res,
          const struct relay_reply *rep)
{
	struct out_msg *m = job->msg;

	out_msg_set_state(m, idx, RCPT_DELIVERED, rep->text);
	job->dest->backoffs = 0;
	log_outcome(job, idx, "relay-delivered", res->remote_mta, rep->text,
	            NULL);
	/* LMTP stores the message: that is final delivery (RFC 3464
	 * s2.3.3), reported here.  Otherwise RFC 3461 s4.1: the remote
	 * cannot pass the request on. */
	if ((m->env.rcpts[idx].notify & DSN_NOTIFY_SUCCESS) &&
	    (job->target.lmtp || !res->remote_dsn))
		out_msg_add_report(m, idx,
		                   job->target.lmtp ? DSN_ACTION_DELIVERED
		                                    : DSN_ACTION_RELAYED,
		                   status_enh(ST_DELIVERED), rep->text,
		                   res->remote_mta, "delivered");
}

/* A recipient the remote refused: what explain says to do about it. */
static bool
refused(struct out_job *job, size_t idx, const struct relay_result *res,
        const struct relay_reply *rep, bool after_data, bool some_accepted)
{
	enum explain_reason reason;
	enum explain_action act;
	const char *rname;

	act = explain_decide(rep->code, rep->enhanced, rep->text,
	                     after_data ? STAGE_DATA : STAGE_RCPT, &reason);
	rname = explain_reason_name(reason);
	if (act == ACT_SPLIT_TRANSACTION && some_accepted)
		return true; /* sent again at once, in a new transaction */
	if (act == ACT_BOUNCE)
		bounce(job, idx,
		       rep->enhanced[0] ? rep->enhanced
		                        : status_enh(ST_PERM_OTHER),
		       rep->text, res->remote_mta, rname);
	else if (act == ACT_DELIVERED)
		delivered(job, idx, res, rep);
	else {
		if (act == ACT_BACKOFF_DESTINATION)
			back_off(job);
		defer(job, idx, rep->text, res->remote_mta, rname);
	}
	return false;
}

static bool
any_accepted(const struct relay_result *res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res->outcome[i] == RELAY_RCPT_ACCEPTED)
			return true;
	return false;
}

/* The policy as RFC 8460 s4.4 wants it in policy-string. */
static void
policy_text(const struct out_job *job, bool dane, char *buf, size_t cap)
{
	const struct dane_policy *p = job->target.dane;
	size_t n = 0, i, j;

	buf[0] = '\0';
	if (!dane && job->sts.mode == STS_MODE_NONE)
		return; /* the policy could not be fetched: none to quote */
	if (!dane) {
		n += (size_t)snprintf(buf, cap, "version: STSv1\nmode: %s",
		                      sts_mode_name(job->sts.mode));
		for (i = 0; i < job->sts.nmx && n < cap; i++)
			n += (size_t)snprintf(buf + n, cap - n, "\nmx: %s",
			                      job->sts.mx[i]);
		if (n < cap)
			snprintf(buf + n, cap - n, "\nmax_age: %ld",
			         job->sts.max_age);
		return;
	}
	for (i = 0; p != NULL && i < p->n && n + 8 < cap; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "%s%u %u %u ",
		                      i ? "\n" : "", p->rrs[i].usage,
		                      p->rrs[i].selector, p->rrs[i].mtype);
		for (j = 0; j < p->rrs[i].len && n + 3 < cap; j++)
			n += (size_t)snprintf(buf + n, cap - n, "%02x",
			                      p->rrs[i].data[j]);
	}
}

void
result_tls_report(struct out_job *job, bool dane, const char *mx,
                  const char *ip, enum tlsrpt_result r, const char *reason)
{
	char dir[4096], policy[2048];
	struct tlsrpt_event e = {
	        dane ? TLSRPT_POLICY_TLSA : TLSRPT_POLICY_STS,
	        job->dest->domain,
	        policy,
	        mx,
	        ip,
	        r,
	        reason,
	        time(NULL),
	};

	policy_text(job, dane && job->target.dane != NULL, policy,
	            sizeof(policy));
	snprintf(dir, sizeof(dir), "%s/tls-rpt", job->ob->cfg->spool_dir);
	if (tlsrpt_record(dir, &e) < 0)
		log_event(LOG_LVL_WARN, "tls-report", "dir", dir, "error",
		          strerror(errno), NULL);
}

/* RFC 8460: every session a DANE or MTA-STS policy governed, once it is
 * clear whether its TLS was what the policy asked. */
static void
report_session(struct out_job *job, const struct relay_result *res)
{
	const struct dane_policy *p = job->target.dane;
	bool dane = p != NULL && p->mode != DANE_OFF;
	enum relay_tls_auth want = !dane ? RELAY_TLS_VERIFIED
	                           : p->mode == DANE_VERIFY
	                                   ? RELAY_TLS_DANE
	                                   : RELAY_TLS_UNTRUSTED;
	const char *why = res->error ? res->error : res->session_reply.text;

	/* No recipient policy (a level of the administrator's is not one,
	 * RFC 8460 s4.3), or one set aside: nothing to report. */
	if (job->policies_waived || (!dane && job->sts.mode == STS_MODE_NONE))
		return;
	if (!dane && !job->target.tls_verify && !job->target.tls_check)
		return;
	/* Testing mode tried an MX host the policy does not list (route.c
	 * sts_allows): whatever its TLS, enforce would have refused it. */
	if (job->target.tls_check &&
	    res->failed_stage >= RELAY_STAGE_STARTTLS &&
	    !sts_mx_matches(&job->sts, job->target.host)) {
		result_tls_report(job, false, job->target.host,
		                  job->target.addr, TLSRPT_VALIDATION_FAILURE,
		                  "MX host not listed in the MTA-STS policy");
		return;
	}
	if (job->target.tls_check && res->failed_stage > RELAY_STAGE_STARTTLS &&
	    res->tls_auth < RELAY_TLS_VERIFIED) /* testing: not refused */
		result_tls_report(job, false, job->target.host,
		                  job->target.addr,
		                  res->tls_auth == RELAY_TLS_NONE
		                          ? TLSRPT_STARTTLS_NOT_SUPPORTED
		                          : tlsrpt_classify(res->tls_error),
		                  res->tls_auth == RELAY_TLS_NONE
		                          ? "the remote does not offer STARTTLS"
		                          : res->tls_error);
	else if (res->failed_stage == RELAY_STAGE_STARTTLS)
		result_tls_report(job, dane, job->target.host, job->target.addr,
		                  tlsrpt_classify(why), why);
	else if (dane && p->mode == DANE_ENCRYPT && res->tls_auth >= want)
		/* s4.3.2.1: TLS held, but no record of the RRset was one
		 * SMTP can use (RFC 7672 s3.1.3). */
		result_tls_report(job, true, job->target.host, job->target.addr,
		                  TLSRPT_TLSA_INVALID,
		                  "no usable TLSA record (RFC 7672 s3.1)");
	else if (res->tls_auth >= want)
		result_tls_report(job, dane, job->target.host, job->target.addr,
		                  TLSRPT_SUCCESS, NULL);
}

/* Which policy demanded the TLS the session did not get, if one did:
 * DANE, MTA-STS, or the destination's level (tls = required or verify,
 * tls_policy_map, tls_required_domains).  The smarthost's credentials
 * are not a policy: that failure stays the session's own. */
static enum status_id
demanded_by(const struct out_job *job, bool dane)
{
	const struct relay_target *t = &job->target;

	if (dane)
		return ST_DANE_FAILED;
	if (t->tls_verify && job->sts.mode == STS_MODE_ENFORCE &&
	    job->tls_level != TLS_POLICY_VERIFY)
		return ST_STS_FAILED;
	if (t->tls_required && t->auth_user == NULL)
		return ST_TLS_LEVEL_FAILED;
	return ST_DELIVERED; /* none */
}

/* DANE, MTA-STS or the level demanded TLS (RFC 7672 s2.2) and the
 * session did not get there: whatever the remote said, 4.7.5, and why. */
static bool
dane_failure(struct out_job *job, const struct relay_result *res)
{
	const struct dane_policy *p = job->target.dane;
	const char *why = res->error ? res->error : res->session_reply.text;
	bool dane = p != NULL && p->mode != DANE_OFF;
	enum status_id st = demanded_by(job, dane);
	char text[512];

	if (st == ST_DELIVERED || res->failed_stage != RELAY_STAGE_STARTTLS)
		return false;
	if (why == NULL)
		why = status_def(st)->text;
	if (strstr(why, "DANE") != NULL)
		snprintf(text, sizeof(text), "%s", why);
	else if (st == ST_DANE_FAILED)
		snprintf(text, sizeof(text),
		         "%s (TLS required by the DANE TLSA records of %s)",
		         why, job->target.host);
	else if (st == ST_STS_FAILED)
		snprintf(text, sizeof(text),
		         "%s (TLS required by the MTA-STS policy of %s)", why,
		         job->dest->domain);
	else
		snprintf(text, sizeof(text),
		         "%s (TLS required by the security level %s of %s)",
		         why,
		         job->tls_level == TLS_POLICY_VERIFY ? "verify"
		                                             : "encrypt",
		         job->dest->domain);
	route_hop_failed(job, st, text);
	return true;
}

/* The session failed before finishing: remember why, for the next hop. */
static void
note_failure(struct out_job *job, const struct relay_result *res)
{
	enum explain_reason reason;

	if (dane_failure(job, res))
		return;
	/* The remote has enough connections from us: not its failure. */
	if (window_refused(job, res))
		return;
	free(job->last_failure.text);
	job->last_failure = res->session_reply;
	job->last_failure.text = str_dup(res->session_reply.text);
	snprintf(job->last_error, sizeof(job->last_error), "%s",
	         res->error ? res->error : "connection failed");
	if (res->session_reply.code &&
	    explain_decide(res->session_reply.code, res->session_reply.enhanced,
	                   res->session_reply.text, STAGE_CONNECT,
	                   &reason) == ACT_BACKOFF_DESTINATION)
		back_off(job);
}

void
out_result_apply(struct out_job *job, const struct relay_result *res)
{
	bool ok = res->failed_stage == RELAY_STAGE_DONE;
	bool some = any_accepted(res, job->n);
	size_t i, left = 0;

	report_session(job, res);
	job->tls_seen = relay_tls_auth_name(res->tls_auth);
	snprintf(job->cipher, sizeof(job->cipher), "%s", res->tls_info);
	for (i = 0; i < job->n; i++) {
		size_t idx = job->idx[i];
		bool again = false;

		if (res->outcome[i] == RELAY_RCPT_ACCEPTED)
			delivered(job, idx, res, &res->rcpt_reply[i]);
		else if (res->outcome[i] == RELAY_RCPT_REJECTED)
			again = refused(job, idx, res, &res->rcpt_reply[i],
			                res->after_data[i], some);
		else
			again = true;
		if (again && ok)
			job->msg->env.rcpts[idx].next_attempt = 0; /* split */
		else if (again)
			job->idx[left++] = idx; /* for the next hop */
	}
	if (ok)
		window_delivered(job->dest, job->ob->cfg);
	if (ok || left == 0) {
		outbound_job_done(job);
		return;
	}
	job->n = left;
	note_failure(job, res);
	if (res->session_reply.code >= 500 &&
	    res->failed_stage >= RELAY_STAGE_MAIL) {
		/* The transaction itself was refused for good (e.g. 552 at
		 * MAIL): every remaining recipient bounces. */
		for (i = 0; i < job->n; i++)
			refused(job, job->idx[i], res, &res->session_reply,
			        res->failed_stage == RELAY_STAGE_DATA, false);
		outbound_job_done(job);
		return;
	}
	out_route_next_hop(job);
}
