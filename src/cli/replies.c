/*
 * replies.c — `ferry replies`: print the reply registry.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "reply/reply.h"

static int
run_replies(int argc, char **argv)
{
	int i;

	if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
		reply_print_markdown(stdout);
		return 0;
	}
	if (argc != 1) {
		cli_print_usage(&cli_replies, 1);
		return EX_USAGE;
	}
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		printf("%-24s %d %-6s %s\n", r->name, r->code,
		       r->enh ? r->enh : "-", r->text);
	}
	return 0;
}

const struct cli_command cli_replies = {
        .name = "replies",
        .run = run_replies,
        .summary = "list every SMTP reply ferry can send",
        .usage = "usage: ferry replies [--markdown]\n\n"
                 "Print the reply registry: identifier, basic code, enhanced "
                 "status code\nand text of every reply the server can send.\n\n"
                 "  --markdown   print the table as Markdown "
                 "(docs/replies.md)\n",
};
