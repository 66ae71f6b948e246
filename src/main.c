/*
 * main.c — ferry's entry point: the table of subcommands, nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

extern const struct cli_command cli_queue, cli_sendmail, cli_policy, cli_reload;

#define FERRY_VERSION "0.1.0"

static const struct cli_command *const commands[] = {
        &cli_serve,  &cli_check_config, &cli_explain,  &cli_replies,
        &cli_passwd, &cli_queue,        &cli_sendmail, &cli_dkim,
        &cli_policy, &cli_spf,          &cli_doctor,   &cli_reload,
        &cli_map,    &cli_tls_report,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void
print_overview(FILE *out)
{
	size_t i;

	fputs("usage: ferry COMMAND [ARGS...]\n"
	      "       ferry help COMMAND\n"
	      "       ferry --version\n\n"
	      "ferry is an SMTP mail server: it receives mail, stores it "
	      "durably and\ndelivers it to local Maildirs.\n\n"
	      "Commands:\n",
	      out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-14s %s\n", commands[i]->name,
		        commands[i]->summary);
	fputs("\nRun 'ferry help COMMAND' for a command's options. "
	      "See ferry(8) and ferry.conf(5).\n",
	      out);
}

void
cli_print_usage(const struct cli_command *cmd, int to_stderr)
{
	fputs(cmd->usage, to_stderr ? stderr : stdout);
}

/* Run as sendmail, mailq or newaliases through a link (argv[0]). */
static int
compat_name(int argc, char **argv, int *rc)
{
	const char *base = strrchr(argv[0], '/');
	char *args[64];
	int i;

	base = base ? base + 1 : argv[0];
	if (strcmp(base, "sendmail") == 0) {
		*rc = cli_sendmail.run(argc, argv);
	} else if (strcmp(base, "mailq") == 0 && argc < 62) {
		args[0] = "queue";
		for (i = 1; i < argc; i++)
			args[i] = argv[i];
		args[argc] = "list";
		args[argc + 1] = NULL;
		*rc = cli_queue.run(argc + 1, args);
	} else if (strcmp(base, "newaliases") == 0) {
		puts("ferry reads its aliases when it starts; restart it to "
		     "apply changes");
		*rc = 0;
	} else {
		return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int rc;

	if (argc > 0 && compat_name(argc, argv, &rc))
		return rc;

	if (argc < 2) {
		print_overview(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_overview(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ferry %s\n", FERRY_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			print_overview(stdout);
			return 0;
		}
		cmd = find_command(argv[2]);
		if (cmd == NULL) {
			fprintf(stderr, "ferry: unknown command '%s'\n",
			        argv[2]);
			return EX_USAGE;
		}
		cli_print_usage(cmd, 0);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "ferry: unknown command '%s'\n\n", argv[1]);
		print_overview(stderr);
		return EX_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
