/*
 * dkim_sign.c — outbound messages get their DKIM signatures when they are
 * loaded for a delivery attempt (docs/mail-auth.md, "Where ferry signs").
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "dkim/dkim.h"
#include "sched/outbound.h"
#include "sched/outbound_int.h"

void
outbound_set_dkim(struct outbound *ob, const struct dkim_keys *keys)
{
	ob->dkim = keys;
}

void
outbound_dkim_sign(struct outbound *ob, struct out_msg *m)
{
	const char *dom, *err = NULL;
	char *sig, *all;
	size_t slen;

	dom = dkim_signing_domain(ob->dkim, ob->cfg, &m->env, m->data, m->len);
	if (dom == NULL)
		return;
	sig = dkim_sign_message(ob->dkim, dom, m->data, m->len, time(NULL),
	                        &err);
	if (sig == NULL) {
		/* Unsigned mail still goes: a key problem must not stop it. */
		log_event(LOG_LVL_WARN, "dkim-error", "id", m->id, "domain",
		          dom, "error", err, NULL);
		return;
	}
	slen = strlen(sig);
	all = malloc(slen + m->len + 1);
	if (all == NULL)
		abort();
	memcpy(all, sig, slen);
	memcpy(all + slen, m->data, m->len + 1);
	free(sig);
	free(m->data);
	m->data = all;
	m->len += slen;
	log_event(LOG_LVL_DEBUG, "dkim-signed", "id", m->id, "domain", dom,
	          NULL);
}
