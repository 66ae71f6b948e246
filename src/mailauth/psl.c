/*
 * psl.c — the Public Suffix List as a sorted array of rules, searched with
 * bsearch(); the algorithm of https://publicsuffix.org/list/ (exceptions
 * "!", wildcards "*.", the implicit rule "*").  Own code rather than
 * libpsl or libopendmarc: the lookup is 40 lines, and this reads Debian's
 * publicsuffix file as it is.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "mailauth/mailauth.h"

#define LABELS_MAX 128

struct mailauth_psl {
	char **rules; /* lower case, as written ("*.ck", "!www.ck") */
	size_t n;
};

static int
cmp_rule(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_rule(struct mailauth_psl *psl, size_t *cap, const char *rule)
{
	char **grown;

	if (psl->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		grown = realloc(psl->rules, *cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		psl->rules = grown;
	}
	if ((psl->rules[psl->n] = str_dup(rule)) == NULL)
		return -1;
	psl->n++;
	return 0;
}

struct mailauth_psl *
mailauth_psl_load(const char *path)
{
	struct mailauth_psl *psl = calloc(1, sizeof(*psl));
	FILE *f = fopen(path, "r");
	char line[512], *p, *end;
	size_t cap = 0;

	if (psl == NULL || f == NULL) {
		free(psl);
		if (f)
			fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		/* A rule is the line up to the first white space. */
		for (end = p; *end && !isspace((unsigned char)*end); end++)
			*end = (char)tolower((unsigned char)*end);
		*end = '\0';
		if (*p == '\0' || strncmp(p, "//", 2) == 0)
			continue;
		if (add_rule(psl, &cap, p) < 0) {
			fclose(f);
			mailauth_psl_free(psl);
			return NULL;
		}
	}
	fclose(f);
	if (psl->n == 0) { /* an empty file is no list */
		mailauth_psl_free(psl);
		return NULL;
	}
	qsort(psl->rules, psl->n, sizeof(char *), cmp_rule);
	return psl;
}

void
mailauth_psl_free(struct mailauth_psl *psl)
{
	size_t i;

	if (psl == NULL)
		return;
	for (i = 0; i < psl->n; i++)
		free(psl->rules[i]);
	free(psl->rules);
	free(psl);
}

static bool
has_rule(const struct mailauth_psl *psl, const char *prefix, const char *name)
{
	char key[MAILAUTH_NAME + 4];
	const char *k = key;

	snprintf(key, sizeof(key), "%s%s", prefix, name);
	return psl && bsearch(&k, psl->rules, psl->n, sizeof(char *),
	                      cmp_rule) != NULL;
}

/* Index into labels[] where the public suffix starts. */
static size_t
suffix_start(const struct mailauth_psl *psl, const char *const *labels,
             size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (has_rule(psl, "!", labels[i]))
			return i + 1; /* an exception: one label less */
		if (has_rule(psl, "", labels[i]))
			return i;
		if (i + 1 < n && has_rule(psl, "*.", labels[i + 1]))
			return i;
	}
	return n - 1; /* the implicit rule "*" */
}

void
mailauth_org_domain(const struct mailauth_psl *psl, const char *domain,
                    char *out, size_t len)
{
	char buf[MAILAUTH_NAME];
	const char *labels[LABELS_MAX];
	size_t n = 0, i, ps;
	char *p;

	snprintf(buf, sizeof(buf), "%s", domain);
	for (p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (p > buf && p[-1] == '.')
		p[-1] = '\0';
	if (buf[0] == '\0') {
		snprintf(out, len, "%s", buf);
		return;
	}
	/* labels[i]: the name from label i to the end. */
	labels[n++] = buf;
	for (p = buf; *p && n < LABELS_MAX; p++)
		if (*p == '.')
			labels[n++] = p + 1;
	ps = suffix_start(psl, labels, n);
	i = ps > 0 ? ps - 1 : 0;
	snprintf(out, len, "%s", labels[i]);
}

bool
mailauth_aligned(const struct mailauth_psl *psl, const char *id_domain,
                 const char *from_domain, bool strict)
{
	char a[MAILAUTH_NAME], b[MAILAUTH_NAME];

	if (id_domain[0] == '\0' || from_domain[0] == '\0')
		return false;
	if (strcasecmp(id_domain, from_domain) == 0)
		return true;
	if (strict)
		return false;
	mailauth_org_domain(psl, id_domain, a, sizeof(a));
	mailauth_org_domain(psl, from_domain, b, sizeof(b));
	return strcmp(a, b) == 0;
}
