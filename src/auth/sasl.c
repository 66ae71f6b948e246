/*
 * sasl.c — server side of PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-
 * login) and SCRAM-SHA-256 (RFC 5802, RFC 7677) as pure state machines:
 * decoded client bytes in, one step out.  No I/O and no password checks
 * here; the caller runs SASL_VERIFY, SASL_LOOKUP and SASL_PROVE where the
 * passwords are (the key process).
 *
 * SCRAM limits: no channel binding ("p=" is refused, "n" and "y" are
 * accepted because ferry offers no -PLUS mechanism), no SASLprep (the
 * password bytes are used as sent), an authzid must equal the username,
 * and mandatory extensions ("m=") are refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/str.h"
#include "auth/auth_int.h"

const char *auth_test_server_nonce;

static const struct {
	const char *name;
	enum sasl_mech mech;
} mechs[] = {
        {"PLAIN", SASL_PLAIN},
        {"LOGIN", SASL_LOGIN},
        {"SCRAM-SHA-256", SASL_SCRAM_SHA_256},
};

const char *
sasl_mech_names(unsigned bits)
{
	static const char *const names[8] = {
	        "",
	        "PLAIN",
	        "LOGIN",
	        "PLAIN LOGIN",
	        "SCRAM-SHA-256",
	        "PLAIN SCRAM-SHA-256",
	        "LOGIN SCRAM-SHA-256",
	        "PLAIN LOGIN SCRAM-SHA-256",
	};

	return names[bits & SASL_ALL_MECHS];
}

int
sasl_mech_lookup(const char *name, enum sasl_mech *m)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strcasecmp(name, mechs[i].name) == 0) {
			*m = mechs[i].mech;
			return 0;
		}
	return -1;
}

void
sasl_init(struct sasl *s, enum sasl_mech m)
{
	memset(s, 0, sizeof(*s));
	s->mech = m;
	s->phase = SP_START;
}

static void
free_secret(char **p)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void
sasl_clear(struct sasl *s)
{
	free(s->user);
	free_secret(&s->password);
	free(s->out);
	free(s->gs2_header);
	free(s->client_first);
	free(s->nonce);
	free(s->server_first);
	free(s->auth_msg);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Set the challenge to send; raw may hold any bytes. */
static enum sasl_step
challenge(struct sasl *s, const void *raw, size_t len)
{
	free(s->out);
	s->out = malloc(len + 1);
	if (s->out == NULL)
		return SASL_FAIL;
	memcpy(s->out, raw, len);
	s->out[len] = '\0';
	s->outlen = len;
	return SASL_CHALLENGE;
}

static enum sasl_step
finish(struct sasl *s, enum sasl_step st)
{
	s->phase = SP_DONE;
	free_secret(&s->password);
	return st;
}

/* A login name: 1..AUTH_USER_MAX bytes, no control characters. */
static bool
valid_user(const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > AUTH_USER_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* RFC 4616 s2: [authzid] NUL authcid NUL passwd. */
static enum sasl_step
plain_message(struct sasl *s, const unsigned char *in, size_t len)
{
	const unsigned char *nul1, *nul2, *authc, *pw;
	size_t zlen, clen, plen;

	nul1 = memchr(in, '\0', len);
	if (nul1 == NULL)
		return finish(s, SASL_MALFORMED);
	authc = nul1 + 1;
	nul2 = memchr(authc, '\0', len - (size_t)(authc - in));
	if (nul2 == NULL)
		return finish(s, SASL_MALFORMED);
	pw = nul2 + 1;
	zlen = (size_t)(nul1 - in);
	clen = (size_t)(nul2 - authc);
	plen = len - (size_t)(pw - in);
	if (!valid_user(authc, clen) || plen == 0 || plen > 1024 ||
	    memchr(pw, '\0', plen) != NULL)
		return finish(s, SASL_MALFORMED);
	if (zlen != 0 && (zlen != clen || memcmp(in, authc, clen) != 0))
		return finish(s, SASL_FAIL);
	s->user = strndup((const char *)authc, clen);
	s->password = strndup((const char *)pw, plen);
	if (s->user == NULL || s->password == NULL)
		return finish(s, SASL_FAIL);
	s->phase = SP_DONE;
	return SASL_VERIFY;
}

static enum sasl_step
login_step(struct sasl *s, const unsigned char *in, size_t len)
{
	if (s->phase == SP_START && in == NULL) {
		s->phase = SP_LOGIN_USER;
		return challenge(s, "Username:", 9);
	}
	if (s->phase == SP_START || s->phase == SP_LOGIN_USER) {
		if (!valid_user(in, len))
			return finish(s, SASL_MALFORMED);
		s->user = strndup((const char *)in, len);
		if (s->user == NULL)
			return finish(s, SASL_FAIL);
		s->phase = SP_LOGIN_PASS;
		return challenge(s, "Password:", 9);
	}
	if (len == 0 || len > 1024 || memchr(in, '\0', len) != NULL)
		return finish(s, SASL_MALFORMED);
	s->password = strndup((const char *)in, len);
	if (s->password == NULL)
		return finish(s, SASL_FAIL);
	s->phase = SP_DONE;
	return SASL_VERIFY;
}

/*
 * RFC 5802 s7 saslname: "=2C" is ',', "=3D" is '='; any other '=' and any
 * ',' are errors.  Returns a malloc'd name or NULL.
 */
static char *
saslname_decode(const char *p, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, j = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (p[i] == ',' || p[i] == '\0')
			goto bad;
		if (p[i] != '=') {
			out[j++] = p[i];
			continue;
		}
		if (len - i >= 3 && p[i + 1] == '2' && p[i + 2] == 'C')
			out[j++] = ',';
		else if (len - i >= 3 && p[i + 1] == '3' && p[i + 2] == 'D')
			out[j++] = '=';
		else
			goto bad;
		i += 2;
	}
	out[j] = '\0';
	if (!valid_user((const unsigned char *)out, j))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

/* The next ','-separated attribute of msg at *pos: "X=value". */
struct attr {
	char name;
	const char *val;
	size_t len;
};

static int
next_attr(const char *msg, size_t msglen, size_t *pos, struct attr *a)
{
	const char *p = msg + *pos, *end = msg + msglen, *comma;

	if (*pos >= msglen || end - p < 2 || p[1] != '=' ||
	    !isalpha((unsigned char)p[0]))
		return -1;
	comma = memchr(p, ',', (size_t)(end - p));
	if (comma == NULL)
		comma = end;
	a->name = p[0];
	a->val = p + 2;
	a->len = (size_t)(comma - a->val);
	*pos = (size_t)(comma - msg) + (comma < end);
	/* A trailing ',' leaves an empty attribute: not allowed. */
	if (comma < end && comma + 1 == end)
		return -1;
	return 0;
}

/* RFC 5802 s7 value of r= (printable except ','). */
static bool
valid_nonce(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
			return false;
	return true;
}

/* Parse the gs2 header; *pos ends after its second ','.  SASL_OK when
 * acceptable, else the step to return. */
static enum sasl_step
scram_gs2(struct sasl *s, const char *msg, size_t len, size_t *pos,
          char **authzid)
{
	const char *c1, *c2;

	if (len < 3)
		return SASL_MALFORMED;
	if (msg[0] == 'p' && msg[1] == '=')
		return SASL_FAIL; /* channel binding: not offered */
	if ((msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',')
		return SASL_MALFORMED;
	c1 = msg + 1;
	c2 = memchr(c1 + 1, ',', len - 2);
	if (c2 == NULL)
		return SASL_MALFORMED;
	if (c2 > c1 + 1) {
		if (c2 - c1 < 4 || c1[1] != 'a' || c1[2] != '=')
			return SASL_MALFORMED;
		*authzid = saslname_decode(c1 + 3, (size_t)(c2 - c1 - 3));
		if (*authzid == NULL)
			return SASL_MALFORMED;
	}
	*pos = (size_t)(c2 - msg) + 1;
	s->gs2_header = strndup(msg, *pos);
	return s->gs2_header != NULL ? SASL_OK : SASL_FAIL;
}

static enum sasl_step
scram_first(struct sasl *s, const unsigned char *in, size_t len)
{
	const char *msg = (const char *)in;
	struct attr a;
	size_t pos = 0, bare;
	enum sasl_step st;
	char *authzid = NULL;

	if (memchr(in, '\0', len) != NULL)
		return finish(s, SASL_MALFORMED);
	if ((st = scram_gs2(s, msg, len, &pos, &authzid)) != SASL_OK) {
		free(authzid);
		return finish(s, st);
	}
	bare = pos;
	if (next_attr(msg, len, &pos, &a) < 0)
		goto malformed;
	if (a.name == 'm') {
		free(authzid);
		return finish(s, SASL_FAIL); /* no extensions understood */
	}
	if (a.name != 'n' || (s->user = saslname_decode(a.val, a.len)) == NULL)
		goto malformed;
	if (next_attr(msg, len, &pos, &a) < 0 || a.name != 'r' ||
	    !valid_nonce(a.val, a.len))
		goto malformed;
	s->nonce = strndup(a.val, a.len);
	while (pos < len) /* extensions: skipped */
		if (next_attr(msg, len, &pos, &a) < 0)
			goto malformed;
	if (authzid != NULL && strcmp(authzid, s->user) != 0) {
		free(authzid);
		return finish(s, SASL_FAIL);
	}
	free(authzid);
	s->client_first = strndup(msg + bare, len - bare);
	if (s->nonce == NULL || s->client_first == NULL)
		return finish(s, SASL_FAIL);
	s->phase = SP_SCRAM_LOOKUP;
	return SASL_LOOKUP;
malformed:
	free(authzid);
	return finish(s, SASL_MALFORMED);
}

enum sasl_step
sasl_scram_keys(struct sasl *s, const struct scram_keys *k,
                const unsigned char *fake_salt)
{
	unsigned char rnd[18];
	char *snonce, *salt, *nonce;
	int n;

	if (s->phase != SP_SCRAM_LOOKUP)
		return finish(s, SASL_FAIL);
	if (k != NULL) {
		memset(&s->keys, 0, sizeof(s->keys));
		s->keys.iter = k->iter;
		s->keys.salt_len = k->salt_len;
		memcpy(s->keys.salt, k->salt, sizeof(s->keys.salt));
		s->keys_valid = true;
	} else {
		memset(&s->keys, 0, sizeof(s->keys));
		memcpy(s->keys.salt, fake_salt, 16);
		s->keys.salt_len = 16;
		s->keys.iter = SCRAM_ITER_DEFAULT;
		s->keys_valid = false;
	}
	if (auth_test_server_nonce != NULL)
		snonce = str_dup(auth_test_server_nonce);
	else if (RAND_bytes(rnd, sizeof(rnd)) == 1)
		snonce = auth_b64_encode(rnd, sizeof(rnd));
	else
		snonce = NULL;
	salt = auth_b64_encode(s->keys.salt, s->keys.salt_len);
	n = snonce != NULL && salt != NULL
	            ? asprintf(&nonce, "%s%s", s->nonce, snonce)
	            : -1;
	free(snonce);
	if (n < 0) {
		free(salt);
		return finish(s, SASL_FAIL);
	}
	free(s->nonce);
	s->nonce = nonce;
	n = asprintf(&s->server_first, "r=%s,s=%s,i=%u", s->nonce, salt,
	             s->keys.iter);
	free(salt);
	if (n < 0) {
		s->server_first = NULL;
		return finish(s, SASL_FAIL);
	}
	s->phase = SP_SCRAM_FINAL;
	return challenge(s, s->server_first, strlen(s->server_first));
}

/* Check c= against the gs2 header: without channel binding its base64
 * is all it may carry (RFC 5802 s7, cbind-input). */
static bool
scram_cbind_ok(const struct sasl *s, const struct attr *a)
{
	unsigned char *raw;
	size_t n;
	bool ok;

	if (auth_b64_decode(a->val, a->len, &raw, &n) < 0)
		return false;
	ok = n == strlen(s->gs2_header) && memcmp(raw, s->gs2_header, n) == 0;
	free(raw);
	return ok;
}

/* The ClientProof is checked where the keys are (the key process): hand
 * it over with the AuthMessage (RFC 5802 s3). */
static enum sasl_step
scram_verify(struct sasl *s, const char *without_proof, size_t wlen,
             const unsigned char *proof)
{
	free(s->auth_msg);
	if (asprintf(&s->auth_msg, "%s,%s,%.*s", s->client_first,
	             s->server_first, (int)wlen, without_proof) < 0) {
		s->auth_msg = NULL;
		return finish(s, SASL_FAIL);
	}
	memcpy(s->proof, proof, SCRAM_KEY_LEN);
	s->phase = SP_SCRAM_PROVE;
	return SASL_PROVE;
}

enum sasl_step
sasl_scram_proved(struct sasl *s, bool ok, const unsigned char *server_sig)
{
	char *v, *sig64;
	enum sasl_step st;

	if (s->phase != SP_SCRAM_PROVE || !ok || !s->keys_valid)
		return finish(s, SASL_FAIL);
	sig64 = auth_b64_encode(server_sig, SCRAM_KEY_LEN);
	if (sig64 == NULL || asprintf(&v, "v=%s", sig64) < 0) {
		free(sig64);
		return finish(s, SASL_FAIL);
	}
	free(sig64);
	s->phase = SP_SCRAM_ACK;
	st = challenge(s, v, strlen(v));
	free(v);
	return st;
}

static enum sasl_step
scram_final(struct sasl *s, const unsigned char *in, size_t len)
{
	const char *msg = (const char *)in;
	unsigned char *proof = NULL;
	size_t pos = 0, plen, wlen;
	enum sasl_step st;
	struct attr a;

	if (memchr(in, '\0', len) != NULL ||
	    next_attr(msg, len, &pos, &a) < 0 || a.name != 'c' ||
	    !scram_cbind_ok(s, &a))
		return finish(s, SASL_MALFORMED);
	if (next_attr(msg, len, &pos, &a) < 0 || a.name != 'r')
		return finish(s, SASL_MALFORMED);
	if (a.len != strlen(s->nonce) || memcmp(a.val, s->nonce, a.len) != 0)
		return finish(s, SASL_FAIL);
	for (;;) {
		wlen = pos - 1;
		if (next_attr(msg, len, &pos, &a) < 0)
			return finish(s, SASL_MALFORMED);
		if (a.name == 'p')
			break;
	}
	if (pos != len || auth_b64_decode(a.val, a.len, &proof, &plen) < 0 ||
	    plen != SCRAM_KEY_LEN) {
		free(proof);
		return finish(s, SASL_MALFORMED);
	}
	st = scram_verify(s, msg, wlen, proof);
	free(proof);
	return st;
}

static enum sasl_step
scram_step(struct sasl *s, const unsigned char *in, size_t len)
{
	switch (s->phase) {
	case SP_START:
		if (in == NULL) {
			s->phase = SP_SCRAM_FIRST;
			return challenge(s, "", 0);
		}
		return scram_first(s, in, len);
	case SP_SCRAM_FIRST:
		return scram_first(s, in, len);
	case SP_SCRAM_FINAL:
		return scram_final(s, in, len);
	case SP_SCRAM_ACK:
		/* RFC 5802 s5: the client answers server-final with an
		 * empty response (RFC 4954 s4: an empty line). */
		return finish(s, len == 0 ? SASL_OK : SASL_MALFORMED);
	default:
		return finish(s, SASL_FAIL);
	}
}

enum sasl_step
sasl_step(struct sasl *s, const unsigned char *in, size_t len)
{
	if (s->phase == SP_DONE || s->phase == SP_SCRAM_LOOKUP ||
	    s->phase == SP_SCRAM_PROVE)
		return finish(s, SASL_FAIL);
	if (in == NULL && s->phase != SP_START)
		return finish(s, SASL_MALFORMED);
	switch (s->mech) {
	case SASL_PLAIN:
		if (s->phase == SP_START && in == NULL) {
			s->phase = SP_PLAIN;
			return challenge(s, "", 0);
		}
		return plain_message(s, in, len);
	case SASL_LOGIN:
		return login_step(s, in, len);
	case SASL_SCRAM_SHA_256:
		return scram_step(s, in, len);
	}
	return finish(s, SASL_FAIL);
}
