/*
 * fuzz_arc.c — a message from anyone: the ARC chain parser, the parsers
 * of each AMS and AS, and the ARC-Seal hash over the sets must take any
 * bytes without reading out of bounds; verification against a fixed key
 * record ends in a result.  Sealing a fuzzed message (whose
 * Authentication-Results may claim the sealer's name) must not crash
 * either: it seals or says why not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "dkim/keys_int.h"
#include "dkim/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record[] =
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static void
check_chain(const char *msg, size_t len, const struct arc_chain *c)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dgl = 0;
	struct dkim_sig s;
	const char *why;
	int i;

	for (i = 1; i <= c->n; i++) {
		if (dkim_sig_parse_arc(c->set[i].ams.f, c->set[i].ams.n, false,
		                       &s, &why) == 0)
			(void)dkim_sig_verify(&s, record, msg, len, &why);
		dkim_sig_free(&s);
		if (dkim_sig_parse_arc(c->set[i].as.f, c->set[i].as.n, true, &s,
		                       &why) == 0 &&
		    arc_seal_digest(c, i, &c->set[i].aar, &c->set[i].ams,
		                    s.unsigned_field, dg, &dgl) == 0)
			(void)dkim_sig_check_digest(&s, record, dg, dgl, &why);
		dkim_sig_free(&s);
	}
}

/* An Ed25519 key only: sealing stops before signing (ARC is RSA), after
 * reading the Authentication-Results and the chain. */
static struct dkim_keys *
keys(void)
{
	static struct dkim_key k;
	static struct dkim_keys ks = {&k, 1};

	if (k.pkey == NULL) {
		k.domain = "fwd.test";
		k.selector = "s";
		k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		k.alg = DKIM_ED25519_SHA256;
	}
	return &ks;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size + 1), *sealed;
	struct arc_chain *c = malloc(sizeof(*c));
	const char *why;

	if (msg == NULL || c == NULL) {
		free(msg);
		free(c);
		return 0;
	}
	memcpy(msg, data, size);
	msg[size] = '\0';
	(void)arc_chain_parse(msg, size, c, &why);
	/* What was found is checked even when the structure failed: the
	 * pointers must stay inside the message either way. */
	for (int i = 1; i <= c->n; i++)
		if (!c->set[i].aar.f || !c->set[i].ams.f || !c->set[i].as.f)
			c->n = 0;
	check_chain(msg, size, c);
	sealed = arc_seal_message(keys(), "fwd.test", "mx.fwd.test", msg, size,
	                          0, &why);
	free(sealed);
	free(c);
	free(msg);
	return 0;
}
