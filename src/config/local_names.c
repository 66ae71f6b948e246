/*
 * local_names.c — the host's own mail: which domain unqualified addresses
 * and the host's names stand for (Postfix's myorigin and mydestination),
 * and address extensions (recipient_delimiter); and the secrets kept out
 * of the configuration file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config_int.h"

const struct config_domain *
config_origin(const struct config *cfg)
{
	if (cfg->origin_domain != NULL)
		return config_find_domain(cfg, cfg->origin_domain);
	return cfg->ndomains > 0 ? &cfg->domains[0] : NULL;
}

const char *
config_origin_name(const struct config *cfg)
{
	const struct config_domain *d = config_origin(cfg);

	return d != NULL ? d->name : cfg->hostname;
}

/* Is name, without a trailing dot, an item of the comma-separated list? */
static bool
in_names(const char *list, const char *name, size_t len)
{
	while (list != NULL && *list != '\0') {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);

		while (n > 0 && *list == ' ') {
			list++;
			n--;
		}
		while (n > 0 && list[n - 1] == ' ')
			n--;
		if (n == len && strncasecmp(list, name, len) == 0)
			return true;
		list = comma ? comma + 1 : NULL;
	}
	return false;
}

bool
config_is_host_name(const struct config *cfg, const char *name)
{
	char host[HOST_NAME_MAX + 1];
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return false;
	if ((strlen(cfg->hostname) == len &&
	     strncasecmp(cfg->hostname, name, len) == 0) ||
	    (len == 9 && strncasecmp(name, "localhost", 9) == 0) ||
	    in_names(cfg->host_names, name, len))
		return true;
	if (gethostname(host, sizeof(host)) != 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	return strlen(host) == len && strncasecmp(host, name, len) == 0;
}

size_t
config_extension_at(const struct config *cfg, const char *local)
{
	const char *delims = cfg->recipient_delimiter;
	size_t at;

	if (delims == NULL || strcmp(delims, "none") == 0)
		return 0;
	at = strcspn(local, delims);
	/* "+tag" alone has no user to deliver to. */
	return local[at] != '\0' && at > 0 ? at : 0;
}

int
config_read_secrets(struct config *cfg, FILE *err)
{
	const char *path = cfg->relay_smarthost_password_file;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(err, "smarthost_password_file: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		fprintf(err, "smarthost_password_file: %s: empty\n", path);
		free(line);
		return -1;
	}
	free(cfg->relay_smarthost_password);
	cfg->relay_smarthost_password = line;
	return 0;
}
