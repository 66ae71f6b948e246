/*
 * mailauth — what SPF, DKIM and DMARC say about a received message, and
 * the Authentication-Results field (RFC 8601) that records it.
 *
 * SPF itself is src/spf/; DKIM signatures are checked with src/dkim/'s
 * verifier.  Here: the checks of one message at the end of DATA (every
 * DKIM signature up to MAILAUTH_DKIM_MAX, key records fetched through the
 * resolver, then the From domain's DMARC policy, RFC 7489), the
 * organizational domain from the Public Suffix List, alignment, and the
 * header field.
 *
 * Errors: DNS trouble becomes a temperror result, never a failure of the
 * check; mailauth_check_message() returns NULL only when out of memory.
 * Threads: event-loop thread only (the pure functions: any thread).
 */
#ifndef FERRY_MAILAUTH_H
#define FERRY_MAILAUTH_H

#include <stdbool.h>
#include <stddef.h>

struct dns_resolver;
struct mailauth_psl;
struct mailauth_check;

#define MAILAUTH_DKIM_MAX 5
/* ARC sets whose seals are checked (one key lookup and one RSA
 * verification each); a longer chain is a fail without any lookup. */
#define MAILAUTH_ARC_MAX 10
#define MAILAUTH_NAME 256

enum dmarc_policy { DMARC_P_NONE, DMARC_P_QUARANTINE, DMARC_P_REJECT };

enum dmarc_result {
	DMARC_NONE, /* no From domain, or no (usable) record */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
	DMARC_PERMERROR,
};

enum arc_result {
	ARC_RESULT_NONE, /* no ARC set */
	ARC_RESULT_PASS,
	ARC_RESULT_FAIL,
	ARC_RESULT_TEMPERROR, /* a key lookup failed: not a verdict */
};

struct dmarc_record {
	enum dmarc_policy p, sp;
	int pct; /* 0..100 */
	bool adkim_strict, aspf_strict;
};

struct mailauth_dkim {
	int result; /* enum dkim_result (dkim/verify.h) */
	char d[MAILAUTH_NAME], s[64], a[32], reason[96];
};

/* Everything one message's checks found; the SPF part comes from MAIL. */
struct mailauth_results {
	int spf;                        /* enum spf_result; -1 unchecked */
	bool spf_helo;                  /* the HELO identity was checked */
	char spf_domain[MAILAUTH_NAME]; /* the identity's domain */
	char spf_explanation[200];      /* of a fail */
	int helo_spf; /* enum spf_result of the HELO name when MAIL FROM's
	                 was none (RFC 7208 s2.3); -1 unchecked */
	char helo_domain[MAILAUTH_NAME];
	struct mailauth_dkim dkim[MAILAUTH_DKIM_MAX];
	size_t ndkim;
	char from_domain[MAILAUTH_NAME];
	enum dmarc_result dmarc;
	enum dmarc_policy dmarc_policy; /* the p= or sp= that applies */
	bool dmarc_sampled_out;         /* pct= said: apply the next lower */
	char dmarc_reason[96];
	int arc;             /* enum arc_result; -1 unchecked */
	int arc_sets;        /* the newest instance */
	int arc_oldest_pass; /* header.oldest-pass of a pass; -1 unknown */
	char arc_sealer[MAILAUTH_NAME]; /* d= of the newest ARC-Seal */
	char arc_reason[96];
	bool dmarc_arc_override; /* a trusted sealer's pass set DMARC aside */
	char remote_ip[64];      /* the client, for smtp.remote-ip */
};

void mailauth_results_init(struct mailauth_results *r);

/* The Public Suffix List (https://publicsuffix.org/list/ format). */
struct mailauth_psl *mailauth_psl_load(const char *path);
void mailauth_psl_free(struct mailauth_psl *psl);
/* The organizational domain of RFC 7489 s3.2 (lower case): one label
 * more than the public suffix; a public suffix is its own. */
void mailauth_org_domain(const struct mailauth_psl *psl, const char *domain,
                         char *out, size_t len);
bool mailauth_aligned(const struct mailauth_psl *psl, const char *id_domain,
                      const char *from_domain, bool strict);

/* "v=DMARC1; p=...": 0, or -1 when it is not a usable record. */
int dmarc_record_parse(const char *txt, struct dmarc_record *rec);
/*
 * DMARC of res (SPF and DKIM filled in) under rec, found at the From
 * domain (at_org false) or at its organizational domain (true).  roll:
 * 0..99, compared with pct=.  Sets dmarc, dmarc_policy, sampled_out.
 */
void mailauth_dmarc_evaluate(const struct mailauth_psl *psl,
                             const struct dmarc_record *rec, bool at_org,
                             unsigned roll, struct mailauth_results *res);
/* What the receiver should do: the policy after pct= sampling, or
 * DMARC_P_NONE when DMARC did not fail or a trusted ARC sealer vouches. */
enum dmarc_policy mailauth_disposition(const struct mailauth_results *res);

typedef void (*mailauth_done_fn)(void *arg, const struct mailauth_results *res);
/*
 * Checks msg (CRLF lines, header and body; copied) and gives the results:
 * spf's SPF part (and remote_ip) with the DKIM, ARC (RFC 8617 s5.2) and
 * DMARC parts added.  Lookups still unanswered after limit_s seconds count
 * as temperror.  done() runs later
 * on the loop, exactly once unless cancelled.
 */
struct mailauth_check *
mailauth_check_message(struct dns_resolver *r, const struct mailauth_psl *psl,
                       const char *msg, size_t len,
                       const struct mailauth_results *spf, unsigned limit_s,
                       mailauth_done_fn done, void *arg);
void mailauth_check_cancel(struct mailauth_check *c);
/* After the resolver is freed: what cancelled checks still hold. */
void mailauth_forget_abandoned(void);

/* sealer is one of the comma-separated domains of list (case-insensitive,
 * white space around names allowed). */
bool mailauth_in_list(const char *list, const char *sealer);

/* The whole field, "Authentication-Results: ID; spf=...\r\n" folded;
 * the length, or 0 when it does not fit. */
size_t mailauth_field(const char *authserv_id,
                      const struct mailauth_results *res, char *out,
                      size_t len);
/* Removes, in place, the Authentication-Results fields of the header
 * that claim authserv_id, and any X-Ferry-Quarantine field (only ferry
 * may file mail as Junk); returns the new length. */
size_t mailauth_strip_ours(char *msg, size_t len, const char *authserv_id);

#endif
