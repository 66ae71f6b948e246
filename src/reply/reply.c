/*
 * reply.c — the reply table and its one rendering routine.
 */
#include "reply/reply.h"
#include "reply/status.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

static const struct reply_def reply_table[R__COUNT] = {
#define REPLY(id, c, e, x, r, t) [id] = {#id, c, e, x, r, t},
#include "reply/replies.def"
#undef REPLY
};

const struct reply_def *
reply_def(enum reply_id id)
{
	if ((unsigned)id >= R__COUNT)
		abort();
	return &reply_table[id];
}

int
reply_nargs(enum reply_id id)
{
	const char *p = reply_def(id)->text;
	int n = 0;

	while ((p = strstr(p, "%s")) != NULL) {
		n++;
		p += 2;
	}
	return n;
}

/* Append src to buf, keeping only printable ASCII: a reply line is 7-bit. */
static size_t
append_printable(char *buf, size_t pos, size_t cap, const char *src)
{
	for (; src && *src && pos + 1 < cap; src++) {
		unsigned char ch = (unsigned char)*src;
		buf[pos++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	return pos;
}

size_t
reply_vformat(char *buf, size_t len, enum reply_id id, va_list ap)
{
	const struct reply_def *r = reply_def(id);
	/* Leave room for CRLF within the 512-octet limit. */
	size_t cap = len < REPLY_LINE_MAX - 1 ? len : REPLY_LINE_MAX - 1;
	size_t pos;
	const char *t;

	pos = (size_t)snprintf(buf, cap, "%03d%s%s ", r->code,
	                       r->enh ? " " : "", r->enh ? r->enh : "");
	if (pos >= cap)
		pos = cap - 1;
	for (t = r->text; *t && pos + 1 < cap; t++) {
		if (t[0] == '%' && t[1] == 's') {
			pos = append_printable(buf, pos, cap,
			                       va_arg(ap, const char *));
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			buf[pos++] = '%';
			t++;
		} else {
			buf[pos++] = *t;
		}
	}
	buf[pos] = '\0';
	return pos;
}

size_t
reply_format(char *buf, size_t len, enum reply_id id, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, id);
	n = reply_vformat(buf, len, id, ap);
	va_end(ap);
	return n;
}

void
reply_write(struct evbuffer *out, enum reply_id id, ...)
{
	char line[REPLY_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, id);
	n = reply_vformat(line, sizeof(line), id, ap);
	va_end(ap);
	evbuffer_add(out, line, n);
	evbuffer_add(out, "\r\n", 2);
}

void
reply_write_lines(struct evbuffer *out, enum reply_id id,
                  const char *const *lines, size_t nlines, ...)
{
	const struct reply_def *r = reply_def(id);
	char line[REPLY_LINE_MAX];
	va_list ap;
	size_t n, i;

	va_start(ap, nlines);
	n = reply_vformat(line, sizeof(line), id, ap);
	va_end(ap);
	if (nlines > 0)
		line[3] = '-';
	evbuffer_add(out, line, n);
	evbuffer_add(out, "\r\n", 2);
	for (i = 0; i < nlines; i++) {
		char sep = i + 1 < nlines ? '-' : ' ';

		n = (size_t)snprintf(line, sizeof(line), "%03d%c%s%s", r->code,
		                     sep, r->enh ? r->enh : "",
		                     r->enh ? " " : "");
		n = append_printable(line, n, sizeof(line) - 2, lines[i]);
		line[n++] = '\r';
		line[n++] = '\n';
		evbuffer_add(out, line, n);
	}
}

static void
print_markdown_text(FILE *out, const char *text)
{
	for (; *text; text++) {
		if (text[0] == '%' && text[1] == 's') {
			fputs("*…*", out);
			text++;
		} else if (text[0] == '%' && text[1] == '%') {
			fputc('%', out);
			text++;
		} else if (*text == '|' || *text == '<' || *text == '>' ||
		           *text == '*' || *text == '_') {
			fprintf(out, "\\%c", *text);
		} else {
			fputc(*text, out);
		}
	}
}

void
reply_print_markdown(FILE *out)
{
	int i;

	fputs("# Replies ferry sends\n\n"
	      "Generated from `src/reply/replies.def` by `ferry replies "
	      "--markdown`; do not edit.\n"
	      "*…* marks a part filled in at run time (host name, address, "
	      "queue ID).\n\n"
	      "| identifier | code | enhanced | text |\n"
	      "|---|---|---|---|\n",
	      out);
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = &reply_table[i];

		fprintf(out, "| `%s` | %d | %s | ", r->name, r->code,
		        r->enh ? r->enh : "—");
		print_markdown_text(out, r->text);
		fputs(" |\n", out);
	}
	status_print_markdown(out);
}
