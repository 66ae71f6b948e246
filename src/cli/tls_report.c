/*
 * tls_report.c — `ferry tls-report`: the RFC 8460 report of one policy
 * domain for a day, from what the relay recorded under the spool.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/queue_int.h"
#include "config/config.h"
#include "control/control.h"
#include "tlsrpt/tlsrpt.h"

static bool
domain_ok(const char *d)
{
	size_t n = strlen(d);

	return n > 0 && n < 254 &&
	       strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789-.") == n;
}

/* The report's contact-info: tls_report_from, as in the mailed ones. */
static const char *
contact(const struct config *cfg)
{
	static char buf[320];

	if (cfg->relay_tls_report_from)
		return cfg->relay_tls_report_from;
	snprintf(buf, sizeof(buf), "postmaster@%s", cfg->hostname);
	return buf;
}

static bool
day_ok(const char *d)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(d, "%Y-%m-%d", &tm);
	return end != NULL && *end == '\0' && strlen(d) == 10;
}

/* --send: the daemon looks the reports up and sends them. */
static int
send_reports(const struct config *cfg, const char *domain, const char *day)
{
	char line[CONTROL_LINE_MAX], reply[CONTROL_REPLY_MAX];
	int rc;

	snprintf(line, sizeof(line), "TLSREPORT %s%s%s", day, domain ? " " : "",
	         domain ? domain : "");
	rc = queue_control(cfg->spool_dir, line, reply, sizeof(reply));
	if (rc != 0)
		return rc;
	if (strncmp(reply, "OK ", 3) != 0) {
		fprintf(stderr, "ferry: %s\n",
		        strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
		return EX_UNAVAILABLE;
	}
	printf("%s\n", reply + 3);
	return 0;
}

static int
run_tls_report(int argc, char **argv)
{
	const char *config = NULL, *domain = NULL, *day = NULL;
	char dayb[16], dir[4096];
	struct config *cfg;
	bool send = false;
	time_t now = time(NULL);
	struct tm tm;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char **want = NULL;

		if (strcmp(argv[i], "--send") == 0) {
			send = true;
			continue;
		}
		if (strcmp(argv[i], "--domain") == 0)
			want = &domain;
		else if (strcmp(argv[i], "--date") == 0)
			want = &day;
		else if (strcmp(argv[i], "--config") == 0)
			want = &config;
		if (want == NULL || i + 1 == argc)
			break;
		*want = argv[++i];
	}
	if (i != argc || (domain == NULL && !send) ||
	    (domain != NULL && !domain_ok(domain)) ||
	    (day != NULL && !day_ok(day))) {
		cli_print_usage(&cli_tls_report, 1);
		return EX_USAGE;
	}
	if (day == NULL) {
		/* Printing: today so far; sending: yesterday, a whole day. */
		now -= send ? 86400 : 0;
		gmtime_r(&now, &tm);
		strftime(dayb, sizeof(dayb), "%Y-%m-%d", &tm);
		day = dayb;
	}
	cfg = cli_config_load(config, false, "tls-report");
	if (cfg == NULL)
		return EX_CONFIG;
	if (send) {
		rc = send_reports(cfg, domain, day);
	} else {
		snprintf(dir, sizeof(dir), "%s/tls-rpt", cfg->spool_dir);
		rc = tlsrpt_report(stdout, dir, domain, day, cfg->hostname,
		                   contact(cfg)) == 0
		             ? 0
		             : EX_IOERR;
	}
	config_free(cfg);
	return rc;
}

const struct cli_command cli_tls_report = {
        .name = "tls-report",
        .run = run_tls_report,
        .summary = "print a day's SMTP TLS report (RFC 8460) of a domain",
        .usage = "usage: ferry tls-report --domain DOMAIN [--date YYYY-MM-DD] "
                 "[--config FILE]\n"
                 "       ferry tls-report --send [--domain DOMAIN] "
                 "[--date YYYY-MM-DD]\n"
                 "                        [--config FILE]\n\n"
                 "Print, as RFC 8460 JSON, how the outbound sessions that a "
                 "DANE or\nMTA-STS policy of DOMAIN governed went on that "
                 "day (UTC; today by\ndefault): successes, failures and "
                 "their kinds per policy.\n\n"
                 "With --send, the running daemon sends that day's reports "
                 "(yesterday's by\ndefault) now, of DOMAIN or of every "
                 "domain with records, to the rua of\ntheir _smtp._tls "
                 "records, as it does daily at tls_report_hour; a report\n"
                 "already sent is not sent again.\n",
};
