/*
 * spf.c — check_host() of RFC 7208 as a chain of DNS callbacks (see
 * spf.h).  One query is in flight at a time; include= pushes a frame,
 * redirect= replaces the current one.  Written on ferry's resolver rather
 * than libspf2: see docs/mail-auth.md.
 */
#include "spf/spf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "base/net.h"
#include "dns/lookup.h"
#include "dns/name.h"
#include "dns/resolver.h"
#include "spf/spf_int.h"

#define DEPTH_MAX (SPF_LOOKUP_MAX + 2)
#define QUERY_TIMEOUT_MS 15000
#define NAME_LEN (DNS_NAME_MAX + 2)

/* What the query in flight is for. */
enum step {
	STEP_RECORD,   /* TXT of the current frame's domain */
	STEP_A,        /* a */
	STEP_MX,       /* mx: the MX names */
	STEP_MX_HOST,  /* mx: the addresses of one name */
	STEP_PTR,      /* ptr or %{p}: the names of the client */
	STEP_PTR_HOST, /* ptr or %{p}: the addresses of one name */
	STEP_EXISTS,   /* exists */
	STEP_EXP,      /* TXT of the explanation */
};

struct frame {
	char domain[NAME_LEN];
	struct spf_record rec;
	size_t next; /* the term being evaluated */
	bool redirected;
};

struct spf_check {
	struct dns_resolver *r;
	struct event *timer; /* the time limit, then the callback */
	unsigned limit_s;
	struct net_prefix ip;
	char ip_text[INET6_ADDRSTRLEN], ip_dotted[80];
	char sender[SPF_TEXT_MAX], local[SPF_TEXT_MAX];
	char sender_domain[NAME_LEN], helo[NAME_LEN], validated[NAME_LEN];
	bool have_validated;
	struct frame frames[DEPTH_MAX];
	int depth;
	unsigned lookups, voids;
	enum step step;
	bool ptr_for_macro;
	bool exp_waits_p;            /* the explanation waits for %{p} */
	char exp_text[SPF_TEXT_MAX]; /* the explanation's record */
	char target[SPF_TEXT_MAX];
	char names[SPF_NAMES_MAX][NAME_LEN];
	size_t nnames, iname;
	bool pending, finished, cancelled;
	spf_done_fn cb;
	void *arg;
	enum spf_result result;
	char top_domain[NAME_LEN], explanation[SPF_TEXT_MAX], reason[256];
	struct spf_check *next_orphan;
};

/* Checks given up while a query was in flight: freed when its answer
 * comes, or by spf_forget_abandoned() once the resolver is gone. */
static struct spf_check *orphans;

static void
orphan_add(struct spf_check *c)
{
	c->cancelled = true;
	c->next_orphan = orphans;
	orphans = c;
}

static void
orphan_remove(struct spf_check *c)
{
	struct spf_check **pp;

	for (pp = &orphans; *pp; pp = &(*pp)->next_orphan)
		if (*pp == c) {
			*pp = c->next_orphan;
			return;
		}
}

static void run_terms(struct spf_check *c);
static void expand_explanation(struct spf_check *c);
static void frame_done(struct spf_check *c, enum spf_result res,
                       const char *why);

const char *
spf_result_name(enum spf_result r)
{
	static const char *const names[] = {"none",     "neutral",  "pass",
	                                    "fail",     "softfail", "temperror",
	                                    "permerror"};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r]
	                                                      : "permerror";
}

static struct frame *
cur(struct spf_check *c)
{
	return &c->frames[c->depth];
}

static void
check_free(struct spf_check *c)
{
	int i;

	for (i = 0; i < DEPTH_MAX; i++)
		spf_record_free(&c->frames[i].rec);
	if (c->timer)
		event_free(c->timer);
	free(c);
}

/* A DNS answer arrived: false when nobody waits for it any more. */
static bool
answer_wanted(struct spf_check *c)
{
	c->pending = false;
	if (!c->cancelled && !c->finished)
		return true;
	if (c->cancelled) {
		orphan_remove(c);
		check_free(c);
	}
	return false;
}

static void
deliver(evutil_socket_t fd, short what, void *arg)
{
	struct spf_check *c = arg;
	struct spf_outcome o;

	if (!c->finished) { /* the time limit */
		c->finished = true;
		c->result = SPF_TEMPERROR;
		snprintf(c->reason, sizeof(c->reason),
		         "no answer within %u seconds", c->limit_s);
	}
	o.result = c->result;
	o.domain = c->top_domain;
	o.explanation = c->result == SPF_FAIL ? c->explanation : NULL;
	o.reason = c->reason;
	c->cb(c->arg, &o);
	if (c->pending)
		orphan_add(c);
	else
		check_free(c);
}

static void
complete(struct spf_check *c, enum spf_result res, const char *why)
{
	struct timeval now = {0, 0};

	c->finished = true;
	c->result = res;
	if (why != NULL)
		snprintf(c->reason, sizeof(c->reason), "%s", why);
	if (res == SPF_FAIL && c->explanation[0] == '\0')
		snprintf(c->explanation, sizeof(c->explanation),
		         "%s does not designate %s as permitted sender",
		         c->top_domain, c->ip_text);
	event_del(c->timer);
	event_add(c->timer, &now);
}

static void
macro_vars(struct spf_check *c, struct spf_macro_vars *v, bool exp)
{
	v->sender = c->sender;
	v->local = c->local;
	v->sender_domain = c->sender_domain;
	v->domain = cur(c)->domain;
	v->ip_dotted = c->ip_dotted;
	v->ip_text = c->ip_text;
	v->validated = c->have_validated ? c->validated : "unknown";
	v->helo = c->helo[0] ? c->helo : NULL;
	v->ipv6 = c->ip.family == AF_INET6;
	v->exp = exp;
}

/* spec expanded into c->target (NULL spec: the current domain).
 * -1: bad syntax (permerror); 0: not a name DNS can hold; 1: done. */
static int
expand_target(struct spf_check *c, const char *spec)
{
	struct spf_macro_vars v;

	if (spec == NULL) {
		snprintf(c->target, sizeof(c->target), "%s", cur(c)->domain);
		return 1;
	}
	macro_vars(c, &v, false);
	if (spf_macro_expand(spec, &v, c->target, sizeof(c->target)) < 0)
		return -1;
	return spf_target_name(c->target) ? 1 : 0;
}

static void lookup_done(void *arg, const struct dns_lookup_result *res);
static void txt_done(void *arg, enum dns_status st, const char *const *texts,
                     size_t n);

static void
query(struct spf_check *c, enum step step, const char *name, int rrtype)
{
	c->step = step;
	c->pending = true;
	if (dns_lookup(c->r, name, rrtype, QUERY_TIMEOUT_MS, lookup_done, c) <
	    0) {
		c->pending = false;
		frame_done(c, SPF_TEMPERROR, "the DNS lookup cannot start");
	}
}

static void
query_txt(struct spf_check *c, enum step step, const char *name)
{
	c->step = step;
	c->pending = true;
	if (dns_resolve_txt(c->r, name, txt_done, c) < 0) {
		c->pending = false;
		if (step == STEP_EXP)
			complete(c, SPF_FAIL, NULL);
		else
			frame_done(c, SPF_TEMPERROR,
			           "the DNS lookup cannot start");
	}
}

static int
addr_rrtype(const struct spf_check *c)
{
	return c->ip.family == AF_INET6 ? DNS_RR_AAAA : DNS_RR_A;
}

/* One of the addresses, with the term's prefix length, holds the client. */
static bool
addrs_match(struct spf_check *c, const struct dns_lookup_result *res, int bits)
{
	struct net_prefix net;
	char text[96];
	size_t i;

	for (i = 0; i < res->n; i++) {
		snprintf(text, sizeof(text), "%s/%d", res->answers[i], bits);
		if (net_parse(text, &net) == 0 && net.family == c->ip.family &&
		    net_contains(&net, c->ip_text))
			return true;
	}
	return false;
}

/* The term matched (its qualifier decides) or not (next term). */
static void
term_result(struct spf_check *c, bool match)
{
	struct spf_term *t = &cur(c)->rec.terms[cur(c)->next];
	enum spf_result res;

	if (!match) {
		cur(c)->next++;
		run_terms(c);
		return;
	}
	res = t->qual == '-'   ? SPF_FAIL
	      : t->qual == '~' ? SPF_SOFTFAIL
	      : t->qual == '?' ? SPF_NEUTRAL
	                       : SPF_PASS;
	snprintf(c->reason, sizeof(c->reason), "%s matched %s", cur(c)->domain,
	         t->text);
	frame_done(c, res, NULL);
}

/* A lookup found nothing: past the limit it is a permerror. */
static bool
void_lookup(struct spf_check *c)
{
	if (++c->voids <= SPF_VOID_MAX)
		return false;
	frame_done(c, SPF_PERMERROR, "more than 2 void DNS lookups");
	return true;
}

static bool
name_under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (d > 0 && domain[d - 1] == '.')
		d--;
	if (n == d)
		return strncasecmp(name, domain, n) == 0;
	return n > d && name[n - d - 1] == '.' &&
	       strncasecmp(name + n - d, domain, d) == 0;
}

static void
ptr_next(struct spf_check *c)
{
	if (c->iname < c->nnames) {
		query(c, STEP_PTR_HOST, c->names[c->iname], addr_rrtype(c));
		return;
	}
	if (c->ptr_for_macro) {
		c->have_validated = true;
		if (c->validated[0] == '\0')
			snprintf(c->validated, sizeof(c->validated), "unknown");
		if (c->exp_waits_p)
			expand_explanation(c);
		else
			run_terms(c);
	} else {
		term_result(c, false);
	}
}

/* For %{p}: how good a validated name is (RFC 7208 s7.3 prefers the
 * domain itself, then a subdomain of it, then any). */
static int
p_rank(const char *name, const char *domain)
{
	if (name[0] == '\0')
		return 0;
	if (strcasecmp(name, domain) == 0)
		return 3;
	return name_under(name, domain) ? 2 : 1;
}

/* A validated name: for ptr, does it match; for %{p}, the best so far. */
static void
ptr_validated(struct spf_check *c, const char *name)
{
	const char *d = cur(c)->domain;

	if (!c->ptr_for_macro && name_under(name, c->target)) {
		term_result(c, true);
		return;
	}
	if (c->ptr_for_macro && p_rank(name, d) > p_rank(c->validated, d))
		snprintf(c->validated, sizeof(c->validated), "%s", name);
	c->iname++;
	ptr_next(c);
}

static void
take_names(struct spf_check *c, const struct dns_lookup_result *res)
{
	size_t i;

	c->nnames = c->iname = 0;
	for (i = 0; i < res->n && c->nnames < SPF_NAMES_MAX; i++)
		if (res->answers[i][0] != '\0')
			snprintf(c->names[c->nnames++], NAME_LEN, "%s",
			         res->answers[i]);
}

static void
on_mx(struct spf_check *c, const struct dns_lookup_result *res)
{
	if (res->n > SPF_NAMES_MAX) {
		frame_done(c, SPF_PERMERROR, "more than 10 MX names");
		return;
	}
	take_names(c, res);
	c->step = STEP_MX_HOST;
	if (c->nnames == 0)
		term_result(c, false);
	else
		query(c, STEP_MX_HOST, c->names[0], addr_rrtype(c));
}

static void
on_mx_host(struct spf_check *c, const struct dns_lookup_result *res)
{
	struct spf_term *t = &cur(c)->rec.terms[cur(c)->next];
	int bits = c->ip.family == AF_INET6 ? t->cidr6 : t->cidr4;

	if (res->status == DNS_LOOKUP_OK && addrs_match(c, res, bits)) {
		term_result(c, true);
		return;
	}
	if (++c->iname < c->nnames)
		query(c, STEP_MX_HOST, c->names[c->iname], addr_rrtype(c));
	else
		term_result(c, false);
}

static void
lookup_done(void *arg, const struct dns_lookup_result *res)
{
	struct spf_check *c = arg;
	struct spf_term *t;

	if (!answer_wanted(c))
		return;
	t = &cur(c)->rec.terms[cur(c)->next];
	if (c->step == STEP_PTR_HOST) {
		if (res->status == DNS_LOOKUP_OK &&
		    addrs_match(c, res, c->ip.family == AF_INET6 ? 128 : 32))
			ptr_validated(c, c->names[c->iname]);
		else {
			c->iname++;
			ptr_next(c);
		}
		return;
	}
	if (c->step == STEP_MX_HOST) {
		if (res->status == DNS_LOOKUP_TEMPFAIL)
			frame_done(c, SPF_TEMPERROR, "DNS error on an MX host");
		else
			on_mx_host(c, res);
		return;
	}
	if (res->status == DNS_LOOKUP_TEMPFAIL) {
		if (c->step == STEP_PTR)
			ptr_next(c); /* c->nnames is 0: no match */
		else
			frame_done(c, SPF_TEMPERROR, "DNS lookup failed");
		return;
	}
	if (res->status != DNS_LOOKUP_OK) {
		if (!c->ptr_for_macro && void_lookup(c))
			return;
		c->nnames = c->iname = 0;
		if (c->step == STEP_PTR)
			ptr_next(c);
		else
			term_result(c, false);
		return;
	}
	switch (c->step) {
	case STEP_A:
		term_result(c,
		            addrs_match(c, res,
		                        c->ip.family == AF_INET6 ? t->cidr6
		                                                 : t->cidr4));
		break;
	case STEP_EXISTS:
		term_result(c, true);
		break;
	case STEP_MX:
		on_mx(c, res);
		break;
	default: /* STEP_PTR */
		take_names(c, res);
		ptr_next(c);
		break;
	}
}

static void
start_ptr(struct spf_check *c, bool for_macro)
{
	char name[128];

	c->ptr_for_macro = for_macro;
	c->nnames = c->iname = 0;
	c->validated[0] = '\0';
	if (dns_reverse_name(c->ip_text, NULL, name, sizeof(name)) < 0) {
		ptr_next(c);
		return;
	}
	query(c, STEP_PTR, name, DNS_RR_PTR);
}

static bool
needs_p(const char *spec)
{
	return spec && (strstr(spec, "%{p") || strstr(spec, "%{P"));
}

static void
push_frame(struct spf_check *c, const char *domain)
{
	struct frame *f;

	if (c->depth + 1 >= DEPTH_MAX) {
		frame_done(c, SPF_PERMERROR, "includes nested too deep");
		return;
	}
	f = &c->frames[++c->depth];
	spf_record_free(&f->rec);
	memset(f, 0, sizeof(*f));
	snprintf(f->domain, sizeof(f->domain), "%.254s", domain);
	query_txt(c, STEP_RECORD, f->domain);
}

/* Starts the DNS part of term t; the answer continues the evaluation. */
static void
start_term(struct spf_check *c, const struct spf_term *t)
{
	int rc;

	if (++c->lookups > SPF_LOOKUP_MAX) {
		frame_done(c, SPF_PERMERROR, "more than 10 DNS lookups");
		return;
	}
	if (needs_p(t->spec) && !c->have_validated) {
		c->lookups--; /* counted when the term itself runs */
		start_ptr(c, true);
		return;
	}
	if ((rc = expand_target(c, t->spec)) < 0) {
		frame_done(c, SPF_PERMERROR, "bad macro");
		return;
	}
	if (rc == 0) { /* no such name can exist */
		term_result(c, false);
		return;
	}
	switch (t->mech) {
	case SPF_M_INCLUDE:
		push_frame(c, c->target);
		break;
	case SPF_M_A:
		query(c, STEP_A, c->target, addr_rrtype(c));
		break;
	case SPF_M_MX:
		query(c, STEP_MX, c->target, DNS_RR_MX);
		break;
	case SPF_M_EXISTS:
		query(c, STEP_EXISTS, c->target, DNS_RR_A);
		break;
	default:
		start_ptr(c, false);
		break;
	}
}

static void
do_redirect(struct spf_check *c)
{
	struct frame *f = cur(c);

	if (++c->lookups > SPF_LOOKUP_MAX) {
		frame_done(c, SPF_PERMERROR, "more than 10 DNS lookups");
		return;
	}
	if (needs_p(f->rec.redirect) && !c->have_validated) {
		c->lookups--;
		start_ptr(c, true);
		return;
	}
	if (expand_target(c, f->rec.redirect) <= 0) {
		frame_done(c, SPF_PERMERROR, "bad redirect= domain");
		return;
	}
	spf_record_free(&f->rec);
	f->next = 0;
	f->redirected = true;
	snprintf(f->domain, sizeof(f->domain), "%.254s", c->target);
	query_txt(c, STEP_RECORD, f->domain);
}

static void
run_terms(struct spf_check *c)
{
	struct frame *f = cur(c);
	const struct spf_term *t;

	for (; f->next < f->rec.n; f->next++) {
		t = &f->rec.terms[f->next];
		switch (t->mech) {
		case SPF_M_ALL:
			term_result(c, true);
			return;
		case SPF_M_IP4:
		case SPF_M_IP6:
			if (t->net.family == c->ip.family &&
			    net_contains(&t->net, c->ip_text)) {
				term_result(c, true);
				return;
			}
			break;
		default:
			start_term(c, t);
			return;
		}
	}
	if (f->rec.redirect != NULL)
		do_redirect(c);
	else
		frame_done(c, SPF_NEUTRAL, "no term matched");
}

static void
fetch_explanation(struct spf_check *c)
{
	if (expand_target(c, cur(c)->rec.exp) <= 0) {
		complete(c, SPF_FAIL, NULL);
		return;
	}
	query_txt(c, STEP_EXP, c->target);
}

/* The current frame's result: the answer, or its include's verdict. */
static void
frame_done(struct spf_check *c, enum spf_result res, const char *why)
{
	if (why != NULL)
		snprintf(c->reason, sizeof(c->reason), "%s: %s", cur(c)->domain,
		         why);
	if (c->depth == 0) {
		if (res == SPF_FAIL && cur(c)->rec.exp != NULL)
			fetch_explanation(c);
		else
			complete(c, res, NULL);
		return;
	}
	spf_record_free(&cur(c)->rec);
	c->depth--;
	switch (res) {
	case SPF_PASS:
		term_result(c, true);
		break;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		term_result(c, false);
		break;
	case SPF_TEMPERROR:
		frame_done(c, SPF_TEMPERROR, NULL);
		break;
	default:
		frame_done(c, SPF_PERMERROR, NULL);
		break;
	}
}

static bool
printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void
expand_explanation(struct spf_check *c)
{
	struct spf_macro_vars v;
	char out[SPF_TEXT_MAX];

	macro_vars(c, &v, true);
	if (spf_macro_expand(c->exp_text, &v, out, sizeof(out)) == 0)
		snprintf(c->explanation, sizeof(c->explanation), "%s", out);
	complete(c, SPF_FAIL, NULL);
}

static void
on_explanation(struct spf_check *c, enum dns_status st,
               const char *const *texts, size_t n)
{
	/* Anything but exactly one good record: our own text (s6.2). */
	if (st != DNS_OK || n != 1 || !printable_ascii(texts[0]) ||
	    strlen(texts[0]) >= sizeof(c->exp_text)) {
		complete(c, SPF_FAIL, NULL);
		return;
	}
	snprintf(c->exp_text, sizeof(c->exp_text), "%s", texts[0]);
	if (needs_p(c->exp_text) && !c->have_validated) {
		c->exp_waits_p = true;
		start_ptr(c, true);
		return;
	}
	expand_explanation(c);
}

static void
txt_done(void *arg, enum dns_status st, const char *const *texts, size_t n)
{
	struct spf_check *c = arg;
	const char *rec = NULL, *why = "bad record";
	size_t i;

	if (!answer_wanted(c))
		return;
	if (c->step == STEP_EXP) {
		on_explanation(c, st, texts, n);
		return;
	}
	if (st == DNS_TEMPFAIL) {
		frame_done(c, SPF_TEMPERROR, "DNS lookup of the record failed");
		return;
	}
	for (i = 0; st == DNS_OK && i < n; i++) {
		if (!spf_record_is_spf1(texts[i]))
			continue;
		if (rec != NULL) {
			frame_done(c, SPF_PERMERROR, "more than one record");
			return;
		}
		rec = texts[i];
	}
	if (rec == NULL) {
		frame_done(c,
		           c->depth > 0 || cur(c)->redirected ? SPF_PERMERROR
		                                              : SPF_NONE,
		           "no SPF record");
		return;
	}
	if (!printable_ascii(rec) ||
	    spf_record_parse(rec, &cur(c)->rec, &why) < 0) {
		if (!printable_ascii(rec))
			why = "the record holds non-ASCII bytes";
		frame_done(c, SPF_PERMERROR, why);
		return;
	}
	cur(c)->next = 0;
	run_terms(c);
}

/* ip as text, IPv4-mapped IPv6 as IPv4 (RFC 7208 s5: "i" and matching). */
static int
set_ip(struct spf_check *c, const char *ip)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (net_parse(ip, &c->ip) < 0 || strchr(ip, '/'))
		return -1;
	if (c->ip.family == AF_INET6 &&
	    memcmp(c->ip.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(c->ip.addr, c->ip.addr + 12, 4);
		c->ip.family = AF_INET;
		c->ip.bits = 32;
	}
	inet_ntop(c->ip.family, c->ip.addr, c->ip_text, sizeof(c->ip_text));
	if (c->ip.family == AF_INET) {
		snprintf(c->ip_dotted, sizeof(c->ip_dotted), "%s", c->ip_text);
		return 0;
	}
	for (i = 0; i < 16; i++) {
		c->ip_dotted[o++] = hex[c->ip.addr[i] >> 4];
		c->ip_dotted[o++] = '.';
		c->ip_dotted[o++] = hex[c->ip.addr[i] & 15];
		c->ip_dotted[o++] = i < 15 ? '.' : '\0';
	}
	return 0;
}

/* RFC 7208 s4.3: a domain that cannot be one gives "none" at once. */
static bool
domain_ok(const char *d)
{
	char out[NAME_LEN];
	const char *why;
	size_t len = strlen(d);

	if (len > 0 && d[len - 1] == '.')
		len--;
	return memchr(d, '.', len) != NULL && dns_name_check(d, out, &why);
}

static void
set_sender(struct spf_check *c, const char *sender, const char *domain)
{
	const char *at = strrchr(sender, '@');

	if (at == NULL || at == sender) {
		snprintf(c->local, sizeof(c->local), "postmaster");
		snprintf(c->sender_domain, sizeof(c->sender_domain), "%s",
		         at ? at + 1 : domain);
	} else {
		snprintf(c->local, sizeof(c->local), "%.*s", (int)(at - sender),
		         sender);
		snprintf(c->sender_domain, sizeof(c->sender_domain), "%s",
		         at + 1);
	}
	snprintf(c->sender, sizeof(c->sender), "%.700s@%.254s", c->local,
	         c->sender_domain);
}

struct spf_check *
spf_check_host(struct dns_resolver *r, const char *ip, const char *domain,
               const char *sender, const char *helo, unsigned limit_s,
               spf_done_fn cb, void *arg)
{
	struct spf_check *c = calloc(1, sizeof(*c));
	struct timeval limit = {(time_t)limit_s, 0};

	if (c == NULL)
		return NULL;
	c->r = r;
	c->limit_s = limit_s;
	c->cb = cb;
	c->arg = arg;
	c->timer = event_new(dns_resolver_base(r), -1, 0, deliver, c);
	if (c->timer == NULL) {
		free(c);
		return NULL;
	}
	event_add(c->timer, &limit);
	snprintf(c->top_domain, sizeof(c->top_domain), "%s", domain);
	snprintf(c->frames[0].domain, NAME_LEN, "%s", domain);
	snprintf(c->helo, sizeof(c->helo), "%s", helo ? helo : "");
	set_sender(c, sender ? sender : "", domain);
	if (set_ip(c, ip) < 0)
		complete(c, SPF_PERMERROR, "the client address is not one");
	else if (strlen(domain) >= NAME_LEN || !domain_ok(domain))
		complete(c, SPF_NONE, "not a domain name");
	else
		query_txt(c, STEP_RECORD, c->frames[0].domain);
	return c;
}

void
spf_check_cancel(struct spf_check *c)
{
	if (c == NULL)
		return;
	if (c->pending) {
		event_del(c->timer);
		orphan_add(c);
	} else {
		check_free(c);
	}
}

void
spf_forget_abandoned(void)
{
	struct spf_check *c;

	while ((c = orphans) != NULL) {
		orphans = c->next_orphan;
		check_free(c);
	}
}
