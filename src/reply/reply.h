/*
 * reply — the registry of every SMTP reply ferry sends.
 *
 * Each reply is a row of replies.def: identifier, basic code, enhanced code,
 * the commands it may answer, and its text.  Code elsewhere names the
 * identifier (R_RCPT_TOO_MANY), never a literal code.  Rendering enforces
 * RFC 5321 line syntax: arguments are made printable ASCII and the line is
 * capped at 512 octets including CRLF.
 *
 * Ownership: the table is static and const.  Errors: none; an unknown id is
 * a programming error (abort).  Thread-safe: yes (no state).
 */
#ifndef FERRY_REPLY_H
#define FERRY_REPLY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct evbuffer;

/* The commands (or moments) a reply may answer; see replies.def. */
enum reply_ctx {
	CTX_CONN = 1 << 0,      /* connection opening, unsolicited */
	CTX_HELO = 1 << 1,      /* EHLO / HELO */
	CTX_MAIL = 1 << 2,      /* MAIL FROM */
	CTX_RCPT = 1 << 3,      /* RCPT TO */
	CTX_DATA = 1 << 4,      /* DATA command itself */
	CTX_DOT = 1 << 5,       /* end of DATA (CRLF.CRLF) */
	CTX_BDAT = 1 << 6,      /* BDAT chunk */
	CTX_RSET = 1 << 7,      /* RSET */
	CTX_NOOP = 1 << 8,      /* NOOP */
	CTX_QUIT = 1 << 9,      /* QUIT */
	CTX_VRFY = 1 << 10,     /* VRFY / EXPN */
	CTX_HELP = 1 << 11,     /* HELP */
	CTX_STARTTLS = 1 << 12, /* STARTTLS (RFC 3207) */
	CTX_AUTH = 1 << 13,     /* AUTH (RFC 4954) */
	CTX_ANY = 1 << 14,      /* any command (421, 500, 501, 503 ...) */
};

/* Whether a reply counts toward the session's max_errors; see replies.def. */
enum reply_err {
	ERR_NONE,     /* not the client's protocol mistake */
	ERR_PROTOCOL, /* syntax, sequence or unknown-command error */
};

enum reply_id {
#define REPLY(id, code, enh, ctx, err, text) id,
#include "reply/replies.def"
#undef REPLY
	R__COUNT
};

struct reply_def {
	const char *name; /* "R_RCPT_TOO_MANY" */
	int code;         /* 452 */
	const char *enh;  /* "4.5.3", or NULL */
	unsigned ctx;     /* enum reply_ctx bits */
	enum reply_err err;
	const char *text; /* may hold "%s" placeholders */
};

/* Longest reply line RFC 5321 s4.5.3.1.5 allows, CRLF included. */
#define REPLY_LINE_MAX 512

const struct reply_def *reply_def(enum reply_id id);

/* Number of "%s" placeholders in the reply's text. */
int reply_nargs(enum reply_id id);

/*
 * Render "CODE ENH text" (no CRLF) into buf, filling each "%s" with the next
 * const char * argument.  Returns the length written (always < len).
 */
size_t reply_vformat(char *buf, size_t len, enum reply_id id, va_list ap);
size_t reply_format(char *buf, size_t len, enum reply_id id, ...);

/* Append the rendered reply plus CRLF to an output buffer. */
void reply_write(struct evbuffer *out, enum reply_id id, ...);

/*
 * Append a multi-line reply: the first line is the registry text, then each
 * of lines[] (e.g. EHLO keywords), all with the same code, "-" continuation
 * on every line but the last (RFC 5321 s4.2.1).
 */
void reply_write_lines(struct evbuffer *out, enum reply_id id,
                       const char *const *lines, size_t nlines, ...);

/* docs/replies.md, generated from the table. */
void reply_print_markdown(FILE *out);

#endif
