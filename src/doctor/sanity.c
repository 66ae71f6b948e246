/*
 * sanity.c — the configuration's basics that receivers and RFCs expect:
 * postmaster@ and abuse@ of every domain reach someone (RFC 5321 s4.5.1,
 * RFC 2142), the host name is a fully qualified domain name, the queue
 * directory is writable with room to spare, and the clock is kept
 * synchronised (DKIM signatures carry a time, TLS certificates have
 * validity dates).  The clock is judged offline, from what the kernel
 * knows of its own discipline (adjtimex(2), what `timedatectl` shows as
 * "System clock synchronized"): no time server is asked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include "dns/name.h"
#include "doctor/doctor_int.h"

#define G "config"
/* Beyond this the kernel's own estimate says the clock may be wrong by
 * enough to matter for DKIM's t= and x= (seconds). */
#define CLOCK_MAXERROR_US 1000000L

static void
check_role(struct doctor *d, const struct config_domain *dom, const char *local)
{
	enum config_dest dest = config_lookup(dom, local, NULL);
	struct doctor_check *c;
	bool required = strcmp(local, "postmaster") == 0;

	if (dest == CONFIG_DEST_MAILBOX || dest == CONFIG_DEST_ALIAS ||
	    dest == CONFIG_DEST_CATCH_ALL) {
		doctor_add(d, G, local, dom->name, DOCTOR_PASS,
		           "%s@%s reaches a mailbox", local, dom->name);
		return;
	}
	c = doctor_add(d, G, local, dom->name,
	               required ? DOCTOR_FAIL : DOCTOR_WARN, "%s@%s %s", local,
	               dom->name,
	               dest == CONFIG_DEST_DISABLED ? "is disabled"
	                                            : "does not exist");
	doctor_detail(c, "%s",
	              required ? "RFC 5321 s4.5.1: every domain "
	                         "must accept mail for postmaster"
	                       : "RFC 2142: complaints go to abuse@; "
	                         "block lists ask for it");
	c->fix = required ? "alias = postmaster: SOMEONE in the [domain]"
	                  : "alias = abuse: SOMEONE in the [domain]";
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

static void
check_hostname(struct doctor *d)
{
	char out[DNS_NAME_MAX + 2];
	const char *why = NULL, *h = d->helo;
	struct doctor_check *c;

	if (doctor_skipped(d, "hostname"))
		return;
	if (!dns_name_check(h, out, &why))
		;
	else if (strchr(h, '.') == NULL)
		why = "it has no dot: not fully qualified";
	else if (strncasecmp(h, "localhost", 9) == 0 ||
	         ends_with(h, ".localdomain") || ends_with(h, ".local") ||
	         ends_with(h, ".internal") || ends_with(h, ".lan"))
		why = "it is a local-only name";
	if (why == NULL) {
		doctor_add(d, G, "hostname", h, DOCTOR_PASS,
		           "hostname %s is a fully qualified domain name", h);
		return;
	}
	c = doctor_add(d, G, "hostname", h, DOCTOR_FAIL,
	               "hostname %s cannot be used in HELO", h);
	doctor_detail(c, "%s", why);
	c->fix = "set [server] hostname to the server's public name "
	         "(the PTR name of its address)";
	c->sample = "helo";
}

static void
check_queue(struct doctor *d)
{
	const char *dir = d->cfg->spool_dir;
	struct doctor_check *c;
	struct statvfs vfs;
	unsigned long long avail;

	if (doctor_skipped(d, "queue"))
		return;
	if (access(dir, W_OK | X_OK) < 0) {
		c = doctor_add(d, G, "queue", dir, DOCTOR_FAIL,
		               "the queue directory is not writable");
		doctor_detail(c, "%s: %s (checked as uid %d)", dir,
		              strerror(errno), (int)geteuid());
		c->fix = "create it and give it to the server's user (run "
		         "doctor as that user or as root)";
		return;
	}
	if (statvfs(dir, &vfs) == 0) {
		avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		if (avail < (unsigned long long)d->cfg->min_free_space * 2) {
			c = doctor_add(d, G, "queue", dir, DOCTOR_WARN,
			               "the queue's file system is nearly "
			               "full");
			doctor_detail(c,
			              "%llu bytes free; below %zu new mail "
			              "gets 452 4.3.1",
			              avail, d->cfg->min_free_space);
			c->fix = "free space or raise the disk";
			return;
		}
	}
	doctor_add(d, G, "queue", dir, DOCTOR_PASS,
	           "the queue directory is writable");
}

enum doctor_status
doctor_clock_verdict(int state, int status, long maxerror_us, const char **why)
{
	if (state < 0) {
		*why = "the kernel's clock state cannot be read";
		return DOCTOR_WARN;
	}
	if (state == TIME_ERROR || (status & STA_UNSYNC)) {
		*why = "the kernel says the clock is not synchronised "
		       "(no NTP client disciplines it)";
		return DOCTOR_WARN;
	}
	if (maxerror_us > CLOCK_MAXERROR_US) {
		*why = "the kernel's maximum error estimate exceeds one "
		       "second";
		return DOCTOR_WARN;
	}
	*why = "the kernel says the clock is synchronised";
	return DOCTOR_PASS;
}

static void
check_clock(struct doctor *d)
{
	struct timex tx = {0};
	struct doctor_check *c;
	enum doctor_status st;
	const char *why;
	int state;

	if (doctor_skipped(d, "clock"))
		return;
	state = adjtimex(&tx); /* modes 0: only reads */
	st = doctor_clock_verdict(state, tx.status, tx.maxerror, &why);
	c = doctor_add(d, G, "clock", "", st, "%s", why);
	if (st != DOCTOR_PASS) {
		doctor_detail(c, "DKIM signatures carry their time; a wrong "
		                 "clock also makes certificates look "
		                 "expired or not yet valid");
		c->fix = "run an NTP client (systemd-timesyncd, chrony, "
		         "ntpd); timedatectl shows the state";
		c->sample = "unauthenticated";
	}
}

void
doctor_sanity(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	size_t i;

	for (i = 0; i < cfg->ndomains; i++) {
		if (d->opts->domain &&
		    strcmp(d->opts->domain, cfg->domains[i].name) != 0)
			continue;
		if (!doctor_skipped(d, "postmaster"))
			check_role(d, &cfg->domains[i], "postmaster");
		if (!doctor_skipped(d, "abuse"))
			check_role(d, &cfg->domains[i], "abuse");
	}
	check_hostname(d);
	check_queue(d);
	check_clock(d);
}
