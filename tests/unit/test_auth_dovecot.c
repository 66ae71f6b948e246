/*
 * test_auth_dovecot.c — the backends against real credentials made by
 * `ferry passwd`, driven by tests/integration/test_auth_dovecot.py:
 *
 *   FERRY_DOVECOT_SOCKET    a running Dovecot's auth-client socket: the
 *                           dovecot backend is tested against it;
 *   FERRY_AUTH_PASSWD_FILE  the same users in a passwd-file: the
 *                           passwd-file backend is tested on it.
 *
 * Each part is skipped when its variable is unset (plain `make unit`).
 * The users and passwords below must match the Python test.  A missing
 * Dovecot socket is always tested: every request tempfails.
 */
#include "keyproc_thread.h"
#include "test_auth_util.h"

#include <unistd.h>

#include "auth/auth_int.h"
#include "config/config.h"

static const struct {
	const char *user, *pw;
	bool scram; /* stored as {SCRAM-SHA-256} */
} users[] = {
        {"yuki", "yescrypt pass", false},
        {"bo", "bcrypt pass", false},
        {"six", "sha512 pass", false},
        {"scram", "pencil", true},
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

struct fixture {
	struct config cfg;
	struct event_base *base;
	struct auth_service *svc;
	struct result r;
};

static int
setup_common(void **state, int backend, const char *env)
{
	struct fixture *fx;
	const char *path = getenv(env);

	if (path == NULL || path[0] == '\0') {
		print_message("%s unset: skipped\n", env);
		*state = NULL;
		return 0;
	}
	fx = calloc(1, sizeof(*fx));
	fx->cfg.auth_backend = backend;
	fx->cfg.auth_dovecot_socket = (char *)path;
	fx->cfg.auth_passwd_file = (char *)path;
	/* The users file mixes schemes: a passwd-file offers SCRAM for it
	 * only when told to; Dovecot offers what its auth_mechanisms say. */
	if (backend == AUTH_BACKEND_PASSWD_FILE)
		fx->cfg.auth_mechanisms = SASL_ALL_MECHS;
	fx->base = new_base();
	fx->svc = auth_service_new(fx->base, &fx->cfg,
	                           keyproc_thread_auth(&fx->cfg));
	assert_non_null(fx->svc);
	*state = fx;
	return 0;
}

static int
setup_dovecot(void **state)
{
	return setup_common(state, AUTH_BACKEND_DOVECOT,
	                    "FERRY_DOVECOT_SOCKET");
}

static int
setup_passwd(void **state)
{
	return setup_common(state, AUTH_BACKEND_PASSWD_FILE,
	                    "FERRY_AUTH_PASSWD_FILE");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx == NULL)
		return 0;
	auth_service_free(fx->svc);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

#define FIXTURE_OR_SKIP(fx)                                                    \
	do {                                                                   \
		(fx) = *state;                                                 \
		if ((fx) == NULL)                                              \
			skip();                                                \
	} while (0)

static void
test_mechanisms(void **state)
{
	struct fixture *fx;

	struct config cfg;
	struct auth_service *svc;

	FIXTURE_OR_SKIP(fx);
	assert_string_equal(auth_service_mechanisms(fx->svc),
	                    "PLAIN LOGIN SCRAM-SHA-256");
	/* [auth] mechanisms narrows what either backend offers. */
	cfg = fx->cfg;
	cfg.auth_mechanisms =
	        SASL_MECH_BIT(SASL_PLAIN) | SASL_MECH_BIT(SASL_SCRAM_SHA_256);
	svc = auth_service_new(fx->base, &cfg, keyproc_thread_auth(&cfg));
	assert_non_null(svc);
	assert_string_equal(auth_service_mechanisms(svc),
	                    "PLAIN SCRAM-SHA-256");
	auth_service_free(svc);
}

static void
test_plain_login(void **state)
{
	struct fixture *fx;
	size_t i;

	FIXTURE_OR_SKIP(fx);
	for (i = 0; i < NUSERS; i++) {
		assert_int_equal(do_plain(fx->base, fx->svc, users[i].user,
		                          users[i].pw, &fx->r),
		                 AUTH_OK);
		assert_string_equal(fx->r.data, users[i].user);
		assert_int_equal(do_login(fx->base, fx->svc, users[i].user,
		                          users[i].pw, &fx->r),
		                 AUTH_OK);
		assert_string_equal(fx->r.data, users[i].user);
	}
}

static void
test_wrong(void **state)
{
	struct fixture *fx;

	FIXTURE_OR_SKIP(fx);
	assert_int_equal(do_plain(fx->base, fx->svc, "yuki", "nope", &fx->r),
	                 AUTH_FAIL);
	assert_int_equal(do_login(fx->base, fx->svc, "bo", "nope", &fx->r),
	                 AUTH_FAIL);
	assert_int_equal(do_plain(fx->base, fx->svc, "nobody", "x", &fx->r),
	                 AUTH_FAIL);
}

static void
test_scram(void **state)
{
	struct fixture *fx;
	size_t i;

	FIXTURE_OR_SKIP(fx);
	for (i = 0; i < NUSERS; i++) {
		assert_int_equal(do_scram(fx->base, fx->svc, users[i].user,
		                          users[i].pw, "Zm9vYmFyCg", &fx->r),
		                 users[i].scram ? AUTH_OK : AUTH_FAIL);
		if (users[i].scram)
			assert_string_equal(fx->r.data, users[i].user);
	}
	assert_int_equal(
	        do_scram(fx->base, fx->svc, "scram", "pencil2", "abc", &fx->r),
	        AUTH_FAIL);
}

/* Cancel half-way, then the same connection (or backend) still works. */
static void
test_cancel_and_errors(void **state)
{
	struct fixture *fx;
	struct auth_request *req;

	FIXTURE_OR_SKIP(fx);
	req = start(fx->base, fx->svc, "LOGIN", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	cont(fx->base, req, "eXVraQ==", &fx->r);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	cont(fx->base, req, "*", &fx->r);
	assert_int_equal(fx->r.st, AUTH_CANCELLED);
	auth_request_free(req);

	/* Abandoned without a cancel line: the session just frees it. */
	req = start(fx->base, fx->svc, "LOGIN", NULL, &fx->r);
	auth_request_free(req);

	req = start(fx->base, fx->svc, "PLAIN", "AHl1a2k=!", &fx->r);
	assert_int_equal(fx->r.st, AUTH_BAD_BASE64);
	auth_request_free(req);
	req = start(fx->base, fx->svc, "DIGEST-MD5", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);

	assert_int_equal(
	        do_plain(fx->base, fx->svc, "six", "sha512 pass", &fx->r),
	        AUTH_OK);
}

/* Many exchanges at once: replies are matched to their requests. */
static void
test_concurrent(void **state)
{
	enum { N = 12 };
	static const char *const lines[] = {
	        "AHl1a2kAeWVzY3J5cHQgcGFzcw==", /* yuki, right */
	        "AGJvAGJjcnlwdCBwYXNz",         /* bo, right */
	        "AHNpeAB3cm9uZw==",             /* six, wrong */
	};
	static const enum auth_status want[] = {AUTH_OK, AUTH_OK, AUTH_FAIL};
	struct timeval tv = {30, 0};
	struct auth_request *req[N];
	struct result r[N];
	struct fixture *fx;
	struct event *guard;
	int i, done;

	FIXTURE_OR_SKIP(fx);
	memset(r, 0, sizeof(r));
	/* Something to wait on, so EVLOOP_ONCE blocks (as in the daemon,
	 * where listeners are always registered). */
	guard = evtimer_new(fx->base, loop_timeout_cb, fx->base);
	evtimer_add(guard, &tv);
	for (i = 0; i < N; i++) {
		req[i] = auth_request_start(fx->svc, "PLAIN", lines[i % 3],
		                            "198.51.100.7", true, result_cb,
		                            &r[i]);
		assert_non_null(req[i]);
	}
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		for (done = 0, i = 0; i < N; i++)
			done += r[i].calls;
	} while (done < N && !event_base_got_break(fx->base));
	event_free(guard);
	for (i = 0; i < N; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].st, want[i % 3]);
		auth_request_free(req[i]);
	}
}

static void
test_socket_missing(void **state)
{
	struct event_base *base = new_base();
	struct config cfg = {.auth_backend = AUTH_BACKEND_DOVECOT,
	                     .auth_dovecot_socket =
	                             (char *)"/nonexistent/ferry/auth-client"};
	struct auth_service *svc =
	        auth_service_new(base, &cfg, keyproc_thread_auth(&cfg));
	struct result r = {0};

	assert_non_null(svc);
	/* Not known yet: the one mechanism every Dovecot has. */
	assert_string_equal(auth_service_mechanisms(svc), "PLAIN");
	assert_int_equal(do_plain(base, svc, "a", "b", &r), AUTH_TEMPFAIL);
	assert_int_equal(do_plain(base, svc, "a", "b", &r), AUTH_TEMPFAIL);
	auth_service_free(svc);
	event_base_free(base);
}

#define BOTH(t)                                                                \
	cmocka_unit_test_prestate_setup_teardown(t, setup_dovecot, teardown,   \
	                                         NULL),                        \
	        cmocka_unit_test_prestate_setup_teardown(t, setup_passwd,      \
	                                                 teardown, NULL)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        BOTH(test_mechanisms),
	        BOTH(test_plain_login),
	        BOTH(test_wrong),
	        BOTH(test_scram),
	        BOTH(test_cancel_and_errors),
	        BOTH(test_concurrent),
	        cmocka_unit_test(test_socket_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
