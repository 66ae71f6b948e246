/*
 * fuzz_bounce.c — libFuzzer target: any bytes as a bounce message.  The
 * parser must never crash, read out of bounds or leak; the output writer
 * runs too so JSON escaping sees the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "explain/bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bounce_report rep;
	static FILE *devnull;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	bounce_parse((const char *)data, size, &rep);
	if (devnull != NULL)
		bounce_print_json(devnull, &rep);
	return 0;
}
