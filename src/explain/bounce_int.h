/*
 * bounce_int.h — pieces of the bounce parser shared between its files.
 * Internal to src/explain/.
 */
#ifndef FERRY_EXPLAIN_BOUNCE_INT_H
#define FERRY_EXPLAIN_BOUNCE_INT_H

#include "explain/bounce.h"

struct bounce_family;

/* The human-readable part of a bounce, as the readers see it: the text up
 * to where the returned message starts, the top-level headers, and the
 * family that wrote it (NULL when unknown). */
struct bounce_text {
	const char *text; /* "" when the message has no text part */
	size_t len;
	const char *hdrs;
	size_t hlen;
	const char *msg; /* the whole message, for reports in attachments */
	size_t msglen;
	const char *from; /* the From: header's value */
	const struct bounce_family *family;
};

/* Entry for recipient (existing one with that address, else a new one);
 * NULL when the report is full. */
struct bounce_entry *bounce_entry_for(struct bounce_report *rep,
                                      const char *recipient);

/* Fills reply_code, status, command, reason and hard from diagnostic,
 * status and action, weighing the family's sentences first. */
void bounce_classify(struct bounce_entry *e, const struct bounce_family *fam);

/* The SMTP command a reply answered, from the way MTAs say so
 * ("in reply to RCPT TO command"); BOUNCE_CMD_UNKNOWN if not said. */
int bounce_command_in(const char *diag);

/* bounce_reason.c: the reason for one entry (codes already parsed). */
enum explain_reason bounce_reason(const struct bounce_family *fam,
                                  const struct bounce_entry *e);

/* dsn.c: RFC 3464 message/delivery-status body (LF line ends). */
void dsn_parse(const char *body, size_t len, struct bounce_report *rep);
/* dsn.c: RFC 5965 message/feedback-report body. */
void arf_parse(const char *body, size_t len, struct bounce_report *rep);

/* bounce_text.c: the generic reader of human-readable bounces: recipients
 * on lines of their own or in a sentence, their replies after them. */
void bounce_text_read(const struct bounce_text *t, struct bounce_report *rep);
/* Where the returned copy of the original message starts in text. */
size_t bounce_text_end(const char *text, size_t len,
                       const struct bounce_family *fam);
/* Fills reporting MTA, action and empty diagnostics of the entries. */
void bounce_text_finish(const struct bounce_text *t, const char *from,
                        struct bounce_report *rep);

/* Copies s (len bytes) into dst as one trimmed line, joining lines. */
void bounce_copy_line(char *dst, size_t dstsz, const char *s, size_t len);
/* Appends s as more text to the entry's diagnostic. */
void bounce_append_diag(struct bounce_entry *e, const char *s, size_t n);

#endif
