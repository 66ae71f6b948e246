/*
 * test_relay_client.c — the outbound SMTP client (src/relay/) against a
 * scripted SMTP server on 127.0.0.1 that runs in the same event loop, plus
 * table tests of its pure parts (reply parser, EHLO keywords, xtext,
 * command building, dot-stuffing).
 *
 * The fake server answers each command from the case's script (a default
 * answer when the script leaves it out), records the command lines and
 * the DATA content it received, and can switch to TLS with a throwaway
 * self-signed certificate made here with the OpenSSL API.  Every case is
 * bounded by a 10-second guard on the event loop.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "base/log.h"
#include "queue/envelope.h"
#include "relay/client.h"
#include "relay/command.h"
#include "relay/ehlo.h"
#include "relay/reply_parse.h"
#include "relay/xtext.h"

#define MAXRCPT 8

/* ---- the scripted server ---- */

struct script {
	const char *greeting; /* NULL: never says anything */
	const char *ehlo;
	const char *helo;
	const char *starttls;
	const char *auth; /* answer to AUTH PLAIN / the last LOGIN step */
	const char *mail;
	const char *rcpt[MAXRCPT];
	const char *data;
	const char *dot;
	bool drop_in_data; /* close once message data arrives */
	bool implicit_tls; /* TLS from the first byte */
	bool break_tls;    /* say 220 to STARTTLS, then close */
	bool count_data;   /* count DATA octets instead of keeping them */
	bool quit_silent;  /* never answer QUIT (nor close) */
};

struct srv_conn;

struct fake_server {
	struct event_base *base;
	struct evconnlistener *lis;
	int port;
	const struct script *sc;
	SSL_CTX *ssl_ctx;
	struct srv_conn *conn;
	char cmds[8192]; /* command lines received, each ending in "\n" */
	size_t cmdlen;
	char data[8192]; /* DATA content as received, final dot included */
	size_t datalen;
	bool mail_saw_data; /* "DATA" already buffered when MAIL was read */
	size_t data_octets; /* with count_data */
	int nconn;
};

struct srv_conn {
	struct fake_server *srv;
	struct bufferevent *bev;
	bool in_data;
	bool closing;
	int auth_login; /* AUTH LOGIN lines still to come */
	size_t nrcpt;
};

static const char default_ehlo[] = "250-fake.test\r\n250-8BITMIME\r\n"
                                   "250 ENHANCEDSTATUSCODES";

static void srv_conn_free(struct srv_conn *sc);

static void
append(char *buf, size_t *len, size_t cap, const char *s, size_t n)
{
	if (*len + n >= cap)
		fail_msg("fake server buffer full: %.200s", buf);
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

/* Sends text (CRLF added); a 421 makes the server close after it. */
static void
say(struct srv_conn *sc, const char *text)
{
	bufferevent_write(sc->bev, text, strlen(text));
	bufferevent_write(sc->bev, "\r\n", 2);
	if (strncmp(text, "421", 3) == 0)
		sc->closing = true;
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL ? s : def;
}

static void srv_readcb(struct bufferevent *bev, void *arg);
static void srv_writecb(struct bufferevent *bev, void *arg);
static void srv_eventcb(struct bufferevent *bev, short what, void *arg);

static void
srv_start_tls(struct srv_conn *sc)
{
	SSL *ssl = SSL_new(sc->srv->ssl_ctx);
	struct bufferevent *tls;

	assert_non_null(ssl);
	tls = bufferevent_openssl_filter_new(sc->srv->base, sc->bev, ssl,
	                                     BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(tls);
	sc->bev = tls;
	bufferevent_setcb(tls, srv_readcb, srv_writecb, srv_eventcb, sc);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void
srv_rcpt(struct srv_conn *sc)
{
	const char *r = NULL;

	if (sc->nrcpt < MAXRCPT)
		r = sc->srv->sc->rcpt[sc->nrcpt];
	sc->nrcpt++;
	say(sc, or_default(r, "250 2.1.5 ok"));
}

/* Answers one command line; returns false when reading must stop. */
static bool
srv_command(struct srv_conn *sc, const char *line, struct evbuffer *in)
{
	const struct script *s = sc->srv->sc;

	if (sc->auth_login > 0) {
		if (--sc->auth_login > 0)
			say(sc, "334 UGFzc3dvcmQ6");
		else
			say(sc, or_default(s->auth, "235 2.7.0 ok"));
	} else if (strncasecmp(line, "EHLO", 4) == 0) {
		say(sc, or_default(s->ehlo, default_ehlo));
	} else if (strncasecmp(line, "HELO", 4) == 0) {
		say(sc, or_default(s->helo, "250 fake.test"));
	} else if (strncasecmp(line, "STARTTLS", 8) == 0) {
		const char *r = or_default(s->starttls, "220 2.0.0 go ahead");

		say(sc, r);
		if (s->break_tls) {
			sc->closing = true;
		} else if (strncmp(r, "220", 3) == 0) {
			srv_start_tls(sc);
			return false;
		}
	} else if (strcasecmp(line, "AUTH LOGIN") == 0) {
		sc->auth_login = 2;
		say(sc, "334 VXNlcm5hbWU6");
	} else if (strncasecmp(line, "AUTH", 4) == 0) {
		say(sc, or_default(s->auth, "235 2.7.0 ok"));
	} else if (strncasecmp(line, "MAIL", 4) == 0) {
		sc->srv->mail_saw_data =
		        evbuffer_search(in, "DATA\r\n", 6, NULL).pos >= 0;
		say(sc, or_default(s->mail, "250 2.1.0 ok"));
	} else if (strncasecmp(line, "RCPT", 4) == 0) {
		srv_rcpt(sc);
	} else if (strcasecmp(line, "DATA") == 0) {
		const char *r = or_default(s->data, "354 go ahead");

		say(sc, r);
		sc->in_data = strncmp(r, "354", 3) == 0;
	} else if (strcasecmp(line, "QUIT") == 0) {
		if (s->quit_silent)
			return true;
		say(sc, "221 2.0.0 bye");
		sc->closing = true;
	} else {
		say(sc, "250 2.0.0 ok");
	}
	return !sc->closing;
}

/* One line of message content; returns false when reading must stop. */
static bool
srv_data_line(struct srv_conn *sc, const char *line)
{
	struct fake_server *srv = sc->srv;

	if (srv->sc->drop_in_data) {
		srv_conn_free(sc);
		return false;
	}
	if (srv->sc->count_data) {
		srv->data_octets += strlen(line) + 2;
	} else {
		append(srv->data, &srv->datalen, sizeof(srv->data), line,
		       strlen(line));
		append(srv->data, &srv->datalen, sizeof(srv->data), "\r\n", 2);
	}
	if (strcmp(line, ".") == 0) {
		sc->in_data = false;
		say(sc, or_default(srv->sc->dot, "250 2.0.0 queued as X"));
	}
	return true;
}

static void
srv_readcb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *sc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;
	bool go_on = true;

	while (go_on && !sc->closing &&
	       (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT))) {
		if (sc->in_data) {
			go_on = srv_data_line(sc, line);
		} else {
			append(sc->srv->cmds, &sc->srv->cmdlen,
			       sizeof(sc->srv->cmds), line, n);
			append(sc->srv->cmds, &sc->srv->cmdlen,
			       sizeof(sc->srv->cmds), "\n", 1);
			go_on = srv_command(sc, line, in);
		}
		free(line);
	}
}

static void
srv_writecb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *sc = arg;

	if (sc->closing)
		srv_conn_free(sc);
}

static void
srv_eventcb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		srv_conn_free(arg);
}

static void
srv_conn_free(struct srv_conn *sc)
{
	sc->srv->conn = NULL;
	bufferevent_free(sc->bev);
	free(sc);
}

static void
srv_acceptcb(struct evconnlistener *lis, evutil_socket_t fd,
             struct sockaddr *sa, int salen, void *arg)
{
	struct fake_server *srv = arg;
	struct srv_conn *sc = calloc(1, sizeof(*sc));

	assert_non_null(sc);
	assert_null(srv->conn);
	srv->nconn++;
	srv->conn = sc;
	sc->srv = srv;
	sc->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(sc->bev, srv_readcb, srv_writecb, srv_eventcb, sc);
	bufferevent_enable(sc->bev, EV_READ | EV_WRITE);
	if (srv->sc->implicit_tls)
		srv_start_tls(sc);
	if (srv->sc->greeting != NULL)
		say(sc, srv->sc->greeting);
}

/* SHA-256 of the fake server's certificate, for pinning it. */
static char server_fingerprint[65];

static void
remember_fingerprint(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++)
		snprintf(server_fingerprint + 2 * i, 3, "%02x", md[i]);
}

static SSL_CTX *
make_server_ctx(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	SSL_CTX *ctx;

	assert_non_null(pkey);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"fake.test", -1, -1,
	                           0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	remember_fingerprint(x);
	ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pkey), 1);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ctx;
}

static void
server_start(struct fake_server *srv, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lis = evconnlistener_new_bind(
	        base, srv_acceptcb, srv,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	        (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(srv->lis);
	assert_int_equal(getsockname(evconnlistener_get_fd(srv->lis),
	                             (struct sockaddr *)&sin, &len),
	                 0);
	srv->port = ntohs(sin.sin_port);
	srv->ssl_ctx = make_server_ctx();
}

static void
server_stop(struct fake_server *srv)
{
	if (srv->conn != NULL)
		srv_conn_free(srv->conn);
	if (srv->lis != NULL)
		evconnlistener_free(srv->lis);
	SSL_CTX_free(srv->ssl_ctx);
}

/* ---- the client side ---- */

struct captured {
	int ncalls;
	enum relay_stage stage;
	int session_code;
	char session_text[512];
	char error[256];
	char remote_mta[300];
	char tls_info[128];
	bool remote_dsn;
	bool reusable;
	enum relay_rcpt_outcome o[MAXRCPT];
	int code[MAXRCPT];
	char enh[MAXRCPT][16];
	char text[MAXRCPT][512];
};

struct fixture {
	struct event_base *base;
	struct fake_server srv;
	struct script sc;
	struct envelope env;
	size_t idx[MAXRCPT];
	struct relay_target target;
	struct relay_job job;
	struct captured got;
	char msg[4096];
	/* Connection reuse: the client, whether the callback keeps it, a job
	 * the callback runs next on it, and closed callbacks seen. */
	struct relay_client *client;
	bool keep;
	int idle_secs;
	const struct relay_job *next_job;
	int closed;
};

static void
copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static void
closed_cb(void *arg)
{
	struct fixture *f = arg;

	f->closed++;
	event_base_loopbreak(f->base);
}

static void
done_cb(void *arg, const struct relay_result *res)
{
	struct fixture *f = arg;
	struct captured *g = &f->got;

	g->ncalls++;
	g->stage = res->failed_stage;
	g->session_code = res->session_reply.code;
	copy_text(g->session_text, sizeof(g->session_text),
	          res->session_reply.text);
	copy_text(g->error, sizeof(g->error), res->error);
	copy_text(g->remote_mta, sizeof(g->remote_mta), res->remote_mta);
	copy_text(g->tls_info, sizeof(g->tls_info), res->tls_info);
	g->remote_dsn = res->remote_dsn;
	g->reusable = res->reusable;
	for (size_t i = 0; i < f->job.nrcpt; i++) {
		g->o[i] = res->outcome[i];
		g->code[i] = res->rcpt_reply[i].code;
		copy_text(g->enh[i], sizeof(g->enh[i]),
		          res->rcpt_reply[i].enhanced);
		copy_text(g->text[i], sizeof(g->text[i]),
		          res->rcpt_reply[i].text);
	}
	if (f->keep && res->reusable)
		relay_client_keep(f->client, f->idle_secs, closed_cb, f);
	if (f->next_job != NULL && res->reusable) {
		const struct relay_job *next = f->next_job;

		f->next_job = NULL;
		relay_client_reuse(f->client, next, done_cb, f);
		return; /* the loop goes on to the next job's callback */
	}
	event_base_loopbreak(f->base);
}

/* Appends n recipients r<k>@example.net to the envelope and the job. */
static void
add_rcpts(struct fixture *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char addr[64];
		size_t k;

		snprintf(addr, sizeof(addr), "r%zu@example.net",
		         f->env.nrcpts + 1);
		k = envelope_add_rcpt(&f->env, addr, addr, NULL, 0);
		f->idx[f->job.nrcpt++] = k;
	}
}

static void
set_msg(struct fixture *f, const char *msg)
{
	copy_text(f->msg, sizeof(f->msg), msg);
	f->job.msg = f->msg;
	f->job.msglen = strlen(f->msg);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	server_start(&f->srv, f->base);
	f->srv.sc = &f->sc;
	f->sc.greeting = "220 fake.test ESMTP";
	f->env.sender = strdup("sender@example.org");
	f->target.host = "mx.example.net";
	f->target.addr = "127.0.0.1";
	f->target.port = f->srv.port;
	f->job.helo_name = "ferry.example.org";
	f->job.env = &f->env;
	f->job.rcpt_idx = f->idx;
	set_msg(f, "Subject: test\r\n\r\nhello\r\n");
	add_rcpts(f, 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	server_stop(&f->srv);
	event_base_free(f->base);
	envelope_free(&f->env);
	free(f);
	return 0;
}

/* Runs one session to its callback; returns the seconds it took. */
static double
run(struct fixture *f)
{
	struct timeval guard = {10, 0};
	struct timespec t0, t1;
	struct relay_client *c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	f->client = c =
	        relay_client_start(f->base, &f->target, &f->job, done_cb, f);
	assert_non_null(c);
	assert_int_equal(f->got.ncalls, 0); /* never from inside start */
	event_base_loopexit(f->base, &guard);
	event_base_dispatch(f->base);
	assert_int_equal(f->got.ncalls, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static size_t
count_lines(const char *cmds, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *p = cmds; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, plen) == 0)
			n++;
	}
	return n;
}

/* ---- pure parts ---- */

static void
test_reply_parse_table(void **state)
{
	static const struct {
		const char *in;
		enum reply_parse_status st;
		int code;
		const char *enh;
		const char *text;
		size_t nlines;
	} cases[] = {
	        {"250 ok\r\n", REPLY_PARSE_OK, 250, "", "250 ok", 1},
	        {"250\r\n", REPLY_PARSE_OK, 250, "", "250", 1},
	        {"550 5.1.1 <x@y>: User unknown\r\n", REPLY_PARSE_OK, 550,
	         "5.1.1", "550 5.1.1 <x@y>: User unknown", 1},
	        {"550-5.1.1 first\r\n550 5.1.1 second\r\n", REPLY_PARSE_OK, 550,
	         "5.1.1", "550-5.1.1 first 550 5.1.1 second", 2},
	        {"452 4.5.3 too many\n", REPLY_PARSE_OK, 452, "4.5.3",
	         "452 4.5.3 too many", 1},
	        /* a class that disagrees with the code is no enhanced code */
	        {"550 4.1.1 odd\r\n", REPLY_PARSE_OK, 550, "", "550 4.1.1 odd",
	         1},
	        {"250 2.0.0\r\n", REPLY_PARSE_OK, 250, "2.0.0", "250 2.0.0", 1},
	        {"250 2.0.0000 x\r\n", REPLY_PARSE_OK, 250, "", NULL, 1},
	        {"250 a\tb\x01\r\n", REPLY_PARSE_OK, 250, "", "250 a b?", 1},
	        {"250-a\r\n250-b\r\n", REPLY_PARSE_MORE, 0, "", NULL, 0},
	        {"25", REPLY_PARSE_MORE, 0, "", NULL, 0},
	        {"", REPLY_PARSE_MORE, 0, "", NULL, 0},
	        {"250-a\r\n251 b\r\n", REPLY_PARSE_ERROR, 0, "", NULL, 0},
	        {"hello\r\n", REPLY_PARSE_ERROR, 0, "", NULL, 0},
	        {"150 x\r\n", REPLY_PARSE_ERROR, 0, "", NULL, 0},
	        {"250x\r\n", REPLY_PARSE_ERROR, 0, "", NULL, 0},
	        {"25\r\n", REPLY_PARSE_ERROR, 0, "", NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply_parsed r;
		const char *err;
		enum reply_parse_status st = relay_reply_parse(
		        cases[i].in, strlen(cases[i].in), &r, &err);

		assert_int_equal(st, cases[i].st);
		if (st == REPLY_PARSE_ERROR)
			assert_non_null(err);
		if (st != REPLY_PARSE_OK)
			continue;
		assert_int_equal(r.code, cases[i].code);
		assert_string_equal(r.enhanced, cases[i].enh);
		if (cases[i].text != NULL)
			assert_string_equal(r.text, cases[i].text);
		assert_int_equal(r.nlines, cases[i].nlines);
		assert_int_equal(r.consumed, strlen(cases[i].in));
		relay_reply_parsed_free(&r);
	}
}

static void
test_reply_parse_limits(void **state)
{
	char *buf = malloc(200 * 16 + 1024);
	struct reply_parsed r;
	const char *err;
	size_t len = 0;

	assert_non_null(buf);
	/* a line of 512 octets with CRLF passes; 513 does not */
	memcpy(buf, "250 ", 4);
	memset(buf + 4, 'a', 506);
	memcpy(buf + 510, "\r\n", 2);
	assert_int_equal(relay_reply_parse(buf, 512, &r, &err), REPLY_PARSE_OK);
	relay_reply_parsed_free(&r);
	memset(buf + 4, 'a', 507);
	memcpy(buf + 511, "\r\n", 2);
	assert_int_equal(relay_reply_parse(buf, 513, &r, &err),
	                 REPLY_PARSE_ERROR);
	/* an unfinished line already too long */
	memset(buf + 4, 'a', 508);
	assert_int_equal(relay_reply_parse(buf, 511, &r, &err),
	                 REPLY_PARSE_MORE);
	assert_int_equal(relay_reply_parse(buf, 512, &r, &err),
	                 REPLY_PARSE_ERROR);
	/* 100 lines pass, 101 do not */
	for (int i = 0; i < 101; i++)
		len += (size_t)sprintf(buf + len, "250%cx\r\n",
		                       i == 99 ? ' ' : '-');
	assert_int_equal(relay_reply_parse(buf, len, &r, &err), REPLY_PARSE_OK);
	assert_int_equal(r.nlines, 100);
	relay_reply_parsed_free(&r);
	buf[99 * 7 + 3] = '-';
	assert_int_equal(relay_reply_parse(buf, len, &r, &err),
	                 REPLY_PARSE_ERROR);
	/* only the first reply is taken */
	assert_int_equal(relay_reply_parse("250 a\r\n354 b\r\n", 14, &r, &err),
	                 REPLY_PARSE_OK);
	assert_int_equal(r.consumed, 7);
	relay_reply_parsed_free(&r);
	free(buf);
}

static void
test_ehlo_parse(void **state)
{
	char *lines[] = {"mx.example.net greets you",
	                 "PIPELINING",
	                 "size 35882577",
	                 "8BITMIME",
	                 "STARTTLS",
	                 "AUTH LOGIN PLAIN XOAUTH2",
	                 "ENHANCEDSTATUSCODES",
	                 "SMTPUTF8",
	                 "DSN",
	                 "CHUNKING",
	                 "X-UNKNOWN arg"};
	char *old[] = {"mx", "AUTH=LOGIN", "SIZE"};
	char *none[] = {"mx"};
	struct ehlo_caps caps;

	relay_ehlo_parse(lines, sizeof(lines) / sizeof(lines[0]), &caps);
	assert_true(caps.pipelining && caps.size && caps.eightbitmime);
	assert_true(caps.starttls && caps.enhanced && caps.smtputf8);
	assert_true(caps.dsn && caps.chunking);
	assert_int_equal(caps.size_max, 35882577);
	assert_int_equal(caps.auth, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN);
	assert_true(caps.auth_listed);
	relay_ehlo_parse(old, 3, &caps);
	assert_int_equal(caps.auth, EHLO_AUTH_LOGIN);
	assert_true(caps.auth_listed);
	assert_true(caps.size);
	assert_int_equal(caps.size_max, 0);
	assert_false(caps.pipelining);
	relay_ehlo_parse(none, 1, &caps);
	assert_false(caps.size || caps.starttls || caps.dsn);
	assert_false(caps.auth_listed);
}

static void
test_xtext(void **state)
{
	static const char *const cases[][2] = {
	        {"abc", "abc"},
	        {"a+b=c", "a+2Bb+3Dc"},
	        {"sp ace", "sp+20ace"},
	        {"\x7f\x01\xc3\xa9", "+7F+01+C3+A9"},
	        {"", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *x = relay_xtext_encode(cases[i][0]);

		assert_string_equal(x, cases[i][1]);
		free(x);
	}
}

static void
test_commands(void **state)
{
	struct envelope env = {0};
	struct ehlo_caps caps = {0};
	char *line;

	env.sender = strdup("s@example.org");
	env.envid = strdup("id+1=2");
	env.ret = DSN_RET_HDRS;
	env.body = BODY_8BITMIME;
	envelope_add_rcpt(&env, "r@example.net", NULL, "rfc822;a+b@x.y",
	                  DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE);
	envelope_add_rcpt(&env, "q@example.net", NULL, "q@example.net",
	                  DSN_NOTIFY_NEVER);
	line = relay_cmd_mail(&env, &caps, 1234);
	assert_string_equal(line, "MAIL FROM:<s@example.org>\r\n");
	free(line);
	caps.size = caps.dsn = caps.eightbitmime = true;
	line = relay_cmd_mail(&env, &caps, 1234);
	assert_string_equal(line,
	                    "MAIL FROM:<s@example.org> SIZE=1234 "
	                    "BODY=8BITMIME RET=HDRS ENVID=id+2B1+3D2\r\n");
	free(line);
	/* RFC 4954 s5: AUTH= only to a server listing AUTH, xtext-encoded,
	 * and "<>" for an identity that was not trusted. */
	env.auth = strdup("a+b=c@example.org");
	line = relay_cmd_mail(&env, &caps, 1);
	assert_null(strstr(line, "AUTH="));
	free(line);
	caps.auth_listed = true;
	line = relay_cmd_mail(&env, &caps, 1);
	assert_non_null(strstr(line, " AUTH=a+2Bb+3Dc@example.org\r\n"));
	free(line);
	env.auth[0] = '\0';
	line = relay_cmd_mail(&env, &caps, 1);
	assert_non_null(strstr(line, " AUTH=<>\r\n"));
	free(line);
	line = relay_cmd_rcpt(&env.rcpts[0], &caps);
	assert_string_equal(line, "RCPT TO:<r@example.net> "
	                          "NOTIFY=SUCCESS,FAILURE "
	                          "ORCPT=rfc822;a+2Bb@x.y\r\n");
	free(line);
	line = relay_cmd_rcpt(&env.rcpts[1], &caps);
	assert_string_equal(line, "RCPT TO:<q@example.net> NOTIFY=NEVER "
	                          "ORCPT=rfc822;q@example.net\r\n");
	free(line);
	line = relay_cmd_auth_plain("user", "pass");
	assert_string_equal(line, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
	relay_cmd_free_secret(line);
	assert_true(relay_addr_ok("a@b"));
	assert_false(relay_addr_ok("a@b>\r\nRSET"));
	envelope_free(&env);
}

static void
test_dot_stuffing(void **state)
{
	static const char *const cases[][2] = {
	        {"a\r\n.b\r\n", "a\r\n..b\r\n.\r\n"},
	        {".\r\n..\r\n", "..\r\n...\r\n.\r\n"},
	        {"no end", "no end\r\n.\r\n"},
	        {"x\r\n.", "x\r\n..\r\n.\r\n"},
	        {"", ".\r\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evbuffer *b = evbuffer_new();
		size_t len;
		char *out;

		relay_cmd_data(b, cases[i][0], strlen(cases[i][0]));
		len = evbuffer_get_length(b);
		out = calloc(1, len + 1);
		evbuffer_remove(b, out, len);
		assert_string_equal(out, cases[i][1]);
		free(out);
		evbuffer_free(b);
	}
}

/* ---- sessions ---- */

static void
test_plain_delivery(void **state)
{
	struct fixture *f = *state;
	char want[512];

	f->sc.ehlo = "250-fake.test\r\n250-DSN\r\n250-SIZE 100000\r\n"
	             "250 8BITMIME";
	f->env.envid = strdup("q1+x");
	f->env.ret = DSN_RET_HDRS;
	f->env.body = BODY_8BITMIME;
	free(f->env.rcpts[0].orcpt);
	f->env.rcpts[0].orcpt = strdup("rfc822;a=b@example.net");
	f->env.rcpts[0].notify = DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY;
	set_msg(f, "Subject: dots\r\n\r\n.leading\r\n..two\r\nmid.dle\r\n"
	           ".");
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_int_equal(f->got.code[0], 250);
	assert_string_equal(f->got.text[0], "250 2.0.0 queued as X");
	assert_true(f->got.remote_dsn);
	assert_string_equal(f->got.remote_mta, "mx.example.net [127.0.0.1]");
	assert_string_equal(f->got.tls_info, "");
	assert_string_equal(f->srv.data, "Subject: dots\r\n\r\n..leading\r\n"
	                                 "...two\r\nmid.dle\r\n..\r\n.\r\n");
	snprintf(want, sizeof(want),
	         "EHLO ferry.example.org\n"
	         "MAIL FROM:<sender@example.org> SIZE=%zu BODY=8BITMIME "
	         "RET=HDRS ENVID=q1+2Bx\n"
	         "RCPT TO:<r1@example.net> NOTIFY=FAILURE,DELAY "
	         "ORCPT=rfc822;a+3Db@example.net\n"
	         "DATA\nQUIT\n",
	         f->job.msglen);
	assert_string_equal(f->srv.cmds, want);
	assert_false(f->srv.mail_saw_data); /* no PIPELINING: one by one */
}

static void
test_helo_fallback(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "502 5.5.2 command not recognized";
	f->env.ret = DSN_RET_FULL;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_false(f->got.remote_dsn);
	assert_string_equal(f->srv.cmds,
	                    "EHLO ferry.example.org\nHELO ferry.example.org\n"
	                    "MAIL FROM:<sender@example.org>\n"
	                    "RCPT TO:<r1@example.net>\nDATA\nQUIT\n");
}

static void
test_pipelining(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250 PIPELINING";
	add_rcpts(f, 1);
	run(f);
	assert_true(f->srv.mail_saw_data);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_int_equal(f->got.o[1], RELAY_RCPT_ACCEPTED);
	assert_int_equal(count_lines(f->srv.cmds, "RCPT"), 2);
}

static void
split_case(struct fixture *f, bool pipelining)
{
	envelope_free(&f->env);
	memset(&f->env, 0, sizeof(f->env));
	f->env.sender = strdup("");
	f->job.nrcpt = 0;
	add_rcpts(f, 5);
	if (pipelining)
		f->sc.ehlo = "250-fake.test\r\n250-PIPELINING\r\n"
		             "250 ENHANCEDSTATUSCODES";
	f->sc.rcpt[3] = "452 4.5.3 Too many recipients";
	f->sc.rcpt[4] = "452 4.5.3 Too many recipients";
	run(f);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->got.o[i], RELAY_RCPT_ACCEPTED);
		assert_string_equal(f->got.text[i], "250 2.0.0 queued as X");
	}
	assert_int_equal(f->got.o[3], RELAY_RCPT_NOT_TRIED);
	assert_int_equal(f->got.o[4], RELAY_RCPT_NOT_TRIED);
	assert_int_equal(f->got.code[3], 452);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_non_null(strstr(f->srv.cmds, "MAIL FROM:<>\n"));
	assert_int_equal(count_lines(f->srv.cmds, "DATA"), 1);
}

static void
test_452_split_pipelined(void **state)
{
	struct fixture *f = *state;

	split_case(f, true);
	assert_int_equal(count_lines(f->srv.cmds, "RCPT"), 5);
	assert_int_equal(f->got.code[4], 452);
}

static void
test_452_split_serial(void **state)
{
	struct fixture *f = *state;

	split_case(f, false);
	/* the fifth is never sent, and has no reply */
	assert_int_equal(count_lines(f->srv.cmds, "RCPT"), 4);
	assert_int_equal(f->got.code[4], 0);
}

static void
test_550_one_rcpt(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 2);
	f->job.nrcpt = 2;
	f->idx[1] = 2; /* job order need not be envelope order */
	f->sc.rcpt[1] = "550 5.1.1 <r3@example.net>: User unknown";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_int_equal(f->got.o[1], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[1], 550);
	assert_string_equal(f->got.enh[1], "5.1.1");
	assert_string_equal(f->got.text[1],
	                    "550 5.1.1 <r3@example.net>: User unknown");
	assert_non_null(strstr(f->srv.cmds, "RCPT TO:<r3@example.net>\n"));
	assert_null(strstr(f->srv.cmds, "r2@"));
}

static void
test_421_greeting(void **state)
{
	struct fixture *f = *state;

	f->sc.greeting = "421 4.3.2 Service not available";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_GREETING);
	assert_int_equal(f->got.session_code, 421);
	assert_string_equal(f->got.session_text,
	                    "421 4.3.2 Service not available");
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_string_equal(f->srv.cmds, "");
}

static void
test_554_greeting(void **state)
{
	struct fixture *f = *state;

	f->sc.greeting = "554 5.7.1 no service for you";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_GREETING);
	assert_int_equal(f->got.session_code, 554);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_string_equal(f->srv.cmds, "QUIT\n");
}

static void
test_421_rcpt(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 2);
	f->sc.rcpt[1] = "421 4.7.0 Try again later, closing connection.";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_RCPT);
	assert_int_equal(f->got.session_code, 421);
	assert_string_equal(f->got.error, "");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->got.o[i], RELAY_RCPT_NOT_TRIED);
		assert_int_equal(f->got.code[i], 0);
	}
	assert_int_equal(count_lines(f->srv.cmds, "DATA"), 0);
}

/* One recipient refused with a reply, the other one delivered. */
static void
rcpt_refused(struct fixture *f, const char *reply, int code, const char *enh)
{
	add_rcpts(f, 1);
	f->sc.rcpt[1] = reply;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_int_equal(f->got.o[1], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[1], code);
	assert_string_equal(f->got.enh[1], enh);
	assert_string_equal(f->got.text[1], reply);
}

static void
test_450_rate_limit(void **state)
{
	rcpt_refused(*state,
	             "450 4.2.1 The user you are trying to contact is "
	             "receiving mail at a rate that prevents additional "
	             "messages from being delivered.",
	             450, "4.2.1");
}

static void
test_552_mailbox_full(void **state)
{
	/* 552 5.2.2 is not "too many recipients": no split */
	rcpt_refused(*state, "552 5.2.2 The email account is over quota.", 552,
	             "5.2.2");
}

static void
test_451_mail(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 1);
	f->sc.ehlo = "250-fake.test\r\n250 PIPELINING";
	f->sc.mail = "451 4.3.0 Mail server temporarily rejected message.";
	f->sc.rcpt[0] = "503 5.5.1 need MAIL first";
	f->sc.rcpt[1] = "503 5.5.1 need MAIL first";
	f->sc.data = "503 5.5.1 no valid recipients";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_MAIL);
	assert_int_equal(f->got.session_code, 451);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->got.o[i], RELAY_RCPT_REJECTED);
		assert_int_equal(f->got.code[i], 451);
		assert_string_equal(f->got.enh[i], "4.3.0");
	}
}

static void
test_554_dot(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 1);
	f->sc.dot = "554 5.7.1 Message rejected as spam";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->got.o[i], RELAY_RCPT_REJECTED);
		assert_string_equal(f->got.text[i],
		                    "554 5.7.1 Message rejected as spam");
	}
}

static void
test_data_refused(void **state)
{
	struct fixture *f = *state;

	f->sc.data = "554 5.5.1 Error: no valid recipients";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DATA);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[0], 554);
}

static void
test_none_accepted_pipelined(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 1);
	f->sc.ehlo = "250-fake.test\r\n250 PIPELINING";
	f->sc.rcpt[0] = "550 5.1.1 unknown";
	f->sc.rcpt[1] = "550 5.1.1 unknown";
	f->sc.data = "554 5.5.1 Error: no valid recipients";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->got.o[i], RELAY_RCPT_REJECTED);
		assert_string_equal(f->got.text[i], "550 5.1.1 unknown");
	}
	assert_string_equal(f->srv.data, "");
}

static void
test_none_accepted_serial(void **state)
{
	struct fixture *f = *state;

	f->sc.rcpt[0] = "550 5.1.1 unknown";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_int_equal(count_lines(f->srv.cmds, "DATA"), 0);
}

static void
test_drop_mid_data(void **state)
{
	struct fixture *f = *state;

	add_rcpts(f, 1);
	f->sc.rcpt[1] = "550 5.1.1 unknown";
	f->sc.drop_in_data = true;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DATA);
	assert_int_equal(f->got.session_code, 0);
	assert_non_null(strstr(f->got.error, "connection lost"));
	/* the outcome is unknown: try again (at least once) */
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	/* a final answer stays */
	assert_int_equal(f->got.o[1], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[1], 550);
}

static void
test_size_too_small(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250 SIZE 10";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[0], 552);
	assert_string_equal(f->got.enh[0], "5.3.4");
	assert_string_equal(
	        f->got.text[0],
	        "552 5.3.4 message size exceeds remote limit (SIZE 10)");
	assert_string_equal(f->srv.cmds, "EHLO ferry.example.org\nQUIT\n");
}

static void
test_smtputf8_missing(void **state)
{
	struct fixture *f = *state;

	f->env.smtputf8 = true;
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[0], 553);
	assert_string_equal(f->got.enh[0], "5.6.7");
	assert_string_equal(
	        f->got.text[0],
	        "553 5.6.7 remote server does not support SMTPUTF8");
	assert_int_equal(count_lines(f->srv.cmds, "MAIL"), 0);
}

static void
test_smtputf8_offered(void **state)
{
	struct fixture *f = *state;

	f->env.smtputf8 = true;
	f->sc.ehlo = "250-fake.test\r\n250 SMTPUTF8";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_non_null(strstr(f->srv.cmds,
	                       "MAIL FROM:<sender@example.org> SMTPUTF8\n"));
}

static void
test_starttls(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 PIPELINING";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_true(strncmp(f->got.tls_info, "TLSv1.", 6) == 0);
	assert_non_null(strstr(f->got.tls_info, " with cipher "));
	assert_int_equal(count_lines(f->srv.cmds, "EHLO"), 2);
	assert_int_equal(count_lines(f->srv.cmds, "STARTTLS"), 1);
	assert_string_equal(f->srv.data, "Subject: test\r\n\r\nhello\r\n.\r\n");
}

static void
test_starttls_refused(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250 STARTTLS";
	f->sc.starttls = "454 4.7.0 TLS not available";
	run(f);
	/* opportunistic: go on in plain text */
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_string_equal(f->got.tls_info, "");
}

static void
test_implicit_tls(void **state)
{
	struct fixture *f = *state;

	f->sc.implicit_tls = true;
	f->target.implicit_tls = true;
	f->target.tls_required = true;
	f->target.auth_user = "user";
	f->target.tls_fingerprint = server_fingerprint;
	f->target.auth_pass = "pass";
	f->sc.ehlo = "250-fake.test\r\n250 AUTH PLAIN";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_true(strncmp(f->got.tls_info, "TLSv1.", 6) == 0);
	assert_string_equal(f->srv.cmds, "EHLO ferry.example.org\n"
	                                 "AUTH PLAIN AHVzZXIAcGFzcw==\n"
	                                 "MAIL FROM:<sender@example.org>\n"
	                                 "RCPT TO:<r1@example.net>\n"
	                                 "DATA\nQUIT\n");
}

static void
test_tls_handshake_fails(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250 STARTTLS";
	f->sc.break_tls = true;
	f->target.tls_required = true;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_STARTTLS);
	assert_int_equal(f->got.session_code, 0);
	assert_true(strncmp(f->got.error,
	                    "TLS required but the handshake failed", 37) == 0);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
}

static void
test_large_message(void **state)
{
	struct fixture *f = *state;
	size_t n = 40000, len = 0;
	char *msg = malloc(n * 52 + 1);

	assert_non_null(msg);
	/* every line starts with a dot: the stuffed body grows by n */
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(msg + len, ".%048zu\r\n", i);
	f->job.msg = msg;
	f->job.msglen = len;
	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 SIZE 10000000";
	f->sc.count_data = true;
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_int_equal(f->srv.data_octets, len + n + 3);
	free(msg);
}

static void
test_tls_required_missing(void **state)
{
	struct fixture *f = *state;

	f->target.tls_required = true;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_STARTTLS);
	assert_int_equal(f->got.session_code, 0);
	assert_true(strncmp(f->got.error, "TLS required but ", 17) == 0);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_int_equal(count_lines(f->srv.cmds, "MAIL"), 0);
}

static void
test_auth_plain_tls(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n"
	             "250 AUTH LOGIN PLAIN";
	f->target.auth_user = "user";
	f->target.tls_fingerprint = server_fingerprint;
	f->target.auth_pass = "pass";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_non_null(strstr(f->srv.cmds, "STARTTLS\nEHLO ferry.example.org\n"
	                                    "AUTH PLAIN AHVzZXIAcGFzcw==\n"
	                                    "MAIL FROM:"));
}

static void
test_auth_login_tls(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 AUTH LOGIN";
	f->target.auth_user = "user";
	f->target.tls_fingerprint = server_fingerprint;
	f->target.auth_pass = "pass";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_non_null(strstr(f->srv.cmds, "AUTH LOGIN\ndXNlcg==\ncGFzcw==\n"
	                                    "MAIL FROM:"));
}

/* Credentials go only to the peer verified: a certificate that is not the
 * pinned one, or that chains to no CA the client trusts, ends the session
 * right after the handshake, before EHLO and AUTH. */
static void
run_unverified(struct fixture *f, const char *pin)
{
	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 AUTH PLAIN";
	f->target.auth_user = "user";
	f->target.auth_pass = "pass";
	f->target.tls_required = true;
	f->target.tls_fingerprint = pin;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_STARTTLS);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_non_null(
	        strstr(f->got.error, "certificate verification failed"));
	assert_string_equal(f->srv.cmds,
	                    "EHLO ferry.example.org\nSTARTTLS\nQUIT\n");
}

static void
test_auth_wrong_pin(void **state)
{
	struct fixture *f = *state;

	run_unverified(f, "00000000000000000000000000000000"
	                  "00000000000000000000000000000000");
	assert_non_null(strstr(f->got.error, "is not smarthost_fingerprint"));
}

static void
test_auth_untrusted_certificate(void **state)
{
	struct fixture *f = *state;

	/* the system's CA store, and a self-signed certificate */
	run_unverified(f, NULL);
	assert_non_null(
	        strstr(f->got.error, "for mx.example.net: self-signed"));
}

static void
test_auth_refused(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 AUTH PLAIN";
	f->sc.auth = "535 5.7.8 Authentication credentials invalid";
	f->target.auth_user = "user";
	f->target.tls_fingerprint = server_fingerprint;
	f->target.auth_pass = "bad";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_AUTH);
	assert_int_equal(f->got.session_code, 535);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_int_equal(count_lines(f->srv.cmds, "MAIL"), 0);
}

static void
test_auth_without_tls(void **state)
{
	struct fixture *f = *state;

	f->sc.ehlo = "250-fake.test\r\n250 AUTH PLAIN LOGIN";
	f->target.auth_user = "user";
	f->target.tls_fingerprint = server_fingerprint;
	f->target.auth_pass = "pass";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_AUTH);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	/* no credentials in clear text */
	assert_int_equal(count_lines(f->srv.cmds, "AUTH"), 0);
	assert_null(strstr(f->srv.cmds, "AHVzZXIAcGFzcw"));
}

static void
test_multiline(void **state)
{
	struct fixture *f = *state;

	f->sc.greeting = "220-fake.test ESMTP\r\n220-no UCE\r\n220 welcome";
	f->sc.rcpt[0] = "550-5.1.1 The email account that you tried to "
	                "reach does not exist.\r\n550-5.1.1 Please try "
	                "double-checking\r\n550 5.1.1 the address.";
	run(f);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_string_equal(f->got.enh[0], "5.1.1");
	assert_string_equal(f->got.text[0],
	                    "550-5.1.1 The email account that you tried to "
	                    "reach does not exist. 550-5.1.1 Please try "
	                    "double-checking 550 5.1.1 the address.");
}

static void
test_protocol_error(void **state)
{
	struct fixture *f = *state;

	f->sc.greeting = "220-fake.test\r\n230 mixed codes";
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_GREETING);
	assert_non_null(strstr(f->got.error, "protocol error"));
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	double secs;

	f->sc.greeting = NULL; /* the server never speaks */
	f->job.timeout_connect = 1;
	secs = run(f);
	assert_true(secs >= 0.9 && secs < 5.0);
	assert_int_equal(f->got.stage, RELAY_STAGE_GREETING);
	assert_non_null(strstr(f->got.error, "timeout"));
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
}

static void
test_connect_refused(void **state)
{
	struct fixture *f = *state;

	/* the listener's port, once closed, refuses */
	evconnlistener_free(f->srv.lis);
	f->srv.lis = NULL;
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_CONNECT);
	assert_non_null(strstr(f->got.error, "connect failed"));
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
}

static void
test_bad_address(void **state)
{
	struct fixture *f = *state;

	f->target.addr = "mx.example.net"; /* not numeric */
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_CONNECT);
}

static void
test_abort(void **state)
{
	struct fixture *f = *state;
	struct timeval tv = {0, 200000};
	struct relay_client *c;

	f->sc.greeting = NULL; /* connected, waiting for the greeting */
	c = relay_client_start(f->base, &f->target, &f->job, done_cb, f);
	assert_non_null(c);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_non_null(f->srv.conn);
	relay_client_abort(c);
	tv.tv_usec = 100000;
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->got.ncalls, 0);
}

/* ---- connection reuse ---- */

/* Runs the event loop until a callback breaks it (10 s at most). */
static void
spin(struct fixture *f)
{
	struct timeval guard = {10, 0};

	event_base_loopexit(f->base, &guard);
	event_base_dispatch(f->base);
}

/* The job leaves its connection open and the callback keeps it, idle
 * for at most idle_secs. */
static void
keep_for_reuse(struct fixture *f, int idle_secs)
{
	f->job.keep_open = true;
	f->keep = true;
	f->idle_secs = idle_secs;
}

/* A second job, for a new recipient r2, on the same message. */
static struct relay_job
second_job(struct fixture *f, size_t *idx)
{
	struct relay_job job = f->job;

	*idx = envelope_add_rcpt(&f->env, "r2@example.net", "r2@example.net",
	                         NULL, 0);
	job.rcpt_idx = idx;
	job.nrcpt = 1;
	return job;
}

static const char two_txns[] = "EHLO ferry.example.org\n"
                               "MAIL FROM:<sender@example.org>\n"
                               "RCPT TO:<r1@example.net>\n"
                               "DATA\n"
                               "MAIL FROM:<sender@example.org>\n"
                               "RCPT TO:<r2@example.net>\n"
                               "DATA\n";

/* Kept after the first job, reused for a second one later, then closed:
 * one connection, one EHLO, two transactions, one QUIT. */
static void
test_reuse_kept_connection(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;
	char want[512];

	keep_for_reuse(f, 5);
	job2 = second_job(f, &idx2);
	run(f);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_true(f->got.reusable);

	memset(&f->got, 0, sizeof(f->got));
	relay_client_reuse(f->client, &job2, done_cb, f);
	assert_int_equal(f->got.ncalls, 0); /* never from inside reuse */
	spin(f);
	assert_int_equal(f->got.ncalls, 1);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_string_equal(f->got.remote_mta, "mx.example.net [127.0.0.1]");
	assert_int_equal(f->srv.nconn, 1);
	assert_string_equal(f->srv.cmds, two_txns);

	relay_client_close(f->client);
	spin(f);
	assert_int_equal(f->closed, 1);
	snprintf(want, sizeof(want), "%sQUIT\n", two_txns);
	assert_string_equal(f->srv.cmds, want);
}

/* The scheduler's way: the next job starts from inside the callback. */
static void
test_reuse_from_callback(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;

	keep_for_reuse(f, 1);
	job2 = second_job(f, &idx2);
	f->next_job = &job2;
	f->sc.rcpt[1] = "550 5.1.1 no such user";
	f->client =
	        relay_client_start(f->base, &f->target, &f->job, done_cb, f);
	spin(f);
	assert_int_equal(f->got.ncalls, 2);
	assert_int_equal(f->got.o[0], RELAY_RCPT_REJECTED);
	assert_int_equal(f->got.code[0], 550);
	assert_int_equal(f->srv.nconn, 1);
	/* Nobody accepted: RSET, and the connection is kept again until
	 * its idle time runs out. */
	assert_true(f->got.reusable);
	spin(f);
	assert_int_equal(f->closed, 1);
	assert_non_null(strstr(f->srv.cmds, "RCPT TO:<r2@example.net>\nRSET\n"
	                                    "QUIT\n"));
}

/* A kept TLS session carries the next transaction inside TLS, without a
 * second handshake, EHLO or STARTTLS. */
static void
test_reuse_keeps_tls(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;

	f->sc.ehlo = "250-fake.test\r\n250-STARTTLS\r\n250 PIPELINING";
	keep_for_reuse(f, 5);
	f->sc.count_data = true;
	job2 = second_job(f, &idx2);
	f->next_job = &job2;
	f->client =
	        relay_client_start(f->base, &f->target, &f->job, done_cb, f);
	spin(f);
	assert_int_equal(f->got.ncalls, 2);
	assert_int_equal(f->got.stage, RELAY_STAGE_DONE);
	assert_int_equal(f->got.o[0], RELAY_RCPT_ACCEPTED);
	assert_true(strncmp(f->got.tls_info, "TLSv1.", 6) == 0);
	assert_int_equal(f->srv.nconn, 1);
	assert_int_equal(count_lines(f->srv.cmds, "EHLO"), 2);
	assert_int_equal(count_lines(f->srv.cmds, "STARTTLS"), 1);
	assert_int_equal(count_lines(f->srv.cmds, "MAIL FROM"), 2);
	assert_int_equal(f->srv.data_octets, 2 * (f->job.msglen + 3));
	relay_client_close(f->client);
	spin(f);
	assert_int_equal(f->closed, 1);
}

/* The remote hangs up on an idle connection: its owner hears of it. */
static void
test_idle_closed_by_remote(void **state)
{
	struct fixture *f = *state;
	struct timeval tv = {0, 100000};

	keep_for_reuse(f, 30);
	run(f);
	assert_true(f->got.reusable);
	/* Let the idle client settle before the remote goes away. */
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->closed, 0);
	assert_non_null(f->srv.conn);
	srv_conn_free(f->srv.conn);
	spin(f);
	assert_int_equal(f->closed, 1);
}

/* A connection dead before the next MAIL is answered fails at MAIL with
 * no reply: the sign the scheduler uses to try a fresh one. */
static void
test_reuse_after_remote_left(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;

	keep_for_reuse(f, 30);
	job2 = second_job(f, &idx2);
	run(f);
	assert_true(f->got.reusable);
	srv_conn_free(f->srv.conn);
	memset(&f->got, 0, sizeof(f->got));
	relay_client_reuse(f->client, &job2, done_cb, f);
	spin(f);
	assert_int_equal(f->got.ncalls, 1);
	assert_int_equal(f->got.stage, RELAY_STAGE_MAIL);
	assert_int_equal(f->got.session_code, 0);
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_false(f->got.reusable);
	assert_int_equal(f->closed, 0); /* a job's client: no closed call */
}

/* Dispatches in short steps until the server has seen prefix, at most
 * 5 s. */
static void
spin_until_cmd(struct fixture *f, const char *prefix)
{
	struct timeval step = {0, 50000};

	for (int i = 0; i < 100 && count_lines(f->srv.cmds, prefix) == 0; i++) {
		event_base_loopexit(f->base, &step);
		event_base_dispatch(f->base);
	}
	assert_int_equal(count_lines(f->srv.cmds, prefix), 1);
}

/* A kept connection that has begun to end, handed to a job anyway: the
 * job's callback runs once, as for a connection lost before MAIL (the
 * scheduler then connects anew), nothing more goes out on it, and the
 * keeper is not called: it let go. */
static void
expect_lost_before_reuse(struct fixture *f, struct relay_job *job2)
{
	memset(&f->got, 0, sizeof(f->got));
	relay_client_reuse(f->client, job2, done_cb, f);
	assert_int_equal(f->got.ncalls, 0); /* never from inside reuse */
	spin(f);
	assert_int_equal(f->got.ncalls, 1);
	assert_int_equal(f->got.stage, RELAY_STAGE_MAIL);
	assert_int_equal(f->got.session_code, 0);
	assert_string_equal(f->got.error,
	                    "connection lost: closed before it was reused");
	assert_int_equal(f->got.o[0], RELAY_RCPT_NOT_TRIED);
	assert_false(f->got.reusable);
	assert_int_equal(f->closed, 0);
	assert_int_equal(count_lines(f->srv.cmds, "MAIL FROM"), 1);
}

/* The idle time ran out (QUIT sent, no answer yet) just before the next
 * job took the connection: the case of a retry that comes due as the
 * kept connection idles out. */
static void
test_reuse_after_idle_timeout(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;

	keep_for_reuse(f, 1);
	f->sc.quit_silent = true;
	job2 = second_job(f, &idx2);
	run(f);
	assert_true(f->got.reusable);
	assert_true(relay_client_idle(f->client));
	spin_until_cmd(f, "QUIT");
	assert_false(relay_client_idle(f->client));
	assert_int_equal(f->closed, 0); /* still ending: the keeper holds it */
	expect_lost_before_reuse(f, &job2);
}

/* The keeper closed it and, before the QUIT was answered, handed it to a
 * job anyway. */
static void
test_reuse_after_close(void **state)
{
	struct fixture *f = *state;
	struct relay_job job2;
	size_t idx2;

	keep_for_reuse(f, 30);
	job2 = second_job(f, &idx2);
	run(f);
	relay_client_close(f->client);
	assert_false(relay_client_idle(f->client));
	expect_lost_before_reuse(f, &job2);
}

/* The keeper aborts a connection that is ending (as at shutdown): freed
 * at once, nobody called; under ASan, nothing leaks or is touched after. */
static void
test_abort_while_ending(void **state)
{
	struct fixture *f = *state;
	struct timeval tv = {0, 200000};

	keep_for_reuse(f, 1);
	f->sc.quit_silent = true;
	run(f);
	spin_until_cmd(f, "QUIT");
	relay_client_abort(f->client);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->closed, 0);
	assert_int_equal(f->got.ncalls, 1);
}

/* Kept open but not taken: closed at once, without waiting for QUIT. */
static void
test_reusable_not_kept(void **state)
{
	struct fixture *f = *state;
	struct timeval tv = {0, 200000};

	f->job.keep_open = true;
	run(f);
	assert_true(f->got.reusable);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_null(f->srv.conn); /* the server saw the connection end */
	assert_null(strstr(f->srv.cmds, "QUIT"));
	assert_int_equal(f->closed, 0);
}

/* Without keep_open the session ends with QUIT before the callback. */
static void
test_no_keep_open_quits(void **state)
{
	struct fixture *f = *state;

	run(f);
	assert_false(f->got.reusable);
	assert_non_null(strstr(f->srv.cmds, "DATA\nQUIT\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reply_parse_table),
	        cmocka_unit_test(test_reply_parse_limits),
	        cmocka_unit_test(test_ehlo_parse),
	        cmocka_unit_test(test_xtext),
	        cmocka_unit_test(test_commands),
	        cmocka_unit_test(test_dot_stuffing),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	        T(test_plain_delivery),
	        T(test_helo_fallback),
	        T(test_pipelining),
	        T(test_452_split_pipelined),
	        T(test_452_split_serial),
	        T(test_550_one_rcpt),
	        T(test_421_greeting),
	        T(test_554_greeting),
	        T(test_421_rcpt),
	        T(test_450_rate_limit),
	        T(test_552_mailbox_full),
	        T(test_451_mail),
	        T(test_554_dot),
	        T(test_data_refused),
	        T(test_none_accepted_pipelined),
	        T(test_none_accepted_serial),
	        T(test_drop_mid_data),
	        T(test_size_too_small),
	        T(test_smtputf8_missing),
	        T(test_smtputf8_offered),
	        T(test_starttls),
	        T(test_starttls_refused),
	        T(test_implicit_tls),
	        T(test_auth_wrong_pin),
	        T(test_auth_untrusted_certificate),
	        T(test_tls_handshake_fails),
	        T(test_large_message),
	        T(test_tls_required_missing),
	        T(test_auth_plain_tls),
	        T(test_auth_login_tls),
	        T(test_auth_refused),
	        T(test_auth_without_tls),
	        T(test_multiline),
	        T(test_protocol_error),
	        T(test_timeout),
	        T(test_connect_refused),
	        T(test_bad_address),
	        T(test_abort),
	        T(test_reuse_kept_connection),
	        T(test_reuse_from_callback),
	        T(test_reuse_keeps_tls),
	        T(test_idle_closed_by_remote),
	        T(test_reuse_after_remote_left),
	        T(test_reuse_after_idle_timeout),
	        T(test_reuse_after_close),
	        T(test_abort_while_ending),
	        T(test_reusable_not_kept),
	        T(test_no_keep_open_quits),
#undef T
	};

	log_set_level(LOG_LVL_ERROR);
	signal(SIGPIPE, SIG_IGN); /* writes to a server that has gone */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
