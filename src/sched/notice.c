/*
 * notice.c — success notices for mail delivered here (RFC 3461 s5.2.2):
 * the same reports, built and queued by the same code (bounce.c, the dsn
 * module), as for relayed mail; only the recipients' fate comes from local
 * delivery instead of a remote server.  Action "delivered", status 2.0.0,
 * and no Remote-MTA: no remote MTA was involved (RFC 3464 s2.3.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply/status.h"
#include "sched/outbound.h"
#include "sched/outbound_int.h"

void
outbound_success_notice(struct outbound *ob, const struct envelope *env,
                        const char *data, size_t len)
{
	struct out_msg m;
	size_t i;

	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", env->id);
	m.env = *env; /* borrowed: not freed here */
	m.data = (char *)data;
	m.len = len;
	for (i = 0; i < env->nrcpts; i++)
		out_msg_add_report(&m, i, DSN_ACTION_DELIVERED,
		                   status_enh(ST_DELIVERED), NULL, NULL,
		                   "delivered");
	bounce_send(ob, &m);
	out_msg_clear_reports(&m);
	free(m.reports);
}
