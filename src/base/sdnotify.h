/*
 * sdnotify — tell the service manager how the daemon is doing, with the
 * sd_notify(3) protocol: one datagram of "KEY=value" lines to the unix
 * socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace).  systemd documents the protocol as stable for other
 * implementations; speaking it here spares a build dependency on
 * libsystemd for three messages.  Without $NOTIFY_SOCKET (not started by
 * systemd with Type=notify) it does nothing.
 *
 * Errors: -1 with errno when the datagram cannot be sent; the daemon
 * goes on regardless.  Any thread.
 */
#ifndef FERRY_BASE_SDNOTIFY_H
#define FERRY_BASE_SDNOTIFY_H

/* state: e.g. "READY=1\nSTATUS=accepting mail". */
int sd_notify_send(const char *state);

#endif
