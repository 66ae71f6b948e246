/*
 * test_auth_dcproto.c — the Dovecot backend against a scripted auth
 * server on a UNIX socket in a temp dir (a thread with blocking I/O), for
 * what a healthy Dovecot never does on request: replies out of order,
 * temporary failures, a dropped connection (in-flight requests tempfail,
 * the next one reconnects), escaped user names, private mechanisms.
 *
 * The script keys on the PLAIN password: "ok" -> OK, "temp" -> FAIL temp,
 * "hold" -> answered after the next request, "die" -> connection closed.
 */
#include "keyproc_thread.h"
#include "test_auth_util.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"

struct fake {
	char dir[64], path[128];
	int lfd;
	pthread_t thread;
	char seen[8192]; /* client lines, for checks */
	pthread_mutex_t mu;
	int conns;
};

static void
say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Password of a PLAIN "resp=" field. */
static void
plain_password(const char *line, char *pw, size_t size)
{
	const char *r = strstr(line, "resp=");
	unsigned char raw[256];
	size_t n, i;

	pw[0] = '\0';
	if (r == NULL)
		return;
	n = unb64(r + 5, raw, sizeof(raw));
	for (i = n; i > 0 && raw[i - 1] != '\0'; i--)
		;
	snprintf(pw, size, "%.*s", (int)(n - i), raw + i);
}

/* One connection; returns when it is closed.  0: go on, -1: "die". */
static int
serve_conn(struct fake *f, int fd)
{
	char buf[4096], line[1024], pw[64], reply[256];
	unsigned held = 0, id;
	size_t have = 0;
	char *nl;
	ssize_t n;

	say(fd, "VERSION\t1\t2\nSPID\t1\nCUID\t1\nCOOKIE\tabc\n"
	        "MECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
	        "MECH\tCRAM-MD5\tdictionary\tactive\n"
	        "MECH\tSCRAM-SHA-256\tprivate\nDONE\n");
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - have - 1);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			snprintf(line, sizeof(line), "%.*s", (int)(nl - buf),
			         buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			pthread_mutex_lock(&f->mu);
			strncat(f->seen, line,
			        sizeof(f->seen) - strlen(f->seen) - 2);
			strcat(f->seen, "\n");
			pthread_mutex_unlock(&f->mu);
			if (sscanf(line, "AUTH\t%u\t", &id) != 1)
				continue;
			plain_password(line, pw, sizeof(pw));
			if (strcmp(pw, "die") == 0)
				return -1;
			if (strcmp(pw, "hold") == 0 && held == 0) {
				held = id;
				continue;
			}
			if (strcmp(pw, "temp") == 0)
				snprintf(reply, sizeof(reply),
				         "FAIL\t%u\tuser=t\ttemp\n", id);
			else if (strcmp(pw, "ok") == 0 ||
			         strcmp(pw, "hold") == 0)
				snprintf(reply, sizeof(reply),
				         "OK\t%u\tuser=a\001tb\n", id);
			else
				snprintf(reply, sizeof(reply),
				         "FAIL\t%u\tuser=x\n", id);
			say(fd, reply);
			if (held != 0) {
				snprintf(reply, sizeof(reply),
				         "OK\t%u\tuser=held\n", held);
				say(fd, reply);
				held = 0;
			}
		}
	}
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		pthread_mutex_lock(&f->mu);
		f->conns++;
		pthread_mutex_unlock(&f->mu);
		serve_conn(f, fd);
		close(fd);
	}
	return NULL;
}

static struct fake *
fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/ferry-dc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/auth-client", f->dir);
	assert_true(strlen(f->path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, f->path, strlen(f->path) + 1);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	pthread_mutex_init(&f->mu, NULL);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

static void
fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->thread, NULL);
	unlink(f->path);
	rmdir(f->dir);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static char *
plain_b64(const char *user, const char *pw)
{
	char msg[128];
	size_t ul = strlen(user), pl = strlen(pw);

	msg[0] = '\0';
	memcpy(msg + 1, user, ul + 1);
	memcpy(msg + 2 + ul, pw, pl);
	return b64(msg, ul + pl + 2);
}

static void
test_protocol(void **state)
{
	struct fake *f = fake_start();
	struct config cfg = {.auth_backend = AUTH_BACKEND_DOVECOT,
	                     .auth_dovecot_socket = f->path};
	struct event_base *base = new_base();
	struct auth_service *svc =
	        auth_service_new(base, &cfg, keyproc_thread_auth(&cfg));
	struct auth_request *a, *b;
	struct result r = {0}, ra = {0}, rb = {0};
	char *ha, *hb;

	assert_non_null(svc);
	/* CRAM-MD5 is not relayed; SCRAM-SHA-256 is private here. */
	assert_string_equal(auth_service_mechanisms(svc), "PLAIN LOGIN");
	assert_int_equal(do_plain(base, svc, "u", "ok", &r), AUTH_OK);
	assert_string_equal(r.data, "a\tb"); /* Dovecot's escaping undone */
	assert_int_equal(do_plain(base, svc, "u", "temp", &r), AUTH_TEMPFAIL);
	assert_int_equal(do_plain(base, svc, "u", "bad", &r), AUTH_FAIL);

	/* Out of order: a is answered after b. */
	ha = plain_b64("u", "hold");
	hb = plain_b64("u", "ok");
	a = auth_request_start(svc, "PLAIN", ha, "192.0.2.9", false, result_cb,
	                       &ra);
	b = auth_request_start(svc, "PLAIN", hb, "192.0.2.9", false, result_cb,
	                       &rb);
	wait_result(base, &rb, 0);
	if (ra.calls == 0)
		wait_result(base, &ra, 0);
	assert_int_equal(ra.st, AUTH_OK);
	assert_string_equal(ra.data, "held");
	assert_int_equal(rb.st, AUTH_OK);
	assert_string_equal(rb.data, "a\tb");
	auth_request_free(a);
	auth_request_free(b);
	free(ha);
	free(hb);

	/* A request freed while Dovecot works on it is cancelled there,
	 * and its late reply is ignored. */
	ha = plain_b64("u", "hold");
	a = auth_request_start(svc, "PLAIN", ha, "192.0.2.9", false, result_cb,
	                       &ra);
	free(ha);
	event_base_loop(base, EVLOOP_NONBLOCK);
	auth_request_free(a);
	assert_int_equal(do_plain(base, svc, "u", "ok", &r), AUTH_OK);
	assert_string_equal(r.data, "a\tb");
	assert_int_equal(ra.calls, 1);

	/* Connection dropped with a request in flight. */
	assert_int_equal(do_plain(base, svc, "u", "die", &r), AUTH_TEMPFAIL);
	assert_int_equal(do_plain(base, svc, "u", "ok", &r), AUTH_OK);

	pthread_mutex_lock(&f->mu);
	assert_non_null(strstr(f->seen, "VERSION\t1\t2\nCPID\t"));
	assert_non_null(strstr(f->seen, "\tPLAIN\tservice=smtp\trip="));
	assert_non_null(strstr(f->seen, "\tsecured\tresp="));
	assert_non_null(strstr(f->seen, "\nCANCEL\t"));
	assert_null(strstr(f->seen, "\trip=192.0.2.9\tsecured"));
	/* probe, first connection, reconnection */
	assert_int_equal(f->conns, 3);
	pthread_mutex_unlock(&f->mu);

	auth_service_free(svc);
	event_base_free(base);
	fake_stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
