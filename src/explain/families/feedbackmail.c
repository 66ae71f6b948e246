/*
 * feedbackmail.c — complaints and unsubscribe requests that are not RFC
 * 5965 reports: Apple Mail's one-click unsubscribe (a message from the
 * subscriber marked X-Apple-Unsubscribe) and Microsoft's junk-mail reports
 * (JMRP: the reported message attached, its recipient in
 * X-HmXmrOriginalRecipient).  Both are feedback about the list, not
 * bounces.
 */
#include <stdio.h>
#include <string.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const headers[] = {
        "x-apple-unsubscribe:true",
        "subject:complaint about message from",
        NULL,
};

static void
add_feedback(struct bounce_report *rep, const char *addr, const char *why)
{
	struct bounce_entry *e = bounce_entry_for(rep, addr);

	if (e == NULL)
		return;
	snprintf(e->diagnostic, sizeof(e->diagnostic), "%s", why);
	snprintf(e->action, sizeof(e->action), "feedback");
	e->reason = REASON_FEEDBACK;
}

static void
read_feedback(const struct bounce_text *t, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX] = "", v[BOUNCE_FIELD_MAX];
	const char *p;

	p = mime_memcasemem(t->msg, t->msglen, "\nX-HmXmrOriginalRecipient:");
	if (p != NULL) {
		p += strlen("\nX-HmXmrOriginalRecipient:");
		mime_address(p, strcspn(p, "\n"), addr, sizeof(addr));
		add_feedback(rep, addr, "junk mail report");
		return;
	}
	if (mime_header(t->hdrs, t->hlen, "X-Apple-Unsubscribe", v,
	                sizeof(v))) {
		mime_address(t->from, strlen(t->from), addr, sizeof(addr));
		add_feedback(rep, addr, "unsubscribe request");
	}
}

const struct bounce_family family_feedbackmail = {
        .name = "feedback",
        .headers = headers,
        .read = read_feedback,
};
