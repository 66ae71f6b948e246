/*
 * tls_level.c — the TLS security level of an outbound destination:
 * [relay] tls_policy_map, as Postfix's smtp_tls_policy_maps, else
 * [relay] tls.
 */
#include <ctype.h>
#include <string.h>

#include "config/config.h"
#include "map/map.h"

/* One level word, nothing after it (no attributes: an entry ferry does
 * not understand must not be half applied). */
static int
level_of(char *value)
{
	char *p = value, *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strcspn(p, " \t");
	if (end[strspn(end, " \t")] != '\0')
		return -1;
	*end = '\0';
	return config_tls_level(p);
}

int
config_tls_level_for(const struct config *cfg, const char *domain)
{
	char value[64];
	const char *p = domain;
	struct map *m;
	int rc;

	if (cfg->relay_tls_policy_map == NULL)
		return cfg->relay_tls;
	if ((m = map_get(cfg->relay_tls_policy_map)) == NULL)
		return -1;
	rc = map_lookup(m, domain, value, sizeof(value));
	/* a.b.example, then .b.example, then .example */
	while (rc == 0 && (p = strchr(p, '.')) != NULL) {
		rc = map_lookup(m, p, value, sizeof(value));
		p++;
	}
	if (rc == 0)
		return cfg->relay_tls;
	return rc < 0 ? -1 : level_of(value);
}
