/*
 * report.c — the RFC 8460 s4 JSON report of one policy domain and day,
 * from the lines record.c wrote.
 */
#include "tlsrpt/tlsrpt.h"
#include "tlsrpt/tlsrpt_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"

struct detail {
	char *result, *mx, *ip, *reason;
	long count;
};

struct pol {
	char *type, *string;
	char **mx;
	size_t nmx;
	long ok, failed;
	struct detail *d;
	size_t nd;
};

struct agg {
	struct pol *p;
	size_t n;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place; "-" becomes "". */
static void
unescape(char *s)
{
	char *o = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool
same(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void *
grow(void *v, size_t n, size_t size)
{
	void *p = reallocarray(v, n + 1, size);

	if (p == NULL)
		abort();
	return p;
}

static struct pol *
pol_get(struct agg *a, const char *type, const char *string)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (same(a->p[i].type, type) && same(a->p[i].string, string))
			return &a->p[i];
	a->p = grow(a->p, a->n, sizeof(*a->p));
	memset(&a->p[a->n], 0, sizeof(a->p[a->n]));
	a->p[a->n].type = str_dup(type);
	a->p[a->n].string = str_dup(string);
	return &a->p[a->n++];
}

static void
pol_add(struct pol *p, char **f)
{
	size_t i;

	for (i = 0; i < p->nmx && !same(p->mx[i], f[2]); i++)
		;
	if (i == p->nmx && f[2][0] != '\0') {
		p->mx = grow(p->mx, p->nmx, sizeof(*p->mx));
		p->mx[p->nmx++] = str_dup(f[2]);
	}
	if (same(f[4], "success")) {
		p->ok++;
		return;
	}
	p->failed++;
	for (i = 0; i < p->nd; i++)
		if (same(p->d[i].result, f[4]) && same(p->d[i].mx, f[2]) &&
		    same(p->d[i].ip, f[3]) && same(p->d[i].reason, f[5])) {
			p->d[i].count++;
			return;
		}
	p->d = grow(p->d, p->nd, sizeof(*p->d));
	p->d[p->nd++] = (struct detail){str_dup(f[4]), str_dup(f[2]),
	                                str_dup(f[3]), str_dup(f[5]), 1};
}

static void
agg_line(struct agg *a, char *line, const char *domain)
{
	char *f[TLSRPT_FIELDS], *save = NULL, *tok;
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, "\t", &save);
	     tok != NULL && n < TLSRPT_FIELDS;
	     tok = strtok_r(NULL, "\t", &save)) {
		unescape(tok);
		f[n++] = tok;
	}
	if (n != TLSRPT_FIELDS || strcasecmp(f[1], domain) != 0)
		return;
	pol_add(pol_get(a, f[0], f[6]), f);
}

static void
json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
print_policy_strings(FILE *out, const char *s)
{
	const char *p = s;
	bool first = true;

	fputs("[", out);
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);

		if (line == NULL)
			abort();
		fputs(first ? "" : ", ", out);
		json_str(out, line);
		free(line);
		first = false;
		p += n;
		if (*p == '\n')
			p++;
	}
	fputs("]", out);
}

static void
print_detail(FILE *out, const struct detail *d, bool last)
{
	fputs("        {\"result-type\": ", out);
	json_str(out, d->result);
	if (d->mx[0]) {
		fputs(", \"receiving-mx-hostname\": ", out);
		json_str(out, d->mx);
	}
	if (d->ip[0]) {
		fputs(", \"receiving-ip\": ", out);
		json_str(out, d->ip);
	}
	fprintf(out, ", \"failed-session-count\": %ld", d->count);
	if (d->reason[0]) {
		fputs(", \"failure-reason-code\": ", out);
		json_str(out, d->reason);
	}
	fprintf(out, "}%s\n", last ? "" : ",");
}

static void
print_policy(FILE *out, const struct pol *p, const char *domain, bool last)
{
	size_t i;

	fputs("    {\n      \"policy\": {\"policy-type\": ", out);
	json_str(out, p->type);
	fputs(", \"policy-string\": ", out);
	print_policy_strings(out, p->string);
	fputs(", \"policy-domain\": ", out);
	json_str(out, domain);
	fputs(", \"mx-host\": [", out);
	for (i = 0; i < p->nmx; i++) {
		fputs(i ? ", " : "", out);
		json_str(out, p->mx[i]);
	}
	fprintf(out,
	        "]},\n      \"summary\": {\"total-successful-session-count\": "
	        "%ld, \"total-failure-session-count\": %ld}",
	        p->ok, p->failed);
	if (p->nd > 0) {
		fputs(",\n      \"failure-details\": [\n", out);
		for (i = 0; i < p->nd; i++)
			print_detail(out, &p->d[i], i + 1 == p->nd);
		fputs("      ]", out);
	}
	fprintf(out, "\n    }%s\n", last ? "" : ",");
}

static void
agg_free(struct agg *a)
{
	size_t i, j;

	for (i = 0; i < a->n; i++) {
		struct pol *p = &a->p[i];

		for (j = 0; j < p->nmx; j++)
			free(p->mx[j]);
		for (j = 0; j < p->nd; j++) {
			free(p->d[j].result);
			free(p->d[j].mx);
			free(p->d[j].ip);
			free(p->d[j].reason);
		}
		free(p->mx);
		free(p->d);
		free(p->type);
		free(p->string);
	}
	free(a->p);
}

void
tlsrpt_report_id(const char *day, const char *domain, const char *org,
                 char *buf, size_t len)
{
	snprintf(buf, len, "%s_%s@%s", day, domain, org);
}

int
tlsrpt_report(FILE *out, const char *dir, const char *domain, const char *day,
              const char *org, const char *contact)
{
	char id[600];

	char path[4096], line[8192];
	struct agg a = {NULL, 0};
	FILE *in;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, day);
	if ((in = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), in))
			agg_line(&a, line, domain);
		fclose(in);
	}
	fputs("{\n  \"organization-name\": ", out);
	json_str(out, org);
	fprintf(out,
	        ",\n  \"date-range\": {\"start-datetime\": \"%sT00:00:00Z\", "
	        "\"end-datetime\": \"%sT23:59:59Z\"},\n  \"contact-info\": ",
	        day, day);
	json_str(out, contact);
	tlsrpt_report_id(day, domain, org, id, sizeof(id));
	fputs(",\n  \"report-id\": ", out);
	json_str(out, id);
	fputs(",\n  \"policies\": [\n", out);
	for (i = 0; i < a.n; i++)
		print_policy(out, &a.p[i], domain, i + 1 == a.n);
	fputs("  ]\n}\n", out);
	agg_free(&a);
	return 0;
}
