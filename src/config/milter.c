/*
 * milter.c — [milter]: the milter address lists of the listeners, and
 * [metrics] listen, checked when the file is read so that a mistake is a
 * line-numbered error, not a refused message or an open endpoint.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

/* unix:/PATH, local:/PATH, inet:ADDRESS:PORT, inet:PORT@ADDRESS. */
static bool
spec_ok(const char *s, size_t n)
{
	const char *colon;

	if ((n > 6 && strncmp(s, "unix:/", 6) == 0) ||
	    (n > 7 && strncmp(s, "local:/", 7) == 0))
		return true;
	if (n > 5 && strncmp(s, "inet:", 5) == 0)
		s += 5, n -= 5;
	else if (n > 6 && strncmp(s, "inet6:", 6) == 0)
		s += 6, n -= 6;
	else
		return false;
	if (memchr(s, '@', n) != NULL)
		return s[0] >= '1' && s[0] <= '9';
	colon = memrchr(s, ':', n);
	return colon != NULL && colon > s && colon[1] >= '1' && colon[1] <= '9';
}

static void
check_list(struct load_ctx *ctx, const char *key, const char *list)
{
	size_t line = config_option_index(config_option_find("milter", key));
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!spec_ok(p, n))
			load_error(ctx, ctx->set_line[line],
			           "%s: '%.*s' is not unix:/PATH or "
			           "inet:ADDRESS:PORT",
			           key, (int)n, p);
		p = comma ? comma + 1 : NULL;
	}
}

/* The metrics endpoint has no authentication: loopback only. */
static void
check_metrics(struct load_ctx *ctx)
{
	const char *a = ctx->cfg->metrics_listen.address;
	size_t line =
	        config_option_index(config_option_find("metrics", "listen"));

	if (a != NULL && strncmp(a, "127.", 4) != 0 && strcmp(a, "::1") != 0)
		load_error(
		        ctx, ctx->set_line[line],
		        "listen: '%s' is not a loopback address (127.0.0.0/8 "
		        "or ::1): the metrics have no authentication",
		        a);
}

void
stack_options_check(struct load_ctx *ctx)
{
	check_metrics(ctx);
	check_list(ctx, "smtp", ctx->cfg->milter_smtp);
	check_list(ctx, "submission", ctx->cfg->milter_submission);
}
