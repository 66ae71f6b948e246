/*
 * sendmail.c — Sendmail (V8 and the older V5): "The following addresses had
 * permanent fatal errors", then "----- Transcript of session follows -----"
 * where each remote exchange reads "While talking to host:", ">>> COMMAND",
 * "<<< reply", and each recipient "550 <address>... reason".  V8 adds a
 * delivery-status part; V5 has only the transcript, so the reader below
 * joins each recipient's line with the remote reply printed above it.
 */
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/families/families.h"
#include "explain/mime.h"

static const char *const headers[] = {
        "subject:returned mail:",
        NULL,
};
static const char *const body[] = {
        "following addresses had permanent fatal errors",
        "following addresses had transient non-fatal errors",
        "transcript of session follows",
        NULL,
};
static const char *const end[] = {
        "----- unsent message follows",
        "----- original message follows",
        "----- message header follows",
        NULL,
};
static const struct family_phrase phrases[] = {
        {"host unknown (name server", REASON_HOSTUNKNOWN},
        {"deferred: connection timed out", REASON_EXPIRED},
        {"cannot send message for", REASON_EXPIRED},
        {"message could not be delivered for", REASON_EXPIRED},
        {NULL, REASON_UNDEFINED},
};

struct transcript {
	char reply[BOUNCE_DIAG_MAX]; /* "<<< ..." lines since the last ">>>" */
	char bare[BOUNCE_DIAG_MAX];  /* "550 ..." lines naming no address */
	int command;
};

static void
add_line(char *buf, size_t bufsz, const char *l, size_t n)
{
	size_t o = strlen(buf);

	if (o + 2 >= bufsz)
		return;
	if (o > 0)
		buf[o++] = ' ';
	bounce_copy_line(buf + o, bufsz - o, l, n);
}

static int
command_of(const char *l, size_t n)
{
	if (n >= 4 && (strncasecmp(l, "mail", 4) == 0))
		return BOUNCE_CMD_MAIL;
	if (n >= 4 && strncasecmp(l, "rcpt", 4) == 0)
		return BOUNCE_CMD_RCPT;
	if (n >= 4 &&
	    (strncasecmp(l, "data", 4) == 0 || strncasecmp(l, ".", 1) == 0))
		return BOUNCE_CMD_DATA;
	if (n >= 4 &&
	    (strncasecmp(l, "helo", 4) == 0 || strncasecmp(l, "ehlo", 4) == 0))
		return BOUNCE_CMD_HELO;
	return BOUNCE_CMD_UNKNOWN;
}

/* "NNN <address>... text": the address, stored in addr; 1 if found. */
static int
recipient_line(const char *l, size_t n, char *addr, size_t addrsz, size_t *rest)
{
	const char *dots;
	size_t a = 0;

	if (n < 8 || l[0] < '2' || l[0] > '5' || l[3] != ' ')
		return 0;
	dots = mime_memcasemem(l, n, "... ");
	if (dots == NULL)
		return 0;
	a = 4;
	if (!memchr(l + a, '@', (size_t)(dots - l) - a) ||
	    !mime_address(l + a, (size_t)(dots - l) - a, addr, addrsz))
		return 0;
	*rest = (size_t)(dots - l) + 4;
	return 1;
}

static void
transcript_line(struct transcript *tr, const char *l, size_t n,
                struct bounce_report *rep)
{
	char addr[BOUNCE_FIELD_MAX];
	struct bounce_entry *e;
	size_t rest;

	if (n >= 4 && strncmp(l, ">>> ", 4) == 0) {
		tr->command = command_of(l + 4, n - 4);
		tr->reply[0] = '\0';
	} else if (n >= 4 && strncmp(l, "<<< ", 4) == 0) {
		add_line(tr->reply, sizeof(tr->reply), l + 4, n - 4);
	} else if (recipient_line(l, n, addr, sizeof(addr), &rest) &&
	           (e = bounce_entry_for(rep, addr)) != NULL) {
		/* "554 <addr>... 550 Host unknown": the inner code is the
		 * remote one, the outer Sendmail's own. */
		if (tr->reply[0] != '\0')
			bounce_append_diag(e, tr->reply, strlen(tr->reply));
		else if (!(l[rest] >= '2' && l[rest] <= '5' && n - rest > 3 &&
		           l[rest + 3] == ' '))
			bounce_append_diag(e, l, 4);
		bounce_append_diag(e, l + rest, n - rest);
		if (e->command == BOUNCE_CMD_UNKNOWN)
			e->command = tr->command;
		tr->reply[0] = '\0';
	} else if (n >= 16 && strncasecmp(l, "while talking to", 16) == 0) {
		tr->reply[0] = '\0';
		tr->command = BOUNCE_CMD_UNKNOWN;
	} else if (n > 4 && l[0] >= '4' && l[0] <= '5' && l[3] == ' ') {
		add_line(tr->bare, sizeof(tr->bare), l, n);
	}
}

static void
read_transcript(const struct bounce_text *t, struct bounce_report *rep)
{
	struct transcript tr = {"", "", BOUNCE_CMD_UNKNOWN};
	int i;
	const char *p = t->text, *stop = t->text + t->len, *nl;

	while (p < stop) {
		nl = memchr(p, '\n', (size_t)(stop - p));
		if (nl == NULL)
			nl = stop;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		transcript_line(&tr, p, (size_t)(nl - p), rep);
		p = nl + 1;
	}
	if (rep->nentries == 0)
		bounce_text_read(t, rep);
	/* Recipients listed above the transcript, their reply in it. */
	for (i = 0; tr.bare[0] != '\0' && i < rep->nentries; i++)
		if (strpbrk(rep->entries[i].diagnostic, "0123456789") == NULL)
			bounce_append_diag(&rep->entries[i], tr.bare,
			                   strlen(tr.bare));
}

const struct bounce_family family_sendmail = {
        .name = "sendmail",
        .headers = headers,
        .body = body,
        .end = end,
        .phrases = phrases,
        .read = read_transcript,
};
