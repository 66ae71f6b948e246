/*
 * mem — allocation that stops the process when memory is gone.
 *
 * ferry fails stop on out-of-memory rather than limp on (see base/str.h):
 * these wrappers abort() instead of returning NULL, so callers need no
 * check of their own.
 */
#ifndef FERRY_BASE_MEM_H
#define FERRY_BASE_MEM_H

#include <stddef.h>

/* calloc(n, size); never NULL (a zero count allocates one element). */
void *xcalloc(size_t n, size_t size);
/* malloc(size); never NULL. */
void *xmalloc(size_t size);
/* realloc(p, n * size) with the multiplication checked; never NULL. */
void *xreallocarray(void *p, size_t n, size_t size);

#endif
