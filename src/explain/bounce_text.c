/*
 * bounce_text.c — bounces without a delivery-status part.  The big MTAs
 * and providers write a fixed English sentence, then per recipient the
 * address on a line of its own (or "<address>:" followed by the reply),
 * then the returned message.  One reader covers them all: the format table
 * below only says how to recognise each format, where its copy of the
 * original message starts (nothing after that is read) and where the
 * reporting host is named.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/mime.h"

struct text_format {
	const char *name;
	const char *markers[4]; /* any one identifies the format */
};

/* clang-format off */
static const struct text_format formats[] = {
	{"qmail", {"qmail-send program", "this is the qmail", NULL}},
	{"exchange", {"delivery has failed to these recipients",
		"diagnostic information for administrators",
		"did not reach some or all of the intended recipients", NULL}},
	{"gmail", {"delivery to the following recipient",
		"google tried to deliver your message",
		"your message wasn't delivered to", NULL}},
	{"yahoo", {"sorry, we were unable to deliver your message", NULL}},
	{"sendmail", {"following addresses had permanent fatal errors",
		"transcript of session follows",
		"following addresses had transient non-fatal errors", NULL}},
	{"postfix", {"this is the mail system at host",
		"this is the postfix program", NULL}},
	{"exim", {"mail delivery software",
		"following address(es) failed", NULL}},
};

/* Where the returned copy of the original message begins. */
static const char *const end_markers[] = {
	"--- below this line is a copy of the message",
	"------ this is a copy of the message",
	"----- original message -----",
	"original message headers:",
	"----- transcript of session follows -----",
	"--- the header of the original message is following",
	"------- returned message --------",
	"----- the original message was received",
	NULL,
};

/* Sentences that introduce the remote reply, for formats that print it
 * apart from the recipient list (Gmail, Exchange). */
static const char *const reply_intros[] = {
	"the response from the remote server was:",
	"the error that the other server returned was:",
	"remote server returned",
	NULL,
};

/* Phrases that name the reporting host: the host follows. */
static const char *const mta_intros[] = {
	"this is the mail system at host ",
	"qmail-send program at ",
	"generating server: ",
	"reporting-mta: dns; ",
	NULL,
};
/* clang-format on */

static const struct text_format *
detect(const char *text, size_t len)
{
	size_t i, j;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		for (j = 0; j < 4 && formats[i].markers[j] != NULL; j++)
			if (mime_memcasemem(text, len, formats[i].markers[j]))
				return &formats[i];
	return NULL;
}

static size_t
body_end(const char *text, size_t len)
{
	const char *p;
	size_t end = len, i;

	for (i = 0; end_markers[i] != NULL; i++) {
		p = mime_memcasemem(text, end, end_markers[i]);
		if (p != NULL)
			end = (size_t)(p - text);
	}
	return end;
}

/* If the trimmed line is "<addr>", "addr", "<addr>:" (+ reply) or
 * "addr on <date>"/"addr (name)", stores the address and returns the
 * offset of the text after it (or len). Returns -1 otherwise. */
static long
address_line(const char *l, size_t len, char *addr, size_t addrsz)
{
	size_t i = 0, a;

	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < len && l[i] == '<')
		i++;
	a = i;
	while (i < len && l[i] != '>' && l[i] != ':' && l[i] != ' ' &&
	       l[i] != '\t')
		i++;
	if (i == a || !memchr(l + a, '@', i - a) ||
	    !mime_address(l + a, i - a, addr, addrsz) || strlen(addr) != i - a)
		return -1;
	if (i < len && l[i] == '>')
		i++;
	if (i < len && l[i] == ':')
		return (long)i + 1;
	if (i >= len)
		return (long)len;
	if (len - i >= 4 && strncmp(l + i, " on ", 4) == 0)
		return (long)len;
	if (len - i >= 2 && strncmp(l + i, " (", 2) == 0)
		return (long)len;
	return -1;
}

static void
append_diag(struct bounce_entry *e, const char *s, size_t n)
{
	size_t o = strlen(e->diagnostic);

	if (o > 0 && o + 1 < sizeof(e->diagnostic))
		e->diagnostic[o++] = ' ';
	bounce_copy_line(e->diagnostic + o, sizeof(e->diagnostic) - o, s, n);
}

/* The address-block reader shared by every text format. */
static void
read_blocks(const char *text, size_t len, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	struct bounce_entry *cur = NULL;
	size_t i = 0, e;
	long rest;

	while (i < len) {
		e = i;
		while (e < len && text[e] != '\n')
			e++;
		rest = address_line(text + i, e - i, addr, sizeof(addr));
		if (rest >= 0) {
			cur = bounce_entry_for(rep, addr);
			if (cur != NULL && (size_t)rest < e - i)
				append_diag(cur, text + i + rest,
				            e - i - (size_t)rest);
		} else if (e == i) {
			cur = NULL; /* blank line ends a block */
		} else if (cur != NULL) {
			append_diag(cur, text + i, e - i);
		}
		i = e + 1;
	}
}

/* Text after an intro sentence up to the next blank line. */
static int
reply_after_intro(const char *text, size_t len, char *out, size_t outsz)
{
	const char *p = NULL, *q, *end = text + len;
	size_t i;

	for (i = 0; reply_intros[i] != NULL && p == NULL; i++) {
		p = mime_memcasemem(text, len, reply_intros[i]);
		if (p != NULL)
			p += strlen(reply_intros[i]);
	}
	if (p == NULL)
		return 0;
	while (p < end && (*p == ' ' || *p == '\n'))
		p++;
	for (q = p; q < end && !(q[0] == '\n' && q + 1 < end && q[1] == '\n');
	     q++)
		;
	bounce_copy_line(out, outsz, p, (size_t)(q - p));
	return out[0] != '\0';
}

static void
find_mta(const char *text, size_t len, const char *from, char *out,
         size_t outsz)
{
	const char *p;
	size_t i, n;

	for (i = 0; mta_intros[i] != NULL; i++) {
		p = mime_memcasemem(text, len, mta_intros[i]);
		if (p == NULL)
			continue;
		p += strlen(mta_intros[i]);
		n = strcspn(p, " \n,<>()");
		while (n > 0 && p[n - 1] == '.')
			n--;
		if (n > 0 && n < outsz) {
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
	}
	p = strchr(from, '@');
	if (p != NULL)
		snprintf(out, outsz, "%.*s", (int)strcspn(p + 1, "> "), p + 1);
}

static void
finish_entries(const char *text, size_t len, const char *from,
               struct bounce_report *rep)
{
	char diag[BOUNCE_DIAG_MAX] = "", mta[BOUNCE_FIELD_MAX] = "";
	struct bounce_entry *e;
	int i;

	reply_after_intro(text, len, diag, sizeof(diag));
	find_mta(text, len, from, mta, sizeof(mta));
	for (i = 0; i < rep->nentries; i++) {
		e = &rep->entries[i];
		if (e->diagnostic[0] == '\0' ||
		    (diag[0] != '\0' && strstr(diag, e->recipient) != NULL))
			snprintf(e->diagnostic, sizeof(e->diagnostic), "%s",
			         diag);
		snprintf(e->reporting_mta, sizeof(e->reporting_mta), "%s", mta);
		if (mime_memcasemem(text, len, "delayed") ||
		    mime_memcasemem(text, len, "will retry") ||
		    mime_memcasemem(text, len, "non-fatal"))
			snprintf(e->action, sizeof(e->action), "delayed");
		else
			snprintf(e->action, sizeof(e->action), "failed");
		bounce_classify(e);
	}
}

/* Gmail's current form names the recipient only in a sentence. */
static void
sentence_recipient(const char *text, size_t len, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	const char *p = mime_memcasemem(text, len, "wasn't delivered to ");

	if (rep->nentries > 0 || p == NULL)
		return;
	p += strlen("wasn't delivered to ");
	if (mime_address(p, (size_t)(text + len - p), addr, sizeof(addr)))
		bounce_entry_for(rep, addr);
}

const char *
bounce_text_parse(const char *text, size_t len, const char *from,
                  struct bounce_report *rep)
{
	const struct text_format *f = detect(text, len);
	size_t end;

	if (f == NULL)
		return NULL;
	end = body_end(text, len);
	read_blocks(text, end, rep);
	sentence_recipient(text, end, rep);
	finish_entries(text, end, from, rep);
	return f->name;
}
