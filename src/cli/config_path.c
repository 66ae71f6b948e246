/*
 * config_path.c — which configuration a command reads (see cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

const char *
cli_config_path(const char *given)
{
	const char *env = getenv("FERRY_CONFIG");

	if (given != NULL)
		return given;
	if (env != NULL && env[0] != '\0')
		return env;
	return FERRY_CONFIG_FILE;
}

struct config *
cli_config_load(const char *given, bool demo, const char *cmd)
{
	const char *path = cli_config_path(given);
	struct stat st;

	if (demo)
		return config_load(NULL, stderr);
	/* Say what to do, not only what is missing, when nothing is
	 * installed yet. */
	if (given == NULL && stat(path, &st) < 0 && errno == ENOENT) {
		fprintf(stderr,
		        "ferry %s: no configuration at %s (%s); give one "
		        "with --config FILE or $FERRY_CONFIG, install one "
		        "with 'make install', or run the built-in demo with "
		        "'ferry serve --demo'\n",
		        cmd, path, strerror(ENOENT));
		return NULL;
	}
	return config_load(path, stderr);
}
