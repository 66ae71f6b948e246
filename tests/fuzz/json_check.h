/*
 * json_check.h — a strict checker of the JSON the log writes (RFC 8259):
 * an object of string members, strings with only the escapes JSON has and
 * valid UTF-8.  Shared by tests/unit/test_log.c and fuzz_log_json.c.
 */
#ifndef FERRY_TEST_JSON_CHECK_H
#define FERRY_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Bytes of the valid UTF-8 sequence at s[0..n), 0 when none. */
static size_t
json_check_utf8(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The inside of a string from *i up to its closing quote (consumed). */
static bool
json_check_string(const unsigned char *s, size_t n, size_t *i)
{
	size_t k;

	while (*i < n) {
		unsigned char c = s[*i];

		if (c == '"') {
			(*i)++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (*i + 1 >= n)
				return false;
			c = s[*i + 1];
			if (c == 'u') {
				if (*i + 6 > n)
					return false;
				for (k = 2; k < 6; k++)
					if (!strchr("0123456789abcdefABCDEF",
					            s[*i + k]) ||
					    s[*i + k] == '\0')
						return false;
				*i += 6;
			} else if (strchr("\"\\/bfnrt", c) && c != '\0') {
				*i += 2;
			} else {
				return false;
			}
			continue;
		}
		if ((k = json_check_utf8(s + *i, n - *i)) == 0)
			return false;
		*i += k;
	}
	return false;
}

/* {"k":"v",...}: the whole of s[0..n). */
static bool
json_check_object(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 1;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return false;
	if (n == 2)
		return true;
	for (;;) {
		if (i >= n || s[i++] != '"' || !json_check_string(s, n, &i))
			return false;
		if (i >= n || s[i++] != ':')
			return false;
		if (i >= n || s[i++] != '"' || !json_check_string(s, n, &i))
			return false;
		if (i == n - 1)
			return true;
		if (s[i++] != ',')
			return false;
	}
}

#endif
