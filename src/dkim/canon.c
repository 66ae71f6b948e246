/*
 * canon.c — relaxed canonicalization (RFC 6376 s3.4.2, s3.4.4) and the body
 * hash.  Both work on the message as stored: CRLF line ends.
 */
#include <string.h>

#include <openssl/evp.h>

#include "dkim/dkim.h"
#include "dkim/dkim_int.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

long
dkim_canon_header(const char *field, size_t len, char *out, size_t outlen)
{
	const char *colon = memchr(field, ':', len);
	size_t i, n = 0, vstart;
	bool pending_sp = false, started = false;

	if (colon == NULL)
		return -1;
	/* The name lower-cased, without the white space before the colon. */
	vstart = (size_t)(colon - field);
	while (vstart > 0 && is_wsp(field[vstart - 1]))
		vstart--;
	for (i = 0; i < vstart; i++) {
		if (n + 1 >= outlen)
			return -1;
		char c = field[i];
		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (n + 1 >= outlen)
		return -1;
	out[n++] = ':';
	/* Unfold, reduce white space runs to one SP, none at either end. */
	for (i = (size_t)(colon - field) + 1; i < len; i++) {
		char c = field[i];

		if (c == '\r' || c == '\n' || is_wsp(c)) {
			pending_sp = true;
			continue;
		}
		if (pending_sp && started) {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = ' ';
		}
		pending_sp = false;
		started = true;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	return (long)n;
}

const char *
dkim_body_start(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	if (len >= 2 && msg[0] == '\r' && msg[1] == '\n')
		return msg + 2; /* no header at all */
	while (p + 3 < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return nl + 3;
		p = nl + 1;
	}
	return end;
}

/* The digest, fed at most `left` octets when l= limits the body
 * (left < 0: no limit). */
struct feed {
	EVP_MD_CTX *md;
	long left;
};

static void
feed(struct feed *f, const char *p, size_t n)
{
	if (f->left >= 0 && (long)n > f->left)
		n = (size_t)f->left;
	if (n == 0)
		return;
	EVP_DigestUpdate(f->md, p, n);
	if (f->left >= 0)
		f->left -= (long)n;
}

/* One body line (without its CRLF) in canonical form into the digest. */
static void
hash_line(struct feed *f, const char *l, size_t n, bool relaxed)
{
	char buf[1024];
	size_t i, o = 0;
	bool sp = false;

	if (!relaxed) {
		feed(f, l, n);
		feed(f, "\r\n", 2);
		return;
	}
	while (n > 0 && is_wsp(l[n - 1]))
		n--;
	for (i = 0; i < n; i++) {
		if (is_wsp(l[i])) {
			sp = true;
			continue;
		}
		if (o + 2 > sizeof(buf)) {
			feed(f, buf, o);
			o = 0;
		}
		if (sp)
			buf[o++] = ' ';
		sp = false;
		buf[o++] = l[i];
	}
	/* The loop may have filled buf to its last byte. */
	if (o + 2 > sizeof(buf)) {
		feed(f, buf, o);
		o = 0;
	}
	buf[o++] = '\r';
	buf[o++] = '\n';
	feed(f, buf, o);
}

int
dkim_body_digest(const char *msg, size_t len, bool relaxed, long limit,
                 unsigned char *dg, unsigned *dglen)
{
	const char *p = dkim_body_start(msg, len), *end = msg + len;
	size_t empty = 0; /* empty lines held back: trailing ones vanish */
	bool any = false;
	struct feed f = {EVP_MD_CTX_new(), limit};

	if (f.md == NULL || !EVP_DigestInit_ex(f.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(f.md);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *lend = nl ? nl : end;
		size_t n = (size_t)(lend - p), k = 0;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (relaxed)
			for (k = 0; k < n && is_wsp(p[k]); k++)
				;
		if (k == n) {
			empty++;
		} else {
			for (; empty > 0; empty--)
				feed(&f, "\r\n", 2);
			hash_line(&f, p, n, relaxed);
			any = true;
		}
		p = nl ? nl + 1 : end;
	}
	/* Simple: an empty body is one CRLF (RFC 6376 s3.4.3). */
	if (!relaxed && !any)
		feed(&f, "\r\n", 2);
	EVP_DigestFinal_ex(f.md, dg, dglen);
	EVP_MD_CTX_free(f.md);
	return 0;
}

int
dkim_body_hash(const char *msg, size_t len, char out[64])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	if (dkim_body_digest(msg, len, true, -1, digest, &dlen) < 0)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
	return 0;
}
