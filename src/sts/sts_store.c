/*
 * sts_store.c — MTA-STS policies: the TXT record, the fetch over HTTPS,
 * the cache in memory and on disk (see sts.h).
 *
 * One lookup: TXT of _mta-sts.DOMAIN; with an id that the cached policy
 * has, and more than a day of life left in it, the cached policy; else
 * the address of mta-sts.DOMAIN, then GET /.well-known/mta-sts.txt over
 * TLS with the certificate verified for that name (RFC 8461 s3.3).  A
 * fetch that fails falls back to a cached policy that has not expired
 * (s5.1: an attacker who blocks the fetch must not turn enforce off).
 */
#include "sts/sts.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/str.h"
#include "dns/resolver.h"

#define STS_PORT 443
#define POLICY_MAX 65536      /* s3.3: at most 64 KiB */
#define FETCH_TIMEOUT 60      /* seconds */
#define REFRESH_BEFORE 86400L /* refetch a day before expiry */
#define DOMAIN_MAX 254
#define ADDRS_MAX 8 /* addresses of mta-sts.DOMAIN tried, at most */
/* A TXT answer is used again for its TTL (as a resolver's cache would,
 * minus the lookup): most destinations have no record, and each message
 * to them would otherwise wait for one.  Bounded: a zero or tiny TTL
 * still spares a burst of messages the lookups, a huge one does not hide
 * a new policy id for long. */
#define TXT_REUSE_MIN 5    /* seconds */
#define TXT_REUSE_MAX 3600 /* seconds */
#define TXT_SLOTS 1024     /* direct-mapped: bounded, a collision evicts */

struct txt_seen {
	char domain[DOMAIN_MAX + 1];
	time_t until;
};

struct cached {
	char *domain;
	struct sts_policy p;
};

struct sts_store {
	struct event_base *base;
	struct dns_resolver *dns;
	char *dir;
	SSL_CTX *ctx;
	struct cached *c;
	size_t n;
	struct txt_seen *seen; /* TXT_SLOTS */
};

/* dns_resolve_txt() has no cancel: a cancelled lookup leaves this behind
 * with l NULL, and the TXT callback frees it. */
struct txt_hold {
	struct sts_lookup *l;
};

struct sts_lookup {
	struct sts_store *s;
	char domain[DOMAIN_MAX + 1];
	char host[DOMAIN_MAX + 16]; /* mta-sts.DOMAIN */
	sts_cb cb;
	void *arg;
	struct txt_hold *txt;
	struct event *txt_timer; /* the resolver's timeout for the TXT */
	struct dns_query *q;
	struct evhttp_connection *conn;
	/* The addresses of mta-sts.DOMAIN: the next is tried when a
	 * connection fails (RFC 8461 s3.3 fixes the port, not the address). */
	char *addrs[ADDRS_MAX];
	size_t naddrs, next;
	struct event *retry_ev;
	struct event *done_ev;
	char id[33];
	struct sts_policy result;
	bool have;
	enum sts_failure fail;
	char why[400];
};

static bool
domain_ok(const char *d)
{
	size_t n = strlen(d);

	return n > 0 && n <= DOMAIN_MAX && d[0] != '.' &&
	       strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
	       strstr(d, "..") == NULL;
}

static struct txt_seen *
seen_slot(const struct sts_store *s, const char *domain)
{
	unsigned long h = 5381;

	for (; *domain != '\0'; domain++)
		h = h * 33 + (unsigned char)*domain;
	return &s->seen[h % TXT_SLOTS];
}

/* Was the domain's TXT record (or its absence) seen lately? */
static bool
txt_fresh(const struct sts_store *s, const char *domain)
{
	const struct txt_seen *t = seen_slot(s, domain);

	return strcmp(t->domain, domain) == 0 && t->until > time(NULL);
}

unsigned
sts_txt_reuse(unsigned ttl)
{
	return ttl < TXT_REUSE_MIN   ? TXT_REUSE_MIN
	       : ttl > TXT_REUSE_MAX ? TXT_REUSE_MAX
	                             : ttl;
}

static void
txt_remember(struct sts_store *s, const char *domain, unsigned ttl)
{
	struct txt_seen *t = seen_slot(s, domain);

	snprintf(t->domain, sizeof(t->domain), "%s", domain);
	t->until = time(NULL) + (time_t)sts_txt_reuse(ttl);
}

static struct cached *
cache_find(struct sts_store *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].domain, domain) == 0)
			return &s->c[i];
	return NULL;
}

static struct cached *
cache_put(struct sts_store *s, const char *domain, const struct sts_policy *p)
{
	struct cached *c = cache_find(s, domain);

	if (c == NULL) {
		c = reallocarray(s->c, s->n + 1, sizeof(*c));
		if (c == NULL)
			abort();
		s->c = c;
		c += s->n++;
		c->domain = str_dup(domain);
	} else {
		sts_policy_clear(&c->p);
	}
	sts_policy_copy(&c->p, p);
	return c;
}

/* The file: "id ID\nexpires T\n\n" and the policy as it was served. */
static void
disk_load(struct sts_store *s, const char *domain)
{
	char path[4096], buf[POLICY_MAX + 128], err[64];
	struct sts_policy p;
	long long expires;
	const char *body;
	char id[33];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", s->dir, domain);
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	body = strstr(buf, "\n\n");
	if (body == NULL ||
	    sscanf(buf, "id %32s\nexpires %lld", id, &expires) != 2 ||
	    sts_policy_parse(body + 2, n - (size_t)(body + 2 - buf), &p, err,
	                     sizeof(err)) < 0)
		return;
	snprintf(p.id, sizeof(p.id), "%s", id);
	p.expires = (time_t)expires;
	cache_put(s, domain, &p);
	sts_policy_clear(&p);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* tmp, fsync, rename, fsync of the directory: never half a policy. */
static void
disk_save(struct sts_store *s, const char *domain, const struct sts_policy *p,
          const char *text, size_t len)
{
	char path[4096], tmp[4120], head[128];
	int fd, dfd, ok;

	if (fs_mkdir_p(s->dir, 0700) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", s->dir, domain);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(head, sizeof(head), "id %s\nexpires %lld\n\n", p->id,
	         (long long)p->expires);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ok = write_all(fd, head, strlen(head)) == 0 &&
	     write_all(fd, text, len) == 0 && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		log_event(LOG_LVL_WARN, "mta-sts", "domain", domain, "file",
		          path, "error", "cannot save the policy", NULL);
		return;
	}
	if ((dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

SSL_CTX *
sts_https_ctx(const char *ca_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	             : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* s3.3: the policy host's certificate must verify. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

struct sts_store *
sts_store_new(struct event_base *base, struct dns_resolver *dns,
              const char *dir, const char *ca_file)
{
	struct sts_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->dns = dns;
	s->dir = str_dup(dir);
	s->seen = calloc(TXT_SLOTS, sizeof(*s->seen));
	s->ctx = s->seen ? sts_https_ctx(ca_file) : NULL;
	if (s->ctx == NULL) {
		log_event(LOG_LVL_WARN, "mta-sts", "ca_file",
		          ca_file ? ca_file : "(system)", "error",
		          "cannot load the CA certificates", NULL);
		free(s->seen);
		free(s->dir);
		free(s);
		return NULL;
	}
	return s;
}

void
sts_store_free(struct sts_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->c[i].domain);
		sts_policy_clear(&s->c[i].p);
	}
	free(s->c);
	SSL_CTX_free(s->ctx);
	free(s->seen);
	free(s->dir);
	free(s);
}

static void
lookup_free(struct sts_lookup *l)
{
	if (l->txt != NULL)
		l->txt->l = NULL;
	if (l->txt_timer != NULL)
		event_free(l->txt_timer);
	if (l->q != NULL)
		dns_query_cancel(l->q);
	if (l->conn != NULL)
		evhttp_connection_free(l->conn);
	while (l->naddrs > 0)
		free(l->addrs[--l->naddrs]);
	if (l->retry_ev != NULL)
		event_free(l->retry_ev);
	event_free(l->done_ev);
	sts_policy_clear(&l->result);
	free(l);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_lookup *l = arg;

	(void)fd;
	(void)what;
	l->cb(l->arg, l->have ? &l->result : NULL, l->fail,
	      l->fail != STS_FAIL_NONE ? l->why : NULL);
	lookup_free(l);
}

/* p NULL: no policy. */
static void
finish(struct sts_lookup *l, const struct sts_policy *p)
{
	if (p != NULL) {
		sts_policy_copy(&l->result, p);
		l->have = true;
	}
	event_active(l->done_ev, EV_TIMEOUT, 0);
}

/* The cached policy, if it has not expired. */
static const struct sts_policy *
cached_valid(struct sts_lookup *l)
{
	const struct cached *c = cache_find(l->s, l->domain);

	return c != NULL && c->p.expires > time(NULL) ? &c->p : NULL;
}

static void
fetch_failed(struct sts_lookup *l, enum sts_failure fail, const char *why)
{
	const struct sts_policy *old = cached_valid(l);

	l->fail = fail;
	snprintf(l->why, sizeof(l->why), "%s", why);
	log_event(LOG_LVL_WARN, "mta-sts", "domain", l->domain, "error", why,
	          "using", old ? "cached policy" : "no policy", NULL);
	finish(l, old);
}

/* The policy host's certificate check, once a request has failed. */
static long
verify_result(const struct sts_lookup *l)
{
	struct bufferevent *bev =
	        l->conn ? evhttp_connection_get_bufferevent(l->conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
}

static void
http_done(struct evhttp_request *req, void *arg)
{
	struct sts_lookup *l = arg;
	struct evbuffer *body;
	const char *type;
	struct sts_policy p;
	char err[400], *text;
	size_t len;

	if (req == NULL || evhttp_request_get_response_code(req) != 200) {
		long v = verify_result(l);

		/* No answer at all (no connection, or no TLS without a
		 * certificate to blame): the host's next address. */
		if ((req == NULL ||
		     evhttp_request_get_response_code(req) == 0) &&
		    v == X509_V_OK && l->next < l->naddrs) {
			log_event(LOG_LVL_INFO, "mta-sts", "domain", l->domain,
			          "address", l->addrs[l->next - 1], "error",
			          "no answer", "next", l->addrs[l->next], NULL);
			event_active(l->retry_ev, EV_TIMEOUT, 0);
			return;
		}

		if (v != X509_V_OK)
			snprintf(err, sizeof(err),
			         "certificate verification failed for %s: %s",
			         l->host, X509_verify_cert_error_string(v));
		else
			snprintf(err, sizeof(err),
			         "fetching https://%s/.well-known/mta-sts.txt "
			         "failed (HTTP status %d)",
			         l->host,
			         req ? evhttp_request_get_response_code(req)
			             : 0);
		fetch_failed(l,
		             v != X509_V_OK ? STS_FAIL_WEBPKI : STS_FAIL_FETCH,
		             err);
		return;
	}
	type = evhttp_find_header(evhttp_request_get_input_headers(req),
	                          "Content-Type");
	body = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(body);
	if (type == NULL || strncasecmp(type, "text/plain", 10) != 0 ||
	    len > POLICY_MAX) {
		fetch_failed(l, STS_FAIL_INVALID,
		             "policy is not text/plain of at most 64 KiB");
		return;
	}
	text = (char *)evbuffer_pullup(body, -1);
	if (sts_policy_parse(text ? text : "", len, &p, err, sizeof(err)) < 0) {
		fetch_failed(l, STS_FAIL_INVALID, err);
		return;
	}
	snprintf(p.id, sizeof(p.id), "%s", l->id);
	p.expires = time(NULL) + p.max_age;
	cache_put(l->s, l->domain, &p);
	disk_save(l->s, l->domain, &p, text ? text : "", len);
	log_event(LOG_LVL_INFO, "mta-sts", "domain", l->domain, "fetched",
	          l->id, "mode", sts_mode_name(p.mode), NULL);
	finish(l, &p);
	sts_policy_clear(&p);
}

static int
http_start(struct sts_lookup *l, const char *addr)
{
	SSL *ssl = SSL_new(l->s->ctx);
	struct bufferevent *bev;
	struct evhttp_request *req;

	if (ssl == NULL)
		return -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set_tlsext_host_name(ssl, l->host) != 1 ||
	    SSL_set1_host(ssl, l->host) != 1) {
		SSL_free(ssl);
		return -1;
	}
	bev = bufferevent_openssl_socket_new(
	        l->s->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	l->conn = evhttp_connection_base_bufferevent_new(l->s->base, NULL, bev,
	                                                 addr, STS_PORT);
	if (l->conn == NULL) {
		bufferevent_free(bev);
		return -1;
	}
	evhttp_connection_set_timeout(l->conn, FETCH_TIMEOUT);
	evhttp_connection_set_max_body_size(l->conn, POLICY_MAX);
	req = evhttp_request_new(http_done, l);
	if (req == NULL)
		return -1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	                  l->host);
	return evhttp_make_request(l->conn, req, EVHTTP_REQ_GET,
	                           "/.well-known/mta-sts.txt");
}

/* The request to the next address of the policy host (from an event of
 * its own: the failed connection is not freed inside its callback). */
static void
try_next(evutil_socket_t fd, short what, void *arg)
{
	struct sts_lookup *l = arg;

	(void)fd;
	(void)what;
	if (l->conn != NULL) {
		evhttp_connection_free(l->conn);
		l->conn = NULL;
	}
	if (l->next >= l->naddrs || http_start(l, l->addrs[l->next++]) < 0)
		fetch_failed(l, STS_FAIL_FETCH,
		             "cannot start the HTTPS request");
}

static void
addr_done(void *arg, const struct dns_mx_result *res)
{
	struct sts_lookup *l = arg;
	size_t i;

	l->q = NULL;
	if (res->status != DNS_OK) {
		fetch_failed(l, STS_FAIL_FETCH,
		             res->error ? res->error
		                        : "policy host has no address");
		return;
	}
	for (i = 0; i < res->hosts[0].naddrs && l->naddrs < ADDRS_MAX; i++)
		if ((l->addrs[l->naddrs] = str_dup(res->hosts[0].addrs[i])) !=
		    NULL)
			l->naddrs++;
	try_next(-1, 0, l);
}

/* s3.1: exactly one TXT record starting "v=STSv1". */
static bool
one_id(const char *const *texts, size_t n, char *id, size_t len)
{
	size_t i, found = 0;

	for (i = 0; i < n; i++)
		if (strncmp(texts[i], "v=STSv1", 7) == 0 &&
		    sts_txt_id(texts[i], id, len) == 0)
			found++;
	return found == 1;
}

static void
txt_done(void *arg, enum dns_status status, const char *const *texts, size_t n,
         unsigned ttl)
{
	struct txt_hold *h = arg;
	struct sts_lookup *l = h->l;
	const struct sts_policy *old;

	free(h);
	if (l == NULL)
		return; /* cancelled or timed out */
	l->txt = NULL;
	evtimer_del(l->txt_timer);
	old = cached_valid(l);
	if (status != DNS_TEMPFAIL)
		txt_remember(l->s, l->domain, ttl);
	if (status != DNS_OK || !one_id(texts, n, l->id, sizeof(l->id))) {
		finish(l, old); /* s5.1: a valid cached policy still holds */
		return;
	}
	if (old != NULL && strcmp(old->id, l->id) == 0 &&
	    old->expires - time(NULL) > REFRESH_BEFORE) {
		finish(l, old);
		return;
	}
	l->q = dns_resolve_host(l->s->dns, l->host, addr_done, l);
	if (l->q == NULL)
		fetch_failed(l, STS_FAIL_FETCH, "resolver out of memory");
}

/* libunbound gives up on a silent name server only after its own
 * retries (tens of seconds); a delivery waits no longer for the TXT than
 * for its MX lookup ([relay] dns_timeout).  As a temporary DNS failure: a
 * valid cached policy still holds. */
static void
txt_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sts_lookup *l = arg;

	(void)fd;
	(void)what;
	l->txt->l = NULL; /* txt_done frees the hold when libunbound answers */
	l->txt = NULL;
	finish(l, cached_valid(l));
}

static void
arm_txt_timer(struct sts_lookup *l)
{
	unsigned ms = dns_resolver_timeout(l->s->dns);
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(l->txt_timer, &tv);
}

struct sts_lookup *
sts_lookup(struct sts_store *s, const char *domain, sts_cb cb, void *arg)
{
	struct sts_lookup *l = calloc(1, sizeof(*l));
	char name[DOMAIN_MAX + 16];
	size_t i;

	if (l == NULL)
		return NULL;
	l->s = s;
	l->cb = cb;
	l->arg = arg;
	for (i = 0; i < DOMAIN_MAX && domain[i] != '\0'; i++)
		l->domain[i] = (char)tolower((unsigned char)domain[i]);
	l->done_ev = event_new(s->base, -1, 0, done_cb, l);
	l->retry_ev = event_new(s->base, -1, 0, try_next, l);
	l->txt_timer = evtimer_new(s->base, txt_timeout, l);
	l->txt = calloc(1, sizeof(*l->txt));
	if (l->done_ev == NULL || l->retry_ev == NULL || l->txt_timer == NULL ||
	    l->txt == NULL) {
		free(l->txt);
		l->txt = NULL;
		lookup_free(l);
		return NULL;
	}
	if (!domain_ok(l->domain)) {
		free(l->txt);
		l->txt = NULL;
		finish(l, NULL);
		return l;
	}
	snprintf(l->host, sizeof(l->host), "mta-sts.%s", l->domain);
	if (txt_fresh(s, l->domain)) {
		free(l->txt);
		l->txt = NULL;
		finish(l, cached_valid(l));
		return l;
	}
	if (cache_find(s, l->domain) == NULL)
		disk_load(s, l->domain);
	snprintf(name, sizeof(name), "_mta-sts.%s", l->domain);
	l->txt->l = l;
	if (dns_resolve_txt_ttl(s->dns, name, txt_done, l->txt) < 0) {
		free(l->txt);
		l->txt = NULL;
		finish(l, cached_valid(l));
	} else if (l->txt != NULL) {
		arm_txt_timer(l);
	}
	return l;
}

void
sts_lookup_cancel(struct sts_lookup *l)
{
	if (l != NULL)
		lookup_free(l);
}
