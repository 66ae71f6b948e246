/*
 * test_maildir.c — local delivery end to end: messages committed to a spool
 * are delivered into Maildirs chosen by a test resolver; remote recipients
 * stay pending; an unwritable Maildir defers and succeeds on flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver/local.h"
#include "spool_test_util.h"

struct resolver {
	char *root;
	bool broken; /* resolve into a path under a regular file */
};

/* Local iff the domain is example.org; Maildir at ROOT/<local part>. */
static char *
resolve(void *arg, const char *address)
{
	struct resolver *r = arg;
	const char *at = strchr(address, '@');
	char *path;

	if (at == NULL || strcmp(at + 1, "example.org") != 0)
		return NULL;
	if (asprintf(&path, "%s/%s%.*s", r->root, r->broken ? "file/" : "",
	             (int)(at - address), address) < 0)
		return NULL;
	return path;
}

static int
count_dir(const char *root, const char *user, const char *sub)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", root, user, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static char *
first_file(const char *root, const char *user)
{
	char path[1024], *data = NULL;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/new", root, user);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	assert_non_null(de);
	snprintf(path, sizeof(path), "%s/%s/new/%s", root, user, de->d_name);
	closedir(d);
	assert_non_null(f = fopen(path, "r"));
	assert_true(getdelim(&data, &cap, '\0', f) > 0);
	fclose(f);
	return data;
}

static void
wait_deliveries(struct local_delivery *ld, unsigned long want)
{
	unsigned long m, d;
	int i;

	for (i = 0; i < 2000; i++) {
		local_delivery_stats(ld, &m, &d);
		if (d >= want)
			return;
		usleep(5000);
	}
	fail_msg("only %lu of %lu deliveries", d, want);
}

struct env_fixture {
	struct event_base *base;
	char *dir, root[256];
	struct config cfg;
	struct spool *sp;
	struct resolver res;
	struct local_delivery *ld;
	struct commit_wait w;
	bool by_id;      /* hand over the id only: delivery reads the spool */
	bool delete_it;  /* dequeue each message before delivery sees it */
	int handed_over; /* messages given to delivery */
};

/* The spool's queued callback: delivery takes the message from memory, as
 * the daemon's does, or only its id. */
static void
committed(void *arg, struct spool_queued *q)
{
	struct env_fixture *fx = arg;

	if (fx->delete_it)
		assert_int_equal(spool_delete(fx->sp, q->id), 0);
	if (fx->by_id)
		local_delivery_enqueue(fx->ld, q->id);
	else
		local_delivery_enqueue_committed(fx->ld, q);
	fx->handed_over++;
}

static void
setup_fx(struct env_fixture *fx, enum sync_mode mode)
{
	memset(fx, 0, sizeof(*fx));
	fx->base = event_base_new();
	fx->dir = scratch_dir();
	snprintf(fx->root, sizeof(fx->root), "%s/mail", fx->dir);
	test_config(&fx->cfg, fx->dir, mode);
	assert_non_null(fx->sp = spool_open(fx->base, &fx->cfg));
	fx->res.root = fx->root;
	fx->ld = local_delivery_start(fx->base, &fx->cfg, fx->sp, resolve,
	                              &fx->res);
	assert_non_null(fx->ld);
	spool_set_queued_cb(fx->sp, committed, fx);
}

static void
teardown_fx(struct env_fixture *fx)
{
	local_delivery_stop(fx->ld);
	spool_close(fx->sp);
	event_base_free(fx->base);
	remove_tree(fx->dir);
	free(fx->dir);
}

static void
fanout(enum sync_mode mode, int nmsgs, bool by_id)
{
	static const char *const rcpts[] = {"u0@example.org", "u1@example.org",
	                                    "u2@example.org", "u3@example.org",
	                                    "u4@example.org"};
	struct env_fixture fx;
	char *data, body[64], expect[256];
	int i, left = 1;

	setup_fx(&fx, mode);
	fx.by_id = by_id;
	for (i = 0; i < nmsgs; i++) {
		snprintf(body, sizeof(body), "Subject: %d\r\n\r\nhi\r\n", i);
		commit_msg(fx.sp, body, rcpts, 5, &fx.w, NULL);
	}
	run_until(fx.base, &fx.w.done, nmsgs);
	assert_int_equal(fx.w.errors, 0);
	wait_deliveries(fx.ld, (unsigned long)nmsgs * 5);
	for (i = 0; i < 5; i++) {
		snprintf(body, sizeof(body), "u%d", i);
		assert_int_equal(count_dir(fx.root, body, "new"), nmsgs);
		assert_int_equal(count_dir(fx.root, body, "tmp"), 0);
		assert_int_equal(count_dir(fx.root, body, "cur"), 0);
	}
	data = first_file(fx.root, "u3");
	snprintf(expect, sizeof(expect),
	         "Return-Path: <sender@example.org>\n"
	         "Delivered-To: u3@example.org\nSubject: ");
	assert_memory_equal(data, expect, strlen(expect));
	free(data);
	/* Fully delivered messages leave the queue. */
	for (i = 0; i < 200 && left; i++) {
		left = count_dir(fx.dir, "queue", ".") > 0;
		usleep(5000);
	}
	assert_int_equal(count_dir(fx.dir, "queue", "."), 0);
	teardown_fx(&fx);
}

static void
test_fanout_syncfs(void **state)
{
	fanout(SYNC_SYNCFS, 40, false);
}

static void
test_fanout_syncfs_from_spool(void **state)
{
	fanout(SYNC_SYNCFS, 40, true);
}

static void
test_fanout_fsync(void **state)
{
	fanout(SYNC_FSYNC, 8, false);
}

/* A message dequeued (held, deleted) after its commit is not delivered
 * from the copy in memory. */
static void
test_dequeued_not_delivered(void **state)
{
	static const char *const rcpts[] = {"gone@example.org"};
	struct env_fixture fx;
	unsigned long m, d;

	setup_fx(&fx, SYNC_SYNCFS);
	fx.delete_it = true;
	commit_msg(fx.sp, "Subject: gone\r\n\r\nx\r\n", rcpts, 1, &fx.w, NULL);
	run_until(fx.base, &fx.w.done, 1);
	assert_int_equal(fx.handed_over, 1);
	usleep(200000); /* a batch takes milliseconds */
	local_delivery_stats(fx.ld, &m, &d);
	assert_int_equal(d, 0);
	assert_true(count_dir(fx.root, "gone", "new") <= 0);
	teardown_fx(&fx);
}

static void
test_remote_stays_pending(void **state)
{
	static const char *const rcpts[] = {"a@example.org", "b@remote.net"};
	struct env_fixture fx;
	char id[QUEUE_ID_LEN + 1];
	struct envelope env;

	setup_fx(&fx, SYNC_SYNCFS);
	commit_msg(fx.sp, "x\n", rcpts, 2, &fx.w, id);
	run_until(fx.base, &fx.w.done, 1);
	wait_deliveries(fx.ld, 1);
	usleep(50000); /* let the state record land */
	assert_int_equal(spool_load(fx.sp, id, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(env.rcpts[1].state, RCPT_PENDING);
	envelope_free(&env);
	/* A restart finds it again but does not deliver "a" twice. */
	local_delivery_stop(fx.ld);
	fx.ld = local_delivery_start(fx.base, &fx.cfg, fx.sp, resolve, &fx.res);
	assert_int_equal(spool_scan(fx.sp, local_delivery_queued, fx.ld), 0);
	usleep(100000);
	assert_int_equal(count_dir(fx.root, "a", "new"), 1);
	teardown_fx(&fx);
}

static int attempts;

static char *
counting_resolve(void *arg, const char *address)
{
	__atomic_add_fetch(&attempts, 1, __ATOMIC_SEQ_CST);
	return resolve(arg, address);
}

static void
test_deferral_and_flush(void **state)
{
	static const char *const rcpts[] = {"d@example.org"};
	struct env_fixture fx;
	char path[512];
	FILE *f;

	setup_fx(&fx, SYNC_SYNCFS);
	local_delivery_stop(fx.ld);
	fx.ld = local_delivery_start(fx.base, &fx.cfg, fx.sp, counting_resolve,
	                             &fx.res);
	spool_set_queued_cb(fx.sp, committed, &fx);
	/* root/file is a regular file: the Maildir cannot be created. */
	mkdir(fx.root, 0700);
	snprintf(path, sizeof(path), "%s/file", fx.root);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	__atomic_store_n(&fx.res.broken, true, __ATOMIC_SEQ_CST);
	commit_msg(fx.sp, "x\n", rcpts, 1, &fx.w, NULL);
	run_until(fx.base, &fx.w.done, 1);
	while (__atomic_load_n(&attempts, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	usleep(100000); /* the batch ends and the message waits 30 s */
	assert_int_equal(count_dir(fx.dir, "queue", "."), 2);
	__atomic_store_n(&fx.res.broken, false, __ATOMIC_SEQ_CST);
	local_delivery_flush(fx.ld);
	wait_deliveries(fx.ld, 1);
	assert_int_equal(count_dir(fx.root, "d", "new"), 1);
	teardown_fx(&fx);
}

/* Commits data for rcpts as a session does, allowing direct delivery. */
static void
commit_direct(struct env_fixture *fx, const char *data,
              const char *const *rcpts, size_t n, char *id_out)
{
	commit_msg_as(fx->sp, data, rcpts, n, &fx->w, id_out, true);
}

/* Every copy is in its Maildir when the commit's callback runs, and the
 * message was never queued. */
static void
direct(enum sync_mode mode)
{
	static const char *const rcpts[] = {"u0@example.org", "u1@example.org",
	                                    "u2@example.org"};
	struct env_fixture fx;
	unsigned long msgs, syncs, usec;
	char user[8];
	int i, n = 30;

	setup_fx(&fx, mode);
	spool_set_direct(fx.sp, local_delivery_offer, fx.ld);
	for (i = 0; i < n; i++)
		commit_direct(&fx, "Subject: d\r\n\r\nhi\r\n", rcpts, 3, NULL);
	run_until(fx.base, &fx.w.done, n);
	assert_int_equal(fx.w.errors, 0);
	for (i = 0; i < 3; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		assert_int_equal(count_dir(fx.root, user, "new"), n);
		assert_int_equal(count_dir(fx.root, user, "tmp"), 0);
	}
	assert_int_equal(fx.handed_over, 0);
	assert_int_equal(count_dir(fx.dir, "queue", "."), 0);
	spool_stats(fx.sp, &msgs, &syncs);
	assert_int_equal(msgs, 0);
	spool_direct_stats(fx.sp, &msgs, &syncs, &usec);
	assert_int_equal(msgs, n);
	teardown_fx(&fx);
}

static void
test_direct_syncfs(void **state)
{
	direct(SYNC_SYNCFS);
}

static void
test_direct_fsync(void **state)
{
	direct(SYNC_FSYNC);
}

/* Not taken: a remote recipient, or one asking for a success notice. */
static void
test_direct_declined(void **state)
{
	static const char *const mixed[] = {"a@example.org", "b@remote.net"};
	struct env_fixture fx;
	struct spool_msg *msg;
	struct envelope env = {0};

	setup_fx(&fx, SYNC_SYNCFS);
	spool_set_direct(fx.sp, local_delivery_offer, fx.ld);
	commit_direct(&fx, "x\r\n", mixed, 2, NULL);
	msg = spool_msg_new(fx.sp);
	assert_int_equal(spool_msg_write(msg, "y\r\n", 3), 0);
	env.sender = (char *)"sender@example.org";
	envelope_add_rcpt(&env, "n@example.org", NULL, NULL,
	                  DSN_NOTIFY_SUCCESS);
	spool_msg_allow_direct(msg);
	spool_msg_commit(msg, &env, count_commit, &fx.w);
	env.sender = NULL;
	envelope_free(&env);
	run_until(fx.base, &fx.w.done, 2);
	assert_int_equal(fx.handed_over, 2);
	teardown_fx(&fx);
}

/* One recipient's Maildir cannot be made: the other's copy is delivered
 * at once, the message queued for the first alone; once it can be made,
 * the queue delivers it there, and never a second copy to the other. */
static void
test_direct_partial(void **state)
{
	static const char *const rcpts[] = {"ok@example.org",
	                                    "bad@example.org"};
	struct env_fixture fx;
	char id[QUEUE_ID_LEN + 1], path[512];
	struct envelope env;
	FILE *f;

	setup_fx(&fx, SYNC_SYNCFS);
	spool_set_direct(fx.sp, local_delivery_offer, fx.ld);
	mkdir(fx.root, 0700);
	snprintf(path, sizeof(path), "%s/bad", fx.root);
	assert_non_null(f = fopen(path, "w")); /* a file, not a Maildir */
	fclose(f);
	commit_direct(&fx, "Subject: p\r\n\r\nx\r\n", rcpts, 2, id);
	run_until(fx.base, &fx.w.done, 1);
	assert_int_equal(fx.w.errors, 0);
	assert_int_equal(count_dir(fx.root, "ok", "new"), 1);
	assert_int_equal(fx.handed_over, 1);
	assert_int_equal(spool_load(fx.sp, id, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_DELIVERED);
	envelope_free(&env);
	/* The queue's own attempt fails too and waits 30 s; a flush after
	 * the fix delivers it. */
	usleep(200000);
	assert_int_equal(unlink(path), 0);
	local_delivery_flush(fx.ld);
	wait_deliveries(fx.ld, 2);
	assert_int_equal(count_dir(fx.root, "bad", "new"), 1);
	assert_int_equal(count_dir(fx.root, "ok", "new"), 1);
	teardown_fx(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fanout_syncfs),
	        cmocka_unit_test(test_fanout_syncfs_from_spool),
	        cmocka_unit_test(test_fanout_fsync),
	        cmocka_unit_test(test_dequeued_not_delivered),
	        cmocka_unit_test(test_remote_stays_pending),
	        cmocka_unit_test(test_deferral_and_flush),
	        cmocka_unit_test(test_direct_syncfs),
	        cmocka_unit_test(test_direct_fsync),
	        cmocka_unit_test(test_direct_declined),
	        cmocka_unit_test(test_direct_partial),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
