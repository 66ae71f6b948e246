/* check_config.c — `ferry check-config` (being written; replaced by the real command). */
#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"

static int
run_check_config(int argc, char **argv)
{
	fputs("ferry check-config: not available in this build\n", stderr);
	return EX_UNAVAILABLE;
}

const struct cli_command cli_check_config = {
	.name = "check-config",
	.run = run_check_config,
	.summary = "check-config",
	.usage = "usage: ferry check-config\n",
};
