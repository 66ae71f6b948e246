/*
 * tlsrpt_https.c — a TLS report POSTed to an https rua (RFC 8460 s5.2):
 * the host's address through the relay's resolver, then libevent's HTTP
 * client over OpenSSL with the certificate verified for the URL's host,
 * as the MTA-STS store fetches policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/mem.h"
#include "base/str.h"
#include "sched/tlsrpt_int.h"

#define POST_TIMEOUT 60 /* seconds */

struct rpt_post {
	struct event_base *base;
	SSL_CTX *ctx;
	char host[256];
	int port;
	char *path;
	unsigned char *body;
	size_t len;
	struct dns_query *q;
	struct evhttp_connection *conn;
	rpt_post_cb cb;
	void *arg;
};

/* "https://host[:port][/path]"; false when it is not that. */
static bool
split_url(struct rpt_post *p, const char *url)
{
	const char *h = url + 8, *e = h + strcspn(h, ":/?");
	const char *path;

	if ((size_t)(e - h) >= sizeof(p->host) || e == h)
		return false;
	memcpy(p->host, h, (size_t)(e - h));
	p->host[e - h] = '\0';
	p->port = 443;
	if (*e == ':') {
		char *end;
		long port = strtol(e + 1, &end, 10);

		if (port < 1 || port > 65535 || (*end && *end != '/'))
			return false;
		p->port = (int)port;
		e = end;
	}
	path = *e == '/' ? e : "/";
	p->path = str_dup(path);
	return p->path != NULL;
}

void
rpt_post_free(struct rpt_post *p)
{
	if (p == NULL)
		return;
	if (p->q != NULL)
		dns_query_cancel(p->q);
	if (p->conn != NULL)
		evhttp_connection_free(p->conn);
	free(p->path);
	free(p->body);
	free(p);
}

static void
post_done(struct evhttp_request *req, void *arg)
{
	struct rpt_post *p = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;

	p->cb(p->arg, code);
}

static int
post_start(struct rpt_post *p, const char *addr)
{
	SSL *ssl = SSL_new(p->ctx);
	struct bufferevent *bev;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char len[24];

	if (ssl == NULL)
		return -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set_tlsext_host_name(ssl, p->host) != 1 ||
	    SSL_set1_host(ssl, p->host) != 1) {
		SSL_free(ssl);
		return -1;
	}
	bev = bufferevent_openssl_socket_new(
	        p->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	p->conn = evhttp_connection_base_bufferevent_new(
	        p->base, NULL, bev, addr, (ev_uint16_t)p->port);
	if (p->conn == NULL) {
		bufferevent_free(bev);
		return -1;
	}
	evhttp_connection_set_timeout(p->conn, POST_TIMEOUT);
	req = evhttp_request_new(post_done, p);
	if (req == NULL)
		return -1;
	h = evhttp_request_get_output_headers(req);
	snprintf(len, sizeof(len), "%zu", p->len);
	evhttp_add_header(h, "Host", p->host);
	evhttp_add_header(h, "Content-Type", "application/tlsrpt+gzip");
	evhttp_add_header(h, "Content-Length", len);
	evbuffer_add(evhttp_request_get_output_buffer(req), p->body, p->len);
	return evhttp_make_request(p->conn, req, EVHTTP_REQ_POST, p->path);
}

static void
addr_done(void *arg, const struct dns_mx_result *res)
{
	struct rpt_post *p = arg;

	p->q = NULL;
	if (res->status != DNS_OK || post_start(p, res->hosts[0].addrs[0]) < 0)
		p->cb(p->arg, 0);
}

struct rpt_post *
rpt_post_start(struct event_base *base, struct dns_resolver *dns, SSL_CTX *ctx,
               const char *url, const unsigned char *body, size_t len,
               rpt_post_cb cb, void *arg)
{
	struct rpt_post *p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->ctx = ctx;
	p->cb = cb;
	p->arg = arg;
	p->body = xmalloc(len ? len : 1);
	memcpy(p->body, body, len);
	p->len = len;
	if (!split_url(p, url)) {
		rpt_post_free(p);
		return NULL;
	}
	p->q = dns_resolve_host(dns, p->host, addr_done, p);
	if (p->q == NULL) {
		rpt_post_free(p);
		return NULL;
	}
	return p;
}
