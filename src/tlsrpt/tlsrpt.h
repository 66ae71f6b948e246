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
 * Errors: -1 with errno (record) or a message on stderr (report).
 * Threads: any; no shared state.
 */
#ifndef FERRY_TLSRPT_TLSRPT_H
#define FERRY_TLSRPT_TLSRPT_H

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
 * organization-name and the domain of contact-info.  Returns 0, or -1
 * when the day's file cannot be read (no sessions: an empty policies
 * list, 0). */
int tlsrpt_report(FILE *out, const char *dir, const char *domain,
                  const char *day, const char *org);

#endif
