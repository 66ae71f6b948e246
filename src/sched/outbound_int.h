/*
 * outbound_int.h — the queue manager's private structures, shared by
 * outbound.c (messages, timer, dispatch), route.c (next hops),
 * conn_cache.c (connections kept open), result.c (acting on replies) and
 * bounce.c (DSNs to senders).
 *
 * Ownership (the client's side is in relay/client.h):
 *  - A relay client has one holder at a time.  A job holds job->client
 *    from relay_client_start() or relay_client_reuse() until the client's
 *    callback (route.c client_done), which clears job->client first; the
 *    job never touches that client again.  The cache (ob->conns) holds a
 *    kept connection from conn_cache_put(), inside that callback, until
 *    conn_cache_take() gives it to a job (only one relay_client_idle()
 *    says is idle) or its closed callback says it is gone; one that is
 *    ending stays listed until then, so that shutdown can abort it.
 *  - A job holds its message (m->active) and destination (d->active)
 *    until outbound_job_done(), which runs exactly once per job and only
 *    when no client or DNS query is attached to it: from the client's
 *    callback (through out_result_apply()), where no client could be started
 *    or no hop is left (route.c), or from outbound_abort_jobs() at
 *    shutdown after it has aborted the client and the query.
 *  - A message is freed only when no job holds it (m->active == 0), and
 *    stays while a recipient waits for its bounce report (RCPT_BOUNCING):
 *    the original is the only record of that report until it is committed.
 *  - A bounce report being committed (struct out_dsn, bounce.c) is listed
 *    in ob->dsns from spool_msg_commit() until its callback; it names its
 *    message by id, never by pointer (the message may be deleted
 *    meanwhile).  outbound_stop() detaches the listed ones (d->ob = NULL):
 *    their callbacks only free them.
 *  - outbound_stop(): the jobs first (they point into messages), then the
 *    kept connections, ending ones too, then the reports being committed,
 *    then the messages.
 */
#ifndef FERRY_SCHED_OUTBOUND_INT_H
#define FERRY_SCHED_OUTBOUND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include "dane/dane.h"
#include "dns/dnssec_probe.h"
#include "dns/resolver.h"
#include "dns/tlsa.h"
#include "dsn/dsn.h"
#include "queue/envelope.h"
#include "relay/client.h"
#include "sts/sts.h"
#include "tlsrpt/tlsrpt.h"
#include "reply/status.h"

struct event;
struct event_base;
struct config;
struct spool;

/* A recipient to report on in a DSN (owned strings). */
struct out_report {
	size_t idx;
	enum dsn_action action;
	char *status;     /* "5.1.1" */
	char *diagnostic; /* the remote's reply, or a local explanation */
	char *remote;     /* remote MTA, or NULL */
	char *reason;     /* explain reason name */
	time_t when;
};

struct out_dest;

struct out_msg {
	TAILQ_ENTRY(out_msg) entry;
	TAILQ_ENTRY(out_msg) wait_entry; /* in waiting_on->waiting */
	struct out_dest *waiting_on;     /* destination it waits for, or NULL */
	char id[QUEUE_ID_LEN + 1];
	struct envelope env; /* with the states known so far */
	char *data;          /* message, loaded for an attempt */
	size_t len;
	time_t next_attempt;
	unsigned attempts; /* temporary failures so far */
	int active;        /* jobs in flight */
	bool delay_notified;
	size_t *changed_idx; /* recipients whose state changed */
	size_t nchanged;
	struct out_report *reports; /* for the DSNs of this attempt */
	size_t nreports;
	bool deferred;         /* a temporary failure this attempt */
	bool forgotten;        /* held or deleted: drop, record nothing */
	unsigned dsn_inflight; /* recorded reports being committed */
	unsigned dsn_failures; /* bounce reports that could not be queued */
	time_t dsn_retry_at;   /* when to write it again (back-off) */
};
TAILQ_HEAD(out_msg_list, out_msg);

TAILQ_HEAD(out_wait_list, out_msg);

struct out_dest {
	TAILQ_ENTRY(out_dest) entry;
	struct out_wait_list waiting; /* due, but the destination is busy */
	char *domain;
	int active;           /* connections open */
	int limit;            /* connections allowed now (window.c) */
	int credit;           /* transactions delivered toward limit + 1 */
	time_t hold_until;    /* no growth until then (a refusal) */
	time_t backoff_until; /* rate-limited or unreachable until then */
	unsigned backoffs;    /* consecutive back-offs */
	time_t window_start;  /* destination_rate accounting */
	int window_count;
};
TAILQ_HEAD(out_dest_list, out_dest);

/* One next hop to try: host name (for logs) and numeric address. */
struct out_hop {
	char *host;
	char *addr;
	int port;
	bool dnssec;     /* MX and address records validated: DANE applies */
	bool dane_known; /* its TLSA records were looked up */
	struct dane_policy dane;
};

struct out_job {
	TAILQ_ENTRY(out_job) entry;
	struct outbound *ob;
	struct out_msg *msg;
	struct out_dest *dest;
	size_t *idx; /* recipients of this transaction */
	size_t n;
	struct out_hop *hops;
	size_t nhops, hop; /* the one being tried */
	struct dns_query *query;
	struct dns_tlsa_query *tlsa;  /* the current hop's TLSA lookup */
	struct sts_lookup *sts_query; /* the domain's MTA-STS policy */
	struct sts_policy sts;        /* mode NONE without a policy */
	int tls_level;                /* enum tls_policy for the destination */
	bool policies_waived;         /* "TLS-Required: No" (RFC 8689 s5) */
	bool dnssec_wait;      /* level dane: waits for the first probe */
	bool dane_unavailable; /* level dane acting as may: no DNSSEC */
	struct relay_client *client;
	bool reused; /* client came from the connection cache */
	struct relay_target target;
	struct relay_job rjob; /* the client reads it until its callback */
	struct relay_reply last_failure; /* last session-level failure */
	char last_error[256];
	const char *tls_seen; /* relay_tls_auth_name() of the last session */
	bool too_many;        /* window_refused(): the last hop's refusal was a
	                         connection too many, not a failure */
	char cipher[128];     /* its TLS version and cipher, or "" */
	bool aborted;         /* ended by shutdown, with no outcome to record */
};

TAILQ_HEAD(out_job_list, out_job);

struct out_conn; /* conn_cache.c */
TAILQ_HEAD(out_conn_list, out_conn);

struct outbound {
	struct out_job_list jobs;
	struct event_base *base;
	const struct config *cfg;
	/* The domains and mailboxes in force (a reload replaces it, see
	 * outbound_set_site); cfg stays the one the relay started with. */
	const struct config *site;
	struct spool *spool;
	struct dns_resolver *dns;     /* no DNSSEC validation */
	struct dns_resolver *dns_sec; /* validating, for DANE; or NULL */
	struct dnssec_probe *probe;   /* with dns_sec, or a dead one */
	struct sts_store *sts;        /* MTA-STS policies, or NULL */
	struct out_msg_list msgs;
	struct out_dest_list dests;
	struct out_conn_list conns;   /* idle connections (conn_cache.c) */
	struct event *tick;           /* retries that came due */
	LIST_HEAD(, out_dsn) dsns;    /* bounce reports being committed */
	struct dkim_signer *signer;   /* dkim_sign.c; NULL: no keys */
	struct tlsrpt_sender *tlsrpt; /* tlsrpt_send.c */
	/* No new transaction starts (shutdown); with drained set, the
	 * transactions in flight are let finish, then drained fires. */
	bool stopping, draining;
	struct event *drained;
	void (*drained_cb)(void *);
	void *drained_arg;
};

/* dkim_sign.c.  start: if m (just loaded) is to be signed, hands it to the
 * signing thread and returns true; m counts as active until the fields are
 * prepended, then outbound_msg_ready() resumes it.  stop: ends the thread
 * and drops what it had not finished (before messages are freed). */
bool outbound_dkim_start(struct outbound *ob, struct out_msg *m);
void outbound_dkim_stop(struct outbound *ob);
/* outbound.c: m has its data and may be dispatched (or freed, if it was
 * forgotten meanwhile). */
void outbound_msg_ready(struct outbound *ob, struct out_msg *m);

/* window.c: how many connections a destination may have now.  It starts
 * at destination_concurrency_initial and grows by one per `limit`
 * transactions delivered while mail waits for a connection, up to
 * destination_concurrency (slow start).
 * window_refused: the current hop refused this job's connection (no
 * answer, or a 4xx greeting) while other connections to the destination
 * are open: the remote limits connections, not mail.  Lowers the limit
 * below the connections open, holds it there for a minute, and returns
 * true; when the last hop ends so (job->too_many), the job's recipients
 * wait for a free connection instead of being deferred. */
void window_init(struct out_dest *d, const struct config *cfg);
bool window_may_open(const struct out_dest *d);
void window_delivered(struct out_dest *d, const struct config *cfg);
bool window_refused(struct out_job *job, const struct relay_result *res);

/* outbound.c */
struct out_dest *outbound_dest(struct outbound *ob, const char *domain);
void outbound_job_done(struct out_job *job);
void outbound_schedule(struct outbound *ob);
void outbound_forget_job(struct outbound *ob, struct out_job *job);
void outbound_abort_jobs(struct outbound *ob);

/* expiry.c: when the message is due next; bounce what is too old and send
 * the "delayed" reports that were asked for. */
time_t outbound_next_due(const struct out_msg *m, const struct outbound *ob);
time_t outbound_retry_time(const struct out_msg *m, const struct outbound *ob,
                           time_t wanted);
void outbound_check_age(struct outbound *ob, struct out_msg *m);
bool outbound_rcpt_is_outbound(const struct outbound *ob,
                               const struct envelope_rcpt *r);

/* route.c: the resolver (with [relay] DNS settings, no DNSSEC); the same
 * validating with dnssec_trust_anchor (NULL when it cannot be used);
 * whether any destination may get DANE; next hops of a job. */
struct dns_resolver *outbound_resolver_new(struct event_base *base,
                                           const struct config *cfg);
struct dns_resolver *outbound_resolver_dnssec(struct event_base *base,
                                              const struct config *cfg);
bool outbound_uses_dane(const struct config *cfg);
void out_route_job(struct out_job *job);
/* The MTA-STS store under the spool ([relay] mta_sts), or NULL. */
struct sts_store *outbound_sts_new(struct outbound *ob);
/* The destination name of everything the smarthost takes. */
#define OUTBOUND_SMARTHOST "[smarthost]"
/* Does mail for domain go through the smarthost in shared transactions:
 * a smarthost, no transport entry, not one of tls_required_domains (those
 * keep transactions of their own, with TLS required)? */
bool outbound_via_smarthost(const struct config *cfg, const char *domain);
void out_route_next_hop(struct out_job *job);
/* Remember why the current hop failed (a status made up here, with its
 * text), for the deferral when no hop is left. */
void route_hop_failed(struct out_job *job, enum status_id st, const char *text);
void hops_free(struct out_hop *hops, size_t n);

/* conn_cache.c: connections kept open between transactions.  put is
 * for the callback of a reusable result; take gives a kept connection to
 * the same target, or NULL. */
void conn_cache_put(struct outbound *ob, struct relay_client *c);
struct relay_client *conn_cache_take(struct outbound *ob,
                                     const struct relay_target *t);
void conn_cache_clear(struct outbound *ob);
/* Whether a connection opened for a may carry mail for b. */
bool conn_same_target(const struct relay_target *a,
                      const struct relay_target *b);

/* result.c */
void out_result_apply(struct out_job *job, const struct relay_result *res);
/* RFC 8460: note the outcome of a session (or lookup) a DANE (dane) or
 * MTA-STS policy governed, for `ferry tls-report`. */
void result_tls_report(struct out_job *job, bool dane, const char *mx,
                       const char *ip, enum tlsrpt_result r,
                       const char *reason);
/* Every recipient of the job gets the same fate without a transaction. */
void out_result_all(struct out_job *job, enum rcpt_state st, const char *status,
                    const char *text, const char *remote);
void out_msg_set_state(struct out_msg *m, size_t idx, enum rcpt_state st,
                       const char *reply);
/* The recipient's record is written at the end of the attempt. */
void out_msg_mark_changed(struct out_msg *m, size_t idx);
void out_msg_add_report(struct out_msg *m, size_t idx, enum dsn_action action,
                        const char *status, const char *diagnostic,
                        const char *remote, const char *reason);
void out_msg_clear_reports(struct out_msg *m);

/* bounce.c: queue the DSNs the reports of this attempt call for (failed,
 * delayed, delivered/relayed), as each recipient's NOTIFY asks.
 * bounce_mark, before the states are recorded: every failed recipient
 * whose sender is to get a report becomes RCPT_BOUNCING, and stays so
 * (the message queued) until that report is committed; its callback makes
 * them RCPT_BOUNCED through outbound_bounce_reported().  A report that
 * could not be written is written again later (bounce_retry, from the
 * recipients' states alone, so also after a restart), with back-off. */
void bounce_mark(struct out_msg *m);
void bounce_send(struct outbound *ob, struct out_msg *m);
bool bounce_pending(const struct out_msg *m);
/* The envelope recipients of a report to address: a local one through
 * its aliases into Maildirs, any other as it is; NOTIFY=NEVER. */
void outbound_report_rcpts(const struct config *cfg, struct envelope *env,
                           const char *address);
void bounce_retry(struct outbound *ob, struct out_msg *m, time_t now);
void bounce_stop(struct outbound *ob);
/* outbound.c: the report on recipients idx[] is committed (they are now
 * RCPT_BOUNCED): record that, and dequeue the message if it is done. */
void outbound_bounce_reported(struct outbound *ob, struct out_msg *m,
                              const size_t *idx, size_t n);
struct out_msg *outbound_msg_find(struct outbound *ob, const char *id);

#endif
