/*
 * policy_mem.c — memory of the embedded policy state: 10,000 distinct
 * clients, each with what the rules keep for one (a recipient rate over
 * two windows, a connection rate, a greylist network record), measured by
 * the state's own count and by the process's resident set.  Prints
 * figures; run by bench/policy.sh (`make bench-policy-mem`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/state.h"

#define CLIENTS 10000

static int64_t
fixed_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static void
ignore(void *arg, enum state_status st, int exceeded)
{
	(void)arg;
	(void)st;
	(void)exceeded;
}

static long
rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int
main(void)
{
	struct state *s = state_mem_new(NULL, NULL, 0, fixed_now, NULL);
	long before = rss_kb(), after;
	size_t keys, bytes;
	char k[4][96];
	int i;

	for (i = 0; i < CLIENTS; i++) {
		int a = (i >> 8) & 255, b = i & 255;
		struct state_rate r[3] = {{k[0], 60, 1000},
		                          {k[1], 86400, 100000},
		                          {k[2], 60, 1000}};
		const int64_t v[2] = {1, 0};

		snprintf(k[0], sizeof(k[0]), "rc:10.1.%d.%d/32:60", a, b);
		snprintf(k[1], sizeof(k[1]), "rc:10.1.%d.%d/32:86400", a, b);
		snprintf(k[2], sizeof(k[2]), "cc:10.1.%d.%d/32:60", a, b);
		snprintf(k[3], sizeof(k[3]), "gc:10.%d.%d.0/24", a, b);
		s->ops->rate_hit(s, r, 3, 1, fixed_now(NULL), ignore, NULL);
		s->ops->put(s, k[3], v, fixed_now(NULL) + 86400);
	}
	after = rss_kb();
	s->ops->usage(s, &keys, &bytes);
	printf("policy state, %d clients: %zu keys, %.2f MB counted by the "
	       "state, %.2f MB more resident memory\n",
	       CLIENTS, keys, bytes / 1048576.0, (after - before) / 1024.0);
	s->ops->free(s);
	return 0;
}
