/*
 * keys.c — the signing keys: DIR/DOMAIN/SELECTOR.pem, loaded once at start
 * (before privileges are dropped, like the TLS key), and the TXT record
 * that publishes a key (RFC 6376 s3.6.1, RFC 8463 s4).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/mem.h"
#include "base/str.h"
#include "dkim/dkim.h"
#include "dkim/keys_int.h"

int
dkim_alg_of(EVP_PKEY *key)
{
	switch (EVP_PKEY_base_id(key)) {
	case EVP_PKEY_RSA:
		return DKIM_RSA_SHA256;
	case EVP_PKEY_ED25519:
		return DKIM_ED25519_SHA256;
	default:
		return -1;
	}
}

static bool
valid_label_text(const char *s)
{
	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static int
load_one(struct dkim_keys *ks, const char *dir, const char *domain,
         const char *file, const char **error_r)
{
	char path[4096], sel[256];
	size_t l = strlen(file);
	EVP_PKEY *pkey;
	FILE *fp;

	if (l <= 4 || strcmp(file + l - 4, ".pem") != 0 || l - 4 >= sizeof(sel))
		return 0;
	memcpy(sel, file, l - 4);
	sel[l - 4] = '\0';
	if (!valid_label_text(sel))
		return 0;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, domain, file);
	fp = fopen(path, "r");
	if (fp == NULL) {
		*error_r = "cannot open a key file";
		return -1;
	}
	pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL || dkim_alg_of(pkey) < 0) {
		EVP_PKEY_free(pkey);
		*error_r = "a key file holds no RSA or Ed25519 private key";
		return -1;
	}
	ks->k = xreallocarray(ks->k, ks->n + 1, sizeof(*ks->k));
	ks->k[ks->n++] = (struct dkim_key){str_dup(domain), str_dup(sel), pkey,
	                                   dkim_alg_of(pkey)};
	return 0;
}

static int
load_domain(struct dkim_keys *ks, const char *dir, const char *domain,
            const char **error_r)
{
	char path[4096];
	struct dirent **ents;
	int n, i, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, domain);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return 0; /* a plain file: not a domain */
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = load_one(ks, dir, domain, ents[i]->d_name,
			              error_r);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

struct dkim_keys *
dkim_keys_load(const char *dir, const char **error_r)
{
	struct dkim_keys *ks = calloc(1, sizeof(*ks));
	struct dirent **ents;
	int n, i, rc = 0;

	if (ks == NULL)
		abort();
	if (dir == NULL)
		return ks;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return ks;
		*error_r = "cannot read the key directory";
		free(ks);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && valid_label_text(ents[i]->d_name))
			rc = load_domain(ks, dir, ents[i]->d_name, error_r);
		free(ents[i]);
	}
	free(ents);
	if (rc < 0) {
		dkim_keys_free(ks);
		return NULL;
	}
	return ks;
}

void
dkim_keys_free(struct dkim_keys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->k[i].domain);
		free(ks->k[i].selector);
		EVP_PKEY_free(ks->k[i].pkey);
	}
	free(ks->k);
	free(ks);
}

size_t
dkim_keys_count(const struct dkim_keys *ks)
{
	return ks ? ks->n : 0;
}

void
dkim_keys_at(const struct dkim_keys *ks, size_t i, const char **domain,
             const char **selector, EVP_PKEY **pkey)
{
	*domain = ks->k[i].domain;
	*selector = ks->k[i].selector;
	*pkey = ks->k[i].pkey;
}

const char *
dkim_keys_domain_for(const struct dkim_keys *ks, const char *dom)
{
	size_t i;

	while (ks && dom && *dom) {
		for (i = 0; i < ks->n; i++)
			if (strcmp(ks->k[i].domain, dom) == 0)
				return ks->k[i].domain;
		dom = strchr(dom, '.');
		if (dom == NULL || strchr(dom + 1, '.') == NULL)
			break; /* never sign for a bare top-level name */
		dom++;
	}
	return NULL;
}

void
dkim_record_p_value(const char *rec, char *out, size_t outlen)
{
	const char *p = rec;
	size_t o = 0;

	out[0] = '\0';
	while ((p = strstr(p, "p=")) != NULL) {
		if (p == rec || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t')
			break;
		p += 2;
	}
	if (p == NULL)
		return;
	for (p += 2; *p && *p != ';' && o + 1 < outlen; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			out[o++] = *p;
	out[o] = '\0';
}

char *
dkim_public_txt(EVP_PKEY *key)
{
	unsigned char raw[1024], *p = raw;
	char b64[1400], *out;
	size_t rawlen = sizeof(raw);
	int alg = dkim_alg_of(key), len;

	if (alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 s4: the bare 32-byte public key. */
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1)
			return NULL;
	} else {
		/* RFC 6376 s3.6.1: the DER SubjectPublicKeyInfo. */
		len = i2d_PUBKEY(key, NULL);
		if (len <= 0 || (size_t)len > sizeof(raw) ||
		    i2d_PUBKEY(key, &p) != len)
			return NULL;
		rawlen = (size_t)len;
	}
	EVP_EncodeBlock((unsigned char *)b64, raw, (int)rawlen);
	out = xmalloc(strlen(b64) + 64);
	sprintf(out, "v=DKIM1; k=%s; p=%s",
	        alg == DKIM_ED25519_SHA256 ? "ed25519" : "rsa", b64);
	return out;
}
