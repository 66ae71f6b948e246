/*
 * control.c — the control socket: listening, bounded clients, one command
 * line per connection (see control.h).
 */
#include "base/str.h"
#include "control/control_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "base/log.h"
#include "config/config.h"
#include "queue/spool.h"

static void
client_free(struct control_client *cl)
{
	TAILQ_REMOVE(&cl->ctl->clients, cl, link);
	cl->ctl->nclients--;
	bufferevent_free(cl->bev);
	free(cl);
}

static unsigned long
peer_uid(evutil_socket_t fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (unsigned long)-1;
	return cred.uid;
}

static void
client_reply(struct control_client *cl, const char *reply)
{
	bufferevent_write(cl->bev, reply, strlen(reply));
	bufferevent_disable(cl->bev, EV_READ);
	cl->closing = true;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char reply[CONTROL_REPLY_MAX], *line;
	size_t n;

	if (cl->closing)
		return;
	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
			client_reply(cl, "ERR line too long\n");
		return;
	}
	if (n > CONTROL_LINE_MAX || strlen(line) != n)
		snprintf(reply, sizeof(reply), "ERR line too long\n");
	else
		control_run(cl, line, peer_uid(bufferevent_getfd(bev)), reply,
		            sizeof(reply));
	free(line);
	if (reply[0] == '\0') { /* answered later */
		cl->waiting = true;
		bufferevent_disable(cl->bev, EV_READ);
		return;
	}
	client_reply(cl, reply);
}

void
control_answer_later(void *token, const char *text)
{
	struct control_client *cl = token;

	cl->waiting = false;
	if (cl->gone) {
		client_free(cl);
		return;
	}
	client_reply(cl, text);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;

	if (cl->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(cl);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *cl = arg;

	if (cl->waiting) { /* freed when the answer comes */
		cl->gone = true;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		return;
	}
	client_free(cl);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
	static const char busy[] = "ERR too many clients, try again\n";
	struct control *ctl = arg;
	struct timeval tv = {CONTROL_TIMEOUT, 0};
	struct control_client *cl;

	if (ctl->nclients >= CONTROL_CLIENTS_MAX ||
	    (cl = calloc(1, sizeof(*cl))) == NULL) {
		/* A fresh socket's buffer takes one short line at once. */
		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT) < 0)
			log_event(LOG_LVL_WARN, "control", "error",
			          strerror(errno), NULL);
		evutil_closesocket(fd);
		return;
	}
	cl->ctl = ctl;
	cl->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		evutil_closesocket(fd);
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, cl, link);
	ctl->nclients++;
	bufferevent_setcb(cl->bev, read_cb, write_cb, event_cb, cl);
	bufferevent_set_timeouts(cl->bev, &tv, &tv);
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CONTROL_LINE_MAX + 2);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* Another daemon on this spool answers on the socket: do not steal it. */
static bool
socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return used;
}

static int
listen_socket(struct control *ctl)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int n;

	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	             ctl->cfg->spool_dir, CONTROL_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return errno = ENAMETOOLONG, -1;
	if ((ctl->sock_path = str_dup(sun.sun_path)) == NULL)
		return -1;
	if (socket_in_use(&sun))
		return errno = EADDRINUSE, -1;
	if (unlink(sun.sun_path) < 0 && errno != ENOENT)
		return -1;
	ctl->listener = evconnlistener_new_bind(
	        ctl->base, accept_cb, ctl,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	        (struct sockaddr *)&sun, sizeof(sun));
	if (ctl->listener == NULL)
		return -1;
	/* Until now the mode came from the umask; connecting needs write
	 * permission, which only the owner (and root) keeps. */
	return chmod(sun.sun_path, 0600);
}

struct control *
control_start(struct event_base *base, const struct config *cfg,
              struct spool *sp, const struct control_hooks *hooks, void *arg)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL)
		return NULL;
	ctl->base = base;
	ctl->cfg = cfg;
	ctl->sp = sp;
	ctl->hooks = *hooks;
	ctl->arg = arg;
	TAILQ_INIT(&ctl->clients);
	if (spool_hold_recover(sp) < 0 || listen_socket(ctl) < 0) {
		log_event(LOG_LVL_ERROR, "control", "socket",
		          ctl->sock_path ? ctl->sock_path : cfg->spool_dir,
		          "error", strerror(errno), NULL);
		control_stop(ctl);
		return NULL;
	}
	if ((ctl->showq = showq_start(ctl)) == NULL ||
	    (ctl->pickup = pickup_start(ctl)) == NULL) {
		control_stop(ctl);
		return NULL;
	}
	log_event(LOG_LVL_INFO, "control", "socket", ctl->sock_path, NULL);
	return ctl;
}

void
control_stop(struct control *ctl)
{
	if (ctl == NULL)
		return;
	pickup_stop(ctl->pickup);
	showq_stop(ctl->showq);
	/* client_free() unlinks each client: not a use after free. */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&ctl->clients))
		client_free(TAILQ_FIRST(&ctl->clients));
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	if (ctl->listener) {
		evconnlistener_free(ctl->listener);
		if (ctl->sock_path != NULL)
			unlink(ctl->sock_path);
	}
	free(ctl->sock_path);
	free(ctl);
}
