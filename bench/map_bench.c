/*
 * map_bench.c — lookup tables under size: the time to build a CDB and an
 * LMDB from a text map of N entries, the cost of one lookup (text, CDB,
 * LMDB), and the
 * longest single lookup while the text file is reloaded behind it (the
 * event loop's worst wait).  Bounded: N entries (default 1000000, first
 * argument), a fixed number of lookups, and at most 30 s of reloading.
 *
 * usage: map_bench [N] [DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "map/map.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
write_text(const char *path, long n, const char *value)
{
	char tmp[600];
	FILE *f;
	long i;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		perror(tmp);
		exit(1);
	}
	for (i = 0; i < n; i++)
		fprintf(f, "user%ld@relay.example %s\n", i, value);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

/* Mean nanoseconds per lookup over count keys spread over the table. */
static double
lookups(struct map *m, long n, long count)
{
	char key[64], value[MAP_VALUE_MAX];
	double t0 = now_s();
	long i, found = 0;

	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "user%ld@relay.example",
		         (i * 7919) % n);
		found += map_lookup(m, key, value, sizeof(value)) == 1;
	}
	if (found != count) {
		fprintf(stderr, "only %ld of %ld keys found\n", found, count);
		exit(1);
	}
	return (now_s() - t0) * 1e9 / (double)count;
}

/* The longest single lookup over seconds with nothing reloading: what
 * the machine's own scheduling costs, to compare with the one below. */
static double
worst_quiet(struct map *m, long n, double seconds)
{
	char key[64], value[MAP_VALUE_MAX];
	double t0, t, worst = 0, start = now_s();
	long i = 0;

	while (now_s() - start < seconds) {
		snprintf(key, sizeof(key), "user%ld@relay.example",
		         (i++ * 7919) % n);
		t0 = now_s();
		map_lookup(m, key, value, sizeof(value));
		t = now_s() - t0;
		if (t > worst)
			worst = t;
	}
	return worst * 1e6;
}

/* Looks up while the rewritten text file loads on its thread; returns
 * the longest single lookup in microseconds and the reload's seconds. */
static double
worst_during_reload(struct map *m, const char *path, long n, double *took)
{
	char key[64], value[MAP_VALUE_MAX];
	double t0, t, worst = 0, start;
	long i = 0;

	write_text(path, n, "v2");
	start = now_s();
	for (;;) {
		snprintf(key, sizeof(key), "user%ld@relay.example",
		         (i++ * 7919) % n);
		t0 = now_s();
		map_lookup(m, key, value, sizeof(value));
		t = now_s() - t0;
		if (t > worst)
			worst = t;
		if (strcmp(value, "v2") == 0 || now_s() - start > 30)
			break;
	}
	*took = now_s() - start;
	return worst * 1e6;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char text[512], cdb[520], lmdb[520], err[512];
	struct map *mt, *mc, *ml;
	double lbuild;
	double t0, build, load, reload, worst;

	if (n < 1)
		n = 1;
	snprintf(text, sizeof(text), "%s/ferry-map-bench.%ld", dir,
	         (long)getpid());
	snprintf(cdb, sizeof(cdb), "%s.cdb", text);
	snprintf(lmdb, sizeof(lmdb), "%s.lmdb", text);
	write_text(text, n, "v1");
	t0 = now_s();
	if (map_build(text, cdb, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	build = now_s() - t0;
	t0 = now_s();
	if (map_build(text, lmdb, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	lbuild = now_s() - t0;
	t0 = now_s();
	mt = map_open(text, err, sizeof(err));
	load = now_s() - t0;
	mc = map_open(cdb, err, sizeof(err));
	ml = map_open(lmdb, err, sizeof(err));
	if (mt == NULL || mc == NULL || ml == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("entries               %ld\n", n);
	printf("map build (text->cdb) %.2f s\n", build);
	printf("map build (text->lmdb) %.2f s\n", lbuild);
	printf("text load             %.2f s\n", load);
	printf("lookup text           %.0f ns\n", lookups(mt, n, 1000000));
	printf("lookup cdb            %.0f ns\n", lookups(mc, n, 1000000));
	printf("lookup lmdb           %.0f ns\n", lookups(ml, n, 1000000));
	sleep(1); /* the change check runs at most once a second */
	worst = worst_during_reload(mt, text, n, &reload);
	printf("text reload           %.2f s (on its thread)\n", reload);
	printf("worst lookup meanwhile %.0f us\n", worst);
	printf("worst lookup, quiet    %.0f us (same time, no reload)\n",
	       worst_quiet(mt, n, reload));
	map_free(mt);
	map_free(mc);
	map_free(ml);
	unlink(text);
	unlink(cdb);
	unlink(lmdb);
	return 0;
}
