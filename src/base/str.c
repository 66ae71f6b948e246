/*
 * str.c — see str.h.
 */
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

char *
str_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		abort();
	return d;
}
