/*
 * pwtable.c — Dovecot's passwd-file format, the subset ferry needs:
 *
 *   user:{SCHEME}data[:uid:gid:gecos:home:shell:extra]
 *
 * Only the first two fields matter; the rest are ignored.  Schemes: CRYPT,
 * BLF-CRYPT, SHA256-CRYPT, SHA512-CRYPT (all checked by crypt(3), so
 * yescrypt "$y$" hashes go under {CRYPT}) and SCRAM-SHA-256.  A password
 * field without a {SCHEME} is CRYPT, Dovecot's default for passwd-files.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <crypt.h>
#include <openssl/crypto.h>

#include "base/str.h"
#include "auth/auth_int.h"

static const struct {
	const char *name;
	enum pw_scheme scheme;
} schemes[] = {
        {"CRYPT", PW_CRYPT},         {"BLF-CRYPT", PW_CRYPT},
        {"SHA256-CRYPT", PW_CRYPT},  {"SHA512-CRYPT", PW_CRYPT},
        {"SCRAM-SHA-256", PW_SCRAM},
};

void
pw_entry_clear(struct pw_entry *e)
{
	free(e->user);
	if (e->hash != NULL) {
		OPENSSL_cleanse(e->hash, strlen(e->hash));
		free(e->hash);
	}
	OPENSSL_cleanse(&e->scram, sizeof(e->scram));
	memset(e, 0, sizeof(*e));
}

int
pw_entry_copy(struct pw_entry *dst, const struct pw_entry *src)
{
	*dst = *src;
	dst->user = str_dup(src->user);
	dst->hash = src->hash != NULL ? str_dup(src->hash) : NULL;
	if (dst->user == NULL || (src->hash != NULL && dst->hash == NULL)) {
		pw_entry_clear(dst);
		return -1;
	}
	return 0;
}

/* Fill e from the password field; -1 when unusable. */
static int
parse_password(struct pw_entry *e, const char *pw)
{
	const char *close;
	size_t i, n;

	if (pw[0] != '{') {
		e->scheme = PW_CRYPT;
		return pw[0] == '\0' ? -1 : ((e->hash = str_dup(pw)) ? 0 : -1);
	}
	close = strchr(pw, '}');
	if (close == NULL)
		return -1;
	n = (size_t)(close - pw - 1);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) != n ||
		    strncasecmp(schemes[i].name, pw + 1, n) != 0)
			continue;
		e->scheme = schemes[i].scheme;
		if (e->scheme == PW_SCRAM)
			return scram_parse_stored(close + 1, &e->scram);
		if (close[1] == '\0')
			return -1;
		e->hash = str_dup(close + 1);
		return e->hash != NULL ? 0 : -1;
	}
	return -1;
}

/* One line (no newline, NUL-terminated, modifiable): 1 entry, 0 skip,
 * -1 bad. */
static int
parse_line(char *line, struct pw_entry *e)
{
	char *colon, *pw_end;
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return 0;
	colon = strchr(line, ':');
	if (colon == NULL || colon == line ||
	    (size_t)(colon - line) > AUTH_USER_MAX)
		return -1;
	*colon = '\0';
	pw_end = strchr(colon + 1, ':');
	if (pw_end != NULL)
		*pw_end = '\0';
	memset(e, 0, sizeof(*e));
	if (parse_password(e, colon + 1) < 0) {
		pw_entry_clear(e);
		return -1;
	}
	e->user = str_dup(line);
	if (e->user == NULL) {
		pw_entry_clear(e);
		return -1;
	}
	return 1;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct pw_entry *x = a, *y = b;
	int c = strcmp(x->user, y->user);

	/* Equal names keep file order, so the first one stays first. */
	if (c == 0)
		return x < y ? -1 : x > y;
	return c;
}

/* Sort, then drop later duplicates. */
static void
finish_table(struct pw_table *t)
{
	size_t i, j = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(t->v[0]), entry_cmp);
	for (i = 0; i < t->n; i++) {
		if (j > 0 && strcmp(t->v[j - 1].user, t->v[i].user) == 0) {
			pw_entry_clear(&t->v[i]);
			continue;
		}
		t->v[j++] = t->v[i];
	}
	t->n = j;
}

int
pw_table_parse(const char *text, size_t len, struct pw_table *t, size_t *bad,
               size_t *first_bad)
{
	size_t cap = 0, lineno = 0, nbad = 0, first = 0;
	const char *p = text, *end = text + len, *nl;
	struct pw_entry e, *nv;
	char *line;
	int r;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		line = strndup(p, (size_t)(nl - p));
		if (line == NULL)
			goto oom;
		/* strndup stops at a NUL: such a line is broken. */
		r = strlen(line) == (size_t)(nl - p) ? parse_line(line, &e)
		                                     : -1;
		OPENSSL_cleanse(line, strlen(line));
		free(line);
		p = nl + 1;
		if (r < 0 && ++nbad == 1)
			first = lineno;
		if (r <= 0)
			continue;
		if (t->n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(t->v, cap * sizeof(*nv));
			if (nv == NULL) {
				pw_entry_clear(&e);
				goto oom;
			}
			t->v = nv;
		}
		t->v[t->n++] = e;
	}
	finish_table(t);
	if (bad != NULL)
		*bad = nbad;
	if (first_bad != NULL)
		*first_bad = first;
	return 0;
oom:
	pw_table_free(t);
	return -1;
}

static int
find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pw_entry *)elem)->user);
}

const struct pw_entry *
pw_table_find(const struct pw_table *t, const char *user)
{
	if (t->n == 0)
		return NULL;
	return bsearch(user, t->v, t->n, sizeof(t->v[0]), find_cmp);
}

void
pw_table_free(struct pw_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		pw_entry_clear(&t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int
pw_verify(const struct pw_entry *e, const char *pw, void *cdata)
{
	struct scram_keys k;
	const char *h;
	size_t n;
	int ok;

	if (e->scheme == PW_SCRAM) {
		if (scram_derive(pw, strlen(pw), e->scram.salt,
		                 e->scram.salt_len, e->scram.iter, &k) < 0)
			return -1;
		ok = CRYPTO_memcmp(k.stored_key, e->scram.stored_key,
		                   SCRAM_KEY_LEN) == 0;
		OPENSSL_cleanse(&k, sizeof(k));
		return ok;
	}
	memset(cdata, 0, sizeof(struct crypt_data));
	h = crypt_rn(pw, e->hash, cdata, sizeof(struct crypt_data));
	if (h == NULL)
		return -1;
	n = strlen(e->hash);
	ok = strlen(h) == n && CRYPTO_memcmp(h, e->hash, n) == 0;
	OPENSSL_cleanse(cdata, sizeof(struct crypt_data));
	return ok;
}
