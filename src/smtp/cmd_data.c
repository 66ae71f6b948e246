/*
 * cmd_data.c — DATA and BDAT: the content of a message, from the command
 * through the scanner into the spool, and the final reply only after the
 * spool has made the message durable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "base/str.h"
#include "base/log.h"
#include "metrics/metrics.h"
#include "config/config.h"
#include "queue/spool.h"
#include "smtp/session.h"
#include "smtp/session_int.h"

/* Sequence rules shared by DATA and BDAT (RFC 5321 s3.3, RFC 3030 s3). */
static bool
transaction_ready(struct session *s, enum reply_id *why_r)
{
	if (s->state == SS_CONNECTED)
		*why_r = R_SEQ_HELO_FIRST;
	else if (s->state != SS_MAIL)
		*why_r = R_SEQ_MAIL_FIRST;
	else if (s->tx.rcpt_accepted == 0)
		*why_r = s->tx.rcpt_attempted ? R_DATA_NO_RCPT
		                              : R_SEQ_RCPT_FIRST;
	else
		return true;
	return false;
}

static enum reply_id
spool_error_reply(int err)
{
	return err == ENOSPC || err == EDQUOT ? R_DISK_FULL : R_LOCAL_ERROR;
}

/*
 * Open the spool file and write our Received header first.  A storage
 * failure does not refuse the DATA command (RFC 5321 allows only 354, 503
 * and 554 there): the content is read and discarded, and the failure is
 * the reply to the final dot.
 */
static void
content_begin(struct session *s, bool dot_mode)
{
	char hdr[1024];
	size_t n;

	data_scanner_init(&s->tx.scan, dot_mode, s->cfg->max_message_size);
	if (!spool_has_space(s->spool)) {
		s->tx.write_error = ENOSPC;
		return;
	}
	s->tx.msg = spool_msg_new(s->spool);
	if (s->tx.msg == NULL) {
		s->tx.write_error = errno ? errno : EIO;
		return;
	}
	memcpy(s->tx.env.id, spool_msg_id(s->tx.msg), QUEUE_ID_LEN);
	s->tx.env.id[QUEUE_ID_LEN] = '\0';
	n = received_header(s, s->tx.env.id, hdr, sizeof(hdr));
	if (spool_msg_write(s->tx.msg, hdr, n) < 0)
		s->tx.write_error = errno ? errno : EIO;
	session_milter_hold(s);
}

void
cmd_data(struct session *s, const struct smtp_command *cmd)
{
	enum reply_id why;

	if (cmd->argslen > 0) {
		session_reply(s, R_SYNTAX_NO_ARGS);
		return;
	}
	if (s->tx.used_bdat) {
		session_reply(s, R_SEQ_BDAT_DATA);
		return;
	}
	if (!transaction_ready(s, &why)) {
		session_reply(s, why);
		return;
	}
	content_begin(s, true);
	s->state = SS_DATA;
	session_set_timeout(s, s->cfg->timeout_data_block);
	session_reply(s, R_DATA_GO);
}

/* Which reply rejects the finished content, or false if it is fine. */
static bool
content_rejected(struct session *s, enum reply_id *why_r)
{
	unsigned f = s->tx.scan.flags;

	if (s->tx.write_error)
		*why_r = spool_error_reply(s->tx.write_error);
	else if (f & DATA_TOO_BIG)
		*why_r = R_MSG_TOO_BIG;
	else if (f & DATA_NUL)
		*why_r = R_MSG_NUL;
	else if (f & (DATA_BARE_CR | DATA_BARE_LF))
		*why_r = R_MSG_BARE_LINEFEED;
	else if (f & DATA_HEADER_TOO_LONG)
		*why_r = R_MSG_HEADER_TOO_LONG;
	else if (s->tx.scan.received + 1 >
	         (unsigned)s->cfg->max_received_headers)
		*why_r = R_MSG_LOOP; /* ours would be one too many */
	else
		return false;
	return true;
}

static void
log_queued(struct session *s)
{
	char serial[24], size[24], nrcpt[16];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	snprintf(size, sizeof(size), "%zu", s->tx.env.size);
	snprintf(nrcpt, sizeof(nrcpt), "%zu", s->tx.env.nrcpts);
	log_event(LOG_LVL_INFO, "queued", "session", serial, "id", s->tx.env.id,
	          "from", s->tx.env.sender, "size", size, "nrcpt", nrcpt, NULL);
}

static double
elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The reply to a message's final dot is counted by its code. */
void
content_count(enum reply_id id)
{
	metrics_message_reply(reply_def(id)->code);
}

static void
commit_done(void *arg, int error)
{
	struct session *s = arg;

	if (s->freed_while_committing) {
		/* The client left before the reply: the message is queued
		 * (if error is 0) and will be delivered; it may resend it. */
		s->state = SS_CLOSING;
		session_close(s);
		return;
	}
	metrics_commit_latency(elapsed_since(&s->tx.commit_start));
	if (error == 0) {
		log_queued(s);
		s->messages++;
		s->rejected_rcpts = 0; /* mail delivered: not a harvester */
		content_count(R_QUEUED);
		session_reply(s, R_QUEUED, s->tx.env.id);
	} else {
		content_count(spool_error_reply(error));
		session_reply(s, spool_error_reply(error));
	}
	content_done(s);
}

/* The final reply is out: ready for the next transaction. */
void
content_done(struct session *s)
{
	session_reset_transaction(s);
	s->state = SS_READY;
	session_set_timeout(s, s->cfg->timeout_command);
	if (s->shutdown_pending) {
		session_shutdown(s);
		return;
	}
	session_resume(s);
}

/* Hands the stored message to the spool; the reply waits for it. */
void
content_commit(struct session *s)
{
	struct spool_msg *msg = s->tx.msg;

	s->tx.msg = NULL;
	s->state = SS_COMMITTING;
	session_set_timeout(s, s->cfg->timeout_data_end);
	clock_gettime(CLOCK_MONOTONIC, &s->tx.commit_start);
	spool_msg_allow_direct(msg);
	spool_msg_commit(msg, &s->tx.env, commit_done, s);
}

/* The whole message is in: reject it, or commit it and wait. */
static void
content_end(struct session *s)
{
	enum reply_id why;
	char proto[16];

	if (content_rejected(s, &why)) {
		if (s->tx.msg)
			spool_msg_abort(s->tx.msg);
		s->tx.msg = NULL;
		content_count(why);
		session_reply(s, why);
		session_reset_transaction(s);
		s->state = SS_READY;
		session_set_timeout(s, s->cfg->timeout_command);
		return;
	}
	s->tx.env.arrival = time(NULL);
	s->tx.env.helo = str_dup(s->helo);
	s->tx.env.client_addr = str_dup(s->client_ip);
	received_protocol(s, proto, sizeof(proto));
	s->tx.env.protocol = str_dup(proto);
	if (s->tx.held != NULL && s->tx.auth != NULL) {
		session_auth_check(s); /* then the milters, or the commit */
		return;
	}
	if (s->tx.held != NULL) {
		session_milter_check(s); /* commits or replies when done */
		return;
	}
	content_commit(s);
}

/* Scan and store content; runs for DATA and for BDAT chunks. */
static size_t
content_store(struct session *s, const char *in, size_t len)
{
	char out[16384];
	size_t used, outlen;

	if (len > sizeof(out))
		len = sizeof(out);
	used = data_scan(&s->tx.scan, in, len, out, &outlen);
	if (outlen > 0 && s->tx.held != NULL && !s->tx.write_error)
		evbuffer_add(s->tx.held, out, outlen); /* for the milters */
	else if (outlen > 0 && s->tx.msg && !s->tx.write_error &&
	         spool_msg_write(s->tx.msg, out, outlen) < 0)
		s->tx.write_error = errno ? errno : EIO;
	s->tx.env.size += outlen;
	return used;
}

static void
bdat_chunk_done(struct session *s)
{
	char octets[24];

	session_set_timeout(s, s->cfg->timeout_command);
	if (s->tx.bdat_discard) {
		s->state = s->tx.bdat_resume_state;
		s->tx.bdat_discard = false;
		session_reply(s, s->tx.bdat_reply);
		return;
	}
	s->state = SS_MAIL;
	if (!s->tx.bdat_last) {
		snprintf(octets, sizeof(octets), "%zu", s->tx.scan.size);
		session_reply(s, R_BDAT_OK, octets);
		return;
	}
	data_scanner_finish(&s->tx.scan);
	content_end(s);
}

size_t
content_feed(struct session *s, const char *in, size_t len)
{
	size_t used;

	if (s->state == SS_DATA) {
		used = content_store(s, in, len);
		if (s->tx.scan.done)
			content_end(s);
		return used;
	}
	/* BDAT: exactly bdat_remaining octets belong to the chunk. */
	if (len > s->tx.bdat_remaining)
		len = s->tx.bdat_remaining;
	used = s->tx.bdat_discard ? len : content_store(s, in, len);
	s->tx.bdat_remaining -= used;
	if (s->tx.bdat_remaining == 0)
		bdat_chunk_done(s);
	return used;
}

/* Start reading a chunk that will be thrown away with the given reply. */
static void
bdat_discard(struct session *s, size_t size, enum reply_id why)
{
	s->tx.bdat_discard = true;
	s->tx.bdat_reply = why;
	s->tx.bdat_resume_state = s->state;
	s->tx.bdat_remaining = size;
	if (size == 0) {
		session_reply(s, why);
		s->tx.bdat_discard = false;
		return;
	}
	s->state = SS_BDAT;
}

void
cmd_bdat(struct session *s, const struct smtp_command *cmd)
{
	enum reply_id why;
	size_t size;
	bool last;

	if (command_parse_bdat(cmd->args, cmd->argslen, &size, &last) !=
	    CMD_OK) {
		session_reply(s, R_BDAT_SYNTAX);
		return;
	}
	if (!transaction_ready(s, &why)) {
		bdat_discard(s, size, why);
		return;
	}
	if (!s->tx.used_bdat)
		content_begin(s, false);
	s->tx.used_bdat = true;
	s->tx.bdat_last = last;
	s->tx.bdat_remaining = size;
	s->state = SS_BDAT;
	session_set_timeout(s, s->cfg->timeout_data_block);
	if (size == 0)
		bdat_chunk_done(s);
}
