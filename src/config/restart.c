/*
 * restart.c — the settings a reload cannot change.  They are read once,
 * when the daemon starts, by parts that live as long as it does: the
 * listening sockets, the spool, the privileges, the log, the policy state,
 * the relay, the authentication backend.  A reload that finds one of them
 * changed applies everything else and names these, so that nothing is
 * silently ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

/* "section" alone: every key of it. */
static const struct {
	const char *section, *key;
} restart_only[] = {
        {"server", "hostname"},
        {"server", "listen"},
        {"server", "submission"},
        {"server", "submissions"},
        {"server", "user"},
        {"server", "log"},
        {"server", "log_file"},
        {"server", "log_format"},
        {"tls", "cert_file"},
        {"tls", "key_file"},
        {"tls", "min_version"},
        {"tls", "ciphers"},
        {"tls", "submission_ciphers"},
        {"auth", "backend"},
        {"auth", "mechanisms"},
        {"auth", "passwd_file"},
        {"auth", "dovecot_socket"},
        {"relay", NULL},
        {"queue", NULL},
        {"policy", NULL},
        {"metrics", NULL},
        {"dkim", NULL},
        {"domain", "owner"},
        {"domain", "mailbox_owner"},
        {"domain", "mode"},
        {"domain", "quota"},
        {"domain", "quota_messages"},
        {"domain", "mailbox_quota"},
        {"domain", "lmtp"},
        {"domain", "lmtp_mailbox"},
};

bool
config_option_needs_restart(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++)
		if (strcmp(restart_only[i].section, section) == 0 &&
		    (restart_only[i].key == NULL ||
		     strcmp(restart_only[i].key, key) == 0))
			return true;
	return false;
}

/* "domain example.org" is a "domain" section. */
static const char *
section_kind(const char *section)
{
	return strncmp(section, "domain ", 7) == 0 ? "domain" : section;
}

/* Every value of section/key as written, in file order, one string. */
static char *
values_of(const struct config *cfg, const char *section, const char *key)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return NULL;
	for (i = 0; i < cfg->nsettings; i++) {
		const struct config_setting *s = &cfg->settings[i];

		if (strcmp(s->section, section) == 0 &&
		    strcmp(s->key, key) == 0)
			fprintf(out, "%s\n", s->value);
	}
	fclose(out);
	return text;
}

static bool
listed(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while ((p = strstr(p, item)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* Adds "section.key" to out when its values differ between a and b. */
static void
compare_setting(const struct config *a, const struct config *b,
                const struct config_setting *s, char *out, size_t len)
{
	char item[256];
	char *va, *vb;
	size_t used = strlen(out);
	bool differ;

	if (!config_option_needs_restart(section_kind(s->section), s->key))
		return;
	snprintf(item, sizeof(item), "[%s] %s", s->section, s->key);
	if (listed(out, item))
		return;
	va = values_of(a, s->section, s->key);
	vb = values_of(b, s->section, s->key);
	differ = va == NULL || vb == NULL || strcmp(va, vb) != 0;
	free(va);
	free(vb);
	if (differ)
		snprintf(out + used, len - used, "%s%s", used ? ", " : "",
		         item);
}

size_t
config_restart_changes(const struct config *running,
                       const struct config *loaded, char *out, size_t len)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < running->nsettings; i++)
		compare_setting(running, loaded, &running->settings[i], out,
		                len);
	for (i = 0; i < loaded->nsettings; i++)
		compare_setting(running, loaded, &loaded->settings[i], out,
		                len);
	return strlen(out);
}
