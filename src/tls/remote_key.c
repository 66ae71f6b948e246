/*
 * remote_key.c — the daemon's TLS private key without the private key: an
 * RSA or EC key holding only the certificate's public half, whose private
 * operations (the handshake's signature) are requests to the key process
 * (key_server.c), as OpenSMTPD's ca.c does.
 *
 * Why RSA_METHOD and EC_KEY_METHOD, deprecated in OpenSSL 3: a key with a
 * method of its own is a "foreign" key to OpenSSL 3, and libssl signs with
 * it through the legacy RSA and EC code, which pads (PKCS#1 v1.5 or PSS
 * for TLS 1.2 and 1.3) and hashes before the one call that needs the
 * private key: priv_enc for RSA, sign for ECDSA.  That call is all that
 * crosses to the key process.  A provider (keymgmt plus signature for each
 * key type) does the same in about five times the code, and libssl would
 * still have to be told to prefer it for every key it loads.  The API is
 * deprecated but present throughout OpenSSL 3; it is confined to this
 * file, which alone is compiled without the deprecation warnings
 * (OPENSSL_SUPPRESS_DEPRECATED below), so a deprecated call anywhere else
 * still fails the build.  Ed25519 keys have no such method: they stay
 * unsupported (key_server.c refuses them with a reason).
 *
 * Plain RSA key exchange (TLS 1.2 kRSA suites) would need a private
 * decryption with libssl's implicit-rejection padding, which the legacy
 * path does not offer: tls.c takes those suites out of the cipher list.
 *
 * Threads: the link is used under a lock; in practice the loop thread.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "base/log.h"
#include "base/msgpipe.h"
#include "tls/tls_int.h"

static pthread_mutex_t link_lock = PTHREAD_MUTEX_INITIALIZER;
static int link_fd = -1;
static bool link_dead;
static RSA_METHOD *rsa_method;
static EC_KEY_METHOD *ec_method;

void
remote_key_link(int fd)
{
	pthread_mutex_lock(&link_lock);
	link_fd = fd;
	link_dead = fd < 0;
	pthread_mutex_unlock(&link_lock);
}

bool
remote_key_alive(void)
{
	bool alive;

	pthread_mutex_lock(&link_lock);
	alive = link_fd >= 0 && !link_dead;
	pthread_mutex_unlock(&link_lock);
	return alive;
}

/* With link_lock held. */
static void
mark_lost(void)
{
	if (link_dead)
		return;
	link_dead = true;
	log_event(LOG_LVL_ERROR, "keyproc-lost", "role", "tls", "detail",
	          "no TLS until ferry is restarted", NULL);
}

void
remote_key_lost(void)
{
	pthread_mutex_lock(&link_lock);
	mark_lost();
	pthread_mutex_unlock(&link_lock);
}

/* One request; the answer's length in out, or -1 (logged). */
static int
ask(uint32_t type, const void *req, size_t len, unsigned char *out,
    size_t outmax)
{
	static unsigned char buf[MSGPIPE_MAX];
	uint32_t atype = 0;
	int n = -1;

	pthread_mutex_lock(&link_lock);
	if (link_fd >= 0 && !link_dead) {
		n = msgpipe_call(link_fd, type, req, len, &atype, buf,
		                 TLS_KEY_TIMEOUT_MS);
		if (n < 0 && errno == EPIPE) {
			mark_lost();
		} else if (n < 0) {
			log_event(LOG_LVL_ERROR, "tls-sign", "error",
			          strerror(errno), NULL);
		} else if (n >= 0 &&
		           (atype != TLS_KEY_OK || (size_t)n > outmax)) {
			buf[n < (int)MSGPIPE_MAX ? n : 0] = '\0';
			log_event(LOG_LVL_ERROR, "tls-sign", "error",
			          atype == TLS_KEY_ERR ? (char *)buf
			                               : "bad answer",
			          NULL);
			n = -1;
		} else if (n >= 0) {
			memcpy(out, buf, (size_t)n);
		}
	}
	pthread_mutex_unlock(&link_lock);
	return n;
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
             int padding)
{
	unsigned char req[4 + TLS_KEY_BLOCK_MAX];
	int32_t pad = padding;
	int size = RSA_size(rsa), n;

	if (flen < 0 || flen > TLS_KEY_BLOCK_MAX || size > TLS_KEY_BLOCK_MAX)
		return -1;
	memcpy(req, &pad, 4);
	memcpy(req + 4, from, (size_t)flen);
	n = ask(TLS_KEY_RSA_SIGN, req, 4 + (size_t)flen, to, (size_t)size);
	return n == size ? n : -1;
}

/* The legacy RSA code decrypts only for kRSA suites, which are off. */
static int
rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
             int padding)
{
	return -1;
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
        unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r,
        EC_KEY *eckey)
{
	int max = ECDSA_size(eckey), n;

	if (dlen < 0 || dlen > TLS_KEY_BLOCK_MAX || max <= 0)
		return 0;
	n = ask(TLS_KEY_ECDSA_SIGN, dgst, (size_t)dlen, sig, (size_t)max);
	if (n <= 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
            const BIGNUM *r, EC_KEY *eckey)
{
	unsigned char der[TLS_KEY_BLOCK_MAX];
	const unsigned char *p = der;
	unsigned int len = 0;

	if (ECDSA_size(eckey) > (int)sizeof(der) ||
	    ec_sign(0, dgst, dlen, der, &len, kinv, r, eckey) != 1)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)len);
}

static bool
methods_ready(void)
{
	int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

	if (rsa_method == NULL) {
		rsa_method = RSA_meth_dup(RSA_PKCS1_OpenSSL());
		if (rsa_method == NULL ||
		    RSA_meth_set1_name(rsa_method, "ferry key process") != 1 ||
		    RSA_meth_set_priv_enc(rsa_method, rsa_priv_enc) != 1 ||
		    RSA_meth_set_priv_dec(rsa_method, rsa_priv_dec) != 1)
			return false;
	}
	if (ec_method == NULL) {
		ec_method = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
		if (ec_method == NULL)
			return false;
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), NULL, &setup, NULL);
		EC_KEY_METHOD_set_sign(ec_method, ec_sign, setup, ec_sign_sig);
	}
	return true;
}

static EVP_PKEY *
rsa_remote(EVP_PKEY *pub)
{
	const RSA *src = EVP_PKEY_get0_RSA(pub);
	RSA *rsa = src ? RSAPublicKey_dup(src) : NULL;
	EVP_PKEY *pk = EVP_PKEY_new();

	if (rsa == NULL || pk == NULL || RSA_set_method(rsa, rsa_method) != 1 ||
	    EVP_PKEY_assign_RSA(pk, rsa) != 1) {
		RSA_free(rsa);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static EVP_PKEY *
ec_remote(EVP_PKEY *pub)
{
	const EC_KEY *src = EVP_PKEY_get0_EC_KEY(pub);
	EC_KEY *ec = src ? EC_KEY_dup(src) : NULL;
	EVP_PKEY *pk = EVP_PKEY_new();

	if (ec == NULL || pk == NULL || EC_KEY_set_method(ec, ec_method) != 1 ||
	    EVP_PKEY_assign_EC_KEY(pk, ec) != 1) {
		EC_KEY_free(ec);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

EVP_PKEY *
remote_key_new(EVP_PKEY *pub)
{
	if (!methods_ready())
		return NULL;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		return rsa_remote(pub);
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		return ec_remote(pub);
	return NULL;
}
