/*
 * fuzz_envelope.c — the envelope parser must accept or reject any bytes
 * without reading out of bounds, and whatever it accepts must serialise
 * and parse back to the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope env, again;
	const char *err;
	char *text, *text2;
	size_t len, len2;

	if (envelope_parse((const char *)data, size, &env, &err) != 0)
		return 0;
	text = envelope_serialize(&env, &len);
	if (text == NULL || envelope_parse(text, len, &again, &err) != 0)
		abort();
	text2 = envelope_serialize(&again, &len2);
	if (text2 == NULL || len != len2 || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	envelope_free(&env);
	envelope_free(&again);
	return 0;
}
