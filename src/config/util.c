/*
 * util.c — allocation helpers for the config loader.  Running out of memory
 * while reading the configuration leaves nothing sensible to do but stop.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/log.h"
#include "config/config_int.h"

void *
cfg_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		log_fatal("config", "out of memory");
	return p;
}

void *
cfg_reallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (q == NULL)
		log_fatal("config", "out of memory");
	return q;
}

char *
cfg_strdup(const char *s)
{
	char *p = str_dup(s);

	if (p == NULL)
		log_fatal("config", "out of memory");
	return p;
}

char *
cfg_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		log_fatal("config", "out of memory");
	return p;
}

char *
cfg_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_fatal("config", "out of memory");
	return p;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int
cfg_each_item(struct load_ctx *ctx, const char *file, int line,
              const char *list, cfg_item_fn fn, void *arg)
{
	char *copy = cfg_strdup(list), *p = copy, *comma, *item;
	int rc = 0;

	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		item = trim(p);
		if (*item == '\0') {
			load_error_at(ctx, file, line,
			              "empty item in list '%s'", list);
			rc = -1;
		} else if (fn(ctx, arg, item) < 0) {
			rc = -1;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	return rc;
}
