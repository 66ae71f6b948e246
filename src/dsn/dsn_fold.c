/*
 * dsn_fold.c — lay out cleaned values as lines: header fields folded before
 * a space near column DSN_FOLD_AT (RFC 5322 s2.2.3), and prose wrapped with
 * an indent.  A run without spaces longer than DSN_CHUNK_MAX is broken
 * anyway (for a field, the break adds a space when unfolded) so that no
 * line ever exceeds DSN_LINE_MAX octets.  Values must already be free of
 * control characters (dsn_clean_text).
 */
#include <string.h>

#include "dsn/dsn_int.h"

static void
spaces(struct dsn_buf *b, int n)
{
	while (n-- > 0)
		dsn_buf_add(b, " ", 1);
}

/*
 * Append one word at column *col; lines that would pass DSN_CHUNK_MAX are
 * broken and continue after newline_prefix (which is indent wide).
 */
static void
word(struct dsn_buf *b, const char *w, size_t wl, size_t *col,
     const char *newline_prefix, size_t indent)
{
	size_t take;

	while (*col + wl > DSN_CHUNK_MAX) {
		take = DSN_CHUNK_MAX - *col;
		dsn_buf_add(b, w, take);
		dsn_buf_puts(b, newline_prefix);
		w += take;
		wl -= take;
		*col = indent;
	}
	dsn_buf_add(b, w, wl);
	*col += wl;
}

/* Next space-separated word of *p; 0 at the end. */
static size_t
next_word(const char **p, const char **w)
{
	size_t n;

	while (**p == ' ')
		(*p)++;
	*w = *p;
	n = strcspn(*p, " ");
	*p += n;
	return n;
}

void
dsn_field(struct dsn_buf *b, const char *name, const char *value)
{
	const char *p = value ? value : "", *w;
	size_t wl, col = strlen(name) + 1;
	int first = 1;

	dsn_buf_puts(b, name);
	dsn_buf_add(b, ":", 1);
	while ((wl = next_word(&p, &w)) > 0) {
		if (!first && col + 1 + wl > DSN_FOLD_AT) {
			dsn_buf_add(b, "\r\n", 2);
			col = 0;
		}
		dsn_buf_add(b, " ", 1);
		col++;
		word(b, w, wl, &col, "\r\n ", 1);
		first = 0;
	}
	dsn_buf_add(b, "\r\n", 2);
}

void
dsn_wrap(struct dsn_buf *b, const char *text, int first_indent, int indent)
{
	const char *p = text ? text : "", *w;
	char prefix[2 + 64 + 1] = "\r\n";
	size_t wl, col = (size_t)first_indent;
	int empty = 1;

	if (indent > 64)
		indent = 64;
	memset(prefix + 2, ' ', (size_t)indent);
	prefix[2 + indent] = '\0';
	spaces(b, first_indent);
	while ((wl = next_word(&p, &w)) > 0) {
		if (!empty && col + 1 + wl > DSN_FOLD_AT) {
			dsn_buf_puts(b, prefix);
			col = (size_t)indent;
			empty = 1;
		}
		if (!empty) {
			dsn_buf_add(b, " ", 1);
			col++;
		}
		word(b, w, wl, &col, prefix, (size_t)indent);
		empty = 0;
	}
	dsn_buf_add(b, "\r\n", 2);
}
