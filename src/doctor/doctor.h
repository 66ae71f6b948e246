/*
 * doctor — `ferry doctor`: what a receiving provider will think of this
 * server before it says so.  Checks the outbound address's reverse DNS and
 * HELO name, DNS block lists, SPF, DKIM and DMARC of each sending domain,
 * the domain's own MX hosts (STARTTLS, certificate), MTA-STS and TLS-RPT
 * records, an open-relay dialogue against the server's own listener that
 * stops at RCPT, and the configuration's basics (postmaster, host name,
 * queue, clock).  Each failure names the provider reply it leads to, taken
 * from the reply knowledge of `ferry explain` (explain/explain.h).
 *
 * Every lookup goes through ferry's resolver (dns/), with the local data
 * of [relay] dns_local_data and opts->dns_data, each bounded by
 * opts->timeout_ms; network dialogues use the same bound per step.
 *
 * Ownership: doctor_run() fills a report the caller frees with
 * doctor_report_free().  Errors: a check that cannot run is a warning in
 * the report, never a crash; doctor_run() returns -1 only when nothing can
 * run at all (no event loop, no resolver), with the reason on stderr.
 * Threads: one thread; doctor_run() makes and frees its own event loop.
 */
#ifndef FERRY_DOCTOR_H
#define FERRY_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config;

enum doctor_status {
	DOCTOR_PASS,
	DOCTOR_WARN,
	DOCTOR_FAIL,
	DOCTOR_SKIP, /* not applicable, or turned off with --skip */
};

struct doctor_opts {
	const char *domain;   /* only this sending domain; NULL: every one */
	const char *ip;       /* outbound address; NULL: detected */
	const char *dns_data; /* more local DNS data (resolver file format) */
	const char *ca_file;  /* trust for MX certificates; NULL: system */
	const char *skip;     /* "name,name": checks not run */
	unsigned timeout_ms;  /* per lookup and per network step */
};

struct doctor_check {
	const char *group; /* "identity", "reputation", ... */
	const char *name;  /* "ptr", "spf", ...: stable, for --skip and JSON */
	char *subject;     /* what was checked: an address, a domain */
	enum doctor_status status;
	char *summary;      /* one line */
	char *detail;       /* more lines, '\n'-separated, or NULL */
	const char *fix;    /* what to do, or NULL */
	const char *sample; /* key of the provider reply it leads to */
	char *reply;        /* or the reply itself, when it names the case */
};

struct doctor_report {
	struct doctor_check *checks;
	size_t n, cap;
	char *ip;   /* the outbound address used, or NULL */
	char *helo; /* the name ferry greets with */
};

int doctor_run(const struct config *cfg, const struct doctor_opts *opts,
               struct doctor_report *rep);
void doctor_report_free(struct doctor_report *rep);

/* 0 all passed, 1 warnings, 2 failures. */
int doctor_exit_status(const struct doctor_report *rep);

/* For people: grouped, one line per check then its details; colour
 * (ANSI) only when asked (the caller checks for a terminal). */
void doctor_print_human(FILE *out, const struct doctor_report *rep,
                        bool colour);
/* One JSON object for monitoring. */
void doctor_print_json(FILE *out, const struct doctor_report *rep);

/* Names of every check, in run order, NULL-terminated (for --skip). */
extern const char *const doctor_check_names[];

/* The verdict on the kernel's clock discipline (adjtimex(2)): state is
 * its return value (TIME_OK .. TIME_ERROR), status its STA_ flags,
 * maxerror_us its maximum error.  Pure, for tests. */
enum doctor_status doctor_clock_verdict(int state, int status, long maxerror_us,
                                        const char **why);

/* Does a host name look generic/dynamic (an address in it, "dyn",
 * "dhcp", "pool", "dsl", ...)?  Pure, for tests. */
bool doctor_name_generic(const char *name, const char *ip);

#endif
