/*
 * sandbox — what the daemon may still do once it serves: after start-up
 * and the privilege drop, a seccomp-bpf filter (every thread) kills the
 * process on any system call outside the list ferry uses, and Landlock
 * (Linux >= 5.19, ABI 2) limits the filesystem to the spool, the Maildir
 * roots, and read-only access to the configuration, certificates and keys
 * the daemon must re-read.  docs/security.md says what this does and does
 * not contain.
 *
 * sandbox_start() is called once, on the loop thread, right after the
 * privilege drop.  Threads started before it (the spool's commit thread,
 * the authentication workers) call sandbox_thread_enter() before each
 * unit of work: it gives them the same filesystem limits the first time
 * it finds them set.  Threads started later inherit everything.
 *
 * Errors: sandbox_start() returns -1 after logging why when the filter
 * cannot be installed; a kernel without Landlock is logged and tolerated.
 */
#ifndef FERRY_SANDBOX_SANDBOX_H
#define FERRY_SANDBOX_SANDBOX_H

struct config;

/* config_path: the file a reload reads again (NULL: none). */
int sandbox_start(const struct config *cfg, const char *config_path);

void sandbox_thread_enter(void);

/*
 * In a key process (cli/keyproc.c), once it has read its files: Landlock
 * read-only on the directories of paths (NULL-terminated; a renewed file
 * is a new file in the same directory) and a filter that lets it read
 * files and answer on its socket, and do little else.  role names it in
 * the log.  -1 after logging why.
 */
int sandbox_keyproc_start(const struct config *cfg, const char *role,
                          const char *const *paths);

#endif
