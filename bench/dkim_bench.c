/*
 * dkim_bench.c — what one DKIM signature costs: signs a 4 KB message (the
 * size of the W2 load) with a fresh rsa-2048 and ed25519 key, for a fixed
 * time each, and prints microseconds per message.  The keys come from
 * `ferry dkim keygen` (argv[1] is the ferry binary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkim/dkim.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
run(const char *ferry, const char *dir, const char *type, const char *msg,
    size_t len)
{
	char cmd[1024], kdir[512];
	const char *err = "";
	struct dkim_keys *keys;
	double t0, t;
	long n = 0;

	snprintf(kdir, sizeof(kdir), "%s/%s", dir, type);
	snprintf(cmd, sizeof(cmd),
	         "%s dkim keygen --dir %s --domain bench.test --selector s "
	         "--type %s >/dev/null 2>&1",
	         ferry, kdir, type);
	if (system(cmd) != 0 || (keys = dkim_keys_load(kdir, &err)) == NULL) {
		fprintf(stderr, "dkim_bench: no %s key: %s\n", type, err);
		exit(1);
	}
	t0 = now();
	do {
		free(dkim_sign_message(keys, "bench.test", msg, len, time(NULL),
		                       &err));
		n++;
	} while ((t = now() - t0) < 2.0 && n < 1000000);
	printf("%-8s %7ld signatures in %.2f s: %8.1f us/message, %8.0f "
	       "messages/s on one core\n",
	       type, n, t, t * 1e6 / (double)n, (double)n / t);
	dkim_keys_free(keys);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/ferry-dkim-bench-XXXXXX", cmd[600];
	char *msg = malloc(8192);
	size_t len;

	if (argc < 2 || msg == NULL || mkdtemp(dir) == NULL)
		return 1;
	len = (size_t)snprintf(
	        msg, 8192,
	        "From: <bench@bench.test>\r\nTo: <1u@d1.bench>\r\n"
	        "Subject: bench\r\nDate: Mon, 7 Dec 2026 03:00:00 "
	        "+0000\r\nMessage-ID: <1@bench.test>\r\n\r\n");
	while (len < 4096 + 200) {
		memcpy(msg + len,
		       "0123456789012345678901234567890123456789012345"
		       "67890123456789012345678\r\n",
		       72);
		len += 72;
	}
	run(argv[1], dir, "rsa", msg, len);
	run(argv[1], dir, "ed25519", msg, len);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	free(msg);
	return system(cmd) == 0 ? 0 : 1;
}
