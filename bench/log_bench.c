/*
 * log_bench.c — the cost of one log line in each log_format, formatted
 * and written to /dev/null: a delivery line as the daemon writes it, and
 * one full of bytes to escape.  Prints nanoseconds per line.
 */
#include <stdio.h>
#include <time.h>

#include "base/log.h"

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
	double t0;
	int i;

	log_set_format(f);
	t0 = now();
	for (i = 0; i < LINES; i++)
		log_event(LOG_LVL_INFO, "relay-delivered", "id",
		          "66204e96d131a000", "to", to, "relay",
		          "mx.example.org [192.0.2.1]", "delay", "1",
		          "message-id", "<deferred-then-delivered@c.example>",
		          "reply", "250 2.0.0 Ok: queued as 4XyZ", NULL);
	return (now() - t0) / LINES * 1e9;
}

int
main(void)
{
	static const char plain[] = "alice@example.org";
	static const char hostile[] = "\"a\\b\"\x01\x7f\xff\xc3\xa9@example.org";

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
