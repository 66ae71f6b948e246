/*
 * msgpipe — request and answer between two processes of ferry over a
 * SOCK_SEQPACKET socketpair: each message is one datagram (a type, a
 * sequence number, then at most MSGPIPE_MAX bytes), so nothing is ever
 * half-read.  The daemon asks, a key process (cli/keyproc.c) answers; a
 * call waits at most its timeout and skips answers to earlier calls that
 * timed out (their sequence numbers are older).
 *
 * Errors: -1 with errno: ETIMEDOUT (no answer in time), EPIPE (the other
 * process is gone: end of file or a reset), EMSGSIZE (too big, either way),
 * or what the socket said.
 * Threads: one call at a time per descriptor (the caller serialises).
 */
#ifndef FERRY_BASE_MSGPIPE_H
#define FERRY_BASE_MSGPIPE_H

#include <stddef.h>
#include <stdint.h>

/* The largest payload: a certificate chain in PEM fits many times. */
#define MSGPIPE_MAX ((size_t)64 * 1024)

struct msgpipe_hdr {
	uint32_t type;
	uint32_t seq;
};

/* A SOCK_SEQPACKET socketpair with close-on-exec; -1 with errno. */
int msgpipe_pair(int fds[2]);

/* One message; -1 with errno. */
int msgpipe_send(int fd, uint32_t type, uint32_t seq, const void *data,
                 size_t len);
/*
 * The next message into buf (MSGPIPE_MAX bytes), waiting at most
 * timeout_ms (-1: for ever): its length, or -1 with errno (EPIPE at end
 * of file).
 */
int msgpipe_recv(int fd, struct msgpipe_hdr *h, void *buf, int timeout_ms);

/*
 * Send a request and wait for its answer (the same sequence number) into
 * buf (MSGPIPE_MAX bytes); *type gets the answer's type.  Its length, or
 * -1 with errno.
 */
int msgpipe_call(int fd, uint32_t type, const void *data, size_t len,
                 uint32_t *answer_type, void *buf, int timeout_ms);

/*
 * The answering side: one request at a time, each answered by handler
 * (its answer's length in out, MSGPIPE_MAX bytes, and its type in
 * *otype), until the other end closes.  Returns 0 at end of file, -1 with
 * errno on a socket error.
 */
typedef int (*msgpipe_handler)(void *arg, uint32_t type,
                               const unsigned char *in, size_t len,
                               unsigned char *out, uint32_t *otype);
int msgpipe_serve(int fd, msgpipe_handler handler, void *arg);

#endif
