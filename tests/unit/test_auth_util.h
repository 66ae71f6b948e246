/*
 * test_auth_util.h — shared by the auth tests: run the event loop until an
 * auth callback arrives, and whole client-side exchanges (PLAIN, LOGIN and
 * a SCRAM-SHA-256 client written against RFC 5802 with OpenSSL directly,
 * not with src/auth code) so the backends are checked end to end.
 */
#ifndef FERRY_TEST_AUTH_UTIL_H
#define FERRY_TEST_AUTH_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/auth.h"

struct result {
	int calls;
	enum auth_status st;
	char data[1024];
	bool inside; /* set while the call that may cause a result runs */
	bool reentered;
};

static inline void
result_cb(void *arg, enum auth_status st, const char *data)
{
	struct result *r = arg;

	if (r->inside)
		r->reentered = true;
	r->calls++;
	r->st = st;
	snprintf(r->data, sizeof(r->data), "%s", data != NULL ? data : "");
}

static inline void
loop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Run the loop until r has one more result than before (fails after
 * 20 seconds). */
static inline void
wait_result(struct event_base *base, struct result *r, int before)
{
	struct timeval tv = {20, 0};
	struct event *t = evtimer_new(base, loop_timeout_cb, base);

	evtimer_add(t, &tv);
	while (r->calls == before) {
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
		if (event_base_got_break(base))
			break;
	}
	event_free(t);
	assert_int_equal(r->calls, before + 1);
}

/* A new client address per exchange: Dovecot delays the replies to an
 * address with recent failures (auth penalty), which would only slow
 * the tests down. */
static inline const char *
next_ip(void)
{
	static char ip[32];
	static unsigned n;

	n++;
	snprintf(ip, sizeof(ip), "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255,
	         n & 255);
	return ip;
}

static inline struct auth_request *
start(struct event_base *base, struct auth_service *svc, const char *mech,
      const char *initial, struct result *r)
{
	struct auth_request *req;
	int before = r->calls;

	r->inside = true;
	req = auth_request_start(svc, mech, initial, next_ip(), true, result_cb,
	                         r);
	r->inside = false;
	assert_non_null(req);
	assert_int_equal(r->calls, before); /* never from inside the call */
	wait_result(base, r, before);
	assert_false(r->reentered);
	return req;
}

static inline void
cont(struct event_base *base, struct auth_request *req, const char *line,
     struct result *r)
{
	int before = r->calls;

	r->inside = true;
	auth_request_continue(req, line);
	r->inside = false;
	assert_int_equal(r->calls, before);
	wait_result(base, r, before);
	assert_false(r->reentered);
}

static inline char *
b64(const void *raw, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, raw, (int)len);
	return out;
}

/* Decode trusted base64 (from the server under test) with OpenSSL. */
static inline size_t
unb64(const char *in, unsigned char *out, size_t size)
{
	size_t n = strlen(in), pad = 0;
	int got;

	assert_true(n / 4 * 3 + 1 <= size);
	if (n >= 1 && in[n - 1] == '=')
		pad++;
	if (n >= 2 && in[n - 2] == '=')
		pad++;
	got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	assert_true(got >= 0);
	out[got - (int)pad] = '\0';
	return (size_t)got - pad;
}

/* AUTH PLAIN with an initial response; returns the final status. */
static inline enum auth_status
do_plain(struct event_base *base, struct auth_service *svc, const char *user,
         const char *pw, struct result *r)
{
	char msg[600], *enc;
	size_t ul = strlen(user), pl = strlen(pw);
	struct auth_request *req;

	assert_true(ul + pl + 2 < sizeof(msg));
	msg[0] = '\0';
	memcpy(msg + 1, user, ul);
	msg[1 + ul] = '\0';
	memcpy(msg + 2 + ul, pw, pl);
	enc = b64(msg, ul + pl + 2);
	req = start(base, svc, "PLAIN", enc, r);
	free(enc);
	auth_request_free(req);
	return r->st;
}

/* AUTH LOGIN without an initial response. */
static inline enum auth_status
do_login(struct event_base *base, struct auth_service *svc, const char *user,
         const char *pw, struct result *r)
{
	struct auth_request *req;
	char *enc;

	req = start(base, svc, "login", NULL, r);
	if (r->st != AUTH_CONTINUE) {
		auth_request_free(req);
		return r->st;
	}
	assert_string_equal(r->data, "VXNlcm5hbWU6"); /* "Username:" */
	enc = b64(user, strlen(user));
	cont(base, req, enc, r);
	free(enc);
	assert_int_equal(r->st, AUTH_CONTINUE);
	assert_string_equal(r->data, "UGFzc3dvcmQ6"); /* "Password:" */
	enc = b64(pw, strlen(pw));
	cont(base, req, enc, r);
	free(enc);
	auth_request_free(req);
	return r->st;
}

static inline void
hmac256(const void *key, size_t klen, const char *msg, unsigned char *out)
{
	unsigned int n;

	assert_non_null(HMAC(EVP_sha256(), key, (int)klen,
	                     (const unsigned char *)msg, strlen(msg), out, &n));
}

/*
 * A SCRAM-SHA-256 client (RFC 5802 s3 and s5).  cnonce: the client
 * nonce.  Checks the server's signature; returns the final status.
 */
static inline enum auth_status
do_scram(struct event_base *base, struct auth_service *svc, const char *user,
         const char *pw, const char *cnonce, struct result *r)
{
	unsigned char sfirst[512], salt[128], salted[32], ckey[32], skey[32];
	unsigned char stored[32], csig[32], proof[32], ssig[32], fin[128];
	char first[300], nofinal[600], am[1600], msg[800], *enc, *p, *nonce;
	struct auth_request *req;
	size_t saltlen, i;
	long iter;

	snprintf(first, sizeof(first), "n,,n=%s,r=%s", user, cnonce);
	enc = b64(first, strlen(first));
	req = start(base, svc, "SCRAM-SHA-256", enc, r);
	free(enc);
	if (r->st != AUTH_CONTINUE) {
		auth_request_free(req);
		return r->st;
	}
	unb64(r->data, sfirst, sizeof(sfirst));
	/* r=<nonce>,s=<salt>,i=<iter> */
	assert_memory_equal(sfirst, "r=", 2);
	nonce = strndup((char *)sfirst + 2, strcspn((char *)sfirst + 2, ","));
	assert_int_equal(strncmp(nonce, cnonce, strlen(cnonce)), 0);
	assert_true(strlen(nonce) > strlen(cnonce));
	p = strstr((char *)sfirst, ",s=");
	assert_non_null(p);
	*strchr(p + 3, ',') = '\0';
	saltlen = unb64(p + 3, salt, sizeof(salt));
	iter = strtol(p + strlen(p) + 3, NULL, 10);
	p[0] = ','; /* restore server-first for AuthMessage */
	p[strlen(p)] = ',';
	assert_true(iter >= 4096);
	assert_int_equal(PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt,
	                                   (int)saltlen, (int)iter,
	                                   EVP_sha256(), 32, salted),
	                 1);
	hmac256(salted, 32, "Client Key", ckey);
	hmac256(salted, 32, "Server Key", skey);
	SHA256(ckey, 32, stored);
	snprintf(nofinal, sizeof(nofinal), "c=biws,r=%s", nonce);
	snprintf(am, sizeof(am), "%s,%s,%s", first + 3, (char *)sfirst,
	         nofinal);
	hmac256(stored, 32, am, csig);
	for (i = 0; i < 32; i++)
		proof[i] = ckey[i] ^ csig[i];
	enc = b64(proof, 32);
	snprintf(msg, sizeof(msg), "%s,p=%s", nofinal, enc);
	free(enc);
	free(nonce);
	enc = b64(msg, strlen(msg));
	cont(base, req, enc, r);
	free(enc);
	if (r->st != AUTH_CONTINUE) {
		auth_request_free(req);
		return r->st;
	}
	hmac256(skey, 32, am, ssig);
	enc = b64(ssig, 32);
	unb64(r->data, fin, sizeof(fin));
	assert_memory_equal(fin, "v=", 2);
	assert_string_equal((char *)fin + 2, enc);
	free(enc);
	cont(base, req, "", r);
	auth_request_free(req);
	return r->st;
}

static inline struct event_base *
new_base(void)
{
	struct event_base *base;

	assert_int_equal(evthread_use_pthreads(), 0);
	base = event_base_new();
	assert_non_null(base);
	return base;
}

#endif
