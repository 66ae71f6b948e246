/*
 * record.c — an SPF record parsed into its terms (RFC 7208 s4.6.1, s5,
 * s6).  Any syntax error refuses the whole record before anything is
 * evaluated, as s4.6 asks.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "spf/spf_int.h"

static const struct {
	const char *name;
	enum spf_mech mech;
} mechs[] = {
        {"all", SPF_M_ALL}, {"include", SPF_M_INCLUDE}, {"a", SPF_M_A},
        {"mx", SPF_M_MX},   {"ptr", SPF_M_PTR},         {"ip4", SPF_M_IP4},
        {"ip6", SPF_M_IP6}, {"exists", SPF_M_EXISTS},
};

bool
spf_record_is_spf1(const char *text)
{
	return strncasecmp(text, "v=spf1", 6) == 0 &&
	       (text[6] == '\0' || text[6] == ' ');
}

/* "/N" with no leading zero and N <= max, at s[0..len). */
static int
cidr_value(const char *s, size_t len, int max)
{
	int v = 0;
	size_t i;

	if (len < 2 || s[0] != '/' || (s[1] == '0' && len > 2) || len > 4)
		return -1;
	for (i = 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Length of a trailing "/digits" of s[0..len), 0 when none. */
static size_t
trailing_cidr(const char *s, size_t len)
{
	size_t i = len;

	while (i > 0 && isdigit((unsigned char)s[i - 1]))
		i--;
	return (i > 0 && i < len && s[i - 1] == '/') ? len - i + 1 : 0;
}

/* Splits "[:domain-spec][/cidr4][//cidr6]" of a and mx. */
static int
parse_dual_cidr(const char *arg, struct spf_term *t)
{
	size_t len = strlen(arg), n;

	t->cidr4 = 32;
	t->cidr6 = 128;
	n = trailing_cidr(arg, len);
	if (n > 0 && len > n && arg[len - n - 1] == '/') {
		if ((t->cidr6 = cidr_value(arg + len - n, n, 128)) < 0)
			return -1;
		len -= n + 1;
		n = trailing_cidr(arg, len);
	}
	if (n > 0) {
		if ((t->cidr4 = cidr_value(arg + len - n, n, 32)) < 0)
			return -1;
		len -= n;
	}
	if (len == 0)
		return 0;
	if (arg[0] != ':' || len == 1)
		return -1;
	t->spec = strndup(arg + 1, len - 1);
	return t->spec && spf_domain_spec_ok(t->spec) ? 0 : -1;
}

static int
parse_ip(const char *arg, struct spf_term *t, int family)
{
	const char *slash;
	char buf[80];
	int max = family == 4 ? 32 : 128;

	if (arg[0] != ':' || strlen(arg) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", arg + 1);
	slash = strchr(buf, '/');
	if (slash != NULL && cidr_value(slash, strlen(slash), max) < 0)
		return -1;
	/* net_parse() takes "::ffff:1.2.3.4" as IPv6 and a bare IPv4
	 * address in ip6: is an error in any case. */
	if (net_parse(buf, &t->net) < 0)
		return -1;
	if ((family == 4) != (strchr(buf, ':') == NULL))
		return -1;
	return 0;
}

static int
parse_mechanism(const char *term, struct spf_term *t)
{
	const char *p = term;
	size_t i, n;

	t->qual = '+';
	if (strchr("+-~?", *p) && *p != '\0')
		t->qual = *p++;
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		n = strlen(mechs[i].name);
		if (strncasecmp(p, mechs[i].name, n) == 0 &&
		    strchr(":/", p[n]) != NULL)
			break;
	}
	if (i == sizeof(mechs) / sizeof(mechs[0]))
		return -1;
	t->mech = mechs[i].mech;
	p += n;
	switch (t->mech) {
	case SPF_M_ALL:
		return *p == '\0' ? 0 : -1;
	case SPF_M_A:
	case SPF_M_MX:
		return parse_dual_cidr(p, t);
	case SPF_M_IP4:
		return parse_ip(p, t, 4);
	case SPF_M_IP6:
		return parse_ip(p, t, 6);
	case SPF_M_PTR:
		if (*p == '\0')
			return 0;
		/* fallthrough */
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (*p != ':' || p[1] == '\0')
			return -1;
		t->spec = str_dup(p + 1);
		return t->spec && spf_domain_spec_ok(t->spec) ? 0 : -1;
	}
	return -1;
}

/* name=value; returns 1 when term is a modifier, 0 when not, -1 bad. */
static int
parse_modifier(const char *term, struct spf_record *rec)
{
	const char *eq = strchr(term, '='), *p;
	char **slot = NULL;

	if (eq == NULL || !isalpha((unsigned char)term[0]))
		return 0;
	for (p = term; p < eq; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return 0;
	if (eq - term == 8 && strncasecmp(term, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (eq - term == 3 && strncasecmp(term, "exp", 3) == 0)
		slot = &rec->exp;
	if (slot == NULL) {
		/* Unknown modifiers are ignored, but must be well formed. */
		char out[SPF_TEXT_MAX];
		const struct spf_macro_vars v = {"", "", "", "",    "",
		                                 "", "", "", false, false};
		return spf_macro_expand(eq + 1, &v, out, sizeof(out)) < 0 ? -1
		                                                          : 1;
	}
	if (*slot != NULL || !spf_domain_spec_ok(eq + 1))
		return -1;
	*slot = str_dup(eq + 1);
	return *slot ? 1 : -1;
}

static int
add_term(struct spf_record *rec, const char *term)
{
	struct spf_term *t, *grown;
	int m = parse_modifier(term, rec);

	if (m != 0)
		return m < 0 ? -1 : 0;
	grown = realloc(rec->terms, (rec->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	rec->terms = grown;
	t = &rec->terms[rec->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->text, sizeof(t->text), "%.127s", term);
	return parse_mechanism(term, t);
}

int
spf_record_parse(const char *text, struct spf_record *out, const char **why)
{
	char term[SPF_TEXT_MAX];
	const char *p = text + 6, *end;

	memset(out, 0, sizeof(*out));
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) >= sizeof(term)) {
			*why = "a term is too long";
			return -1;
		}
		memcpy(term, p, (size_t)(end - p));
		term[end - p] = '\0';
		if (add_term(out, term) < 0) {
			static char msg[160];
			snprintf(msg, sizeof(msg), "bad term \"%.100s\"", term);
			*why = msg;
			return -1;
		}
		p = end;
	}
}

void
spf_record_free(struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		free(rec->terms[i].spec);
	free(rec->terms);
	free(rec->redirect);
	free(rec->exp);
	memset(rec, 0, sizeof(*rec));
}
