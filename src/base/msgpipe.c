/*
 * msgpipe.c — requests and answers between ferry's processes (see
 * msgpipe.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "base/mem.h"
#include "base/msgpipe.h"

int
msgpipe_pair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int
msgpipe_send(int fd, uint32_t type, uint32_t seq, const void *data, size_t len)
{
	struct msgpipe_hdr h = {.type = type, .seq = seq};
	struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)},
	                       {.iov_base = (void *)data, .iov_len = len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	if (len > MSGPIPE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ECONNRESET)
		errno = EPIPE;
	return n < 0 ? -1 : 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 when fd is readable, -1 with errno (ETIMEDOUT) otherwise. */
static int
wait_readable(int fd, long deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int left, r;

	for (;;) {
		left = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && left < 0)
			left = 0;
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int
recv_until(int fd, struct msgpipe_hdr *h, void *buf, long deadline)
{
	struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof(*h)},
	                       {.iov_base = buf, .iov_len = MSGPIPE_MAX}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n;

	/* Without a deadline the receive itself waits: one call less for
	 * each request a key process answers. */
	if (deadline >= 0 && wait_readable(fd, deadline) < 0)
		return -1;
	do
		n = recvmsg(fd, &m, deadline >= 0 ? MSG_DONTWAIT : 0);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		errno = EPIPE;
		return -1;
	}
	if (n < 0)
		return -1;
	if ((m.msg_flags & MSG_TRUNC) != 0 || (size_t)n < sizeof(*h)) {
		errno = EMSGSIZE;
		return -1;
	}
	return (int)((size_t)n - sizeof(*h));
}

int
msgpipe_recv(int fd, struct msgpipe_hdr *h, void *buf, int timeout_ms)
{
	return recv_until(fd, h, buf,
	                  timeout_ms < 0 ? -1 : now_ms() + timeout_ms);
}

int
msgpipe_call(int fd, uint32_t type, const void *data, size_t len,
             uint32_t *answer_type, void *buf, int timeout_ms)
{
	static atomic_uint next_seq;
	uint32_t seq = atomic_fetch_add(&next_seq, 1) + 1;
	long deadline = now_ms() + timeout_ms;
	struct msgpipe_hdr h;
	int n;

	if (msgpipe_send(fd, type, seq, data, len) < 0)
		return -1;
	for (;;) {
		n = recv_until(fd, &h, buf, deadline);
		if (n < 0)
			return -1;
		/* An answer to an earlier call that gave up waiting. */
		if (h.seq != seq)
			continue;
		*answer_type = h.type;
		return n;
	}
}

int
msgpipe_serve(int fd, msgpipe_handler handler, void *arg)
{
	unsigned char *in = xmalloc(MSGPIPE_MAX), *out = xmalloc(MSGPIPE_MAX);
	struct msgpipe_hdr h;
	uint32_t otype;
	int n, rc;

	for (;;) {
		n = msgpipe_recv(fd, &h, in, -1);
		if (n < 0)
			break;
		otype = 0;
		n = handler(arg, h.type, in, (size_t)n, out, &otype);
		if (n < 0 || n > (int)MSGPIPE_MAX)
			n = 0;
		if (msgpipe_send(fd, otype, h.seq, out, (size_t)n) < 0)
			break;
	}
	rc = errno == EPIPE ? 0 : -1;
	free(in);
	free(out);
	return rc;
}
