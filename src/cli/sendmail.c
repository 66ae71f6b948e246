/*
 * sendmail.c — `ferry sendmail`, also run as sendmail(8) through a link:
 * reads a message from standard input, completes its header (From, Date,
 * Message-ID) and drops it with its envelope into <spool>/maildrop/, where
 * the daemon picks it up (control_pickup.c).  Needs no privileges: the
 * maildrop is world-writable with the sticky bit, and not listable.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sendmail_int.h"
#include "config/config.h"
#include "control/maildrop.h"

extern const struct cli_command cli_sendmail;
extern const struct cli_command cli_queue;

struct submit {
	const struct config *cfg;
	struct maildrop_hdr hdr;
	const char *bad; /* the recipient that did not parse */
	char badbuf[ADDR_PATH_MAX + 64];
};

/* Domain for unqualified recipients: origin_domain (a sender is
 * qualified with the host name, which is local too). */
static const char *
local_domain(const struct config *cfg)
{
	return config_origin_name(cfg);
}

/* "<...>" parsed into a; a bare local part gets "@domain" first. */
int
sendmail_parse_address(const char *s, const char *domain, bool sender,
                       struct mailaddr *a)
{
	char buf[ADDR_PATH_MAX * 2];
	size_t used, n;

	if (s[0] == '<')
		n = (size_t)snprintf(buf, sizeof(buf), "%s", s);
	else if (strchr(s, '@') == NULL && s[0] != '\0')
		n = (size_t)snprintf(buf, sizeof(buf), "<%s@%s>", s, domain);
	else
		n = (size_t)snprintf(buf, sizeof(buf), "<%s>", s);
	if (n >= sizeof(buf))
		return -1;
	if (addr_parse_path(buf, n, sender, !sender, a, &used) != ADDR_OK ||
	    used != n)
		return -1;
	return 0;
}

static int
add_rcpt(void *arg, const char *addr)
{
	struct submit *sb = arg;
	struct mailaddr a;

	if (sendmail_parse_address(addr, local_domain(sb->cfg), false, &a) <
	    0) {
		snprintf(sb->badbuf, sizeof(sb->badbuf), "%s", addr);
		sb->bad = sb->badbuf;
		return EX_NOUSER;
	}
	if (maildrop_add_rcpt(&sb->hdr, &a) < 0) {
		sb->bad = "too many recipients";
		return EX_NOUSER;
	}
	return 0;
}

static char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	static char buf[32];

	if (pw && pw->pw_name[0])
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "uid%lu", (unsigned long)getuid());
	return buf;
}

static int
set_sender(struct submit *sb, const struct sendmail_opts *o)
{
	char def[ADDR_PATH_MAX];

	snprintf(def, sizeof(def), "%s@%s", login_name(), sb->cfg->hostname);
	if (sendmail_parse_address(o->sender ? o->sender : def,
	                           sb->cfg->hostname, true,
	                           &sb->hdr.sender) < 0) {
		fprintf(stderr, "sendmail: bad sender address '%s'\n",
		        o->sender);
		return EX_USAGE;
	}
	return 0;
}

/* A display name as an RFC 5322 quoted-string. */
static void
quoted_name(FILE *f, const char *name)
{
	fputc('"', f);
	for (; *name; name++) {
		if (*name == '"' || *name == '\\')
			fputc('\\', f);
		if (*name != '\r' && *name != '\n')
			fputc(*name, f);
	}
	fputs("\" ", f);
}

/* The fields the message lacks, to go in front of its header. */
static void
missing_fields(FILE *f, struct submit *sb, const struct sendmail_opts *o,
               const char *msg, size_t hlen)
{
	char addr[ADDR_PATH_MAX + 3], date[64];
	unsigned char rnd[8];
	time_t now = time(NULL);
	struct tm tm;

	if (!sendmail_has_header(msg, hlen, "From")) {
		addr_format(&sb->hdr.sender, addr, sizeof(addr));
		if (addr[0] == '\0')
			snprintf(addr, sizeof(addr), "%s@%s", login_name(),
			         sb->cfg->hostname);
		fputs("From: ", f);
		if (o->fullname)
			quoted_name(f, o->fullname);
		fprintf(f, o->fullname ? "<%s>\r\n" : "%s\r\n", addr);
	}
	localtime_r(&now, &tm);
	if (!sendmail_has_header(msg, hlen, "Date")) {
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
		fprintf(f, "Date: %s\r\n", date);
	}
	if (!sendmail_has_header(msg, hlen, "Message-ID")) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		strftime(date, sizeof(date), "%Y%m%d%H%M%S", &tm);
		fprintf(f,
		        "Message-ID: "
		        "<%s.%02x%02x%02x%02x%02x%02x%02x%02x@%s>\r\n",
		        date, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		        rnd[6], rnd[7], sb->cfg->hostname);
	}
	if (hlen == 0)
		fputs("\r\n", f); /* no header of its own: all body */
}

/* Writes the whole maildrop file; returns 0 or a sysexits code. */
static int
write_file(int dirfd, const char *tmp, const char *name, const char *hdr,
           size_t hlen, const char *pre, size_t plen, const char *msg,
           size_t mlen)
{
	int fd = openat(dirfd, tmp,
	                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	                0600);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	/* Readable by the daemon's user; the directory hides the name. */
	if (fchmod(fd, 0644) < 0 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	ok = fwrite(hdr, 1, hlen, f) == hlen &&
	     fwrite(pre, 1, plen, f) == plen &&
	     fwrite(msg, 1, mlen, f) == mlen && fflush(f) == 0 &&
	     fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

static int
open_maildrop(const struct config *cfg)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cfg->spool_dir, MAILDROP_DIR);
	fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !(st.st_mode & S_ISVTX)) {
		close(fd);
		return errno = EPERM, -1;
	}
	return fd;
}

static int
drop(const struct config *cfg, struct submit *sb, const char *pre, size_t plen,
     const char *msg, size_t mlen)
{
	char name[MAILDROP_NAME_LEN + 1], tmp[MAILDROP_NAME_LEN + 3], *hdr;
	unsigned char rnd[MAILDROP_NAME_LEN / 2];
	size_t hlen, i;
	int dirfd, r, e;

	if ((dirfd = open_maildrop(cfg)) < 0) {
		e = errno;
		fprintf(stderr, "sendmail: cannot use %s/%s: %s%s\n",
		        cfg->spool_dir, MAILDROP_DIR, strerror(e),
		        e == ENOENT ? " (has ferry ever been started with "
		                      "this spool?)"
		                    : "");
		return e == ENOENT ? EX_TEMPFAIL : EX_CANTCREAT;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return close(dirfd), EX_OSERR;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(name + 2 * i, 3, "%02x", rnd[i]);
	snprintf(tmp, sizeof(tmp), ".t%s", name);
	sb->hdr.uid = (long)getuid();
	if ((hdr = maildrop_serialize(&sb->hdr, &hlen)) == NULL)
		return close(dirfd), EX_OSERR;
	r = write_file(dirfd, tmp, name, hdr, hlen, pre, plen, msg, mlen);
	e = errno;
	free(hdr);
	close(dirfd);
	if (r < 0) {
		fprintf(stderr, "sendmail: cannot write to the maildrop: %s\n",
		        strerror(e));
		return EX_CANTCREAT;
	}
	return 0;
}

static int
collect_rcpts(struct submit *sb, const struct sendmail_opts *o, const char *msg,
              size_t hlen)
{
	int i, r = 0;

	for (i = 0; i < o->nrcpts && r == 0; i++)
		r = sendmail_split_addresses(o->rcpts[i], strlen(o->rcpts[i]),
		                             add_rcpt, sb);
	if (r == 0 && o->from_headers)
		r = sendmail_header_rcpts(msg, hlen, add_rcpt, sb);
	if (r != 0) {
		fprintf(stderr, "sendmail: bad recipient address: %s\n",
		        sb->bad ? sb->bad : "(too long)");
		return EX_NOUSER;
	}
	if (sb->hdr.nrcpts == 0) {
		fprintf(stderr, "sendmail: no recipients given%s\n",
		        o->from_headers ? " and none found in the header" : "");
		return EX_USAGE;
	}
	return 0;
}

int
sendmail_submit(const struct config *cfg, const struct sendmail_opts *o,
                char *msg, size_t mlen)
{
	struct submit sb = {.cfg = cfg};
	char *pre = NULL;
	size_t hlen, plen = 0;
	FILE *f;
	int rc;

	if ((rc = set_sender(&sb, o)) != 0)
		return rc;
	hlen = sendmail_header_len(msg, mlen);
	if ((rc = collect_rcpts(&sb, o, msg, hlen)) == 0) {
		if (o->from_headers)
			mlen = sendmail_remove_header(msg, mlen, &hlen, "Bcc");
		if ((f = open_memstream(&pre, &plen)) == NULL)
			rc = EX_OSERR;
		else {
			missing_fields(f, &sb, o, msg, hlen);
			fclose(f);
			rc = drop(cfg, &sb, pre, plen, msg, mlen);
		}
	}
	free(pre);
	maildrop_hdr_free(&sb.hdr);
	return rc;
}

static int
send_message(const struct config *cfg, const struct sendmail_opts *o)
{
	char *msg;
	size_t mlen;
	int rc;

	rc = sendmail_read(stdin, o->ignore_dots, cfg->max_message_size, &msg,
	                   &mlen);
	if (rc) {
		fprintf(stderr, "sendmail: %s\n",
		        rc == EX_DATAERR ? "message too large"
		                         : "cannot read the message");
		return rc;
	}
	rc = sendmail_submit(cfg, o, msg, mlen);
	free(msg);
	return rc;
}

/* -bp and -q: the same as `ferry queue list` / `ferry queue flush`. */
static int
run_queue_verb(const struct sendmail_opts *o, const char *verb)
{
	char *args[5];
	int n = 0;

	args[n++] = "queue";
	if (o->config) {
		args[n++] = "--config";
		args[n++] = (char *)o->config;
	} else if (o->demo) {
		args[n++] = "--demo";
	}
	args[n++] = (char *)verb;
	args[n] = NULL;
	return cli_queue.run(n, args);
}

static int
run_sendmail(int argc, char **argv)
{
	struct sendmail_opts o;
	struct config *cfg;
	char err[128];
	int rc;

	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cli_print_usage(&cli_sendmail, 0);
		return 0;
	}
	if (sendmail_parse_args(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "sendmail: %s\n", err);
		cli_print_usage(&cli_sendmail, 1);
		return EX_USAGE;
	}
	switch (o.mode) {
	case SM_MAILQ:
		return run_queue_verb(&o, "list");
	case SM_FLUSH:
		return run_queue_verb(&o, "flush");
	case SM_NEWALIASES:
		printf("ferry reads its aliases when it starts; restart it "
		       "to apply changes\n");
		return 0;
	case SM_SMTP:
	case SM_SEND:
	case SM_VERIFY:
		break;
	}
	if ((cfg = cli_config_load(o.config, o.demo, "sendmail")) == NULL)
		return EX_CONFIG;
	rc = o.mode == SM_SMTP     ? sendmail_smtp(cfg, &o, stdin, stdout)
	     : o.mode == SM_VERIFY ? sendmail_verify(cfg, &o, stdout)
	                           : send_message(cfg, &o);
	config_free(cfg);
	return rc;
}

const struct cli_command cli_sendmail = {
        .name = "sendmail",
        .run = run_sendmail,
        .summary = "submit a message from standard input (sendmail(8))",
        .usage = "usage: ferry sendmail [-t] [-i] [-f sender] [-F name] "
                 "[-C file] [-oX...]\n"
                 "                      [--] [recipient ...]\n"
                 "       ferry sendmail -bp | -q | -bi\n"
                 "\n"
                 "Read a message from standard input and queue it for "
                 "delivery, the way\n"
                 "programs expect /usr/sbin/sendmail to.  Linked or copied "
                 "as sendmail,\n"
                 "mailq or newaliases, ferry behaves as that command.\n"
                 "\n"
                 "The message gets a From: (the sender, with the -F name), "
                 "Date: and\n"
                 "Message-ID: when it has none, and CRLF line endings.  It "
                 "is written\n"
                 "to SPOOL/maildrop/, which any user may write to; the "
                 "daemon queues it\n"
                 "from there, now or at its next start.\n"
                 "\n"
                 "Recipients are addresses or address lists; one without a "
                 "domain gets\n"
                 "origin_domain (by default the first [domain]); mail to "
                 "the host's own\nnames (root@HOSTNAME) is local too.\n"
                 "\n"
                 "Options:\n"
                 "  -t          also send to the To, Cc and Bcc addresses of "
                 "the header;\n"
                 "              the Bcc field is removed\n"
                 "  -i, -oi     a line holding only \".\" does not end the "
                 "message\n"
                 "  -f ADDR     envelope sender (also -r); default "
                 "LOGIN@HOSTNAME,\n"
                 "              \"<>\" for none\n"
                 "  -F NAME     full name for the From: field ferry adds\n"
                 "  -C FILE     ferry's configuration (also --config; "
                 "default\n"
                 "              $FERRY_CONFIG, else " FERRY_CONFIG_FILE ")\n"
                 "  --demo      the setup of 'ferry serve --demo'\n"
                 "  -bm         send (the default)\n"
                 "  -bp         list the queue, as mailq or ferry queue "
                 "list\n"
                 "  -q          retry the queue now, as ferry queue flush\n"
                 "  -bi         newaliases: nothing to do\n"
                 "  -bs         speak SMTP on standard input and output\n"
                 "  -bv         say what would happen to each recipient: "
                 "local Maildir,\n"
                 "              aliases, or the route out; sends nothing "
                 "(exit 67 when\n"
                 "              one would be refused)\n"
                 "  -oX, -v, -U, -B T, -N N, -R R, -V V  accepted and "
                 "ignored\n"
                 "\n"
                 "Exit status (sysexits.h): 0 queued; 64 (EX_USAGE) bad "
                 "options or no\nrecipients; 65 (EX_DATAERR) message too "
                 "large; 67 (EX_NOUSER) bad\nrecipient address; 73 "
                 "(EX_CANTCREAT) the maildrop is not writable; 75\n"
                 "(EX_TEMPFAIL) ferry has never run with this spool; 78 "
                 "(EX_CONFIG) bad\nor missing configuration.\n",
};
