/*
 * dsn_buf.c — the growable byte buffer the report is assembled in.  The
 * contents stay NUL-terminated so the finished report can be handed out as
 * a C string as well.  Out of memory aborts, as elsewhere in ferry.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn/dsn_int.h"

static void
reserve(struct dsn_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1) {
		if (cap > ((size_t)-1) / 2)
			abort();
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL)
		abort();
	b->p = p;
	b->cap = cap;
}

void
dsn_buf_add(struct dsn_buf *b, const char *s, size_t n)
{
	reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
dsn_buf_puts(struct dsn_buf *b, const char *s)
{
	dsn_buf_add(b, s, strlen(s));
}

void
dsn_buf_printf(struct dsn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
dsn_buf_free(struct dsn_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
