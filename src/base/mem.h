/*
 * mem — allocation that stops the process when memory is gone.
 *
 * ferry fails stop on out-of-memory rather than limp on (see base/str.h):
 * these wrappers abort() instead of returning NULL, so callers need no
 * check of their own.  They are inline so that the static analyzers see
 * the calloc/malloc/realloc inside and know what the memory holds.
 */
#ifndef FERRY_BASE_MEM_H
#define FERRY_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* calloc(n, size); never NULL (a zero count allocates one element). */
static inline void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

/* malloc(size); never NULL. */
static inline void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

/* realloc(p, n * size) with the multiplication checked; never NULL. */
static inline void *
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

#endif
