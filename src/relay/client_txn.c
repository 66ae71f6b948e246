/*
 * client_txn.c — the SMTP client's mail transaction: MAIL, RCPT, DATA and
 * the final dot, one command at a time or pipelined (RFC 2920), with the
 * early refusals for SIZE (RFC 1870) and SMTPUTF8 (RFC 6531) and the
 * recipient split after 452 (RFC 5321 s4.5.3.1.10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/mem.h"
#include "relay/client_int.h"
#include "relay/command.h"
#include "reply/status.h"

static void result_rcpt_data(struct relay_client *c, size_t pos,
                             enum relay_rcpt_outcome o,
                             const struct reply_parsed *r);

static bool
is_2yz(const struct reply_parsed *r)
{
	return r->code / 100 == 2;
}

/* Refuses every recipient not yet answered with a reply made here; text
 * NULL is the status's own. */
static void
refuse_all(struct relay_client *c, enum status_id st, const char *text)
{
	relay_result_status(&c->res.session_reply, st, text);
	c->res.failed_stage = RELAY_STAGE_MAIL;
	for (size_t i = 0; i < c->job->nrcpt; i++) {
		if (c->progress[i] == RP_FINAL)
			continue;
		c->res.outcome[i] = RELAY_RCPT_REJECTED;
		relay_result_status(&c->res.rcpt_reply[i], st, text);
		c->progress[i] = RP_FINAL;
	}
}

/* The certificate was checked because delivery depends on it: DANE, an
 * MTA-STS policy in enforce mode, the smarthost (not a check made only
 * to be reported). */
static bool
policy_verified(const struct relay_client *c)
{
	return c->res.tls_auth == RELAY_TLS_DANE ||
	       (c->res.tls_auth == RELAY_TLS_VERIFIED &&
	        (c->target.tls_verify || c->target.auth_user != NULL));
}

/* The remote's limits we can see before sending anything. */
static bool
fits_remote(struct relay_client *c)
{
	char text[128];

	if (c->caps.size && c->caps.size_max > 0 &&
	    c->job->msglen > c->caps.size_max) {
		snprintf(text, sizeof(text), "%s (SIZE %zu)",
		         status_def(ST_RELAY_SIZE)->text, c->caps.size_max);
		refuse_all(c, ST_RELAY_SIZE, text);
		return false;
	}
	if (c->job->env->smtputf8 && !c->caps.smtputf8) {
		refuse_all(c, ST_RELAY_NEED_SMTPUTF8, NULL);
		return false;
	}
	/* RFC 8689 s5: TLS a policy verified, to a server that takes
	 * REQUIRETLS.  LMTP is final delivery on this site, not relaying. */
	if (c->job->env->requiretls && !c->target.lmtp &&
	    (!policy_verified(c) || !c->caps.requiretls)) {
		refuse_all(
		        c, ST_RELAY_REQUIRETLS,
		        !policy_verified(c)
		                ? "REQUIRETLS: no DANE, MTA-STS or smarthost "
		                  "verification of the remote's TLS"
		                : "REQUIRETLS support required: the remote "
		                  "does not offer REQUIRETLS");
		return false;
	}
	return true;
}

/* Recipients whose address cannot go into a command are refused here;
 * the others are queued for RCPT in job order. */
static void
pick_recipients(struct relay_client *c)
{
	const struct envelope *env = c->job->env;

	c->send_idx = xcalloc(c->job->nrcpt ? c->job->nrcpt : 1,
	                      sizeof(*c->send_idx));
	for (size_t i = 0; i < c->job->nrcpt; i++) {
		size_t k = c->job->rcpt_idx[i];

		if (k < env->nrcpts && relay_addr_ok(env->rcpts[k].address)) {
			c->send_idx[c->nsend++] = i;
			continue;
		}
		c->res.outcome[i] = RELAY_RCPT_REJECTED;
		relay_result_status(&c->res.rcpt_reply[i],
		                    ST_RELAY_RCPT_UNUSABLE, NULL);
		c->progress[i] = RP_FINAL;
	}
}

static void
send_rcpt(struct relay_client *c)
{
	size_t pos = c->send_idx[c->rcpt_sent++];
	const struct envelope *env = c->job->env;
	char *line =
	        relay_cmd_rcpt(&env->rcpts[c->job->rcpt_idx[pos]], &c->caps);

	client_send(c, line);
	free(line);
}

/* The transaction is over and the connection clean: QUIT, or keep it
 * open when the job asks. */
void
relay_txn_end(struct relay_client *c)
{
	if (c->job->keep_open)
		client_idle(c);
	else
		client_quit(c);
}

void
relay_txn_start(struct relay_client *c)
{
	const struct envelope *env = c->job->env;
	char *line;

	if (!fits_remote(c)) {
		relay_txn_end(c);
		return;
	}
	if (env->sender == NULL || !relay_addr_ok(env->sender)) {
		refuse_all(c, ST_RELAY_SENDER_UNUSABLE, NULL);
		relay_txn_end(c);
		return;
	}
	pick_recipients(c);
	if (c->nsend == 0) {
		c->res.failed_stage = RELAY_STAGE_DONE;
		relay_txn_end(c);
		return;
	}
	line = relay_cmd_mail(env, &c->caps, c->job->msglen);
	client_send(c, line);
	free(line);
	c->pipelined = c->caps.pipelining;
	if (c->pipelined) {
		while (c->rcpt_sent < c->nsend)
			send_rcpt(c);
		client_send(c, "DATA\r\n");
	}
	client_expect(c, ST_MAIL, T_MAIL);
}

void
relay_txn_mail(struct relay_client *c, const struct reply_parsed *r)
{
	if (!is_2yz(r)) {
		/* The sender is refused: so is the message, for everyone. */
		relay_result_copy_reply(&c->res.session_reply, r);
		c->res.failed_stage = RELAY_STAGE_MAIL;
		for (size_t i = 0; i < c->nsend; i++)
			relay_result_rcpt(c, c->send_idx[i],
			                  RELAY_RCPT_REJECTED, r);
		client_quit(c);
		return;
	}
	if (!c->pipelined)
		send_rcpt(c);
	client_expect(c, ST_RCPT, T_RCPT);
}

/* 452, or 552 with X.5.3 (too many recipients), after an accepted one:
 * the rest go into another transaction. */
static bool
is_split(const struct reply_parsed *r, size_t naccepted)
{
	if (naccepted == 0)
		return false;
	if (r->code == 452)
		return true;
	return r->code == 552 && strlen(r->enhanced) == 5 &&
	       strcmp(r->enhanced + 1, ".5.3") == 0;
}

/* Every reply read, but the server may still hold the transaction
 * open (MAIL taken, nobody accepted, or DATA refused): RSET it before
 * the connection is kept for another job. */
static void
txn_reset(struct relay_client *c)
{
	if (!c->job->keep_open) {
		client_quit(c);
		return;
	}
	client_send(c, "RSET\r\n");
	client_expect(c, ST_RSET, T_MAIL);
}

void
relay_txn_rset(struct relay_client *c, const struct reply_parsed *r)
{
	if (is_2yz(r))
		client_idle(c);
	else
		client_quit(c);
}

/* After the last RCPT answer without pipelining. */
static void
rcpts_done(struct relay_client *c)
{
	if (c->naccepted == 0) {
		txn_reset(c);
		return;
	}
	client_send(c, "DATA\r\n");
	client_expect(c, ST_DATA, T_DATA);
}

void
relay_txn_rcpt(struct relay_client *c, const struct reply_parsed *r)
{
	size_t pos = c->send_idx[c->rcpt_answer++];

	if (is_2yz(r)) {
		relay_result_copy_reply(&c->res.rcpt_reply[pos], r);
		c->progress[pos] = RP_RCPT_OK;
		c->naccepted++;
	} else if (is_split(r, c->naccepted)) {
		relay_result_rcpt(c, pos, RELAY_RCPT_NOT_TRIED, r);
		c->split = true;
	} else {
		relay_result_rcpt(c, pos, RELAY_RCPT_REJECTED, r);
	}
	if (c->pipelined) {
		client_expect(c, c->rcpt_answer < c->nsend ? ST_RCPT : ST_DATA,
		              c->rcpt_answer < c->nsend ? T_RCPT : T_DATA);
		return;
	}
	if (c->split) {
		/* Never sent: NOT_TRIED without a reply. */
		for (size_t i = c->rcpt_sent; i < c->nsend; i++)
			relay_result_rcpt(c, c->send_idx[i],
			                  RELAY_RCPT_NOT_TRIED, NULL);
		c->rcpt_answer = c->rcpt_sent = c->nsend;
	}
	if (c->rcpt_sent < c->nsend) {
		send_rcpt(c);
		client_expect(c, ST_RCPT, T_RCPT);
		return;
	}
	rcpts_done(c);
}

void
relay_txn_data(struct relay_client *c, const struct reply_parsed *r)
{
	if (c->naccepted == 0) {
		/* Pipelined DATA with nobody accepted: 503/554 expected.  A
		 * server that says 354 anyway gets an empty message. */
		if (r->code == 354) {
			client_send(c, ".\r\n");
			client_quit(c);
			return;
		}
		txn_reset(c);
		return;
	}
	if (r->code != 354) {
		relay_result_copy_reply(&c->res.session_reply, r);
		c->res.failed_stage = RELAY_STAGE_DATA;
		for (size_t i = 0; i < c->job->nrcpt; i++) {
			if (c->progress[i] == RP_RCPT_OK)
				result_rcpt_data(c, i, RELAY_RCPT_REJECTED, r);
		}
		txn_reset(c);
		return;
	}
	relay_cmd_data(bufferevent_get_output(c->bev), c->job->msg,
	               c->job->msglen);
	client_expect(c, ST_DOT, T_BLOCK);
}

void
relay_txn_data_progress(struct relay_client *c, bool drained)
{
	struct timeval tv = {drained ? T_DOT : T_BLOCK, 0};

	evtimer_add(c->timer, &tv);
}

/* The reply answers DATA or the final dot, not RCPT. */
static void
result_rcpt_data(struct relay_client *c, size_t pos, enum relay_rcpt_outcome o,
                 const struct reply_parsed *r)
{
	relay_result_rcpt(c, pos, o, r);
	c->res.after_data[pos] = true;
}

/* After the whole message went out: QUIT, keep, or drop the connection
 * when the server answered before it had all of it. */
static void
dot_done(struct relay_client *c)
{
	c->res.failed_stage = RELAY_STAGE_DONE;
	/* An answer before all of the message went out: what is left must
	 * not reach the server as commands. */
	if (client_pending_output(c) > 0) {
		client_finish(c);
		return;
	}
	relay_txn_end(c);
}

/* LMTP (RFC 2033 s4.2): one reply per recipient RCPT took, in RCPT
 * order; each is that recipient's own outcome. */
static void
lmtp_dot(struct relay_client *c, const struct reply_parsed *r)
{
	/* Answered ones are final: the first still waiting is this one. */
	for (size_t k = 0; k < c->nsend; k++) {
		size_t pos = c->send_idx[k];

		if (c->progress[pos] != RP_RCPT_OK)
			continue;
		result_rcpt_data(c, pos,
		                 is_2yz(r) ? RELAY_RCPT_ACCEPTED
		                           : RELAY_RCPT_REJECTED,
		                 r);
		break;
	}
	if (++c->dot_answer < c->naccepted) {
		client_expect(c, ST_DOT, T_DOT);
		return;
	}
	dot_done(c);
}

void
relay_txn_dot(struct relay_client *c, const struct reply_parsed *r)
{
	enum relay_rcpt_outcome o =
	        is_2yz(r) ? RELAY_RCPT_ACCEPTED : RELAY_RCPT_REJECTED;

	if (c->target.lmtp) {
		lmtp_dot(c, r);
		return;
	}
	for (size_t i = 0; i < c->job->nrcpt; i++) {
		if (c->progress[i] == RP_RCPT_OK)
			result_rcpt_data(c, i, o, r);
	}
	dot_done(c);
}
