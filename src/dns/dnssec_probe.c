/*
 * dnssec_probe.c — the DNSSEC availability probe (see dnssec_probe.h).
 */
#include "dns/dnssec_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/log.h"
#include "dns/resolver.h"

struct dnssec_probe {
	struct event_base *base;
	struct dnssec_status st;
	unsigned interval;
	dnssec_resolver_fn make;
	dnssec_settled_fn settled;
	void *arg;
	struct event *timer;
	struct dns_resolver *r;     /* the running probe's, or NULL */
	struct dns_tlsa_query *q;   /* its lookup */
	struct dns_resolver *spent; /* the last one, freed by free_ev */
	struct event *free_ev;
	time_t last_start;
	bool dead; /* no trust anchor: nothing to probe */
};

const char *
dnssec_avail_name(enum dnssec_avail a)
{
	static const char *const names[] = {
	        [DNSSEC_UNKNOWN] = "unknown",
	        [DNSSEC_AVAILABLE] = "available",
	        [DNSSEC_UNAVAILABLE] = "unavailable",
	};

	return names[a];
}

bool
dnssec_status_note(struct dnssec_status *s, enum dns_tlsa_status st,
                   size_t nkeys, const char *error, time_t now)
{
	enum dnssec_avail was = s->avail;

	s->checked = now;
	if (st == DNS_TLSA_SECURE && nkeys > 0) {
		s->avail = DNSSEC_AVAILABLE;
		s->reason[0] = '\0';
	} else {
		s->avail = DNSSEC_UNAVAILABLE;
		if (st == DNS_TLSA_SECURE)
			snprintf(s->reason, sizeof(s->reason),
			         "no DNSKEY records for %s", s->zone);
		else if (st == DNS_TLSA_INSECURE)
			snprintf(s->reason, sizeof(s->reason),
			         "the DNSKEY records of %s are not signed",
			         s->zone);
		else
			snprintf(s->reason, sizeof(s->reason), "%s",
			         error ? error : "no answer");
	}
	if (s->avail == was)
		return false;
	s->since = now;
	return true;
}

unsigned
dnssec_next_probe(time_t last_start, unsigned interval, bool suspect,
                  time_t now)
{
	unsigned gap = suspect && interval > DNSSEC_SUSPECT_GAP
	                       ? DNSSEC_SUSPECT_GAP
	                       : interval;
	time_t at = last_start + (time_t)gap;

	return at <= now ? 0 : (unsigned)(at - now);
}

int
dnssec_anchor_owner(const char *path, char *out, size_t len)
{
	char line[4096], name[256];
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f) != NULL) {
		/* comments, blank lines, $TTL and $ORIGIN directives */
		if (line[0] == ';' || line[0] == '$' || line[0] == ' ' ||
		    line[0] == '\t' || line[0] == '\n' || line[0] == '\r')
			continue;
		if (sscanf(line, "%254s", name) != 1)
			continue;
		/* the owner with its trailing dot, "." for the root */
		if ((size_t)snprintf(out, len, "%s%s", name,
		                     name[strlen(name) - 1] == '.' ? "" : ".") <
		    len)
			rc = 0;
	}
	fclose(f);
	return rc;
}

static void
log_change(const struct dnssec_probe *p)
{
	if (p->st.avail == DNSSEC_AVAILABLE)
		log_event(LOG_LVL_WARN, "dnssec-available", "zone", p->st.zone,
		          "effect", "tls = dane applies DANE", NULL);
	else
		log_event(LOG_LVL_WARN, "dnssec-unavailable", "zone",
		          p->st.zone, "reason", p->st.reason, "effect",
		          "tls = dane acts as may", NULL);
}

static void
arm(struct dnssec_probe *p, unsigned secs)
{
	struct timeval tv = {secs, 0};

	evtimer_add(p->timer, &tv);
}

static void
answered(void *arg, const struct dns_tlsa_result *res)
{
	struct dnssec_probe *p = arg;

	p->q = NULL;
	p->spent = p->r; /* not freed inside its own callback */
	p->r = NULL;
	event_active(p->free_ev, EV_TIMEOUT, 0);
	if (dnssec_status_note(&p->st, res->status, res->n, res->error,
	                       time(NULL)))
		log_change(p);
	arm(p,
	    dnssec_next_probe(p->last_start, p->interval, false, time(NULL)));
	p->settled(p->arg, &p->st);
}

/* The last probe's resolver, with its thread and caches: not kept until
 * the next probe. */
static void
free_spent(evutil_socket_t fd, short what, void *arg)
{
	struct dnssec_probe *p = arg;

	(void)fd;
	(void)what;
	dns_resolver_free(p->spent);
	p->spent = NULL;
}

static void
run(evutil_socket_t fd, short what, void *arg)
{
	struct dnssec_probe *p = arg;

	(void)fd;
	(void)what;
	if (p->r != NULL || p->dead)
		return;
	dns_resolver_free(p->spent);
	p->spent = NULL;
	p->last_start = time(NULL);
	p->r = p->make(p->arg);
	if (p->r != NULL)
		p->q = dns_resolve_dnskey(p->r, p->st.zone, answered, p);
	if (p->q == NULL) {
		struct dns_tlsa_result res = {.status = DNS_TLSA_TEMPFAIL,
		                              .error =
		                                      "cannot start the probe"};

		answered(p, &res);
	}
}

struct dnssec_probe *
dnssec_probe_start(struct event_base *base, const char *anchor,
                   unsigned interval, dnssec_resolver_fn make,
                   dnssec_settled_fn settled, void *arg)
{
	struct dnssec_probe *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->base = base;
	p->interval = interval > 0 ? interval : 1;
	p->make = make;
	p->settled = settled;
	p->arg = arg;
	p->timer = evtimer_new(base, run, p);
	p->free_ev = event_new(base, -1, 0, free_spent, p);
	if (p->timer == NULL || p->free_ev == NULL) {
		if (p->timer != NULL)
			event_free(p->timer);
		if (p->free_ev != NULL)
			event_free(p->free_ev);
		free(p);
		return NULL;
	}
	if (anchor == NULL ||
	    dnssec_anchor_owner(anchor, p->st.zone, sizeof(p->st.zone)) < 0) {
		p->dead = true;
		p->st.avail = DNSSEC_UNAVAILABLE;
		p->st.since = p->st.checked = time(NULL);
		snprintf(p->st.zone, sizeof(p->st.zone), ".");
		snprintf(p->st.reason, sizeof(p->st.reason),
		         "cannot read the trust anchor %s",
		         anchor ? anchor : "(none)");
		log_change(p);
		return p;
	}
	arm(p, 0);
	return p;
}

const struct dnssec_status *
dnssec_probe_status(const struct dnssec_probe *p)
{
	return &p->st;
}

void
dnssec_probe_now(struct dnssec_probe *p)
{
	if (p != NULL && p->r == NULL && !p->dead)
		arm(p, 0);
}

void
dnssec_probe_suspect(struct dnssec_probe *p)
{
	if (p == NULL || p->r != NULL || p->dead ||
	    p->st.avail != DNSSEC_AVAILABLE)
		return;
	arm(p, dnssec_next_probe(p->last_start, p->interval, true, time(NULL)));
}

void
dnssec_probe_free(struct dnssec_probe *p)
{
	if (p == NULL)
		return;
	dns_tlsa_cancel(p->q);
	dns_resolver_free(p->r);
	dns_resolver_free(p->spent);
	event_free(p->free_ev);
	event_free(p->timer);
	free(p);
}
