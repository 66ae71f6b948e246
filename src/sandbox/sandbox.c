/*
 * sandbox.c — turning the sandbox on (see sandbox.h), and the probe the
 * tests use to show it is on.
 *
 * The probe exists only when FERRY_SANDBOX_PROBE is set when the daemon
 * starts: SIGUSR2 then makes the loop thread do what a compromised parser
 * would try.  "execve" runs /nonexistent (the filter kills the process);
 * an absolute path is opened for reading, and one line on standard error
 * says whether that worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_int.h"

static const char *probe;

static void
say(const char *text)
{
	ssize_t n = write(STDERR_FILENO, text, strlen(text));

	(void)n;
}

/* Only async-signal-safe calls. */
static void
probe_now(int sig)
{
	char *const argv[] = {"/nonexistent", NULL};
	int fd, e;

	if (strcmp(probe, "execve") == 0) {
		execve(argv[0], argv, argv + 1);
		say("level=warn event=sandbox-probe call=execve "
		    "result=returned\n");
		return;
	}
	fd = open(probe, O_RDONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		close(fd);
		say("level=warn event=sandbox-probe call=open result=opened\n");
	} else if (e == EACCES) {
		say("level=info event=sandbox-probe call=open result=denied\n");
	} else {
		say("level=info event=sandbox-probe call=open result=error\n");
	}
}

static void
probe_install(void)
{
	struct sigaction sa = {.sa_handler = probe_now};

	probe = getenv("FERRY_SANDBOX_PROBE");
	if (probe == NULL || probe[0] == '\0')
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	log_event(LOG_LVL_WARN, "sandbox", "probe", probe, NULL);
}

int
sandbox_start(const struct config *cfg, const char *config_path)
{
	const char *log_only = getenv("FERRY_SANDBOX_LOG");

	probe_install();
	if (!cfg->sandbox) {
		log_event(LOG_LVL_INFO, "sandbox", "state", "off", NULL);
		return 0;
	}
	if (landlock_start(cfg, config_path) < 0)
		return -1;
	return seccomp_start(log_only != NULL && log_only[0] == '1');
}

void
sandbox_thread_enter(void)
{
	landlock_thread_enter();
}
