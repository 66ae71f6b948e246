/*
 * client — the SMTP client that hands one message to one remote server for
 * a set of recipients of the same destination (RFC 5321): EHLO with HELO
 * fallback, opportunistic STARTTLS (verify nothing; log what was seen) or
 * required TLS, AUTH PLAIN/LOGIN for a smarthost (only inside TLS whose
 * certificate verified: see relay_tls_verify()),
 * PIPELINING, SIZE (refused early when the remote's limit is smaller),
 * 8BITMIME, SMTPUTF8, DSN pass-through (NOTIFY, ORCPT, ENVID, RET), and the
 * RFC 5321 s4.5.3.2 timeouts.
 *
 * The client reports what the remote said for each recipient and for the
 * transaction; deciding retry / bounce / back-off is the scheduler's job
 * (through explain_decide()).  When the server answers 452 (or 552 with
 * X.5.3) to a RCPT after accepting others, the client sends the message to
 * the accepted ones and marks the rest RELAY_RCPT_NOT_TRIED, so the
 * scheduler opens another transaction for them (RFC 5321 s4.5.3.1.10).
 *
 * What the result says:
 *  - failed_stage is RELAY_STAGE_DONE when every recipient got its answer
 *    (at RCPT or at the final dot, or locally as below).  Otherwise it is
 *    where the session stopped: a non-220 greeting, EHLO and HELO
 *    refused, STARTTLS or AUTH failing, MAIL or DATA refused, a 421 at any
 *    point, a timeout, a protocol error or the connection lost.  Then
 *    session_reply holds the remote's reply (code 0 and `error` for local
 *    and network errors: "TLS required but ...", "timeout ...",
 *    "connection lost: ...", "protocol error: ...").
 *  - A session that breaks off (421, network, timeout, TLS or AUTH
 *    failure) leaves every recipient without a final answer NOT_TRIED,
 *    with no reply: that includes recipients the remote took at RCPT
 *    when the connection dropped before the final dot (the outcome is
 *    unknown, so the message is sent again: at least once).
 *  - MAIL refused: every recipient REJECTED with the MAIL reply.  DATA
 *    refused: the recipients taken at RCPT are REJECTED with it.
 *  - Refused here, before MAIL, with a reply made up locally: a message
 *    over the remote's SIZE (552 5.3.4), SMTPUTF8 needed but not offered
 *    (553 5.6.7), a sender or recipient address that cannot be put in a
 *    command (553 5.1.7 / 553 5.1.3).  failed_stage is RELAY_STAGE_MAIL
 *    when the whole message was refused this way.
 *  - A failed opportunistic TLS handshake ends the session (stage
 *    STARTTLS); retrying in plain text is for the caller to decide.
 *  - A reply's text is NULL when its code is 0.
 *
 * LMTP (target.lmtp): LHLO instead of EHLO (no HELO fallback, no
 * opportunistic STARTTLS), over a unix socket when the target has no
 * port, and after the final dot one reply per recipient RCPT took, in
 * RCPT order (RFC 2033 s4.2): each becomes that recipient's own outcome.
 * A connection that breaks off in the middle of those replies leaves
 * the recipients not yet answered NOT_TRIED, as above.
 *
 * Connection reuse: a job with keep_open does not end with QUIT.  When
 * its transaction is over and the connection is clean (the final dot
 * answered, or nothing sent because the message was refused here), the
 * result says `reusable` and the connection stays open until the
 * callback returns.  In the callback the caller may relay_client_keep()
 * it: it then idles until relay_client_reuse() runs the next job on it
 * (no new connect, greeting, EHLO, STARTTLS or AUTH), relay_client_close()
 * ends it, or the remote closes it or the idle time runs out.  A reusable
 * connection nobody keeps is closed without QUIT.
 *
 * Ownership — every client has exactly one owner, the only holder of its
 * handle, and the owner hears of its end exactly once:
 *  - From relay_client_start() or relay_client_reuse() a job owns it,
 *    until its callback.  The callback is the end of that ownership: the
 *    job forgets the handle there, first thing.  After the callback the
 *    client frees itself, unless it was kept or reused in the callback.
 *    The job's data must stay valid until the callback; the result is
 *    valid during the callback only.
 *  - From relay_client_keep() (inside the callback) the keeper owns it.
 *    A kept connection may end at any time on its own (idle time over,
 *    the remote closed it or said 421) or after relay_client_close(): it
 *    then stops being idle at once (relay_client_idle() says false) and
 *    runs closed_cb, once, just before it frees itself.  The keeper holds
 *    the handle until closed_cb, so that it can still abort it.
 *  - relay_client_reuse() passes it from the keeper to a job: the keeper
 *    forgets the handle, and closed_cb will not run.  The job's callback
 *    runs exactly once whatever state the connection was in: when it had
 *    begun to end, the result is a failure at RELAY_STAGE_MAIL with no
 *    reply ("connection lost: closed before it was reused"), as for a
 *    kept connection the remote dropped, and the caller connects anew.
 *    Keepers should hand out only what relay_client_idle() says is idle.
 *  - relay_client_abort() is for the owner, outside the callback: the
 *    client is freed at once and calls nobody.  From inside the callback
 *    it does nothing.
 * Whatever the path — success, refusal, failure, timeout, connection
 * lost, reuse, abort, or the end of the event loop (the owner aborts) —
 * the client is freed exactly once, and nobody holds its handle after.
 *
 * Threads: event-loop thread only.
 */
#ifndef FERRY_RELAY_CLIENT_H
#define FERRY_RELAY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "queue/envelope.h"

struct dane_policy;
struct event_base;
struct relay_client;

struct relay_target {
	const char *host; /* name for EHLO logs, SNI, Remote-MTA */
	const char *addr; /* numeric address to connect to */
	int port;
	bool tls_required;     /* fail (temporarily) without STARTTLS */
	bool tls_never;        /* never start TLS (security level none) */
	bool implicit_tls;     /* connect with TLS (port 465 style) */
	const char *auth_user; /* smarthost AUTH, or NULL */
	const char *auth_pass;
	/* Verification of the remote's certificate: required whenever
	 * auth_user is set (see relay/tls_client.h). */
	const char *tls_ca_file;     /* NULL: the system's CA store */
	const char *tls_fingerprint; /* pinned SHA-256, 64 hex digits */
	/* Verify the certificate (CA and host name) without AUTH: an MX
	 * host under an MTA-STS policy in enforce mode. */
	bool tls_verify;
	/* Check the certificate as tls_verify does, but only to report the
	 * outcome (result.tls_error): an MTA-STS policy in testing mode. */
	bool tls_check;
	bool lmtp; /* LMTP (RFC 2033); addr is a socket path when port is 0 */
	/* DANE (dane/dane.h): with DANE_VERIFY the peer must match these
	 * TLSA records; NULL or DANE_OFF: no DANE.  Set tls_required too. */
	const struct dane_policy *dane;
};

struct relay_job {
	const char *helo_name;      /* our name in EHLO */
	const struct envelope *env; /* sender, DSN options, recipients */
	const size_t *rcpt_idx;     /* which env->rcpts to send to */
	size_t nrcpt;
	const char *msg; /* message as stored (CRLF line ends) */
	size_t msglen;
	int timeout_connect; /* seconds; 0: the RFC 5321 defaults */
	bool keep_open;      /* leave the connection open for another job */
};

enum relay_rcpt_outcome {
	RELAY_RCPT_ACCEPTED,  /* the remote took the message for it (250) */
	RELAY_RCPT_REJECTED,  /* RCPT or DATA answered 4yz/5yz: see reply */
	RELAY_RCPT_NOT_TRIED, /* not attempted (split, or session failed) */
};

struct relay_reply {
	int code;          /* 0 when there was no reply (network error) */
	char enhanced[16]; /* "5.1.1" or "" */
	char *text;        /* the full reply, lines joined with " " */
};

/* How far the session's TLS was authenticated (the log's tls=). */
enum relay_tls_auth {
	RELAY_TLS_NONE,      /* no TLS */
	RELAY_TLS_UNTRUSTED, /* TLS, certificate not checked */
	RELAY_TLS_VERIFIED,  /* certificate verified (CA and name, or pin) */
	RELAY_TLS_DANE,      /* certificate matched DANE TLSA records */
};

/* "none", "untrusted", "verified", "dane-verified". */
const char *relay_tls_auth_name(enum relay_tls_auth a);

enum relay_stage {
	RELAY_STAGE_CONNECT,
	RELAY_STAGE_GREETING,
	RELAY_STAGE_EHLO,
	RELAY_STAGE_STARTTLS,
	RELAY_STAGE_AUTH,
	RELAY_STAGE_MAIL,
	RELAY_STAGE_RCPT,
	RELAY_STAGE_DATA, /* the DATA command, or the final dot */
	RELAY_STAGE_DONE,
};

struct relay_result {
	/* Session-level failure (or RELAY_STAGE_DONE with reply.code 0). */
	enum relay_stage failed_stage;
	struct relay_reply session_reply; /* reply that ended the session */
	const char *error;                /* local error text, or NULL */
	char remote_mta[300];             /* "mx.example.org [192.0.2.1]" */
	char tls_info[128];               /* "" when TLS was not used */
	enum relay_tls_auth tls_auth;
	char tls_error[256]; /* why a tls_check certificate failed, or "" */
	bool remote_dsn;     /* remote advertised DSN */
	bool reusable; /* idle and clean: relay_client_keep() may take it */
	/* One entry per job recipient, in job order. */
	enum relay_rcpt_outcome *outcome;
	struct relay_reply *rcpt_reply; /* RCPT reply, or the DATA reply */
	bool *after_data; /* the reply answers DATA or the final dot */
};

typedef void (*relay_done_cb)(void *arg, const struct relay_result *res);

/* Starts connecting at once; the callback runs exactly once, later. */
struct relay_client *relay_client_start(struct event_base *base,
                                        const struct relay_target *target,
                                        const struct relay_job *job,
                                        relay_done_cb cb, void *arg);
/* Abort; no callback after this. */
void relay_client_abort(struct relay_client *c);
/* Has the transaction gone as far as DATA?  From then on the remote may
 * take the message, so aborting it could have it sent twice. */
bool relay_client_past_rcpt(const struct relay_client *c);

typedef void (*relay_closed_cb)(void *arg);

/* From the callback of a reusable result: keep the connection idle for at
 * most idle_secs.  closed_cb runs once when a kept connection ends on its
 * own (remote closed it, idle time over) or after relay_client_close(). */
void relay_client_keep(struct relay_client *c, int idle_secs,
                       relay_closed_cb closed_cb, void *arg);
/* A kept connection waiting for a job (not ending, not in use). */
bool relay_client_idle(const struct relay_client *c);
/* Runs job on a kept connection to the same target; cb runs exactly once,
 * later, as with relay_client_start().  May be called from inside the
 * callback that kept it. */
void relay_client_reuse(struct relay_client *c, const struct relay_job *job,
                        relay_done_cb cb, void *arg);
/* Ends a kept connection politely (QUIT). */
void relay_client_close(struct relay_client *c);
/* The target it is connected to, and when it connected. */
const struct relay_target *relay_client_target(const struct relay_client *c);
time_t relay_client_opened(const struct relay_client *c);

#endif
