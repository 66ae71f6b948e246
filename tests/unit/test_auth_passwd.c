/*
 * test_auth_passwd.c — the passwd-file backend through the public API
 * (auth.h), on a real event loop with the worker threads: every password
 * scheme (hashes made here with crypt_r), wrong passwords, unknown users,
 * SCRAM with the RFC 7677 example, cancel, bad base64, unknown mechanism,
 * reload on change, an unreadable file, and freeing a request mid-check.
 */
#include "keyproc_thread.h"
#include "test_auth_util.h"

#include <crypt.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth_int.h"
#include "config/config.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	struct event_base *base;
	struct auth_service *svc;
	struct result r;
};

/* crypt_r with a fresh salt of the given prefix ("$y$", "$2b$", ...). */
static char *
make_hash(const char *prefix, const char *pw)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char *out;

	assert_non_null(cd);
	assert_non_null(crypt_gensalt_rn(prefix,
	                                 strcmp(prefix, "$2b$") == 0 ? 4 : 0,
	                                 NULL, 0, setting, sizeof(setting)));
	assert_non_null(crypt_r(pw, setting, cd));
	out = strdup(cd->output);
	free(cd);
	return out;
}

static char *
make_scram(const char *pw, const char *salt64, unsigned iter)
{
	unsigned char salt[64];
	struct scram_keys k;
	size_t n = unb64(salt64, salt, sizeof(salt));

	assert_int_equal(scram_derive(pw, strlen(pw), salt, n, iter, &k), 0);
	return scram_format_stored(&k);
}

static void
write_file(const char *path, const char *text)
{
	char tmp[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *y, *b, *s5, *s6, *scram, text[4096];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ferry-auth-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/passwd", fx->dir);
	y = make_hash("$y$", "yes pw");
	b = make_hash("$2b$", "blow fish");
	s5 = make_hash("$5$", "sha two");
	s6 = make_hash("$6$", "sha five");
	scram = make_scram("pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096);
	snprintf(text, sizeof(text),
	         "# ferry test users\n"
	         "\n"
	         "yuki:{CRYPT}%s:1000:1000::/home/yuki::\n"
	         "bo:{BLF-CRYPT}%s\n"
	         "sam:{SHA256-CRYPT}%s::\n"
	         "six:{SHA512-CRYPT}%s\n"
	         "bare:%s\n"
	         "user:{SCRAM-SHA-256}%s\n"
	         "broken:{NOSUCH}abc\n"
	         "bo:{CRYPT}%s\n",
	         y, b, s5, s6, s6, scram, y);
	write_file(fx->path, text);
	free(y);
	free(b);
	free(s5);
	free(s6);
	free(scram);
	fx->cfg.auth_backend = AUTH_BACKEND_PASSWD_FILE;
	fx->cfg.auth_passwd_file = fx->path;
	/* The file mixes schemes: SCRAM is offered only when asked for. */
	fx->cfg.auth_mechanisms = SASL_ALL_MECHS;
	fx->base = new_base();
	fx->svc = auth_service_new(fx->base, &fx->cfg,
	                           keyproc_thread_auth(&fx->cfg));
	assert_non_null(fx->svc);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	auth_service_free(fx->svc);
	event_base_free(fx->base);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
test_mechanisms(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(auth_service_mechanisms(fx->svc),
	                    "PLAIN LOGIN SCRAM-SHA-256");
}

/* The EHLO list looks at the file at most once a second. */
static void
next_second(void)
{
	time_t t = time(NULL);

	while (time(NULL) == t)
		usleep(20000);
}

/* Unset, [auth] mechanisms follows the file: SCRAM-SHA-256 only while
 * every user can use it.  Set, exactly the listed ones. */
static void
test_mechanisms_follow_file(void **state)
{
	struct fixture *fx = *state;
	struct config cfg = fx->cfg;
	struct auth_service *svc;
	struct auth_request *req;
	char *scram, text[512];

	cfg.auth_mechanisms = 0;
	svc = auth_service_new(fx->base, &cfg, keyproc_thread_auth(&cfg));
	assert_non_null(svc);
	assert_string_equal(auth_service_mechanisms(svc), "PLAIN LOGIN");
	req = start(fx->base, svc, "SCRAM-SHA-256", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);
	assert_int_equal(do_plain(fx->base, svc, "six", "sha five", &fx->r),
	                 AUTH_OK);
	/* Every user with SCRAM keys: offered, and usable at once. */
	scram = make_scram("pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096);
	snprintf(text, sizeof(text), "user:{SCRAM-SHA-256}%s\n", scram);
	free(scram);
	write_file(fx->path, text);
	next_second();
	assert_string_equal(auth_service_mechanisms(svc),
	                    "PLAIN LOGIN SCRAM-SHA-256");
	assert_int_equal(
	        do_scram(fx->base, svc, "user", "pencil", "abc", &fx->r),
	        AUTH_OK);
	/* An empty file offers no SCRAM either. */
	write_file(fx->path, "# nobody yet\n");
	next_second();
	assert_string_equal(auth_service_mechanisms(svc), "PLAIN LOGIN");
	auth_service_free(svc);
	cfg.auth_mechanisms = SASL_MECH_BIT(SASL_PLAIN);
	svc = auth_service_new(fx->base, &cfg, keyproc_thread_auth(&cfg));
	assert_string_equal(auth_service_mechanisms(svc), "PLAIN");
	req = start(fx->base, svc, "LOGIN", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);
	auth_service_free(svc);
}

static void
test_every_scheme(void **state)
{
	static const struct {
		const char *user, *pw;
	} users[] = {
	        {"yuki", "yes pw"},  {"bo", "blow fish"},  {"sam", "sha two"},
	        {"six", "sha five"}, {"bare", "sha five"}, {"user", "pencil"},
	};
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		assert_int_equal(do_plain(fx->base, fx->svc, users[i].user,
		                          users[i].pw, &fx->r),
		                 AUTH_OK);
		assert_string_equal(fx->r.data, users[i].user);
		assert_int_equal(do_login(fx->base, fx->svc, users[i].user,
		                          users[i].pw, &fx->r),
		                 AUTH_OK);
		assert_int_equal(do_plain(fx->base, fx->svc, users[i].user,
		                          "wrong", &fx->r),
		                 AUTH_FAIL);
		assert_int_equal(do_login(fx->base, fx->svc, users[i].user,
		                          "wrong", &fx->r),
		                 AUTH_FAIL);
	}
	/* Unknown, broken entry, the second "bo" line (first one wins),
	 * case of the name matters. */
	assert_int_equal(do_plain(fx->base, fx->svc, "nobody", "x", &fx->r),
	                 AUTH_FAIL);
	assert_int_equal(do_plain(fx->base, fx->svc, "broken", "abc", &fx->r),
	                 AUTH_FAIL);
	assert_int_equal(do_plain(fx->base, fx->svc, "bo", "yes pw", &fx->r),
	                 AUTH_FAIL);
	assert_int_equal(do_plain(fx->base, fx->svc, "YUKI", "yes pw", &fx->r),
	                 AUTH_FAIL);
}

static void
test_scram(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(do_scram(fx->base, fx->svc, "user", "pencil",
	                          "fyko+d2lbbFgONRv9qkxdawL", &fx->r),
	                 AUTH_OK);
	assert_string_equal(fx->r.data, "user");
	assert_int_equal(
	        do_scram(fx->base, fx->svc, "user", "pencil2", "abc", &fx->r),
	        AUTH_FAIL);
	/* A crypt(3) entry cannot do SCRAM, even with the right password;
	 * an unknown user goes through the same motions. */
	assert_int_equal(
	        do_scram(fx->base, fx->svc, "yuki", "yes pw", "abc", &fx->r),
	        AUTH_FAIL);
	assert_int_equal(
	        do_scram(fx->base, fx->svc, "ghost", "x", "abc", &fx->r),
	        AUTH_FAIL);
}

/* The RFC 7677 s3 exchange through the whole service. */
static void
test_scram_rfc7677(void **state)
{
	struct fixture *fx = *state;
	static const char final[] =
	        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	struct auth_request *req;
	unsigned char raw[256];
	char *enc;

	auth_test_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
	enc = b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", 32);
	req = start(fx->base, fx->svc, "SCRAM-SHA-256", enc, &fx->r);
	free(enc);
	auth_test_server_nonce = NULL;
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	unb64(fx->r.data, raw, sizeof(raw));
	assert_string_equal((char *)raw,
	                    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)"
	                    "hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
	enc = b64(final, strlen(final));
	cont(fx->base, req, enc, &fx->r);
	free(enc);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	unb64(fx->r.data, raw, sizeof(raw));
	assert_string_equal((char *)raw,
	                    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	cont(fx->base, req, "", &fx->r);
	assert_int_equal(fx->r.st, AUTH_OK);
	assert_string_equal(fx->r.data, "user");
	/* Finished: further lines are ignored, no callback. */
	auth_request_continue(req, "");
	assert_int_equal(event_base_loop(fx->base, EVLOOP_NONBLOCK), 1);
	auth_request_free(req);
}

static void
test_protocol_errors(void **state)
{
	struct fixture *fx = *state;
	struct auth_request *req;

	req = start(fx->base, fx->svc, "CRAM-MD5", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);
	req = start(fx->base, fx->svc, "PLAIN\r\nQUIT", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);

	req = start(fx->base, fx->svc, "PLAIN", "not base64!", &fx->r);
	assert_int_equal(fx->r.st, AUTH_BAD_BASE64);
	auth_request_free(req);
	req = start(fx->base, fx->svc, "PLAIN", "=", &fx->r);
	assert_int_equal(fx->r.st, AUTH_MALFORMED);
	auth_request_free(req);

	/* Cancel at each LOGIN step. */
	req = start(fx->base, fx->svc, "LOGIN", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	cont(fx->base, req, "*", &fx->r);
	assert_int_equal(fx->r.st, AUTH_CANCELLED);
	auth_request_free(req);
	req = start(fx->base, fx->svc, "LOGIN", "eXVraQ==", &fx->r);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	cont(fx->base, req, "*", &fx->r);
	assert_int_equal(fx->r.st, AUTH_CANCELLED);
	auth_request_free(req);

	req = start(fx->base, fx->svc, "LOGIN", NULL, &fx->r);
	cont(fx->base, req, "eXVr aQ==", &fx->r);
	assert_int_equal(fx->r.st, AUTH_BAD_BASE64);
	auth_request_free(req);

	req = start(fx->base, fx->svc, "SCRAM-SHA-256", NULL, &fx->r);
	assert_int_equal(fx->r.st, AUTH_CONTINUE);
	assert_string_equal(fx->r.data, "");
	cont(fx->base, req, "bixuPXVzZXI=", &fx->r); /* "n,n=user" */
	assert_int_equal(fx->r.st, AUTH_MALFORMED);
	auth_request_free(req);
}

/* Free a request while its password is being checked: no callback, no
 * leak, and the service stays usable. */
static void
test_free_while_checking(void **state)
{
	struct fixture *fx = *state;
	struct auth_request *req;
	int i, before = fx->r.calls;

	for (i = 0; i < 20; i++) {
		req = auth_request_start(fx->svc, "PLAIN",
		                         "AHl1a2kAeWVzIHB3", /* yuki */
		                         "192.0.2.1", false, result_cb, &fx->r);
		assert_non_null(req);
		if (i % 2)
			event_base_loop(fx->base, EVLOOP_NONBLOCK);
		auth_request_free(req);
	}
	usleep(300 * 1000);
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->r.calls, before);
	assert_int_equal(do_plain(fx->base, fx->svc, "yuki", "yes pw", &fx->r),
	                 AUTH_OK);
}

/* What the key process tells the daemon about a SCRAM user: the salt and
 * count for the server-first message, never StoredKey or ServerKey; the
 * proof is checked where the keys are. */
static void
test_key_process_keeps_scram_keys(void **state)
{
	struct fixture *fx = *state;
	struct auth_passwd_server *srv = auth_passwd_server_new(&fx->cfg);
	unsigned char *out = malloc(MSGPIPE_MAX), zero[SCRAM_KEY_LEN] = {0};
	struct auth_pw_answer ans;
	uint32_t type;

	assert_int_equal(auth_passwd_server_answer(
	                         srv, AUTH_PW_LOOKUP,
	                         (const unsigned char *)"user", 5, out, &type),
	                 sizeof(ans));
	memcpy(&ans, out, sizeof(ans));
	assert_int_equal(ans.st, AUTH_OK);
	assert_int_equal(ans.keys_valid, 1);
	assert_int_equal(ans.keys.iter, 4096);
	assert_int_equal(ans.keys.salt_len, 16);
	assert_memory_equal(ans.keys.stored_key, zero, SCRAM_KEY_LEN);
	assert_memory_equal(ans.keys.server_key, zero, SCRAM_KEY_LEN);
	/* A request cut short is refused, not read past its end. */
	assert_int_equal(auth_passwd_server_answer(
	                         srv, AUTH_PW_PROVE,
	                         (const unsigned char *)"user", 5, out, &type),
	                 sizeof(ans));
	memcpy(&ans, out, sizeof(ans));
	assert_int_equal(ans.st, AUTH_FAIL);
	free(out);
	auth_passwd_server_free(srv);
}

static void
test_reload_and_unreadable(void **state)
{
	struct fixture *fx = *state;
	char line[512], *h;

	h = make_hash("$6$", "new pw");
	snprintf(line, sizeof(line), "newbie:{SHA512-CRYPT}%s\n", h);
	free(h);
	write_file(fx->path, line);
	assert_int_equal(
	        do_plain(fx->base, fx->svc, "newbie", "new pw", &fx->r),
	        AUTH_OK);
	assert_int_equal(do_plain(fx->base, fx->svc, "yuki", "yes pw", &fx->r),
	                 AUTH_FAIL);

	assert_int_equal(rename(fx->path, "/tmp/ferry-auth-moved"), 0);
	assert_int_equal(
	        do_plain(fx->base, fx->svc, "newbie", "new pw", &fx->r),
	        AUTH_TEMPFAIL);
	assert_int_equal(
	        do_login(fx->base, fx->svc, "newbie", "new pw", &fx->r),
	        AUTH_TEMPFAIL);
	assert_int_equal(
	        do_scram(fx->base, fx->svc, "newbie", "new pw", "n", &fx->r),
	        AUTH_TEMPFAIL);
	if (getuid() != 0) {
		/* Present but unreadable (root reads anything). */
		write_file(fx->path, "x:y\n");
		chmod(fx->path, 0);
		assert_int_equal(do_plain(fx->base, fx->svc, "x", "y", &fx->r),
		                 AUTH_TEMPFAIL);
		unlink(fx->path);
	}
	assert_int_equal(rename("/tmp/ferry-auth-moved", fx->path), 0);
	assert_int_equal(
	        do_plain(fx->base, fx->svc, "newbie", "new pw", &fx->r),
	        AUTH_OK);
}

static void
test_table_parse(void **state)
{
	static const char text[] = "a:{PLAIN}x\n"           /* unsupported */
	                           "b:{SCRAM-SHA-256}1,2\n" /* broken */
	                           "no colon\n"
	                           ":{CRYPT}$6$x$y\n" /* empty name */
	                           "c:\n"             /* empty password */
	                           "d:{crypt}$6$x$y:1:2:::: extra\r\n"
	                           "# e:{CRYPT}$6$x$y\n"
	                           "f:{BLF-CRYPT}$2b$x";
	struct pw_table t;
	size_t bad, first;

	assert_int_equal(
	        pw_table_parse(text, sizeof(text) - 1, &t, &bad, &first), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(bad, 5);
	assert_int_equal(first, 1);
	assert_non_null(pw_table_find(&t, "d"));
	assert_string_equal(pw_table_find(&t, "d")->hash, "$6$x$y");
	assert_non_null(pw_table_find(&t, "f"));
	assert_null(pw_table_find(&t, "e"));
	assert_null(pw_table_find(&t, "a"));
	pw_table_free(&t);
	assert_int_equal(pw_table_parse("", 0, &t, NULL, NULL), 0);
	assert_int_equal(t.n, 0);
	assert_null(pw_table_find(&t, "x"));
	pw_table_free(&t);
}

static void
test_no_backend(void **state)
{
	struct event_base *base = new_base();
	struct config cfg = {.auth_backend = AUTH_BACKEND_NONE};
	struct auth_service *svc =
	        auth_service_new(base, &cfg, keyproc_thread_auth(&cfg));
	struct auth_request *req;
	struct result r = {0};

	assert_non_null(svc);
	assert_string_equal(auth_service_mechanisms(svc), "");
	req = start(base, svc, "PLAIN", "AGEAYg==", &r);
	assert_int_equal(r.st, AUTH_UNKNOWN_MECH);
	auth_request_free(req);
	auth_service_free(svc);
	cfg.auth_backend = AUTH_BACKEND_PASSWD_FILE;
	assert_null(auth_service_new(
	        base, &cfg, keyproc_thread_auth(&cfg))); /* no passwd_file */
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_mechanisms, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_mechanisms_follow_file,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_every_scheme, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_scram, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_scram_rfc7677, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_protocol_errors, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_free_while_checking, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_reload_and_unreadable,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_key_process_keeps_scram_keys, setup, teardown),
	        cmocka_unit_test(test_table_parse),
	        cmocka_unit_test(test_no_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
