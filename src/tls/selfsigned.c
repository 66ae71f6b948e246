/*
 * selfsigned.c — a self-signed certificate for the demo and first start.
 */
#include "tls/selfsigned.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/log.h"

#define VALID_SECONDS (10L * 365 * 24 * 3600)

static int
add_san(X509 *crt, const char *hostname)
{
	char san[300];
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	snprintf(san, sizeof(san), "DNS:%s", hostname);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *
make_cert(EVP_PKEY *key, const char *hostname)
{
	X509 *crt = X509_new();
	X509_NAME *name;
	uint64_t serial;

	if (crt == NULL)
		return NULL;
	name = X509_get_subject_name(crt);
	/* A random positive serial, as RFC 5280 s4.1.2.2 asks. */
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1 ||
	    !X509_set_version(crt, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(crt),
	                             (serial >> 1) | 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(crt), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(crt), VALID_SECONDS) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)hostname, -1, -1,
	                                0) ||
	    !X509_set_issuer_name(crt, name) || !X509_set_pubkey(crt, key) ||
	    add_san(crt, hostname) < 0 || !X509_sign(crt, key, EVP_sha256())) {
		X509_free(crt);
		return NULL;
	}
	return crt;
}

/* Write with fopen over an fd made with the right mode from the start. */
static FILE *
open_private(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	return fd < 0 ? NULL : fdopen(fd, "w");
}

int
selfsigned_write(const char *hostname, const char *cert_path,
                 const char *key_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *crt = key ? make_cert(key, hostname) : NULL;
	FILE *kf = NULL, *cf = NULL;
	int rc = -1;

	if (crt == NULL)
		goto out;
	kf = open_private(key_path, 0600);
	cf = open_private(cert_path, 0644);
	if (kf && cf &&
	    PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL) &&
	    PEM_write_X509(cf, crt) && fflush(kf) == 0 && fflush(cf) == 0 &&
	    fsync(fileno(kf)) == 0 && fsync(fileno(cf)) == 0)
		rc = 0;
out:
	if (kf)
		fclose(kf);
	if (cf)
		fclose(cf);
	X509_free(crt);
	EVP_PKEY_free(key);
	if (rc == 0)
		log_event(LOG_LVL_INFO, "tls", "generated",
		          "self-signed certificate", "hostname", hostname,
		          "cert", cert_path, NULL);
	else
		log_event(LOG_LVL_ERROR, "tls", "error",
		          "cannot generate a self-signed certificate", "cert",
		          cert_path, NULL);
	return rc;
}
