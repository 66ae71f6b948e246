/*
 * fuzz_dkim.c — a message from anyone: the field walker, the From address,
 * both body canonicalizations and the DKIM-Signature parser must take any
 * bytes without reading out of bounds, and verification against a fixed
 * key record must end in a result, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/dkim.h"
#include "dkim/dkim_int.h"
#include "dkim/sign_int.h"
#include "dkim/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sig_cb(void *arg, const char *f, size_t n)
{
	const char *msg = ((const char **)arg)[0], *why;
	size_t len = (size_t)(((const char **)arg)[1] - msg);
	struct dkim_sig sig;

	if (n < 15 || memcmp(f, "DKIM-Signature:", 15) != 0)
		return 0;
	if (dkim_sig_parse(f, n, &sig, &why) == 0)
		(void)dkim_sig_verify(&sig,
		                      "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/"
		                      "7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		                      msg, len, &why);
	dkim_sig_free(&sig);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size + 1), from[512], bh[64];
	const char *ends[2];
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dgl;

	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	msg[size] = '\0';
	(void)dkim_from_address(msg, size, from, sizeof(from));
	(void)dkim_body_hash(msg, size, bh);
	(void)dkim_body_digest(msg, size, false, 10, dg, &dgl);
	ends[0] = msg;
	ends[1] = msg + size;
	dkim_each_field(msg, size, sig_cb, ends);
	free(msg);
	return 0;
}
