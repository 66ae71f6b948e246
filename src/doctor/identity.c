/*
 * identity.c — who the server says it is: the outbound address's PTR,
 * whether a PTR name resolves back to it (FCrDNS, what Postfix's
 * reject_unknown_client_hostname and Gmail's 5.7.25 ask), whether that
 * name looks like an access network's, and whether the HELO name ferry
 * greets with resolves to the address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor/doctor_int.h"

#define G "identity"
#define NAME_TEXT 300

/* Words access providers put in the names of their customers' addresses. */
static const char *const generic_words[] = {
        "dyn",  "dynamic",     "dhcp",       "pool",   "dsl",   "adsl",
        "xdsl", "cable",       "ppp",        "pppoe",  "dial",  "dialup",
        "cust", "customer",    "broadband",  "client", "fibre", "fiber",
        "res",  "residential", "unassigned", "nat",    NULL,
};

static bool
generic_word(const char *tok, size_t n)
{
	size_t i;

	for (i = 0; generic_words[i] != NULL; i++)
		if (strlen(generic_words[i]) == n &&
		    strncasecmp(tok, generic_words[i], n) == 0)
			return true;
	return false;
}

/* How many tokens of name are decimal octets of the IPv4 address. */
static int
octets_in(const char *name, size_t len, const char *ip)
{
	unsigned char a[4];
	int count = 0;
	size_t i = 0;

	if (inet_pton(AF_INET, ip, a) != 1)
		return 0;
	while (i < len) {
		size_t n = 0;
		unsigned v = 0;

		while (i + n < len && isdigit((unsigned char)name[i + n]) &&
		       n < 4)
			v = v * 10 + (unsigned)(name[i + n++] - '0');
		if (n > 0 && n < 4 &&
		    (i + n == len || !isalnum((unsigned char)name[i + n])) &&
		    (i == 0 || !isalnum((unsigned char)name[i - 1])) &&
		    (v == a[0] || v == a[1] || v == a[2] || v == a[3]))
			count++;
		i += n > 0 ? n : 1;
	}
	return count;
}

bool
doctor_name_generic(const char *name, const char *ip)
{
	const char *end = name + strlen(name), *p = name;
	size_t host;
	int dots = 0;

	/* The registered domain (the last two labels) says nothing. */
	while (end > name && dots < 2)
		if (*--end == '.')
			dots++;
	host = dots == 2 ? (size_t)(end - name) : 0;
	if (host == 0)
		return false;
	if (ip != NULL && octets_in(name, host, ip) >= 3)
		return true;
	while (p < name + host) {
		size_t n = strcspn(p, ".-_0123456789");

		if (p + n > name + host)
			n = (size_t)(name + host - p);
		if (n > 0 && generic_word(p, n))
			return true;
		p += n + 1;
	}
	return false;
}

static void
check_generic(struct doctor *d, const char *name)
{
	struct doctor_check *c;

	if (doctor_skipped(d, "generic-name"))
		return;
	if (!doctor_name_generic(name, d->ip)) {
		doctor_add(d, G, "generic-name", name, DOCTOR_PASS,
		           "%s does not look like an access network's name",
		           name);
		return;
	}
	c = doctor_add(d, G, "generic-name", name, DOCTOR_WARN,
	               "%s looks generic or dynamic", name);
	doctor_detail(c, "receivers treat such names as home or "
	                 "dial-up connections that should not send "
	                 "mail directly");
	c->fix = "ask the address's provider for a PTR with the server's "
	         "own name (the HELO name), or relay through a smarthost";
	c->sample = "generic-ip";
}

/* FCrDNS: one of the PTR names resolves back to the address. */
static void
check_fcrdns(struct doctor *d, const struct doctor_answers *ptr)
{
	enum dns_lookup_status st = DNS_LOOKUP_NXDOMAIN;
	struct doctor_check *c;
	size_t i;

	if (doctor_skipped(d, "fcrdns"))
		return;
	for (i = 0; i < ptr->n && i < 4; i++)
		if (doctor_resolves_to(d, ptr->a[i], d->ip, &st)) {
			doctor_add(d, G, "fcrdns", d->ip, DOCTOR_PASS,
			           "%s resolves back to %s", ptr->a[i], d->ip);
			return;
		}
	c = doctor_add(d, G, "fcrdns", d->ip,
	               st == DNS_LOOKUP_TEMPFAIL ? DOCTOR_WARN : DOCTOR_FAIL,
	               st == DNS_LOOKUP_TEMPFAIL
	                       ? "the forward lookup of %s (for %s) failed"
	                       : "%s does not resolve back to %s",
	               ptr->a[0], d->ip);
	doctor_detail(c,
	              "forward-confirmed reverse DNS needs an %s record "
	              "of the PTR name with the address",
	              strchr(d->ip, ':') ? "AAAA" : "A");
	c->fix = "publish the address under the PTR name, or change the "
	         "PTR to a name that has it";
	c->sample = "no-ptr";
}

static void
check_ptr(struct doctor *d, struct doctor_answers *ptr)
{
	char rev[NAME_TEXT];
	struct doctor_check *c;

	if (dns_reverse_name(d->ip, NULL, rev, sizeof(rev)) < 0)
		return;
	doctor_lookup(d, rev, DNS_RR_PTR, ptr);
	if (doctor_skipped(d, "ptr"))
		return;
	if (ptr->status == DNS_LOOKUP_OK) {
		doctor_add(d, G, "ptr", d->ip, DOCTOR_PASS, "%s has PTR %s",
		           d->ip, ptr->a[0]);
		return;
	}
	if (ptr->status == DNS_LOOKUP_TEMPFAIL) {
		c = doctor_add(d, G, "ptr", d->ip, DOCTOR_WARN,
		               "the PTR lookup of %s failed", d->ip);
		c->fix = "check the resolver, then run doctor again";
		return;
	}
	c = doctor_add(d, G, "ptr", d->ip, DOCTOR_FAIL, "%s has no PTR record",
	               d->ip);
	doctor_detail(c, "%s: %s", rev,
	              ptr->status == DNS_LOOKUP_NXDOMAIN ? "NXDOMAIN"
	                                                 : "no PTR");
	c->fix = "ask whoever owns the address (the hosting or access "
	         "provider) to set its PTR to the HELO name";
	c->sample = "no-ptr";
}

static bool
among(const struct doctor_answers *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcasecmp(a->a[i], name) == 0)
			return true;
	return false;
}

static void
check_helo(struct doctor *d, const struct doctor_answers *ptr)
{
	enum dns_lookup_status st;
	struct doctor_check *c;

	if (doctor_skipped(d, "helo"))
		return;
	if (doctor_resolves_to(d, d->helo, d->ip, &st)) {
		if (ptr->n == 0 || among(ptr, d->helo)) {
			doctor_add(d, G, "helo", d->helo, DOCTOR_PASS,
			           "HELO name %s resolves to %s", d->helo,
			           d->ip);
			return;
		}
		c = doctor_add(d, G, "helo", d->helo, DOCTOR_WARN,
		               "HELO name %s resolves to %s but is not its "
		               "PTR name %s",
		               d->helo, d->ip, ptr->a[0]);
		c->fix = "make the PTR and [server] hostname the same name";
		c->sample = "helo";
		return;
	}
	c = doctor_add(d, G, "helo", d->helo,
	               st == DNS_LOOKUP_TEMPFAIL ? DOCTOR_WARN : DOCTOR_FAIL,
	               st == DNS_LOOKUP_TEMPFAIL
	                       ? "the lookup of HELO name %s (for %s) failed"
	               : st == DNS_LOOKUP_OK
	                       ? "HELO name %s resolves to other addresses, "
	                         "not %s"
	                       : "HELO name %s does not resolve (to %s)",
	               d->helo, d->ip);
	c->fix = "set [server] hostname to a name whose A/AAAA record is "
	         "the outbound address";
	c->sample = "helo";
}

void
doctor_identity(struct doctor *d)
{
	struct doctor_answers ptr = {0};

	check_ptr(d, &ptr);
	if (ptr.status == DNS_LOOKUP_OK && ptr.n > 0) {
		check_fcrdns(d, &ptr);
		check_generic(d, ptr.a[0]);
	}
	check_helo(d, &ptr);
	doctor_answers_free(&ptr);
}
