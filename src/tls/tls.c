/*
 * tls.c — the server TLS context (see tls.h).
 */
#include "base/str.h"
#include "tls/tls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/msgpipe.h"
#include "config/config.h"
#include "tls/tls_int.h"

struct tls_server {
	SSL_CTX *ctx;
	int key_fd;
	int min_version;
	char *ciphers;
	char *submission_ciphers; /* with !kRSA, as set_ciphers() adds */
};

/* Why a context could not be made. */
struct tls_failure {
	const char *what;
	char reason[256];
};

static void
note_ssl_error(struct tls_failure *f, const char *what)
{
	unsigned long e = ERR_get_error();

	f->what = what;
	if (e != 0)
		ERR_error_string_n(e, f->reason, sizeof(f->reason));
	else
		snprintf(f->reason, sizeof(f->reason), "%s", strerror(errno));
	ERR_clear_error();
}

/* The chain (leaf first) into ctx, with a key whose private half stays in
 * the key process. */
static int
use_chain(SSL_CTX *ctx, const char *pem, size_t len, struct tls_failure *f)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509_AUX(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = x ? remote_key_new(X509_get0_pubkey(x)) : NULL;
	int ok = key != NULL && SSL_CTX_use_certificate(ctx, x) == 1 &&
	         SSL_CTX_use_PrivateKey(ctx, key) == 1;

	X509_free(x);
	while (ok && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			ok = 0;
		}
	/* The end of the file reads as an error: not one. */
	if (ok)
		ERR_clear_error();
	else
		note_ssl_error(f, "cannot use the certificate");
	EVP_PKEY_free(key);
	BIO_free(b);
	return ok ? 0 : -1;
}

/* The key process reads the pair (again when reread) and sends the
 * chain. */
static int
fetch_chain(const struct tls_server *ts, bool reread, char *buf,
            struct tls_failure *f)
{
	uint32_t type = 0;
	int n = msgpipe_call(ts->key_fd, TLS_KEY_CHAIN, "r", reread ? 1 : 0,
	                     &type, buf, TLS_KEY_TIMEOUT_MS);

	f->what = "the key process cannot give the certificate";
	if (n < 0) {
		snprintf(f->reason, sizeof(f->reason), "%s", strerror(errno));
		return -1;
	}
	if (type != TLS_KEY_OK) {
		snprintf(f->reason, sizeof(f->reason), "%.*s",
		         n < (int)sizeof(f->reason)
		                 ? n
		                 : (int)sizeof(f->reason) - 1,
		         buf);
		return -1;
	}
	f->what = NULL;
	return n;
}

/*
 * A plain RSA key exchange (TLS 1.2 kRSA suites) would decrypt with the
 * private key in a way the key process is not asked to: those suites,
 * which lack forward secrecy anyway, are left out of the list.
 */
/* RSA key exchange decrypts with the private key, which only the key
 * process has (and it has no forward secrecy anyway). */
static char *
usable_ciphers(const char *ciphers)
{
	char *list = NULL;

	return asprintf(&list, "%s:!kRSA", ciphers) < 0 ? NULL : list;
}

static int
set_ciphers(SSL_CTX *ctx, const char *ciphers)
{
	char *list = usable_ciphers(ciphers);
	int ok = list != NULL && SSL_CTX_set_cipher_list(ctx, list);

	free(list);
	return ok;
}

static SSL_CTX *
context_new(const struct tls_server *ts, bool reread, struct tls_failure *f)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char *chain = xmalloc(MSGPIPE_MAX);
	int n;

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, ts->min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE |
	                                 SSL_OP_NO_COMPRESSION);
	/* libevent writes from its own buffers: allow a moving write buffer. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!set_ciphers(ctx, ts->ciphers)) {
		note_ssl_error(f, "bad cipher list");
		goto fail;
	}
	n = fetch_chain(ts, reread, chain, f);
	if (n < 0 || use_chain(ctx, chain, (size_t)n, f) < 0)
		goto fail;
	free(chain);
	return ctx;
fail:
	free(chain);
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
make_context(const struct tls_server *ts, bool reread)
{
	struct tls_failure f = {0};
	SSL_CTX *ctx = context_new(ts, reread, &f);

	if (ctx == NULL && f.what != NULL)
		log_event(LOG_LVL_ERROR, "tls", "error", f.what, "reason",
		          f.reason, NULL);
	return ctx;
}

int
tls_check_config(const struct config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char why[512];

	if (cfg->tls_cert_file == NULL && cfg->tls_key_file == NULL)
		return 0;
	if (cfg->tls_cert_file == NULL || cfg->tls_key_file == NULL) {
		snprintf(err, errlen,
		         "[tls] cert_file and key_file go together: set both "
		         "or neither");
		return -1;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || !set_ciphers(ctx, cfg->tls_ciphers) ||
	    !set_ciphers(ctx, cfg->tls_submission_ciphers)) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		snprintf(err, errlen, "[tls] bad cipher list %s or %s",
		         cfg->tls_ciphers, cfg->tls_submission_ciphers);
		return -1;
	}
	SSL_CTX_free(ctx);
	if (tls_keys_check_pair(cfg->tls_cert_file, cfg->tls_key_file, why,
	                        sizeof(why)) < 0) {
		snprintf(err, errlen, "[tls] %s", why);
		return -1;
	}
	return 0;
}

/* The submission list must leave a suite for the certificate's key. */
static bool
submission_ciphers_usable(const struct tls_server *ts)
{
	SSL *ssl = SSL_new(ts->ctx);
	bool ok = ssl != NULL &&
	          SSL_set_cipher_list(ssl, ts->submission_ciphers) == 1;

	if (!ok)
		log_event(LOG_LVL_ERROR, "tls", "error", "bad cipher list",
		          "ciphers", ts->submission_ciphers, NULL);
	SSL_free(ssl);
	ERR_clear_error();
	return ok;
}

struct tls_server *
tls_server_new(const struct config *cfg, int key_fd)
{
	struct tls_server *ts = xcalloc(1, sizeof(*ts));

	ts->key_fd = key_fd;
	ts->min_version = strcmp(cfg->tls_min_version, "TLSv1.3") == 0
	                          ? TLS1_3_VERSION
	                          : TLS1_2_VERSION;
	ts->ciphers = str_dup(cfg->tls_ciphers);
	ts->submission_ciphers = usable_ciphers(cfg->tls_submission_ciphers);
	remote_key_link(key_fd);
	ts->ctx = make_context(ts, false);
	if (ts->ctx == NULL || ts->submission_ciphers == NULL ||
	    !submission_ciphers_usable(ts)) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}

int
tls_server_reload(struct tls_server *ts)
{
	SSL_CTX *ctx = make_context(ts, true);

	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ts->ctx);
	ts->ctx = ctx;
	log_event(LOG_LVL_INFO, "tls", "reloaded", "certificate and key", NULL);
	return 0;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	SSL_CTX_free(ts->ctx);
	free(ts->ciphers);
	free(ts->submission_ciphers);
	free(ts);
}

void
tls_server_key_lost(struct tls_server *ts)
{
	remote_key_lost();
}

bool
tls_server_available(const struct tls_server *ts)
{
	return ts != NULL && remote_key_alive();
}

SSL *
tls_server_ssl(struct tls_server *ts, bool submission)
{
	SSL *ssl = SSL_new(ts->ctx);

	if (ssl != NULL && submission &&
	    !SSL_set_cipher_list(ssl, ts->submission_ciphers)) {
		SSL_free(ssl); /* checked at start: cannot happen */
		ssl = NULL;
	}
	return ssl;
}

void
tls_describe(SSL *ssl, char *buf, size_t len)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	int alg = 0, bits = c ? SSL_CIPHER_get_bits(c, &alg) : 0;

	snprintf(buf, len, "%s with cipher %s (%d/%d bits)",
	         SSL_get_version(ssl), c ? SSL_CIPHER_get_name(c) : "none",
	         bits, alg);
}

/*
 * libevent keeps the SSL_get_error() code first (SSL_ERROR_SSL or
 * SSL_ERROR_SYSCALL: no library, no reason of its own; printed as
 * "error:00000001:lib(0)::reason(1)"), then OpenSSL's error queue, and
 * hands them back newest first.  The oldest queued error is the cause, the
 * later ones its consequences.
 */
void
tls_bev_error(struct bufferevent *bev, char *buf, size_t len,
              const char *fallback)
{
	bool found = false, protocol = false;
	unsigned long e;

	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (ERR_GET_LIB(e) != 0) {
			ERR_error_string_n(e, buf, len);
			found = true;
		} else if (e == SSL_ERROR_SSL) {
			protocol = true;
		}
	}
	if (!found)
		snprintf(buf, len, "%s",
		         protocol ? "TLS protocol error" : fallback);
}
