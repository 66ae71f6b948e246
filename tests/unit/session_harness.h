/*
 * session_harness.h — drive a real SMTP session (src/smtp/session.c and
 * the cmd_* handlers) from bytes: a server with a test configuration and a
 * spool in a scratch directory, one session on one end of a socketpair,
 * the test on the other end.  Everything runs on the test's thread; the
 * spool's commit thread reports back through the loop as in the daemon.
 * Used by test_dialogs.c and tests/fuzz/fuzz_session.c.
 */
#ifndef FERRY_TEST_SESSION_HARNESS_H
#define FERRY_TEST_SESSION_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <crypt.h>

#include "auth/auth.h"
#include "config/config.h"
#include "policy/policy.h"
#include "queue/spool.h"
#include "tls/tls.h"
#include "smtp/server.h"
#include "keyproc_thread.h"
#include "spool_test_util.h"

#define HARNESS_HOSTNAME "mx.test.example"

struct harness {
	char *dir; /* scratch: config, spool, Maildirs */
	struct config *cfg;
	struct event_base *base;
	struct spool *spool;
	struct smtp_server *srv;
	struct tls_server *tls;    /* self-signed, made at the first start */
	struct auth_service *auth; /* when the config names a backend */
	struct policy *policy;
	int fd;   /* the client's end; -1 once closed */
	bool eof; /* the server closed the connection */
	char in[65536];
	size_t inlen;
};

/* A passwd-file with the user alice (password alice-pw). */
static inline int
harness_write_passwd(const char *dir)
{
	char path[512];
	const char *hash = crypt("alice-pw", "$6$dialogsalt$");
	FILE *f;

	snprintf(path, sizeof(path), "%s/passwd", dir);
	f = fopen(path, "w");
	if (f == NULL || hash == NULL)
		return f ? fclose(f), -1 : -1;
	fprintf(f, "alice:%s\n", hash);
	return fclose(f);
}

/* Write extra with every @DIR@ replaced by dir. */
static inline void
harness_put_extra(FILE *f, const char *dir, const char *extra)
{
	const char *p;

	while (extra && (p = strstr(extra, "@DIR@")) != NULL) {
		fprintf(f, "%.*s%s", (int)(p - extra), extra, dir);
		extra = p + 5;
	}
	if (extra)
		fputs(extra, f);
}

/* The configuration of docs/smtp.md's examples; extra holds more INI lines
 * (later values win, @DIR@ is the scratch directory). */
static inline int
harness_write_config(const char *dir, const char *extra, char *path,
                     size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/ferry.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	        "[server]\nhostname = " HARNESS_HOSTNAME "\n"
	        "[limits]\nmax_message_size = 1M\n"
	        "[queue]\nspool_dir = %s/spool\nmin_free_space = 0\n"
	        "[domain example.test]\nmaildir_root = %s/mail\n"
	        "mailbox = demo\nmailbox = alice\nmailbox = bob\n"
	        "disabled = carol\nalias = postmaster: demo\n"
	        "alias = info: alice, bob\n",
	        dir, dir);
	harness_put_extra(f, dir, extra);
	fputc('\n', f);
	return fclose(f);
}

static inline void harness_free(struct harness *h);

/* Server, spool and config in a fresh scratch directory; NULL on error
 * (the configuration's errors go to stderr). */
static inline struct harness *
harness_new(const char *extra_config)
{
	struct harness *h = calloc(1, sizeof(*h));
	char path[512], spool_dir[512];

	if (h == NULL)
		return NULL;
	/* As in the daemon: a write to a client that hung up is an error,
	 * not a signal. */
	signal(SIGPIPE, SIG_IGN);
	h->fd = -1;
	h->dir = scratch_dir();
	if (h->dir == NULL || harness_write_passwd(h->dir) < 0 ||
	    harness_write_config(h->dir, extra_config, path, sizeof(path)) < 0)
		goto fail;
	h->cfg = config_load(path, stderr);
	snprintf(spool_dir, sizeof(spool_dir), "%s/spool", h->dir);
	if (h->cfg == NULL || mkdir(spool_dir, 0755) < 0)
		goto fail;
	h->base = event_base_new();
	h->spool = h->base ? spool_open(h->base, h->cfg) : NULL;
	h->srv = h->spool ? smtp_server_new(h->base, h->cfg, h->spool) : NULL;
	if (h->srv == NULL)
		goto fail;
	h->policy = policy_new(h->base, h->cfg);
	if (h->policy == NULL)
		goto fail;
	smtp_server_set_policy(h->srv, h->policy);
	h->tls = tls_server_new(h->cfg, keyproc_thread_tls(h->cfg));
	smtp_server_set_tls(h->srv, h->tls);
	if (h->cfg->auth_backend != AUTH_BACKEND_NONE) {
		h->auth = auth_service_new(h->base, h->cfg,
		                           keyproc_thread_auth(h->cfg));
		if (h->auth == NULL)
			goto fail;
		smtp_server_set_auth(h->srv, h->auth);
	}
	return h;
fail:
	harness_free(h);
	return NULL;
}

/* Open a session as a client of the given listener role would. */
static inline int
harness_connect(struct harness *h, enum listener_role role)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(0x7f000001)};
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	h->fd = sv[0];
	h->eof = false;
	h->inlen = 0;
	smtp_server_adopt(h->srv, sv[1], (struct sockaddr *)&sin, role);
	return 0;
}

static inline double
harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the loop once without blocking, then take what the server wrote. */
static inline void
harness_pump(struct harness *h)
{
	ssize_t n;

	event_base_loop(h->base, EVLOOP_NONBLOCK);
	if (h->fd < 0 || h->eof)
		return;
	n = recv(h->fd, h->in + h->inlen, sizeof(h->in) - h->inlen, 0);
	if (n > 0)
		h->inlen += (size_t)n;
	else if (n == 0)
		h->eof = true;
	else if (errno != EAGAIN && errno != EWOULDBLOCK)
		h->eof = true;
}

/* Wait a little for the loop's timers or the commit thread. */
static inline void
harness_idle_wait(struct harness *h)
{
	struct pollfd p = {.fd = h->fd, .events = POLLIN};

	poll(&p, h->fd >= 0 ? 1 : 0, 1);
}

/* Send bytes; pumps the loop while the socket is full.  -1 on error. */
static inline int
harness_send(struct harness *h, const void *data, size_t len)
{
	const char *p = data;
	double deadline = harness_now() + 5;

	while (len > 0 && harness_now() < deadline) {
		ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		} else {
			harness_pump(h);
			if (h->inlen == sizeof(h->in))
				h->inlen = 0; /* nobody reads that much */
		}
	}
	return len == 0 ? 0 : -1;
}

/*
 * One reply line from the server, without its CRLF, into line; waits up to
 * timeout seconds.  Returns 1 with a line, 0 on end of connection, -1 on
 * timeout or a line without CRLF.
 */
static inline int
harness_read_line(struct harness *h, char *line, size_t size, double timeout)
{
	double deadline = harness_now() + timeout;

	for (;;) {
		char *nl = memchr(h->in, '\n', h->inlen);

		if (nl != NULL) {
			size_t len = (size_t)(nl - h->in) + 1;
			size_t keep = len - 2;

			if (len < 2 || nl[-1] != '\r')
				return -1; /* a bare LF from the server */
			if (keep >= size)
				keep = size - 1;
			memcpy(line, h->in, keep);
			line[keep] = '\0';
			memmove(h->in, h->in + len, h->inlen - len);
			h->inlen -= len;
			return 1;
		}
		if (h->eof)
			return 0;
		if (harness_now() >= deadline)
			return -1;
		harness_pump(h);
		if (memchr(h->in, '\n', h->inlen) == NULL && !h->eof)
			harness_idle_wait(h);
	}
}

/* Let the server work for a while (seconds) without expecting anything. */
static inline void
harness_settle(struct harness *h, double seconds)
{
	double deadline = harness_now() + seconds;

	while (harness_now() < deadline) {
		harness_pump(h);
		harness_idle_wait(h);
	}
}

/* Hang up and run the loop until the session is gone (bounded). */
static inline bool
harness_disconnect(struct harness *h)
{
	double deadline = harness_now() + 10;

	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	while (!smtp_server_idle(h->srv) && harness_now() < deadline) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		if (!smtp_server_idle(h->srv))
			usleep(200);
	}
	return smtp_server_idle(h->srv);
}

static inline void
harness_free(struct harness *h)
{
	if (h == NULL)
		return;
	if (h->srv) {
		harness_disconnect(h);
		smtp_server_free(h->srv);
	}
	if (h->auth)
		auth_service_free(h->auth);
	if (h->policy)
		policy_free(h->policy);
	tls_server_free(h->tls);
	if (h->spool)
		spool_close(h->spool);
	if (h->base)
		event_base_free(h->base);
	if (h->cfg)
		config_free(h->cfg);
	if (h->dir) {
		remove_tree(h->dir);
		free(h->dir);
	}
	free(h);
}

#endif
