/*
 * data.c — DATA/BDAT content scanner (see data.h).
 */
#include "smtp/data.h"

#include <string.h>
#include <strings.h>

enum scan_state {
	S_BOL,    /* at the beginning of a line (after CRLF) */
	S_TEXT,   /* inside a line */
	S_CR,     /* inside a line, just after CR */
	S_DOT,    /* DATA: "." at the beginning of a line */
	S_DOT_CR, /* DATA: "." CR at the beginning of a line */
};

void
data_scanner_init(struct data_scanner *sc, bool dot_mode, size_t max_size)
{
	memset(sc, 0, sizeof(*sc));
	sc->dot_mode = dot_mode;
	sc->state = S_BOL;
	sc->in_header = true;
	sc->max_size = max_size;
}

/* Append content, enforcing the size limit. */
static void
emit(struct data_scanner *sc, char *out, size_t *n, char ch)
{
	if (sc->flags & DATA_TOO_BIG)
		return;
	if (sc->max_size && sc->size >= sc->max_size) {
		sc->flags |= DATA_TOO_BIG;
		return;
	}
	out[(*n)++] = ch;
	sc->size++;
}

/* A line of content (not the CRLF) grew by one octet. */
static void
line_octet(struct data_scanner *sc, char ch)
{
	if (!sc->in_header)
		return;
	if (sc->line_len < sizeof(sc->prefix))
		sc->prefix[sc->line_len] = ch;
	sc->line_len++;
	if (sc->line_len > DATA_HEADER_LINE_MAX)
		sc->flags |= DATA_HEADER_TOO_LONG;
}

/* CRLF ended a line: track where the header section ends and count
 * Received fields (a folded continuation line starts with WSP). */
static void
line_end(struct data_scanner *sc)
{
	if (sc->in_header) {
		if (sc->line_len == 0)
			sc->in_header = false;
		else if (sc->line_len >= 9 &&
		         strncasecmp(sc->prefix, "Received:", 9) == 0)
			sc->received++;
	}
	sc->line_len = 0;
}

/*
 * A CR is content whatever follows it (CRLF, or a bare CR that gets
 * flagged), so it is emitted at once; only whether it was bare waits for
 * the next octet.  Holding it back instead would let one read produce more
 * octets than it carried, overrunning an output buffer sized to the read,
 * and would lose a trailing CR at the end of a BDAT chunk.
 */
static void
text_octet(struct data_scanner *sc, char *out, size_t *n, char ch)
{
	if (ch == '\r') {
		emit(sc, out, n, '\r');
		sc->state = S_CR;
		return;
	}
	if (ch == '\n')
		sc->flags |= DATA_BARE_LF;
	else if (ch == '\0')
		sc->flags |= DATA_NUL;
	emit(sc, out, n, ch);
	line_octet(sc, ch);
	sc->state = S_TEXT;
}

/* The octet after a CR (already emitted) inside a line. */
static void
cr_octet(struct data_scanner *sc, char *out, size_t *n, char ch)
{
	if (ch == '\n') {
		emit(sc, out, n, '\n');
		line_end(sc);
		sc->state = S_BOL;
		return;
	}
	sc->flags |= DATA_BARE_CR;
	line_octet(sc, '\r');
	text_octet(sc, out, n, ch);
}

/* Returns true when the end-of-data marker completed. */
static bool
scan_octet(struct data_scanner *sc, char *out, size_t *n, char ch)
{
	switch (sc->state) {
	case S_BOL:
		if (sc->dot_mode && ch == '.') {
			sc->state = S_DOT;
			return false;
		}
		text_octet(sc, out, n, ch);
		return false;
	case S_DOT:
		if (ch == '\r') {
			sc->state = S_DOT_CR;
			return false;
		}
		/* A stuffed dot: drop it (RFC 5321 s4.5.2). */
		text_octet(sc, out, n, ch);
		return false;
	case S_DOT_CR:
		if (ch == '\n')
			return true;
		/*
		 * "." CR x: not the end; the dot was stuffing, the CR bare.
		 * The CR is flagged but not emitted: "." and CR came in with
		 * no output, possibly in an earlier read, and emitting both
		 * CR and x now could overrun the caller's buffer.  The flag
		 * makes the message rejected, so its content is moot.
		 */
		cr_octet(sc, out, n, ch);
		return false;
	case S_CR:
		if (ch == '\r') {
			/* CR CR: the first one is bare. */
			sc->flags |= DATA_BARE_CR;
			line_octet(sc, '\r');
			emit(sc, out, n, '\r');
			return false;
		}
		cr_octet(sc, out, n, ch);
		return false;
	default:
		text_octet(sc, out, n, ch);
		return false;
	}
}

size_t
data_scan(struct data_scanner *sc, const char *in, size_t len, char *out,
          size_t *outlen_r)
{
	size_t i, n = 0;

	for (i = 0; i < len && !sc->done; i++) {
		if (scan_octet(sc, out, &n, in[i]))
			sc->done = true;
	}
	*outlen_r = n;
	return i;
}

void
data_scanner_finish(struct data_scanner *sc)
{
	if (sc->state == S_CR)
		sc->flags |= DATA_BARE_CR;
	sc->done = true;
}
