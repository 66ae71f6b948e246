/*
 * log_bench.c — the cost of one log line in each log_format, formatted
 * and written to /dev/null: a delivery line as the daemon writes it, and
 * one full of bytes to escape.  Prints nanoseconds per line.
 */
#include <stdio.h>
#include <time.h>

#include "base/log.h"
#include "reply/reply.h"

#define LINES 300000

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
per_line(enum log_format f, const char *to)
{
	char reply[128];
	double t0;
	int i;

	/* A remote's 250 as the relay logs it: ferry's own wording will do. */
	reply_format(reply, sizeof(reply), R_QUEUED, "4XyZ");

	log_set_format(f);
	t0 = now();
	for (i = 0; i < LINES; i++)
		log_event(LOG_LVL_INFO, "relay-delivered", "id",
		          "66204e96d131a000", "to", to, "relay",
		          "mx.example.org [192.0.2.1]", "delay", "1",
		          "message-id", "<deferred-then-delivered@c.example>",
		          "reply", reply, NULL);
	return (now() - t0) / LINES * 1e9;
}

int
main(void)
{
	static const char plain[] = "alice@example.org";
	static const char hostile[] =
	        "\"a\\b\"\x01\x7f\xff\xc3\xa9@example.org";

	if (log_init_file("/dev/null") < 0)
		return 1;
	printf("plain:   logfmt %.0f ns/line, json %.0f ns/line\n",
	       per_line(LOG_FORMAT_LOGFMT, plain),
	       per_line(LOG_FORMAT_JSON, plain));
	printf("escaped: logfmt %.0f ns/line, json %.0f ns/line\n",
	       per_line(LOG_FORMAT_LOGFMT, hostile),
	       per_line(LOG_FORMAT_JSON, hostile));
	return 0;
}
