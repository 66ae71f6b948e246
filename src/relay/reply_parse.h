/*
 * reply_parse — the SMTP client's reply parser (RFC 5321 s4.2): bytes in,
 * one complete reply out, no I/O.  A reply is one or more lines
 * "ddd-text" ending with a line "ddd text" (or "ddd"), every line with the
 * same code.  Lines end in CRLF; a bare LF is tolerated.
 *
 * Limits (RFC 5321 s4.5.3.1.5 says 512 octets per reply line, CRLF
 * included): a line longer than that, more than RELAY_REPLY_LINES_MAX lines, a
 * line without a valid code or with a code other than the first line's, or
 * a first digit outside 2..5 is a protocol error.
 *
 * Control bytes in the text are replaced (tab by a space, others by '?')
 * so the text can go into logs and delivery reports as it is.
 *
 * Ownership: relay_reply_parsed_free() frees what relay_reply_parse()
 * allocated. Errors: REPLY_PARSE_ERROR with a static message in *error_r; out
 * of memory aborts.  Pure; any thread.
 */
#ifndef FERRY_RELAY_REPLY_PARSE_H
#define FERRY_RELAY_REPLY_PARSE_H

#include <stddef.h>

#define RELAY_REPLY_LINE_MAX 512 /* octets, CRLF included */
#define RELAY_REPLY_LINES_MAX 100

enum reply_parse_status {
	REPLY_PARSE_OK,    /* *out holds one reply */
	REPLY_PARSE_MORE,  /* no complete reply yet: read more */
	REPLY_PARSE_ERROR, /* protocol error: give up on the connection */
};

struct reply_parsed {
	int code;
	char enhanced[16]; /* "5.1.1" from the first line, or "" */
	char *text;        /* every line as sent, joined with " " */
	char **lines;      /* per line, the text after "ddd-" / "ddd " */
	size_t nlines;
	size_t consumed; /* octets of input the reply took */
};

enum reply_parse_status relay_reply_parse(const char *buf, size_t len,
                                          struct reply_parsed *out,
                                          const char **error_r);
void relay_reply_parsed_free(struct reply_parsed *r);

/*
 * The enhanced status code (RFC 3463) at the start of text, "c.s.d"
 * followed by a space or the end, when its class c is the class of code.
 * Writes it to out and returns 0, or returns -1 and writes "".
 */
int relay_reply_enhanced(const char *text, int code, char *out, size_t outlen);

#endif
