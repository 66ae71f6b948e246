/*
 * outbound — the queue manager for mail that leaves this server: it takes
 * every queued message with recipients that are not local, groups them by
 * destination domain, finds the next hop (transport map, smarthost, or MX
 * records), hands one transaction at a time to the SMTP client, and acts on
 * what the remote said, recipient by recipient, through explain_decide():
 * delivered, bounced (with a DSN to the sender), retried later with
 * back-off, sent again at once in a new transaction (452 4.5.3), or the
 * whole destination slowed down (421, rate limits).  Messages that stay
 * too long bounce with 4.4.7; senders who asked get a "delayed" report.
 *
 * States go to the spool after every transaction; a restart resumes from
 * there (deferred recipients are tried again at once).
 *
 * Threads: event-loop thread only.
 */
#ifndef FERRY_SCHED_OUTBOUND_H
#define FERRY_SCHED_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct config;
struct envelope;
struct spool;
struct outbound;

struct outbound *outbound_start(struct event_base *base,
                                const struct config *cfg, struct spool *sp);
/* A reloaded configuration: which recipients are local (and so not this
 * agent's) is decided by it from now on.  Holds a reference. */
void outbound_set_site(struct outbound *ob, const struct config *cfg);
/* The DNSSEC probe's state ([relay] tls = dane), or NULL when DANE is
 * not in use. */
struct dnssec_status;
const struct dnssec_status *outbound_dnssec(const struct outbound *ob);
/* Keys to sign outbound mail with (kept by the caller; NULL: none). */
struct dkim_keys;
void outbound_set_dkim(struct outbound *ob, const struct dkim_keys *keys);
/* A resolver set up as delivery's ([relay] resolv_conf, dns_local_data),
 * for other lookups such as `ferry dkim check`. */
struct dns_resolver *outbound_resolver_new(struct event_base *base,
                                           const struct config *cfg);
/* A message was queued or found at startup.  True when it has no pending
 * recipient that local delivery would take (all are for the relay): the
 * caller need not hand it to local delivery too. */
bool outbound_enqueue(struct outbound *ob, const char *id);
/* A message was just committed with this envelope text: the same as
 * outbound_enqueue() without reading queue/ID.env back (no state record
 * can exist yet for a recipient of ours). */
bool outbound_enqueue_committed(struct outbound *ob, const char *id,
                                const char *env_text, size_t env_len);
/* The message was held or deleted: stop working on it. */
void outbound_forget(struct outbound *ob, const char *id);
/* Try every deferred message now. */
void outbound_flush(struct outbound *ob);
/* Local delivery put env's recipients into their mailboxes, they asked
 * for a success notice and are recorded RCPT_NOTIFYING: write the notice
 * to the sender, again until it is committed (notice.c).  env is lent. */
void outbound_success_notice(struct outbound *ob, const struct envelope *env);
/* Send the TLS reports (RFC 8460) of day ("YYYY-MM-DD") now, of every
 * policy domain with records that day, or only of domain; those already
 * sent are skipped.  Returns how many domains were looked at. */
int outbound_tls_report_send(struct outbound *ob, const char *day,
                             const char *domain);
/* Shutdown, first step: start nothing new, end what has not reached a
 * remote yet (lookups, waiting messages: their recipients stay queued),
 * and call done once every transaction already talking to a remote has
 * its answer and its result recorded.  A transaction cut at the final dot
 * would be sent again after the restart, a duplicate for the recipient. */
void outbound_drain(struct outbound *ob, void (*done)(void *), void *arg);
/* Abort transactions in flight (their recipients stay queued). */
void outbound_stop(struct outbound *ob);

#endif
