/*
 * dsn_status.c — the message/delivery-status part (RFC 3464 s2.2, s2.3):
 * one block of per-message fields, then one block per recipient, blocks
 * separated by an empty line.  Everything written here is 7-bit: host
 * names and replies are cleaned to ASCII, addresses are typed and encoded
 * (dsn_xtext.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "dsn/dsn_int.h"
#include "reply/status.h"

const char *
dsn_action_name(enum dsn_action a)
{
	switch (a) {
	case DSN_ACTION_FAILED:
		return "failed";
	case DSN_ACTION_DELAYED:
		return "delayed";
	case DSN_ACTION_DELIVERED:
		return "delivered";
	case DSN_ACTION_RELAYED:
		return "relayed";
	case DSN_ACTION_EXPANDED:
		return "expanded";
	}
	return "failed";
}

bool
dsn_any_action(const struct dsn_report *r, enum dsn_action a)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].action == a)
			return true;
	return false;
}

/* 1 to 3 digits followed by stop; returns the position of stop or NULL. */
static const char *
digits(const char *p, char stop)
{
	int n = 0;

	while (isdigit((unsigned char)*p) && n < 4)
		p++, n++;
	return (n >= 1 && n <= 3 && *p == stop) ? p : NULL;
}

/* "X.Y.Z" with X one of 2, 4, 5 (RFC 3463); otherwise a class default
 * that matches the action. */
void
dsn_status_code(const struct dsn_recipient *rc, char out[16])
{
	const char *s = rc->status, *p;

	if (s != NULL && (s[0] == '2' || s[0] == '4' || s[0] == '5') &&
	    s[1] == '.' && (p = digits(s + 2, '.')) != NULL &&
	    digits(p + 1, '\0') != NULL) {
		snprintf(out, 16, "%s", s);
		return;
	}
	switch (rc->action) {
	case DSN_ACTION_FAILED:
		snprintf(out, 16, "%s", status_enh(ST_PERM_OTHER));
		break;
	case DSN_ACTION_DELAYED:
		snprintf(out, 16, "%s", status_enh(ST_TEMP_OTHER));
		break;
	default:
		snprintf(out, 16, "%s", status_enh(ST_DELIVERED));
		break;
	}
}

/* "Name: prefix value" for a cleaned, non-empty value only. */
static void
field_if(struct dsn_buf *b, const char *name, const char *prefix,
         const char *raw)
{
	char *v = dsn_clean_text(raw, true), *full;
	size_t n;

	if (v[0] != '\0') {
		n = strlen(prefix) + strlen(v) + 1;
		full = xmalloc(n);
		snprintf(full, n, "%s%s", prefix, v);
		dsn_field(b, name, full);
		free(full);
	}
	free(v);
}

static void
date_field(struct dsn_buf *b, const char *name, time_t t)
{
	char d[DSN_DATE_LEN];

	rfc5322_date(t, d);
	dsn_field(b, name, d);
}

static void
per_message(struct dsn_buf *b, const struct dsn_report *r)
{
	char *v;

	field_if(b, "Reporting-MTA", "dns; ",
	         r->reporting_mta ? r->reporting_mta : "localhost");
	v = dsn_clean_token(r->queue_id, "", "");
	if (v[0] != '\0')
		dsn_field(b, "X-Ferry-Queue-ID", v);
	free(v);
	if (r->envid != NULL && r->envid[0] != '\0') {
		v = dsn_xtext(r->envid);
		dsn_field(b, "Original-Envelope-Id", v);
		free(v);
	}
	if (r->arrival != 0)
		date_field(b, "Arrival-Date", r->arrival);
}

static void
per_recipient(struct dsn_buf *b, const struct dsn_recipient *rc)
{
	char status[16], *v;

	if (rc->orcpt != NULL && rc->orcpt[0] != '\0') {
		v = dsn_orcpt_value(rc->orcpt);
		dsn_field(b, "Original-Recipient", v);
		free(v);
	}
	v = dsn_typed_address(rc->final_recipient);
	dsn_field(b, "Final-Recipient", v);
	free(v);
	dsn_field(b, "Action", dsn_action_name(rc->action));
	dsn_status_code(rc, status);
	dsn_field(b, "Status", status);
	if ((v = dsn_remote_mta_name(rc->remote_mta)) != NULL) {
		field_if(b, "Remote-MTA", "dns; ", v);
		free(v);
	}
	if (rc->diagnostic != NULL)
		field_if(b, "Diagnostic-Code", "smtp; ", rc->diagnostic);
	if (rc->last_attempt != 0)
		date_field(b, "Last-Attempt-Date", rc->last_attempt);
	if (rc->action == DSN_ACTION_DELAYED && rc->will_retry_until != 0)
		date_field(b, "Will-Retry-Until", rc->will_retry_until);
}

void
dsn_status_part(struct dsn_buf *b, const struct dsn_report *r)
{
	size_t i;

	per_message(b, r);
	for (i = 0; i < r->nrcpts; i++) {
		dsn_buf_add(b, "\r\n", 2);
		per_recipient(b, &r->rcpts[i]);
	}
}
