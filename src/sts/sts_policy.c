/*
 * sts_policy.c — the MTA-STS policy file and TXT record (RFC 8461 s3).
 */
#include "sts/sts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"

#define MAX_AGE_LIMIT 31557600L /* s3.2: at most a year */
#define MX_MAX 64

static void
add_mx(struct sts_policy *p, const char *v, size_t n)
{
	char **mx = reallocarray(p->mx, p->nmx + 1, sizeof(*mx));
	char *copy = strndup(v, n);

	if (mx == NULL || copy == NULL)
		abort();
	p->mx = mx;
	p->mx[p->nmx++] = copy;
}

static bool
parse_max_age(const char *v, size_t n, long *out)
{
	long x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		x = x * 10 + (v[i] - '0');
	}
	if (x > MAX_AGE_LIMIT)
		return false;
	*out = x;
	return true;
}

static bool
key_is(const char *k, size_t kn, const char *want)
{
	return kn == strlen(want) && strncmp(k, want, kn) == 0;
}

/* One "key: value" line; unknown keys are ignored (s3.2). */
static int
parse_line(struct sts_policy *p, const char *k, size_t kn, const char *v,
           size_t vn, int *seen_version, char *err, size_t errlen)
{
	if (key_is(k, kn, "version")) {
		if (vn != 5 || strncmp(v, "STSv1", 5) != 0) {
			snprintf(err, errlen, "unknown version");
			return -1;
		}
		*seen_version = 1;
	} else if (key_is(k, kn, "mode")) {
		if (vn == 7 && strncmp(v, "enforce", 7) == 0)
			p->mode = STS_MODE_ENFORCE;
		else if (vn == 7 && strncmp(v, "testing", 7) == 0)
			p->mode = STS_MODE_TESTING;
		else if (vn == 4 && strncmp(v, "none", 4) == 0)
			p->mode = STS_MODE_NONE;
		else {
			snprintf(err, errlen, "bad mode");
			return -1;
		}
	} else if (key_is(k, kn, "mx")) {
		if (p->nmx < MX_MAX && vn > 0)
			add_mx(p, v, vn);
	} else if (key_is(k, kn, "max_age")) {
		if (!parse_max_age(v, vn, &p->max_age)) {
			snprintf(err, errlen, "bad max_age");
			return -1;
		}
	}
	return 0;
}

static size_t
trim_end(const char *s, size_t n)
{
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n;
}

int
sts_policy_parse(const char *text, size_t len, struct sts_policy *p, char *err,
                 size_t errlen)
{
	const char *end = text + len, *line = text;
	int seen_version = 0;

	memset(p, 0, sizeof(*p));
	p->max_age = -1;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = trim_end(line, (size_t)((nl ? nl : end) - line));
		const char *colon = memchr(line, ':', n);
		const char *v;

		if (colon != NULL) {
			v = colon + 1;
			while (v < line + n && (*v == ' ' || *v == '\t'))
				v++;
			if (parse_line(p, line, (size_t)(colon - line), v,
			               (size_t)(line + n - v), &seen_version,
			               err, errlen) < 0) {
				sts_policy_clear(p);
				return -1;
			}
		}
		line = nl ? nl + 1 : end;
	}
	if (!seen_version || p->max_age < 0 ||
	    (p->mode != STS_MODE_NONE && p->nmx == 0)) {
		snprintf(err, errlen, "%s",
		         !seen_version    ? "no version: STSv1"
		         : p->max_age < 0 ? "no max_age"
		                          : "no mx");
		sts_policy_clear(p);
		return -1;
	}
	return 0;
}

void
sts_policy_clear(struct sts_policy *p)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	free(p->mx);
	memset(p, 0, sizeof(*p));
}

void
sts_policy_copy(struct sts_policy *dst, const struct sts_policy *src)
{
	size_t i;

	*dst = *src;
	dst->mx = NULL;
	dst->nmx = 0;
	for (i = 0; i < src->nmx; i++)
		add_mx(dst, src->mx[i], strlen(src->mx[i]));
}

/* s4.1: "*.example.com" stands for exactly one more label. */
static bool
pattern_matches(const char *pat, const char *host)
{
	size_t hl = strlen(host), pl;
	const char *dot;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	pl = strlen(pat);
	if (pl > 0 && pat[pl - 1] == '.')
		pl--;
	if (pl >= 2 && pat[0] == '*' && pat[1] == '.') {
		dot = memchr(host, '.', hl);
		if (dot == NULL || dot == host)
			return false;
		return (size_t)(host + hl - dot) == pl - 1 &&
		       strncasecmp(dot, pat + 1, pl - 1) == 0;
	}
	return hl == pl && strncasecmp(host, pat, pl) == 0;
}

bool
sts_mx_matches(const struct sts_policy *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (pattern_matches(p->mx[i], host))
			return true;
	return false;
}

int
sts_txt_id(const char *txt, char *id, size_t len)
{
	const char *p = txt, *v;
	size_t n;

	if (strncmp(p, "v=STSv1", 7) != 0 ||
	    (p[7] != ';' && p[7] != ' ' && p[7] != '\0'))
		return -1;
	while ((p = strstr(p, "id=")) != NULL) {
		if (p != txt && p[-1] != ';' && p[-1] != ' ') {
			p += 3;
			continue;
		}
		v = p + 3;
		n = strspn(
		        v,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789");
		if (n == 0 || n > 32 || n >= len)
			return -1;
		memcpy(id, v, n);
		id[n] = '\0';
		return 0;
	}
	return -1;
}

const char *
sts_mode_name(enum sts_mode m)
{
	static const char *const names[] = {
	        [STS_MODE_NONE] = "none",
	        [STS_MODE_TESTING] = "testing",
	        [STS_MODE_ENFORCE] = "enforce",
	};

	return names[m];
}
