/*
 * log — one line per event, logfmt style, to stderr or syslog:
 *   ts=2026-11-23T19:22:44.123Z level=info event=rcpt id=... to=<a@b> ...
 * Values are quoted when they hold spaces, quotes or '=', and control bytes
 * are escaped, so a hostile client cannot forge log lines.
 * With LOG_FORMAT_JSON the same keys make one JSON object per line:
 *   {"ts":"2026-11-23T19:22:44.123Z","level":"info","event":"rcpt",...}
 * every value a string; the line is valid JSON (RFC 8259) whatever the
 * bytes a client sent, and so is a line cut at the length limit.
 *
 * Thread-safe: each line is formatted privately and written with one call,
 * except on the thread that called log_batch_start() (the daemon's event
 * loop): its lines are gathered and written together by log_flush(), in
 * writes of whole lines of at most PIPE_BUF octets, so a write to a pipe
 * never interleaves with another thread's line.
 */
#ifndef FERRY_BASE_LOG_H
#define FERRY_BASE_LOG_H

#include <stddef.h>
#include <time.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* target: "stderr" (default) or "syslog". */
void log_init(const char *target, const char *ident);
/* Also (with syslog) or instead of stderr: lines appended to path, opened
 * now (as root, before privileges are dropped).  -1 with errno. */
int log_init_file(const char *path);
/* Opens log_file again (after logrotate moved it); -1 with errno, and the
 * old file stays in use. */
int log_reopen(void);
void log_set_level(enum log_level min);

enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };
void log_set_format(enum log_format f);

/*
 * Appends v to buf at *pos as the inside of a JSON string: '"', '\' and
 * control bytes escaped, valid UTF-8 kept, every byte of an invalid
 * sequence written as the text \xNN (as logfmt shows control bytes).
 * Stops early rather than leave fewer than reserve bytes of cap, never
 * cutting an escape or a UTF-8 sequence.  Exposed for the tests.
 */
void log_json_string(char *buf, size_t cap, size_t *pos, const char *v,
                     size_t reserve);

/*
 * log_event(LOG_LVL_INFO, "rcpt", "id", id, "to", addr, NULL):
 * key/value string pairs terminated by NULL; a NULL value is skipped.
 */
void log_event(enum log_level lvl, const char *event, ...)
        __attribute__((sentinel));

/*
 * From now on the calling thread's lines wait in a buffer until
 * log_flush(); the first line of an empty buffer calls wake(arg) (the
 * daemon activates an event that flushes at the end of the loop's pass).
 * A full buffer is written at once.  The buffer is also written at exit,
 * before fork(), and on a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT); only SIGKILL or a power loss loses the lines of one pass.
 */
void log_batch_start(void (*wake)(void *arg), void *arg);
/* Writes what is gathered and logs line by line again. */
void log_batch_stop(void);
/* Writes the gathered lines now (any thread). */
void log_flush(void);
/* Any thread: its lines are gathered from log_hold() until the matching
 * log_release(), which writes them (a delivery batch's lines, one write
 * for many), with the same exit and signal guarantees. */
void log_hold(void);
void log_release(void);

/* "12": whole seconds from since (a queue arrival time) to now, for the
 * delay field of delivery lines.  Returns buf. */
const char *log_fmt_delay(time_t since, char *buf, size_t len);

/* Fatal error: log and exit(1). */
void log_fatal(const char *event, const char *detail) __attribute__((noreturn));

#endif
