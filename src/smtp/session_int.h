/*
 * session_int.h — the session struct, shared by session.c and the command
 * handlers (cmd_*.c).  Not for use outside src/smtp/.
 */
#ifndef FERRY_SMTP_SESSION_INT_H
#define FERRY_SMTP_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include "config/config.h"
#include "policy/policy.h"
#include "policy/recipient.h"
#include "queue/envelope.h"
#include "reply/reply.h"
#include "smtp/addr.h"
#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/params.h"

struct bufferevent;
struct event;
struct config;
struct spool;
struct spool_msg;
struct evbuffer;
struct milter_check;
struct milter_links;

enum session_state {
	SS_CONNECTED,  /* greeting sent, no EHLO/HELO yet */
	SS_READY,      /* EHLO/HELO done, no transaction */
	SS_MAIL,       /* MAIL accepted */
	SS_DATA,       /* reading DATA content */
	SS_BDAT,       /* reading a BDAT chunk */
	SS_COMMITTING, /* message handed to the spool, waiting for it */
	SS_STARTTLS,   /* 220 queued; the handshake starts once it is sent */
	SS_AUTH,       /* inside an AUTH exchange */
	SS_CLOSING,    /* final reply queued, closing when written */
};

/* How long a closing session waits for its last reply to reach the peer
 * before it drops the connection (docs/smtp.md). */
#define SESSION_CLOSE_LINGER_SECONDS 3

struct transaction {
	struct mail_options mail;
	struct envelope env;    /* sender, recipients, DSN options */
	unsigned rcpt_accepted; /* RCPT commands answered 250 */
	unsigned rcpt_attempted;
	struct spool_msg *msg; /* open while content is arriving */
	struct data_scanner scan;
	bool used_bdat;
	bool bdat_last;
	bool bdat_discard;             /* chunk is read but rejected */
	enum reply_id bdat_reply;      /* reply for a discarded chunk */
	int bdat_resume_state;         /* state after a discarded chunk */
	size_t bdat_remaining;         /* octets of the chunk still to read */
	int write_error;               /* errno of a failed spool write */
	struct evbuffer *held;         /* content kept for the milters */
	struct milter_check *milter;   /* the milters are looking at it */
	struct timespec commit_start;  /* for the commit latency metric */
	struct mailauth_results *auth; /* [mailauth] verify: the results */
	const char **auth_rcpts;       /* DATA: the recipients, for it */
	struct policy_run *auth_run;   /* DATA: the checks are running */
};

struct session;

/* A question to the policy, kept until it is answered (maybe later, from
 * the event loop): what the command's continuation needs. */
struct session_ask {
	struct policy_run *run; /* set while waiting for the verdict */
	void (*then)(struct session *s, const struct policy_verdict *v);
	struct policy_facts facts;
	enum policy_stage stage;
	bool esmtp;
	char helo[256];
	char from[ADDR_PATH_MAX + 4];
	char to[ADDR_PATH_MAX + 4];
	struct mailaddr rcpt;
	struct rcpt_options opts;
	struct recipient_result res;
};

struct session {
	struct smtp_server *srv;
	const struct config *cfg;
	struct spool *spool;
	struct bufferevent *bev;
	int fd;
	bool bev_owns_fd; /* TLS bufferevents close it themselves */
	TAILQ_ENTRY(session) entry;
	enum listener_role role;
	int tls_policy;     /* enum tls_policy of the listener */
	bool tls;           /* TLS is on (or its handshake is) */
	char tls_info[128]; /* protocol and cipher, after handshake */
	char *auth_user;    /* login after a successful AUTH */
	struct auth_request *auth_req;
	bool auth_waiting; /* backend or failure delay pending */
	char auth_mech[32];
	unsigned auth_failures;
	unsigned unauth_commands; /* submission: commands before AUTH */
	struct event *auth_delay; /* holds back a 535 after failures */
	enum session_state state;
	unsigned long serial; /* for log lines */
	char client_ip[64];
	char helo[256];
	bool esmtp;                  /* EHLO (not HELO) */
	bool shutdown_pending;       /* 421 4.3.2 after the commit */
	bool freed_while_committing; /* connection gone; free in callback */
	bool discarding_line;        /* inside an overlong command line */
	bool too_many_errors;        /* error limit reached: 421 and close */
	bool too_many_rejected;      /* rejected-recipient limit reached */
	enum smtp_verb verb;         /* command being run, for counting */
	struct event *close_timer;   /* frees the session once it is closed */
	/* Whole-step deadline, whatever trickles in: a command line from its
	 * first octet, a TLS handshake from its start. */
	struct event *deadline;
	size_t close_unsent; /* octets dropped by a timed-out close */
	unsigned errors;
	unsigned rejected_rcpts; /* 5xx RCPT replies since the last message */
	unsigned messages;
	struct transaction tx;
	struct session_ask ask;
	struct milter_links *milters; /* the conversations, from connect on */
	bool milter_waiting;          /* a stage waits for the milters */
	/* A plain connection's replies wait for the end of the loop's pass
	 * (smtp_server_flush_later); TLS ones are written by libevent. */
	bool flush_queued;
	TAILQ_ENTRY(session) flush_entry;
};

/* smtp_server internals used by the session. */
struct event_base *smtp_server_base(struct smtp_server *srv);
const struct config *smtp_server_config(struct smtp_server *srv);
struct spool *smtp_server_spool(struct smtp_server *srv);
struct tls_server *smtp_server_tls(struct smtp_server *srv);
struct auth_service *smtp_server_auth(struct smtp_server *srv);
const char *smtp_server_hostname(const struct smtp_server *srv);
void smtp_server_session_gone(struct smtp_server *srv, struct session *s);
/* Write s's replies at the end of the loop's current pass: the event runs
 * after the callbacks already due, so the replies of every session served
 * in the pass leave then, each session's in one write. */
void smtp_server_flush_later(struct smtp_server *srv, struct session *s);

/* session.c */
void session_reply(struct session *s, enum reply_id id, ...);
void session_reply_lines(struct session *s, enum reply_id id,
                         const char *const *lines, size_t nlines, ...);
/*
 * End the session once the replies already queued are written, or after
 * SESSION_CLOSE_LINGER_SECONDS, or when the peer disconnects, whichever
 * comes first.  The session is never freed before control returns to the
 * event loop: a handler may still use it after calling this.
 */
void session_close(struct session *s);
void session_reset_transaction(struct session *s);
void session_set_timeout(struct session *s, int seconds);
void session_resume(struct session *s);
/* Use bev for the connection from now on (STARTTLS). */
void session_attach_bev(struct session *s, struct bufferevent *bev);
/* Starts the session's deadline unless it runs already (0: none). */
void session_arm_deadline(struct session *s, int seconds);
/* Free the bufferevent and close the connection. */
void session_drop_bev(struct session *s);
/* The end-of-pass write of a plain session's replies (server.c). */
void session_flush(struct session *s);
/* Sequence check for MAIL/RCPT/DATA/BDAT: replies 503 if not greeted. */
bool session_require_greeting(struct session *s);
/* 501 / 555 for a bad ESMTP parameter (cmd_mail.c). */
void session_reply_param_error(struct session *s, enum param_status st,
                               const struct esmtp_param *bad);

/* Command handlers. */
void cmd_helo(struct session *s, const struct smtp_command *cmd);
void cmd_ehlo(struct session *s, const struct smtp_command *cmd);
void cmd_mail(struct session *s, const struct smtp_command *cmd);
void cmd_rcpt(struct session *s, const struct smtp_command *cmd);
void cmd_data(struct session *s, const struct smtp_command *cmd);
void cmd_bdat(struct session *s, const struct smtp_command *cmd);
void cmd_rset(struct session *s, const struct smtp_command *cmd);
void cmd_noop(struct session *s, const struct smtp_command *cmd);
void cmd_quit(struct session *s, const struct smtp_command *cmd);
void cmd_vrfy(struct session *s, const struct smtp_command *cmd);
void cmd_expn(struct session *s, const struct smtp_command *cmd);
void cmd_help(struct session *s, const struct smtp_command *cmd);
void cmd_starttls(struct session *s, const struct smtp_command *cmd);
void cmd_auth(struct session *s, const struct smtp_command *cmd);

/* cmd_tls.c: the handshake starts once the 220 has reached the socket. */
void session_start_tls(struct session *s);
/* TLS is required on this listener and not yet active. */
bool session_tls_missing(const struct session *s);
bool session_offers_starttls(const struct session *s);

/* cmd_auth.c */
#define AUTH_LINE_MAX 12288 /* RFC 4954 s4: SASL response lines */
void auth_line(struct session *s, const char *line, size_t len);
bool session_offers_auth(const struct session *s);
void session_auth_cleanup(struct session *s);
/* Stop a pending exchange or failure delay: the session is closing. */
void session_auth_cancel(struct session *s);
/* Submission ports: MAIL needs AUTH; counts commands before it. */
bool session_needs_auth(const struct session *s);

/* session_policy.c: ask the policy at each stage.  then() runs with the
 * verdict; the session reads no input until it has. */
typedef void (*session_then_fn)(struct session *s,
                                const struct policy_verdict *v);
void session_ask_policy(struct session *s, enum policy_stage stage,
                        session_then_fn then);
/* Sends the verdict's refusal; true when it refused. */
bool session_refused(struct session *s, const struct policy_verdict *v);
/* Connect stage: greets the client or refuses it. */
void session_admit(struct session *s);
void session_policy_cancel(struct session *s);
struct policy *smtp_server_policy(struct smtp_server *srv);
unsigned smtp_server_client_count(struct smtp_server *srv, const char *ip);

/* cmd_data.c: feed content octets from the input; returns octets used. */
size_t content_feed(struct session *s, const char *in, size_t len);
/* The message stored: commit it; the final reply is out: next one. */
void content_commit(struct session *s);
void content_count(enum reply_id id);
void content_done(struct session *s);

/* cmd_milter.c: the listener's milters see a message before it is
 * committed.  hold keeps the content in memory when there are milters;
 * check asks them, then commits or replies; cleanup cancels. */
void session_milter_hold(struct session *s);
void session_milter_check(struct session *s);
void session_milter_cleanup(struct session *s);
/* After the policy passed a stage (connect, HELO, MAIL, RCPT): true when
 * the milters are asked; their verdict goes to s->ask.then later, and
 * the session reads no input until then.  close ends the conversations
 * (session end). */
bool session_milter_stage(struct session *s, enum policy_stage stage);
void session_milter_close(struct session *s);
/* cmd_auth_check.c: at the final dot, SPF, DKIM and DMARC through the
 * policy's DATA stage; then the milters (if any) and the commit. */
bool session_auth_wanted(const struct session *s);
void session_auth_check(struct session *s);

/* received.c: the Received header for this transaction. */
void received_protocol(const struct session *s, char *buf, size_t len);
size_t received_header(const struct session *s, const char *queue_id, char *buf,
                       size_t len);

#endif
