/*
 * client_int.h — private to the SMTP client (client*.c): the connection
 * state and the functions the state machine's files share.
 *
 * The state names the reply the client waits for.  Every reply goes to
 * the handler of the current state (client_dispatch); a handler sends the
 * next command and moves on with client_expect(), or ends the session with
 * client_fail() (at once) or client_quit() (QUIT first).  The end is
 * client_finish(), or client_idle() for a connection left open, and both
 * call back from a fresh event-loop turn.
 */
#ifndef FERRY_RELAY_CLIENT_INT_H
#define FERRY_RELAY_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "relay/client.h"
#include "relay/ehlo.h"
#include "relay/reply_parse.h"
#include "reply/status.h"

/* RFC 5321 s4.5.3.2 timeouts, in seconds. */
#define T_GREETING 300
#define T_EHLO 300 /* EHLO, HELO, STARTTLS, TLS handshake, AUTH */
#define T_MAIL 300
#define T_RCPT 300
#define T_DATA 120
#define T_BLOCK 180
#define T_DOT 600
#define T_QUIT 5 /* we have what we need; do not wait long */

enum client_state {
	ST_CONNECTING,
	ST_GREETING,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS, /* handshake running */
	ST_AUTH,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_DOT,
	ST_RSET, /* ending a transaction that did not reach the final dot */
	ST_QUIT,
	ST_IDLE, /* between transactions, connection kept open */
	ST_DONE,
};

/* Who holds the handle, and so who hears of the end (client.h). */
enum client_owner {
	OWNER_JOB,    /* a job: its callback runs once, then it lets go */
	OWNER_KEEPER, /* kept between jobs: closed_cb once it is gone */
};

/* How far each job recipient got. */
enum rcpt_progress {
	RP_PENDING, /* no answer yet */
	RP_RCPT_OK, /* RCPT took it; the final dot decides */
	RP_FINAL,   /* outcome and reply are final */
};

struct bufferevent;
struct event;
struct evbuffer;
struct evbuffer_cb_entry;

struct relay_client {
	struct event_base *base;
	struct relay_target target; /* own copies of the strings */
	const struct relay_job *job;
	size_t nrcpt; /* job->nrcpt; the job may be gone after the callback */
	relay_done_cb cb;
	void *cbarg;
	time_t opened;

	/* Reuse (see client.h): who is told at the end, the keeper of a
	 * kept connection, and a job handed over from inside the callback,
	 * started after it returns. */
	enum client_owner owner;
	relay_closed_cb closed_cb;
	void *closed_arg;
	int idle_secs;
	const struct relay_job *next_job;
	relay_done_cb next_cb;
	void *next_arg;

	struct bufferevent *bev;   /* the socket, or TLS over it */
	struct evbuffer *sock_out; /* the socket's output buffer */
	struct evbuffer_cb_entry *out_cb;
	struct event *timer;
	struct event *done_ev;
	enum client_state state;
	bool in_callback;

	struct ehlo_caps caps;
	bool helo_tried;  /* an EHLO has been answered or refused */
	bool tls;         /* the session runs over TLS */
	bool tls_refused; /* STARTTLS was refused: go on in plain text */
	bool authed;
	int auth_step; /* AUTH LOGIN: 0 user, 1 password, 2 done */

	bool pipelined;
	size_t *send_idx; /* job positions of the RCPTs sent, in order */
	size_t nsend;
	size_t rcpt_sent;   /* RCPTs written */
	size_t rcpt_answer; /* RCPT replies read */
	size_t naccepted;
	size_t dot_answer; /* LMTP: final-dot replies read */
	bool split;        /* 452: the rest go into another transaction */

	enum rcpt_progress *progress;
	struct relay_result res;
	char errbuf[256];
};

/* client.c */
void client_send(struct relay_client *c, const char *line);
void client_expect(struct relay_client *c, enum client_state st, int secs);
void client_fail(struct relay_client *c, const struct reply_parsed *r,
                 const char *error);
void client_fail_quit(struct relay_client *c, const struct reply_parsed *r,
                      const char *error);
void client_quit(struct relay_client *c);
void client_idle(struct relay_client *c);
void client_finish(struct relay_client *c);
int client_start_tls(struct relay_client *c);
struct relay_tls_peer;
/* What the peer's certificate must be (buf filled), or NULL: anything. */
const struct relay_tls_peer *client_tls_peer(const struct relay_client *c,
                                             struct relay_tls_peer *buf);
size_t client_pending_output(const struct relay_client *c);
size_t client_pending_input(const struct relay_client *c);

/* client_session.c: greeting, EHLO/HELO, STARTTLS, AUTH */
void relay_session_greeting(struct relay_client *c,
                            const struct reply_parsed *r);
void relay_session_ehlo(struct relay_client *c, const struct reply_parsed *r);
void relay_session_helo(struct relay_client *c, const struct reply_parsed *r);
void relay_session_starttls(struct relay_client *c,
                            const struct reply_parsed *r);
void relay_session_tls_ready(struct relay_client *c);
void relay_session_auth(struct relay_client *c, const struct reply_parsed *r);

/* client_txn.c: MAIL, RCPT, DATA, final dot */
void relay_txn_start(struct relay_client *c);
void relay_txn_end(struct relay_client *c);
void relay_txn_mail(struct relay_client *c, const struct reply_parsed *r);
void relay_txn_rcpt(struct relay_client *c, const struct reply_parsed *r);
void relay_txn_data(struct relay_client *c, const struct reply_parsed *r);
void relay_txn_dot(struct relay_client *c, const struct reply_parsed *r);
void relay_txn_rset(struct relay_client *c, const struct reply_parsed *r);
void relay_txn_data_progress(struct relay_client *c, bool drained);

/* client_result.c */
void relay_result_init(struct relay_client *c);
void relay_result_free(struct relay_client *c);
void relay_result_reset(struct relay_client *c);
void relay_result_copy_reply(struct relay_reply *dst,
                             const struct reply_parsed *r);
void relay_result_synthetic(struct relay_reply *dst, int code, const char *enh,
                            const char *text);
/* relay_result_synthetic() from a row of statuses.def; text NULL is the row's.
 */
void relay_result_status(struct relay_reply *dst, enum status_id st,
                         const char *text);
void relay_result_rcpt(struct relay_client *c, size_t job_pos,
                       enum relay_rcpt_outcome o, const struct reply_parsed *r);
enum relay_stage relay_result_stage(enum client_state st);
void relay_result_log(const struct relay_client *c);

#endif
