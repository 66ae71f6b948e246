/*
 * test_dialogs.c — SMTP dialogs as data: every .txt file in tests/dialogs is
 * one test, run against a real session (session_harness.h).  A new protocol
 * case is a new file; the format is described in tests/dialogs/README.md:
 *
 *   config: INI line     added to the test configuration (before C:/S:)
 *   role: submission     the listener the client connects to
 *   C: text              the client sends text and CRLF
 *   C- text              the client sends text alone (no CRLF)
 *   S: text              the next reply line is text ('*' matches any run)
 *   S* text              continuation lines (NNN-) up to one that is text
 *   closed               the server has closed the connection
 *
 * In C lines \r, \n, \t, \\ and \xHH stand for their octets.  At the end
 * the server must have said nothing more than the S lines expect.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/log.h"
#include "session_harness.h"

#define REPLY_TIMEOUT 5.0

struct dialog {
	char *path;
	char *name;
};

/* Decode the escapes of a C line into out; returns the length. */
static size_t
unescape(const char *in, char *out)
{
	size_t n = 0;

	while (*in) {
		if (*in != '\\' || in[1] == '\0') {
			out[n++] = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'x': {
			char hex[3] = {in[1], in[1] ? in[2] : '\0', '\0'};

			out[n++] = (char)strtol(hex, NULL, 16);
			in += 2;
			break;
		}
		default:
			out[n++] = *in;
			break;
		}
		in++;
	}
	return n;
}

/* '*' matches any run of characters; everything else itself. */
static bool
glob_match(const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat == '*')
		return glob_match(pat + 1, s) || (*s && glob_match(pat, s + 1));
	return *s == *pat && glob_match(pat + 1, s + 1);
}

static char *
read_lines(const char *path, size_t *nlines, char ***lines)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *p;
	size_t cap = 0, len;

	assert_non_null(f);
	len = getdelim(&buf, &cap, '\0', f) > 0 ? strlen(buf) : 0;
	fclose(f);
	*nlines = 0;
	*lines = NULL;
	for (p = buf; len > 0 && *p;) {
		char *nl = strchr(p, '\n');

		*lines = realloc(*lines, (*nlines + 1) * sizeof(**lines));
		assert_non_null(*lines);
		(*lines)[(*nlines)++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return buf;
}

/* The config: and role: lines at the top. */
static char *
dialog_setup(char **lines, size_t n, enum listener_role *role)
{
	size_t i, len = 0;
	char *extra = calloc(1, 1);

	*role = LISTENER_SMTP;
	for (i = 0; i < n; i++) {
		if (strncmp(lines[i], "config: ", 8) == 0) {
			size_t add = strlen(lines[i] + 8);

			extra = realloc(extra, len + add + 2);
			assert_non_null(extra);
			memcpy(extra + len, lines[i] + 8, add);
			len += add;
			extra[len++] = '\n';
			extra[len] = '\0';
		} else if (strcmp(lines[i], "role: submission") == 0) {
			*role = LISTENER_SUBMISSION;
		}
	}
	return extra;
}

static void
expect_reply(struct harness *h, const struct dialog *d, size_t lineno,
             const char *want)
{
	char got[1024];
	int r = harness_read_line(h, got, sizeof(got), REPLY_TIMEOUT);

	if (r == 1 && glob_match(want, got))
		return;
	fail_msg("%s:%zu: expected \"%s\", got %s%s%s", d->name, lineno, want,
	         r == 1 ? "\"" : "",
	         r == 1   ? got
	         : r == 0 ? "end of connection"
	                  : "nothing",
	         r == 1 ? "\"" : "");
}

/* Skip continuation lines of a multiline reply up to its last line. */
static void
expect_last_line(struct harness *h, const struct dialog *d, size_t lineno,
                 const char *want)
{
	char got[1024];
	int r;

	while ((r = harness_read_line(h, got, sizeof(got), REPLY_TIMEOUT)) ==
	               1 &&
	       !glob_match(want, got) && strlen(got) > 3 && got[3] == '-')
		;
	if (r == 1 && glob_match(want, got))
		return;
	fail_msg("%s:%zu: expected \"%s\" after continuation lines, got %s",
	         d->name, lineno, want, r == 1 ? got : "nothing");
}

static void
expect_closed(struct harness *h, const struct dialog *d, size_t lineno)
{
	char got[1024];
	int r = harness_read_line(h, got, sizeof(got), REPLY_TIMEOUT);

	if (r != 0)
		fail_msg("%s:%zu: expected the connection to close, got %s",
		         d->name, lineno, r == 1 ? got : "nothing");
}

static void
send_line(struct harness *h, const char *text, bool crlf)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 3);

	assert_non_null(buf);
	len = unescape(text, buf);
	if (crlf) {
		buf[len++] = '\r';
		buf[len++] = '\n';
	}
	/* The server may have hung up already; its replies say so. */
	(void)harness_send(h, buf, len);
	free(buf);
}

/* Freed by the teardown too, so that a failed dialog leaves nothing. */
static struct harness *current;

static int
free_harness(void **state)
{
	harness_free(current);
	current = NULL;
	return 0;
}

static void
run_dialog(void **state)
{
	const struct dialog *d = *state;
	enum listener_role role;
	char **lines, *extra, *buf;
	struct harness *h;
	size_t n, i;
	bool closed = false;

	buf = read_lines(d->path, &n, &lines);
	extra = dialog_setup(lines, n, &role);
	h = current = harness_new(extra);
	free(extra);
	assert_non_null(h);
	assert_int_equal(harness_connect(h, role), 0);
	for (i = 0; i < n; i++) {
		const char *l = lines[i];

		if (strncmp(l, "C: ", 3) == 0 || strcmp(l, "C:") == 0)
			send_line(h, l[2] ? l + 3 : "", true);
		else if (strncmp(l, "C- ", 3) == 0)
			send_line(h, l + 3, false);
		else if (strncmp(l, "S: ", 3) == 0)
			expect_reply(h, d, i + 1, l + 3);
		else if (strncmp(l, "S* ", 3) == 0)
			expect_last_line(h, d, i + 1, l + 3);
		else if (strcmp(l, "closed") == 0) {
			expect_closed(h, d, i + 1);
			closed = true;
		} else if (l[0] != '#' && l[0] != '\0' &&
		           strncmp(l, "config: ", 8) != 0 &&
		           strncmp(l, "role: ", 6) != 0)
			fail_msg("%s:%zu: cannot parse \"%s\"", d->name, i + 1,
			         l);
	}
	if (!closed) {
		harness_settle(h, 0.02);
		if (h->inlen > 0)
			fail_msg("%s: unexpected output at the end: \"%.*s\"",
			         d->name, (int)h->inlen, h->in);
	}
	assert_true(harness_disconnect(h));
	free(lines);
	free(buf);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct CMUnitTest *)a)->name,
	              ((const struct CMUnitTest *)b)->name);
}

int
main(void)
{
	const char *src = getenv("FERRY_SRCDIR");
	struct CMUnitTest *tests = NULL;
	struct dirent *e;
	char dir[1024];
	size_t n = 0;
	DIR *dp;
	int rc;

	evthread_use_pthreads();
	log_set_level(LOG_LVL_ERROR); /* the replies say it all */
	snprintf(dir, sizeof(dir), "%s/tests/dialogs", src ? src : ".");
	dp = opendir(dir);
	if (dp == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name);
		struct dialog *d;

		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		d = calloc(1, sizeof(*d));
		tests = realloc(tests, (n + 1) * sizeof(*tests));
		if (d == NULL || tests == NULL)
			return 1;
		d->name = strdup(e->d_name);
		if (asprintf(&d->path, "%s/%s", dir, e->d_name) < 0)
			return 1;
		tests[n++] = (struct CMUnitTest){d->name, run_dialog, NULL,
		                                 free_harness, d};
	}
	closedir(dp);
	qsort(tests, n, sizeof(*tests), by_name);
	rc = _cmocka_run_group_tests("dialogs", tests, n, NULL, NULL);
	return rc;
}
