/*
 * print.c — everything printed from the option table: the Markdown
 * reference (docs/configuration.md), the mdoc reference (ferry.conf(5)),
 * and the embedded default configuration, which config_load(NULL) parses
 * back, so the demo setup and its printed form cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

/* The demo setup: values that differ from, or are worth showing beside,
 * the table defaults. */
static const struct {
	const char *section, *key, *value;
} demo[] = {
        {"server", "listen", "127.0.0.1:2525"},
        {"server", "submission", "127.0.0.1:2587"},
        {"server", "submissions", "127.0.0.1:2465"},
        {"queue", "spool_dir", "./var/spool"},
        {"domain", "maildir_root", "./var/mail/example.test"},
        {"domain", "mailbox", "demo"},
        {"domain", "mailbox", "alice"},
        {"domain", "mailbox", "bob"},
        {"domain", "disabled", "carol"},
        {"domain", "alias", "postmaster: demo"},
        {"domain", "alias", "info: alice, bob"},
};
#define NDEMO (sizeof(demo) / sizeof(demo[0]))
#define DEMO_DOMAIN "example.test"

static const char *
section_title(const char *section)
{
	if (strcmp(section, "domain") == 0)
		return "domain NAME";
	return strcmp(section, "relay_domain") == 0 ? "relay_domain NAME"
	                                            : section;
}

static void
print_default_option(FILE *out, const struct config_option *opt)
{
	bool shown = false;
	size_t i;

	fprintf(out, "\n# %s\n", opt->doc);
	for (i = 0; i < NDEMO; i++) {
		if (strcmp(demo[i].section, opt->section) == 0 &&
		    strcmp(demo[i].key, opt->key) == 0) {
			fprintf(out, "%s = %s\n", opt->key, demo[i].value);
			shown = true;
		}
	}
	if (shown)
		return;
	if (opt->def == NULL)
		fprintf(out, "# Default: %s.  For example:\n",
		        opt->def_text ? opt->def_text : "none");
	fprintf(out, "#%s = %s\n", opt->key,
	        opt->def ? opt->def : opt->example);
}

void
config_print_default(FILE *out)
{
	const char *section = "";
	size_t i;

	fputs("# ferry.conf: the built-in demo configuration.\n"
	      "# Lines starting with '#' show defaults and examples; see "
	      "ferry.conf(5).\n"
	      "# Relative paths are relative to this file's directory.\n",
	      out);
	for (i = 0; i < config_noptions; i++) {
		if (strcmp(section, config_options[i].section) != 0) {
			section = config_options[i].section;
			if (strcmp(section, "domain") == 0)
				fprintf(out, "\n[domain %s]\n", DEMO_DOMAIN);
			else if (strcmp(section, "relay_domain") == 0)
				/* none in the demo: it stays a closed relay */
				fputs("\n#[relay_domain backup.example]\n",
				      out);
			else
				fprintf(out, "\n[%s]\n", section);
		}
		print_default_option(out, &config_options[i]);
	}
}

static void
print_default_value(FILE *out, const struct config_option *opt,
                    const char *quote)
{
	if (opt->def_text)
		fputs(opt->def_text, out);
	else if (opt->def)
		fprintf(out, "%s%s%s", quote, opt->def, quote);
	else if (opt->required)
		fputs("none; required", out);
	else
		fputs("none", out);
}

static void
md_option(FILE *out, const struct config_option *opt)
{
	size_t i;

	fprintf(out, "### `%s`\n\n%s\n\n", opt->key, opt->doc);
	fprintf(out, "- Type: %s", config_type_name(opt));
	if (opt->values != NULL) {
		fputs(", one of", out);
		for (i = 0; opt->values[i] != NULL; i++)
			fprintf(out, "%s `%s`", i ? "," : "", opt->values[i]);
	}
	if (opt->type == OPT_INT)
		fprintf(out, ", from %ld to %ld", opt->min, opt->max);
	if (opt->repeatable)
		fputs(", repeatable", out);
	fputs("\n- Default: ", out);
	print_default_value(out, opt, "`");
	if (config_option_needs_restart(opt->section, opt->key))
		fputs("\n- Reload: needs a restart (`ferry reload` reports "
		      "the change)",
		      out);
	fprintf(out, "\n- Example: `%s = %s`\n\n", opt->key, opt->example);
	if (opt->more)
		fprintf(out, "%s\n\n", opt->more);
}

void
config_print_reference(FILE *out)
{
	const char *section = "";
	size_t i;

	for (i = 0; i < config_noptions; i++) {
		if (strcmp(section, config_options[i].section) != 0) {
			section = config_options[i].section;
			fprintf(out, "## `[%s]`\n\n", section_title(section));
		}
		md_option(out, &config_options[i]);
	}
}

/* One line of roff text: backslashes escaped, no leading control dot. */
static void
roff_line(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
	fputc('\n', out);
}

static void
man_option(FILE *out, const struct config_option *opt)
{
	size_t i;

	fprintf(out, ".It Ic %s Cm = Ar %s\n", opt->key, config_type_name(opt));
	roff_line(out, opt->doc);
	if (opt->more)
		roff_line(out, opt->more);
	if (opt->values != NULL) {
		fputs("One of", out);
		for (i = 0; opt->values[i] != NULL; i++)
			fprintf(out, "\n.Cm %s%s", opt->values[i],
			        opt->values[i + 1] ? " ," : " .");
		fputc('\n', out);
	}
	if (opt->type == OPT_INT)
		fprintf(out, "From %ld to %ld.\n", opt->min, opt->max);
	if (opt->repeatable)
		fputs("May be repeated.\n", out);
	fputs(".Pp\nDefault: ", out);
	print_default_value(out, opt, "");
	fputs(".\n", out);
	if (config_option_needs_restart(opt->section, opt->key))
		fputs("Changed by a restart only; a reload reports it.\n", out);
	fputs("Example:\n", out);
	fprintf(out, ".Dl %s = %s\n", opt->key, opt->example);
}

void
config_print_reference_man(FILE *out)
{
	const char *section = "";
	size_t i;

	for (i = 0; i < config_noptions; i++) {
		if (strcmp(section, config_options[i].section) != 0) {
			if (*section != '\0')
				fputs(".El\n", out);
			section = config_options[i].section;
			fprintf(out, ".Ss [%s]\n.Bl -tag -width Ds\n",
			        section_title(section));
		}
		man_option(out, &config_options[i]);
	}
	fputs(".El\n", out);
}

/* Sections in the order of the reference, each [domain NAME] in file
 * order, and in each the lines as the file has them. */
void
config_print_set(FILE *out, const struct config *cfg)
{
	const char *last = NULL;
	size_t i, j;

	for (i = 0; config_sections[i] != NULL; i++) {
		const char *sec = config_sections[i];
		bool named = strcmp(sec, "domain") == 0 ||
		             strcmp(sec, "relay_domain") == 0;
		size_t len = strlen(sec);

		for (j = 0; j < cfg->nsettings; j++) {
			const struct config_setting *s = &cfg->settings[j];

			if (named ? strncmp(s->section, sec, len) != 0 ||
			                    s->section[len] != ' '
			          : strcmp(s->section, sec) != 0)
				continue;
			if (last == NULL || strcmp(last, s->section) != 0)
				fprintf(out, "%s[%s]\n", last ? "\n" : "",
				        s->section);
			last = s->section;
			fprintf(out, "%s = %s\n", s->key, s->value);
		}
	}
}
