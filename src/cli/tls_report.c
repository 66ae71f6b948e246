/*
 * tls_report.c — `ferry tls-report`: the RFC 8460 report of one policy
 * domain for a day, from what the relay recorded under the spool.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "tlsrpt/tlsrpt.h"

static bool
domain_ok(const char *d)
{
	size_t n = strlen(d);

	return n > 0 && n < 254 &&
	       strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789-.") == n;
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

static int
run_tls_report(int argc, char **argv)
{
	const char *config = NULL, *domain = NULL, *day = NULL;
	char today[16], dir[4096];
	struct config *cfg;
	time_t now = time(NULL);
	struct tm tm;
	int i, rc;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--domain") == 0)
			domain = argv[i + 1];
		else if (strcmp(argv[i], "--date") == 0)
			day = argv[i + 1];
		else if (strcmp(argv[i], "--config") == 0)
			config = argv[i + 1];
		else
			break;
	}
	if (i != argc || domain == NULL || !domain_ok(domain) ||
	    (day != NULL && !day_ok(day))) {
		cli_print_usage(&cli_tls_report, 1);
		return EX_USAGE;
	}
	if (day == NULL) {
		gmtime_r(&now, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		day = today;
	}
	cfg = cli_config_load(config, false, "tls-report");
	if (cfg == NULL)
		return EX_CONFIG;
	snprintf(dir, sizeof(dir), "%s/tls-rpt", cfg->spool_dir);
	rc = tlsrpt_report(stdout, dir, domain, day, cfg->hostname);
	config_free(cfg);
	return rc == 0 ? 0 : EX_IOERR;
}

const struct cli_command cli_tls_report = {
        .name = "tls-report",
        .run = run_tls_report,
        .summary = "print a day's SMTP TLS report (RFC 8460) of a domain",
        .usage = "usage: ferry tls-report --domain DOMAIN [--date YYYY-MM-DD] "
                 "[--config FILE]\n\n"
                 "Print, as RFC 8460 JSON, how the outbound sessions that a "
                 "DANE or\nMTA-STS policy of DOMAIN governed went on that "
                 "day (UTC; today by\ndefault): successes, failures and "
                 "their kinds per policy.\n",
};
