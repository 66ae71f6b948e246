/*
 * parse.c — find the basic code, the enhanced code and the text in whatever
 * was pasted.  People paste replies inside log lines, DSN fields, NDRs and
 * help pages, so the parser looks for a three-digit code with sane
 * boundaries (not part of a time, IP address, PID or longer number), prefers
 * one directly followed by an enhanced code, and joins the continuation lines
 * of a multi-line reply ("550-5.7.26 ...", "550 5.7.26 ...").
 */
#include <string.h>

#include "explain/explain_int.h"

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_';
}

/* Bytes that may stand right before a code: start, space, punctuation that
 * introduces a value, or UTF-8 (typographic quotes). */
static int
code_may_follow(const unsigned char *s, size_t i)
{
	unsigned char p;

	if (i == 0)
		return 1;
	p = s[i - 1];
	if (p >= 0x80)
		return 1;
	if (p == ':' && i >= 2 && is_digit(s[i - 2]))
		return 0; /* a time of day, 10:00:01 */
	return strchr(" \t\r\n;:(<'\"#,=>*", p) != NULL && p != '\0';
}

/* Bytes that may end a code: "550-", "550 ", "550,", "550" at the end. */
static int
code_may_precede(const unsigned char *s, size_t len, size_t i)
{
	unsigned char n;

	if (i >= len)
		return 1;
	n = s[i];
	if (n >= 0x80)
		return 1;
	if ((n == '.' || n == ':') && i + 1 < len && is_digit(s[i + 1]))
		return 0;
	return strchr(" \t\r\n-,)'\";.>:", n) != NULL && n != '\0';
}

static int
basic_at(const unsigned char *s, size_t len, size_t i)
{
	if (i + 3 > len || !is_digit(s[i]) || !is_digit(s[i + 1]) ||
	    !is_digit(s[i + 2]))
		return 0;
	if (s[i] < '1' || s[i] > '5')
		return 0;
	if (!code_may_follow(s, i) || !code_may_precede(s, len, i + 3))
		return 0;
	return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
}

static size_t
digits(const unsigned char *s, size_t len, size_t i, int *val)
{
	size_t n = 0;

	*val = 0;
	while (i + n < len && is_digit(s[i + n]) && n < 4) {
		*val = *val * 10 + (s[i + n] - '0');
		n++;
	}
	return n;
}

/* Parses "C.S.D" at i; returns its length or 0. */
static size_t
enhanced_at(const unsigned char *s, size_t len, size_t i, int *cls, int *subj,
            int *det)
{
	size_t n1, n2, j;

	if (i + 5 > len || (s[i] != '2' && s[i] != '4' && s[i] != '5') ||
	    s[i + 1] != '.')
		return 0;
	if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '.'))
		return 0;
	n1 = digits(s, len, i + 2, subj);
	if (n1 == 0 || n1 > 3 || i + 2 + n1 >= len || s[i + 2 + n1] != '.')
		return 0;
	j = i + 3 + n1;
	n2 = digits(s, len, j, det);
	if (n2 == 0 || n2 > 3)
		return 0;
	j += n2;
	if (j < len && (is_alnum(s[j]) ||
	                (s[j] == '.' && j + 1 < len && is_digit(s[j + 1]))))
		return 0;
	*cls = s[i] - '0';
	return j - i;
}

int
enhanced_parse(const char *s, size_t len, int *cls, int *subj, int *det)
{
	/* An empty string is no code (enhanced_at's 0 would equal len). */
	return len > 0 && enhanced_at((const unsigned char *)s, len, 0, cls,
	                              subj, det) == len;
}

/* Length of a typographic quote (« » “ ”) or dash at s[i], else 0. */
static size_t
utf8_quote(const unsigned char *s, size_t len, size_t i)
{
	if (i + 1 < len && s[i] == 0xc2 &&
	    (s[i + 1] == 0xab || s[i + 1] == 0xbb))
		return 2;
	if (i + 2 < len && s[i] == 0xe2 && s[i + 1] == 0x80 &&
	    (s[i + 2] == 0x9c || s[i + 2] == 0x9d || s[i + 2] == 0x93 ||
	     s[i + 2] == 0x94))
		return 3;
	return 0;
}

/* Skips quotes, commas and dashes between a code and what follows it. */
static size_t
skip_sep(const unsigned char *s, size_t len, size_t i, const char *set)
{
	size_t n;

	while (i < len) {
		n = utf8_quote(s, len, i);
		if (n > 0)
			i += n;
		else if (s[i] < 0x80 && s[i] != '\0' && strchr(set, s[i]))
			i++;
		else
			break;
	}
	return i;
}

struct cand {
	size_t pos; /* offset of the basic code, or len */
	int basic;
	size_t enh_pos; /* offset of the enhanced code, or len */
	size_t enh_len;
	int cls, subj, det;
};

static void
find_enhanced_after(const unsigned char *s, size_t len, size_t from,
                    struct cand *c)
{
	size_t i, n;

	for (i = from; i < len; i++) {
		n = enhanced_at(s, len, i, &c->cls, &c->subj, &c->det);
		if (n > 0) {
			c->enh_pos = i;
			c->enh_len = n;
			return;
		}
	}
}

/* Chooses the basic code: the first one followed by an enhanced code, else
 * the first at a line start, else the first anywhere. */
static void
find_codes(const unsigned char *s, size_t len, struct cand *c)
{
	size_t i, j, first = len, linestart = len;
	int code;

	memset(c, 0, sizeof(*c));
	c->pos = c->enh_pos = len;
	for (i = 0; i < len; i++) {
		code = basic_at(s, len, i);
		if (code == 0)
			continue;
		if (first == len)
			first = i;
		if (linestart == len &&
		    (i == 0 || s[i - 1] == '\n' || s[i - 1] == '\r'))
			linestart = i;
		j = skip_sep(s, len, i + 3, " -,\"'#");
		if (enhanced_at(s, len, j, &c->cls, &c->subj, &c->det) > 0) {
			c->pos = i;
			c->basic = code;
			c->enh_pos = j;
			c->enh_len = enhanced_at(s, len, j, &c->cls, &c->subj,
			                         &c->det);
			return;
		}
	}
	find_enhanced_after(s, len, 0, c);
	/* "5.1.2 The host ... (SMTP error 512)": input that opens with an
	 * enhanced code is about that code, not a number quoted later. */
	i = skip_sep(s, len, 0, " \t\r\n");
	if (c->enh_pos == i && c->enh_len > 0)
		return;
	c->pos = linestart != len ? linestart : first;
	if (c->pos != len)
		c->basic = basic_at(s, len, c->pos);
}

static void
text_append(struct explain_result *r, size_t *o, const unsigned char *s,
            size_t n)
{
	size_t k;

	if (*o > 0 && *o + 1 < sizeof(r->text) && r->text[*o - 1] != ' ')
		r->text[(*o)++] = ' ';
	for (k = 0; k < n && *o + 1 < sizeof(r->text); k++) {
		unsigned char ch = s[k];
		r->text[(*o)++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	r->text[*o] = '\0';
}

/* Strips "550-" / "550 " and a repeated enhanced code from a continuation
 * line of a multi-line reply. */
static size_t
strip_continuation(const unsigned char *s, size_t len, size_t i, int basic)
{
	int c, su, d;
	size_t n;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (basic != 0 && basic_at(s, len, i) == basic) {
		i = skip_sep(s, len, i + 3, " -");
		n = enhanced_at(s, len, i, &c, &su, &d);
		if (n > 0)
			i = skip_sep(s, len, i + n, " ");
	}
	return i;
}

static size_t
line_end(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

/* Copies the text from start to the end of its line, then the following
 * non-blank lines (continuations), into r->text. */
static void
collect_text(const unsigned char *s, size_t len, size_t start, int basic,
             struct explain_result *r)
{
	size_t o = 0, e, i = start;

	e = line_end(s, len, i);
	text_append(r, &o, s + i, e - i);
	for (;;) {
		i = e;
		if (i < len && s[i] == '\r')
			i++;
		if (i < len && s[i] == '\n')
			i++;
		if (i >= len)
			break;
		e = line_end(s, len, i);
		i = strip_continuation(s, len, i, basic);
		if (i >= e)
			break; /* blank line ends the reply */
		text_append(r, &o, s + i, e - i);
	}
}

static void
store_enhanced(const struct cand *c, struct explain_result *r)
{
	if (c->enh_len == 0 || c->enh_len >= sizeof(r->enhanced))
		return;
	r->enh_class = c->cls;
	r->enh_subject = c->subj;
	r->enh_detail = c->det;
	r->flags |= EXPLAIN_F_ENHANCED;
}

int
reply_parse(const char *in, size_t len, struct explain_result *r)
{
	const unsigned char *s = (const unsigned char *)in;
	struct cand c;
	size_t start;

	find_codes(s, len, &c);
	store_enhanced(&c, r);
	if (r->flags & EXPLAIN_F_ENHANCED)
		memcpy(r->enhanced, s + c.enh_pos, c.enh_len);
	if (c.basic != 0) {
		r->basic = c.basic;
		r->flags |= EXPLAIN_F_BASIC;
		start = skip_sep(s, len, c.pos + 3, " -,\"'#");
		if (c.enh_pos == start)
			start += c.enh_len;
		start = skip_sep(s, len, start, " ,.:;\"'-");
	} else if (c.enh_pos != len && c.enh_pos < 4) {
		start = skip_sep(s, len, c.enh_pos + c.enh_len, " ,.:;\"'-");
	} else {
		start = 0;
	}
	collect_text(s, len, start, c.basic, r);
	return (r->flags & (EXPLAIN_F_BASIC | EXPLAIN_F_ENHANCED)) ? 0 : -1;
}
