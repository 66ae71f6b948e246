/*
 * dsn_human.c — the first part: a plain-text letter from the mail system
 * to the sender.  Who writes, what happened to each recipient (the remote
 * server and its full reply), what the reply means and what to do; the
 * meaning and advice come from the explain module's reason table, so a
 * bounce and `ferry explain` say the same thing.  Wrapped at DSN_FOLD_AT
 * columns.  Addresses and replies keep valid UTF-8; *utf8_r tells the
 * caller to label the part charset=utf-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "dsn/dsn_int.h"
#include "explain/explain.h"

static const char *
headline(enum dsn_action a)
{
	switch (a) {
	case DSN_ACTION_FAILED:
		return "delivery failed";
	case DSN_ACTION_DELAYED:
		return "delivery delayed, still trying";
	case DSN_ACTION_DELIVERED:
		return "delivered";
	case DSN_ACTION_RELAYED:
		return "relayed to a server that does not send delivery "
		       "reports";
	case DSN_ACTION_EXPANDED:
		return "delivered and forwarded to further addresses";
	}
	return "delivery failed";
}

static const char *
opening(const struct dsn_report *r)
{
	if (dsn_any_action(r, DSN_ACTION_FAILED))
		return "Your message could not be delivered to one or more of "
		       "its recipients. The details for each recipient follow.";
	if (dsn_any_action(r, DSN_ACTION_DELAYED))
		return "Your message has not been delivered yet to one or more "
		       "of its recipients. The mail system keeps trying; you "
		       "do "
		       "not need to send it again. If it still fails when the "
		       "retry time runs out, you will get another report.";
	return "This is the delivery report you asked for. The status of "
	       "your message for each recipient follows.";
}

/* "Label: value" wrapped under the recipient; value is cleaned here. */
static void
labelled(struct dsn_buf *b, const char *label, const char *raw, bool *utf8)
{
	char *v = dsn_clean_text(raw, false), *line;
	size_t n;

	if (v[0] != '\0') {
		n = strlen(label) + strlen(v) + 3;
		line = xmalloc(n);
		snprintf(line, n, "%s: %s", label, v);
		dsn_wrap(b, line, 4, 8);
		*utf8 |= dsn_has_8bit(v, strlen(v));
		free(line);
	}
	free(v);
}

static void
explanation(struct dsn_buf *b, const struct dsn_recipient *rc, bool *utf8)
{
	enum explain_reason reason;

	if (rc->action != DSN_ACTION_FAILED && rc->action != DSN_ACTION_DELAYED)
		return;
	reason = explain_reason_from_name(rc->reason);
	if ((int)reason < 0 || reason >= REASON_COUNT)
		reason = REASON_UNDEFINED;
	labelled(b, "Meaning", explain_reason_meaning(reason), utf8);
	labelled(b, "What to do", explain_reason_advice(reason), utf8);
}

static void
recipient(struct dsn_buf *b, const struct dsn_recipient *rc, bool *utf8)
{
	char *addr = dsn_clean_text(rc->final_recipient, false);
	char status[16], date[DSN_DATE_LEN];
	struct dsn_buf line = {0};

	*utf8 |= dsn_has_8bit(addr, strlen(addr));
	dsn_buf_printf(&line, "<%s>: %s", addr, headline(rc->action));
	dsn_wrap(b, line.p, 0, 4);
	dsn_buf_free(&line);
	free(addr);
	if (rc->remote_mta != NULL)
		labelled(b, "Remote server", rc->remote_mta, utf8);
	if (rc->diagnostic != NULL)
		labelled(b, "It replied", rc->diagnostic, utf8);
	dsn_status_code(rc, status);
	labelled(b, "Status", status, utf8);
	explanation(b, rc, utf8);
	if (rc->action == DSN_ACTION_DELAYED && rc->will_retry_until != 0) {
		rfc5322_date(rc->will_retry_until, date);
		labelled(b, "Trying until", date, utf8);
	}
	dsn_buf_add(b, "\r\n", 2);
}

static void
original_note(struct dsn_buf *b, const struct dsn_orig_plan *plan)
{
	char note[256];

	if (plan->mode == DSN_ORIG_FULL)
		snprintf(note, sizeof(note),
		         "The original message is "
		         "attached.");
	else if (plan->too_big)
		snprintf(note, sizeof(note),
		         "The original message is larger than %d octets, too "
		         "large to return in full; only its headers are "
		         "attached.",
		         DSN_FULL_MAX);
	else if (plan->binary)
		snprintf(note, sizeof(note),
		         "The original message contains binary data and cannot "
		         "be returned in full; only its headers are attached.");
	else
		snprintf(note, sizeof(note),
		         "The headers of the original "
		         "message are attached.");
	dsn_wrap(b, note, 0, 0);
	if (plan->cut)
		dsn_wrap(b,
		         "Its header section was very long and has been "
		         "shortened.",
		         0, 0);
}

void
dsn_human_part(struct dsn_buf *b, const struct dsn_report *r,
               const struct dsn_orig_plan *plan, bool *utf8_r)
{
	char *host = dsn_clean_text(r->reporting_mta, true);
	struct dsn_buf line = {0};
	size_t i;

	*utf8_r = false;
	dsn_buf_printf(&line, "This is the mail system at %s.",
	               host[0] ? host : "localhost");
	dsn_wrap(b, line.p, 0, 0);
	dsn_buf_free(&line);
	free(host);
	dsn_buf_add(b, "\r\n", 2);
	dsn_wrap(b, opening(r), 0, 0);
	dsn_buf_add(b, "\r\n", 2);
	for (i = 0; i < r->nrcpts; i++)
		recipient(b, &r->rcpts[i], utf8_r);
	original_note(b, plan);
	dsn_buf_add(b, "\r\n", 2);
	dsn_wrap(b,
	         "If you need help with this report, forward it, with its "
	         "attachments, to the administrator of your mail system.",
	         0, 0);
}
