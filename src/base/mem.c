/*
 * mem.c — see mem.h.
 */
#include "base/mem.h"

#include <stdlib.h>

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}
