/*
 * milter — the Sendmail/Postfix content filter protocol (version 6), the
 * MTA side.  Each SMTP session holds one conversation per milter of its
 * listener (milter_links_*), opened at connect and asked at each stage
 * as the client gets there: connect, HELO, MAIL, each RCPT; a refusal
 * answers that command.  When the message is complete, milter_check()
 * goes on over the same conversations, one milter after the other:
 * DATA, the header fields, end of headers, the body and end of message,
 * with the macros rspamd and OpenDKIM read (j, _, i, {daemon_name},
 * {client_addr}, {client_name}, {client_port}, {mail_addr}, {rcpt_addr},
 * {auth_authen}, {auth_type}, {tls_version}, {cipher}).  What each
 * milter says is applied before the next one sees the message: accept,
 * continue, reject or tempfail (with its own reply text), discard,
 * header fields added, inserted, changed or deleted, recipients added or
 * removed, the envelope sender changed, the body replaced, the message
 * quarantined (kept on hold with the milter's reason).  Steps a milter
 * asks to skip are not sent; replies it says it will not send are not
 * awaited.
 *
 * A milter that cannot be reached, breaks the protocol or does not answer
 * within the timeout gets the default action: tempfail (the message is
 * refused with 451 4.7.1, the client retries) or accept (the milter is
 * left out for the rest of the session).
 *
 * Ownership: milter_check() copies what it needs from the request; the
 * result is valid during the callback only.  milter_cancel() before the
 * callback stops everything, and the callback never runs.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_MILTER_MILTER_H
#define FERRY_MILTER_MILTER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct milter_check;
struct milter_links;

enum milter_default { MILTER_DEFAULT_TEMPFAIL, MILTER_DEFAULT_ACCEPT };

struct milter_request {
	const char *milters; /* "inet:127.0.0.1:8891,unix:/run/x.sock" */
	int timeout;         /* seconds per reply */
	enum milter_default default_action;
	const char *hostname;    /* j */
	const char *daemon_name; /* {daemon_name}: the listener's role */
	const char *client_addr, *client_name;
	int client_port;
	const char *helo;
	const char *sender; /* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *queue_id;
	const char *auth_user, *auth_mech; /* NULL without AUTH */
	const char *tls_version, *cipher;  /* NULL without TLS */
	const char *data;                  /* the message, CRLF line ends */
	size_t len;
	/* milter_check(): the session's conversations (milter_links_open),
	 * which have seen connect, HELO, MAIL and RCPT. */
	struct milter_links *links;
};

enum milter_verdict {
	MILTER_ACCEPT,
	MILTER_REJECT,   /* 5xx */
	MILTER_TEMPFAIL, /* 4xx */
	MILTER_DISCARD,  /* say 250, deliver nothing */
};

struct milter_result {
	enum milter_verdict verdict;
	const char *reply; /* the milter's own "550 5.7.1 text", or NULL */
	const char *who;   /* the milter that decided, or NULL */
	const char *why;   /* for the log: "timeout", "connect failed", ... */
	/* ACCEPT: the message (changed when data != NULL) and recipients. */
	const char *data;
	size_t len;
	const bool *rcpt_removed; /* per request recipient */
	const char *const *rcpt_added;
	size_t nadded;
	/* SMFIR_CHGFROM: the new envelope sender ("" for <>), or NULL */
	const char *sender;
	/* SMFIR_QUARANTINE: the milter's reason, or NULL; the message is
	 * kept on hold instead of delivered */
	const char *quarantine;
	const char *quarantined_by;
};

typedef void (*milter_done_cb)(void *arg, const struct milter_result *res);

/* Errors: NULL only without memory (aborts); every failure to talk to a
 * milter is reported through the callback, which always runs later. */
struct milter_check *milter_check(struct event_base *base,
                                  const struct milter_request *req,
                                  milter_done_cb cb, void *arg);
void milter_cancel(struct milter_check *mc);

/*
 * The conversations of one SMTP session: opened at connect, one per
 * milter, asked at each stage as the client gets there, and used at the
 * final dot (milter_request.links).  A stage's verdict: ACCEPT (go on),
 * REJECT or TEMPFAIL with the milter's reply if it gave one.  A milter
 * that accepts is left out for the rest of the message (of the session
 * when it accepts at connect or HELO); a discard before the final dot
 * is decided there.  A milter that fails is closed for the session: it
 * is left out (default accept), or every message is refused at its
 * final dot (default tempfail); the stage itself goes on.
 *
 * Ownership: links copy the milter list; the other strings of the
 * request (and of each stage's, rcpts[0] included) must live until the
 * stage's callback has run or milter_links_free().  One stage at a
 * time, never while a final-dot check runs.
 */
enum milter_stage {
	MILTER_STAGE_CONNECT,
	MILTER_STAGE_HELO,
	MILTER_STAGE_MAIL,
	MILTER_STAGE_RCPT, /* the recipient is req->rcpts[0] */
};

struct milter_stage_result {
	enum milter_verdict verdict;
	const char *reply; /* the milter's own "550 5.7.1 text", or NULL */
	const char *who;
};

typedef void (*milter_stage_cb)(void *arg,
                                const struct milter_stage_result *res);

struct milter_links *milter_links_open(struct event_base *base,
                                       const struct milter_request *req);
/* cb always runs later, from the event loop. */
void milter_links_stage(struct milter_links *ls, enum milter_stage stage,
                        const struct milter_request *req, milter_stage_cb cb,
                        void *arg);
/* The transaction is over (RSET, refused, delivered): SMFIC_ABORT to the
 * milters still in it, as Postfix does; the next message starts anew. */
void milter_links_abort(struct milter_links *ls);
/* Closes them all; a pending stage's callback never runs. */
void milter_links_free(struct milter_links *ls);

/* Is spec a milter address this module can connect to? */
bool milter_spec_valid(const char *spec);

#endif
