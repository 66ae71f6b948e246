/*
 * conn_cache.c — connections to remote servers kept open between
 * transactions, so that a busy destination gets its next message without
 * a new connect, greeting, EHLO, STARTTLS and AUTH (Postfix keeps a
 * connection cache for the same reason).  A connection is kept for the
 * same target only (host, address, port, TLS and AUTH settings), idles
 * for at most [relay] connection_cache_time, is not reused once older
 * than connection_reuse_limit, and at most destination_concurrency of
 * them wait per target.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "config/config.h"
#include "sched/outbound_int.h"

struct out_conn {
	TAILQ_ENTRY(out_conn) entry;
	struct outbound *ob;
	struct relay_client *client; /* ours until its closed callback */
};

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A connection authenticated by DANE serves only jobs that ask for the
 * same records, and one without DANE no job that asks for it. */
static bool
same_dane(const struct dane_policy *a, const struct dane_policy *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return dane_policy_same(a, b);
}

/* Every field that decides how the connection was opened and checked: a
 * connection whose certificate was verified against another CA, or not at
 * all, must never carry mail for a route that demands that check. */
bool
conn_same_target(const struct relay_target *a, const struct relay_target *b)
{
	return a->port == b->port && a->tls_required == b->tls_required &&
	       a->tls_never == b->tls_never &&
	       a->implicit_tls == b->implicit_tls && a->lmtp == b->lmtp &&
	       same_str(a->addr, b->addr) && same_str(a->host, b->host) &&
	       same_str(a->auth_user, b->auth_user) &&
	       same_str(a->auth_pass, b->auth_pass) &&
	       same_dane(a->dane, b->dane) && a->tls_verify == b->tls_verify &&
	       a->tls_check == b->tls_check &&
	       same_str(a->tls_ca_file, b->tls_ca_file) &&
	       same_str(a->tls_fingerprint, b->tls_fingerprint);
}

static bool
too_old(const struct outbound *ob, const struct relay_client *c)
{
	return time(NULL) - relay_client_opened(c) >=
	       ob->cfg->relay_conn_reuse_limit;
}

static size_t
count_idle(const struct outbound *ob, const struct relay_target *t)
{
	const struct out_conn *oc;
	size_t n = 0;

	TAILQ_FOREACH(oc, &ob->conns, entry)
		if (relay_client_idle(oc->client) &&
		    conn_same_target(relay_client_target(oc->client), t))
			n++;
	return n;
}

static void
conn_closed(void *arg)
{
	struct out_conn *oc = arg;

	TAILQ_REMOVE(&oc->ob->conns, oc, entry);
	free(oc);
}

/* It stays listed (for conn_cache_clear) until its closed callback. */
static void
conn_close(struct out_conn *oc)
{
	relay_client_close(oc->client);
}

void
conn_cache_put(struct outbound *ob, struct relay_client *c)
{
	const struct relay_target *t = relay_client_target(c);
	struct out_conn *oc;

	if (ob->cfg->relay_conn_cache_time <= 0)
		return; /* the client closes itself */
	oc = xcalloc(1, sizeof(*oc));
	oc->ob = ob;
	oc->client = c;
	relay_client_keep(c, ob->cfg->relay_conn_cache_time, conn_closed, oc);
	if (ob->stopping || too_old(ob, c) ||
	    count_idle(ob, t) >= (size_t)ob->cfg->relay_dest_concurrency) {
		TAILQ_INSERT_TAIL(&ob->conns, oc, entry);
		conn_close(oc);
		return;
	}
	/* Most recently used first: the others idle out when load drops. */
	TAILQ_INSERT_HEAD(&ob->conns, oc, entry);
}

struct relay_client *
conn_cache_take(struct outbound *ob, const struct relay_target *t)
{
	struct out_conn *oc, *next;
	struct relay_client *c;

	for (oc = TAILQ_FIRST(&ob->conns); oc != NULL; oc = next) {
		next = TAILQ_NEXT(oc, entry);
		/* One that is ending (idle time over, closed by the
		 * remote) is no longer ours to give: it goes at its closed
		 * callback. */
		if (!relay_client_idle(oc->client) ||
		    !conn_same_target(relay_client_target(oc->client), t))
			continue;
		if (too_old(ob, oc->client)) {
			conn_close(oc);
			continue;
		}
		c = oc->client;
		TAILQ_REMOVE(&ob->conns, oc, entry);
		free(oc);
		return c;
	}
	return NULL;
}

void
conn_cache_clear(struct outbound *ob)
{
	struct out_conn *oc;

	while ((oc = TAILQ_FIRST(&ob->conns)) != NULL) {
		TAILQ_REMOVE(&ob->conns, oc, entry);
		relay_client_abort(oc->client);
		free(oc);
	}
}
