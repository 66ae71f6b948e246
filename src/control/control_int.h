/*
 * control_int — shared between control.c (socket) and control_pickup.c
 * (maildrop).  Not part of the public interface.
 */
#ifndef FERRY_CONTROL_INT_H
#define FERRY_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include "control/control.h"

struct bufferevent;
struct evconnlistener;
struct pickup;
struct showq;

struct control_client {
	struct control *ctl;
	struct bufferevent *bev;
	bool closing;
	bool waiting; /* an answer comes later (control_answer_later) */
	bool gone;    /* the peer left while it waited */
	TAILQ_ENTRY(control_client) link;
};

TAILQ_HEAD(control_client_list, control_client);

struct control {
	struct event_base *base;
	const struct config *cfg;
	struct spool *sp;
	struct control_hooks hooks;
	void *arg;
	struct evconnlistener *listener;
	char *sock_path;
	struct control_client_list clients;
	int nclients;
	struct pickup *pickup;
	struct showq *showq; /* the listing socket for every user */
};

/* control_pickup.c */
struct pickup *pickup_start(struct control *ctl);
void pickup_kick(struct pickup *p); /* look at the maildrop now */
void pickup_stop(struct pickup *p);

/* control_showq.c: <spool_dir>/showq.sock; NULL after logging why. */
struct showq *showq_start(struct control *ctl);
void showq_stop(struct showq *q);

/* control.c: the later answer of a command that left its reply empty. */
void control_answer_later(void *token, const char *text);

/* control_cmd.c: runs one command line, writes the reply (with "\n");
 * an empty reply means the answer comes through control_answer_later(). */
void control_run(struct control_client *cl, const char *line, unsigned long uid,
                 char *reply, size_t len);

#endif
