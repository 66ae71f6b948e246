/*
 * b64.c — strict base64 for SASL lines (RFC 4648 s4; RFC 4954 s4 requires a
 * 501 for anything that does not decode).  OpenSSL does the arithmetic;
 * this file only refuses what EVP_DecodeBlock would quietly accept
 * (whitespace, missing or misplaced padding, non-zero pad bits).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/auth_int.h"

/* Far above any SASL line; keeps lengths well inside int. */
#define B64_MAX ((size_t)1 << 20)

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Padding count (0-2) when in[0..len) is canonical base64, else -1. */
static int
b64_check(const char *in, size_t len)
{
	size_t i, pad = 0;
	int last;

	if (len % 4 != 0)
		return -1;
	if (len == 0)
		return 0;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (b64_value((unsigned char)in[i]) < 0)
			return -1;
	/* The bits the padding drops must be zero (RFC 4648 s3.5). */
	last = b64_value((unsigned char)in[len - pad - 1]);
	if ((pad == 1 && (last & 0x03) != 0) ||
	    (pad == 2 && (last & 0x0f) != 0))
		return -1;
	return (int)pad;
}

int
auth_b64_decode(const char *in, size_t inlen, unsigned char **out,
                size_t *outlen)
{
	unsigned char *buf;
	int pad, n;

	*out = NULL;
	*outlen = 0;
	if (inlen > B64_MAX || (pad = b64_check(in, inlen)) < 0)
		return -1;
	buf = malloc(inlen / 4 * 3 + 1);
	if (buf == NULL)
		return -1;
	n = inlen == 0 ? 0
	               : EVP_DecodeBlock(buf, (const unsigned char *)in,
	                                 (int)inlen);
	if (n < 0 || (size_t)n != inlen / 4 * 3) {
		free(buf);
		return -1;
	}
	n -= pad;
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

char *
auth_b64_encode(const unsigned char *in, size_t len)
{
	char *out;

	if (len > B64_MAX / 4 * 3)
		return NULL;
	out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}
