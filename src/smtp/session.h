/*
 * session — one SMTP connection: reads commands (pipelined or not), runs
 * them through the command table, and writes the replies of one input
 * batch in one write (RFC 2920).  Internal to the smtp module; the command
 * handlers (cmd_*.c) see the struct through session_int.h.
 */
#ifndef FERRY_SMTP_SESSION_H
#define FERRY_SMTP_SESSION_H

#include <sys/socket.h>

struct smtp_server;
struct session;

#include "config/config.h"

struct session *session_new(struct smtp_server *srv, int fd,
                            const struct sockaddr *sa, enum listener_role role,
                            unsigned long serial);
/* Send the 220 greeting. */
void session_greet(struct session *s);
/* Send 421 4.3.2 and close (or after the pending commit completes). */
void session_shutdown(struct session *s);
/* Refuse: 421 4.7.0 too many connections, then close. */
void session_refuse(struct session *s);

#endif
