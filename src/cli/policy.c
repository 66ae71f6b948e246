/*
 * policy.c — `ferry policy`: the running daemon's refusal counters, and
 * which rule would refuse a given client, over the control socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/str.h"
#include "cli/cli.h"
#include "cli/queue_int.h"
#include "config/config.h"
#include "control/control.h"

extern const struct cli_command cli_policy;

struct popts {
	const char *config, *ip, *helo, *from, *to;
};

static int
parse(int argc, char **argv, struct popts *o)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"ip", required_argument, NULL, 'i'},
	        {"helo", required_argument, NULL, 'e'},
	        {"from", required_argument, NULL, 'f'},
	        {"to", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch;

	o->config = getenv("FERRY_CONFIG");
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'i':
			o->ip = optarg;
			break;
		case 'e':
			o->helo = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		default:
			return ch == 'h' ? -1 : EX_USAGE;
		}
	}
	return optind + 1 == argc ? 0 : EX_USAGE;
}

/* "OK a=1 b=2" as one "a: 1" line each. */
static void
print_stats(const char *reply)
{
	char *copy = str_dup(reply + 3), *save = NULL, *tok;

	if (copy == NULL)
		return;
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (eq) {
			*eq = '\0';
			printf("%-20s %s\n", tok, eq + 1);
		}
	}
	free(copy);
}

static int
ask(const struct config *cfg, const char *line, bool stats)
{
	char reply[CONTROL_REPLY_MAX];
	int rc = queue_control(cfg->spool_dir, line, reply, sizeof(reply));

	if (rc != 0)
		return rc;
	if (strncmp(reply, "OK ", 3) != 0) {
		fprintf(stderr, "ferry: %s\n",
		        strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
		return 1;
	}
	if (stats)
		print_stats(reply);
	else
		printf("%s\n", reply + 3);
	return 0;
}

static int
run_policy(int argc, char **argv)
{
	struct popts o = {0};
	const char *verb;
	char line[CONTROL_LINE_MAX];
	struct config *cfg;
	int rc, n = 0;

	if ((rc = parse(argc, argv, &o)) != 0) {
		cli_print_usage(&cli_policy, rc != -1);
		return rc == -1 ? 0 : rc;
	}
	verb = argv[optind];
	if (strcmp(verb, "check") == 0) {
		if (!o.ip || !o.helo || !o.from || !o.to) {
			cli_print_usage(&cli_policy, 1);
			return EX_USAGE;
		}
		n = snprintf(line, sizeof(line), "POLICY CHECK %s %s %s %s",
		             o.ip, o.helo, *o.from ? o.from : "<>", o.to);
	} else if (strcmp(verb, "stats") == 0) {
		n = snprintf(line, sizeof(line), "POLICY STATS");
	} else if (strcmp(verb, "rescan") == 0) {
		n = snprintf(line, sizeof(line), "POLICY RESCAN");
	} else {
		cli_print_usage(&cli_policy, 1);
		return EX_USAGE;
	}
	if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(line, "\r\n")) {
		fprintf(stderr, "ferry: arguments too long\n");
		return EX_USAGE;
	}
	if ((cfg = config_load(o.config, stderr)) == NULL)
		return EX_CONFIG;
	rc = ask(cfg, line, strcmp(verb, "stats") == 0);
	config_free(cfg);
	return rc;
}

const struct cli_command cli_policy = {
        .name = "policy",
        .run = run_policy,
        .summary = "refusal counters and a dry run of the policy rules",
        .usage = "usage: ferry policy [--config FILE] stats\n"
                 "       ferry policy [--config FILE] rescan\n"
                 "       ferry policy [--config FILE] check --ip ADDRESS "
                 "--helo NAME\n"
                 "                    --from ADDRESS --to ADDRESS\n"
                 "\n"
                 "Ask the running daemon about its policy rules "
                 "(docs/policy.md).\n"
                 "\n"
                 "  stats   the state backend, the keys it holds and their "
                 "memory, then\n"
                 "          how many times each rule refused since the "
                 "start.\n"
                 "  check   which rule would refuse a client at ADDRESS "
                 "saying HELO NAME,\n"
                 "          MAIL FROM:<--from> and RCPT TO:<--to>, and "
                 "with which reply:\n"
                 "          \"refused stage=S rule=R key=K reply=...\" or "
                 "\"passed\".  Nothing\n"
                 "          is counted or recorded; no mail is sent.  "
                 "--from '' is <>.\n"
                 "  rescan  count the Maildirs that have a quota again "
                 "(after messages\n"
                 "          were removed by their reader).\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   the daemon's configuration (default: "
                 "$FERRY_CONFIG,\n"
                 "                      else the built-in one)\n"
                 "  -h, --help          show this text\n"
                 "\n"
                 "Exit status: 0 on success; 64 (EX_USAGE) for a bad command "
                 "line; 69\n"
                 "(EX_UNAVAILABLE) when ferry is not running; 77 (EX_NOPERM) "
                 "without the\n"
                 "rights to the control socket; 78 (EX_CONFIG) for a bad "
                 "configuration.\n",
};
