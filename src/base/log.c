/*
 * log.c — logfmt lines, each written with a single write(2)/syslog(3), or
 * on the batching thread gathered and written a pass at a time.
 */
#include "base/str.h"
#include "base/log.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static bool log_to_syslog;
static int log_fd = STDERR_FILENO; /* where the timestamped lines go */
static char *log_path;             /* log_file, for log_reopen() */
static enum log_level log_min = LOG_LVL_INFO;
static enum log_format log_format = LOG_FORMAT_LOGFMT;

/* A JSON line keeps room for its end: "}\n and the line's NUL. */
#define JSON_END_RESERVE 4

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* The batching thread's lines not yet written (log_batch_start).  One
 * buffer of PIPE_BUF octets: every write of it is whole lines that a pipe
 * takes in one piece. */
static char batch[PIPE_BUF];
_Static_assert(LOG_LINE_MAX < PIPE_BUF, "a line fits the batch");
static size_t batch_len;
static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool batch_here;     /* log_batch_start() was here */
static _Thread_local unsigned hold_depth; /* log_hold() without release */
static void (*batch_wake)(void *);
static void *batch_wake_arg;
static pthread_once_t batch_hooks_once = PTHREAD_ONCE_INIT;
static void set_batch_hooks(void);

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static struct sigaction
        fatal_old[sizeof(fatal_signals) / sizeof(fatal_signals[0])];

void
log_init(const char *target, const char *ident)
{
	if (target && strcmp(target, "syslog") == 0) {
		openlog(ident ? ident : "ferry", LOG_PID | LOG_NDELAY,
		        LOG_MAIL);
		log_to_syslog = true;
	}
}

static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_init_file(const char *path)
{
	int fd = open_log_file(path);

	if (fd < 0)
		return -1;
	free(log_path);
	log_path = str_dup(path);
	log_fd = fd;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (log_path == NULL)
		return 0;
	if ((fd = open_log_file(log_path)) < 0)
		return -1;
	/* dup2 keeps the number, so a line written meanwhile is not lost */
	if (dup2(fd, log_fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
write_out(const char *buf, size_t len)
{
	if (write(log_fd, buf, len) < 0) {
		/* Nowhere left to report a failing log write. */
	}
}

static void
flush_locked(void)
{
	if (batch_len > 0)
		write_out(batch, batch_len);
	batch_len = 0;
}

void
log_flush(void)
{
	pthread_mutex_lock(&batch_lock);
	flush_locked();
	pthread_mutex_unlock(&batch_lock);
}

static void
batch_line(const char *line, size_t len)
{
	bool was_empty;

	pthread_mutex_lock(&batch_lock);
	if (batch_len + len > sizeof(batch))
		flush_locked();
	was_empty = batch_len == 0;
	memcpy(batch + batch_len, line, len);
	batch_len += len;
	pthread_mutex_unlock(&batch_lock);
	/* Only the loop is woken: a holding thread writes on release. */
	if (was_empty && batch_here && batch_wake != NULL)
		batch_wake(batch_wake_arg);
}

void
log_hold(void)
{
	pthread_once(&batch_hooks_once, set_batch_hooks);
	hold_depth++;
}

void
log_release(void)
{
	if (hold_depth > 0 && --hold_depth == 0)
		log_flush();
}

/* A crash writes what the pass gathered, then meets the action that was
 * there before (the default, or the sanitizers' report). */
static void
fatal_signal(int sig, siginfo_t *si, void *ctx)
{
	size_t i;

	if (batch_len > 0 && batch_len <= sizeof(batch))
		write_out(batch, batch_len);
	batch_len = 0;
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &fatal_old[i], NULL);
	/* A fault comes again when the instruction is repeated on return; a
	 * signal sent by kill(2) or abort(3) has to be raised again. */
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

static void
fork_prepare(void)
{
	pthread_mutex_lock(&batch_lock);
	flush_locked();
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&batch_lock);
}

/* The child writes its own lines as they come. */
static void
fork_child(void)
{
	batch_here = false;
	hold_depth = 0;
	batch_wake = NULL;
	pthread_mutex_unlock(&batch_lock);
}

static void
set_batch_hooks(void)
{
	struct sigaction sa;
	size_t i;

	atexit(log_flush);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fatal_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, &fatal_old[i]);
}

void
log_batch_start(void (*wake)(void *arg), void *arg)
{
	pthread_once(&batch_hooks_once, set_batch_hooks);
	batch_wake = wake;
	batch_wake_arg = arg;
	batch_here = true;
}

void
log_batch_stop(void)
{
	batch_here = false;
	log_flush();
	batch_wake = NULL;
}

void
log_set_level(enum log_level min)
{
	log_min = min;
}

void
log_set_format(enum log_format f)
{
	log_format = f;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 when it is not one. */
static size_t
utf8_length(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void
log_json_string(char *buf, size_t cap, size_t *pos, const char *v,
                size_t reserve)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t p = *pos, n;
	char esc[8];

	while (*s != '\0') {
		/* the common case, one plain byte, without snprintf */
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') {
			if (p + 1 + reserve > cap)
				break;
			buf[p++] = (char)*s++;
			continue;
		}
		if (*s >= 0x80 && (n = utf8_length(s)) > 0) {
			if (p + n + reserve > cap)
				break;
			memcpy(buf + p, s, n);
			p += n;
			s += n;
			continue;
		}
		if (*s == '"' || *s == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *s);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "\\\\x%02x", *s);
		if (p + n + reserve > cap)
			break;
		memcpy(buf + p, esc, n);
		p += n;
		s++;
	}
	*pos = p;
}

static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v; v++)
		if (*v == ' ' || *v == '"' || *v == '=' ||
		    (unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

/* Append v to buf at *pos, quoting and escaping as logfmt requires. */
static void
append_value(char *buf, size_t cap, size_t *pos, const char *v)
{
	bool quote = needs_quotes(v);
	size_t p = *pos;

	if (quote && p + 1 < cap)
		buf[p++] = '"';
	for (; *v && p + 5 < cap; v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch == '"' || ch == '\\') {
			buf[p++] = '\\';
			buf[p++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			p += (size_t)snprintf(buf + p, cap - p, "\\x%02x", ch);
		} else {
			buf[p++] = (char)ch;
		}
	}
	if (quote && p + 1 < cap)
		buf[p++] = '"';
	*pos = p;
}

static void
append_raw(char *buf, size_t cap, size_t *pos, const char *s)
{
	for (; *s && *pos + 1 < cap; s++)
		buf[(*pos)++] = *s;
}

/* "2026-11-23T19:22:44.123Z" */
static void
timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

static size_t
logfmt_line(char *line, size_t cap, const char *ts, enum log_level lvl,
            const char *event, va_list ap)
{
	size_t pos = 0;
	const char *key;

	if (ts != NULL) {
		append_raw(line, cap, &pos, "ts=");
		append_raw(line, cap, &pos, ts);
		append_raw(line, cap, &pos, " ");
	}
	append_raw(line, cap, &pos, "level=");
	append_raw(line, cap, &pos, level_names[lvl]);
	append_raw(line, cap, &pos, " event=");
	append_value(line, cap, &pos, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);

		if (val == NULL)
			continue;
		append_raw(line, cap, &pos, " ");
		append_raw(line, cap, &pos, key);
		append_raw(line, cap, &pos, "=");
		append_value(line, cap, &pos, val);
	}
	return pos;
}

/* ,"key":"value" when the key and its quotes fit; false when not. */
static bool
json_pair(char *line, size_t cap, size_t *pos, const char *key, const char *val)
{
	size_t p = *pos;

	if (p + strlen(key) + 6 + JSON_END_RESERVE > cap)
		return false;
	append_raw(line, cap, &p, p > 1 ? ",\"" : "\"");
	log_json_string(line, cap, &p, key, JSON_END_RESERVE + 3);
	append_raw(line, cap, &p, "\":\"");
	log_json_string(line, cap, &p, val, JSON_END_RESERVE + 1);
	line[p++] = '"';
	*pos = p;
	return true;
}

/* The length limit drops whole pairs or cuts a value short, never the
 * closing brace: every line parses. */
static size_t
json_line(char *line, size_t cap, const char *ts, enum log_level lvl,
          const char *event, va_list ap)
{
	size_t pos = 0;
	const char *key;

	line[pos++] = '{';
	if (ts != NULL)
		json_pair(line, cap, &pos, "ts", ts);
	json_pair(line, cap, &pos, "level", level_names[lvl]);
	json_pair(line, cap, &pos, "event", event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);

		if (val != NULL && !json_pair(line, cap, &pos, key, val))
			break;
	}
	line[pos++] = '}';
	return pos;
}

void
log_event(enum log_level lvl, const char *event, ...)
{
	char line[LOG_LINE_MAX], ts[32];
	bool stamped = !log_to_syslog || log_path != NULL;
	size_t pos;
	va_list ap;

	if (lvl < log_min)
		return;
	if (stamped)
		timestamp(ts, sizeof(ts));
	va_start(ap, event);
	if (log_format == LOG_FORMAT_JSON)
		pos = json_line(line, sizeof(line), stamped ? ts : NULL, lvl,
		                event, ap);
	else
		pos = logfmt_line(line, sizeof(line), stamped ? ts : NULL, lvl,
		                  event, ap);
	va_end(ap);
	if (log_to_syslog) {
		static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING,
		                           LOG_ERR};
		const char *text = line;

		line[pos] = '\0';
		/* syslog stamps its own time; a JSON line stays whole */
		if (log_path != NULL && log_format == LOG_FORMAT_LOGFMT)
			text = strstr(line, "level=");
		syslog(prio[lvl], "%s", text ? text : line);
		if (log_path == NULL)
			return;
	}
	line[pos++] = '\n';
	if (batch_here || hold_depth > 0)
		batch_line(line, pos);
	else
		write_out(line, pos);
}

const char *
log_fmt_delay(time_t since, char *buf, size_t len)
{
	long long d = (long long)(time(NULL) - since);

	snprintf(buf, len, "%lld", d < 0 ? 0 : d);
	return buf;
}

void
log_fatal(const char *event, const char *detail)
{
	log_event(LOG_LVL_ERROR, event, "error", detail, NULL);
	exit(1);
}
