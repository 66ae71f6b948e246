/*
 * fuzz_session.c — the whole SMTP command loop from bytes: each input is
 * what one client sends on a fresh session (session.c and every cmd_*
 * handler, DATA/BDAT content into a real spool, AUTH against a
 * passwd-file, STARTTLS up to the handshake), through the harness of the
 * dialog tests.  The server's replies must be CRLF-terminated lines of a
 * 3-digit code, and the session must end once the client hangs up.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../unit/session_harness.h"
#include "base/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static struct harness *h;

static void
cleanup(void)
{
	harness_free(h);
	h = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	evthread_use_pthreads();
	log_set_level(LOG_LVL_ERROR);
	h = harness_new("[auth]\nbackend = passwd-file\n"
	                "passwd_file = @DIR@/passwd\nrequire_tls = false\n"
	                "[limits]\nmax_errors = 1000\n"
	                "max_rejected_recipients = 1000\n");
	CHECK(h != NULL);
	atexit(cleanup);
	return 0;
}

/* Every complete line the server wrote is a reply line. */
static void
check_replies(void)
{
	char line[1024];

	while (memchr(h->in, '\n', h->inlen) != NULL) {
		CHECK(harness_read_line(h, line, sizeof(line), 0) == 1);
		CHECK(line[0] >= '2' && line[0] <= '5');
		CHECK(line[1] >= '0' && line[1] <= '9');
		CHECK(line[2] >= '0' && line[2] <= '9');
		CHECK(line[3] == ' ' || line[3] == '-' || line[3] == '\0');
	}
	if (h->inlen == sizeof(h->in))
		h->inlen = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int i;

	CHECK(harness_connect(h, LISTENER_SMTP) == 0);
	(void)harness_send(h, data, size);
	for (i = 0; i < 8; i++) {
		harness_pump(h);
		check_replies();
	}
	CHECK(harness_disconnect(h));
	return 0;
}
