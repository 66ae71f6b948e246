/*
 * tlsrpt_int.h — the sending of the daily TLS reports (tlsrpt_send.c) and
 * its https part (tlsrpt_https.c), inside the queue manager.
 */
#ifndef FERRY_SCHED_TLSRPT_INT_H
#define FERRY_SCHED_TLSRPT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "dns/resolver.h"

struct event_base;
struct outbound;

/* One POST of a gzipped report.  The callback runs once, later, with the
 * HTTP status (0: no answer); free the post afterwards, outside it. */
struct rpt_post;
typedef void (*rpt_post_cb)(void *arg, int status);
/* NULL when the URL is unusable or out of memory (no callback then). */
struct rpt_post *rpt_post_start(struct event_base *base,
                                struct dns_resolver *dns, SSL_CTX *ctx,
                                const char *url, const unsigned char *body,
                                size_t len, rpt_post_cb cb, void *arg);
void rpt_post_free(struct rpt_post *p);

/* The sender: a timer at [relay] tls_report_hour, and the reports in
 * flight.  start returns NULL when reports are off. */
struct tlsrpt_sender;
struct tlsrpt_sender *tlsrpt_sender_start(struct outbound *ob);
void tlsrpt_sender_stop(struct tlsrpt_sender *s);

#endif
