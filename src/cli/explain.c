/* explain.c — `ferry explain` (being written; replaced by the real command). */
#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"

static int
run_explain(int argc, char **argv)
{
	fputs("ferry explain: not available in this build\n", stderr);
	return EX_UNAVAILABLE;
}

const struct cli_command cli_explain = {
        .name = "explain",
        .run = run_explain,
        .summary = "explain",
        .usage = "usage: ferry explain\n",
};
