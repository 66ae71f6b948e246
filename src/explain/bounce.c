/*
 * bounce.c — top level of the bounce parser: normalise line ends, walk the
 * MIME tree (multipart, nested and forwarded messages, encoded parts), and
 * pick the best evidence: a delivery-status part, then a feedback report,
 * then auto-reply headers, then the plain-text formats of bounce_text.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/explain_int.h"
#include "explain/mime.h"

#define MAX_DEPTH 8
#define MAX_PARTS 256
#define MAX_MESSAGE ((size_t)8 * 1024 * 1024)

struct walk {
	struct bounce_report *rep;
	int parts;
	int dsn, arf;
	char *text; /* first plain-text body seen (owned) */
	size_t textlen;
	char orig_to[BOUNCE_FIELD_MAX]; /* To: of an attached original */
};

static void walk_part(struct walk *w, const char *part, size_t len, int depth);

struct bounce_entry *
bounce_entry_for(struct bounce_report *rep, const char *recipient)
{
	struct bounce_entry *e;
	int i;

	for (i = 0; i < rep->nentries; i++)
		if (strcasecmp(rep->entries[i].recipient, recipient) == 0)
			return &rep->entries[i];
	if (rep->nentries >= BOUNCE_MAX_ENTRIES)
		return NULL;
	e = &rep->entries[rep->nentries++];
	memset(e, 0, sizeof(*e));
	snprintf(e->recipient, sizeof(e->recipient), "%s", recipient);
	return e;
}

void
bounce_copy_line(char *dst, size_t dstsz, const char *s, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 1 < dstsz; i++) {
		char c = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' '
		                                                      : s[i];
		if ((unsigned char)c < 0x20)
			c = ' ';
		if (c == ' ' && (o == 0 || dst[o - 1] == ' '))
			continue;
		dst[o++] = c;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Keeps only a valid enhanced code in e->status. */
static void
clean_status(struct bounce_entry *e)
{
	size_t n = strcspn(e->status, " ;(\t");
	int c, s, d;

	if (!enhanced_parse(e->status, n, &c, &s, &d))
		n = 0;
	e->status[n] = '\0';
}

void
bounce_classify(struct bounce_entry *e)
{
	struct explain_result r;
	int delayed = strncasecmp(e->action, "delayed", 7) == 0;

	clean_status(e);
	explain_reply(e->diagnostic, strlen(e->diagnostic), &r);
	e->reply_code = r.basic;
	if (e->status[0] == '\0' && r.enhanced[0] != '\0')
		snprintf(e->status, sizeof(e->status), "%s", r.enhanced);
	/* The DSN's own Status wins over a code quoted in the text. */
	if (e->status[0] != '\0' && strcmp(e->status, r.enhanced) != 0) {
		char prov[sizeof(r.provider)];

		memcpy(prov, r.provider, sizeof(prov));
		explain_parts(r.basic, e->status, r.text, &r);
		if (r.provider[0] == '\0')
			memcpy(r.provider, prov, sizeof(prov));
	}
	if (r.permanence == PERM_UNKNOWN && !delayed &&
	    strncasecmp(e->action, "failed", 6) == 0)
		r.permanence = PERM_PERMANENT;
	e->reason = r.reason;
	e->hard = !delayed && explain_is_hard(&r);
}

static void
walk_multipart(struct walk *w, const char *ctype, const char *body, size_t blen,
               int depth)
{
	char boundary[256], delim[260];
	const char *p, *end = body + blen, *next;
	size_t dlen;

	if (!mime_param(ctype, "boundary", boundary, sizeof(boundary)))
		return;
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	p = mime_memcasemem(body, blen, delim);
	while (p != NULL && w->parts < MAX_PARTS) {
		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return; /* closing delimiter */
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			return;
		p++;
		next = mime_memcasemem(p, (size_t)(end - p), delim);
		walk_part(w, p, (size_t)((next ? next : end) - p), depth + 1);
		p = next;
	}
}

static void
keep_text(struct walk *w, const char *body, size_t blen)
{
	if (w->text != NULL || blen == 0)
		return;
	w->text = malloc(blen + 1);
	if (w->text == NULL)
		return;
	memcpy(w->text, body, blen);
	w->text[blen] = '\0';
	w->textlen = blen;
}

static void
walk_leaf(struct walk *w, const char *type, const char *hdrs, size_t hlen,
          const char *body, size_t blen, int depth)
{
	if (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) {
		w->dsn = 1;
		dsn_parse(body, blen, w->rep);
	} else if (strcmp(type, "message/feedback-report") == 0) {
		w->arf = 1;
		arf_parse(body, blen, w->rep);
	} else if (strcmp(type, "message/rfc822") == 0 ||
	           strcmp(type, "message/global") == 0) {
		walk_part(w, body, blen, depth + 1);
	} else if (strcmp(type, "text/rfc822-headers") == 0 ||
	           strcmp(type, "message/global-headers") == 0) {
		if (w->orig_to[0] == '\0') {
			char v[BOUNCE_FIELD_MAX];
			if (mime_header(body, blen, "To", v, sizeof(v)))
				mime_address(v, strlen(v), w->orig_to,
				             sizeof(w->orig_to));
		}
	} else if (type[0] == '\0' || strcmp(type, "text/plain") == 0) {
		keep_text(w, body, blen);
	}
	(void)hdrs;
	(void)hlen;
}

static void
note_original_to(struct walk *w, const char *hdrs, size_t hlen, int depth)
{
	char v[BOUNCE_FIELD_MAX];

	if (depth == 0 || w->orig_to[0] != '\0')
		return;
	if (mime_header(hdrs, hlen, "To", v, sizeof(v)))
		mime_address(v, strlen(v), w->orig_to, sizeof(w->orig_to));
}

static void
walk_part(struct walk *w, const char *part, size_t len, int depth)
{
	char ctype[512] = "", type[128], cte[64] = "";
	const char *body;
	size_t hlen, blen, dlen;
	char *decoded;

	if (depth > MAX_DEPTH || ++w->parts > MAX_PARTS)
		return;
	mime_split(part, len, &hlen, &body, &blen);
	mime_header(part, hlen, "Content-Type", ctype, sizeof(ctype));
	mime_header(part, hlen, "Content-Transfer-Encoding", cte, sizeof(cte));
	mime_type(ctype, type, sizeof(type));
	note_original_to(w, part, hlen, depth);
	if (strncmp(type, "multipart/", 10) == 0) {
		walk_multipart(w, ctype, body, blen, depth);
		return;
	}
	decoded = mime_decode(cte, body, blen, &dlen);
	if (decoded != NULL)
		walk_leaf(w, type, part, hlen, decoded, dlen, depth);
	else
		walk_leaf(w, type, part, hlen, body, blen, depth);
	free(decoded);
}

/* RFC 3834 auto-replies and the de-facto headers of older responders. */
static int
is_auto_reply(const char *hdrs, size_t hlen)
{
	char v[BOUNCE_FIELD_MAX];

	if (mime_header(hdrs, hlen, "Auto-Submitted", v, sizeof(v)) &&
	    strncasecmp(v, "auto-replied", 12) == 0)
		return 1;
	if (mime_header(hdrs, hlen, "X-Autoreply", v, sizeof(v)) ||
	    mime_header(hdrs, hlen, "X-Autorespond", v, sizeof(v)))
		return 1;
	if (mime_header(hdrs, hlen, "Precedence", v, sizeof(v)) &&
	    strcasecmp(v, "auto_reply") == 0)
		return 1;
	if (mime_header(hdrs, hlen, "Subject", v, sizeof(v)) &&
	    (strncasecmp(v, "Auto:", 5) == 0 ||
	     strncasecmp(v, "Automatic reply", 15) == 0 ||
	     strncasecmp(v, "Out of Office", 13) == 0))
		return 1;
	return 0;
}

static void
add_vacation(struct bounce_report *rep, const char *hdrs, size_t hlen)
{
	char from[BOUNCE_FIELD_MAX] = "", v[BOUNCE_FIELD_MAX];
	struct bounce_entry *e;

	if (mime_header(hdrs, hlen, "From", v, sizeof(v)))
		mime_address(v, strlen(v), from, sizeof(from));
	e = bounce_entry_for(rep, from);
	if (e == NULL)
		return;
	if (mime_header(hdrs, hlen, "Subject", v, sizeof(v)))
		bounce_copy_line(e->diagnostic, sizeof(e->diagnostic), v,
		                 strlen(v));
	snprintf(e->action, sizeof(e->action), "auto-replied");
	e->reason = REASON_VACATION;
	rep->format = "autoreply";
}

static int
from_mailer_daemon(const char *from)
{
	size_t n = strlen(from);

	return mime_memcasemem(from, n, "mailer-daemon") != NULL ||
	       mime_memcasemem(from, n, "postmaster") != NULL;
}

static void
finish_arf(struct walk *w)
{
	int i;

	for (i = 0; i < w->rep->nentries; i++)
		if (w->rep->entries[i].recipient[0] == '\0')
			snprintf(w->rep->entries[i].recipient,
			         sizeof(w->rep->entries[i].recipient), "%s",
			         w->orig_to);
}

static void
parse_normalized(const char *msg, size_t len, struct bounce_report *rep)
{
	struct walk w;
	char from[BOUNCE_FIELD_MAX] = "";
	const char *body;
	size_t hlen, blen;

	memset(&w, 0, sizeof(w));
	w.rep = rep;
	walk_part(&w, msg, len, 0);
	mime_split(msg, len, &hlen, &body, &blen);
	mime_header(msg, hlen, "From", from, sizeof(from));
	if (w.arf)
		finish_arf(&w);
	else if (!w.dsn && w.text != NULL)
		rep->format = bounce_text_parse(w.text, w.textlen, from, rep);
	/* Bounces carry Auto-Submitted too; only a reply from a person's
	 * address that is not a recognised bounce is a vacation notice. */
	if (!w.dsn && !w.arf && rep->nentries == 0 &&
	    is_auto_reply(msg, hlen) && !from_mailer_daemon(from))
		add_vacation(rep, msg, hlen);
	free(w.text);
}

int
bounce_parse(const char *msg, size_t len, struct bounce_report *rep)
{
	char *norm;
	size_t nlen;

	memset(rep, 0, sizeof(*rep));
	if (len > MAX_MESSAGE)
		len = MAX_MESSAGE;
	norm = mime_normalize(msg, len, &nlen);
	if (norm != NULL) {
		parse_normalized(norm, nlen, rep);
		free(norm);
	}
	if (rep->format == NULL)
		rep->format = rep->nentries > 0 ? "rfc3464" : "unknown";
	return rep->nentries;
}
