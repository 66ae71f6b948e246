/*
 * peek.c — the one setting a client of the running daemon needs even when
 * the file has errors elsewhere: where its control socket is.  `ferry
 * reload` asks the daemon to load a file that may not load, and the daemon
 * answers with the errors.
 */
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

struct peek {
	char *value;
};

static int
peek_handler(void *arg, const char *section, const char *key, const char *value)
{
	struct peek *p = arg;

	if (strcmp(section, "queue") == 0 && strcmp(key, "spool_dir") == 0) {
		free(p->value);
		p->value = cfg_strdup(value);
	}
	return 1; /* errors are the daemon's to report */
}

char *
config_peek_spool_dir(const char *path)
{
	const struct config_option *opt =
	        config_option_find("queue", "spool_dir");
	struct peek p = {0};
	char *copy = cfg_strdup(path), *base, *out;

	(void)ini_parse(path, peek_handler, &p);
	/* relative to the file's directory, as config_load() has it */
	base = realpath(dirname(copy), NULL);
	out = value_resolve_path(base, p.value ? p.value : opt->def);
	free(base);
	free(copy);
	free(p.value);
	return out;
}
