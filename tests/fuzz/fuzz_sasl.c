/*
 * fuzz_sasl.c — arbitrary client lines through every mechanism, two ways:
 *
 *  1. straight into the state machines (sasl.c), checking their
 *     invariants: a step never follows the end, a challenge has its bytes,
 *     SASL_VERIFY carries a user and a password, SASL_OK only after a
 *     SCRAM proof verified against the keys handed in;
 *  2. through the public API with the passwd-file backend on a temp file
 *     (worker threads, the event loop), checking that every call yields
 *     exactly one callback, never from inside the call, and that no
 *     AUTH_OK comes out for a password that is not in the file.
 *
 * Input: the first byte picks the mechanism, the rest is lines split on
 * '\n'; in part 2 they are sent base64-encoded unless they start with
 * '!', which sends them raw (to reach the base64 checks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crypt.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "auth/auth_int.h"
#include "base/log.h"
#include "config/config.h"
#include "../unit/keyproc_thread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const mech_names[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256",
                                         "plain", "XOAUTH2"};
#define NMECHS (sizeof(mech_names) / sizeof(mech_names[0]))

static struct event_base *base;
static struct auth_service *svc;
static struct scram_keys keys; /* "pencil" with the RFC 7677 salt */

struct result {
	int calls;
	enum auth_status st;
	bool inside;
};

static void
cb(void *arg, enum auth_status st, const char *data)
{
	struct result *r = arg;

	if (r->inside || r->calls != 0)
		abort();
	if (st == AUTH_CONTINUE && data == NULL)
		abort();
	/* Only the two users of the file can ever log in. */
	if (st == AUTH_OK && (data == NULL || (strcmp(data, "user") != 0 &&
	                                       strcmp(data, "crypt") != 0)))
		abort();
	r->calls++;
	r->st = st;
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	abort(); /* a result never came */
}

static void
setup(void)
{
	static char path[] = "/tmp/ferry-fuzz-sasl-XXXXXX";
	static struct config cfg;
	unsigned char salt[16];
	char *stored, line[512];
	size_t n;
	int fd;
	unsigned char *raw;

	log_init("stderr", "fuzz");
	log_set_level(LOG_LVL_ERROR);
	evthread_use_pthreads();
	base = event_base_new();
	if (auth_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, &raw, &n) < 0)
		abort();
	memcpy(salt, raw, n);
	free(raw);
	if (scram_derive("pencil", 6, salt, n, 4096, &keys) < 0)
		abort();
	stored = scram_format_stored(&keys);
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	/* A bcrypt entry with the lowest cost keeps iterations fast. */
	snprintf(line, sizeof(line),
	         "user:{SCRAM-SHA-256}%s\n"
	         "crypt:{BLF-CRYPT}%s\n",
	         stored, crypt("other", "$2b$04$abcdefghijklmnopqrstuu"));
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		abort();
	close(fd);
	free(stored);
	cfg.auth_backend = AUTH_BACKEND_PASSWD_FILE;
	cfg.auth_passwd_file = path;
	svc = auth_service_new(base, &cfg, keyproc_thread_auth(&cfg));
	if (svc == NULL)
		abort();
}

/* Part 1: the state machine alone. */
static void
fuzz_machine(enum sasl_mech m, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl;
	unsigned char fake[16] = {0};
	enum sasl_step st;
	struct sasl s;
	bool first = true, done = false;

	sasl_init(&s, m);
	while (!done && p <= end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		st = sasl_step(&s, first && nl == p ? NULL : p,
		               (size_t)(nl - p));
		first = false;
		if (st == SASL_LOOKUP) {
			if (s.user == NULL)
				abort();
			st = sasl_scram_keys(
			        &s, strcmp(s.user, "user") == 0 ? &keys : NULL,
			        fake);
		}
		if (st == SASL_PROVE) {
			unsigned char sig[SCRAM_KEY_LEN];
			int ok = scram_check_proof(&keys, s.auth_msg,
			                           strlen(s.auth_msg), s.proof,
			                           sig);

			st = sasl_scram_proved(&s, ok == 1, sig);
		}
		switch (st) {
		case SASL_CHALLENGE:
			if (s.out == NULL || s.phase == SP_DONE)
				abort();
			break;
		case SASL_VERIFY:
			if (s.user == NULL || s.password == NULL ||
			    m == SASL_SCRAM_SHA_256)
				abort();
			done = true;
			break;
		case SASL_OK:
			if (m != SASL_SCRAM_SHA_256 || !s.keys_valid ||
			    strcmp(s.user, "user") != 0)
				abort();
			done = true;
			break;
		default:
			if (s.phase != SP_DONE || s.password != NULL)
				abort();
			done = true;
		}
		p = nl + 1;
	}
	/* Once finished, it stays finished. */
	if (done && sasl_step(&s, (const unsigned char *)"x", 1) != SASL_FAIL)
		abort();
	sasl_clear(&s);
}

/* Wait for exactly one result of the last call. */
static void
wait_one(struct result *r)
{
	struct timeval tv = {10, 0};
	struct event *t = evtimer_new(base, timeout_cb, NULL);

	evtimer_add(t, &tv);
	while (r->calls == 0)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

static char *
make_line(const uint8_t *p, size_t len)
{
	char *out;

	if (len > 0 && p[0] == '!') {
		out = strndup((const char *)p + 1, len - 1);
		return out;
	}
	return auth_b64_encode(p, len);
}

/* Part 2: the service, with threads and the event loop. */
static void
fuzz_service(const char *mech, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *nl;
	struct auth_request *req = NULL;
	struct result r;
	char *line;
	int n = 0;

	while (p <= end && n++ < 8) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		line = make_line(p, (size_t)(nl - p));
		if (line == NULL)
			abort();
		memset(&r, 0, sizeof(r));
		r.inside = true;
		if (req == NULL)
			req = auth_request_start(svc, mech,
			                         nl == p ? NULL : line,
			                         "192.0.2.1", true, cb, &r);
		else
			auth_request_continue(req, line);
		r.inside = false;
		free(line);
		if (req == NULL)
			abort();
		wait_one(&r);
		p = nl + 1;
		if (r.st != AUTH_CONTINUE)
			break;
	}
	auth_request_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t m;

	if (base == NULL)
		setup();
	if (size < 1 || size > 4096)
		return 0;
	m = data[0] % NMECHS;
	if (m < 3)
		fuzz_machine((enum sasl_mech)m, data + 1, size - 1);
	fuzz_service(mech_names[m], data + 1, size - 1);
	return 0;
}
