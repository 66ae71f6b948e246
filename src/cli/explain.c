/*
 * explain.c — `ferry explain`: explain SMTP replies and bounce messages.
 * All knowledge lives in src/explain/; this file only reads input and picks
 * the output format.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "explain/bounce.h"
#include "explain/explain.h"

#define INPUT_MAX ((size_t)16 * 1024 * 1024)

static const char usage[] =
        "usage: ferry explain [--json] REPLY...\n"
        "       ferry explain [--json] [-]             (reply on standard "
        "input)\n"
        "       ferry explain --bounce [--json] [FILE] (bounce message)\n"
        "       ferry explain --reasons\n"
        "\n"
        "Explain an SMTP reply: what the basic code (RFC 5321) and the "
        "enhanced\n"
        "status code (RFC 3463, IANA registry) mean, whether the failure is\n"
        "permanent or transient, the reason category, who has to act, what "
        "the\n"
        "provider that sent it documents it to mean, and what to do.\n"
        "\n"
        "REPLY is anything that contains a reply: a code (550, 5.1.1), a full "
        "or\n"
        "multi-line reply, a Gmail help-page line (421, \"4.7.0\", text), a "
        "log\n"
        "line, or a DSN Diagnostic-Code (smtp; 550 ...).  Several arguments "
        "are\n"
        "joined with spaces, so quoting is optional.\n"
        "\n"
        "Options:\n"
        "  -j, --json     print JSON (keys are stable; see docs/explain.md)\n"
        "  -b, --bounce   read a bounce message (RFC 3464 DSN, the notices of\n"
        "                 Postfix, Sendmail, Exim, qmail, Exchange, Gmail, "
        "Yahoo,\n"
        "                 DragonFly, OpenSMTPD, Zoho, IMail, Google Groups "
        "...,\n"
        "                 ARF feedback, auto-replies) from FILE or standard\n"
        "                 input and report each recipient it names\n"
        "  -r, --reasons  list the reason categories and their meanings\n"
        "  -h, --help     show this text\n"
        "\n"
        "Exit status: 0 when a reply or bounce was recognised, 1 when the "
        "input\n"
        "held no recognisable reply (a best guess is still printed), 64 on\n"
        "usage errors, 66 when FILE cannot be read.\n"
        "\n"
        "Examples:\n"
        "  ferry explain 550 5.1.1\n"
        "  ferry explain '421, \"4.7.0\", Try again later, closing "
        "connection.'\n"
        "  ferry explain --json 'smtp; 552 5.2.2 Mailbox full'\n"
        "  ferry explain --bounce < bounce.eml\n";

/* Reads all of fp into a NUL-terminated buffer; NULL on error. */
static char *
read_all(FILE *fp, size_t *lenp)
{
	size_t cap = 8192, len = 0, n;
	char *buf = malloc(cap + 1), *nb;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap && cap < INPUT_MAX) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		} else if (len == cap) {
			break;
		}
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static char *
join_args(int argc, char **argv, size_t *lenp)
{
	size_t len = 0;
	char *buf;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	buf = malloc(len + 1);
	if (buf == NULL)
		return NULL;
	len = 0;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i > 0)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static void
list_reasons(void)
{
	int i;

	for (i = 0; i < REASON_COUNT; i++)
		printf("%-16s %s\n",
		       explain_reason_name((enum explain_reason)i),
		       explain_reason_meaning((enum explain_reason)i));
}

static int
run_bounce(const char *path, int json)
{
	struct bounce_report *rep;
	FILE *fp = stdin;
	size_t len;
	char *msg;
	int n;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return EX_NOINPUT;
	}
	msg = read_all(fp, &len);
	if (fp != stdin)
		fclose(fp);
	rep = malloc(sizeof(*rep));
	if (msg == NULL || rep == NULL) {
		free(msg);
		free(rep);
		fputs("ferry explain: out of memory\n", stderr);
		return EX_OSERR;
	}
	n = bounce_parse(msg, len, rep);
	if (json)
		bounce_print_json(stdout, rep);
	else
		bounce_print_human(stdout, rep);
	if (n == 0)
		fputs("ferry explain: no bounce information found in the "
		      "message\n",
		      stderr);
	free(msg);
	free(rep);
	return n > 0 ? 0 : 1;
}

static int
run_reply(int argc, char **argv, int json)
{
	struct explain_result r;
	size_t len;
	char *in;
	int rc;

	if (argc == 0 || (argc == 1 && strcmp(argv[0], "-") == 0))
		in = read_all(stdin, &len);
	else
		in = join_args(argc, argv, &len);
	if (in == NULL) {
		fputs("ferry explain: out of memory\n", stderr);
		return EX_OSERR;
	}
	rc = explain_reply(in, len, &r);
	if (json) {
		explain_print_json(stdout, in, &r);
		fputc('\n', stdout);
	} else {
		explain_print_human(stdout, in, &r);
	}
	if (rc != 0)
		fputs("ferry explain: no SMTP reply code or known wording in "
		      "the input; showing the best guess\n",
		      stderr);
	free(in);
	return rc == 0 ? 0 : 1;
}

static int
run_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"bounce", no_argument, NULL, 'b'},
	        {"reasons", no_argument, NULL, 'r'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, json = 0, bounce = 0;

	optind = 1;
	/* '+' stops at the first operand: replies may start with '-'. */
	while ((c = getopt_long(argc, argv, "+jbrh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'b':
			bounce = 1;
			break;
		case 'r':
			list_reasons();
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (bounce) {
		if (argc > 1) {
			fputs(usage, stderr);
			return EX_USAGE;
		}
		return run_bounce(argc ? argv[0] : NULL, json);
	}
	return run_reply(argc, argv, json);
}

const struct cli_command cli_explain = {
        .name = "explain",
        .run = run_explain,
        .summary = "explain SMTP replies and bounce messages",
        .usage = usage,
};
