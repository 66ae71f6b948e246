/*
 * keyproc_thread.h — the key processes' side (cli/keyproc.c) for unit
 * tests: the same answering code and messages, on a thread of the test
 * instead of a forked process.  Each call makes a new socketpair and
 * thread and returns the daemon's end (-1 when there is nothing to serve).
 */
#ifndef FERRY_TESTS_KEYPROC_THREAD_H
#define FERRY_TESTS_KEYPROC_THREAD_H

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/msgpipe.h"
#include "config/config.h"
#include "tls/tls.h"

struct keyproc_thread {
	int fd;
	msgpipe_handler handler;
	void *arg;
};

static inline void *
keyproc_thread_main(void *p)
{
	struct keyproc_thread *kt = p;

	(void)msgpipe_serve(kt->fd, kt->handler, kt->arg);
	close(kt->fd);
	free(kt);
	return NULL;
}

static inline int
keyproc_thread_start(msgpipe_handler handler, void *arg)
{
	struct keyproc_thread *kt = calloc(1, sizeof(*kt));
	pthread_t t;
	int fds[2];

	if (kt == NULL || msgpipe_pair(fds) < 0)
		abort();
	kt->fd = fds[1];
	kt->handler = handler;
	kt->arg = arg;
	if (pthread_create(&t, NULL, keyproc_thread_main, kt) != 0)
		abort();
	pthread_detach(t);
	return fds[0];
}

/* For auth_service_new(): the passwd-file checker, or -1. */
static inline int
keyproc_thread_auth(const struct config *cfg)
{
	if (cfg->auth_backend != AUTH_BACKEND_PASSWD_FILE ||
	    cfg->auth_passwd_file == NULL)
		return -1;
	return keyproc_thread_start(auth_passwd_server_answer,
	                            auth_passwd_server_new(cfg));
}

/* For tls_server_new(): the pair's holder. */
static inline int
keyproc_thread_tls(const struct config *cfg)
{
	struct tls_keys *k = tls_keys_load(cfg);

	return k ? keyproc_thread_start(tls_keys_answer, k) : -1;
}

#endif
