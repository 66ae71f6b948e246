/*
 * maildrop.c — the maildrop file header: serialise and parse (see
 * maildrop.h).  The parser takes untrusted bytes from any local user.
 */
#include "control/maildrop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
maildrop_name_valid(const char *name)
{
	size_t i;

	for (i = 0; i < MAILDROP_NAME_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return name[MAILDROP_NAME_LEN] == '\0';
}

int
maildrop_add_rcpt(struct maildrop_hdr *h, const struct mailaddr *a)
{
	struct mailaddr *nv;

	if (h->nrcpts >= MAILDROP_MAX_RCPTS)
		return errno = E2BIG, -1;
	nv = realloc(h->rcpts, (h->nrcpts + 1) * sizeof(*nv));
	if (nv == NULL)
		return errno = ENOMEM, -1;
	h->rcpts = nv;
	h->rcpts[h->nrcpts++] = *a;
	return 0;
}

void
maildrop_hdr_free(struct maildrop_hdr *h)
{
	free(h->rcpts);
	memset(h, 0, sizeof(*h));
}

void
maildrop_format_path(const struct mailaddr *a, char *buf, size_t len)
{
	char addr[ADDR_PATH_MAX + 3];

	addr_format(a, addr, sizeof(addr));
	snprintf(buf, len, "<%s>", addr);
}

char *
maildrop_serialize(const struct maildrop_hdr *h, size_t *len_r)
{
	char path[ADDR_PATH_MAX + 8], *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	maildrop_format_path(&h->sender, path, sizeof(path));
	fprintf(f, "%s\nuid %ld\nsender %s\n", MAILDROP_MAGIC, h->uid, path);
	for (i = 0; i < h->nrcpts; i++) {
		maildrop_format_path(&h->rcpts[i], path, sizeof(path));
		fprintf(f, "rcpt %s\n", path);
	}
	fputs("data\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

/* A whole path: the value must be exactly one addr_parse_path() path. */
static bool
parse_addr(const char *v, size_t len, bool is_sender, struct mailaddr *a)
{
	size_t used = 0;

	return addr_parse_path(v, len, is_sender, !is_sender, a, &used) ==
	               ADDR_OK &&
	       used == len;
}

static bool
parse_uid(const char *v, size_t len, long *uid)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (v[i] - '0');
	}
	*uid = n;
	return true;
}

enum { SEEN_UID = 1, SEEN_SENDER = 2 };

/* One "key value" line (without its newline). */
static const char *
parse_line(const char *line, size_t len, struct maildrop_hdr *h, unsigned *seen)
{
	const char *sp = memchr(line, ' ', len);
	size_t klen = sp ? (size_t)(sp - line) : len;
	const char *v = sp ? sp + 1 : line + len;
	size_t vlen = sp ? len - klen - 1 : 0;
	struct mailaddr a;

	if (memchr(line, '\0', len) || memchr(line, '\r', len))
		return "control character in header";
	if (klen == 3 && memcmp(line, "uid", 3) == 0) {
		if ((*seen & SEEN_UID) || !parse_uid(v, vlen, &h->uid))
			return "bad uid line";
		*seen |= SEEN_UID;
	} else if (klen == 6 && memcmp(line, "sender", 6) == 0) {
		if ((*seen & SEEN_SENDER) || !parse_addr(v, vlen, true, &a))
			return "bad sender line";
		h->sender = a;
		*seen |= SEEN_SENDER;
	} else if (klen == 4 && memcmp(line, "rcpt", 4) == 0) {
		if (!parse_addr(v, vlen, false, &a))
			return "bad recipient address";
		if (maildrop_add_rcpt(h, &a) < 0)
			return "too many recipients";
	} else {
		return "unknown header line";
	}
	return NULL;
}

int
maildrop_parse(const char *buf, size_t len, struct maildrop_hdr *h,
               size_t *body_off_r, const char **error_r)
{
	size_t mlen = strlen(MAILDROP_MAGIC), off, llen;
	const char *nl, *err = "no data line";
	unsigned seen = 0;

	memset(h, 0, sizeof(*h));
	if (len > MAILDROP_HEADER_MAX)
		len = MAILDROP_HEADER_MAX;
	if (len <= mlen || memcmp(buf, MAILDROP_MAGIC, mlen) != 0 ||
	    buf[mlen] != '\n') {
		*error_r = "not a maildrop file (or another version)";
		return -1;
	}
	for (off = mlen + 1; off < len; off += llen + 1) {
		if ((nl = memchr(buf + off, '\n', len - off)) == NULL)
			break;
		llen = (size_t)(nl - (buf + off));
		if (llen == 4 && memcmp(buf + off, "data", 4) == 0) {
			err = NULL;
			*body_off_r = off + 5;
			break;
		}
		if ((err = parse_line(buf + off, llen, h, &seen)) != NULL)
			break;
		err = "no data line";
	}
	if (err == NULL && seen != (SEEN_UID | SEEN_SENDER))
		err = "uid or sender missing";
	if (err == NULL && h->nrcpts == 0)
		err = "no recipients";
	if (err) {
		maildrop_hdr_free(h);
		*error_r = err;
		return -1;
	}
	return 0;
}
