/*
 * dovecot.c — the Dovecot backend: ferry is a client of Dovecot's
 * auth-client protocol (version 1) on a UNIX socket and relays the SASL
 * exchange as is, the way Postfix's "smtpd_sasl_type = dovecot" does.
 *
 *   C: VERSION 1 2 / CPID pid       S: VERSION 1 x / MECH ... / DONE
 *   C: AUTH id mech service=smtp rip=IP [secured] [resp=b64]
 *   S: CONT id b64   C: CONT id b64   ...   S: OK id user=U | FAIL id ...
 *   C: CANCEL id     (the session gave up)
 *
 * Fields are tab-separated.  One connection carries every request,
 * multiplexed by id.  When it breaks, the requests on it get
 * AUTH_TEMPFAIL and the next request connects again.
 *
 * Mechanisms: those Dovecot announces that ferry also implements itself
 * (PLAIN, LOGIN, SCRAM-SHA-256), minus any flagged "private".  The others
 * need data ferry does not pass (EXTERNAL: the client certificate,
 * *-PLUS: channel binding, GSSAPI: a service principal) or add nothing
 * over these.  Until a first handshake succeeds the list is "PLAIN", the
 * mechanism every Dovecot has, so AUTH is still advertised (and tempfails)
 * while Dovecot is down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/str.h"
#include "auth/auth_int.h"
#include "base/log.h"
#include "config/config.h"

#define DC_LINE_MAX 16384 /* Dovecot's AUTH_CLIENT_MAX_LINE_LENGTH */
#define DC_HANDSHAKE_SECS 5
#define DC_FALLBACK_MECHS "PLAIN"

static const char *const dc_known[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256"};
#define DC_NKNOWN (sizeof(dc_known) / sizeof(dc_known[0]))

enum dc_state { DC_DOWN, DC_HANDSHAKE, DC_READY };

TAILQ_HEAD(dc_list, auth_request);

struct dovecot {
	struct auth_service *svc;
	char *path;
	struct bufferevent *bev;
	enum dc_state state;
	struct dc_list reqs; /* queued or sent, by age */
	unsigned next_id;
	bool seen[DC_NKNOWN]; /* MECH lines of the handshake under way */
	unsigned allowed;     /* [auth] mechanisms, bits as dc_known */
	char mechs[64];       /* what EHLO offers */
};

/* --- the mechanism list ------------------------------------------------ */

/* A MECH line's fields after "MECH": name, then flags. */
static void
dc_mech_line(bool seen[DC_NKNOWN], char *args)
{
	char *name = strsep(&args, "\t"), *flag;
	size_t i;

	while (args != NULL && (flag = strsep(&args, "\t")) != NULL)
		if (strcmp(flag, "private") == 0)
			return;
	for (i = 0; i < DC_NKNOWN; i++)
		if (strcasecmp(name, dc_known[i]) == 0)
			seen[i] = true;
}

static void
dc_publish_mechs(struct dovecot *d)
{
	size_t i, pos = 0;

	d->mechs[0] = '\0';
	for (i = 0; i < DC_NKNOWN && pos < sizeof(d->mechs); i++) {
		if (!d->seen[i] || !(d->allowed & 1u << i))
			continue;
		pos += (size_t)snprintf(d->mechs + pos, sizeof(d->mechs) - pos,
		                        "%s%s", pos > 0 ? " " : "",
		                        dc_known[i]);
	}
}

/* --- connection -------------------------------------------------------- */

static int
dc_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

static void dc_send_auth(struct dovecot *d, struct auth_request *req);

/* The connection is gone: every request on it tempfails. */
static void
dc_down(struct dovecot *d, const char *why)
{
	struct auth_request *req;

	if (d->bev != NULL) {
		bufferevent_free(d->bev);
		d->bev = NULL;
	}
	if (d->state != DC_DOWN || !TAILQ_EMPTY(&d->reqs))
		log_event(LOG_LVL_WARN, "auth-dovecot", "socket", d->path,
		          "error", why, NULL);
	d->state = DC_DOWN;
	while ((req = TAILQ_FIRST(&d->reqs)) != NULL) {
		TAILQ_REMOVE(&d->reqs, req, dc_entry);
		req->dc_queued = false;
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
	}
}

static struct auth_request *
dc_find(struct dovecot *d, const char *id_str)
{
	struct auth_request *req;
	unsigned long id;
	char *end;

	errno = 0;
	id = strtoul(id_str, &end, 10);
	if (errno != 0 || *end != '\0' || end == id_str)
		return NULL;
	TAILQ_FOREACH(req, &d->reqs, dc_entry) {
		if (req->dc_sent && req->id == id)
			return req;
	}
	return NULL;
}

static void
dc_forget(struct dovecot *d, struct auth_request *req)
{
	TAILQ_REMOVE(&d->reqs, req, dc_entry);
	req->dc_queued = false;
}

/* Undo Dovecot's tab-escaping (\001 + 0 1 t r n) in place. */
static void
dc_unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s != '\001') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case '\0':
			*w = '\0';
			return;
		case '0':
			*w++ = '\0';
			break;
		case '1':
			*w++ = '\001';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'n':
			*w++ = '\n';
			break;
		default:
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* OK / FAIL / CONT for one request.  args: the fields after the id. */
static void
dc_reply(struct dovecot *d, const char *cmd, struct auth_request *req,
         char *args)
{
	bool temp = false;
	char *user = NULL, *f;
	unsigned char *raw;
	size_t n;

	if (strcmp(cmd, "CONT") == 0) {
		f = args != NULL ? strsep(&args, "\t") : (char *)"";
		if (auth_b64_decode(f, strlen(f), &raw, &n) < 0) {
			dc_forget(d, req);
			auth_request_post(req, AUTH_TEMPFAIL, NULL);
			return;
		}
		free(raw);
		auth_request_post(req, AUTH_CONTINUE, f);
		return;
	}
	while (args != NULL && (f = strsep(&args, "\t")) != NULL) {
		if (strncmp(f, "user=", 5) == 0) {
			user = f + 5;
			dc_unescape(user);
		} else if (strcmp(f, "temp") == 0 ||
		           strcmp(f, "code=temp_fail") == 0) {
			temp = true;
		}
	}
	dc_forget(d, req);
	if (user != NULL && user[0] != '\0')
		auth_request_set_user(req, user);
	if (strcmp(cmd, "OK") == 0)
		auth_request_post(req, AUTH_OK,
		                  user != NULL && user[0] != '\0' ? user
		                                                  : req->user);
	else
		auth_request_post(req, temp ? AUTH_TEMPFAIL : AUTH_FAIL, NULL);
}

/* One line from Dovecot.  -1: protocol error, drop the connection. */
static int
dc_line(struct dovecot *d, char *line)
{
	char *cmd = strsep(&line, "\t"), *id;
	struct auth_request *req;

	if (d->state == DC_HANDSHAKE) {
		if (strcmp(cmd, "VERSION") == 0)
			return line != NULL && strncmp(line, "1\t", 2) == 0
			               ? 0
			               : -1;
		if (strcmp(cmd, "MECH") == 0 && line != NULL)
			dc_mech_line(d->seen, line);
		if (strcmp(cmd, "DONE") == 0) {
			d->state = DC_READY;
			bufferevent_set_timeouts(d->bev, NULL, NULL);
			dc_publish_mechs(d);
			TAILQ_FOREACH(req, &d->reqs, dc_entry)
				dc_send_auth(d, req);
		}
		return 0;
	}
	if (strcmp(cmd, "OK") != 0 && strcmp(cmd, "FAIL") != 0 &&
	    strcmp(cmd, "CONT") != 0)
		return 0; /* unknown replies are to be ignored */
	id = line != NULL ? strsep(&line, "\t") : NULL;
	if (id == NULL)
		return -1;
	req = dc_find(d, id);
	if (req != NULL) /* else: cancelled meanwhile */
		dc_reply(d, cmd, req, line);
	return 0;
}

static void
dc_read_cb(struct bufferevent *bev, void *arg)
{
	struct dovecot *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		int rc = len > DC_LINE_MAX ? -1 : dc_line(d, line);

		free(line);
		if (rc < 0) {
			dc_down(d, "protocol error");
			return;
		}
	}
	if (evbuffer_get_length(in) > DC_LINE_MAX)
		dc_down(d, "line too long");
}

static void
dc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dovecot *d = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		dc_down(d, "handshake timed out");
	else if (what & BEV_EVENT_EOF)
		dc_down(d, "connection closed");
	else
		dc_down(d, strerror(EVUTIL_SOCKET_ERROR()));
}

static void
dc_connect(struct dovecot *d)
{
	struct timeval tv = {DC_HANDSHAKE_SECS, 0};
	struct sockaddr_un sun;

	if (dc_sockaddr(d->path, &sun) < 0) {
		dc_down(d, strerror(errno));
		return;
	}
	d->bev =
	        bufferevent_socket_new(d->svc->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (d->bev == NULL) {
		dc_down(d, "out of memory");
		return;
	}
	bufferevent_setcb(d->bev, dc_read_cb, NULL, dc_event_cb, d);
	bufferevent_set_timeouts(d->bev, &tv, NULL);
	bufferevent_enable(d->bev, EV_READ | EV_WRITE);
	memset(d->seen, 0, sizeof(d->seen));
	d->state = DC_HANDSHAKE;
	if (bufferevent_socket_connect(d->bev, (struct sockaddr *)&sun,
	                               sizeof(sun)) < 0) {
		dc_down(d, strerror(errno ? errno : ECONNREFUSED));
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(d->bev),
	                    "VERSION\t1\t2\nCPID\t%ld\n", (long)getpid());
}

/* --- requests ---------------------------------------------------------- */

static void
dc_send_auth(struct dovecot *d, struct auth_request *req)
{
	struct evbuffer *out = bufferevent_get_output(d->bev);
	unsigned char addr[sizeof(struct in6_addr)];
	const char *ip = req->client_ip;
	bool ip_ok;

	if (req->dc_sent)
		return;
	ip_ok = inet_pton(AF_INET, ip, addr) == 1 ||
	        inet_pton(AF_INET6, ip, addr) == 1;
	evbuffer_add_printf(out, "AUTH\t%u\t%s\tservice=smtp%s%s%s", req->id,
	                    req->mech, ip_ok ? "\trip=" : "", ip_ok ? ip : "",
	                    req->secured ? "\tsecured" : "");
	if (req->dc_initial != NULL)
		evbuffer_add_printf(out, "\tresp=%s", req->dc_initial);
	evbuffer_add(out, "\n", 1);
	req->dc_sent = true;
	free(req->dc_initial);
	req->dc_initial = NULL;
}

static void
dc_start(struct auth_request *req, const char *initial)
{
	struct dovecot *d = req->svc->be_data;

	if (initial != NULL && (req->dc_initial = str_dup(initial)) == NULL) {
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
		return;
	}
	if (++d->next_id == 0)
		d->next_id = 1;
	req->id = d->next_id;
	TAILQ_INSERT_TAIL(&d->reqs, req, dc_entry);
	req->dc_queued = true;
	if (d->state == DC_READY)
		dc_send_auth(d, req);
	else if (d->state == DC_DOWN)
		dc_connect(d);
}

static void
dc_cont(struct auth_request *req, const char *line)
{
	struct dovecot *d = req->svc->be_data;

	if (!req->dc_queued || !req->dc_sent || d->state != DC_READY) {
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(d->bev), "CONT\t%u\t%s\n",
	                    req->id, line);
}

static void
dc_abort(struct auth_request *req)
{
	struct dovecot *d = req->svc->be_data;

	if (!req->dc_queued)
		return;
	dc_forget(d, req);
	if (req->dc_sent && d->state == DC_READY)
		evbuffer_add_printf(bufferevent_get_output(d->bev),
		                    "CANCEL\t%u\n", req->id);
}

static const char *
dc_mechanisms(struct auth_service *svc)
{
	struct dovecot *d = svc->be_data;

	return d->mechs;
}

static bool
dc_has_mech(struct auth_service *svc, const char *mech)
{
	struct dovecot *d = svc->be_data;
	const char *p = d->mechs;
	size_t n = strlen(mech);

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (w == n && strncasecmp(p, mech, n) == 0)
			return true;
		p += w + (p[w] == ' ');
	}
	return false;
}

static void
dc_free(struct auth_service *svc)
{
	struct dovecot *d = svc->be_data;
	struct auth_request *req;

	if (d == NULL)
		return;
	while ((req = TAILQ_FIRST(&d->reqs)) != NULL)
		dc_forget(d, req);
	if (d->bev != NULL)
		bufferevent_free(d->bev);
	free(d->path);
	free(d);
	svc->be_data = NULL;
}

static const struct auth_backend dovecot_backend = {
        .mechanisms = dc_mechanisms,
        .has_mech = dc_has_mech,
        .start = dc_start,
        .cont = dc_cont,
        .abort = dc_abort,
        .free = dc_free,
};

/* --- the first handshake, blocking, at startup ------------------------- */

/* Read lines until DONE with a deadline; fills seen.  -1 on failure. */
static int
dc_probe_read(int fd, bool seen[DC_NKNOWN])
{
	char buf[DC_LINE_MAX + 1] = "", *nl, *line;
	size_t have = 0;
	time_t deadline = time(NULL) + DC_HANDSHAKE_SECS;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	for (;;) {
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			*nl = '\0';
			line = buf;
			if (strcmp(line, "DONE") == 0)
				return 0;
			if (strncmp(line, "VERSION\t", 8) == 0 &&
			    strncmp(line + 8, "1\t", 2) != 0)
				return -1;
			if (strncmp(line, "MECH\t", 5) == 0)
				dc_mech_line(seen, line + 5);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == DC_LINE_MAX || time(NULL) >= deadline ||
		    poll(&p, 1, 1000) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fd, buf + have, DC_LINE_MAX - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
}

static void
dc_probe(struct dovecot *d)
{
	struct sockaddr_un sun;
	char hello[64];
	int fd, rc = -1, len;

	if (dc_sockaddr(d->path, &sun) < 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	len = snprintf(hello, sizeof(hello), "VERSION\t1\t2\nCPID\t%ld\n",
	               (long)getpid());
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, hello, (size_t)len) == len)
		rc = dc_probe_read(fd, d->seen);
	close(fd);
out:
	if (rc == 0) {
		dc_publish_mechs(d);
		return;
	}
	log_event(LOG_LVL_WARN, "auth-dovecot", "socket", d->path, "error",
	          "no handshake at startup; offering PLAIN until it answers",
	          NULL);
	/* dc_known[0] is PLAIN: the fallback too obeys [auth] mechanisms. */
	snprintf(d->mechs, sizeof(d->mechs), "%s",
	         (d->allowed & 1u) ? DC_FALLBACK_MECHS : "");
}

int
auth_dovecot_init(struct auth_service *svc, const struct config *cfg)
{
	struct dovecot *d;

	if (cfg->auth_dovecot_socket == NULL ||
	    cfg->auth_dovecot_socket[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -1;
	d->svc = svc;
	d->allowed = cfg->auth_mechanisms != 0 ? cfg->auth_mechanisms : ~0u;
	d->path = str_dup(cfg->auth_dovecot_socket);
	if (d->path == NULL) {
		free(d);
		errno = ENOMEM;
		return -1;
	}
	TAILQ_INIT(&d->reqs);
	svc->be = &dovecot_backend;
	svc->be_data = d;
	dc_probe(d);
	return 0;
}
