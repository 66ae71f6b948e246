/*
 * test_policy_state.c — the embedded policy state (windows, all-or-nothing
 * rate checks, records, expiry, saving and loading), the CIDR helpers it
 * keys on, and the [policy] value types of the configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/net.h"
#include "dns/lookup.h"
#include "config/config.h"
#include "config/config_int.h"
#include "policy/state.h"

static int64_t clock_now = 1000000;

static int64_t
test_now(void *arg)
{
	(void)arg;
	return clock_now;
}

struct hit {
	enum state_status st;
	int exceeded;
};

static void
hit_cb(void *arg, enum state_status st, int exceeded)
{
	struct hit *h = arg;

	h->st = st;
	h->exceeded = exceeded;
}

static int
hit(struct state *s, const struct state_rate *r, size_t n, long amount)
{
	struct hit h = {STATE_UNAVAILABLE, -2};

	s->ops->rate_hit(s, r, n, amount, clock_now, hit_cb, &h);
	assert_int_equal(h.st, STATE_OK);
	return h.exceeded;
}

static void
test_window_limit_and_reset(void **state)
{
	struct state *s = state_mem_new(NULL, NULL, 0, test_now, NULL);
	struct state_rate r = {"rs:a@example.net:60", 60, 3};
	int i;

	(void)state;
	clock_now = 1000000;
	for (i = 0; i < 3; i++)
		assert_int_equal(hit(s, &r, 1, 1), -1);
	assert_int_equal(hit(s, &r, 1, 1), 0);
	/* Never early: still full just before the window ends. */
	clock_now += 59;
	assert_int_equal(hit(s, &r, 1, 1), 0);
	/* And free again at most 1.1 windows after the last count. */
	clock_now += 7;
	assert_int_equal(hit(s, &r, 1, 1), -1);
	s->ops->free(s);
}

static void
test_all_or_nothing(void **state)
{
	struct state *s = state_mem_new(NULL, NULL, 0, test_now, NULL);
	struct state_rate r[2] = {{"rc:192.0.2.1/32:60", 60, 10},
	                          {"rs:b@example.net:60", 60, 1}};
	struct state_rate only_client = r[0];

	(void)state;
	assert_int_equal(hit(s, r, 2, 1), -1);
	assert_int_equal(hit(s, r, 2, 1), 1);
	assert_int_equal(hit(s, r, 2, 1), 1);
	/* The refused attempts did not count against the client. */
	only_client.limit = 2;
	assert_int_equal(hit(s, &only_client, 1, 1), -1);
	assert_int_equal(hit(s, &only_client, 1, 0), 0);
	s->ops->free(s);
}

static void
test_check_only_counts_nothing(void **state)
{
	struct state *s = state_mem_new(NULL, NULL, 0, test_now, NULL);
	struct state_rate r = {"rr:demo@example.test:60", 60, 1};
	size_t keys, bytes;

	(void)state;
	assert_int_equal(hit(s, &r, 1, 0), -1);
	assert_int_equal(hit(s, &r, 1, 0), -1);
	s->ops->usage(s, &keys, &bytes);
	assert_int_equal(keys, 0);
	assert_int_equal(hit(s, &r, 1, 1), -1);
	assert_int_equal(hit(s, &r, 1, 0), 0);
	s->ops->free(s);
}

struct got {
	bool found;
	int64_t v[2];
};

static void
get_cb(void *arg, enum state_status st, bool found, const int64_t v[2])
{
	struct got *g = arg;

	assert_int_equal(st, STATE_OK);
	g->found = found;
	if (found)
		memcpy(g->v, v, sizeof(g->v));
}

static struct got
get(struct state *s, const char *key)
{
	struct got g = {0};

	s->ops->get(s, key, clock_now, get_cb, &g);
	return g;
}

static void
test_records_expire(void **state)
{
	struct state *s = state_mem_new(NULL, NULL, 0, test_now, NULL);
	const int64_t v[2] = {42, 1};
	struct got g;

	(void)state;
	s->ops->put(s, "gt:x", v, clock_now + 10);
	g = get(s, "gt:x");
	assert_true(g.found);
	assert_int_equal(g.v[0], 42);
	assert_int_equal(g.v[1], 1);
	clock_now += 11;
	assert_false(get(s, "gt:x").found);
	s->ops->free(s);
}

static void
test_saved_and_loaded(void **state)
{
	char dir[] = "/tmp/ferry-state-XXXXXX", file[64];
	struct state_rate r = {"ru:alice:86400", 86400, 2};
	const int64_t v[2] = {7, 0};
	struct state *s;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/policy.state", dir);
	s = state_mem_new(NULL, file, 0, test_now, NULL);
	assert_int_equal(hit(s, &r, 1, 2), -1);
	s->ops->put(s, "gc:192.0.2.0/24", v, clock_now + 100);
	s->ops->put(s, "gone", v, clock_now + 1);
	clock_now += 5;
	s->ops->free(s); /* saves */
	s = state_mem_new(NULL, file, 0, test_now, NULL);
	assert_int_equal(hit(s, &r, 1, 1), 0);
	assert_int_equal(get(s, "gc:192.0.2.0/24").v[0], 7);
	assert_false(get(s, "gone").found);
	s->ops->free(s);
	/* A file that is not ours loads as empty. */
	f = fopen(file, "w");
	fputs("garbage\nR 1 2 3\n", f);
	fclose(f);
	s = state_mem_new(NULL, file, 0, test_now, NULL);
	assert_int_equal(hit(s, &r, 1, 1), -1);
	s->ops->free(s);
	unlink(file);
	rmdir(dir);
}

/* The budget: 10,000 distinct client keys under 10 MB. */
static void
test_memory_of_many_keys(void **state)
{
	struct state *s = state_mem_new(NULL, NULL, 0, test_now, NULL);
	struct state_rate r = {NULL, 60, 100};
	char key[64];
	size_t keys, bytes;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "rc:10.%d.%d.%d/32:60",
		         (i >> 16) & 255, (i >> 8) & 255, i & 255);
		r.key = key;
		hit(s, &r, 1, 1);
	}
	s->ops->usage(s, &keys, &bytes);
	assert_int_equal(keys, 10000);
	assert_true(bytes < 10u * 1024 * 1024);
	print_message("10000 client keys: %zu octets\n", bytes);
	s->ops->free(s);
}

static void
test_net(void **state)
{
	struct net_prefix p;
	char key[64];

	(void)state;
	assert_int_equal(net_parse("192.0.2.77/24", &p), 0);
	assert_true(net_contains(&p, "192.0.2.1"));
	assert_false(net_contains(&p, "192.0.3.1"));
	assert_true(net_contains(&p, "::ffff:192.0.2.9"));
	assert_int_equal(net_parse("2001:db8::/32", &p), 0);
	assert_true(net_contains(&p, "2001:db8:1::5"));
	assert_false(net_contains(&p, "192.0.2.1"));
	assert_int_equal(net_parse("192.0.2.0/33", &p), -1);
	assert_int_equal(net_parse("nonsense", &p), -1);
	assert_int_equal(net_parse("10.0.0.0/", &p), -1);
	net_key("2001:db8:1:2:3:4:5:6", 32, 64, key, sizeof(key));
	assert_string_equal(key, "2001:db8:1:2::/64");
	net_key("192.0.2.77", 24, 64, key, sizeof(key));
	assert_string_equal(key, "192.0.2.0/24");
	assert_true(net_is_loopback("127.0.0.2"));
	assert_true(net_is_loopback("::1"));
	assert_false(net_is_loopback("192.0.2.1"));
}

static void
test_reverse_names(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(dns_reverse_name("192.0.2.7", NULL, out, sizeof(out)),
	                 0);
	assert_string_equal(out, "7.2.0.192.in-addr.arpa");
	assert_int_equal(
	        dns_reverse_name("192.0.2.7", "zen.example", out, sizeof(out)),
	        0);
	assert_string_equal(out, "7.2.0.192.zen.example");
	assert_int_equal(
	        dns_reverse_name("2001:db8::1", "bl.test", out, sizeof(out)),
	        0);
	assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	                         "0.0.8.b.d.0.1.0.0.2.bl.test");
	assert_int_equal(dns_reverse_name("nonsense", NULL, out, sizeof(out)),
	                 -1);
}

static struct config *
load(const char *text, char *errs, size_t len)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *err = fmemopen(errs, len, "w");
	struct config *cfg = config_load_stream(in, "p.conf", "/etc", err);

	fclose(in);
	fclose(err);
	return cfg;
}

static void
test_policy_values(void **state)
{
	char errs[2048] = "";
	struct config *cfg;

	(void)state;
	cfg = load("[policy]\n"
	           "rate_sender = 60/1m, 500/1h\n"
	           "exempt_networks = 192.0.2.9/24, ::1\n"
	           "access_sender = Spam@Bad.example, @junk.example\n"
	           "user_max_recipients = alice: 35\n"
	           "exempt = greylist: 10.0.0.0/8, user:bob, @ok.example\n"
	           "[domain example.org]\nmaildir_root = /m\n"
	           "mailbox = postmaster\n",
	           errs, sizeof(errs));
	assert_non_null(cfg);
	assert_int_equal(cfg->policy.rate_sender.n, 2);
	assert_int_equal(cfg->policy.rate_sender.r[1].limit, 500);
	assert_int_equal(cfg->policy.rate_sender.r[1].window, 3600);
	assert_string_equal(cfg->policy.exempt_networks.items[0],
	                    "192.0.2.0/24");
	assert_string_equal(cfg->policy.exempt_networks.items[1], "::1/128");
	assert_string_equal(cfg->policy.access_sender.items[0],
	                    "spam@bad.example");
	assert_int_equal(cfg->policy.user_max_rcpt[0].limit, 35);
	assert_string_equal(cfg->policy.exempt[0].rule, "greylist");
	assert_int_equal(cfg->policy.exempt[0].items.n, 3);
	assert_string_equal(cfg->policy.state_file,
	                    "/var/spool/ferry/policy.state");
	config_free(cfg);

	cfg = load("[policy]\nrate_client = 5/x\nmax_conn_client = -1\n"
	           "exempt = nosuchrule: 10.0.0.0/8\n"
	           "access_client = 10.0.0.0/40\n"
	           "user_max_recipients = alice\n",
	           errs, sizeof(errs));
	assert_null(cfg);
	assert_non_null(strstr(errs, "p.conf:2: '5/x' is not a rate"));
	assert_non_null(strstr(errs, "p.conf:3: "));
	assert_non_null(strstr(errs, "p.conf:4: exempt: expected"));
	assert_non_null(
	        strstr(errs, "p.conf:5: '10.0.0.0/40' is not a network"));
	assert_non_null(
	        strstr(errs, "p.conf:6: user_max_recipients: expected"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window_limit_and_reset),
	        cmocka_unit_test(test_all_or_nothing),
	        cmocka_unit_test(test_check_only_counts_nothing),
	        cmocka_unit_test(test_records_expire),
	        cmocka_unit_test(test_saved_and_loaded),
	        cmocka_unit_test(test_memory_of_many_keys),
	        cmocka_unit_test(test_net),
	        cmocka_unit_test(test_reverse_names),
	        cmocka_unit_test(test_policy_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
