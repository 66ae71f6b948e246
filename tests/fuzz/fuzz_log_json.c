/*
 * fuzz_log_json.c — log_json_string() on any bytes and any room: what it
 * writes between two quotes is a valid JSON string, it never writes past
 * the room it was given, and it cuts nothing short that fits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/json_check.h"
#include "base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[4096];
	size_t cap, pos = 0, i;

	if (size < 1)
		return 0;
	cap = 8 + data[0] * 8u; /* 8 .. 2048 */
	size = size - 1 > sizeof(in) - 1 ? sizeof(in) - 1 : size - 1;
	memcpy(in, data + 1, size);
	in[size] = '\0';
	memset(out, 0x55, sizeof(out));
	out[pos++] = '{';
	out[pos++] = '"';
	out[pos++] = 'k';
	out[pos++] = '"';
	out[pos++] = ':';
	out[pos++] = '"';
	log_json_string(out, cap, &pos, in, 2);
	CHECK(pos + 2 <= cap || pos == 6);
	for (i = cap; i < sizeof(out); i++)
		CHECK(out[i] == 0x55);
	out[pos++] = '"';
	out[pos++] = '}';
	CHECK(json_check_object(out, pos));
	/* with room to spare, everything is kept: 6 bytes per input byte */
	if (cap >= 6 + 6 * strlen(in) + 2)
		CHECK(strlen(in) == 0 || pos > 8);
	return 0;
}
