/*
 * doctor_int.h — the inside of src/doctor: the run's context, adding
 * results, waiting for lookups, and the checks of each group.
 */
#ifndef FERRY_DOCTOR_INT_H
#define FERRY_DOCTOR_INT_H

#include <stdarg.h>

#include "config/config.h"
#include "dns/dnssec_probe.h"
#include "dns/lookup.h"
#include "dns/resolver.h"
#include "doctor/doctor.h"

struct event_base;

struct doctor {
	const struct config *cfg;
	const struct doctor_opts *opts;
	struct doctor_report *rep;
	struct event_base *base;
	struct dns_resolver *dns;
	struct mailauth_psl *psl; /* NULL: the last two labels */
	const char *ip;           /* outbound address, or NULL when unknown */
	const char *helo;         /* cfg->hostname */
	char **domains;           /* the sending domains checked */
	size_t ndomains;
	/* The relay's DNSSEC probe, made once at the start when DANE is in
	 * use (dnssec.avail UNKNOWN otherwise); validating: the resolver
	 * validates, as the relay's does while DNSSEC is available. */
	struct dnssec_status dnssec;
	bool validating;
};

/* ---- results (report.c) ---------------------------------------------- */

/* Adds a result; summary is printf-style.  Returns it, for details. */
struct doctor_check *doctor_add(struct doctor *d, const char *group,
                                const char *name, const char *subject,
                                enum doctor_status st, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
/* Appends one line to the check's details. */
void doctor_detail(struct doctor_check *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Is this check turned off (--skip)? */
bool doctor_skipped(const struct doctor *d, const char *name);

/* ---- waiting for the resolver (wait.c) ------------------------------- */

/* Answers of one lookup, copied: A/AAAA/PTR/MX as dns_lookup() gives
 * them, or TXT texts.  The status uses enum dns_lookup_status. */
struct doctor_answers {
	enum dns_lookup_status status;
	char **a;
	size_t n;
};

/* Turns the run's loop until *done or timeout_ms; returns *done. */
bool doctor_wait(struct doctor *d, bool *done, unsigned timeout_ms);
void doctor_lookup(struct doctor *d, const char *name, int rrtype,
                   struct doctor_answers *out);
void doctor_txt(struct doctor *d, const char *name, struct doctor_answers *out);
/* The MX hosts of a domain with their addresses; res is a deep copy the
 * caller frees with doctor_mx_free(). */
void doctor_mx(struct doctor *d, const char *domain, struct dns_mx_result *res);
void doctor_mx_free(struct dns_mx_result *res);
void doctor_answers_free(struct doctor_answers *a);
/* The first TXT text starting with prefix (case-insensitive), or NULL. */
const char *doctor_txt_find(const struct doctor_answers *a, const char *prefix);
/* Does one of the name's A/AAAA addresses equal ip? */
bool doctor_resolves_to(struct doctor *d, const char *name, const char *ip,
                        enum dns_lookup_status *status);

/* ---- the groups -------------------------------------------------------- */

void doctor_identity(struct doctor *d);
void doctor_reputation(struct doctor *d);
/* SPF, DKIM, DMARC and alignment of one sending domain (auth.c). */
void doctor_authentication(struct doctor *d, const char *domain);
/* MX hosts, their STARTTLS and certificates, then MTA-STS and TLS-RPT
 * (receiving.c). */
void doctor_receiving(struct doctor *d, const char *domain);
/* The MTA-STS policy file of dom, fetched and judged against its MX
 * hosts; txt is the _mta-sts record, for the details (mtasts.c). */
void doctor_sts_policy(struct doctor *d, const char *dom, bool tls_ok,
                       const char *txt);
/* The TLSA records of host:port against the chain ssl presented, with
 * their DNSSEC status; secure: the MX and address records leading to
 * host validated (without that DANE does not apply, RFC 7672 s2.2). */
struct ssl_st;
void doctor_dane(struct doctor *d, const char *host, int port,
                 struct ssl_st *ssl, bool secure);
void doctor_relay_test(struct doctor *d);
void doctor_sanity(struct doctor *d);

/* ---- SPF (spf.c): the record's shape, and the server's SPF module's
 * answer for the address --------------------------------------------- */

enum doctor_spf_result {
	DSPF_PASS,      /* the IP is authorised */
	DSPF_NEUTRAL,   /* ?all or no match with no all */
	DSPF_SOFTFAIL,  /* ~all */
	DSPF_FAIL,      /* -all */
	DSPF_NONE,      /* no record */
	DSPF_PERMERROR, /* syntax, two records, more than 10 lookups */
	DSPF_TEMPERROR,
};

struct doctor_spf_eval {
	enum doctor_spf_result result;
	int lookups; /* DNS-querying terms, all branches (RFC 7208 s4.6.4) */
	int terms;   /* terms parsed in the top record */
	char record[512];
	char why[256];
};

void doctor_spf_eval(struct doctor *d, const char *domain, const char *ip,
                     struct doctor_spf_eval *ev);
const char *doctor_spf_name(enum doctor_spf_result r);

/* ---- a blocking SMTP probe (probe.c) --------------------------------- */

struct ssl_st;
struct probe {
	int fd;
	struct ssl_st *ssl;
	unsigned timeout_ms;
	char in[8192];
	size_t inlen;
};

/* Connects to addr (numeric) port; -1 with the reason in err. */
int probe_connect(struct probe *p, const char *addr, int port,
                  unsigned timeout_ms, char *err, size_t errlen);
/* Reads one (multi-line) reply: returns its code, the lines joined by
 * '\n' in text; -1 on timeout or a broken connection. */
int probe_reply(struct probe *p, char *text, size_t len);
/* Sends one command line (CRLF added) and reads the reply. */
int probe_cmd(struct probe *p, const char *line, char *text, size_t len);
/* TLS handshake after 220 to STARTTLS, then the certificate checked for
 * host against ca_file (NULL: the system's store); 0, or -1 with the
 * reason (p->ssl is set once the handshake itself worked). */
int probe_tls(struct probe *p, const char *host, const char *ca_file, char *err,
              size_t errlen);
void probe_close(struct probe *p);

#endif
