/*
 * bounce_text.c — the generic reader of human-readable bounces.  Nearly
 * every MTA writes a sentence, then per recipient the address on a line of
 * its own ("<address>:", "address on <date>", "address [reason]",
 * "550 <address>... reply") followed by its reply, then the returned
 * message; or it names the one recipient in a sentence and prints the reply
 * below.  Families with another layout bring their own reader
 * (family.h); everything else goes through here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/family.h"
#include "explain/mime.h"

/* Where the returned copy of the original message begins, whoever wrote
 * it (a family adds its own). */
static const char *const end_markers[] = {
        "--- below this line is a copy of the message",
        "------ this is a copy of the message",
        "----- original message -----",
        "original message headers:",
        "--- the header of the original message is following",
        "------- returned message --------",
        "----- the original message was received",
        "original message follows",
        "message headers follow",
        "below is a copy of the original message",
        "unsent message follows",
        "----- returned mail follows",
        "--- original message follows",
        "content-type: message/rfc822",
        NULL,
};

/* Sentences that name the one recipient: the address follows. */
static const char *const rcpt_intros[] = {
        "wasn't delivered to ",
        "error delivering your mail to ",
        "could not be delivered to ",
        "delivery to the following recipient failed permanently: ",
        "your message to ",
        NULL,
};

/* Sentences that introduce the remote reply, for formats that print it
 * apart from the recipient list. */
static const char *const reply_intros[] = {
        "the response from the remote server was:",
        "the error that the other server returned was:",
        "remote server returned",
        "technical details of permanent failure:",
        "technical details of temporary failure:",
        NULL,
};

/* Phrases that name the reporting host: the host follows. */
static const char *const mta_intros[] = {
        "this is the mail system at host ",
        "qmail-send program at ",
        "generating server: ",
        "reporting-mta: dns; ",
        "mail agent v0.13 at ",
        NULL,
};

static const char *
find_any(const char *text, size_t len, const char *const *list, size_t *n)
{
	const char *p;
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++) {
		p = mime_memcasemem(text, len, list[i]);
		if (p != NULL) {
			*n = strlen(list[i]);
			return p;
		}
	}
	return NULL;
}

size_t
bounce_text_end(const char *text, size_t len, const struct bounce_family *fam)
{
	const char *p;
	size_t end = len, i;

	for (i = 0; end_markers[i] != NULL; i++) {
		p = mime_memcasemem(text, end, end_markers[i]);
		if (p != NULL)
			end = (size_t)(p - text);
	}
	for (i = 0; fam != NULL && fam->end != NULL && fam->end[i] != NULL;
	     i++) {
		p = mime_memcasemem(text, end, fam->end[i]);
		if (p != NULL)
			end = (size_t)(p - text);
	}
	return end;
}

/* An address at s[a..i) that is a whole mailbox, stored in addr. */
static int
address_at(const char *l, size_t a, size_t i, char *addr, size_t addrsz)
{
	return i > a && memchr(l + a, '@', i - a) &&
	       mime_address(l + a, i - a, addr, addrsz) &&
	       strlen(addr) == i - a;
}

static size_t
skip_code(const char *l, size_t len, size_t i)
{
	if (i + 4 <= len && l[i] >= '2' && l[i] <= '5' && l[i + 1] >= '0' &&
	    l[i + 1] <= '9' && l[i + 2] >= '0' && l[i + 2] <= '9' &&
	    l[i + 3] == ' ')
		return i + 4;
	return i;
}

/* Offset after indentation and a list bullet (">>> ", "-- ", "* "). */
static size_t
skip_bullet(const char *l, size_t len)
{
	static const char *const bullets[] = {">>> ", "-- ", "* ", "- "};
	size_t i = 0, b, n;

	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	for (b = 0; b < sizeof(bullets) / sizeof(bullets[0]); b++) {
		n = strlen(bullets[b]);
		if (len - i >= n && strncmp(l + i, bullets[b], n) == 0)
			return i + n;
	}
	return i;
}

/* If the trimmed line starts with a recipient address in one of the usual
 * layouts, stores it and returns the offset of the text that belongs to it
 * (or len); returns -1 otherwise.  *code is the offset of a leading reply
 * code ("550 <addr>... reply"), or -1. */
static long
address_line(const char *l, size_t len, char *addr, size_t addrsz, long *code)
{
	size_t i = 0, a, c;

	*code = -1;
	i = skip_bullet(l, len);
	c = skip_code(l, len, i);
	if (c != i)
		*code = (long)i;
	i = c;
	if (i < len && (l[i] == '<' || l[i] == '"'))
		i++;
	a = i;
	while (i < len && l[i] != '>' && l[i] != ':' && l[i] != ' ' &&
	       l[i] != '"' && l[i] != '\t' && l[i] != ',' &&
	       !(l[i] == '.' && i + 1 < len && l[i + 1] == '.'))
		i++;
	if (!address_at(l, a, i, addr, addrsz))
		return -1;
	if (i < len && (l[i] == '>' || l[i] == '"'))
		i++;
	if (i < len && l[i] == ':')
		return (long)i + 1;
	if (i >= len)
		return (long)len;
	if (len - i >= 3 && strncmp(l + i, "...", 3) == 0)
		return (long)i + 3;
	if (*code >= 0)
		return -1;
	if (len - i >= 4 && strncmp(l + i, " on ", 4) == 0)
		return (long)len;
	if (len - i >= 2 &&
	    (strncmp(l + i, " (", 2) == 0 || strncmp(l + i, " [", 2) == 0 ||
	     strncmp(l + i, " <", 2) == 0))
		return (long)i + 1;
	if (len - i >= 2 && l[i] == ',')
		return (long)i + 1;
	return -1;
}

/* "Some sentence: <address>" at the end of a line. */
static long
trailing_address(const char *l, size_t len, char *addr, size_t addrsz)
{
	size_t e = len, a;

	while (len > 0 && (*l == ' ' || *l == '\t')) {
		l++;
		len--;
		e--;
	}
	while (e > 0 && (l[e - 1] == ' ' || l[e - 1] == '>' || l[e - 1] == '.'))
		e--;
	a = e;
	while (a > 0 && l[a - 1] != ' ' && l[a - 1] != '<' && l[a - 1] != ':')
		a--;
	if (a < 4 || !address_at(l, a, e, addr, addrsz))
		return -1;
	while (a > 0 && (l[a - 1] == ' ' || l[a - 1] == '<'))
		a--;
	if (a == 0 || l[a - 1] != ':' || !memchr(l, ' ', a))
		return -1;
	return (long)a - 1;
}

void
bounce_append_diag(struct bounce_entry *e, const char *s, size_t n)
{
	size_t o = strlen(e->diagnostic);

	if (o > 0 && o + 1 < sizeof(e->diagnostic))
		e->diagnostic[o++] = ' ';
	if (o < sizeof(e->diagnostic))
		bounce_copy_line(e->diagnostic + o, sizeof(e->diagnostic) - o,
		                 s, n);
}

static struct bounce_entry *
line_entry(const char *l, size_t n, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	struct bounce_entry *e;
	long rest, code;

	rest = address_line(l, n, addr, sizeof(addr), &code);
	if (rest >= 0) {
		e = bounce_entry_for(rep, addr);
		if (e != NULL && code >= 0)
			bounce_append_diag(e, l + code, 4);
		if (e != NULL && (size_t)rest < n)
			bounce_append_diag(e, l + rest, n - (size_t)rest);
		return e;
	}
	rest = trailing_address(l, n, addr, sizeof(addr));
	if (rest < 0)
		return NULL;
	e = bounce_entry_for(rep, addr);
	if (e != NULL)
		bounce_append_diag(e, l, (size_t)rest);
	return e;
}

/* The address-block reader shared by the text formats. */
static void
read_blocks(const char *text, size_t len, struct bounce_report *rep)
{
	struct bounce_entry *cur = NULL, *e;
	size_t i = 0, end;

	while (i < len) {
		end = i;
		while (end < len && text[end] != '\n')
			end++;
		e = line_entry(text + i, end - i, rep);
		if (e != NULL)
			cur = e;
		else if (end == i)
			cur = NULL; /* blank line ends a block */
		else if (cur != NULL)
			bounce_append_diag(cur, text + i, end - i);
		i = end + 1;
	}
}

/* The recipient named in a sentence, with the text after that sentence
 * (up to the end of the report) as its reply. */
static void
sentence_recipient(const char *text, size_t len, struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	struct bounce_entry *e;
	const char *p, *nl;
	size_t n;

	if (rep->nentries > 0)
		return;
	p = find_any(text, len, rcpt_intros, &n);
	if (p == NULL)
		return;
	p += n;
	nl = memchr(p, '\n', (size_t)(text + len - p));
	if (nl == NULL)
		nl = text + len;
	if (!mime_address(p, (size_t)(nl - p), addr, sizeof(addr)))
		return;
	e = bounce_entry_for(rep, addr);
	if (e != NULL && nl < text + len)
		bounce_append_diag(e, nl + 1, (size_t)(text + len - nl - 1));
}

void
bounce_text_read(const struct bounce_text *t, struct bounce_report *rep)
{
	read_blocks(t->text, t->len, rep);
	sentence_recipient(t->text, t->len, rep);
}

/* Text after an intro sentence up to the next blank line. */
static int
reply_after_intro(const char *text, size_t len, char *out, size_t outsz)
{
	const char *p, *q, *end = text + len;
	size_t n;

	p = find_any(text, len, reply_intros, &n);
	if (p == NULL)
		return 0;
	p += n;
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
	size_t n;

	p = find_any(text, len, mta_intros, &n);
	if (p != NULL) {
		p += n;
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

void
bounce_text_finish(const struct bounce_text *t, const char *from,
                   struct bounce_report *rep)
{
	char diag[BOUNCE_DIAG_MAX] = "", mta[BOUNCE_FIELD_MAX] = "";
	struct bounce_entry *e;
	int i, delayed;

	reply_after_intro(t->text, t->len, diag, sizeof(diag));
	find_mta(t->text, t->len, from, mta, sizeof(mta));
	delayed = mime_memcasemem(t->text, t->len, "will retry") != NULL ||
	          mime_memcasemem(t->text, t->len, "non-fatal") != NULL ||
	          mime_memcasemem(t->text, t->len, "not yet been delivered") !=
	                  NULL;
	for (i = 0; i < rep->nentries; i++) {
		e = &rep->entries[i];
		if (e->diagnostic[0] == '\0' ||
		    (diag[0] != '\0' && strstr(diag, e->recipient) != NULL))
			snprintf(e->diagnostic, sizeof(e->diagnostic), "%s",
			         diag);
		if (e->reporting_mta[0] == '\0')
			snprintf(e->reporting_mta, sizeof(e->reporting_mta),
			         "%s", mta);
		if (e->action[0] == '\0')
			snprintf(e->action, sizeof(e->action), "%s",
			         delayed ? "delayed" : "failed");
	}
}
