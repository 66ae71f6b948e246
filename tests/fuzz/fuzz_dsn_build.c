/*
 * fuzz_dsn_build.c — libFuzzer target: a report and an original message
 * derived from arbitrary bytes must give a well-formed notification.
 *
 * Input: 16 control bytes (RET, recipient count, actions, reasons, times),
 * then NUL-separated fields: reporting MTA, sender, ENVID, then per
 * recipient final recipient, ORCPT, status, remote MTA, diagnostic; the
 * rest (NULs included) is the original message.
 *
 * Checked: CRLF line ends only, no line over 998 octets, no NUL; every line
 * of the message header is "Name:" or a continuation; the delivery-status
 * part is 7-bit and made of field lines and empty lines; the boundary
 * occurs only in Content-Type, as three part delimiters and one close
 * delimiter that ends the message.  Any violation aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn/dsn.h"

#define MAX_RCPTS 4
#define NFIELDS (3 + 5 * MAX_RCPTS)
#define CT_PREFIX                                                              \
	"\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n" \
	" boundary=\""

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const reasons[] = {NULL,        "userunknown", "mailboxfull",
                                      "bogus",     "ratelimited", "",
                                      "delivered", "expired"};

static size_t
count(const char *p, size_t n, const char *needle)
{
	size_t c = 0, nl = strlen(needle);
	const char *q, *end = p + n;

	while ((q = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
		c++;
		p = q + nl;
	}
	return c;
}

static void
check_lines(const char *m, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (m[i] == '\0' || m[i] == '\n')
			abort();
		if (m[i] == '\r') {
			if (i + 1 >= n || m[i + 1] != '\n')
				abort();
			i++;
			col = 0;
		} else if (++col > 998) {
			abort();
		}
	}
	if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n')
		abort();
}

/* Field lines ("Name:" or folded) up to the first empty line; returns its
 * end.  seven_bit: no octet above 0x7e allowed. */
static const char *
check_fields(const char *p, const char *end, bool seven_bit)
{
	const char *eol;
	size_t k;

	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL)
			abort();
		if (eol == p)
			return p;
		if (*p != ' ' && *p != '\t') {
			k = strspn(p,
			           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			           "qrstuvwxyz0123456789-");
			if (k == 0 || p + k >= eol || p[k] != ':')
				abort();
		}
		for (; seven_bit && p < eol; p++)
			if ((unsigned char)*p > 0x7e)
				abort();
		p = eol + 2;
	}
	return p;
}

static void
check_status_part(const char *p, const char *end)
{
	/* Skip the part's own header, then field blocks. */
	p = check_fields(p, end, true) + 2;
	while (p < end) {
		p = check_fields(p, end, true);
		p += 2;
	}
}

static void
check_report(const char *m, size_t n)
{
	char bnd[128], delim[160], close[160];
	const char *b, *q, *p, *end = m + n, *parts[3];
	size_t bl;
	int i;

	check_lines(m, n);
	check_fields(m, end, false);
	b = strstr(m, CT_PREFIX);
	if (b == NULL)
		abort();
	b += strlen(CT_PREFIX);
	q = strchr(b, '"');
	if (q == NULL || q == b || (bl = (size_t)(q - b)) > 100)
		abort();
	snprintf(bnd, sizeof(bnd), "%.*s", (int)bl, b);
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", bnd);
	snprintf(close, sizeof(close), "\r\n--%s--\r\n", bnd);
	if (count(m, n, bnd) != 5 || count(m, n, delim) != 3 ||
	    count(m, n, close) != 1 ||
	    memcmp(end - strlen(close), close, strlen(close)) != 0)
		abort();
	p = m;
	for (i = 0; i < 3; i++) {
		p = memmem(p, (size_t)(end - p), delim, strlen(delim));
		parts[i] = p += strlen(delim);
	}
	q = memmem(parts[1], (size_t)(end - parts[1]), delim, strlen(delim));
	check_status_part(parts[1], q);
}

/* NUL-separated fields of data; missing ones are "". */
static char *
fields(const uint8_t *data, size_t size, const char *f[NFIELDS],
       const char **rest, size_t *restlen)
{
	char *arena = malloc(size + 1);
	size_t i, pos = 0;

	if (arena == NULL)
		abort();
	memcpy(arena, data, size);
	arena[size] = '\0';
	for (i = 0; i < NFIELDS; i++) {
		if (pos > size) {
			f[i] = "";
			continue;
		}
		f[i] = arena + pos;
		pos += strlen(arena + pos) + 1;
	}
	*rest = pos <= size ? (const char *)data + pos : "";
	*restlen = pos <= size ? size - pos : 0;
	return arena;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsn_recipient rc[MAX_RCPTS];
	struct dsn_report r;
	const char *f[NFIELDS], *orig;
	size_t origlen, len, i;
	char *arena, *m;
	int64_t t;

	if (size < 16)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(rc, 0, sizeof(rc));
	arena = fields(data + 16, size - 16, f, &orig, &origlen);
	r.ret = (enum dsn_ret)(data[0] % 3);
	r.nrcpts = 1 + data[1] % MAX_RCPTS;
	r.reporting_mta = f[0];
	r.original_sender = f[1];
	r.envid = data[0] & 0x80 ? f[2] : NULL;
	r.queue_id = "F0123456789ABCDE";
	memcpy(&t, data + 8, sizeof(t));
	r.now = data[0] & 0x40 ? (time_t)t : 1700000000;
	r.arrival = (time_t)((uint64_t)r.now - 3600);
	for (i = 0; i < r.nrcpts; i++) {
		rc[i].final_recipient = f[3 + 5 * i];
		rc[i].orcpt = data[2 + i] & 0x10 ? f[4 + 5 * i] : NULL;
		rc[i].status = f[5 + 5 * i];
		rc[i].remote_mta = data[2 + i] & 0x20 ? f[6 + 5 * i] : NULL;
		rc[i].diagnostic = data[2 + i] & 0x40 ? f[7 + 5 * i] : NULL;
		rc[i].action = (enum dsn_action)(data[2 + i] % 5);
		rc[i].reason = reasons[data[6 + (i & 1)] >> (4 * (i >> 1)) & 7];
		rc[i].last_attempt =
		        data[2 + i] & 0x80 ? (time_t)((uint64_t)r.now - 60) : 0;
		rc[i].will_retry_until = data[2 + i] & 0x08 ? (time_t)t : 0;
	}
	r.rcpts = rc;
	m = dsn_build(&r, orig, origlen, &len);
	if (m == NULL || strlen(m) != len)
		abort();
	check_report(m, len);
	free(m);
	free(arena);
	return 0;
}
