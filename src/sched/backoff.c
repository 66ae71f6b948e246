/*
 * backoff.c — the retry schedule (see backoff.h).
 */
#include "sched/backoff.h"

int
backoff_delay(unsigned attempts, int retry_min, int retry_max)
{
	long long d = retry_min > 0 ? retry_min : 1;
	unsigned i;

	for (i = 1; i < attempts && d < retry_max; i++)
		d *= 2;
	return d > retry_max ? retry_max : (int)d;
}
