/*
 * dsn_build.c — assemble the report: the three parts are rendered first,
 * then a boundary is chosen that none of them contains, then the message
 * header and the MIME framing are written around them (RFC 6522).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn/dsn.h"
#include "dsn/dsn_int.h"

#define BOUNDARY_MAX 64
#define HOST_MAX 253
#define QID_MAX 64

struct dsn_parts {
	struct dsn_buf human, status, original;
	struct dsn_orig_plan plan;
	bool utf8;
	char boundary[BOUNDARY_MAX];
};

static bool
contains(const struct dsn_buf *b, const char *needle)
{
	return b->len > 0 && memmem(b->p, b->len, needle, strlen(needle));
}

/* "=_" cannot occur in quoted-printable text; the random part makes a
 * collision with anything else unlikely, and the check makes it
 * impossible. */
static void
pick_boundary(struct dsn_parts *p)
{
	char hex[2 * 12 + 1];
	unsigned n;

	for (n = 0;; n++) {
		dsn_random_hex(hex, 12);
		snprintf(p->boundary, sizeof(p->boundary), "=_ferry_%s_%u", hex,
		         n);
		if (!contains(&p->human, p->boundary) &&
		    !contains(&p->status, p->boundary) &&
		    !contains(&p->original, p->boundary))
			return;
	}
}

static const char *
subject(const struct dsn_report *r)
{
	if (dsn_any_action(r, DSN_ACTION_FAILED))
		return "Undelivered Mail Returned to Sender";
	if (dsn_any_action(r, DSN_ACTION_DELAYED))
		return "Delayed Mail (still being retried)";
	return "Successful Mail Delivery Report";
}

/* To: the original sender, or an empty group for the null sender.  The
 * address keeps valid UTF-8 (RFC 6532); angle brackets are dropped so
 * the value stays one angle-addr. */
static void
to_field(struct dsn_buf *b, const char *sender)
{
	char *v = dsn_clean_text(sender, false), *p, *q;
	struct dsn_buf f = {0};

	for (p = q = v; *p != '\0'; p++)
		if (*p != '<' && *p != '>' && *p != ' ')
			*q++ = *p;
	*q = '\0';
	if (v[0] == '\0')
		dsn_buf_puts(&f, "undisclosed-recipients:;");
	else
		dsn_buf_printf(&f, "<%s>", v);
	dsn_field(b, "To", f.p);
	dsn_buf_free(&f);
	free(v);
}

static void
message_header(struct dsn_buf *b, const struct dsn_report *r,
               const struct dsn_parts *p)
{
	char *host = dsn_clean_token(r->reporting_mta, ".-", "localhost");
	char *qid = dsn_clean_token(r->queue_id, "", "dsn");
	char date[DSN_DATE_LEN], rnd[2 * 8 + 1];
	struct dsn_buf f = {0};

	/* A DNS name has at most 253 octets; a queue id is short.  Longer
	 * values are cut so From: and Message-ID: stay one short line. */
	if (strlen(host) > HOST_MAX)
		host[HOST_MAX] = '\0';
	if (strlen(qid) > QID_MAX)
		qid[QID_MAX] = '\0';
	dsn_buf_printf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	               host);
	to_field(b, r->original_sender);
	dsn_field(b, "Subject", subject(r));
	rfc5322_date(r->now, date);
	dsn_field(b, "Date", date);
	dsn_random_hex(rnd, 8);
	dsn_buf_printf(&f, "<%s.%lld.%s@%s>", qid, (long long)r->now, rnd,
	               host);
	dsn_field(b, "Message-ID", f.p);
	dsn_field(b, "Auto-Submitted", "auto-replied");
	dsn_field(b, "MIME-Version", "1.0");
	f.len = 0;
	dsn_buf_printf(&f,
	               "multipart/report; report-type=delivery-status; "
	               "boundary=\"%s\"",
	               p->boundary);
	dsn_field(b, "Content-Type", f.p);
	if (p->utf8 || p->plan.eightbit)
		dsn_field(b, "Content-Transfer-Encoding", "8bit");
	dsn_buf_add(b, "\r\n", 2);
	dsn_buf_free(&f);
	free(qid);
	free(host);
}

static void
part(struct dsn_buf *b, const char *boundary, const char *description,
     const char *type, bool eightbit, const struct dsn_buf *body)
{
	dsn_buf_printf(b, "--%s\r\n", boundary);
	dsn_field(b, "Content-Description", description);
	dsn_field(b, "Content-Type", type);
	if (eightbit)
		dsn_field(b, "Content-Transfer-Encoding", "8bit");
	dsn_buf_add(b, "\r\n", 2);
	dsn_buf_add(b, body->p, body->len);
	/* The CRLF before a delimiter belongs to the delimiter (RFC 2046
	 * s5.1.1); this one keeps the body's last line end. */
	dsn_buf_add(b, "\r\n", 2);
}

static void
body(struct dsn_buf *b, const struct dsn_parts *p)
{
	bool full = p->plan.mode == DSN_ORIG_FULL;

	dsn_wrap(b, "This is a delivery status notification in MIME format.", 0,
	         0);
	dsn_buf_add(b, "\r\n", 2);
	part(b, p->boundary, "Notification",
	     p->utf8 ? "text/plain; charset=utf-8"
	             : "text/plain; charset=us-ascii",
	     p->utf8, &p->human);
	part(b, p->boundary, "Delivery report", "message/delivery-status",
	     false, &p->status);
	part(b, p->boundary, full ? "Undelivered message" : "Message headers",
	     full ? "message/rfc822" : "text/rfc822-headers", p->plan.eightbit,
	     &p->original);
	dsn_buf_printf(b, "--%s--\r\n", p->boundary);
}

char *
dsn_build(const struct dsn_report *r, const char *orig, size_t origlen,
          size_t *len_r)
{
	struct dsn_parts p;
	struct dsn_buf out = {0};

	memset(&p, 0, sizeof(p));
	if (orig == NULL)
		origlen = 0;
	dsn_orig_plan(r, orig, origlen, &p.plan);
	dsn_human_part(&p.human, r, &p.plan, &p.utf8);
	dsn_status_part(&p.status, r);
	dsn_orig_part(&p.original, orig, origlen, &p.plan);
	pick_boundary(&p);
	message_header(&out, r, &p);
	body(&out, &p);
	dsn_buf_free(&p.human);
	dsn_buf_free(&p.status);
	dsn_buf_free(&p.original);
	*len_r = out.len;
	return out.p;
}
