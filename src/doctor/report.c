/*
 * report.c — the list of results a run collects, and the exit status it
 * gives (0 all passed, 1 warnings, 2 failures: for cron and timers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "doctor/doctor_int.h"

const char *const doctor_check_names[] = {
        "outbound-ip", "ptr",        "fcrdns",     "generic-name", "helo",
        "dnsbl",       "dbl",        "spf",        "dkim",         "dmarc",
        "alignment",   "mx",         "starttls",   "dane",         "mta-sts",
        "tls-rpt",     "open-relay", "postmaster", "abuse",        "hostname",
        "queue",       "clock",      "dnssec",     NULL,
};

static char *
vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

struct doctor_check *
doctor_add(struct doctor *d, const char *group, const char *name,
           const char *subject, enum doctor_status st, const char *fmt, ...)
{
	struct doctor_report *rep = d->rep;
	struct doctor_check *c;
	va_list ap;

	if (rep->n == rep->cap) {
		rep->cap = rep->cap ? rep->cap * 2 : 32;
		c = realloc(rep->checks, rep->cap * sizeof(*rep->checks));
		if (c == NULL)
			abort();
		rep->checks = c;
	}
	c = &rep->checks[rep->n++];
	memset(c, 0, sizeof(*c));
	c->group = group;
	c->name = name;
	c->subject = str_dup(subject ? subject : "");
	c->status = st;
	va_start(ap, fmt);
	c->summary = vformat(fmt, ap);
	va_end(ap);
	return c;
}

void
doctor_detail(struct doctor_check *c, const char *fmt, ...)
{
	char *line, *joined;
	va_list ap;

	va_start(ap, fmt);
	line = vformat(fmt, ap);
	va_end(ap);
	if (c->detail == NULL) {
		c->detail = line;
		return;
	}
	if (asprintf(&joined, "%s\n%s", c->detail, line) < 0)
		abort();
	free(c->detail);
	free(line);
	c->detail = joined;
}

bool
doctor_skipped(const struct doctor *d, const char *name)
{
	const char *s = d->opts->skip;
	size_t n = strlen(name);

	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ", ");

		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len;
		s += strspn(s, ", ");
	}
	return false;
}

void
doctor_report_free(struct doctor_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		free(rep->checks[i].subject);
		free(rep->checks[i].summary);
		free(rep->checks[i].detail);
		free(rep->checks[i].reply);
	}
	free(rep->checks);
	free(rep->ip);
	free(rep->helo);
	memset(rep, 0, sizeof(*rep));
}

int
doctor_exit_status(const struct doctor_report *rep)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		if (rep->checks[i].status == DOCTOR_FAIL)
			return 2;
		if (rep->checks[i].status == DOCTOR_WARN)
			rc = 1;
	}
	return rc;
}
