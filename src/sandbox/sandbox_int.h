/*
 * sandbox_int.h — the two halves of the sandbox, for sandbox.c.
 */
#ifndef FERRY_SANDBOX_SANDBOX_INT_H
#define FERRY_SANDBOX_SANDBOX_INT_H

#include <stdbool.h>

struct config;

/* Builds the Landlock ruleset for cfg and restricts the calling thread.
 * 1: restricted; 0: the kernel has no usable Landlock (logged); -1: an
 * error (logged). */
int landlock_start(const struct config *cfg, const char *config_path);
/* The calling thread takes the ruleset landlock_start() built, once. */
void landlock_thread_enter(void);

/* A key process's ruleset: read-only on the directories of paths and on
 * the system's libraries; same return values as landlock_start(). */
int landlock_keyproc_start(const char *const *paths);

/* Installs the seccomp filter on every thread of the process; -1 after
 * logging why.  log_only: unknown calls are logged by the kernel (audit)
 * instead of killing, to find what a new code path needs. */
int seccomp_start(bool log_only);

#endif
