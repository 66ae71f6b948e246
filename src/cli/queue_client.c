/*
 * queue_client.c — the client side of the control socket (control.h):
 * one command line out, one reply line back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/queue_int.h"
#include "control/control.h"

#define CLIENT_TIMEOUT 30

static int
connect_error(const char *path)
{
	int e = errno;

	switch (e) {
	case ENOENT:
	case ECONNREFUSED:
		fprintf(stderr,
		        "ferry: ferry is not running (nothing answers on %s)\n",
		        path);
		return EX_UNAVAILABLE;
	case EACCES:
	case EPERM:
		fprintf(stderr,
		        "ferry: permission denied on %s: run this as root or "
		        "as the user the daemon runs as (setting 'user')\n",
		        path);
		return EX_NOPERM;
	default:
		fprintf(stderr, "ferry: cannot connect to %s: %s\n", path,
		        strerror(e));
		return EX_UNAVAILABLE;
	}
}

/* Reads the answer, up to the daemon's close, into reply, without its
 * last newline: one line, or more for a refused RELOAD. */
static int
read_reply(int fd, char *reply, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len) {
		n = read(fd, reply + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	reply[got] = '\0';
	if (got > 0 && reply[got - 1] == '\n')
		reply[got - 1] = '\0';
	return got > 0 ? 0 : -1;
}

int
queue_control(const char *spool_dir, const char *line, char *reply, size_t len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {CLIENT_TIMEOUT, 0};
	char buf[CONTROL_LINE_MAX + 2];
	int fd, n, rc;

	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", spool_dir,
	             CONTROL_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ferry: spool path too long for a socket\n");
		return EX_SOFTWARE;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return EX_OSERR;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = connect_error(sun.sun_path);
		close(fd);
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    write(fd, buf, (size_t)n) != n || read_reply(fd, reply, len) < 0) {
		fprintf(stderr, "ferry: no answer from the daemon on %s\n",
		        sun.sun_path);
		close(fd);
		return EX_UNAVAILABLE;
	}
	close(fd);
	return 0;
}
