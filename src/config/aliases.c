/*
 * aliases.c — the classic aliases file ([server] aliases_file).  Its
 * entries are merged into every [domain] that does not define the name.
 *
 * Aliases file format: "NAME: TARGET, TARGET" lines; '#' starts a comment
 * line; a line starting with white space continues the previous entry.
 *
 * The file is often the system's /etc/aliases, shared with other
 * programs, so what ferry cannot deliver to does not stop it: a
 * ":include:FILE" target reads more targets from FILE (lines of
 * comma-separated targets, '#' comments); "|command" and "/file" targets
 * are skipped with a warning, and so is an alias left with no target.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

struct file_aliases {
	struct config_alias *v;
	size_t n;
	size_t *skipped; /* per alias: targets ferry cannot deliver to */
	const char *path;
	const char *qualify; /* the origin domain */
};

#define INCLUDE_DEPTH_MAX 5

static void add_list(struct load_ctx *ctx, struct file_aliases *fa,
                     const char *file, int line, char *list, int depth);

static char *
strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* ":include:FILE": its lines are more targets of the same alias. */
static void
include_file(struct load_ctx *ctx, struct file_aliases *fa, const char *file,
             int line, const char *path, int depth)
{
	char *buf = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *in;

	if (depth >= INCLUDE_DEPTH_MAX) {
		load_error_at(ctx, file, line,
		              "alias '%s': ':include:%s': nested too deeply",
		              fa->v[fa->n - 1].name, path);
		return;
	}
	in = fopen(path, "r");
	if (in == NULL) {
		load_error_at(ctx, file, line, "alias '%s': ':include:%s': %s",
		              fa->v[fa->n - 1].name, path, strerror(errno));
		return;
	}
	while (getline(&buf, &cap, in) >= 0) {
		char *p;

		n++;
		buf[strcspn(buf, "\r\n")] = '\0';
		p = strip(buf);
		if (*p != '\0' && *p != '#')
			add_list(ctx, fa, path, n, p, depth + 1);
	}
	free(buf);
	fclose(in);
}

/* One target: included, skipped, or an address for the alias. */
static void
add_item(struct load_ctx *ctx, struct file_aliases *fa, const char *file,
         int line, char *item, int depth)
{
	const char *t = *item == '"' ? item + 1 : item;

	if (strncmp(item, ":include:", 9) == 0) {
		include_file(ctx, fa, file, line, strip(item + 9), depth);
	} else if (*t == '|' || *t == '/') {
		load_warning_at(ctx, file, line,
		                "alias '%s': '%s' skipped: ferry delivers to "
		                "no %s",
		                fa->v[fa->n - 1].name, item,
		                *t == '|' ? "command" : "file");
		fa->skipped[fa->n - 1]++;
	} else {
		alias_parse_targets(ctx, file, line, item, fa->qualify,
		                    &fa->v[fa->n - 1]);
	}
}

/* A list split over lines: "a, b," then "c": the commas belong to the join. */
static void
add_list(struct load_ctx *ctx, struct file_aliases *fa, const char *file,
         int line, char *list, int depth)
{
	char *item, *from, *close, *comma;

	for (item = list; item != NULL; item = comma ? comma + 1 : NULL) {
		item = strip(item);
		/* A quoted "|command, args" keeps its commas. */
		close = *item == '"' ? strchr(item + 1, '"') : NULL;
		from = close != NULL ? close : item;
		comma = strchr(from, ',');
		if (comma != NULL)
			*comma = '\0';
		item = strip(item);
		if (*item != '\0')
			add_item(ctx, fa, file, line, item, depth);
	}
}

static void
add_targets(struct load_ctx *ctx, struct file_aliases *fa, int line, char *list)
{
	add_list(ctx, fa, fa->path, line, list, 0);
}

static void
entry_line(struct load_ctx *ctx, struct file_aliases *fa, int line, char *p)
{
	char *colon = strchr(p, ':'), *name;
	size_t i;

	if (colon == NULL) {
		load_error_at(ctx, fa->path, line,
		              "expected 'NAME: TARGET, ...'");
		return;
	}
	*colon = '\0';
	name = strip(p);
	if (!config_valid_local_part(name)) {
		load_error_at(ctx, fa->path, line,
		              "'%s' is not a valid alias name", name);
		return;
	}
	for (i = 0; i < fa->n; i++) {
		if (strcasecmp(fa->v[i].name, name) == 0) {
			load_error_at(
			        ctx, fa->path, line,
			        "alias '%s' is defined twice (first at %s)",
			        name, fa->v[i].source);
			return;
		}
	}
	fa->v = cfg_reallocarray(fa->v, fa->n + 1, sizeof(*fa->v));
	fa->skipped =
	        cfg_reallocarray(fa->skipped, fa->n + 1, sizeof(*fa->skipped));
	fa->skipped[fa->n] = 0;
	memset(&fa->v[fa->n], 0, sizeof(*fa->v));
	fa->v[fa->n].name = config_lower(name);
	fa->v[fa->n].source = cfg_asprintf("%s:%d", fa->path, line);
	fa->n++;
	add_targets(ctx, fa, line, colon + 1);
}

static void
parse_file(struct load_ctx *ctx, struct file_aliases *fa, FILE *in)
{
	char *buf = NULL, *p;
	size_t cap = 0;
	int line = 0;
	bool current = false; /* may a continuation line follow? */
	size_t before;

	while (getline(&buf, &cap, in) >= 0) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		p = strip(buf);
		if (*p == '\0' || *p == '#')
			continue;
		if (isspace((unsigned char)buf[0])) {
			if (current)
				add_targets(ctx, fa, line, p);
			else
				load_error_at(
				        ctx, fa->path, line,
				        "continuation line without an entry");
			continue;
		}
		before = fa->n;
		entry_line(ctx, fa, line, p);
		current = fa->n > before;
	}
	free(buf);
}

/* The domain has its own mailbox or alias of that name: it wins. */
static bool
name_taken(const struct config_domain *d, const char *name)
{
	return config_find_mailbox(d, name) || config_find_alias(d, name);
}

static void
alias_copy(struct config_alias *dst, const struct config_alias *src)
{
	size_t i;

	dst->name = cfg_strdup(src->name);
	dst->source = cfg_strdup(src->source);
	dst->ntargets = src->ntargets;
	dst->targets = cfg_calloc(src->ntargets, sizeof(*dst->targets));
	for (i = 0; i < src->ntargets; i++)
		dst->targets[i] = cfg_strdup(src->targets[i]);
}

static void
merge(struct config *cfg, const struct file_aliases *fa)
{
	struct config_domain *d;
	size_t i, j;

	for (i = 0; i < cfg->ndomains; i++) {
		d = &cfg->domains[i];
		for (j = 0; j < fa->n; j++) {
			if (name_taken(d, fa->v[j].name) ||
			    fa->v[j].ntargets == 0)
				continue;
			d->aliases =
			        cfg_reallocarray(d->aliases, d->naliases + 1,
			                         sizeof(*d->aliases));
			alias_copy(&d->aliases[d->naliases++], &fa->v[j]);
		}
	}
}

int
aliases_file_load(struct load_ctx *ctx, const char *path, int line)
{
	struct file_aliases fa = {.path = path};
	size_t i;
	FILE *in;

	if (ctx->cfg->ndomains == 0) {
		load_error(ctx, line,
		           "aliases_file: needs at least one [domain] section");
		return -1;
	}
	in = fopen(path, "r");
	if (in == NULL) {
		load_error(ctx, line, "aliases_file: %s: %s", path,
		           strerror(errno));
		return -1;
	}
	fa.qualify = config_origin_name(ctx->cfg);
	parse_file(ctx, &fa, in);
	fclose(in);
	for (i = 0; i < fa.n; i++) {
		if (fa.v[i].ntargets > 0)
			continue;
		if (fa.skipped[i] > 0)
			source_warning(
			        ctx, fa.v[i].source,
			        "alias '%s' skipped: no target ferry can "
			        "deliver to",
			        fa.v[i].name);
		else
			source_error(ctx, fa.v[i].source,
			             "alias '%s' has no targets", fa.v[i].name);
	}
	merge(ctx->cfg, &fa);
	for (i = 0; i < fa.n; i++)
		alias_free(&fa.v[i]);
	free(fa.v);
	free(fa.skipped);
	return 0;
}
