/*
 * control_pickup.c — turning maildrop files into queued messages.
 *
 * The maildrop (mode 1733) is scanned at start, then once a second when
 * its modification time changed or an earlier pass left work behind, and
 * on FLUSH.  Each file comes from an arbitrary local user, so it is opened
 * without following links, must be a regular file with one link, is read
 * with a size bound, and its header is parsed strictly (maildrop.h).  A
 * file that fails is removed and logged (maildrop-rejected); a failure of
 * ours (disk full, commit error) leaves it for the next pass.  A file is
 * removed only after the done callback reported its message committed.
 */
#include "base/str.h"
#include "control/control_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "config/config.h"
#include "control/maildrop.h"
#include "policy/recipient.h"
#include "queue/spool.h"

#define PICKUP_INTERVAL 1      /* seconds between looks at the directory */
#define PICKUP_INFLIGHT_MAX 64 /* commits outstanding at once */
#define PICKUP_TMP_MAX_AGE ((time_t)24 * 3600) /* unfinished ".t" files */
#define PICKUP_CHUNK 65536

struct pickup_job {
	struct pickup *p;
	char name[MAILDROP_NAME_LEN + 1];
	char id[QUEUE_ID_LEN + 1];
	char uid[24];
	TAILQ_ENTRY(pickup_job) link;
};

struct pickup {
	struct control *ctl;
	int dirfd;
	struct event *timer;
	struct timespec seen_mtime;
	bool again;   /* something was left for the next pass */
	bool stopped; /* control_stop() ran; freed after the last commit */
	int inflight;
	TAILQ_HEAD(, pickup_job) jobs;
};

/* The file being picked up, read whole. */
struct dropped {
	const char *name;
	char *data;
	size_t len;
	struct stat st;
	struct maildrop_hdr hdr;
	size_t body;
};

static void
reject(struct pickup *p, const char *name, long uid, const char *why)
{
	char ubuf[24];

	snprintf(ubuf, sizeof(ubuf), "%ld", uid);
	log_event(LOG_LVL_WARN, "maildrop-rejected", "file", name, "uid",
	          uid >= 0 ? ubuf : NULL, "reason", why, NULL);
	unlinkat(p->dirfd, name, 0);
}

static bool
in_flight(struct pickup *p, const char *name)
{
	struct pickup_job *j;

	TAILQ_FOREACH(j, &p->jobs, link)
		if (strcmp(j->name, name) == 0)
			return true;
	return false;
}

/* Reads the file; a static reason when it must be rejected, NULL when
 * read (or on our own failure, with d->data NULL). */
static const char *
read_dropped(struct pickup *p, struct dropped *d)
{
	size_t max = p->ctl->cfg->max_message_size + MAILDROP_HEADER_MAX;
	ssize_t n;
	int fd;

	fd = openat(p->dirfd, d->name,
	            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return "symbolic link";
	if (fd < 0)
		return errno == EACCES ? "unreadable" : NULL;
	if (fstat(fd, &d->st) < 0 || !S_ISREG(d->st.st_mode) ||
	    d->st.st_nlink != 1 || (size_t)d->st.st_size > max) {
		close(fd);
		return (size_t)d->st.st_size > max ? "message too large"
		                                   : "not a plain file";
	}
	if ((d->data = malloc((size_t)d->st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	/* Read one octet more than fstat said: a file still growing is
	 * rejected rather than cut. */
	while (d->len <= (size_t)d->st.st_size &&
	       (n = read(fd, d->data + d->len,
	                 (size_t)d->st.st_size + 1 - d->len)) > 0)
		d->len += (size_t)n;
	close(fd);
	if (d->len != (size_t)d->st.st_size)
		return "file changed while read";
	return NULL;
}

/* The submitting uid: the header's, which the file's owner must match
 * unless the file is ours (created by root, or given to the daemon's user
 * by the spool ownership fix-up at startup). */
static const char *
check_owner(const struct dropped *d)
{
	if (d->st.st_uid == 0 || d->st.st_uid == geteuid())
		return NULL;
	if ((long)d->st.st_uid != d->hdr.uid)
		return "uid does not match the file owner";
	return NULL;
}

static void
add_rcpt(struct envelope *env, const char *addr)
{
	size_t j;

	for (j = 0; j < env->nrcpts; j++)
		if (strcmp(env->rcpts[j].address, addr) == 0)
			return;
	envelope_add_rcpt(env, addr, addr, NULL, 0);
}

/* Recipients through the same verdicts as RCPT TO, except that a local
 * user may send anywhere. */
static void
resolve_rcpts(struct pickup *p, const struct dropped *d, struct envelope *env)
{
	char addr[ADDR_PATH_MAX + 3];
	struct recipient_result res;
	size_t i, t;

	for (i = 0; i < d->hdr.nrcpts; i++) {
		const struct mailaddr *a = &d->hdr.rcpts[i];

		memset(&res, 0, sizeof(res));
		addr_format(a, addr, sizeof(addr));
		recipient_resolve(p->ctl->cfg, a->local,
		                  a->is_literal ? "[literal]" : a->domain,
		                  &res);
		if (res.verdict == RCPT_LOCAL)
			for (t = 0; t < res.ntargets; t++)
				add_rcpt(env, res.targets[t]);
		else if (res.verdict == RCPT_FOREIGN ||
		         res.verdict == RCPT_RELAY)
			add_rcpt(env, addr);
		else
			log_event(LOG_LVL_WARN, "maildrop-rcpt-rejected",
			          "file", d->name, "to", addr, "reason",
			          res.verdict == RCPT_DISABLED ? "disabled"
			                                       : "unknown",
			          NULL);
		recipient_result_free(&res);
		env->smtputf8 |= a->is_utf8;
	}
}

static int
write_received(struct spool_msg *msg, const struct config *cfg, long uid)
{
	char date[64], buf[512];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	n = snprintf(buf, sizeof(buf),
	             "Received: by %s (ferry, from userid %ld)\r\n"
	             "\twith local id %s;\r\n\t%s\r\n",
	             cfg->hostname, uid, spool_msg_id(msg), date);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	return spool_msg_write(msg, buf, (size_t)n);
}

/* The body with every bare LF turned into CRLF (the writer already did;
 * this keeps the queue consistent whatever a user put in the file).
 * Returns the octets written, or -1. */
static long long
write_body(struct spool_msg *msg, const char *s, size_t len, bool *eight)
{
	char out[2 * PICKUP_CHUNK];
	size_t i, o = 0;
	long long total = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = s[i];
		*eight |= (unsigned char)s[i] >= 0x80;
		if (o >= PICKUP_CHUNK || i + 1 == len) {
			if (spool_msg_write(msg, out, o) < 0)
				return -1;
			total += (long long)o;
			o = 0;
		}
	}
	return total;
}

static void
committed(void *arg, int error)
{
	struct pickup_job *j = arg;
	struct pickup *p = j->p;

	if (error == 0) {
		unlinkat(p->dirfd, j->name, 0);
		log_event(LOG_LVL_INFO, "maildrop-queued", "id", j->id, "file",
		          j->name, "uid", j->uid, NULL);
	} else {
		log_event(LOG_LVL_WARN, "maildrop-deferred", "file", j->name,
		          "error", strerror(error), NULL);
		p->again = true;
	}
	TAILQ_REMOVE(&p->jobs, j, link);
	p->inflight--;
	free(j);
	if (p->stopped && TAILQ_EMPTY(&p->jobs)) {
		close(p->dirfd);
		free(p);
	}
}

static void
fill_envelope(struct pickup *p, const struct dropped *d, struct envelope *env)
{
	char sender[ADDR_PATH_MAX + 3];
	const struct config *cfg = p->ctl->cfg;

	addr_format(&d->hdr.sender, sender, sizeof(sender));
	env->arrival = time(NULL);
	env->sender = str_dup(sender);
	env->helo = str_dup(cfg->hostname);
	env->client_addr = str_dup("127.0.0.1");
	env->protocol = str_dup("local");
	env->smtputf8 = d->hdr.sender.is_utf8;
	resolve_rcpts(p, d, env);
}

/* Queues a parsed file; false when it must wait for another pass. */
static const char *
queue_dropped(struct pickup *p, struct dropped *d, bool *retry)
{
	struct envelope env = {0};
	struct pickup_job *j;
	struct spool_msg *msg;
	bool eight = false;
	long long size;

	fill_envelope(p, d, &env);
	if (env.nrcpts == 0) {
		envelope_free(&env);
		return "no deliverable recipients";
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (msg = spool_msg_new(p->ctl->sp)) == NULL) {
		free(j);
		envelope_free(&env);
		*retry = true;
		return NULL;
	}
	if (write_received(msg, p->ctl->cfg, d->hdr.uid) < 0 ||
	    (size = write_body(msg, d->data + d->body, d->len - d->body,
	                       &eight)) < 0) {
		spool_msg_abort(msg);
		free(j);
		envelope_free(&env);
		*retry = true;
		return NULL;
	}
	if ((size_t)size > p->ctl->cfg->max_message_size) {
		spool_msg_abort(msg);
		free(j);
		envelope_free(&env);
		return "message too large";
	}
	env.body = eight ? BODY_8BITMIME : BODY_7BIT;
	j->p = p;
	snprintf(j->name, sizeof(j->name), "%s", d->name);
	snprintf(j->id, sizeof(j->id), "%s", spool_msg_id(msg));
	snprintf(j->uid, sizeof(j->uid), "%ld", d->hdr.uid);
	TAILQ_INSERT_TAIL(&p->jobs, j, link);
	p->inflight++;
	spool_msg_commit(msg, &env, committed, j);
	envelope_free(&env);
	return NULL;
}

static void
pickup_file(struct pickup *p, const char *name)
{
	struct dropped d = {.name = name};
	const char *why, *perr = NULL;
	bool retry = false;

	why = read_dropped(p, &d);
	if (why == NULL && d.data == NULL) {
		if (errno != ENOENT) /* ENOENT: its owner took it back */
			p->again = true;
		return;
	}
	if (why == NULL &&
	    maildrop_parse(d.data, d.len, &d.hdr, &d.body, &perr) < 0)
		why = perr;
	if (why == NULL)
		why = check_owner(&d);
	if (why == NULL)
		why = queue_dropped(p, &d, &retry);
	if (why)
		reject(p, name, d.hdr.uid ? d.hdr.uid : (long)d.st.st_uid, why);
	if (retry) {
		log_event(LOG_LVL_WARN, "maildrop-deferred", "file", name,
		          "error", strerror(errno), NULL);
		p->again = true;
	}
	maildrop_hdr_free(&d.hdr);
	free(d.data);
}

/* ".tNAME": a file being written; removed when abandoned long ago.
 * Anything else that is not a maildrop name does not belong here. */
static void
other_file(struct pickup *p, const char *name)
{
	struct stat st;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return;
	if (name[0] == '.' && name[1] == 't' && maildrop_name_valid(name + 2)) {
		if (fstatat(p->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime + PICKUP_TMP_MAX_AGE < time(NULL))
			reject(p, name, (long)st.st_uid, "abandoned");
		return;
	}
	reject(p, name, -1, "bad file name");
}

static void
scan(struct pickup *p)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	p->again = false;
	if ((fd = openat(p->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	            0 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		p->again = true;
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!maildrop_name_valid(de->d_name)) {
			other_file(p, de->d_name);
			continue;
		}
		if (in_flight(p, de->d_name))
			continue;
		if (p->inflight >= PICKUP_INFLIGHT_MAX ||
		    !spool_has_space(p->ctl->sp)) {
			p->again = true;
			break;
		}
		pickup_file(p, de->d_name);
	}
	closedir(dir);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pickup *p = arg;
	struct stat st;

	if (fstat(p->dirfd, &st) < 0)
		return;
	if (!p->again && st.st_mtim.tv_sec == p->seen_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->seen_mtime.tv_nsec)
		return;
	p->seen_mtime = st.st_mtim;
	scan(p);
}

void
pickup_kick(struct pickup *p)
{
	if (p)
		scan(p);
}

/* The maildrop: created by the daemon's user, world-writable with the
 * sticky bit and not listable by others.  An existing one must be a real
 * directory of ours; its mode is put right. */
static int
open_maildrop(const struct config *cfg)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cfg->spool_dir, MAILDROP_DIR);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    fchmod(fd, S_ISVTX | 0733) < 0) {
		if (errno == 0 || st.st_uid != geteuid())
			errno = EPERM;
		close(fd);
		return -1;
	}
	return fd;
}

struct pickup *
pickup_start(struct control *ctl)
{
	struct timeval tv = {PICKUP_INTERVAL, 0};
	struct pickup *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->ctl = ctl;
	TAILQ_INIT(&p->jobs);
	if ((p->dirfd = open_maildrop(ctl->cfg)) < 0) {
		log_event(LOG_LVL_ERROR, "maildrop", "dir", ctl->cfg->spool_dir,
		          "error", strerror(errno), NULL);
		free(p);
		return NULL;
	}
	p->timer = event_new(ctl->base, -1, EV_PERSIST, timer_cb, p);
	if (p->timer == NULL || event_add(p->timer, &tv) < 0) {
		if (p->timer)
			event_free(p->timer);
		close(p->dirfd);
		free(p);
		return NULL;
	}
	p->again = true; /* first pass at the first tick */
	timer_cb(-1, 0, p);
	return p;
}

void
pickup_stop(struct pickup *p)
{
	if (p == NULL)
		return;
	/* Commits in flight finish in spool_close(), which may run after
	 * this: their callbacks still need the directory to remove the
	 * picked-up files, and the last one frees p (committed()). */
	if (p->timer)
		event_free(p->timer);
	p->timer = NULL;
	p->stopped = true;
	if (TAILQ_EMPTY(&p->jobs)) {
		close(p->dirfd);
		free(p);
	}
}
