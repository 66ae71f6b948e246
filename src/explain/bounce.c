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
#include "explain/charset.h"
#include "explain/explain_int.h"
#include "explain/family.h"
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
	char *html; /* first HTML body as text, when there is no plain one */
	size_t htmllen;
	char orig_to[BOUNCE_FIELD_MAX]; /* To: of an attached original */
};

static void walk_part(struct walk *w, const char *part, size_t len, int depth);
static void keep_text(struct walk *w, const char *body, size_t blen);

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

/* "smtp; 550 ..." -> diag_type "smtp" */
static void
split_diag_type(struct bounce_entry *e)
{
	size_t n = strcspn(e->diagnostic, ";");

	if (e->diag_type[0] != '\0' || e->diagnostic[n] != ';' || n == 0 ||
	    n >= sizeof(e->diag_type) ||
	    strchr(e->diagnostic, ' ') < e->diagnostic + n)
		return;
	memcpy(e->diag_type, e->diagnostic, n);
	e->diag_type[n] = '\0';
}

/* The command a reply answered, from the way MTAs say so. */
int
bounce_command_in(const char *diag)
{
	static const struct {
		const char *match;
		int cmd;
	} says[] = {
	        {"in reply to mail from", BOUNCE_CMD_MAIL},
	        {"after mail from", BOUNCE_CMD_MAIL},
	        {">>> mail from", BOUNCE_CMD_MAIL},
	        {"in reply to rcpt to", BOUNCE_CMD_RCPT},
	        {"after rcpt to", BOUNCE_CMD_RCPT},
	        {"in reply to end of data", BOUNCE_CMD_DATA},
	        {"after end of data", BOUNCE_CMD_DATA},
	        {"did not like our final data", BOUNCE_CMD_DATA},
	        {"in reply to ehlo", BOUNCE_CMD_HELO},
	        {"after initial connection", BOUNCE_CMD_HELO},
	        {"[rcpt_to]", BOUNCE_CMD_RCPT},
	        {"[mail_from]", BOUNCE_CMD_MAIL},
	        {"after rcpt command", BOUNCE_CMD_RCPT},
	        {"smtp:rcpt", BOUNCE_CMD_RCPT},
	        {"following rcpt command", BOUNCE_CMD_RCPT},
	        {"following data command", BOUNCE_CMD_DATA},
	        {"does not like recipient", BOUNCE_CMD_RCPT},
	        {"refused to talk to me", BOUNCE_CMD_HELO},
	        {"but sender was rejected", BOUNCE_CMD_MAIL},
	        {"in reply to helo", BOUNCE_CMD_HELO},
	        {"after ehlo", BOUNCE_CMD_HELO},
	        {"after helo", BOUNCE_CMD_HELO},
	};
	size_t i, n = strlen(diag);

	for (i = 0; i < sizeof(says) / sizeof(says[0]); i++)
		if (mime_memcasemem(diag, n, says[i].match) != NULL)
			return says[i].cmd;
	return BOUNCE_CMD_UNKNOWN;
}

/* Without an enhanced code in the message, the class is still known:
 * from the reply code, else from whether delivery was given up. */
static void
class_status(struct bounce_entry *e)
{
	int cls;

	if (e->status[0] != '\0' || e->reason == REASON_FEEDBACK ||
	    e->reason == REASON_VACATION)
		return;
	if (e->reply_code >= 200 && e->reply_code < 600)
		cls = e->reply_code / 100;
	else if (e->reason == REASON_DELIVERED)
		cls = 2;
	else
		cls = strncasecmp(e->action, "delayed", 7) == 0 ? 4 : 5;
	if (cls == 3)
		cls = 2;
	snprintf(e->status, sizeof(e->status), "%d.0.0", cls);
}

/* The failing reply in a diagnostic.  A session transcript quotes the
 * replies that went well too ("250 2.1.0 Ok"); the failure is the 4yz or
 * 5yz one. */
static void
failure_reply(const char *diag, struct explain_result *r)
{
	const char *p = diag;
	size_t n = strlen(diag);

	explain_reply(diag, n, r);
	while (r->basic != 0 && r->basic < 400 && *p != '\0') {
		p += strcspn(p, "45");
		if (*p == '\0')
			break;
		if ((p == diag || p[-1] == ' ' || p[-1] == ':') &&
		    p[1] >= '0' && p[1] <= '5' && p[2] >= '0' && p[2] <= '9' &&
		    (p[3] == ' ' || p[3] == '-')) {
			explain_reply(p, n - (size_t)(p - diag), r);
			return;
		}
		p++;
	}
}

/* A reply that quotes the recipient ("550 <a@b>: User unknown",
 * "550 a@b... No such user") answered RCPT TO: after DATA servers speak
 * about the message, not one address. */
static int
echoes_recipient(const struct bounce_entry *e)
{
	char q[BOUNCE_FIELD_MAX + 4];
	const char *reply = e->diagnostic, *p;
	size_t n = strlen(e->recipient), dl;

	if (n == 0)
		return 0;
	/* only the reply counts, not a list of addresses before it */
	for (p = e->diagnostic; *p != '\0'; p++)
		if (p[0] >= '4' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
		    p[2] >= '0' && p[2] <= '9' &&
		    (p[3] == ' ' || p[3] == '-') &&
		    (p == e->diagnostic || p[-1] == ' ' || p[-1] == ';')) {
			reply = p;
			break;
		}
	dl = strlen(reply);
	snprintf(q, sizeof(q), "<%s>", e->recipient);
	if (mime_memcasemem(reply, dl, q) != NULL)
		return 1;
	snprintf(q, sizeof(q), "%s...", e->recipient);
	return mime_memcasemem(reply, dl, q) != NULL;
}

/* A family's sentence may stand in the notice rather than in the quoted
 * reply ("The user(s) account is disabled." above a terse DSN).  With one
 * recipient it can only be about that one, and it outweighs what the
 * generic tables made of the reply. */
static void
notice_reason(struct bounce_entry *e, const struct bounce_text *t)
{
	char folded[BOUNCE_DIAG_MAX * 4];
	int r;

	if (!t->family->notice_says_why || t->family->phrases == NULL ||
	    e->reason == REASON_FEEDBACK || e->reason == REASON_VACATION ||
	    e->reason == REASON_DELIVERED)
		return;
	text_fold(folded, sizeof(folded), t->text, t->len);
	r = family_phrase_reason(t->family, folded);
	if (r < 0 || (enum explain_reason)r == e->reason)
		return;
	e->reason = (enum explain_reason)r;
	e->hard = explain_reason_is_hard(e->reason, e->status[0] == '4');
}

void
bounce_classify(struct bounce_entry *e, const struct bounce_family *fam)
{
	int delivered;
	struct explain_result r;

	if (e->reason == REASON_FEEDBACK || e->reason == REASON_VACATION)
		return;
	clean_status(e);
	split_diag_type(e);
	failure_reply(e->diagnostic, &r);
	delivered = e->status[0] == '2' ||
	            strncasecmp(e->action, "delivered", 9) == 0;
	if (e->reply_code == 0 && r.basic / 10 % 10 <= 5 &&
	    ((r.basic >= 400 && r.basic < 600) ||
	     (r.basic >= 200 && r.basic < 300 && delivered)))
		e->reply_code = r.basic;
	/* A code quoted in the reply is finer than an X.0.0 Status field. */
	if (r.enhanced[0] != '\0' && (r.enh_class != 2 || delivered) &&
	    (e->status[0] == '\0' || (strcmp(e->status + 1, ".0.0") == 0 &&
	                              e->status[0] - '0' == r.enh_class)))
		snprintf(e->status, sizeof(e->status), "%s", r.enhanced);
	/* A reply of the other class is not the one the status is about. */
	if (e->reply_code != 0 && e->status[0] != '\0' &&
	    e->status[0] - '0' != e->reply_code / 100)
		e->reply_code = 0;
	if (e->command == BOUNCE_CMD_UNKNOWN)
		e->command = bounce_command_in(e->diagnostic);
	if (e->command == BOUNCE_CMD_UNKNOWN && echoes_recipient(e))
		e->command = BOUNCE_CMD_RCPT;
	e->reason = bounce_reason(fam, e);
	class_status(e);
	e->hard = explain_reason_is_hard(e->reason, e->status[0] == '4');
}

/* Broken MIME: the boundary parameter is missing or does not match the
 * parts.  The first "--something" line of the body is taken as the
 * delimiter, as a reader would. */
static const char *
guess_delimiter(const char *body, size_t blen, char *delim, size_t dsz,
                size_t *dlen)
{
	const char *p = body, *end = body + blen, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n > 3 && n < dsz && p[0] == '-' && p[1] == '-' &&
		    p[2] != ' ' && memchr(p, ' ', n) == NULL) {
			memcpy(delim, p, n);
			delim[n] = '\0';
			*dlen = n;
			return p;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

static void
walk_multipart(struct walk *w, const char *ctype, const char *body, size_t blen,
               int depth)
{
	char boundary[256], delim[260];
	const char *p, *end = body + blen, *next;
	size_t dlen;

	if (!mime_param(ctype, "boundary", boundary, sizeof(boundary)))
		boundary[0] = '\0';
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	p = boundary[0] ? memmem(body, blen, delim, dlen) : NULL;
	if (p == NULL)
		p = guess_delimiter(body, blen, delim, sizeof(delim), &dlen);
	if (p == NULL) /* no parts at all: read it as the text it is */
		keep_text(w, body, blen);
	while (p != NULL && w->parts < MAX_PARTS) {
		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return; /* closing delimiter */
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			return;
		p++;
		next = memmem(p, (size_t)(end - p), delim, dlen);
		walk_part(w, p, (size_t)((next ? next : end) - p), depth + 1);
		p = next;
	}
}

/* The text of an HTML part: tags dropped, <br> and block ends as line
 * breaks, the common entities decoded.  Caller frees. */
static char *
html_to_text(const char *s, size_t len, size_t *outlen)
{
	static const struct {
		const char *ent, *ch;
	} ents[] = {{"&lt;", "<"},    {"&gt;", ">"},   {"&amp;", "&"},
	            {"&quot;", "\""}, {"&nbsp;", " "}, {"&#39;", "'"}};
	char *out = malloc(len + 1);
	size_t i = 0, o = 0, k, n;

	if (out == NULL)
		return NULL;
	while (i < len) {
		if (s[i] == '<') {
			n = strncasecmp(s + i, "<br", 3) == 0 ||
			    strncasecmp(s + i, "</p", 3) == 0 ||
			    strncasecmp(s + i, "</div", 5) == 0 ||
			    strncasecmp(s + i, "</tr", 4) == 0;
			while (i < len && s[i] != '>')
				i++;
			i++;
			if (n)
				out[o++] = '\n';
			continue;
		}
		for (k = 0; s[i] == '&' && k < sizeof(ents) / sizeof(ents[0]);
		     k++) {
			n = strlen(ents[k].ent);
			if (len - i >= n &&
			    strncasecmp(s + i, ents[k].ent, n) == 0)
				break;
		}
		if (s[i] == '&' && k < sizeof(ents) / sizeof(ents[0])) {
			out[o++] = ents[k].ch[0];
			i += strlen(ents[k].ent);
			continue;
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
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
	} else if (strcmp(type, "text/html") == 0 && w->html == NULL) {
		w->html = html_to_text(body, blen, &w->htmllen);
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

/* A text part in its charset as UTF-8 (NULL: use it as it is).  Without
 * a charset parameter, ISO-2022-JP's escape sequence still gives it away
 * (Japanese carriers' notices often omit it). */
static char *
text_as_utf8(const char *ctype, const char *type, const char *body, size_t blen,
             size_t *ulen)
{
	char cs[64] = "";

	if (type[0] != '\0' && strncmp(type, "text/", 5) != 0)
		return NULL;
	if (!mime_param(ctype, "charset", cs, sizeof(cs)) &&
	    memmem(body, blen, "\x1b$B", 3) != NULL)
		snprintf(cs, sizeof(cs), "ISO-2022-JP");
	return charset_to_utf8(cs, body, blen, ulen);
}

static void
walk_part(struct walk *w, const char *part, size_t len, int depth)
{
	char ctype[512] = "", type[128], cte[64] = "";
	const char *body;
	size_t hlen, blen, dlen, ulen;
	char *decoded, *utf8;

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
	if (decoded != NULL) {
		body = decoded;
		blen = dlen;
	}
	utf8 = text_as_utf8(ctype, type, body, blen, &ulen);
	if (utf8 != NULL)
		walk_leaf(w, type, part, hlen, utf8, ulen, depth);
	else
		walk_leaf(w, type, part, hlen, body, blen, depth);
	free(utf8);
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
	if (mime_header(hdrs, hlen, "Subject", v, sizeof(v))) {
		char subj[BOUNCE_FIELD_MAX];

		charset_decode_words(v, subj, sizeof(subj));
		bounce_copy_line(e->diagnostic, sizeof(e->diagnostic), subj,
		                 strlen(subj));
	}
	snprintf(e->action, sizeof(e->action), "auto-replied");
	e->reason = REASON_VACATION;
	rep->format = "autoreply";
}

static int
from_mailer_daemon(const char *from)
{
	size_t n = strlen(from);

	return mime_memcasemem(from, n, "mailer-daemon") != NULL ||
	       mime_memcasemem(from, n, "postmaster") != NULL ||
	       mime_memcasemem(from, n, "mail delivery") != NULL;
}

/* A message no family claims is still read as a bounce when its sender or
 * subject says it is one. */
static int
looks_like_bounce(const char *hdrs, size_t hlen, const char *from)
{
	static const char *const subjects[] = {
	        "undeliver", "delivery", "returned mail",  "failure",
	        "failed",    "bounce",   "not delivered",  "error",
	        "rejected",  "warning",  "nondeliverable", "non-deliverable",
	};
	char raw[BOUNCE_FIELD_MAX], subj[BOUNCE_FIELD_MAX];
	size_t i;

	if (from_mailer_daemon(from))
		return 1;
	if (!mime_header(hdrs, hlen, "Subject", raw, sizeof(raw)))
		return 0;
	charset_decode_words(raw, subj, sizeof(subj));
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		if (mime_memcasemem(subj, strlen(subj), subjects[i]) != NULL)
			return 1;
	return 0;
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

/* RFC 3464 fields printed inside the text rather than in their own part;
 * 1 if they named a recipient. */
static int
embedded_dsn(const char *text, size_t len, struct bounce_report *rep)
{
	const char *p = mime_memcasemem(text, len, "\nfinal-recipient:");
	const char *start = mime_memcasemem(text, len, "\nreporting-mta:");

	if (p == NULL)
		return 0;
	if (start == NULL || start > p)
		start = p;
	dsn_parse(start + 1, (size_t)(text + len - start - 1), rep);
	return rep->nentries > 0;
}

/* The addresses an MTA lists in X-Failed-Recipients (Exim, Gmail). */
static void
failed_recipients(const char *hdrs, size_t hlen, struct bounce_report *rep)
{
	char v[BOUNCE_DIAG_MAX], addr[BOUNCE_FIELD_MAX];
	const char *p;
	size_t n;

	if (!mime_header(hdrs, hlen, "X-Failed-Recipients", v, sizeof(v)))
		return;
	for (p = v; *p != '\0'; p += n + (p[n] != '\0')) {
		n = strcspn(p, ",");
		if (mime_address(p, n, addr, sizeof(addr)))
			bounce_entry_for(rep, addr);
	}
}

static void
read_text(struct walk *w, const struct bounce_text *t, const char *from,
          struct bounce_report *rep)
{
	const struct bounce_family *fam = t->family;

	if (fam != NULL && fam->read != NULL)
		fam->read(t, rep);
	else
		bounce_text_read(t, rep);
	if (rep->nentries == 0)
		failed_recipients(t->hdrs, t->hlen, rep);
	bounce_text_finish(t, from, rep);
}

static const struct bounce_entry *
same_recipient(const struct bounce_report *text, const struct bounce_entry *e,
               int only)
{
	int i;

	for (i = 0; i < text->nentries; i++)
		if (strcasecmp(text->entries[i].recipient, e->recipient) == 0)
			return &text->entries[i];
	/* One recipient on each side: the same one, rewritten on the way. */
	return only && text->nentries == 1 ? &text->entries[0] : NULL;
}

/* A diagnostic that is only a type ("smtp;") says nothing. */
static int
empty_diagnostic(const char *d)
{
	const char *semi = strchr(d, ';');

	if (semi == NULL)
		return d[0] == '\0';
	for (semi++; *semi == ' '; semi++)
		;
	return *semi == '\0';
}

/* The delivery-status fields are exact but often terse; the notice beside
 * them quotes the remote reply and names the SMTP command.  Fills what
 * the fields left out from the text's entry for the same recipient. */
static void
merge_text(struct walk *w, const struct bounce_text *t, const char *from)
{
	struct bounce_report *text = calloc(1, sizeof(*text));
	const struct bounce_entry *s;
	struct bounce_entry *e;
	int i;

	if (text == NULL)
		return;
	read_text(w, t, from, text);
	for (i = 0; i < w->rep->nentries; i++) {
		e = &w->rep->entries[i];
		s = same_recipient(text, e, w->rep->nentries == 1);
		if (s == NULL)
			continue;
		if (empty_diagnostic(e->diagnostic) && s->diagnostic[0])
			bounce_copy_line(e->diagnostic, sizeof(e->diagnostic),
			                 s->diagnostic, strlen(s->diagnostic));
		if (e->command == BOUNCE_CMD_UNKNOWN)
			e->command = bounce_command_in(s->diagnostic);
	}
	free(text);
}

static const char *
format_name(const struct walk *w, const struct bounce_family *fam)
{
	if (w->arf)
		return "arf";
	if (fam != NULL)
		return fam->name;
	if (w->dsn)
		return "rfc3464";
	return w->rep->nentries > 0 ? "text" : "unknown";
}

static void
parse_normalized(const char *msg, size_t len, struct bounce_report *rep)
{
	struct walk w;
	struct bounce_text t;
	char from[BOUNCE_FIELD_MAX] = "";
	const char *body;
	size_t hlen, blen;
	int i;

	memset(&w, 0, sizeof(w));
	w.rep = rep;
	walk_part(&w, msg, len, 0);
	if (w.text == NULL && w.html != NULL) {
		w.text = w.html;
		w.textlen = w.htmllen;
		w.html = NULL;
	}
	mime_split(msg, len, &hlen, &body, &blen);
	mime_header(msg, hlen, "From", from, sizeof(from));
	memset(&t, 0, sizeof(t));
	t.hdrs = msg;
	t.hlen = hlen;
	t.msg = msg;
	t.msglen = len;
	t.from = from;
	t.family = family_detect(msg, hlen, w.text, w.textlen);
	t.text = "";
	if (w.text != NULL) {
		t.text = w.text;
		t.len = bounce_text_end(w.text, w.textlen, t.family);
	}
	if (w.arf)
		finish_arf(&w);
	else if (w.text == NULL && t.family != NULL && t.family->read != NULL)
		t.family->read(&t, rep); /* a report with no text part */
	else if (w.text != NULL &&
	         (t.family != NULL || looks_like_bounce(msg, hlen, from))) {
		if (rep->nentries == 0)
			w.dsn = embedded_dsn(w.text, w.textlen, rep);
		if (w.dsn)
			merge_text(&w, &t, from);
		else
			read_text(&w, &t, from, rep);
	}
	/* Bounces carry Auto-Submitted too; only a reply from a person's
	 * address that is not a recognised bounce is a vacation notice. */
	if (!w.dsn && !w.arf && rep->nentries == 0 &&
	    is_auto_reply(msg, hlen) && !from_mailer_daemon(from))
		add_vacation(rep, msg, hlen);
	for (i = 0; i < rep->nentries; i++)
		bounce_classify(&rep->entries[i], t.family);
	if (rep->nentries == 1 && t.family != NULL && t.len > 0)
		notice_reason(&rep->entries[0], &t);
	rep->format = format_name(&w, t.family);
	free(w.text);
	free(w.html);
}
/* Length of the "From sender date" line a message saved from an mbox
 * starts with (not a header: no colon after the first word). */
static size_t
mbox_separator(const char *msg, size_t len)
{
	const char *nl;

	if (len < 5 || strncmp(msg, "From ", 5) != 0)
		return 0;
	nl = memchr(msg, '\n', len);
	return nl != NULL ? (size_t)(nl - msg) + 1 : 0;
}

int
bounce_parse(const char *msg, size_t len, struct bounce_report *rep)
{
	char *norm;
	size_t nlen, skip;

	memset(rep, 0, sizeof(*rep));
	if (len > MAX_MESSAGE)
		len = MAX_MESSAGE;
	norm = mime_normalize(msg, len, &nlen);
	if (norm != NULL) {
		skip = mbox_separator(norm, nlen);
		parse_normalized(norm + skip, nlen - skip, rep);
		free(norm);
	}
	if (rep->format == NULL)
		rep->format = "unknown";
	return rep->nentries;
}
