/*
 * spf_int — the parts of the SPF evaluator that need no DNS: records
 * parsed into terms (RFC 7208 s4.6, s5, s6) and macro expansion (s7).
 * Not for use outside src/spf/ (tests may).
 */
#ifndef FERRY_SPF_INT_H
#define FERRY_SPF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/net.h"

#define SPF_LOOKUP_MAX 10 /* terms that cause DNS lookups */
#define SPF_VOID_MAX 2    /* lookups that found nothing */
#define SPF_NAMES_MAX 10  /* MX or PTR names looked at per mechanism */
#define SPF_TEXT_MAX 1024

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	char qual; /* '+', '-', '~', '?' */
	enum spf_mech mech;
	char *spec;            /* domain-spec, NULL for the current domain */
	struct net_prefix net; /* ip4, ip6 */
	int cidr4, cidr6;      /* a, mx */
	char text[128];        /* the term as written, for reasons */
};

struct spf_record {
	struct spf_term *terms;
	size_t n;
	char *redirect; /* domain-spec or NULL */
	char *exp;      /* domain-spec or NULL */
};

/* text: one record starting "v=spf1".  Returns 0, or -1 with *why set
 * (a permerror: the whole record is refused, RFC 7208 s4.6). */
int spf_record_parse(const char *text, struct spf_record *out,
                     const char **why);
void spf_record_free(struct spf_record *rec);

/* text starts with the version tag "v=spf1" (then space or end). */
bool spf_record_is_spf1(const char *text);

/* What the macros of RFC 7208 s7.2 stand for. */
struct spf_macro_vars {
	const char *sender;        /* s */
	const char *local;         /* l */
	const char *sender_domain; /* o */
	const char *domain;        /* d */
	const char *ip_dotted;     /* i: IPv4, or IPv6 nibbles with dots */
	const char *ip_text;       /* c */
	const char *validated;     /* p */
	const char *helo;          /* h */
	bool ipv6;                 /* v */
	bool exp;                  /* c, r, t allowed (explanation text) */
};

/* Expands in into out.  Returns 0, or -1 on a syntax error. */
int spf_macro_expand(const char *in, const struct spf_macro_vars *v, char *out,
                     size_t outlen);
/* A domain-spec with a valid domain-end (checked before expansion). */
bool spf_domain_spec_ok(const char *spec);
/* After expansion: shortened from the left to fit 253 octets, checked as
 * a DNS name.  Returns false when it cannot be one. */
bool spf_target_name(char *name);

#endif
