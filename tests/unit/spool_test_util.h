/*
 * spool_test_util.h — helpers shared by the spool and delivery tests:
 * scratch directories, a hand-built config, and committing a message.
 */
#ifndef FERRY_TEST_SPOOL_UTIL_H
#define FERRY_TEST_SPOOL_UTIL_H

#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "queue/spool.h"

static inline char *
scratch_dir(void)
{
	char tmpl[] = "/tmp/ferry-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void
remove_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static inline void
test_config(struct config *cfg, char *spool_dir, enum sync_mode mode)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->spool_dir = spool_dir;
	cfg->sync_mode = mode;
	cfg->commit_batch_max = 64;
	cfg->commit_delay_ms = 1;
	cfg->max_message_size = 10 * 1024 * 1024;
}

/* Writes text to dir/name (a file the spool will find), or aborts. */
static inline void
put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

struct commit_wait {
	int done, errors;
};

static inline void
count_commit(void *arg, int error)
{
	struct commit_wait *w = arg;

	w->done++;
	w->errors += error != 0;
}

static inline void
run_until(struct event_base *base, const int *counter, int target)
{
	while (*counter < target)
		event_base_loop(base, EVLOOP_ONCE);
}

/* Commits data with the given recipients, as a session does when direct
 * is true (it may be delivered directly); returns the queue id. */
static inline void
commit_msg_as(struct spool *sp, const char *data, const char *const *rcpts,
              size_t n, struct commit_wait *w, char *id_out, bool direct)
{
	struct spool_msg *msg = spool_msg_new(sp);
	struct envelope env = {0};
	size_t i;

	env.sender = (char *)"sender@example.org";
	env.arrival = 1700000000;
	for (i = 0; i < n; i++)
		envelope_add_rcpt(&env, rcpts[i], NULL, NULL, 0);
	if (id_out)
		strcpy(id_out, spool_msg_id(msg));
	if (spool_msg_write(msg, data, strlen(data)) != 0)
		abort();
	if (direct)
		spool_msg_allow_direct(msg);
	spool_msg_commit(msg, &env, count_commit, w);
	env.sender = NULL;
	envelope_free(&env);
}

static inline void
commit_msg(struct spool *sp, const char *data, const char *const *rcpts,
           size_t n, struct commit_wait *w, char *id_out)
{
	commit_msg_as(sp, data, rcpts, n, w, id_out, false);
}

#endif
