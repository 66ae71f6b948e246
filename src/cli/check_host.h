/*
 * check_host — the checks of `ferry check-config` that look at this host
 * rather than the file: the TLS pair loads, the daemon's user exists, and
 * what it must read it can (see check_host.c).
 *
 * Errors and warnings go to stderr as "NAME: message"; returns the number
 * of errors (warnings do not count).
 */
#ifndef FERRY_CLI_CHECK_HOST_H
#define FERRY_CLI_CHECK_HOST_H

#include "config/config.h"

int check_host(const struct config *cfg, const char *name);

#endif
