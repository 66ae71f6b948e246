/*
 * map.c — `ferry map build FILE [OUTPUT]` compiles a text map into a CDB
 * (Postfix's postmap), `ferry map lookup MAP KEY` asks a map what a
 * running server would find (postmap -q).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/str.h"
#include "cli/cli.h"
#include "map/map.h"

static int
map_build_cmd(int argc, char **argv)
{
	char err[1024], *dst;
	int rc;

	if (argc < 3 || argc > 4)
		return -1;
	if (argc == 4)
		dst = str_dup(argv[3]);
	else if (asprintf(&dst, "%s.cdb", argv[2]) < 0)
		dst = NULL;
	if (dst == NULL)
		abort();
	rc = map_build(argv[2], dst, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "ferry map build: %s\n", err);
	free(dst);
	return rc < 0 ? EX_DATAERR : 0;
}

static int
map_lookup_cmd(int argc, char **argv)
{
	char err[1024], value[MAP_VALUE_MAX];
	struct map *m;
	int rc;

	if (argc != 4)
		return -1;
	m = map_open(argv[2], err, sizeof(err));
	if (m == NULL) {
		fprintf(stderr, "ferry map lookup: %s\n", err);
		return EX_NOINPUT;
	}
	rc = map_lookup(m, argv[3], value, sizeof(value));
	map_free(m);
	if (rc == 1)
		printf("%s\n", value);
	return rc == 1 ? 0 : 1;
}

static int
map_run(int argc, char **argv)
{
	int rc = -1;

	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		rc = map_build_cmd(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		rc = map_lookup_cmd(argc, argv);
	if (rc < 0) {
		cli_print_usage(&cli_map, 1);
		return EX_USAGE;
	}
	return rc;
}

const struct cli_command cli_map = {
        .name = "map",
        .run = map_run,
        .summary = "build a CDB lookup table from a text map, or look a "
                   "key up",
        .usage = "usage: ferry map build FILE [OUTPUT]\n"
                 "       ferry map lookup MAP KEY\n\n"
                 "build compiles the text map FILE (\"key value\" lines, "
                 "# comments) into\nthe CDB OUTPUT (default FILE.cdb), or "
                 "an LMDB when OUTPUT ends in .lmdb:\n"
                 "written beside it, synced and renamed,\nso a running "
                 "server sees the old table or the new one.  The first "
                 "line\nof a key wins.\n\n"
                 "lookup prints the value of KEY in MAP (text:PATH, "
                 "cdb:PATH, lmdb:PATH or\nPATH) and exits 0, or exits 1 when "
                 "the key "
                 "is absent.  See docs/maps.md.\n",
};
