/*
 * sendmail_parse.c — `ferry sendmail` without I/O of its own: options as
 * the traditional sendmail(8) interface has them, the message read from a
 * stream, and header scanning for -t (RFC 5322 s3.4 address lists).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli/sendmail_int.h"

#define ADDR_ELEMENT_MAX 1024

/* An option's argument: attached ("-ffoo") or the next word ("-f foo"). */
static const char *
opt_arg(int argc, char **argv, int *i, const char *rest)
{
	if (rest[0] != '\0')
		return rest;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* -b modes; -bm is the default. */
static int
mode_option(const char *m, struct sendmail_opts *o)
{
	if (strcmp(m, "m") == 0)
		o->mode = SM_SEND;
	else if (strcmp(m, "p") == 0)
		o->mode = SM_MAILQ;
	else if (strcmp(m, "i") == 0)
		o->mode = SM_NEWALIASES;
	else if (strcmp(m, "s") == 0)
		o->mode = SM_SMTP;
	else if (strcmp(m, "v") == 0)
		o->mode = SM_VERIFY;
	else
		return -1;
	return 0;
}

/* One option word argv[*i] (without its '-'). */
static int
one_option(int argc, char **argv, int *i, struct sendmail_opts *o, char *err,
           size_t errlen)
{
	const char *w = argv[*i] + 1, *a;

	switch (w[0]) {
	case 't':
	case 'i':
	case 'v':
	case 'U':
		if (w[1] != '\0')
			break;
		o->from_headers |= w[0] == 't';
		o->ignore_dots |= w[0] == 'i';
		return 0;
	case 'o': /* -oi; every other -oX is accepted and ignored */
		if (strcmp(w, "oi") == 0)
			o->ignore_dots = true;
		return 0;
	case 'q': /* -q, -q1h, -qR...: run the queue now */
		o->mode = SM_FLUSH;
		return 0;
	case 'b':
		if (mode_option(w + 1, o) == 0)
			return 0;
		snprintf(err, errlen, "-%s is not supported", w);
		return EX_USAGE;
	case 'f':
	case 'r':
	case 'F':
	case 'C':
	case 'N': /* DSN NOTIFY, ignored */
	case 'R': /* DSN RET, ignored */
	case 'V': /* DSN ENVID, ignored */
	case 'B': /* body type, ignored (8-bit is detected) */
		if ((a = opt_arg(argc, argv, i, w + 1)) == NULL) {
			snprintf(err, errlen, "-%c needs an argument", w[0]);
			return EX_USAGE;
		}
		if (w[0] == 'f' || w[0] == 'r')
			o->sender = a;
		else if (w[0] == 'F')
			o->fullname = a;
		else if (w[0] == 'C')
			o->config = a;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "unknown option -%s", w);
	return EX_USAGE;
}

int
sendmail_parse_args(int argc, char **argv, struct sendmail_opts *o, char *err,
                    size_t errlen)
{
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--config needs a file");
				return EX_USAGE;
			}
			o->config = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--demo") == 0) {
			o->demo = true;
			continue;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if ((rc = one_option(argc, argv, &i, o, err, errlen)) != 0)
			return rc;
	}
	o->rcpts = argv + i;
	o->nrcpts = argc - i;
	return 0;
}

static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char *nb;

	if (n == 0)
		return 0; /* memcpy wants a buffer even for nothing */
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		if ((nb = realloc(*buf, *cap)) == NULL)
			return -1;
		*buf = nb;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	return 0;
}

int
sendmail_read(FILE *in, bool ignore_dots, size_t max, char **data, size_t *len)
{
	char *line = NULL, *buf = NULL;
	size_t lcap = 0, cap = 0;
	ssize_t n;
	int rc = 0;

	*len = 0;
	while ((n = getline(&line, &lcap, in)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (!ignore_dots && n == 1 && line[0] == '.')
			break;
		if (*len + (size_t)n + 2 > max) {
			rc = EX_DATAERR;
			break;
		}
		if (append(&buf, len, &cap, line, (size_t)n) < 0 ||
		    append(&buf, len, &cap, "\r\n", 2) < 0) {
			rc = EX_IOERR;
			break;
		}
	}
	if (rc == 0 && ferror(in))
		rc = EX_IOERR;
	free(line);
	if (rc == 0 && buf == NULL && (buf = malloc(1)) == NULL)
		rc = EX_IOERR;
	if (rc) {
		free(buf);
		buf = NULL;
	}
	*data = buf;
	return rc;
}

/* Length of the line at p (through CRLF or LF), 0 at the end. */
static size_t
line_len(const char *p, size_t left)
{
	const char *nl = memchr(p, '\n', left);

	return nl ? (size_t)(nl - p) + 1 : left;
}

static bool
blank_line(const char *p, size_t n)
{
	return (n == 2 && p[0] == '\r' && p[1] == '\n') ||
	       (n == 1 && p[0] == '\n');
}

/* "Name:" with printable, non-space name characters (RFC 5322 s2.2). */
static bool
field_start(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == ':')
			return i > 0;
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	}
	return false;
}

size_t
sendmail_header_len(const char *msg, size_t len)
{
	size_t off = 0, n;

	if (!field_start(msg, line_len(msg, len)))
		return 0;
	while (off < len) {
		n = line_len(msg + off, len - off);
		off += n;
		if (blank_line(msg + off - n, n))
			return off;
		if (off < len && msg[off] != ' ' && msg[off] != '\t' &&
		    !blank_line(msg + off, line_len(msg + off, len - off)) &&
		    !field_start(msg + off, line_len(msg + off, len - off)))
			return off; /* the body starts without a blank line */
	}
	return len;
}

/* Calls fn for every field of the header block with its unfolded value;
 * the length of the whole field (continuation lines included) goes to
 * *flen of the callback. */
typedef int (*field_fn)(void *arg, const char *name, size_t nlen,
                        const char *start, size_t flen);

static int
each_field(const char *msg, size_t hlen, field_fn fn, void *arg)
{
	size_t off = 0, end, n;
	const char *colon;
	int r;

	while (off < hlen) {
		n = line_len(msg + off, hlen - off);
		if (blank_line(msg + off, n))
			break;
		end = off + n;
		while (end < hlen && (msg[end] == ' ' || msg[end] == '\t'))
			end += line_len(msg + end, hlen - end);
		colon = memchr(msg + off, ':', n);
		if (colon != NULL &&
		    (r = fn(arg, msg + off, (size_t)(colon - (msg + off)),
		            msg + off, end - off)) != 0)
			return r;
		off = end;
	}
	return 0;
}

struct name_match {
	const char *name;
	bool found;
};

static int
match_cb(void *arg, const char *name, size_t nlen, const char *start,
         size_t flen)
{
	struct name_match *m = arg;

	if (strlen(m->name) == nlen && strncasecmp(name, m->name, nlen) == 0)
		m->found = true;
	return 0;
}

bool
sendmail_has_header(const char *msg, size_t hlen, const char *name)
{
	struct name_match m = {name, false};

	each_field(msg, hlen, match_cb, &m);
	return m.found;
}

size_t
sendmail_remove_header(char *msg, size_t len, size_t *hlen, const char *name)
{
	size_t off = 0, n, end, nlen = strlen(name);

	while (off < *hlen) {
		n = line_len(msg + off, *hlen - off);
		if (blank_line(msg + off, n))
			break;
		end = off + n;
		while (end < *hlen && (msg[end] == ' ' || msg[end] == '\t'))
			end += line_len(msg + end, *hlen - end);
		if (n > nlen && msg[off + nlen] == ':' &&
		    strncasecmp(msg + off, name, nlen) == 0) {
			memmove(msg + off, msg + end, len - end);
			len -= end - off;
			*hlen -= end - off;
			continue;
		}
		off = end;
	}
	return len;
}

/* The pieces of one address-list element being read. */
struct element {
	char bare[ADDR_ELEMENT_MAX], angle[ADDR_ELEMENT_MAX];
	size_t blen, alen;
	bool in_angle, has_angle;
};

static int
push(struct element *e, char c)
{
	if (e->in_angle) {
		if (e->alen + 1 >= sizeof(e->angle))
			return -1;
		e->angle[e->alen++] = c;
	} else {
		if (e->blen + 1 >= sizeof(e->bare))
			return -1;
		e->bare[e->blen++] = c;
	}
	return 0;
}

/* Calls fn with the element's addr-spec, trimmed; nothing if empty. */
static int
emit(struct element *e, sendmail_addr_fn fn, void *arg)
{
	char *s = e->has_angle ? e->angle : e->bare, *end;
	size_t n = e->has_angle ? e->alen : e->blen;
	int r = 0;

	s[n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*s)
		r = fn(arg, s);
	memset(e, 0, sizeof(*e));
	return r;
}

/* Skips a comment starting at v[i] == '('; returns the index after it. */
static size_t
skip_comment(const char *v, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* Copies a quoted string starting at v[i] == '"', escapes kept. */
static ssize_t
copy_quoted(struct element *e, const char *v, size_t len, size_t i)
{
	if (push(e, v[i++]) < 0)
		return -1;
	for (; i < len; i++) {
		if (push(e, v[i]) < 0)
			return -1;
		if (v[i] == '\\' && i + 1 < len) {
			if (push(e, v[++i]) < 0)
				return -1;
		} else if (v[i] == '"') {
			return (ssize_t)i + 1;
		}
	}
	return (ssize_t)len;
}

int
sendmail_split_addresses(const char *v, size_t len, sendmail_addr_fn fn,
                         void *arg)
{
	struct element *e = calloc(1, sizeof(*e));
	size_t i = 0;
	ssize_t q;
	int r = 0;

	if (e == NULL)
		return -1;
	while (i < len && r == 0) {
		char c = v[i];

		if (c == '(') {
			i = skip_comment(v, len, i);
			r = push(e, ' ');
			continue;
		}
		if (c == '"') {
			if ((q = copy_quoted(e, v, len, i)) < 0)
				r = -1;
			i = q < 0 ? len : (size_t)q;
			continue;
		}
		i++;
		if (c == '<' && !e->in_angle) {
			e->in_angle = e->has_angle = true;
			e->alen = 0;
		} else if (c == '>' && e->in_angle) {
			e->in_angle = false;
		} else if (c == ':' && !e->in_angle) {
			e->blen = 0; /* a group: its display name goes */
		} else if ((c == ',' || c == ';') && !e->in_angle) {
			r = emit(e, fn, arg);
		} else if (c == '\r' || c == '\n') {
			continue; /* folding */
		} else {
			r = push(e, c);
		}
	}
	if (r == 0)
		r = emit(e, fn, arg);
	free(e);
	return r;
}

struct rcpt_scan {
	sendmail_addr_fn fn;
	void *arg;
};

static int
rcpt_field(void *arg, const char *name, size_t nlen, const char *start,
           size_t flen)
{
	struct rcpt_scan *rs = arg;

	if (!((nlen == 2 && (strncasecmp(name, "to", 2) == 0 ||
	                     strncasecmp(name, "cc", 2) == 0)) ||
	      (nlen == 3 && strncasecmp(name, "bcc", 3) == 0)))
		return 0;
	return sendmail_split_addresses(start + nlen + 1, flen - nlen - 1,
	                                rs->fn, rs->arg);
}

int
sendmail_header_rcpts(const char *msg, size_t hlen, sendmail_addr_fn fn,
                      void *arg)
{
	struct rcpt_scan rs = {fn, arg};

	return each_field(msg, hlen, rcpt_field, &rs);
}
