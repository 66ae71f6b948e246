/*
 * probe.c — a small blocking SMTP client for doctor's dialogues (the MX
 * hosts' STARTTLS, the open-relay self-test).  It never sends mail: the
 * callers stop at RCPT.  Every step is bounded by the probe's timeout
 * (SO_RCVTIMEO/SO_SNDTIMEO, and poll() for the connect).  The TLS side
 * is the relay's (relay/tls_client.h): SNI, and the certificate checked
 * against the CA store and the host name after the handshake.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "doctor/doctor_int.h"
#include "relay/tls_client.h"

static void
set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
connect_bounded(int fd, const struct addrinfo *ai, unsigned ms)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	int err = 0, fl = fcntl(fd, F_GETFL);
	socklen_t len = sizeof(err);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&pfd, 1, (int)ms) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			errno = err ? err : ECONNREFUSED;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, fl);
	return 0;
}

int
probe_connect(struct probe *p, const char *addr, int port, unsigned timeout_ms,
              char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char service[16];
	int rc;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->timeout_ms = timeout_ms;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	if ((rc = getaddrinfo(addr, service, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	p->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect_bounded(p->fd, ai, timeout_ms) < 0) {
		snprintf(err, errlen, "connect to %s port %d: %s", addr, port,
		         strerror(errno));
		freeaddrinfo(ai);
		probe_close(p);
		return -1;
	}
	freeaddrinfo(ai);
	set_timeouts(p->fd, timeout_ms);
	return 0;
}

static long
read_some(struct probe *p, char *buf, size_t len)
{
	if (p->ssl)
		return SSL_read(p->ssl, buf, (int)len);
	return (long)recv(p->fd, buf, len, 0);
}

/* One line (without CRLF) into line; -1 when none comes. */
static int
read_line(struct probe *p, char *line, size_t len)
{
	char *nl;
	long n;

	while ((nl = memchr(p->in, '\n', p->inlen)) == NULL) {
		if (p->inlen == sizeof(p->in))
			return -1;
		n = read_some(p, p->in + p->inlen, sizeof(p->in) - p->inlen);
		if (n <= 0)
			return -1;
		p->inlen += (size_t)n;
	}
	n = nl - p->in;
	snprintf(line, len, "%.*s",
	         (int)(n > 0 && p->in[n - 1] == '\r' ? n - 1 : n), p->in);
	p->inlen -= (size_t)n + 1;
	memmove(p->in, nl + 1, p->inlen);
	return 0;
}

int
probe_reply(struct probe *p, char *text, size_t len)
{
	char line[1024];
	size_t used = 0;
	int lines = 0;

	text[0] = '\0';
	while (lines++ < 100 && read_line(p, line, sizeof(line)) == 0) {
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5')
			return -1;
		used += (size_t)snprintf(text + used, len - used, "%s%s",
		                         used ? "\n" : "", line);
		if (used >= len)
			used = len - 1;
		if (line[3] != '-')
			return atoi(line);
	}
	return -1;
}

int
probe_cmd(struct probe *p, const char *line, char *text, size_t len)
{
	char out[1024];
	int n = snprintf(out, sizeof(out), "%s\r\n", line);
	long w = p->ssl ? SSL_write(p->ssl, out, n)
	                : (long)send(p->fd, out, (size_t)n, MSG_NOSIGNAL);

	if (w != n)
		return -1;
	return probe_reply(p, text, len);
}

int
probe_tls(struct probe *p, const char *host, const char *ca_file, char *err,
          size_t errlen)
{
	struct relay_tls_peer peer = {ca_file, NULL};

	p->ssl = relay_tls_new(host, &peer, NULL, err, errlen);
	if (p->ssl == NULL)
		return -1;
	SSL_set_fd(p->ssl, p->fd);
	if (SSL_connect(p->ssl) != 1) {
		relay_tls_error(err, errlen, "TLS handshake failed");
		SSL_free(p->ssl);
		p->ssl = NULL;
		return -1;
	}
	return relay_tls_verify(p->ssl, host, &peer, err, errlen);
}

void
probe_close(struct probe *p)
{
	if (p->ssl) {
		SSL_shutdown(p->ssl);
		SSL_free(p->ssl);
		p->ssl = NULL;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
