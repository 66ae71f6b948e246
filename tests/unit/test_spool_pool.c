/*
 * test_spool_pool.c — recycled spool files (src/queue/spool_pool.c): a
 * finished message's files are emptied into pool/ and serve the next
 * messages; in syncfs mode only after a sync that started later has ended
 * well; whatever is in pool/ at start is removed, never queued.
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

/* A relayed message's files come back, emptied, for the next one: the
 * new message has its own bytes only, also when it is shorter. */
static void
test_pool_reuses_files(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id1[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	char long_body[6000], *data;
	ino_t old_msg, old_env, new_msg, new_env;
	struct envelope env;
	struct config cfg;
	struct spool *sp;
	size_t len;

	memset(long_body, 'x', sizeof(long_body) - 1);
	long_body[sizeof(long_body) - 1] = '\0';
	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, long_body, rcpts, 1, &w, id1);
	run_until(base, &w.done, 1);
	old_msg = inode_of(dir, id1, "msg");
	old_env = inode_of(dir, id1, "env");
	spool_remove_later(sp, id1);
	wait_pool(sp, 2);
	assert_int_equal(count_files(dir, "pool"), 2);
	assert_int_equal(spool_sync(sp), 0); /* the empty files are durable */
	commit_msg(sp, "short\r\n", rcpts, 1, &w, id2);
	run_until(base, &w.done, 2);
	assert_int_equal(w.errors, 0);
	new_msg = inode_of(dir, id2, "msg");
	new_env = inode_of(dir, id2, "env");
	assert_true(new_msg == old_msg || new_msg == old_env);
	assert_true(new_env == old_msg || new_env == old_env);
	assert_int_equal(spool_pool_size(sp), 0);
	assert_int_equal(count_files(dir, "pool"), 0);
	assert_int_equal(count_files(dir, "tmp"), 0);
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
	spool_close(sp);
	event_base_free(base);
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

/* A fresh file or a pooled one for a new name; which one it was. */
static bool
took_pooled(struct spool *sp, const char *name, ino_t a, ino_t b)
{
	struct stat st;
	int fd = spool_pool_create(sp, sp->queuefd, name);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fd);
	return st.st_ino == a || st.st_ino == b;
}

/* syncfs mode: a pooled file is empty on disk before it gets a new name,
 * or a crash could show the old message's bytes under the new one's
 * envelope.  So it waits for a sync that started after it was emptied
 * and ended well; fsync mode syncs each file before its envelope. */
static void
pool_waits(enum sync_mode mode)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1];
	ino_t m, e;
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, mode);
	assert_non_null(sp = spool_open(base, &cfg));
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 1);
	m = inode_of(dir, id, "msg");
	e = inode_of(dir, id, "env");
	sp->gs_syncfs = fake_syncfs;
	spool_recycle(sp, id);
	assert_int_equal(spool_pool_size(sp), 2);
	if (mode == SYNC_FSYNC) {
		assert_true(took_pooled(sp, "0000000000000100.msg", m, e));
		goto out;
	}
	assert_false(took_pooled(sp, "0000000000000100.msg", m, e));
	fake_fail = 1;
	assert_int_equal(spool_sync(sp), -1);
	assert_false(took_pooled(sp, "0000000000000101.msg", m, e));
	fake_fail = 0;
	assert_int_equal(spool_sync(sp), 0);
	assert_true(took_pooled(sp, "0000000000000102.msg", m, e));
	assert_true(took_pooled(sp, "0000000000000103.msg", m, e));
	assert_int_equal(spool_pool_size(sp), 0);
	assert_false(took_pooled(sp, "0000000000000104.msg", m, e));
out:
	sp->gs_syncfs = syncfs;
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

static void
test_pool_waits_for_sync(void **state)
{
	pool_waits(SYNC_SYNCFS);
}

static void
test_pool_fsync_mode(void **state)
{
	pool_waits(SYNC_FSYNC);
}

#define ENV(id, size)                                                          \
	"ferry-envelope 1\nid " id "\narrival 1\nsender .\nsize " size         \
	"\nrcpt pending 0 0 a@b - - -\nend\n"

/* What a crash can leave: whole messages in pool/ (moved there, not yet
 * emptied), and a recycled envelope that kept an older message's bytes
 * under a new name.  Neither is ever queued. */
static void
test_pool_crash_leftovers(void **state)
{
	struct event_base *base = event_base_new();
	char *dir = scratch_dir(), p[256], q[256];
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	spool_close(sp);
	snprintf(p, sizeof(p), "%s/pool", dir);
	snprintf(q, sizeof(q), "%s/queue", dir);
	put_file(p, "0000000000000009.env", ENV("0000000000000009", "2"));
	put_file(p, "0000000000000009.msg", "ok");
	put_file(q, "000000000000000a.env", ENV("0000000000000005", "2"));
	put_file(q, "000000000000000a.msg", "ok");
	assert_non_null(sp = spool_open(base, &cfg));
	assert_int_equal(count_files(dir, "pool"), 0);
	assert_int_equal(count_files(dir, "queue"), 0);
	assert_int_equal(spool_pool_size(sp), 0);
	spool_close(sp);
	event_base_free(base);
	remove_tree(dir);
	free(dir);
}

/* The pool holds at most SPOOL_POOL_MAX files; past that, files are
 * unlinked as before. */
static void
test_pool_bounded(void **state)
{
	static const char *const rcpts[] = {"a@x"};
	struct event_base *base = event_base_new();
	struct commit_wait w = {0};
	char *dir = scratch_dir(), id[QUEUE_ID_LEN + 1];
	struct config cfg;
	struct spool *sp;

	test_config(&cfg, dir, SYNC_SYNCFS);
	assert_non_null(sp = spool_open(base, &cfg));
	sp->pool_n = SPOOL_POOL_MAX - 1; /* as if nearly full */
	commit_msg(sp, "hello\r\n", rcpts, 1, &w, id);
	run_until(base, &w.done, 1);
	spool_recycle(sp, id);
	assert_int_equal(spool_pool_size(sp), SPOOL_POOL_MAX - 1);
	assert_int_equal(count_files(dir, "pool"), 0);
	assert_int_equal(count_files(dir, "queue"), 0);
	sp->pool_n = 0;
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
	        cmocka_unit_test(test_pool_waits_for_sync),
	        cmocka_unit_test(test_pool_fsync_mode),
	        cmocka_unit_test(test_pool_crash_leftovers),
	        cmocka_unit_test(test_pool_bounded),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
