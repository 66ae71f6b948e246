/*
 * record.c — one line per governed session (see tlsrpt.h).
 *
 * Line: TYPE TAB DOMAIN TAB MX TAB IP TAB RESULT TAB REASON TAB POLICY,
 * each field percent-escaped (%, TAB, CR, LF and other control bytes),
 * "-" for none.
 */
#include "tlsrpt/tlsrpt.h"
#include "tlsrpt/tlsrpt_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"

static const char *const result_names[] = {
        [TLSRPT_SUCCESS] = "success",
        [TLSRPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
        [TLSRPT_CERT_HOST_MISMATCH] = "certificate-host-mismatch",
        [TLSRPT_CERT_EXPIRED] = "certificate-expired",
        [TLSRPT_CERT_NOT_TRUSTED] = "certificate-not-trusted",
        [TLSRPT_VALIDATION_FAILURE] = "validation-failure",
        [TLSRPT_DNSSEC_INVALID] = "dnssec-invalid",
        [TLSRPT_TLSA_INVALID] = "tlsa-invalid",
        [TLSRPT_STS_FETCH_ERROR] = "sts-policy-fetch-error",
        [TLSRPT_STS_POLICY_INVALID] = "sts-policy-invalid",
        [TLSRPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

const char *
tlsrpt_result_name(enum tlsrpt_result r)
{
	return result_names[r];
}

static void
put_field(char *buf, size_t cap, size_t *n, const char *s, bool last)
{
	static const char hex[] = "0123456789ABCDEF";

	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0' && *n + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '%') {
			buf[(*n)++] = '%';
			buf[(*n)++] = hex[c >> 4];
			buf[(*n)++] = hex[c & 15];
		} else {
			buf[(*n)++] = (char)c;
		}
	}
	if (*n + 1 < cap)
		buf[(*n)++] = last ? '\n' : '\t';
}

void
tlsrpt_day(time_t when, char *day, size_t len)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(day, len, "%Y-%m-%d", &tm);
}

enum tlsrpt_result
tlsrpt_classify(const char *error)
{
	if (error == NULL)
		return TLSRPT_VALIDATION_FAILURE;
	if (strstr(error, "does not offer") != NULL ||
	    strstr(error, "STARTTLS was refused") != NULL)
		return TLSRPT_STARTTLS_NOT_SUPPORTED;
	if (strstr(error, "hostname mismatch") != NULL)
		return TLSRPT_CERT_HOST_MISMATCH;
	if (strstr(error, "expired") != NULL)
		return TLSRPT_CERT_EXPIRED;
	if (strstr(error, "DNSSEC validation failed") != NULL)
		return TLSRPT_DNSSEC_INVALID;
	if (strstr(error, "certificate verification failed") != NULL)
		return TLSRPT_CERT_NOT_TRUSTED;
	return TLSRPT_VALIDATION_FAILURE;
}

int
tlsrpt_record(const char *dir, const struct tlsrpt_event *e)
{
	char path[4096], day[16], line[8192];
	size_t n = 0;
	ssize_t w;
	int fd;

	if (fs_mkdir_p(dir, 0700) < 0)
		return -1;
	tlsrpt_day(e->when, day, sizeof(day));
	snprintf(path, sizeof(path), "%s/%s", dir, day);
	put_field(line, sizeof(line), &n,
	          e->policy == TLSRPT_POLICY_STS ? "sts" : "tlsa", false);
	put_field(line, sizeof(line), &n, e->domain, false);
	put_field(line, sizeof(line), &n, e->mx, false);
	put_field(line, sizeof(line), &n, e->ip, false);
	put_field(line, sizeof(line), &n, result_names[e->result], false);
	put_field(line, sizeof(line), &n, e->reason, false);
	put_field(line, sizeof(line), &n, e->policy_string, true);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	w = write(fd, line, n);
	close(fd);
	if (w != (ssize_t)n) {
		errno = EIO;
		return -1;
	}
	return 0;
}
