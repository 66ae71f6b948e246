/*
 * tlsrpt — SMTP TLS Reporting (RFC 8460): the outcome of every outbound
 * session a DANE or MTA-STS policy governed, kept per UTC day, and the
 * day's JSON report for one policy domain (RFC 8460 s4).
 *
 * tlsrpt_record() appends one line to DIR/YYYY-MM-DD (O_APPEND, one
 * write: lines of concurrent writers do not mix; not synced, as losing
 * the last few counts in a crash costs nothing but a report's accuracy).
 * tlsrpt_report() reads that file back and aggregates it.
 *
 * Sending (RFC 8460 s3, s5): tlsrpt_rua_pick() reads the domain's
 * `_smtp._tls` TXT records, tlsrpt_mail_build() makes the report mail,
 * DIR/YYYY-MM-DD.sent lists the domains whose report of that day went
 * out (synced), tlsrpt_prune() removes the days no longer kept.
 *
 * Errors: -1 with errno (record) or a message on stderr (report).
 * Threads: any; no shared state.
 */
#ifndef FERRY_TLSRPT_TLSRPT_H
#define FERRY_TLSRPT_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

enum tlsrpt_policy { TLSRPT_POLICY_STS, TLSRPT_POLICY_TLSA };

/* The result types of RFC 8460 s4.3 ferry tells apart. */
enum tlsrpt_result {
	TLSRPT_SUCCESS,
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERT_HOST_MISMATCH,
	TLSRPT_CERT_EXPIRED,
	TLSRPT_CERT_NOT_TRUSTED,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_TLSA_INVALID,
	TLSRPT_STS_FETCH_ERROR,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID,
};

struct tlsrpt_event {
	enum tlsrpt_policy policy;
	const char *domain;        /* the policy domain */
	const char *policy_string; /* the policy, lines joined with '\n' */
	const char *mx;            /* receiving MX host name */
	const char *ip;            /* its address, or NULL */
	enum tlsrpt_result result;
	const char *reason; /* failure-reason-code text, or NULL */
	time_t when;
};

int tlsrpt_record(const char *dir, const struct tlsrpt_event *e);

/* What a session error says, in RFC 8460 terms. */
enum tlsrpt_result tlsrpt_classify(const char *error);

/* The report of day ("YYYY-MM-DD", UTC) for domain, as JSON. org is the
 * organization-name and the right side of the report-id, contact the
 * contact-info (an address).  Returns 0 (no sessions: an empty policies
 * list). */
int tlsrpt_report(FILE *out, const char *dir, const char *domain,
                  const char *day, const char *org, const char *contact);
/* The report-id of that report: "DAY_DOMAIN@ORG". */
void tlsrpt_report_id(const char *day, const char *domain, const char *org,
                      char *buf, size_t len);

/* The rua of a `v=TLSRPTv1; rua=...` record: mailto addresses (decoded,
 * checked as plain local@domain) and https URLs. */
#define TLSRPT_RUA_MAX 8
struct tlsrpt_rua {
	char *mailto[TLSRPT_RUA_MAX];
	size_t nmailto;
	char *https[TLSRPT_RUA_MAX];
	size_t nhttps;
};
/* Returns 0, or -1 (r empty) when the record is not one or names no
 * usable URI. */
int tlsrpt_rua_parse(const char *txt, struct tlsrpt_rua *r);
/* Of the TXT records of _smtp._tls.DOMAIN, the one starting with
 * "v=TLSRPTv1"; -1 unless there is exactly one (s3) and it parses. */
int tlsrpt_rua_pick(const char *const *texts, size_t n, struct tlsrpt_rua *r);
void tlsrpt_rua_clear(struct tlsrpt_rua *r);

struct tlsrpt_mail {
	const char *from;      /* the report's From */
	const char *const *to; /* the mailto addresses */
	size_t nto;
	const char *domain;    /* policy domain */
	const char *submitter; /* this host's name */
	const char *report_id; /* tlsrpt_report_id() */
	const char *day;       /* "YYYY-MM-DD" */
	time_t begin, end;     /* the day's first and last second */
	const char *json;      /* the report */
	size_t jsonlen;
	time_t now;
};
/* The whole message, CRLF lines; NULL when out of memory. */
char *tlsrpt_mail_build(const struct tlsrpt_mail *m, size_t *len);
/* s5.1: "submitter!domain!begin!end.json.gz". */
void tlsrpt_filename(const struct tlsrpt_mail *m, char *buf, size_t len);
/* RFC 1952 gzip of data (zlib); NULL when out of memory. */
unsigned char *tlsrpt_gzip(const char *data, size_t len, size_t *outlen);

/* The policy domains day has records of (lowercase as recorded); free
 * with tlsrpt_domains_free(). */
size_t tlsrpt_domains(const char *dir, const char *day, char ***out);
void tlsrpt_domains_free(char **v, size_t n);
/* The days from..to (inclusive, "YYYY-MM-DD") that have records. */
size_t tlsrpt_days(const char *dir, const char *from, const char *to,
                   char ***out);
/* Was the report of domain for day sent?  Mark it so (synced). */
bool tlsrpt_sent(const char *dir, const char *day, const char *domain);
int tlsrpt_mark_sent(const char *dir, const char *day, const char *domain);
/* Remove the records and marks of days before oldest; how many files. */
int tlsrpt_prune(const char *dir, const char *oldest);

#endif
