/*
 * reputation.c — the outbound address on the DNS block lists of [doctor]
 * ip_blocklists, and each sending domain on domain_blocklists, asked the
 * way the policy asks about clients (dns_reverse_name(), a list's return
 * codes as "zone=127.0.0.2|..."), with what each known return code means.
 */
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "doctor/doctor_int.h"
#include "reply/reply.h"

#define G "reputation"

struct code_meaning {
	const char *zone_suffix; /* "" matches any list */
	const char *code;        /* exact answer, or a prefix ending in '.' */
	const char *meaning;
};

/* From the lists' own documentation of their return codes. */
static const struct code_meaning meanings[] = {
        {"spamhaus.org", "127.0.0.2", "SBL: a known spam source"},
        {"spamhaus.org", "127.0.0.3", "SBL CSS: low-reputation sending"},
        {"spamhaus.org", "127.0.0.4", "XBL: exploited or infected host"},
        {"spamhaus.org", "127.0.0.5", "XBL: exploited or infected host"},
        {"spamhaus.org", "127.0.0.6", "XBL: exploited or infected host"},
        {"spamhaus.org", "127.0.0.7", "XBL: exploited or infected host"},
        {"spamhaus.org", "127.0.0.9", "SBL DROP: hijacked network"},
        {"spamhaus.org", "127.0.0.10",
         "PBL (ISP): end-user range that should not send directly"},
        {"spamhaus.org", "127.0.0.11",
         "PBL (Spamhaus): end-user range that should not send directly"},
        {"spamhaus.org", "127.0.1.2", "DBL: spam domain"},
        {"spamhaus.org", "127.0.1.4", "DBL: phishing domain"},
        {"spamhaus.org", "127.0.1.5", "DBL: malware domain"},
        {"spamhaus.org", "127.0.1.6", "DBL: botnet C&C domain"},
        {"spamhaus.org", "127.0.1.1", "DBL: abused legitimate domain"},
        {"", "127.255.255.",
         "the list refused the query (public or "
         "unregistered resolver, or over its limit): "
         "the answer says nothing about the address"},
        {"barracudacentral.org", "127.0.0.2",
         "Barracuda Reputation Block List: poor sending reputation"},
        {"spamcop.net", "127.0.0.2", "SpamCop: reported as a spam source"},
        {"", "127.", "listed"},
        {NULL, NULL, NULL},
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *
meaning_of(const char *zone, const char *code)
{
	size_t i;

	for (i = 0; meanings[i].code != NULL; i++) {
		const char *c = meanings[i].code;
		size_t n = strlen(c);
		bool match = c[n - 1] == '.' ? strncmp(code, c, n) == 0
		                             : strcmp(code, c) == 0;

		if (match && ends_with(zone, meanings[i].zone_suffix))
			return meanings[i].meaning;
	}
	return "not a listing (outside 127.0.0.0/8)";
}

/* "zone=127.0.0.2|127.0.0.4": does this answer count? (As the policy.) */
static bool
code_counts(const char *item, const char *answer)
{
	const char *eq = strchr(item, '=');
	size_t n = strlen(answer);
	const char *p;

	if (strncmp(answer, "127.255.255.", 12) == 0)
		return false; /* an error code, not a listing */
	if (eq == NULL)
		return strncmp(answer, "127.", 4) == 0;
	for (p = eq + 1; (p = strstr(p, answer)) != NULL; p += n)
		if ((p[-1] == '=' || p[-1] == '|') &&
		    (p[n] == '\0' || p[n] == '|'))
			return true;
	return false;
}

/* Receivers that use the list answer as ferry's own policy does (and
 * Postfix: the seed's "blocked using zen.spamhaus.org"). */
static void
listed_reply(struct doctor_check *c, const char *name, const char *subject,
             const char *zone)
{
	char text[512];

	if (strcmp(name, "dnsbl") != 0)
		return;
	reply_format(text, sizeof(text), R_DNSBL_LISTED, subject, zone);
	c->reply = str_dup(text);
}

static void
report_answer(struct doctor *d, const char *name, const char *item,
              const char *subject, const struct doctor_answers *ans)
{
	char zone[256];
	struct doctor_check *c;
	bool listed = false, refused = false;
	size_t i;

	snprintf(zone, sizeof(zone), "%.*s", (int)strcspn(item, "="), item);
	for (i = 0; ans->status == DNS_LOOKUP_OK && i < ans->n; i++) {
		listed |= code_counts(item, ans->a[i]);
		refused |= strncmp(ans->a[i], "127.255.255.", 12) == 0;
	}
	if (listed) {
		c = doctor_add(d, G, name, subject, DOCTOR_FAIL,
		               "%s is listed on %s", subject, zone);
		for (i = 0; i < ans->n; i++)
			doctor_detail(c, "%s: %s", ans->a[i],
			              meaning_of(zone, ans->a[i]));
		c->fix = "find and stop what got it listed, then ask the "
		         "list for removal on its web site";
		listed_reply(c, name, subject, zone);
	} else if (refused || ans->status == DNS_LOOKUP_TEMPFAIL) {
		c = doctor_add(d, G, name, subject, DOCTOR_WARN,
		               "%s could not be checked on %s", subject, zone);
		if (refused)
			doctor_detail(c, "%s: %s", ans->a[0],
			              meaning_of(zone, ans->a[0]));
		c->fix = "ask the list through a resolver of your own, not a "
		         "public one";
	} else {
		doctor_add(d, G, name, subject, DOCTOR_PASS,
		           "%s is not listed on %s", subject, zone);
	}
}

static void
check_list(struct doctor *d, const char *name, const char *item,
           const char *subject, bool reverse)
{
	char zone[256], q[512];
	struct doctor_answers ans;

	snprintf(zone, sizeof(zone), "%.*s", (int)strcspn(item, "="), item);
	if (reverse) {
		if (dns_reverse_name(subject, zone, q, sizeof(q)) < 0)
			return;
	} else {
		snprintf(q, sizeof(q), "%s.%s", subject, zone);
	}
	doctor_lookup(d, q, DNS_RR_A, &ans);
	report_answer(d, name, item, subject, &ans);
	doctor_answers_free(&ans);
}

void
doctor_reputation(struct doctor *d)
{
	const struct config_list *ipl = &d->cfg->doctor_ip_blocklists;
	const struct config_list *dl = &d->cfg->doctor_domain_blocklists;
	size_t i, j;

	if (d->ip != NULL && !doctor_skipped(d, "dnsbl"))
		for (i = 0; i < ipl->n; i++)
			check_list(d, "dnsbl", ipl->items[i], d->ip, true);
	if (doctor_skipped(d, "dbl"))
		return;
	for (j = 0; j < d->ndomains; j++)
		for (i = 0; i < dl->n; i++)
			check_list(d, "dbl", dl->items[i], d->domains[j],
			           false);
}
