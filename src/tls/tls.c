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
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "base/fs.h"
#include "base/log.h"
#include "config/config.h"
#include "tls/selfsigned.h"

struct tls_server {
	SSL_CTX *ctx;
	char *cert_path;
	char *key_path;
	int min_version;
	char *ciphers;
};

/* Why a context could not be made. */
struct tls_failure {
	const char *what;
	const char *path;
	char reason[256];
};

static void
note_ssl_error(struct tls_failure *f, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();

	f->what = what;
	f->path = path;
	if (e != 0)
		ERR_error_string_n(e, f->reason, sizeof(f->reason));
	else
		snprintf(f->reason, sizeof(f->reason), "%s", strerror(errno));
	ERR_clear_error();
}

static SSL_CTX *
context_new(const struct tls_server *ts, struct tls_failure *f)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, ts->min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE |
	                                 SSL_OP_NO_COMPRESSION);
	/* libevent writes from its own buffers: allow a moving write buffer. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!SSL_CTX_set_cipher_list(ctx, ts->ciphers)) {
		note_ssl_error(f, "bad cipher list", ts->ciphers);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, ts->cert_path) != 1) {
		note_ssl_error(f, "cannot load certificate", ts->cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, ts->key_path, SSL_FILETYPE_PEM) !=
	            1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		note_ssl_error(f, "cannot load private key", ts->key_path);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
make_context(const struct tls_server *ts)
{
	struct tls_failure f = {0};
	SSL_CTX *ctx = context_new(ts, &f);

	if (ctx == NULL && f.what != NULL)
		log_event(LOG_LVL_ERROR, "tls", "error", f.what, "file", f.path,
		          "reason", f.reason, NULL);
	return ctx;
}

int
tls_check_config(const struct config *cfg, char *err, size_t errlen)
{
	struct tls_server ts = {
	        .cert_path = cfg->tls_cert_file,
	        .key_path = cfg->tls_key_file,
	        .min_version = TLS1_2_VERSION,
	        .ciphers = cfg->tls_ciphers,
	};
	struct tls_failure f = {0};
	SSL_CTX *ctx;

	if (cfg->tls_cert_file == NULL && cfg->tls_key_file == NULL)
		return 0;
	if (cfg->tls_cert_file == NULL || cfg->tls_key_file == NULL) {
		snprintf(err, errlen,
		         "[tls] cert_file and key_file go together: set both "
		         "or neither");
		return -1;
	}
	ctx = context_new(&ts, &f);
	if (ctx == NULL) {
		snprintf(err, errlen, "[tls] %s %s: %s",
		         f.what ? f.what : "cannot make a TLS context",
		         f.path ? f.path : "", f.reason);
		return -1;
	}
	SSL_CTX_free(ctx);
	return 0;
}

/* Paths of the generated pair, created at first start. */
static int
default_pair(struct tls_server *ts, const struct config *cfg)
{
	char dir[4096];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/tls", cfg->spool_dir);
	if (fs_mkdir_p(dir, 0700) < 0)
		return -1;
	if (asprintf(&ts->cert_path, "%s/cert.pem", dir) < 0 ||
	    asprintf(&ts->key_path, "%s/key.pem", dir) < 0)
		return -1;
	if (stat(ts->cert_path, &st) == 0 && stat(ts->key_path, &st) == 0)
		return 0;
	return selfsigned_write(cfg->hostname, ts->cert_path, ts->key_path);
}

struct tls_server *
tls_server_new(const struct config *cfg)
{
	struct tls_server *ts = calloc(1, sizeof(*ts));

	if (ts == NULL)
		return NULL;
	ts->min_version = strcmp(cfg->tls_min_version, "TLSv1.3") == 0
	                          ? TLS1_3_VERSION
	                          : TLS1_2_VERSION;
	ts->ciphers = str_dup(cfg->tls_ciphers);
	if (cfg->tls_cert_file && cfg->tls_key_file) {
		ts->cert_path = str_dup(cfg->tls_cert_file);
		ts->key_path = str_dup(cfg->tls_key_file);
	} else if (default_pair(ts, cfg) < 0) {
		tls_server_free(ts);
		return NULL;
	}
	ts->ctx = make_context(ts);
	if (ts->ctx == NULL) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}

int
tls_server_reload(struct tls_server *ts)
{
	SSL_CTX *ctx = make_context(ts);

	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ts->ctx);
	ts->ctx = ctx;
	log_event(LOG_LVL_INFO, "tls", "reloaded", ts->cert_path, NULL);
	return 0;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	SSL_CTX_free(ts->ctx);
	free(ts->cert_path);
	free(ts->key_path);
	free(ts->ciphers);
	free(ts);
}

SSL *
tls_server_ssl(struct tls_server *ts)
{
	return SSL_new(ts->ctx);
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
