/*
 * fuzz_map_text.c — libFuzzer target: any bytes as a text map.  The
 * parser must never crash or read out of bounds, and every entry it
 * reports must be a non-empty lower-case key without blanks and a value
 * that fits a lookup's buffer.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "map/map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_entry(void *arg, const char *key, size_t klen, const char *value,
            size_t vlen)
{
	size_t i;

	if (klen == 0 || vlen >= MAP_VALUE_MAX)
		abort();
	for (i = 0; i < klen; i++)
		if (isupper((unsigned char)key[i]) || key[i] == ' ' ||
		    key[i] == '\t' || key[i] == '\0')
			abort();
	(void)value;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int bad_line = 0;

	map_text_parse((const char *)data, size, check_entry, NULL, &bad_line);
	return 0;
}
