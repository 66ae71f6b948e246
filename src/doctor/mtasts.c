/*
 * mtasts.c — a domain's MTA-STS policy file (RFC 8461 s3.2), fetched as
 * the relay fetches it (src/sts: HTTPS to mta-sts.DOMAIN with the
 * certificate verified) and judged against the domain's MX hosts: under
 * enforce, a sender defers mail to an MX host no pattern names, or whose
 * TLS fails; testing and none only report.  The store keeps policies on
 * disk, so doctor gives it a directory of its own for the run.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "doctor/doctor_int.h"
#include "sts/sts.h"

#define G "receiving"
#define MAX_AGE_MIN 86400L    /* a day: RFC 8461 s3.2 advises weeks */
#define MAX_AGE_MAX 31557600L /* the RFC's upper bound */

struct sts_wait {
	bool done, have;
	struct sts_policy p;
};

static void
policy_cb(void *arg, const struct sts_policy *p, enum sts_failure fail,
          const char *why)
{
	struct sts_wait *w = arg;

	if (p != NULL) {
		sts_policy_copy(&w->p, p);
		w->have = true;
	}
	w->done = true;
}

static void
remove_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *dp = opendir(dir);

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

/* true with the policy in *w, false when none could be had. */
static bool
fetch_policy(struct doctor *d, const char *dom, struct sts_wait *w)
{
	char dir[] = "/tmp/ferry-doctor-sts.XXXXXX";
	const char *ca = d->opts->ca_file ? d->opts->ca_file
	                                  : d->cfg->relay_mta_sts_ca_file;
	struct sts_store *s;
	struct sts_lookup *l;

	memset(w, 0, sizeof(*w));
	if (mkdtemp(dir) == NULL)
		return false;
	s = sts_store_new(d->base, d->dns, dir, ca);
	l = s ? sts_lookup(s, dom, policy_cb, w) : NULL;
	/* TXT, address, TLS and HTTP: a few round trips. */
	if (l != NULL && !doctor_wait(d, &w->done, 2 * d->opts->timeout_ms))
		sts_lookup_cancel(l);
	if (s != NULL)
		sts_store_free(s);
	remove_dir(dir);
	return w->have;
}

/* The first MX host no pattern of the policy names, or NULL. */
static char *
unlisted_mx(struct doctor *d, const char *dom, const struct sts_policy *p)
{
	struct dns_mx_result mx;
	char *host = NULL;
	size_t i;

	doctor_mx(d, dom, &mx);
	for (i = 0; i < mx.nhosts && host == NULL; i++)
		if (!sts_mx_matches(p, mx.hosts[i].name))
			host = str_dup(mx.hosts[i].name);
	doctor_mx_free(&mx);
	return host;
}

static void
judge(struct doctor *d, const char *dom, bool tls_ok, const char *txt,
      const struct sts_policy *p)
{
	bool enforce = p->mode == STS_MODE_ENFORCE;
	char *host = unlisted_mx(d, dom, p);
	struct doctor_check *c;
	size_t i;

	if (enforce && host != NULL) {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_FAIL,
		               "MX host %s of %s is not in its MTA-STS policy",
		               host, dom);
		c->fix = "add the MX host to the policy's mx: lines (and "
		         "change the TXT record's id)";
		c->sample = "tls-required";
	} else if (enforce && !tls_ok) {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_FAIL,
		               "%s enforces MTA-STS but its MX hosts fail TLS",
		               dom);
		c->fix = "fix STARTTLS on the MX hosts, or set the policy's "
		         "mode to testing meanwhile";
		c->sample = "tls-required";
	} else if (!enforce) {
		c = doctor_add(
		        d, G, "mta-sts", dom, DOCTOR_WARN,
		        "the MTA-STS policy of %s is in mode %s: senders "
		        "do not require TLS",
		        dom, sts_mode_name(p->mode));
		if (host != NULL)
			doctor_detail(c, "MX host %s is not in the policy",
			              host);
		c->fix = "once TLS-RPT reports show no failures, set mode: "
		         "enforce";
	} else if (p->max_age < MAX_AGE_MIN || p->max_age > MAX_AGE_MAX) {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_WARN,
		               "the MTA-STS policy of %s has max_age %ld, "
		               "outside a day to a year",
		               dom, p->max_age);
		c->fix = "set max_age to a few weeks (e.g. 1209600)";
	} else {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_PASS,
		               "%s enforces MTA-STS on all its MX hosts, which "
		               "have valid TLS",
		               dom);
	}
	doctor_detail(c, "%s", txt);
	doctor_detail(c, "policy: mode %s, max_age %ld", sts_mode_name(p->mode),
	              p->max_age);
	for (i = 0; i < p->nmx; i++)
		doctor_detail(c, "mx: %s", p->mx[i]);
	free(host);
}

void
doctor_sts_policy(struct doctor *d, const char *dom, bool tls_ok,
                  const char *txt)
{
	struct sts_wait w;
	struct doctor_check *c;

	if (!fetch_policy(d, dom, &w)) {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_FAIL,
		               "%s announces MTA-STS but its policy cannot be "
		               "fetched",
		               dom);
		doctor_detail(c, "%s", txt);
		doctor_detail(c,
		              "https://mta-sts.%s/.well-known/mta-sts.txt: no "
		              "address, no TLS with a valid certificate, no "
		              "200, or not a policy",
		              dom);
		c->fix = "serve the policy (text/plain) over HTTPS at "
		         "mta-sts.DOMAIN with a certificate for that name, or "
		         "remove the _mta-sts record";
		return;
	}
	judge(d, dom, tls_ok, txt, &w.p);
	sts_policy_clear(&w.p);
}
