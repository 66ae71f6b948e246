/*
 * mail.c — the report as mail (RFC 8460 s5.3): multipart/report with
 * report-type "tlsrpt", a short text part and the JSON gzipped as
 * application/tlsrpt+gzip under the file name of s5.1.
 */
#include "tlsrpt/tlsrpt.h"
#include "tlsrpt/tlsrpt_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

unsigned char *
tlsrpt_gzip(const char *data, size_t len, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	uLong cap;
	int rc;

	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: a gzip wrapper (RFC 1952), not zlib's own. */
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, (uLong)len) + 32;
	out = malloc(cap);
	if (out == NULL) {
		deflateEnd(&zs);
		return NULL;
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* Base64 in lines of 76 characters (RFC 2045 s6.8). */
static void
put_base64(FILE *out, const unsigned char *data, size_t len)
{
	unsigned char line[80];
	size_t i;

	for (i = 0; i < len; i += 57) {
		int n = EVP_EncodeBlock(line, data + i,
		                        (int)(len - i < 57 ? len - i : 57));

		fprintf(out, "%.*s\r\n", n, line);
	}
}

void
tlsrpt_filename(const struct tlsrpt_mail *m, char *buf, size_t len)
{
	/* s5.1: sender "!" policy-domain "!" begin "!" end "." extension */
	snprintf(buf, len, "%s!%s!%lld!%lld.json.gz", m->submitter, m->domain,
	         (long long)m->begin, (long long)m->end);
}

static void
put_headers(FILE *out, const struct tlsrpt_mail *m, const char *boundary)
{
	char date[64];
	struct tm tm;
	size_t i;

	gmtime_r(&m->now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(out, "From: <%s>\r\nTo: ", m->from);
	for (i = 0; i < m->nto; i++)
		fprintf(out, "%s<%s>", i ? ",\r\n " : "", m->to[i]);
	/* s5.3: the Subject names domain, submitter and report id; the
	 * fields say the first two again for filters. */
	fprintf(out,
	        "\r\nDate: %s\r\n"
	        "Subject: Report Domain: %s\r\n Submitter: %s\r\n"
	        " Report-ID: <%s>\r\n"
	        "Message-ID: <%s>\r\n"
	        "TLS-Report-Domain: %s\r\n"
	        "TLS-Report-Submitter: %s\r\n"
	        /* s5.3: delivered despite TLS failures (RFC 8689 s4.1) */
	        "TLS-Required: No\r\n"
	        "Auto-Submitted: auto-generated\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
	        " boundary=\"%s\"\r\n\r\n",
	        date, m->domain, m->submitter, m->report_id, m->report_id,
	        m->domain, m->submitter, boundary);
}

char *
tlsrpt_mail_build(const struct tlsrpt_mail *m, size_t *len)
{
	char boundary[96], name[600];
	unsigned char *gz;
	size_t gzlen;
	char *text = NULL;
	FILE *out;

	gz = tlsrpt_gzip(m->json, m->jsonlen, &gzlen);
	if (gz == NULL)
		return NULL;
	out = open_memstream(&text, len);
	if (out == NULL) {
		free(gz);
		return NULL;
	}
	snprintf(boundary, sizeof(boundary), "tlsrpt-%lld-%s",
	         (long long)m->now, m->domain);
	tlsrpt_filename(m, name, sizeof(name));
	put_headers(out, m, boundary);
	fprintf(out,
	        "This is a MIME-formatted message.\r\n\r\n"
	        "--%s\r\n"
	        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	        "This is an aggregate TLS report (RFC 8460) from %s\r\n"
	        "on the mail it sent to %s on %s (UTC).\r\n\r\n"
	        "--%s\r\n"
	        "Content-Type: application/tlsrpt+gzip\r\n"
	        "Content-Transfer-Encoding: base64\r\n"
	        "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\n",
	        boundary, m->submitter, m->domain, m->day, boundary, name);
	put_base64(out, gz, gzlen);
	fprintf(out, "\r\n--%s--\r\n", boundary);
	free(gz);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
