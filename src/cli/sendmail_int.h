/*
 * sendmail_int — the pure parts of `ferry sendmail` (sendmail_parse.c):
 * the command line, reading the message, and RFC 5322 header scanning.
 * Tested directly by tests/unit/test_queue_cli.c.
 */
#ifndef FERRY_CLI_SENDMAIL_INT_H
#define FERRY_CLI_SENDMAIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sendmail_mode {
	SM_SEND,       /* deliver a message (default, -bm) */
	SM_MAILQ,      /* -bp: list the queue */
	SM_FLUSH,      /* -q: retry the queue now */
	SM_NEWALIASES, /* -bi */
	SM_SMTP,       /* -bs: an SMTP dialogue on stdin/stdout */
	SM_VERIFY,     /* -bv: what would happen to the recipients */
};

struct sendmail_opts {
	enum sendmail_mode mode;
	bool from_headers;    /* -t */
	bool ignore_dots;     /* -i, -oi */
	const char *sender;   /* -f, -r */
	const char *fullname; /* -F */
	const char *config;   /* -C, --config */
	bool demo;            /* --demo: the built-in configuration */
	char **rcpts;         /* the arguments after the options */
	int nrcpts;
};

/* Fills o from argv (argv[0] is the program name).  Returns 0, or
 * EX_USAGE with a message in err. */
int sendmail_parse_args(int argc, char **argv, struct sendmail_opts *o,
                        char *err, size_t errlen);

/* Reads the message from in, line by line, into a heap buffer with CRLF
 * line endings.  Without ignore_dots a line holding only "." ends it.
 * Returns 0, EX_DATAERR when it exceeds max octets, EX_IOERR. */
struct config;
/* Queue msg (CRLF line ends) into the maildrop for o's sender and
 * recipients; returns 0 or a sysexits code after printing why. */
int sendmail_submit(const struct config *cfg, const struct sendmail_opts *o,
                    char *msg, size_t mlen);
/* "<a@b>", "a@b" or "a" (then "a@domain") into a; -1 if it is no address. */
struct mailaddr;
int sendmail_parse_address(const char *s, const char *domain, bool sender,
                           struct mailaddr *a);
/* -bv: one line per recipient on out; 0, or EX_NOUSER when any would be
 * refused. */
int sendmail_verify(const struct config *cfg, const struct sendmail_opts *o,
                    FILE *out);
/* -bs: an SMTP dialogue on in/out (RFC 5321 subset for local programs). */
int sendmail_smtp(const struct config *cfg, const struct sendmail_opts *o,
                  FILE *in, FILE *out);

int sendmail_read(FILE *in, bool ignore_dots, size_t max, char **data,
                  size_t *len);

/* Length of the header block, through its empty line; 0 when the
 * message does not start with a header field. */
size_t sendmail_header_len(const char *msg, size_t len);
/* true when the header block has a field called name (case-insensitive). */
bool sendmail_has_header(const char *msg, size_t hlen, const char *name);
/* Removes every field called name from the header block in place; returns
 * the new message length and updates *hlen. */
size_t sendmail_remove_header(char *msg, size_t len, size_t *hlen,
                              const char *name);

typedef int (*sendmail_addr_fn)(void *arg, const char *addr);
/* Splits an RFC 5322 address-list (display names, comments, quoted
 * strings, angle addresses, groups) and calls fn with each addr-spec.
 * Stops at the first non-zero return of fn and returns it; -1 when an
 * element is too long. */
int sendmail_split_addresses(const char *value, size_t len, sendmail_addr_fn fn,
                             void *arg);
/* Every address of the To, Cc and Bcc fields (unfolded). */
int sendmail_header_rcpts(const char *msg, size_t hlen, sendmail_addr_fn fn,
                          void *arg);

#endif
