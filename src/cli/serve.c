/* serve.c — `ferry serve` (being written; replaced by the real command). */
#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"

static int
run_serve(int argc, char **argv)
{
	fputs("ferry serve: not available in this build\n", stderr);
	return EX_UNAVAILABLE;
}

const struct cli_command cli_serve = {
	.name = "serve",
	.run = run_serve,
	.summary = "serve",
	.usage = "usage: ferry serve\n",
};
