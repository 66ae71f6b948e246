/*
 * keyproc.c — forking and confining the key processes (see keyproc.h).
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "base/log.h"
#include "base/msgpipe.h"
#include "cli/keyproc.h"
#include "config/config.h"
#include "sandbox/sandbox.h"
#include "tls/tls.h"

/* The daemon's ends of the key processes started so far: a later one must
 * not keep them open, or an earlier one would never see end of file. */
static int started_fds[2] = {-1, -1};

/* Root keeps reading root's files (CAP_DAC_READ_SEARCH) and nothing else:
 * no chown, no kill, no raw sockets, no setuid. */
static void
drop_capabilities(void)
{
	struct __user_cap_header_struct h = {
	        .version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	if (geteuid() != 0)
		return;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != CAP_DAC_READ_SEARCH)
			(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	d[0].effective = d[0].permitted = 1u << CAP_DAC_READ_SEARCH;
	if (syscall(SYS_capset, &h, d) < 0)
		log_event(LOG_LVL_WARN, "keyproc", "capabilities",
		          strerror(errno), NULL);
}

/* What every key process does before it reads anything. */
static void
child_setup(const char *name, int keep)
{
	static const int quiet[] = {SIGINT,  SIGHUP,  SIGTERM,
	                            SIGUSR1, SIGUSR2, SIGPIPE};

	for (size_t i = 0; i < sizeof(started_fds) / sizeof(*started_fds); i++)
		if (started_fds[i] >= 0 && started_fds[i] != keep)
			close(started_fds[i]);
	/* The daemon's signals are for the daemon; the end of its socket
	 * tells a key process when to go. */
	for (size_t i = 0; i < sizeof(quiet) / sizeof(*quiet); i++)
		signal(quiet[i], SIG_IGN);
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	/* Not traceable, no core dump holding the key. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void
child_serve(const struct config *cfg, const char *role, int fd,
            const char *const *paths, msgpipe_handler handler, void *arg)
{
	/* After the first read: a generated pair was made root's. */
	drop_capabilities();
	if (sandbox_keyproc_start(cfg, role, paths) < 0)
		_exit(1);
	log_event(LOG_LVL_INFO, "keyproc", "role", role, "state", "ready",
	          NULL);
	if (msgpipe_serve(fd, handler, arg) < 0)
		log_event(LOG_LVL_ERROR, "keyproc", "role", role, "error",
		          strerror(errno), NULL);
	_exit(0);
}

static void
tls_child(const struct config *cfg, int fd)
{
	struct tls_keys *k;
	const char *paths[3] = {NULL, NULL, NULL};

	child_setup("ferry-keys", fd);
	k = tls_keys_load(cfg);
	if (k == NULL)
		_exit(1);
	tls_keys_paths(k, &paths[0], &paths[1]);
	child_serve(cfg, "tls", fd, paths, tls_keys_answer, k);
}

static void
auth_child(const struct config *cfg, int fd)
{
	struct auth_passwd_server *srv;
	const char *paths[2] = {NULL, NULL};

	child_setup("ferry-auth", fd);
	srv = auth_passwd_server_new(cfg);
	paths[0] = auth_passwd_server_path(srv);
	child_serve(cfg, "auth", fd, paths, auth_passwd_server_answer, srv);
}

static int
spawn(const struct config *cfg, struct keyproc *kp, int slot,
      void (*child)(const struct config *, int), const char *role)
{
	int fds[2];
	pid_t pid;
	char n[24];

	kp->pid = 0;
	kp->fd = -1;
	if (msgpipe_pair(fds) < 0) {
		log_event(LOG_LVL_ERROR, "keyproc", "role", role, "error",
		          strerror(errno), NULL);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_event(LOG_LVL_ERROR, "keyproc", "role", role, "error",
		          strerror(errno), NULL);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child(cfg, fds[1]);
		_exit(1);
	}
	close(fds[1]);
	kp->pid = pid;
	kp->fd = started_fds[slot] = fds[0];
	snprintf(n, sizeof(n), "%ld", (long)pid);
	log_event(LOG_LVL_INFO, "keyproc", "role", role, "pid", n, NULL);
	return 0;
}

int
keyproc_start_tls(const struct config *cfg, struct keyproc *kp)
{
	return spawn(cfg, kp, 0, tls_child, "tls");
}

int
keyproc_start_auth(const struct config *cfg, struct keyproc *kp)
{
	return spawn(cfg, kp, 1, auth_child, "auth");
}

static void
closed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct keyproc *kp = arg;
	char n[24];

	snprintf(n, sizeof(n), "%ld", (long)kp->pid);
	log_event(LOG_LVL_ERROR, "keyproc", "pid", n, "state", "gone", NULL);
	event_del(kp->closed);
	kp->lost(kp->arg);
}

int
keyproc_watch(struct keyproc *kp, struct event_base *base,
              void (*lost)(void *arg), void *arg)
{
	if (kp->fd < 0)
		return 0;
	kp->lost = lost;
	kp->arg = arg;
	/* EV_CLOSED: the peer's close alone, not the answers to requests. */
	kp->closed =
	        event_new(base, kp->fd, EV_CLOSED | EV_PERSIST, closed_cb, kp);
	return kp->closed != NULL && event_add(kp->closed, NULL) == 0 ? 0 : -1;
}

void
keyproc_stop(struct keyproc *kp)
{
	if (kp->closed != NULL)
		event_free(kp->closed);
	kp->closed = NULL;
	if (kp->fd >= 0)
		close(kp->fd);
	kp->fd = -1;
}
