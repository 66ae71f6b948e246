/*
 * spf.c — `ferry spf check IP SENDER HELO`: the SPF verdict (RFC 7208)
 * the server would reach for a client, through the resolver delivery
 * uses ([relay] resolv_conf, dns_local_data) or only the local data of
 * --dns-file.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>

#include "cli/cli.h"
#include "config/config.h"
#include "dns/lookup.h"
#include "dns/resolver.h"
#include "sched/outbound.h"
#include "spf/spf.h"

struct spf_wait {
	bool done;
	enum spf_result result;
	char reason[512], explanation[1024];
};

static void
spf_done(void *arg, const struct spf_outcome *o)
{
	struct spf_wait *w = arg;

	w->done = true;
	w->result = o->result;
	snprintf(w->reason, sizeof(w->reason), "%s", o->reason);
	snprintf(w->explanation, sizeof(w->explanation), "%s",
	         o->explanation ? o->explanation : "");
}

static struct dns_resolver *
make_resolver(struct event_base *base, const char *config, const char *dns_file)
{
	struct dns_resolver *r;
	struct config *cfg;

	if (dns_file != NULL) {
		r = dns_resolver_new(base, "");
		if (r != NULL && dns_resolver_load_file(r, dns_file) < 0) {
			fprintf(stderr, "ferry: cannot read %s\n", dns_file);
			dns_resolver_free(r);
			return NULL;
		}
		return r;
	}
	if ((cfg = config_load(config, stderr)) == NULL)
		return NULL;
	r = outbound_resolver_new(base, cfg);
	config_free(cfg);
	return r;
}

/* The identity checked: the MAIL FROM domain, or the HELO name for <>. */
static int
check(struct dns_resolver *r, struct event_base *base, char **args)
{
	const char *ip = args[0], *sender = args[1], *helo = args[2];
	const char *at = strrchr(sender, '@');
	char helo_sender[300];
	struct spf_wait w = {0};
	const char *domain = at ? at + 1 : helo;
	int rounds;

	if (strcmp(sender, "<>") == 0 || sender[0] == '\0') {
		snprintf(helo_sender, sizeof(helo_sender), "postmaster@%s",
		         helo);
		sender = helo_sender;
		domain = helo;
	}
	if (spf_check_host(r, ip, domain, sender, helo, SPF_CHECK_TIMEOUT_S,
	                   spf_done, &w) == NULL) {
		fprintf(stderr, "ferry: cannot start the check\n");
		return EX_SOFTWARE;
	}
	/* Bounded: the check gives up on its own within 20 seconds. */
	for (rounds = 0; !w.done && rounds < 300; rounds++) {
		struct timeval tv = {0, 100000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	if (!w.done)
		return EX_TEMPFAIL;
	printf("%s\nreason: %s\n", spf_result_name(w.result), w.reason);
	if (w.explanation[0])
		printf("explanation: %s\n", w.explanation);
	return 0;
}

static int
run_spf(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"dns-file", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *dns_file = NULL;
	struct event_base *base;
	struct dns_resolver *r;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:d:h", longopts, NULL)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch == 'd')
			dns_file = optarg;
		else {
			cli_print_usage(&cli_spf, ch != 'h');
			return ch == 'h' ? 0 : EX_USAGE;
		}
	}
	if (argc - optind != 4 || strcmp(argv[optind], "check") != 0) {
		cli_print_usage(&cli_spf, 1);
		return EX_USAGE;
	}
	if ((base = event_base_new()) == NULL)
		return EX_SOFTWARE;
	r = make_resolver(base, config, dns_file);
	rc = r ? check(r, base, argv + optind + 1) : EX_CONFIG;
	if (r)
		dns_resolver_free(r);
	spf_forget_abandoned();
	dns_lookup_cache_clear();
	event_base_free(base);
	return rc;
}

const struct cli_command cli_spf = {
        .name = "spf",
        .run = run_spf,
        .summary = "evaluate SPF (RFC 7208) for a client IP, sender and HELO",
        .usage = "usage: ferry spf [--config FILE | --dns-file FILE] check "
                 "IP SENDER HELO\n"
                 "\n"
                 "Prints the SPF result (none, neutral, pass, fail, "
                 "softfail, temperror,\n"
                 "permerror) for mail from SENDER sent by a client at IP "
                 "that said HELO,\n"
                 "then the reason, and for a fail the explanation.  With "
                 "SENDER \"<>\" (or \"\")\n"
                 "the HELO name is checked.  DNS goes through the "
                 "resolver delivery uses\n"
                 "([relay] resolv_conf, dns_local_data); --dns-file FILE "
                 "answers from that\n"
                 "file's local data alone (the format of dns_local_data).  "
                 "Exit status 0 when\n"
                 "a result was reached.\n",
};
