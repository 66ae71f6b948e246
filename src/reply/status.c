/*
 * status.c — the client-side status table expanded from statuses.def.
 */
#include "reply/status.h"

#include <stdlib.h>

static const struct status_def status_table[ST__COUNT] = {
#define STATUS(id, c, e, k, t) [id] = {#id, c, e, k, t},
#include "reply/statuses.def"
#undef STATUS
};

const struct status_def *
status_def(enum status_id id)
{
	if ((unsigned)id >= ST__COUNT)
		abort();
	return &status_table[id];
}

const char *
status_enh(enum status_id id)
{
	return status_def(id)->enh;
}

const char *
status_cat_name(enum status_cat cat)
{
	static const char *const names[] = {
	        [STATUS_CAT_MESSAGE] = "message",
	        [STATUS_CAT_ADDRESS] = "address",
	        [STATUS_CAT_ROUTING] = "routing",
	        [STATUS_CAT_DNS] = "dns",
	        [STATUS_CAT_NETWORK] = "network",
	        [STATUS_CAT_LOCAL] = "local",
	        [STATUS_CAT_EXPIRY] = "expiry",
	        [STATUS_CAT_OUTCOME] = "outcome",
	        [STATUS_CAT_TLS] = "tls",
	};

	if ((unsigned)cat >= sizeof(names) / sizeof(names[0]))
		abort();
	return names[cat];
}

void
status_print_markdown(FILE *out)
{
	int i;

	fputs("\n## Statuses ferry makes up as a client\n\n"
	      "Generated from `src/reply/statuses.def`: what the relay client "
	      "and the scheduler report (in DSNs, the queue and the logs) when "
	      "the status does not come from a remote server.  Code — means "
	      "the status is never sent as an SMTP reply.\n\n"
	      "| identifier | code | enhanced | category | text |\n"
	      "|---|---|---|---|---|\n",
	      out);
	for (i = 0; i < ST__COUNT; i++) {
		const struct status_def *s = &status_table[i];

		if (s->code)
			fprintf(out, "| `%s` | %d | %s | %s | %s |\n", s->name,
			        s->code, s->enh, status_cat_name(s->cat),
			        s->text);
		else
			fprintf(out, "| `%s` | — | %s | %s | %s |\n", s->name,
			        s->enh, status_cat_name(s->cat), s->text);
	}
}
