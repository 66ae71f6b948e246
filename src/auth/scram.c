/*
 * scram.c — SCRAM-SHA-256 keys (RFC 5802 s3, RFC 7677) and the form Dovecot
 * stores them in a passwd-file: "{SCRAM-SHA-256}iter,salt,storedkey,serverkey"
 * with the last three in base64.  All primitives come from OpenSSL.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/auth_int.h"

int
scram_hmac(const unsigned char *key, size_t keylen, const void *msg,
           size_t msglen, unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int n = 0;

	if (keylen > INT_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &n) ==
	            NULL ||
	    n != SCRAM_KEY_LEN)
		return -1;
	return 0;
}

int
scram_derive(const char *pw, size_t pwlen, const unsigned char *salt,
             size_t salt_len, unsigned iter, struct scram_keys *out)
{
	unsigned char salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	int rc = -1;

	if (salt_len == 0 || salt_len > SCRAM_SALT_MAX || iter == 0 ||
	    iter > SCRAM_ITER_MAX || pwlen > INT_MAX)
		return -1;
	if (PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)salt_len, (int)iter,
	                      EVP_sha256(), sizeof(salted), salted) != 1)
		goto out;
	if (scram_hmac(salted, sizeof(salted), "Client Key", 10, client_key) <
	            0 ||
	    scram_hmac(salted, sizeof(salted), "Server Key", 10,
	               out->server_key) < 0)
		goto out;
	if (SHA256(client_key, sizeof(client_key), out->stored_key) == NULL)
		goto out;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->iter = iter;
	rc = 0;
out:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return rc;
}

/* Decode one base64 field of exactly want bytes (want 0: 1..max bytes). */
static int
decode_field(const char *s, size_t len, unsigned char *dst, size_t want,
             size_t max, size_t *got)
{
	unsigned char *buf;
	size_t n;

	if (auth_b64_decode(s, len, &buf, &n) < 0)
		return -1;
	if ((want != 0 && n != want) || n == 0 || n > max) {
		free(buf);
		return -1;
	}
	memcpy(dst, buf, n);
	free(buf);
	if (got != NULL)
		*got = n;
	return 0;
}

int
scram_parse_stored(const char *s, struct scram_keys *out)
{
	const char *f[4], *end;
	size_t flen[4];
	unsigned long iter;
	char *ep;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 4; i++) {
		f[i] = s;
		end = i < 3 ? strchr(s, ',') : s + strlen(s);
		if (end == NULL)
			return -1;
		flen[i] = (size_t)(end - s);
		s = end + (i < 3);
	}
	if (strchr(f[3], ',') != NULL || flen[0] == 0 || flen[0] > 8 ||
	    f[0][0] < '1' || f[0][0] > '9')
		return -1;
	iter = strtoul(f[0], &ep, 10);
	if (ep != f[0] + flen[0] || iter > SCRAM_ITER_MAX)
		return -1;
	out->iter = (unsigned)iter;
	if (decode_field(f[1], flen[1], out->salt, 0, SCRAM_SALT_MAX,
	                 &out->salt_len) < 0 ||
	    decode_field(f[2], flen[2], out->stored_key, SCRAM_KEY_LEN,
	                 SCRAM_KEY_LEN, NULL) < 0 ||
	    decode_field(f[3], flen[3], out->server_key, SCRAM_KEY_LEN,
	                 SCRAM_KEY_LEN, NULL) < 0)
		return -1;
	return 0;
}

char *
scram_format_stored(const struct scram_keys *k)
{
	char *salt, *stored, *server, *out = NULL;

	salt = auth_b64_encode(k->salt, k->salt_len);
	stored = auth_b64_encode(k->stored_key, SCRAM_KEY_LEN);
	server = auth_b64_encode(k->server_key, SCRAM_KEY_LEN);
	if (salt != NULL && stored != NULL && server != NULL &&
	    asprintf(&out, "%u,%s,%s,%s", k->iter, salt, stored, server) < 0)
		out = NULL;
	free(salt);
	free(stored);
	free(server);
	return out;
}

char *
auth_scram_stored(const char *pw, unsigned iter)
{
	unsigned char salt[16];
	struct scram_keys k;
	char *out;

	if (iter < SCRAM_ITER_MIN || iter > SCRAM_ITER_MAX ||
	    RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scram_derive(pw, strlen(pw), salt, sizeof(salt), iter, &k) < 0)
		return NULL;
	out = scram_format_stored(&k);
	OPENSSL_cleanse(&k, sizeof(k));
	return out;
}

int
scram_check_proof(const struct scram_keys *k, const char *auth_msg, size_t len,
                  const unsigned char proof[SCRAM_KEY_LEN],
                  unsigned char server_sig[SCRAM_KEY_LEN])
{
	unsigned char sig[SCRAM_KEY_LEN], key[SCRAM_KEY_LEN];
	unsigned char stored[SCRAM_KEY_LEN];
	int ok;

	if (scram_hmac(k->stored_key, SCRAM_KEY_LEN, auth_msg, len, sig) < 0 ||
	    scram_hmac(k->server_key, SCRAM_KEY_LEN, auth_msg, len,
	               server_sig) < 0)
		return -1;
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		key[i] = proof[i] ^ sig[i];
	SHA256(key, sizeof(key), stored);
	ok = CRYPTO_memcmp(stored, k->stored_key, SCRAM_KEY_LEN) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(sig, sizeof(sig));
	if (!ok)
		OPENSSL_cleanse(server_sig, SCRAM_KEY_LEN);
	return ok;
}
