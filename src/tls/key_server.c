/*
 * key_server.c — the key process's side of the TLS private key (see
 * tls.h): it reads the certificate and its key (generating the self-signed
 * pair at first start), sends the daemon the chain, and makes the one
 * private-key operation of each handshake on request (remote_key.c asks).
 * Only the public EVP API: the block arrives padded (RSA) or hashed
 * (ECDSA), and EVP_PKEY_sign without a digest signs it as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/msgpipe.h"
#include "base/str.h"
#include "config/config.h"
#include "tls/selfsigned.h"
#include "tls/tls.h"
#include "tls/tls_int.h"

/* Signing contexts, made once per key: fetching the algorithm again for
 * each handshake costs more than the ECDSA signature itself. */
enum sign_ctx { SIGN_RSA_PKCS1, SIGN_RSA_RAW, SIGN_EC, SIGN_NCTX };

struct tls_keys {
	char *cert_path;
	char *key_path;
	EVP_PKEY *key;
	EVP_PKEY_CTX *ctx[SIGN_NCTX];
	char *chain; /* PEM, as read */
	size_t chain_len;
};

static void
ssl_reason(char *why, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char r[200];

	if (e != 0)
		ERR_error_string_n(e, r, sizeof(r));
	else
		snprintf(r, sizeof(r), "%s", strerror(errno));
	ERR_clear_error();
	snprintf(why, len, "%s: %s", what, r);
}

/* The chain file, whole; NULL with why. */
static char *
read_chain(const char *path, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(why, whylen, "cannot load certificate %s: %s", path,
		         strerror(errno));
		return NULL;
	}
	buf = xmalloc(MSGPIPE_MAX + 1);
	n = fread(buf, 1, MSGPIPE_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > MSGPIPE_MAX) {
		snprintf(why, whylen, "cannot load certificate %s: %s", path,
		         n ? "longer than 64 KiB" : "empty");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static EVP_PKEY *
read_key(const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (f == NULL) {
		snprintf(why, whylen, "cannot load private key %s: %s", path,
		         strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		char what[300];

		snprintf(what, sizeof(what), "cannot load private key %s",
		         path);
		ssl_reason(why, whylen, what);
	}
	return k;
}

/* The chain's first certificate goes with key, of a type we sign. */
static int
pair_usable(const char *chain, size_t len, EVP_PKEY *key, char *why,
            size_t whylen)
{
	BIO *b = BIO_new_mem_buf(chain, (int)len);
	X509 *leaf = b ? PEM_read_bio_X509_AUX(b, NULL, NULL, NULL) : NULL;
	int ok = -1;

	BIO_free(b);
	if (leaf == NULL)
		ssl_reason(why, whylen, "cannot load certificate");
	else if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "EC"))
		snprintf(why, whylen,
		         "the key process signs with RSA and ECDSA keys only, "
		         "not %s",
		         EVP_PKEY_get0_type_name(key));
	else if (X509_check_private_key(leaf, key) != 1)
		ssl_reason(why, whylen,
		           "cannot load private key: it does not match the "
		           "certificate");
	else
		ok = 0;
	X509_free(leaf);
	ERR_clear_error();
	return ok;
}

int
tls_keys_check_pair(const char *cert_path, const char *key_path, char *why,
                    size_t whylen)
{
	size_t len = 0;
	char *chain = read_chain(cert_path, &len, why, whylen);
	EVP_PKEY *key = chain ? read_key(key_path, why, whylen) : NULL;
	int rc = key ? pair_usable(chain, len, key, why, whylen) : -1;

	EVP_PKEY_free(key);
	free(chain);
	return rc;
}

static EVP_PKEY_CTX *
sign_ctx_new(EVP_PKEY *key, int padding)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    (padding >= 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, padding) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

static void
contexts_free(struct tls_keys *k)
{
	for (int i = 0; i < SIGN_NCTX; i++) {
		EVP_PKEY_CTX_free(k->ctx[i]);
		k->ctx[i] = NULL;
	}
}

static void
contexts_make(struct tls_keys *k)
{
	contexts_free(k);
	if (EVP_PKEY_is_a(k->key, "RSA")) {
		k->ctx[SIGN_RSA_PKCS1] =
		        sign_ctx_new(k->key, RSA_PKCS1_PADDING);
		k->ctx[SIGN_RSA_RAW] = sign_ctx_new(k->key, RSA_NO_PADDING);
	} else {
		k->ctx[SIGN_EC] = sign_ctx_new(k->key, -1);
	}
}

/* Read the pair again; the old one stays when the new one is unusable. */
static int
keys_read(struct tls_keys *k, char *why, size_t whylen)
{
	size_t len = 0;
	char *chain = read_chain(k->cert_path, &len, why, whylen);
	EVP_PKEY *key = chain ? read_key(k->key_path, why, whylen) : NULL;

	if (key == NULL || pair_usable(chain, len, key, why, whylen) < 0) {
		EVP_PKEY_free(key);
		free(chain);
		return -1;
	}
	EVP_PKEY_free(k->key);
	free(k->chain);
	k->key = key;
	k->chain = chain;
	k->chain_len = len;
	contexts_make(k);
	return 0;
}

/* The generated pair's paths, made at first start. */
static int
generated_pair(struct tls_keys *k, const struct config *cfg)
{
	char dir[4096];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/tls", cfg->spool_dir);
	if (fs_mkdir_p(dir, 0700) < 0)
		return -1;
	if (asprintf(&k->cert_path, "%s/cert.pem", dir) < 0 ||
	    asprintf(&k->key_path, "%s/key.pem", dir) < 0)
		return -1;
	if ((stat(k->cert_path, &st) < 0 || stat(k->key_path, &st) < 0) &&
	    selfsigned_write(cfg->hostname, k->cert_path, k->key_path) < 0)
		return -1;
	/* Root's alone, the directory too (a pair made by an older ferry was
	 * given to the daemon's user with the spool). */
	if (geteuid() == 0 &&
	    (chown(dir, 0, 0) < 0 || chmod(dir, 0700) < 0 ||
	     chown(k->key_path, 0, 0) < 0 || chown(k->cert_path, 0, 0) < 0))
		log_event(LOG_LVL_WARN, "tls", "dir", dir, "error",
		          strerror(errno), NULL);
	return 0;
}

struct tls_keys *
tls_keys_load(const struct config *cfg)
{
	struct tls_keys *k = xcalloc(1, sizeof(*k));
	char why[512];

	if (cfg->tls_cert_file && cfg->tls_key_file) {
		k->cert_path = str_dup(cfg->tls_cert_file);
		k->key_path = str_dup(cfg->tls_key_file);
	} else if (generated_pair(k, cfg) < 0) {
		tls_keys_free(k);
		return NULL;
	}
	/* An unusable pair is reported to the daemon when it asks. */
	if (keys_read(k, why, sizeof(why)) < 0)
		log_event(LOG_LVL_ERROR, "tls", "error", why, NULL);
	return k;
}

void
tls_keys_paths(const struct tls_keys *k, const char **cert, const char **key)
{
	*cert = k->cert_path;
	*key = k->key_path;
}

void
tls_keys_free(struct tls_keys *k)
{
	if (k == NULL)
		return;
	contexts_free(k);
	EVP_PKEY_free(k->key);
	free(k->chain);
	free(k->cert_path);
	free(k->key_path);
	free(k);
}

/* The private operation on a block as it came; its length or -1. */
static int
sign_block(EVP_PKEY_CTX *ctx, const unsigned char *in, size_t len,
           unsigned char *out, size_t outmax)
{
	size_t n = outmax;
	int ok = ctx != NULL && EVP_PKEY_sign(ctx, out, &n, in, len) == 1;

	ERR_clear_error();
	return ok ? (int)n : -1;
}

static int
answer_err(unsigned char *out, uint32_t *type, const char *why)
{
	*type = TLS_KEY_ERR;
	return snprintf((char *)out, MSGPIPE_MAX, "%s", why);
}

static int
answer_sign(struct tls_keys *k, uint32_t type, const unsigned char *in,
            size_t len, unsigned char *out, uint32_t *otype)
{
	enum sign_ctx which = SIGN_EC;
	int32_t pad = -1;
	int n;

	if (type == TLS_KEY_RSA_SIGN) {
		if (len < 4 || !EVP_PKEY_is_a(k->key, "RSA"))
			return answer_err(out, otype, "not an RSA key");
		memcpy(&pad, in, 4);
		/* Only what the legacy RSA code pads for a signature. */
		if (pad != RSA_PKCS1_PADDING && pad != RSA_NO_PADDING)
			return answer_err(out, otype, "padding refused");
		which = pad == RSA_PKCS1_PADDING ? SIGN_RSA_PKCS1
		                                 : SIGN_RSA_RAW;
		in += 4;
		len -= 4;
	} else if (!EVP_PKEY_is_a(k->key, "EC")) {
		return answer_err(out, otype, "not an EC key");
	}
	if (len > TLS_KEY_BLOCK_MAX)
		return answer_err(out, otype, "block too long");
	n = sign_block(k->ctx[which], in, len, out, TLS_KEY_BLOCK_MAX);
	if (n < 0)
		return answer_err(out, otype, "signing failed");
	*otype = TLS_KEY_OK;
	return n;
}

int
tls_keys_answer(void *arg, uint32_t type, const unsigned char *in, size_t len,
                unsigned char *out, uint32_t *otype)
{
	struct tls_keys *k = arg;
	char why[512];

	switch (type) {
	case TLS_KEY_CHAIN:
		/* At start the pair was just read: a reload reads it again. */
		if ((len > 0 || k->key == NULL) &&
		    keys_read(k, why, sizeof(why)) < 0) {
			log_event(LOG_LVL_ERROR, "tls", "error", why, NULL);
			return answer_err(out, otype, why);
		}
		memcpy(out, k->chain, k->chain_len);
		*otype = TLS_KEY_OK;
		return (int)k->chain_len;
	case TLS_KEY_RSA_SIGN:
	case TLS_KEY_ECDSA_SIGN:
		if (k->key == NULL)
			return answer_err(out, otype, "no key");
		return answer_sign(k, type, in, len, out, otype);
	default:
		return answer_err(out, otype, "unknown request");
	}
}
