/*
 * fuzz_data_scanner.c — the DATA/BDAT content scanner.
 *
 * The first input octet selects the mode (bit 0: DATA), whether a size
 * limit applies (bit 1; the limit is then taken from the second octet) and
 * seeds the split of the rest into pieces.  The rest is scanned whole and
 * in pieces; both runs must agree on content, flags, octets used and every
 * counter.  The result is then checked against what RFC 5321 says in the
 * simplest possible terms:
 *   - DATA ends exactly at the first CRLF "." CRLF (the message start
 *     counts as after a CRLF), and nothing after it is consumed;
 *   - bare LF, bare CR and NUL are flagged exactly when present;
 *   - a clean DATA message is its lines with one leading dot removed;
 *   - BDAT content is the input, octet for octet.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

struct result {
	struct data_scanner sc;
	char *out;
	size_t outlen;
	size_t used;
};

/* pieces == NULL: one call for the whole input. */
static void
scan(const char *in, size_t len, bool dot, size_t max, uint32_t seed,
     bool pieces, struct result *r)
{
	size_t pos = 0;

	data_scanner_init(&r->sc, dot, max);
	r->out = malloc(len + 1);
	CHECK(r->out != NULL);
	r->outlen = 0;
	while (pos < len && !r->sc.done) {
		size_t want = len - pos, got, used;
		char *buf;

		if (pieces) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			want = seed % 8 == 7 ? seed % 300 : seed % 5;
			if (want > len - pos)
				want = len - pos;
		}
		/* Exactly the promised capacity, so overruns are caught. */
		buf = malloc(want ? want : 1);
		CHECK(buf != NULL);
		used = data_scan(&r->sc, in + pos, want, buf, &got);
		CHECK(used <= want && got <= want);
		CHECK(used == want || r->sc.done);
		memcpy(r->out + r->outlen, buf, got);
		free(buf);
		r->outlen += got;
		pos += used;
	}
	r->used = pos;
	if (!dot)
		data_scanner_finish(&r->sc);
}

static void
same(const struct result *a, const struct result *b)
{
	CHECK(a->outlen == b->outlen);
	CHECK(memcmp(a->out, b->out, a->outlen) == 0);
	CHECK(a->used == b->used);
	CHECK(a->sc.flags == b->sc.flags);
	CHECK(a->sc.done == b->sc.done);
	CHECK(a->sc.received == b->sc.received);
	CHECK(a->sc.size == b->sc.size);
	CHECK(a->sc.in_header == b->sc.in_header);
}

/* Where DATA must end: just past the first CRLF "." CRLF, or 0. */
static size_t
data_end(const char *in, size_t len)
{
	size_t i;

	if (len >= 3 && memcmp(in, ".\r\n", 3) == 0)
		return 3;
	for (i = 0; i + 5 <= len; i++)
		if (memcmp(in + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

static unsigned
expected_flags(const char *in, size_t used, bool done, bool finished)
{
	unsigned f = 0;
	size_t i, scan_len = done ? used - 3 : used; /* not the end marker */

	for (i = 0; i < scan_len; i++) {
		if (in[i] == '\0')
			f |= DATA_NUL;
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			f |= DATA_BARE_LF;
		if (in[i] == '\r' && ((i + 1 < scan_len && in[i + 1] != '\n') ||
		                      (i + 1 == scan_len && finished)))
			f |= DATA_BARE_CR;
	}
	return f;
}

/* Clean DATA content: each CRLF line with one leading dot removed. */
static void
check_unstuffed(const char *in, size_t body, const struct result *r)
{
	size_t i = 0, n = 0;

	while (i < body) {
		const char *eol = memchr(in + i, '\n', body - i);
		size_t ll;

		CHECK(eol != NULL);
		ll = (size_t)(eol - (in + i)) + 1;
		if (in[i] == '.') {
			i++;
			ll--;
		}
		CHECK(n + ll <= r->outlen);
		CHECK(memcmp(r->out + n, in + i, ll) == 0);
		n += ll;
		i += ll;
	}
	CHECK(n == r->outlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, split;
	const char *in;
	size_t len, max = 0, end;
	bool dot;
	unsigned ctl, flags;

	if (size < 1)
		return 0;
	ctl = data[0];
	dot = ctl & 1;
	in = (const char *)data + 1;
	len = size - 1;
	if ((ctl & 2) && len > 0) {
		max = (size_t)(unsigned char)in[0] * 4 + 1;
		in++;
		len--;
	}
	scan(in, len, dot, max, 0, false, &whole);
	scan(in, len, dot, max, ctl * 2654435761u | 1, true, &split);
	same(&whole, &split);

	CHECK(whole.outlen <= whole.used);
	CHECK(whole.outlen == whole.sc.size);
	if (max)
		CHECK(whole.outlen <= max);
	flags = whole.sc.flags &
	        ~(unsigned)(DATA_TOO_BIG | DATA_HEADER_TOO_LONG);
	if (dot) {
		end = data_end(in, len);
		CHECK(whole.sc.done == (end != 0));
		CHECK(whole.used == (end ? end : len));
		CHECK(flags == expected_flags(in, whole.used, end != 0, false));
		if (end && flags == 0 && !(whole.sc.flags & DATA_TOO_BIG))
			check_unstuffed(in, end - 3, &whole);
	} else {
		CHECK(whole.used == len);
		CHECK(flags == expected_flags(in, len, false, true));
		CHECK(whole.outlen == (max && len > max ? max : len));
		CHECK(memcmp(whole.out, in, whole.outlen) == 0);
		CHECK(((whole.sc.flags & DATA_TOO_BIG) != 0) ==
		      (max && len > max));
	}
	free(whole.out);
	free(split.out);
	return 0;
}
