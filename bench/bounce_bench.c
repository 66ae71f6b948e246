/*
 * bounce_bench.c — how many bounce messages `ferry explain --bounce`'s
 * parser decodes per second on one core.  Loads every *.eml file of a
 * directory (default tests/data/bounces) into memory, then parses them
 * round-robin for a fixed time on one thread pinned to one CPU, and prints
 *
 *   bounce parse: N messages (F files) in S s on one core = R bounces/s
 *
 * Usage: bounce_bench [DIR [SECONDS]]
 */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "explain/bounce.h"

#define MAX_FILES 4096

struct msg {
	char *data;
	size_t len;
};

static int
load(const char *dir, const char *name, struct msg *m)
{
	char path[4096];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fclose(f);
		return 0;
	}
	rewind(f);
	m->data = malloc((size_t)n + 1);
	if (m->data == NULL) {
		fclose(f);
		return 0;
	}
	m->len = fread(m->data, 1, (size_t)n, f);
	fclose(f);
	return 1;
}

static size_t
load_dir(const char *dir, struct msg *msgs)
{
	struct dirent *de;
	size_t n = 0, l;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAX_FILES) {
		l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".eml") == 0 &&
		    load(dir, de->d_name, &msgs[n]))
			n++;
	}
	closedir(d);
	return n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pin_one_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity (continuing unpinned)");
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/bounces";
	double seconds = argc > 2 ? atof(argv[2]) : 3.0, start, t;
	static struct msg msgs[MAX_FILES];
	struct bounce_report *rep = malloc(sizeof(*rep));
	size_t n = load_dir(dir, msgs), i = 0;
	long parsed = 0;

	if (n == 0 || rep == NULL) {
		fprintf(stderr, "bounce_bench: no .eml files in %s\n", dir);
		return 1;
	}
	if (seconds <= 0)
		seconds = 3.0;
	pin_one_cpu();
	start = now();
	do {
		for (int k = 0; k < 64; k++, i = (i + 1) % n, parsed++)
			bounce_parse(msgs[i].data, msgs[i].len, rep);
		t = now() - start;
	} while (t < seconds);
	printf("bounce parse: %ld messages (%zu files from %s) in %.2f s on "
	       "one core = %.0f bounces/s\n",
	       parsed, n, dir, t, (double)parsed / t);
	for (i = 0; i < n; i++)
		free(msgs[i].data);
	free(rep);
	return 0;
}
