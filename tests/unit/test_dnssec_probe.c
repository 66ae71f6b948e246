/*
 * test_dnssec_probe.c — the DNSSEC availability probe: its state machine,
 * when it probes next, the trust anchor's owner name, and the driver
 * against a resolver that refuses (unavailable, at once).  Validation
 * through a real signed zone is tests/integration/test_dane_probe.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "dns/dnssec_probe.h"
#include "dns/resolver.h"
#include "dns/resolver_int.h"

static void
test_transitions(void **state)
{
	struct dnssec_status s = {0};

	snprintf(s.zone, sizeof(s.zone), "example.");
	assert_int_equal(s.avail, DNSSEC_UNKNOWN);
	/* the first answer is a change, whichever it is */
	assert_true(dnssec_status_note(&s, DNS_TLSA_SECURE, 2, NULL, 100));
	assert_int_equal(s.avail, DNSSEC_AVAILABLE);
	assert_int_equal(s.since, 100);
	assert_string_equal(s.reason, "");
	/* the same again: no change, nothing to log */
	assert_false(dnssec_status_note(&s, DNS_TLSA_SECURE, 2, NULL, 700));
	assert_int_equal(s.since, 100);
	assert_int_equal(s.checked, 700);
	/* a stripping resolver: bogus */
	assert_true(dnssec_status_note(&s, DNS_TLSA_BOGUS, 0, "no DNSKEY rrset",
	                               800));
	assert_int_equal(s.avail, DNSSEC_UNAVAILABLE);
	assert_string_equal(s.reason, "no DNSKEY rrset");
	/* still unavailable for another reason: no new change */
	assert_false(dnssec_status_note(&s, DNS_TLSA_TEMPFAIL, 0, NULL, 900));
	assert_string_equal(s.reason, "no answer");
	assert_int_equal(s.since, 800);
	/* back */
	assert_true(dnssec_status_note(&s, DNS_TLSA_SECURE, 1, NULL, 1000));
	assert_int_equal(s.avail, DNSSEC_AVAILABLE);
}

static void
test_secure_but_not_enough(void **state)
{
	struct dnssec_status s = {0};

	snprintf(s.zone, sizeof(s.zone), ".");
	assert_true(dnssec_status_note(&s, DNS_TLSA_INSECURE, 1, NULL, 1));
	assert_int_equal(s.avail, DNSSEC_UNAVAILABLE);
	assert_non_null(strstr(s.reason, "not signed"));
	memset(&s, 0, sizeof(s));
	assert_true(dnssec_status_note(&s, DNS_TLSA_SECURE, 0, NULL, 1));
	assert_int_equal(s.avail, DNSSEC_UNAVAILABLE);
	assert_non_null(strstr(s.reason, "no DNSKEY records"));
	assert_string_equal(dnssec_avail_name(DNSSEC_AVAILABLE), "available");
	assert_string_equal(dnssec_avail_name(DNSSEC_UNAVAILABLE),
	                    "unavailable");
}

static void
test_next_probe(void **state)
{
	assert_int_equal(dnssec_next_probe(1000, 600, false, 1000), 600);
	assert_int_equal(dnssec_next_probe(1000, 600, false, 1500), 100);
	assert_int_equal(dnssec_next_probe(1000, 600, false, 1700), 0);
	/* after a bogus answer: soon, but not more than once per gap */
	assert_int_equal(dnssec_next_probe(1000, 600, true, 1003),
	                 DNSSEC_SUSPECT_GAP - 3);
	assert_int_equal(dnssec_next_probe(1000, 600, true, 1100), 0);
	/* a short interval stays the sooner */
	assert_int_equal(dnssec_next_probe(1000, 2, true, 1000), 2);
}

static char *
write_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ferry-anchor-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_anchor_owner(void **state)
{
	static const struct {
		const char *text, *owner;
	} cases[] = {
	        {". IN DNSKEY 257 3 8 AwEAAaz ; keytag 20326\n", "."},
	        {"; comment\n\n$TTL 300\ndane.example.\tIN\tDNSKEY\t257 3 "
	         "13 abc\n",
	         "dane.example."},
	        {"example.org 3600 IN DS 1 8 2 ab\n", "example.org."},
	        {"; only a comment\n", NULL},
	        {"", NULL},
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = write_file(cases[i].text);
		int rc = dnssec_anchor_owner(p, out, sizeof(out));

		if (cases[i].owner) {
			assert_int_equal(rc, 0);
			assert_string_equal(out, cases[i].owner);
		} else {
			assert_int_equal(rc, -1);
		}
		unlink(p);
	}
	assert_int_equal(
	        dnssec_anchor_owner("/nonexistent/root.key", out, sizeof(out)),
	        -1);
}

struct run {
	struct event_base *base;
	int made, settled;
	enum dnssec_avail last;
};

/* A resolver that asks no name server: the root zone is refused. */
static struct dns_resolver *
refusing(void *arg)
{
	struct run *r = arg;

	r->made++;
	return dns_resolver_new(r->base, "");
}

static void
settled(void *arg, const struct dnssec_status *s)
{
	struct run *r = arg;

	r->settled++;
	r->last = s->avail;
	event_base_loopbreak(r->base);
}

static void
test_driver_refused_is_unavailable(void **state)
{
	struct run r = {event_base_new(), 0, 0, DNSSEC_UNKNOWN};
	char *anchor = write_file(". IN DNSKEY 257 3 8 AwEAAaz\n");
	struct dnssec_probe *p =
	        dnssec_probe_start(r.base, anchor, 600, refusing, settled, &r);
	struct timeval tv = {5, 0};

	assert_non_null(p);
	/* asynchronous: nothing known before the loop runs */
	assert_int_equal(dnssec_probe_status(p)->avail, DNSSEC_UNKNOWN);
	event_base_loopexit(r.base, &tv);
	event_base_dispatch(r.base);
	assert_int_equal(r.settled, 1);
	assert_int_equal(r.made, 1);
	assert_int_equal(r.last, DNSSEC_UNAVAILABLE);
	assert_string_equal(dnssec_probe_status(p)->zone, ".");
	assert_non_null(strstr(dnssec_probe_status(p)->reason, "DNSKEY"));
	/* a bogus answer while unavailable changes nothing */
	dnssec_probe_suspect(p);
	/* a reload probes again, with a new resolver */
	dnssec_probe_now(p);
	event_base_loopexit(r.base, &tv);
	event_base_dispatch(r.base);
	assert_int_equal(r.settled, 2);
	assert_int_equal(r.made, 2);
	dnssec_probe_free(p);
	unlink(anchor);
	event_base_free(r.base);
}

static void
test_driver_without_anchor(void **state)
{
	struct run r = {event_base_new(), 0, 0, DNSSEC_UNKNOWN};
	struct dnssec_probe *p = dnssec_probe_start(
	        r.base, "/nonexistent/root.key", 600, refusing, settled, &r);

	assert_non_null(p);
	assert_int_equal(dnssec_probe_status(p)->avail, DNSSEC_UNAVAILABLE);
	assert_non_null(strstr(dnssec_probe_status(p)->reason, "cannot read"));
	dnssec_probe_now(p); /* nothing to probe */
	event_base_loop(r.base, EVLOOP_NONBLOCK);
	assert_int_equal(r.made, 0);
	dnssec_probe_free(p);
	event_base_free(r.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_transitions),
	        cmocka_unit_test(test_secure_but_not_enough),
	        cmocka_unit_test(test_next_probe),
	        cmocka_unit_test(test_anchor_owner),
	        cmocka_unit_test(test_driver_refused_is_unavailable),
	        cmocka_unit_test(test_driver_without_anchor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
