/*
 * bounce_int.h — pieces of the bounce parser shared between its files.
 * Internal to src/explain/.
 */
#ifndef FERRY_EXPLAIN_BOUNCE_INT_H
#define FERRY_EXPLAIN_BOUNCE_INT_H

#include "explain/bounce.h"

/* Entry for recipient (existing one with that address, else a new one);
 * NULL when the report is full. */
struct bounce_entry *bounce_entry_for(struct bounce_report *rep,
                                      const char *recipient);

/* Fills reply_code, status (if empty), reason and hard from diagnostic,
 * status and action. */
void bounce_classify(struct bounce_entry *e);

/* dsn.c: RFC 3464 message/delivery-status body (LF line ends). */
void dsn_parse(const char *body, size_t len, struct bounce_report *rep);
/* dsn.c: RFC 5965 message/feedback-report body. */
void arf_parse(const char *body, size_t len, struct bounce_report *rep);

/* bounce_text.c: plain-text bounce formats; returns the format name or
 * NULL when the text is not a recognised bounce. */
const char *bounce_text_parse(const char *text, size_t len, const char *from,
                              struct bounce_report *rep);

/* Copies s (len bytes) into dst as one trimmed line, joining lines. */
void bounce_copy_line(char *dst, size_t dstsz, const char *s, size_t len);

#endif
