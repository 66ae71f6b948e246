/*
 * fuzz_explain.c — libFuzzer target: any bytes as a pasted reply, through
 * the classifier and both output formats.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct explain_result r;
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	explain_reply(s, size, &r);
	if (devnull != NULL) {
		explain_print_json(devnull, s, &r);
		explain_print_human(devnull, s, &r);
	}
	explain_action(&r, STAGE_RCPT);
	free(s);
	return 0;
}
