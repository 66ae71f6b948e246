/*
 * test_spool_pool.c — recycled spool files (src/queue/spool_pool.c): a
 * finished message's files go into pool/ as they are and serve the next
 * messages at once, overwritten and trimmed, envelopes and message files
 * apart and by size; whatever is in pool/ at start is removed, never
 * queued; the pool is bounded in files and bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue/spool_int.h"
#include "spool_test_util.h"

static ino_t
inode_of(const char *dir, const char *id, const char *ext)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/queue/%s.%s", dir, id, ext);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int
count_files(const char *dir, const char *sub)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f | grep -c .", dir,
	         sub);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void
wait_pool(struct spool *sp, size_t n)
{
	struct timespec ts = {0, 10 * 1000000L};
	int i;

	for (i = 0; i < 500 && spool_pool_size(sp) != n; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(spool_pool_size(sp), n);
}

static char *
filler(size_t len)
{
	char *s = malloc(len + 1);

	memset(s, 'x', len);
	s[len] = '\0';
	return s;
}

/* A relayed message's files come back for the next one: the message
 * file for the message, the envelope for the envelope.  The new message has its
 * own bytes only, also when it is shorter, before and after a restart. */
static void
test_pool_reuses_files(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id1[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	char *long_body = filler(6000), *data, path[512];
	ino_t old_msg, old_env;
	struct envelope env;
	struct config cfg;
	struct spool *sp;
	size_t len;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, long_body, rcpts, 1, &w, id1);
	run_until(base, &w.done, 1);
	old_msg = inode_of(dir, id1, "msg");
	old_env = inode_of(dir, id1, "env");
	spool_remove_later(sp, id1);
	wait_pool(sp, 2);
	assert_int_equal(count_files(dir, "pool"), 2);
	commit_msg(sp, "short\r\n", rcpts, 1, &w, id2);
	run_until(base, &w.done, 2);
	assert_int_equal(w.errors, 0);
	assert_int_equal(inode_of(dir, id2, "msg"), old_msg);
	assert_int_equal(inode_of(dir, id2, "env"), old_env);
	assert_int_equal(spool_pool_size(sp), 0);
	assert_int_equal(count_files(dir, "pool"), 0);
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(spool_read_msg(sp, id2, &data, &len), 0);
	assert_int_equal(len, 7);
	free(data);
	spool_close(sp);
	/* After a restart: the second message whole, the first gone. */
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(spool_load(sp, id1, &env), -1);
	assert_int_equal(spool_load(sp, id2, &env), 0);
	assert_int_equal(env.size, 7);
	envelope_free(&env);
	assert_int_equal(spool_read_msg(sp, id2, &data, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "short\r\n", 7);
	free(data);
	snprintf(path, sizeof(path), "%s/damaged", dir);
	assert_int_equal(access(path, F_OK), -1); /* nothing set aside */
	spool_close(sp);
	event_base_free(base);
	free(long_body);
	remove_tree(dir);
	free(dir);
}

static int fake_fail;

static int
fake_syncfs(int fd)
{
	(void)fd;
	return fake_fail ? (errno = EIO, -1) : 0;
}

/* The pooled file a new name gets for size octets of kind, or 0 for a new
 * file; a pooled one still holds its old bytes. */
static ino_t
take_file(struct spool *sp, const char *name, enum spool_pool_kind kind,
          size_t size, off_t *old_size)
{
	struct stat st;
	size_t old_len;
	int fd = spool_pool_create(sp, sp->queuefd, name, kind, size, &old_len);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlinkat(sp->queuefd, name, 0);
	/* The pool knows the length the file has (0: a new file). */
	assert_int_equal(st.st_size, old_len);
	if (old_size)
		*old_size = st.st_size;
	return old_len > 0 ? st.st_ino : 0;
}

/* A pooled file serves at once in both modes, whatever the syncs did
 * (recovery tells its old bytes by the checksums, not by a sync): the
 * envelope only for an envelope, the message file for a message. */
static void
pool_at_once(enum sync_mode mode)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1];
	ino_t m, e;
	off_t size;
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, mode);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 1);
	m = inode_of(dir, id, "msg");
	e = inode_of(dir, id, "env");
	sp->gs_syncfs = fake_syncfs;
	fake_fail = 1;
	assert_int_equal(spool_sync(sp), mode == SYNC_FSYNC ? 0 : -1);
	spool_recycle(sp, id);
	assert_int_equal(spool_pool_size(sp), 2);
	assert_int_equal(take_file(sp, "0000000000000100.env", SPOOL_POOL_ENV,
	                           300, &size),
	                 e);
	assert_true(size > 100); /* the old envelope, not yet overwritten */
	assert_int_equal(take_file(sp, "0000000000000101.env", SPOOL_POOL_ENV,
	                           300, NULL),
	                 0);
	assert_int_equal(
	        take_file(sp, "0000000000000102.msg", SPOOL_POOL_MSG, 7, &size),
	        m);
	assert_int_equal(size, 7);
	assert_int_equal(spool_pool_size(sp), 0);
	fake_fail = 0;
	sp->gs_syncfs = syncfs;
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static void
test_pool_at_once_syncfs(void **state)
{
	pool_at_once(SYNC_SYNCFS);
}

static void
test_pool_at_once_fsync(void **state)
{
	pool_at_once(SYNC_FSYNC);
}

/* A message takes the pooled file with as many blocks as it needs, else
 * a smaller one (blocks are added), and a larger one (trimming frees
 * blocks: a discard) only when nothing else is left. */
static void
test_pool_best_fit(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	static const size_t sizes[] = {100, 9000, 20000};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[3][QUEUE_ID_LEN + 1], *body;
	ino_t ino[3];
	struct config cfg;
	struct spool *sp;
	int i;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	for (i = 0; i < 3; i++) {
		body = filler(sizes[i]);
		commit_msg(sp, body, rcpts, 1, &w, id[i]);
		free(body);
		run_until(base, &w.done, i + 1);
		ino[i] = inode_of(dir, id[i], "msg");
	}
	for (i = 0; i < 3; i++)
		spool_recycle(sp, id[i]);
	assert_int_equal(take_file(sp, "0000000000000100.msg", SPOOL_POOL_MSG,
	                           8500, NULL),
	                 ino[1]);
	assert_int_equal(take_file(sp, "0000000000000101.msg", SPOOL_POOL_MSG,
	                           5000, NULL),
	                 ino[0]);
	assert_int_equal(take_file(sp, "0000000000000102.msg", SPOOL_POOL_MSG,
	                           100, NULL),
	                 ino[2]);
	assert_int_equal(take_file(sp, "0000000000000103.msg", SPOOL_POOL_MSG,
	                           100, NULL),
	                 0);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

/* A recycled file that was longer is trimmed to the new message, and one
 * that was shorter grows to it: what the commit wrote is all the file
 * holds. */
static void
test_pool_trims(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id1[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	char *body = filler(3000), *data;
	struct config cfg;
	struct spool *sp;
	size_t len;

	test_config(&cfg, dir, SYNC_FSYNC);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, body, rcpts, 1, &w, id1);
	run_until(base, &w.done, 1);
	spool_recycle(sp, id1);
	commit_msg(sp, "ab\r\n", rcpts, 1, &w, id2);
	run_until(base, &w.done, 2);
	assert_int_equal(w.errors, 0);
	assert_int_equal(spool_pool_size(sp), 0);
	assert_int_equal(spool_read_msg(sp, id2, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "ab\r\n", 4);
	free(data);
	spool_recycle(sp, id2);
	commit_msg(sp, body, rcpts, 1, &w, id1);
	run_until(base, &w.done, 3);
	assert_int_equal(w.errors, 0);
	assert_int_equal(spool_pool_size(sp), 0);
	assert_int_equal(spool_read_msg(sp, id1, &data, &len), 0);
	assert_int_equal(len, strlen(body));
	assert_memory_equal(data, body, len);
	free(data);
	spool_close(sp);
	event_base_free(base);
	free(body);
	remove_tree(dir);
	free(dir);
}

static void
count_id(void *arg, const char *id)
{
	(void)id;
	(*(int *)arg)++;
}

/* What a crash leaves in pool/ (whole messages: pooled files keep their
 * bytes) is never queued, and is removed at start. */
static void
test_pool_crash_leftovers(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1];
	int queued = 0;
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 1);
	spool_recycle(sp, id);
	assert_int_equal(count_files(dir, "pool"), 2);
	spool_close(sp);
	assert_int_equal(count_files(dir, "pool"), 2);
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(count_files(dir, "pool"), 0);
	assert_int_equal(count_files(dir, "queue"), 0);
	assert_int_equal(spool_pool_size(sp), 0);
	assert_int_equal(spool_scan(sp, count_id, &queued), 0);
	assert_int_equal(queued, 0);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static bool
has_state(const char *dir, const char *id)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/queue/%s.state", dir, id);
	return access(path, F_OK) == 0;
}

/* Records the first recipient as delivered: the message's state file. */
static void
record_first(struct spool *sp, const char *id)
{
	struct envelope env;
	size_t first = 0;

	assert_int_equal(spool_load(sp, id, &env), 0);
	env.rcpts[0].state = RCPT_DELIVERED;
	assert_int_equal(spool_record_states(sp, id, &env, &first, 1), 0);
	envelope_free(&env);
}

/* Recycling looks for a message's state file only once one may exist:
 * one found at start, or one a record wrote since, is removed with its
 * message; without any, nothing is left behind either. */
static void
test_pool_state_files(void **state)
{
	static const char *const rcpts[] = {"a@x", "b@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "one\r\n", rcpts, 2, &w, id);
	run_until(base, &w.done, 1);
	spool_recycle(sp, id);
	assert_int_equal(count_files(dir, "queue"), 0);

	/* Records made since start: two messages, one recycled now. */
	commit_msg(sp, "two\r\n", rcpts, 2, &w, id);
	commit_msg(sp, "three\r\n", rcpts, 2, &w, id2);
	run_until(base, &w.done, 3);
	record_first(sp, id);
	record_first(sp, id2);
	assert_true(has_state(dir, id));
	spool_recycle(sp, id);
	assert_false(has_state(dir, id));
	spool_close(sp);

	/* The other one's state file, found at start by a new spool. */
	assert_non_null(sp = spool_open(base, &cfg));
	assert_true(has_state(dir, id2));
	spool_recycle(sp, id2);
	assert_false(has_state(dir, id2));
	assert_int_equal(count_files(dir, "queue"), 0);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

/* The pool holds at most SPOOL_POOL_MAX files of a kind, SPOOL_POOL_BYTES
 * together, and no file over SPOOL_POOL_FILE_MAX; past that, files are
 * unlinked as before. */
static void
test_pool_bounded(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1], *big;
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 1);
	sp->pool[SPOOL_POOL_ENV].n = SPOOL_POOL_MAX; /* as if full */
	spool_recycle(sp, id);
	sp->pool[SPOOL_POOL_ENV].n = 0;
	assert_int_equal(spool_pool_size(sp), 1); /* the message file */
	assert_int_equal(count_files(dir, "pool"), 1);
	assert_int_equal(count_files(dir, "queue"), 0);
	/* Out of bytes: 7 octets more than there is room for. */
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 2);
	sp->pool_bytes = SPOOL_POOL_BYTES - 6 - 7;
	spool_recycle(sp, id);
	assert_int_equal(spool_pool_size(sp), 1); /* not the message file */
	assert_int_equal(count_files(dir, "pool"), 1);
	assert_int_equal(count_files(dir, "queue"), 0);
	sp->pool_bytes = 7;
	/* Too large to keep. */
	big = filler(SPOOL_POOL_FILE_MAX + 1);
	commit_msg(sp, big, rcpts, 1, &w, id);
	run_until(base, &w.done, 3);
	spool_recycle(sp, id);
	assert_int_equal(spool_pool_size(sp), 2); /* the envelope only */
	assert_int_equal(count_files(dir, "pool"), 2);
	assert_int_equal(count_files(dir, "queue"), 0);
	free(big);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pool_reuses_files),
	        cmocka_unit_test(test_pool_at_once_syncfs),
	        cmocka_unit_test(test_pool_at_once_fsync),
	        cmocka_unit_test(test_pool_best_fit),
	        cmocka_unit_test(test_pool_trims),
	        cmocka_unit_test(test_pool_crash_leftovers),
	        cmocka_unit_test(test_pool_state_files),
	        cmocka_unit_test(test_pool_bounded),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
