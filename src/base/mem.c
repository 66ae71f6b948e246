/*
 * mem.c — see mem.h.
 */
#include "base/mem.h"

#include <stdint.h>
#include <stdlib.h>

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		abort();
	q = realloc(p, n != 0 && size != 0 ? n * size : 1);
	if (q == NULL)
		abort();
	return q;
}
