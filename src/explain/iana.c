/*
 * iana.c — lookups in the compiled-in registries (tables in iana_codes.c).
 * The tables are tiny, so a linear scan is simpler than an index and fast
 * enough for the relay's per-reply call.
 */
#include <stdio.h>
#include <string.h>

#include "explain/iana.h"

const struct iana_enhanced *
iana_enhanced_find(int subject, int detail)
{
	size_t i;

	for (i = 0; i < iana_enhanced_count; i++)
		if (iana_enhanced_codes[i].subject == subject &&
		    iana_enhanced_codes[i].detail == detail)
			return &iana_enhanced_codes[i];
	return NULL;
}

const struct iana_class *
iana_class_find(int cls)
{
	char key[16];
	size_t i;

	snprintf(key, sizeof(key), "%d.XXX.YYY", cls);
	for (i = 0; i < iana_class_count; i++)
		if (strcmp(iana_classes[i].code, key) == 0)
			return &iana_classes[i];
	return NULL;
}

const struct iana_class *
iana_subject_find(int subject)
{
	char key[16];
	size_t i;

	snprintf(key, sizeof(key), "X.%d.YYY", subject);
	for (i = 0; i < iana_class_count; i++)
		if (strcmp(iana_classes[i].code, key) == 0)
			return &iana_classes[i];
	return NULL;
}

const struct iana_basic *
iana_basic_find(int code)
{
	size_t i;

	for (i = 0; i < iana_basic_count; i++)
		if (iana_basic_codes[i].code == code)
			return &iana_basic_codes[i];
	return NULL;
}
