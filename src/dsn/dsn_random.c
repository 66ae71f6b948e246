/*
 * dsn_random.c — unpredictable hex for MIME boundaries and Message-IDs.
 * getrandom(2) normally answers at once; if it cannot, a mix of the clock,
 * a counter and the process id is good enough, because a boundary is also
 * checked against the content and a Message-ID also carries the queue id.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dsn/dsn_int.h"

static void
fallback_bytes(unsigned char *p, size_t n)
{
	static uint64_t counter;
	struct timespec ts;
	uint64_t x;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    ((uint64_t)getpid() << 40) ^ (++counter * 0x9e3779b97f4a7c15ULL);
	for (i = 0; i < n; i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

void
dsn_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[32];
	size_t i;

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (getrandom(raw, nbytes, GRND_NONBLOCK) != (ssize_t)nbytes)
		fallback_bytes(raw, nbytes);
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	out[2 * nbytes] = '\0';
}
