/*
 * amazonses.c — Amazon SES notifications delivered by mail through SNS: a
 * JSON document whose "Message" is itself JSON (quotes escaped) with
 * "notificationType" Bounce, Complaint or Delivery, and per recipient
 * "emailAddress", "status", "action" and "diagnosticCode" (bounces), the
 * complaining "emailAddress"es (complaints: feedback), or the
 * "recipients" list and "smtpResponse" (deliveries).  The DSN-like
 * notices SES also sends go through the RFC 3464 reader.
 */
#include <stdio.h>
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const headers[] = {
        "from:@sns.amazonaws.com",
        NULL,
};
static const char *const body[] = {
        "\"notificationType",
        "\\\"notificationType",
        NULL,
};

/* The string value of key at or after p (quotes escaped or not), copied
 * to out; returns where the value ends, or NULL. */
static const char *
json_value(const char *p, const char *end, const char *key, char *out,
           size_t outsz)
{
	const char *k = mime_memcasemem(p, (size_t)(end - p), key);
	size_t o = 0;

	if (k == NULL)
		return NULL;
	p = k + strlen(key);
	while (p < end && (*p == '\\' || *p == '"' || *p == ':' || *p == ' '))
		p++;
	while (p < end && *p != '"' && *p != '\\' && o + 1 < outsz)
		out[o++] = *p++;
	out[o] = '\0';
	return p;
}

static void
read_bounces(const char *p, const char *end, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX], v[BOUNCE_DIAG_MAX];
	const char *next, *stop;
	struct bounce_entry *e;

	while ((next = json_value(p, end, "emailAddress", addr,
	                          sizeof(addr))) != NULL) {
		e = bounce_entry_for(rep, addr);
		/* this recipient's fields end where the next one starts */
		stop = mime_memcasemem(next, (size_t)(end - next),
		                       "emailAddress");
		if (stop == NULL)
			stop = end;
		if (e != NULL && json_value(next, stop, "status", v, sizeof(v)))
			snprintf(e->status, sizeof(e->status), "%.15s", v);
		if (e != NULL && json_value(next, stop, "action", v, sizeof(v)))
			snprintf(e->action, sizeof(e->action), "%.31s", v);
		if (e != NULL &&
		    json_value(next, stop, "diagnosticCode", v, sizeof(v)))
			bounce_copy_line(e->diagnostic, sizeof(e->diagnostic),
			                 v, strlen(v));
		p = stop;
	}
}

static void
read_delivery(const char *p, const char *end, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX], v[BOUNCE_DIAG_MAX];
	const char *list = mime_memcasemem(p, (size_t)(end - p), "recipients");
	struct bounce_entry *e;

	if (list == NULL ||
	    !mime_address(list, (size_t)(end - list), addr, sizeof(addr)))
		return;
	e = bounce_entry_for(rep, addr);
	if (e == NULL)
		return;
	snprintf(e->action, sizeof(e->action), "delivered");
	if (json_value(list, end, "smtpResponse", v, sizeof(v)))
		bounce_copy_line(e->diagnostic, sizeof(e->diagnostic), v,
		                 strlen(v));
}

/* A complaint (feedback loop) names the complaining recipients. */
static void
read_complaints(const char *p, const char *end, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX], v[BOUNCE_FIELD_MAX];
	const char *list =
	        mime_memcasemem(p, (size_t)(end - p), "complainedRecipients");
	struct bounce_entry *e;

	if (list == NULL)
		return;
	while ((list = json_value(list, end, "emailAddress", addr,
	                          sizeof(addr))) != NULL) {
		e = bounce_entry_for(rep, addr);
		if (e == NULL)
			return;
		snprintf(e->action, sizeof(e->action), "feedback");
		snprintf(e->diagnostic, sizeof(e->diagnostic), "complaint");
		if (json_value(p, end, "complaintFeedbackType", v, sizeof(v)))
			snprintf(e->diagnostic, sizeof(e->diagnostic),
			         "Feedback-Type: %s", v);
		e->reason = REASON_FEEDBACK;
	}
}

static void
read_notification(const struct bounce_text *t, struct bounce_report *rep)
{
	const char *p = t->msg, *end = t->msg + t->msglen;
	char type[32];

	if (json_value(p, end, "notificationType", type, sizeof(type)) == NULL)
		return;
	if (strcmp(type, "Delivery") == 0)
		read_delivery(p, end, rep);
	else if (strcmp(type, "Bounce") == 0)
		read_bounces(p, end, rep);
	else if (strcmp(type, "Complaint") == 0)
		read_complaints(p, end, rep);
}

const struct bounce_family family_amazonses = {
        .name = "amazonses",
        .headers = headers,
        .body = body,
        .read = read_notification,
};
