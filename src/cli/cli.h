/*
 * cli — the subcommands of the one ferry binary.  Each lives in its own file
 * (cli/serve.c, cli/explain.c, ...) and exports one struct cli_command; main.c
 * holds the table.  run() returns the process exit status (sysexits.h codes
 * where a caller might care).
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stdbool.h>

#include "config/config.h"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;               /* one line for `ferry --help` */
	const char *usage;                 /* full text for `ferry help CMD` */
};

extern const struct cli_command cli_serve;
extern const struct cli_command cli_check_config;
extern const struct cli_command cli_explain;
extern const struct cli_command cli_replies;
extern const struct cli_command cli_passwd;
extern const struct cli_command cli_dkim;
extern const struct cli_command cli_spf;
extern const struct cli_command cli_doctor;
extern const struct cli_command cli_map;
extern const struct cli_command cli_tls_report;

/* Print a command's usage text to stdout (help) or stderr (misuse). */
void cli_print_usage(const struct cli_command *cmd, int to_stderr);

/* Where the configuration is when a command is not told: $FERRY_CONFIG,
 * else this file.  Every command (serve, check-config, queue, mailq,
 * sendmail) looks in the same place, wherever it is started from. */
#ifndef FERRY_CONFIG_FILE
#define FERRY_CONFIG_FILE "/etc/ferry/ferry.conf"
#endif

/* given (--config FILE), else $FERRY_CONFIG, else FERRY_CONFIG_FILE. */
const char *cli_config_path(const char *given);

/* Loads the configuration cli_config_path() names, or the built-in demo
 * when demo is set.  Errors go to stderr, with a hint when the default
 * file does not exist; cmd names the command in them.  NULL on error. */
struct config *cli_config_load(const char *given, bool demo, const char *cmd);

#endif
