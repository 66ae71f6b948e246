/*
 * reply_parse.c — multi-line SMTP replies (see reply_parse.h).
 */
#include "relay/reply_parse.h"

#include <string.h>

void
reply_acc_reset(struct reply_acc *acc)
{
	memset(acc, 0, sizeof(*acc));
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1-3 digits, a dot: returns the octets consumed, 0 if not there. */
static size_t
number_dot(const char *s, size_t len, bool need_dot)
{
	size_t i = 0;

	while (i < len && i < 3 && is_digit(s[i]))
		i++;
	if (i == 0 || (need_dot && (i >= len || s[i] != '.')))
		return 0;
	return need_dot ? i + 1 : i;
}

bool
reply_parse_enhanced(const char *text, size_t len, char *out)
{
	size_t a, b, c;

	if (len < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') ||
	    text[1] != '.')
		return false;
	a = 2;
	b = number_dot(text + a, len - a, true);
	if (b == 0)
		return false;
	c = number_dot(text + a + b, len - a - b, false);
	if (c == 0 || (a + b + c < len && text[a + b + c] != ' '))
		return false;
	if (a + b + c >= 16)
		return false;
	memcpy(out, text, a + b + c);
	out[a + b + c] = '\0';
	return true;
}

static void
append(struct reply_acc *acc, const char *s, size_t n)
{
	if (acc->len + n >= sizeof(acc->text))
		n = sizeof(acc->text) - acc->len - 1;
	memcpy(acc->text + acc->len, s, n);
	acc->len += n;
	acc->text[acc->len] = '\0';
}

enum reply_line_status
reply_acc_line(struct reply_acc *acc, const char *line, size_t len)
{
	int code;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-') || len > 512 ||
	    ++acc->lines > REPLY_LINES_MAX)
		return REPLY_LINE_BAD;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 200 || code > 599 || (acc->code && acc->code != code))
		return REPLY_LINE_BAD;
	if (acc->code == 0) {
		acc->code = code;
		append(acc, line, 3);
		if (len > 4)
			reply_parse_enhanced(line + 4, len - 4, acc->enhanced);
	}
	if (len > 4) {
		/* The enhanced code of continuation lines is not repeated. */
		const char *t = line + 4;
		size_t n = len - 4;
		size_t el = strlen(acc->enhanced);

		if (acc->lines > 1 && el && n > el &&
		    strncmp(t, acc->enhanced, el) == 0 && t[el] == ' ') {
			t += el + 1;
			n -= el + 1;
		}
		append(acc, " ", 1);
		append(acc, t, n);
	}
	if (len == 3 || line[3] == ' ') {
		acc->complete = true;
		return REPLY_LINE_COMPLETE;
	}
	return REPLY_LINE_MORE;
}
