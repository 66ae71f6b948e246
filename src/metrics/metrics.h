/*
 * metrics — counters the modules increment and one exporter that shows
 * them in the Prometheus text format over HTTP (libevent's evhttp), at
 * /metrics on [metrics] listen (off by default, loopback only).  No other
 * module formats Prometheus text.
 *
 * The counters are process-wide and atomic: any thread may count.  The
 * exporter runs on the event loop; queue size and age are read from the
 * spool directory when scraped.
 */
#ifndef FERRY_METRICS_METRICS_H
#define FERRY_METRICS_METRICS_H

#include <stdbool.h>

struct event_base;
struct config;
struct spool;
struct metrics_http;

enum metric_counter {
	M_CONNECTIONS,       /* SMTP connections accepted */
	M_TLS_HANDSHAKES,    /* server TLS handshakes completed */
	M_TLS_FAILURES,      /* server TLS handshakes failed */
	M_RELAY_CONNECTIONS, /* outbound SMTP/LMTP connections opened */
	M_NCOUNTERS,
};

enum metric_delivery { MD_DELIVERED, MD_DEFERRED, MD_BOUNCED, MD_NRESULTS };
enum metric_transport { MT_RELAY, MT_LMTP, MT_NTRANSPORTS };

void metrics_count(enum metric_counter c);
/* A session began on a listener of this kind (enum listener_role). */
void metrics_session(int role);
/* The reply to a message's final dot (accepted 2xx or refused). */
void metrics_message_reply(int code);
void metrics_delivery(enum metric_transport t, enum metric_delivery r);
/* The relay's DNSSEC probe (dns/dnssec_probe.h): 1 available, 0 not, -1
 * not known yet. */
void metrics_dnssec(int state);
/* From handing a message to the spool until it is durable. */
void metrics_commit_latency(double seconds);

/* local_stats: local deliveries so far (deliver/local.h), or NULL. */
typedef unsigned long (*metrics_local_fn)(void *arg);

/* Errors: NULL (logged) when the address cannot be bound. */
struct metrics_http *metrics_http_start(struct event_base *base,
                                        const struct config *cfg,
                                        struct spool *sp);
void metrics_http_set_local(struct metrics_http *m, metrics_local_fn fn,
                            void *arg);
void metrics_http_stop(struct metrics_http *m);

#endif
