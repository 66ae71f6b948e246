/*
 * data — the message-content scanner for DATA and BDAT.
 *
 * DATA mode finds the end of the message (only CRLF "." CRLF ends it: a bare
 * CR or LF never does, which closes the SMTP smuggling hole of the
 * CVE-2023-51764 class) and undoes dot-stuffing (RFC 5321 s4.5.2).  BDAT mode
 * takes the octets as they are.  Both modes check the content while it
 * streams, so nothing needs to be buffered: bare CR or LF, NUL octets,
 * header lines over 998 octets (RFC 5322 s2.1.1), the number of Received
 * headers (loop detection), and the size limit.  The session rejects a
 * message with any flag set once the end has been read.
 *
 * Pure: bytes in, bytes out, no I/O.
 */
#ifndef FERRY_SMTP_DATA_H
#define FERRY_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>

enum data_flag {
	DATA_BARE_CR = 1 << 0,
	DATA_BARE_LF = 1 << 1,
	DATA_NUL = 1 << 2,
	DATA_HEADER_TOO_LONG = 1 << 3,
	DATA_TOO_BIG = 1 << 4,
};

#define DATA_HEADER_LINE_MAX 998

struct data_scanner {
	bool dot_mode;     /* DATA (true) or BDAT (false) */
	bool done;         /* DATA: end marker seen */
	int state;         /* private */
	bool in_header;    /* still in the header section */
	size_t line_len;   /* octets in the current line so far */
	char prefix[9];    /* first octets of the current header line */
	unsigned received; /* Received: header fields seen */
	unsigned flags;    /* enum data_flag */
	size_t size;       /* content octets (after unstuffing) */
	size_t max_size;   /* 0: unlimited */
};

void data_scanner_init(struct data_scanner *sc, bool dot_mode, size_t max_size);

/*
 * Scan in[0..len).  Content octets are appended to out (capacity >= len);
 * *outlen_r receives their count.  Returns the number of input octets used:
 * in DATA mode scanning stops right after the end marker (sc->done), so the
 * rest of the input is the next pipelined command.  Once DATA_TOO_BIG is set
 * no more content is produced, but scanning goes on to find the end.
 */
size_t data_scan(struct data_scanner *sc, const char *in, size_t len, char *out,
                 size_t *outlen_r);

/* BDAT: the last chunk arrived; a trailing bare CR is flagged here. */
void data_scanner_finish(struct data_scanner *sc);

#endif
