/*
 * test_spool.c — group commit, recovery of debris, state records, and a
 * crash test: a child committing messages is killed at a random moment;
 * every message it was told is committed must then be queued and intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue/spool_int.h"
#include "spool_test_util.h"

struct ids {
	char (*v)[QUEUE_ID_LEN + 1];
	int n;
};

static void
collect_id(void *arg, const char *id)
{
	struct ids *ids = arg;

	ids->v = realloc(ids->v, (size_t)(ids->n + 1) * sizeof(*ids->v));
	strcpy(ids->v[ids->n++], id);
}

/* The spool's queued callback: the id, the envelope just committed, and
 * the message's bytes (commit_many's "Subject: N" in commit order); every
 * other message's bytes are taken, which the spool must not free. */
static void
collect_committed(void *arg, struct spool_queued *q)
{
	struct ids *ids = arg;
	struct envelope env;
	char want[64];

	assert_non_null(q->env_text);
	assert_int_equal(envelope_parse(q->env_text, q->env_len, &env, NULL),
	                 0);
	assert_string_equal(env.id, q->id);
	envelope_free(&env);
	snprintf(want, sizeof(want), "Subject: %d\r\n\r\nbody\r\n", ids->n);
	assert_non_null(q->data);
	assert_int_equal(q->len, strlen(want));
	assert_memory_equal(q->data, want, q->len);
	if (ids->n % 2) {
		free(q->data);
		q->data = NULL;
	}
	collect_id(arg, q->id);
}

/* A message that did not fit in memory comes without its bytes. */
static void
expect_no_data(void *arg, struct spool_queued *q)
{
	assert_null(q->data);
	assert_non_null(q->env_text);
	collect_id(arg, q->id);
}

/* Any message: only its id is kept. */
static void
expect_no_data_or_any(void *arg, struct spool_queued *q)
{
	assert_non_null(q->env_text);
	collect_id(arg, q->id);
}

static void
commit_many(enum sync_mode mode, int n)
{
	static const char *const rcpts[] = {"a@example.org", "b@example.org"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	struct ids queued = {0}, scanned = {0};
	char *dir = scratch_dir(), *data, msgtext[64];
	struct config cfg;
	struct spool *sp;
	struct envelope env;
	size_t len;
	int i;

	test_config(&cfg, dir, mode);
	assert_non_null(sp = spool_open(base, &cfg));
	spool_set_queued_cb(sp, collect_committed, &queued);
	for (i = 0; i < n; i++) {
		snprintf(msgtext, sizeof(msgtext),
		         "Subject: %d\r\n\r\nbody\r\n", i);
		commit_msg(sp, msgtext, rcpts, 2, &w, NULL);
	}
	run_until(base, &w.done, n);
	assert_int_equal(w.errors, 0);
	assert_int_equal(queued.n, n);
	assert_int_equal(spool_scan(sp, collect_id, &scanned), 0);
	assert_int_equal(scanned.n, n);
	for (i = 0; i < n; i++) {
		/* ids are unique and sort by commit order */
		assert_string_equal(queued.v[i], scanned.v[i]);
		if (i > 0)
			assert_true(strcmp(queued.v[i - 1], queued.v[i]) < 0);
		assert_int_equal(spool_load(sp, queued.v[i], &env), 0);
		assert_int_equal(env.nrcpts, 2);
		assert_int_equal(spool_read_msg(sp, queued.v[i], &data, &len),
		                 0);
		snprintf(msgtext, sizeof(msgtext),
		         "Subject: %d\r\n\r\nbody\r\n", i);
		assert_string_equal(data, msgtext);
		assert_int_equal(env.size, len);
		free(data);
		envelope_free(&env);
	}
	spool_close(sp);
	event_base_free(base);
	free(queued.v);
	free(scanned.v);
	remove_tree(dir);
	free(dir);
}

static void
test_commit_syncfs(void **state)
{
	commit_many(SYNC_SYNCFS, 500);
}

static void
test_commit_fsync(void **state)
{
	commit_many(SYNC_FSYNC, 50);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
run_for_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* commit_delay_ms is spent only while another message is in DATA: a lone
 * message is synced at once, and one that is waited for joins the
 * batch as soon as it is committed. */
static void
test_commit_waits_only_for_messages_in_data(void **state)
{
	static const char *const rcpts[] = {"a@example.org"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir();
	struct spool_msg *other;
	struct config cfg;
	struct spool *sp;
	double t0;

	(void)state;
	test_config(&cfg, dir, SYNC_SYNCFS);
	cfg.commit_delay_ms = 5000;
	assert_non_null(sp = spool_open(base, &cfg));

	t0 = now_ms();
	commit_msg(sp, "Subject: alone\r\n\r\n", rcpts, 1, &w, NULL);
	run_until(base, &w.done, 1);
	assert_true(now_ms() - t0 < 2500);

	other = spool_msg_new(sp);
	assert_int_equal(spool_msg_write(other, "x\r\n", 3), 0);
	commit_msg(sp, "Subject: first\r\n\r\n", rcpts, 1, &w, NULL);
	run_for_ms(base, 300);
	assert_int_equal(w.done, 1); /* waiting for the other one */
	t0 = now_ms();
	commit_msg(sp, "Subject: second\r\n\r\n", rcpts, 1, &w, NULL);
	spool_msg_abort(other);
	run_until(base, &w.done, 3);
	assert_true(now_ms() - t0 < 2500);
	assert_int_equal(w.errors, 0);

	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static bool
exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

#define ENV(id, size)                                                          \
	"ferry-envelope 1\nid " id "\narrival 1\nsender .\nsize " size         \
	"\nrcpt pending 0 0 a@b - - -\nend\n"

/* Files without an envelope are removed; an envelope that fails a check
 * is moved aside with its message into damaged/, never queued. */
static void
test_recovery_removes_debris(void **state)
{
	struct event_base *base = event_base_new();
	char *dir = scratch_dir(), q[256], t[256], d[256];
	struct ids ids = {0};
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	spool_close(sp);
	snprintf(q, sizeof(q), "%s/queue", dir);
	snprintf(t, sizeof(t), "%s/tmp", dir);
	snprintf(d, sizeof(d), "%s/damaged", dir);
	put_file(t, "0000000000000001.env", "half");
	put_file(q, "0000000000000002.msg", "no envelope");
	put_file(q, "0000000000000003.msg", "short");
	put_file(q, "0000000000000003.env", ENV("0000000000000003", "99"));
	put_file(q, "0000000000000004.env", ENV("0000000000000004", "2"));
	put_file(q, "0000000000000005.msg", "ok");
	put_file(q, "0000000000000005.env", ENV("0000000000000005", "2"));
	put_file(q, "0000000000000006.msg", "ok");
	put_file(q, "0000000000000006.env", "ferry-envelope 1\ntorn");
	put_file(q, "0000000000000007.state", "0 delivered -\n");
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(spool_scan(sp, collect_id, &ids), 0);
	assert_int_equal(ids.n, 1);
	assert_string_equal(ids.v[0], "0000000000000005");
	assert_false(exists(t, "0000000000000001.env"));
	assert_false(exists(q, "0000000000000002.msg"));
	assert_false(exists(d, "0000000000000002.msg"));
	assert_false(exists(q, "0000000000000003.msg"));
	assert_true(exists(d, "0000000000000003.msg"));
	assert_true(exists(d, "0000000000000003.env"));
	assert_false(exists(q, "0000000000000004.env"));
	assert_true(exists(d, "0000000000000004.env"));
	assert_false(exists(q, "0000000000000006.msg"));
	assert_true(exists(d, "0000000000000006.msg"));
	assert_true(exists(d, "0000000000000006.env"));
	assert_false(exists(q, "0000000000000007.state"));
	spool_close(sp);
	event_base_free(base);
	free(ids.v);
	remove_tree(dir);
	free(dir);
}

/* The bytes of dir/id.ext. */
static char *
slurp(const char *dir, const char *id, const char *ext, size_t *len)
{
	char path[512], *data;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, id, ext);
	assert_non_null(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Overwrites dir/id.ext in place, as a recycled file is: a from offset 0
 * up to cut, b after; the length stays the file's. */
static void
overwrite(const char *dir, const char *id, const char *ext, const char *a,
          size_t cut, const char *b, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, id, ext);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, a, cut, 0), (ssize_t)cut);
	assert_int_equal(pwrite(fd, b + cut, len - cut, (off_t)cut),
	                 (ssize_t)(len - cut));
	close(fd);
}

/* What a crash can show of recycled files (docs/queue-format.md): an
 * envelope or a message file that holds another message's bytes, all or
 * in part, a torn envelope, a short message file.  Each fails the
 * checksums or the length and goes into damaged/; whole messages and an
 * envelope from before version 4 (no checksum) stay queued. */
static void
test_recovery_checksums(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	static const char *const bodies[] = {
	        "Subject: a\r\n\r\naaaa\r\n", "Subject: b\r\n\r\nbbbb\r\n",
	        "Subject: c\r\n\r\ncccc\r\n", "Subject: d\r\n\r\ndddd\r\n",
	        "Subject: e\r\n\r\neeee\r\n", "Subject: f\r\n\r\nffff\r\n"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), q[256], d[256], id[6][QUEUE_ID_LEN + 1];
	char *envs[6], *msg_a, path[64];
	size_t elen[6], mlen, i;
	struct ids ids = {0};
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	for (i = 0; i < 6; i++)
		commit_msg(sp, bodies[i], rcpts, 1, &w, id[i]);
	run_until(base, &w.done, 6);
	assert_int_equal(w.errors, 0);
	spool_close(sp);
	snprintf(q, sizeof(q), "%s/queue", dir);
	snprintf(d, sizeof(d), "%s/damaged", dir);
	for (i = 0; i < 6; i++) {
		envs[i] = slurp(q, id[i], "env", &elen[i]);
		assert_int_equal(elen[i], elen[0]);
	}
	msg_a = slurp(q, id[0], "msg", &mlen);
	/* 0 stays whole.  1: its message file holds 0's bytes. */
	overwrite(q, id[1], "msg", msg_a, mlen, msg_a, mlen);
	/* 2: the first half of its message is its own, the rest 0's. */
	overwrite(q, id[2], "msg", bodies[2], mlen / 2, msg_a, mlen);
	/* 3: a torn envelope, half its own and half 0's. */
	overwrite(q, id[3], "env", envs[3], elen[0] / 2, envs[0], elen[0]);
	/* 4: 0's whole envelope under its name. */
	overwrite(q, id[4], "env", envs[0], elen[0], envs[0], elen[0]);
	/* 5: a short message file. */
	{
		char msg_path[512];

		snprintf(msg_path, sizeof(msg_path), "%s/%s.msg", q, id[5]);
		assert_int_equal(truncate(msg_path, (off_t)mlen - 1), 0);
	}
	/* An envelope from before version 4: no checksum to check. */
	put_file(q, "0000000000000009.env", ENV("0000000000000009", "2"));
	put_file(q, "0000000000000009.msg", "ok");
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(spool_scan(sp, collect_id, &ids), 0);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[0], "0000000000000009");
	assert_string_equal(ids.v[1], id[0]);
	for (i = 1; i < 6; i++) {
		snprintf(path, sizeof(path), "%s.env", id[i]);
		assert_false(exists(q, path));
		assert_true(exists(d, path));
		snprintf(path, sizeof(path), "%s.msg", id[i]);
		assert_true(exists(d, path));
	}
	spool_close(sp);
	for (i = 0; i < 6; i++)
		free(envs[i]);
	free(msg_a);
	free(ids.v);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static void
test_states_and_remove(void **state)
{
	static const char *const rcpts[] = {"a@x", "b@x", "c@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1], q[256], name[64];
	struct envelope env;
	struct config cfg;
	struct spool *sp;
	size_t idx[2] = {0, 2};

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "hello\r\n", rcpts, 3, &w, id);
	run_until(base, &w.done, 1);
	assert_int_equal(spool_load(sp, id, &env), 0);
	env.rcpts[0].state = RCPT_DELIVERED;
	env.rcpts[2].state = RCPT_BOUNCED;
	env.rcpts[2].last_reply = strdup("550 5.1.1 unknown\nuser");
	assert_int_equal(spool_record_states(sp, id, &env, idx, 2), 0);
	envelope_free(&env);
	/* A torn append (no newline) must be ignored. */
	snprintf(q, sizeof(q), "%s/queue", dir);
	snprintf(name, sizeof(name), "%s.state", id);
	put_file(q, name,
	         "0 delivered -\n2 bounced 550%205.1.1%20unknown%0Auser\n"
	         "1 delivered");
	assert_int_equal(spool_load(sp, id, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(env.rcpts[1].state, RCPT_PENDING);
	assert_int_equal(env.rcpts[2].state, RCPT_BOUNCED);
	assert_string_equal(env.rcpts[2].last_reply, "550 5.1.1 unknown\nuser");
	/* A deferred recipient whose sender had the "delayed" report. */
	env.rcpts[1].state = RCPT_DEFERRED;
	env.rcpts[1].next_attempt = 1700000000;
	env.rcpts[1].delay_reported = true;
	idx[0] = 1;
	assert_int_equal(spool_record_states(sp, id, &env, idx, 1), 0);
	envelope_free(&env);
	assert_int_equal(spool_load(sp, id, &env), 0);
	assert_int_equal(env.rcpts[1].state, RCPT_DEFERRED);
	assert_true(env.rcpts[1].delay_reported);
	assert_int_equal(env.rcpts[1].next_attempt, 1700000000);
	assert_false(env.rcpts[0].delay_reported);
	envelope_free(&env);
	assert_int_equal(spool_remove(sp, id), 0);
	assert_int_equal(spool_sync(sp), 0);
	assert_int_equal(spool_load(sp, id, &env), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(exists(q, name));
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static int
count_queue_files(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd),
	         "find '%s/queue' '%s/tmp' -type f | grep -c .", dir, dir);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/* Removal on the remover thread: done by the time the spool is closed, and
 * a message committed in the same round is not disturbed. */
static void
test_remove_later(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id1[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	struct envelope env;
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "one\r\n", rcpts, 1, &w, id1);
	run_until(base, &w.done, 1);
	assert_int_equal(count_queue_files(dir), 2);
	spool_remove_later(sp, id1);
	commit_msg(sp, "two\r\n", rcpts, 1, &w, id2);
	run_until(base, &w.done, 2);
	spool_close(sp);
	assert_int_equal(count_queue_files(dir), 2); /* id2's msg and env */
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(spool_load(sp, id1, &env), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_load(sp, id2, &env), 0);
	envelope_free(&env);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static void
test_abort_and_large(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), *big, *data, id[QUEUE_ID_LEN + 1];
	struct ids queued = {0};
	struct spool_msg *msg;
	struct envelope env = {0};
	struct config cfg;
	struct spool *sp;
	size_t len, i, chunk = 1000, total = 3 * 1024 * 1024 + 17;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	spool_set_queued_cb(sp, expect_no_data, &queued);
	assert_true(spool_has_space(sp));
	/* Abort after data was flushed to disk leaves nothing behind. */
	msg = spool_msg_new(sp);
	big = malloc(total);
	for (i = 0; i < total; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(spool_msg_write(msg, big, total), 0);
	spool_msg_abort(msg);
	assert_int_equal(count_queue_files(dir), 0);
	/* A large message in small and large chunks arrives intact. */
	msg = spool_msg_new(sp);
	strcpy(id, spool_msg_id(msg));
	for (i = 0; i < total; i += len) {
		len = total - i < chunk ? total - i : chunk;
		if (i == 500 * 1000)
			len = 2 * 1024 * 1024; /* one write beyond the buffer */
		assert_int_equal(spool_msg_write(msg, big + i, len), 0);
	}
	env.sender = (char *)"";
	envelope_add_rcpt(&env, rcpts[0], NULL, NULL, 0);
	spool_msg_commit(msg, &env, count_commit, &w);
	env.sender = NULL;
	envelope_free(&env);
	run_until(base, &w.done, 1);
	assert_int_equal(w.errors, 0);
	assert_int_equal(queued.n, 1);
	assert_string_equal(queued.v[0], id);
	free(queued.v);
	assert_int_equal(spool_read_msg(sp, id, &data, &len), 0);
	assert_int_equal(len, total);
	assert_memory_equal(data, big, total);
	free(data);
	free(big);
	cfg.min_free_space = (size_t)1 << 62;
	spool_close(sp);
	assert_non_null(sp = spool_open(base, &cfg));
	assert_false(spool_has_space(sp));
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

/* Direct delivery, with a stand-in agent that takes every message offered
 * and reports later, as local delivery does from its workers. */
struct fake_agent {
	struct spool_msg *taken[8];
	size_t rcpts[8];
	int n;
};

static bool
fake_offer(void *arg, const struct spool_offer *o)
{
	struct fake_agent *a = arg;

	assert_non_null(o->env_text);
	assert_int_equal(o->len, strlen("Subject: d\r\n\r\nx\r\n"));
	assert_memory_equal(o->data, "Subject: d\r\n\r\nx\r\n", o->len);
	a->rcpts[a->n] = o->env->nrcpts;
	a->taken[a->n++] = o->msg;
	return true;
}

static void
commit_direct(struct spool *sp, size_t nrcpts, struct commit_wait *w, char *id)
{
	static const char *const rcpts[] = {"a@example.org", "b@example.org"};

	commit_msg_as(sp, "Subject: d\r\n\r\nx\r\n", rcpts, nrcpts, w, id,
	              true);
}

static void
test_direct_delivery(void **state)
{
	static const size_t second[] = {1};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	struct fake_agent agent = {0};
	struct ids queued = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1], *big;
	size_t big_len = 200 * 1024;
	struct spool_msg *msg;
	struct envelope env;
	struct config cfg;
	struct spool *sp;
	unsigned long msgs, syncs;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	spool_set_queued_cb(sp, expect_no_data_or_any, &queued);
	spool_set_direct(sp, fake_offer, &agent);
	/* Delivered to all: the reply comes and nothing is queued. */
	commit_direct(sp, 1, &w, id);
	assert_int_equal(agent.n, 1);
	assert_int_equal(agent.rcpts[0], 1);
	spool_direct_done(sp, agent.taken[0], (const size_t[]){0}, 1);
	run_until(base, &w.done, 1);
	assert_int_equal(w.errors, 0);
	assert_int_equal(queued.n, 0);
	assert_int_equal(count_queue_files(dir), 0);
	spool_stats(sp, &msgs, &syncs);
	assert_int_equal(msgs, 0);
	/* Delivered to one of two: queued first, that one marked. */
	commit_direct(sp, 2, &w, id);
	spool_direct_done(sp, agent.taken[1], second, 1);
	run_until(base, &w.done, 2);
	assert_int_equal(w.errors, 0);
	assert_int_equal(queued.n, 1);
	assert_string_equal(queued.v[0], id);
	assert_int_equal(spool_load(sp, id, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_PENDING);
	assert_int_equal(env.rcpts[1].state, RCPT_DELIVERED);
	envelope_free(&env);
	assert_int_equal(spool_remove(sp, id), 0);
	/* Not offered: a message the session did not allow, and one too
	 * large to be held in memory. */
	commit_msg(sp, "Subject: q\r\n\r\nx\r\n",
	           (const char *const[]){"a@example.org"}, 1, &w, NULL);
	big = calloc(1, big_len);
	memset(big, 'x', big_len);
	msg = spool_msg_new(sp);
	assert_int_equal(spool_msg_write(msg, big, big_len), 0);
	free(big);
	spool_msg_allow_direct(msg);
	env = (struct envelope){0};
	envelope_add_rcpt(&env, "a@example.org", NULL, NULL, 0);
	spool_msg_commit(msg, &env, count_commit, &w);
	envelope_free(&env);
	run_until(base, &w.done, 4);
	assert_int_equal(agent.n, 2);
	assert_int_equal(queued.n, 3);
	assert_int_equal(w.errors, 0);
	/* Given back undelivered, then the spool closes before the loop
	 * runs again: the message is queued and its client told. */
	commit_direct(sp, 1, &w, id);
	assert_int_equal(agent.n, 3);
	spool_direct_done(sp, agent.taken[2], NULL, 0);
	spool_close(sp);
	assert_int_equal(w.done, 5);
	assert_int_equal(w.errors, 0);
	assert_non_null(sp = spool_open(base, &cfg));
	free(queued.v);
	queued = (struct ids){0};
	assert_int_equal(spool_scan(sp, collect_id, &queued), 0);
	assert_true(queued.n >= 1);
	assert_string_equal(queued.v[queued.n - 1], id);
	spool_close(sp);
	event_base_free(base);
	free(queued.v);
	remove_tree(dir);
	free(dir);
}

/* Message number seq: its own length and filler, so a mix-up or a torn
 * file cannot pass the check. */
static size_t
crash_body(char *buf, size_t cap, unsigned seq)
{
	size_t len = 1000 + (seq * 37) % 5000, i;
	int n = snprintf(buf, cap, "Subject: %u\r\n\r\n", seq);

	for (i = (size_t)n; i < len && i < cap; i++)
		buf[i] = (char)('a' + (seq + i) % 26);
	return len;
}

static int crash_fd;       /* the child's end of the pipe to the parent */
static int crash_inflight; /* commits the child is waiting for */
static struct spool *crash_sp;

/* Half of the acknowledged messages are finished at once, as a relay
 * would: their files go to the pool and come back for new messages. */
static bool
crash_removed(const char *id)
{
	return (id[QUEUE_ID_LEN - 1] - '0') % 2 == 0;
}

static void
crash_done(void *arg, int error)
{
	const char *id = arg;
	char line[QUEUE_ID_LEN + 2];

	crash_inflight--;
	if (error == 0) {
		snprintf(line, sizeof(line), "%s\n", id);
		if (write(crash_fd, line, QUEUE_ID_LEN + 1) < 0)
			_exit(2);
		if (crash_removed(id))
			spool_remove_later(crash_sp, id);
	}
	free(arg);
}

/* Child: commits messages forever, reporting each commit on crash_fd. */
static void
crash_child(char *dir, enum sync_mode mode)
{
	struct event_base *base = event_base_new();
	struct envelope env = {0};
	char buf[8192], seqs[16];
	struct spool_msg *msg;
	struct config cfg;
	struct spool *sp;
	unsigned seq = 0;
	size_t len;

	test_config(&cfg, dir, mode);
	if ((sp = spool_open(base, &cfg)) == NULL)
		_exit(3);
	crash_sp = sp;
	for (;;) {
		/* Like 20 sessions: each waits for its commit before the
		 * next message. */
		for (; crash_inflight < 20; crash_inflight++, seq++) {
			msg = spool_msg_new(sp);
			len = crash_body(buf, sizeof(buf), seq);
			spool_msg_write(msg, buf, len / 2);
			spool_msg_write(msg, buf + len / 2, len - len / 2);
			snprintf(seqs, sizeof(seqs), "%u", seq);
			env.sender = (char *)"s@x";
			env.helo = seqs;
			env.rcpts = NULL;
			env.nrcpts = 0;
			envelope_add_rcpt(&env, "r@x", NULL, NULL, 0);
			spool_msg_commit(msg, &env, crash_done,
			                 strdup(spool_msg_id(msg)));
			env.sender = env.helo = NULL;
			envelope_free(&env);
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
}

/* A queued message has exactly the bytes of the one its envelope names. */
static void
crash_check_one(struct spool *sp, const char *id)
{
	char *data, expect[8192];
	struct envelope env;
	size_t len, elen;

	assert_int_equal(spool_load(sp, id, &env), 0);
	assert_string_equal(env.id, id);
	elen = crash_body(expect, sizeof(expect),
	                  (unsigned)strtoul(env.helo, NULL, 10));
	assert_int_equal(spool_read_msg(sp, id, &data, &len), 0);
	assert_int_equal(len, elen);
	assert_memory_equal(data, expect, len);
	free(data);
	envelope_free(&env);
}

/* Parent: every acknowledged id not yet finished must be queued with the
 * right bytes, and whatever is queued must be intact: no recycled file
 * may pass for a message. */
static int
crash_check(char *dir, const char *acked, size_t alen)
{
	struct event_base *base = event_base_new();
	char id[QUEUE_ID_LEN + 1];
	struct ids queued = {0};
	struct envelope env;
	struct config cfg;
	struct spool *sp;
	size_t i;
	int n = 0;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	for (i = 0; i + QUEUE_ID_LEN < alen; i += QUEUE_ID_LEN + 1, n++) {
		memcpy(id, acked + i, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (spool_load(sp, id, &env) != 0) {
			if (!crash_removed(id))
				fail_msg("acknowledged %s lost", id);
			continue;
		}
		envelope_free(&env);
		crash_check_one(sp, id);
	}
	assert_int_equal(spool_scan(sp, collect_id, &queued), 0);
	for (i = 0; i < (size_t)queued.n; i++)
		crash_check_one(sp, queued.v[i]);
	free(queued.v);
	spool_close(sp);
	event_base_free(base);
	return n;
}

static void
crash_round(enum sync_mode mode, unsigned delay_us, int *acked_total)
{
	char *dir = scratch_dir(), *acked = NULL;
	size_t alen = 0, cap = 0;
	ssize_t r;
	int pfd[2], status;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		crash_fd = pfd[1];
		close(pfd[0]);
		crash_child(dir, mode);
	}
	close(pfd[1]);
	usleep(delay_us);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	for (;;) {
		if (cap - alen < 4096)
			acked = realloc(acked, cap += 65536);
		if ((r = read(pfd[0], acked + alen, cap - alen)) <= 0)
			break;
		alen += (size_t)r;
	}
	close(pfd[0]);
	if (!WIFSIGNALED(status))
		fail_msg("child status %d", status);
	*acked_total += crash_check(dir, acked, alen);
	free(acked);
	remove_tree(dir);
	free(dir);
}

static void
test_crash_consistency(void **state)
{
	int acked = 0, i;

	const char *env_rounds = getenv("CRASH_ROUNDS");
	int rounds = env_rounds ? atoi(env_rounds) : 8;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (i = 0; i < rounds; i++)
		crash_round(i % 2 ? SYNC_FSYNC : SYNC_SYNCFS,
		            20000 + (unsigned)(rand() % 150000), &acked);
	print_message("crash rounds: %d acknowledged messages checked\n",
	              acked);
	assert_true(acked > 0); /* the children did get work done */
}

/* Group sync: a stand-in for syncfs that takes 100 ms, counts its calls
 * and fails the second. */
static int fake_calls;

static int
fake_syncfs(int fd)
{
	struct timespec ts = {0, 100 * 1000000L};
	int n = __atomic_add_fetch(&fake_calls, 1, __ATOMIC_SEQ_CST);

	(void)fd;
	nanosleep(&ts, NULL);
	return n == 2 ? (errno = EIO, -1) : 0;
}

struct syncer {
	struct spool *sp;
	bool maildir; /* a Maildir writer's patient sync, else a commit's */
	pthread_t t;
	int r;
};

static void *
run_sync(void *arg)
{
	struct syncer *s = arg;

	s->r = s->maildir ? spool_sync_fs(s->sp, s->sp->queuefd, true)
	                  : spool_sync(s->sp);
	return NULL;
}

/* A commit's sync starts at once; Maildir writers that come while it runs
 * share the next one; its failure reaches every one of them, and a later
 * caller gets a sync of its own. */
static void
test_group_sync(void **state)
{
	struct event_base *base = event_base_new();
	struct timespec ts = {0, 30 * 1000000L};
	char *dir = scratch_dir();
	struct syncer s[4];
	struct config cfg;
	struct spool *sp;
	int i;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	sp->gs_syncfs = fake_syncfs;
	s[0].sp = sp;
	s[0].maildir = false;
	pthread_create(&s[0].t, NULL, run_sync, &s[0]);
	nanosleep(&ts, NULL); /* the first sync runs now */
	for (i = 1; i < 4; i++) {
		s[i].sp = sp;
		s[i].maildir = true;
		pthread_create(&s[i].t, NULL, run_sync, &s[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(s[i].t, NULL);
	assert_int_equal(s[0].r, 0); /* the first ended well */
	for (i = 1; i < 4; i++)      /* the shared second failed */
		assert_int_equal(s[i].r, -1);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(spool_sync(sp), 0);
	assert_int_equal(fake_calls, 3);
	sp->gs_syncfs = syncfs;
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_commit_syncfs),
	        cmocka_unit_test(test_commit_fsync),
	        cmocka_unit_test(test_commit_waits_only_for_messages_in_data),
	        cmocka_unit_test(test_recovery_removes_debris),
	        cmocka_unit_test(test_recovery_checksums),
	        cmocka_unit_test(test_states_and_remove),
	        cmocka_unit_test(test_remove_later),
	        cmocka_unit_test(test_group_sync),
	        cmocka_unit_test(test_abort_and_large),
	        cmocka_unit_test(test_direct_delivery),
	        cmocka_unit_test(test_crash_consistency),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
