/*
 * reply_parse — reading SMTP replies as a client (RFC 5321 s4.2): lines of
 * "NNN-text" ending with "NNN text", the enhanced status code (RFC 2034)
 * when the text starts with one, and limits on line length and count so a
 * hostile server cannot make the client hold unbounded text.
 *
 * Pure: lines in, one reply out.
 */
#ifndef FERRY_RELAY_REPLY_PARSE_H
#define FERRY_RELAY_REPLY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_TEXT_MAX 2048
#define REPLY_LINES_MAX 100

struct reply_acc {
	int code;
	char enhanced[16];
	char text[REPLY_TEXT_MAX]; /* "550 5.1.1 text more text" */
	size_t len;
	int lines;
	bool complete;
};

enum reply_line_status {
	REPLY_LINE_MORE,     /* a continuation line was added */
	REPLY_LINE_COMPLETE, /* the last line: acc holds the reply */
	REPLY_LINE_BAD,      /* not a reply line, or a limit exceeded */
};

void reply_acc_reset(struct reply_acc *acc);
/* One line without its line end. */
enum reply_line_status reply_acc_line(struct reply_acc *acc, const char *line,
                                      size_t len);
/* "d.d.d" at the start of text into out (16 octets); false if none. */
bool reply_parse_enhanced(const char *text, size_t len, char *out);

#endif
