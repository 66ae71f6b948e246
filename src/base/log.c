/*
 * log.c — logfmt lines, each written with a single write(2)/syslog(3).
 */
#include "base/log.h"

#include <fcntl.h>
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

static const char *const level_names[] = {"debug", "info", "warn", "error"};

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
	log_path = strdup(path);
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

void
log_set_level(enum log_level min)
{
	log_min = min;
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

void
log_event(enum log_level lvl, const char *event, ...)
{
	char line[LOG_LINE_MAX];
	size_t pos = 0;
	const char *key;
	va_list ap;

	if (lvl < log_min)
		return;
	if (!log_to_syslog || log_path != NULL) {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		pos = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
		                        ".%03dZ ", (int)(tv.tv_usec / 1000));
	}
	append_raw(line, sizeof(line), &pos, "level=");
	append_raw(line, sizeof(line), &pos, level_names[lvl]);
	append_raw(line, sizeof(line), &pos, " event=");
	append_value(line, sizeof(line), &pos, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);

		if (val == NULL)
			continue;
		append_raw(line, sizeof(line), &pos, " ");
		append_raw(line, sizeof(line), &pos, key);
		append_raw(line, sizeof(line), &pos, "=");
		append_value(line, sizeof(line), &pos, val);
	}
	va_end(ap);
	if (log_to_syslog) {
		static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING,
		                           LOG_ERR};
		const char *text = line;

		line[pos] = '\0';
		if (log_path != NULL) /* syslog stamps its own time */
			text = strstr(line, "level=");
		syslog(prio[lvl], "%s", text ? text : line);
		if (log_path == NULL)
			return;
	}
	line[pos++] = '\n';
	if (write(log_fd, line, pos) < 0) {
		/* Nowhere left to report a failing log write. */
	}
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
