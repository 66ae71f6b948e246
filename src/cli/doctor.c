/*
 * doctor.c — `ferry doctor`: checks the server's DNS, reputation,
 * authentication records, TLS and relay policy the way receiving
 * providers will (src/doctor/), and prints the report for people or as
 * JSON.  Exit status 0 when everything passed, 1 with warnings, 2 with
 * failures, so that cron or a systemd timer can alert.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "doctor/doctor.h"

struct doctor_cli {
	const char *config;
	bool json;
	struct doctor_opts o;
};

static bool
known_names(const char *list)
{
	char name[64];
	size_t i, n;
	bool found;

	while (list && *list) {
		n = strcspn(list, ", ");
		snprintf(name, sizeof(name), "%.*s", (int)n, list);
		for (i = 0, found = false; doctor_check_names[i]; i++)
			found |= strcmp(doctor_check_names[i], name) == 0;
		if (n > 0 && !found) {
			fprintf(stderr, "ferry doctor: unknown check '%s'\n",
			        name);
			return false;
		}
		list += n;
		list += strspn(list, ", ");
	}
	return true;
}

static int
parse(int argc, char **argv, struct doctor_cli *a)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"domain", required_argument, NULL, 'd'},
	        {"ip", required_argument, NULL, 'i'},
	        {"json", no_argument, NULL, 'j'},
	        {"dns-data", required_argument, NULL, 'D'},
	        {"ca-file", required_argument, NULL, 'C'},
	        {"skip", required_argument, NULL, 's'},
	        {"timeout", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch, secs;

	a->o.timeout_ms = 10000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:i:jD:C:s:t:h", longopts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'd':
			a->o.domain = optarg;
			break;
		case 'i':
			a->o.ip = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'D':
			a->o.dns_data = optarg;
			break;
		case 'C':
			a->o.ca_file = optarg;
			break;
		case 's':
			a->o.skip = optarg;
			break;
		case 't':
			secs = atoi(optarg);
			if (secs < 1 || secs > 120)
				return EX_USAGE;
			a->o.timeout_ms = (unsigned)secs * 1000;
			break;
		default:
			return ch == 'h' ? -1 : EX_USAGE;
		}
	}
	if (optind != argc || !known_names(a->o.skip))
		return EX_USAGE;
	return 0;
}

static int
run_doctor(int argc, char **argv)
{
	struct doctor_cli a = {0};
	struct doctor_report rep;
	struct config *cfg;
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0) {
		cli_print_usage(&cli_doctor, rc != -1);
		return rc == -1 ? 0 : rc;
	}
	if ((cfg = cli_config_load(a.config, false, "doctor")) == NULL)
		return EX_CONFIG;
	if (doctor_run(cfg, &a.o, &rep) < 0) {
		config_free(cfg);
		return EX_SOFTWARE;
	}
	if (a.json)
		doctor_print_json(stdout, &rep);
	else
		doctor_print_human(stdout, &rep,
		                   isatty(STDOUT_FILENO) &&
		                           getenv("NO_COLOR") == NULL);
	rc = doctor_exit_status(&rep);
	doctor_report_free(&rep);
	config_free(cfg);
	return rc;
}

const struct cli_command cli_doctor = {
        .name = "doctor",
        .run = run_doctor,
        .summary = "check DNS, reputation, TLS and relaying as receivers will",
        .usage = "usage: ferry doctor [--config FILE] [--domain DOMAIN] "
                 "[--ip ADDRESS] [--json]\n"
                 "                    [--dns-data FILE] [--ca-file FILE] "
                 "[--skip CHECK,...]\n"
                 "                    [--timeout SECONDS]\n"
                 "\n"
                 "Checks what receiving providers check before they take "
                 "mail from this server,\n"
                 "and says for each failure the reply it leads to (as "
                 "ferry explain explains it):\n"
                 "  identity        outbound-ip, ptr, fcrdns, generic-name, "
                 "helo\n"
                 "  reputation      dnsbl (the address), dbl (each domain): "
                 "[doctor] lists\n"
                 "  authentication  spf, dkim, dmarc, alignment for each "
                 "sending domain\n"
                 "  receiving side  mx, starttls (certificate valid for the "
                 "MX name), dane,\n"
                 "                  mta-sts, tls-rpt\n"
                 "  open relay      open-relay: a dialogue with its own port "
                 "25 that stops at RCPT\n"
                 "  configuration   postmaster, abuse, hostname, queue, "
                 "clock\n"
                 "\n"
                 "The sending domains are the [domain] sections, or DOMAIN.  "
                 "The outbound address\n"
                 "is ADDRESS, else the source address the kernel picks.  "
                 "Lookups use the resolver\n"
                 "of delivery ([relay] resolv_conf, dns_local_data) plus "
                 "--dns-data (same format);\n"
                 "each lookup and network step is bounded by --timeout "
                 "(default 10 s).  MX\n"
                 "certificates are checked against --ca-file, else the "
                 "system's CA store.\n"
                 "\n"
                 "Exit status: 0 all passed, 1 warnings, 2 failures; 64 "
                 "usage, 78 configuration.\n",
};
