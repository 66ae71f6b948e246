/*
 * dsn.c — the machine-readable parts of reports: RFC 3464 delivery status
 * fields and RFC 5965 feedback reports.  Both are header-like field groups
 * separated by blank lines; the first group is about the message, the rest
 * are one per recipient.  Some MTAs omit the blank line after the
 * per-message group, so a group is treated as per-recipient whenever it
 * names a recipient.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/mime.h"

/* "rfc822; user@example.com" -> "user@example.com" */
static void
strip_type(const char *value, char *out, size_t outsz)
{
	const char *semi = strchr(value, ';');
	const char *p = semi ? semi + 1 : value;

	while (*p == ' ')
		p++;
	if (!mime_address(p, strlen(p), out, outsz))
		snprintf(out, outsz, "%s", p);
}

static void
recipient_group(const char *g, size_t glen, const char *mta,
                struct bounce_report *rep)
{
	char rcpt[BOUNCE_FIELD_MAX], v[BOUNCE_DIAG_MAX];
	struct bounce_entry *e;

	if (!mime_header(g, glen, "Final-Recipient", v, sizeof(v)) &&
	    !mime_header(g, glen, "Original-Recipient", v, sizeof(v)))
		return;
	strip_type(v, rcpt, sizeof(rcpt));
	e = bounce_entry_for(rep, rcpt);
	if (e == NULL)
		return;
	if (mime_header(g, glen, "Action", v, sizeof(v)))
		snprintf(e->action, sizeof(e->action), "%.31s", v);
	if (mime_header(g, glen, "Status", v, sizeof(v)))
		snprintf(e->status, sizeof(e->status), "%.15s", v);
	if (mime_header(g, glen, "Diagnostic-Code", v, sizeof(v)))
		bounce_copy_line(e->diagnostic, sizeof(e->diagnostic), v,
		                 strlen(v));
	if (mime_header(g, glen, "Reporting-MTA", v, sizeof(v)))
		strip_type(v, e->reporting_mta, sizeof(e->reporting_mta));
	else if (mta[0] != '\0' && e->reporting_mta[0] == '\0')
		snprintf(e->reporting_mta, sizeof(e->reporting_mta), "%s", mta);
}

static int
is_final_recipient(const char *l, size_t n)
{
	return n >= 16 && strncasecmp(l, "final-recipient", 15) == 0 &&
	       (l[15] == ':' || l[15] == ' ');
}

/* Some MTAs write several recipients' fields without the blank line
 * between them: a second Final-Recipient starts the next recipient. */
static void
recipient_groups(const char *g, size_t glen, const char *mta,
                 struct bounce_report *rep)
{
	size_t start = 0, i = 0, e;
	int seen = 0;

	while (i < glen) {
		for (e = i; e < glen && g[e] != '\n'; e++)
			;
		if (is_final_recipient(g + i, e - i)) {
			if (seen) {
				recipient_group(g + start, i - start, mta, rep);
				start = i;
			}
			seen = 1;
		}
		i = e + 1;
	}
	recipient_group(g + start, glen - start, mta, rep);
}

/* Calls fn for each blank-line separated group of body. */
static size_t
next_group(const char *body, size_t len, size_t i, size_t *glen)
{
	size_t start;

	while (i < len && body[i] == '\n')
		i++;
	start = i;
	while (i < len &&
	       !(body[i] == '\n' && i + 1 < len && body[i + 1] == '\n'))
		i++;
	if (i < len)
		i++; /* keep the group's last newline */
	*glen = i - start;
	return start;
}

void
dsn_parse(const char *body, size_t len, struct bounce_report *rep)
{
	char mta[BOUNCE_FIELD_MAX] = "", v[BOUNCE_FIELD_MAX];
	size_t i = 0, start, glen;

	while (i < len) {
		start = next_group(body, len, i, &glen);
		if (glen == 0)
			break;
		if (mta[0] == '\0' &&
		    mime_header(body + start, glen, "Reporting-MTA", v,
		                sizeof(v)))
			strip_type(v, mta, sizeof(mta));
		recipient_groups(body + start, glen, mta, rep);
		i = start + glen;
	}
}

static void
arf_entry(const char *body, size_t len, const char *rcpt,
          struct bounce_report *rep)
{
	char v[BOUNCE_FIELD_MAX];
	struct bounce_entry *e = bounce_entry_for(rep, rcpt);

	if (e == NULL)
		return;
	if (mime_header(body, len, "Feedback-Type", v, sizeof(v)))
		snprintf(e->diagnostic, sizeof(e->diagnostic),
		         "Feedback-Type: %s", v);
	if (mime_header(body, len, "Reporting-MTA", v, sizeof(v)))
		strip_type(v, e->reporting_mta, sizeof(e->reporting_mta));
	snprintf(e->action, sizeof(e->action), "feedback");
	e->reason = REASON_FEEDBACK;
	e->hard = 0;
}

/* One entry per Original-Rcpt-To field (RFC 5965 allows several), or one
 * without a recipient when the report names none. */
void
arf_parse(const char *body, size_t len, struct bounce_report *rep)
{
	char v[BOUNCE_FIELD_MAX], rcpt[BOUNCE_FIELD_MAX];
	size_t i = 0, e;
	int found = 0;

	while (i < len) {
		for (e = i; e < len && body[e] != '\n'; e++)
			;
		if (mime_header(body + i, e - i + (e < len), "Original-Rcpt-To",
		                v, sizeof(v))) {
			strip_type(v, rcpt, sizeof(rcpt));
			arf_entry(body, len, rcpt, rep);
			found = 1;
		}
		i = e + 1;
	}
	if (!found)
		arf_entry(body, len, "", rep);
}
