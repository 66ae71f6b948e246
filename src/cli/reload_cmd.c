/*
 * reload_cmd.c — `ferry reload`: the running daemon reads its
 * configuration again (cli/reload.c), and says whether it took it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/queue_int.h"
#include "config/config.h"
#include "control/control.h"

extern const struct cli_command cli_reload;

/* The daemon refused the file: exit status EX_CONFIG, like check-config. */
static int
show_reply(const char *reply)
{
	if (strncmp(reply, "OK ", 3) == 0) {
		printf("ferry: %s\n", reply + 3);
		return 0;
	}
	fprintf(stderr, "ferry: %s\n",
	        strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
	return strncmp(reply, "ERR the new configuration", 25) == 0
	               ? EX_CONFIG
	               : EX_SOFTWARE;
}

static int
run_reload(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char reply[CONTROL_REPLY_MAX];
	const char *given = NULL;
	char *spool_dir;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (ch != 'c') {
			cli_print_usage(&cli_reload, ch != 'h');
			return ch == 'h' ? 0 : EX_USAGE;
		}
		given = optarg;
	}
	if (optind != argc) {
		cli_print_usage(&cli_reload, 1);
		return EX_USAGE;
	}
	/* Only the socket's place is read here: the daemon loads the file
	 * and reports its errors. */
	spool_dir = config_peek_spool_dir(cli_config_path(given));
	if (spool_dir == NULL)
		return EX_OSERR;
	rc = queue_control(spool_dir, "RELOAD", reply, sizeof(reply));
	free(spool_dir);
	return rc != 0 ? rc : show_reply(reply);
}

const struct cli_command cli_reload = {
        .name = "reload",
        .run = run_reload,
        .summary = "make the running daemon read its configuration again",
        .usage = "usage: ferry reload [--config FILE]\n"
                 "\n"
                 "Tell the running daemon to read its configuration file "
                 "again, with the\naliases_file and the TLS certificate and "
                 "key, and to open log_file again,\nas SIGHUP does.  "
                 "Sessions in progress keep the settings they started\n"
                 "with; new ones get the new ones; queued mail is "
                 "untouched.\n"
                 "\n"
                 "A file with errors is refused whole: the daemon logs the "
                 "errors, this\ncommand prints them (FILE:LINE: message, as "
                 "'ferry check-config' does)\nand the running configuration "
                 "stays in force.\n"
                 "\n"
                 "Some settings are read only at start (the listen "
                 "addresses, user,\nspool_dir, [relay], [policy], ...; "
                 "ferry.conf(5) marks them): when one\nof them changed, the "
                 "rest is applied and the answer names them as\nneeding a "
                 "restart.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   the daemon's configuration file "
                 "(default:\n"
                 "                      $FERRY_CONFIG, else " FERRY_CONFIG_FILE
                 "); only its\n"
                 "                      [queue] spool_dir is read here, to "
                 "find the daemon\n"
                 "  -h, --help          show this text\n"
                 "\n"
                 "Exit status: 0 when the new configuration is in force; 69 "
                 "(EX_UNAVAILABLE)\nwhen ferry is not running; 77 (EX_NOPERM) "
                 "without the rights to the\ncontrol socket; 78 (EX_CONFIG) "
                 "when the daemon refused the file.\n",
};
