/*
 * http.c — the /metrics endpoint: evhttp on the event loop, the text
 * exposition format (version 0.0.4) built from the counters on each
 * scrape.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "base/log.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "metrics/metrics_int.h"
#include "queue/spool.h"

struct metrics_http {
	struct evhttp *http;
	struct spool *sp;
	metrics_local_fn local;
	void *local_arg;
};

static unsigned long
get(const unsigned long *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void
counter(struct evbuffer *b, const char *name, const char *help, unsigned long v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n",
	                    name, help, name, name, v);
}

static void
write_sessions(struct evbuffer *b)
{
	static const char *const roles[METRICS_NROLES] = {"smtp", "submission",
	                                                  "submissions"};
	const char *n = "ferry_sessions_total";

	evbuffer_add_printf(b,
	                    "# HELP %s SMTP sessions by kind of port.\n"
	                    "# TYPE %s counter\n",
	                    n, n);
	for (int i = 0; i < METRICS_NROLES; i++)
		evbuffer_add_printf(b, "%s{port=\"%s\"} %lu\n", n, roles[i],
		                    get(&metrics_state.sessions[i]));
}

static void
write_replies(struct evbuffer *b)
{
	const char *n = "ferry_messages_total";

	evbuffer_add_printf(b,
	                    "# HELP %s Messages by the reply to their final "
	                    "dot (2xx accepted, 4xx/5xx refused).\n"
	                    "# TYPE %s counter\n",
	                    n, n);
	for (int i = 0; i < 400; i++) {
		unsigned long v = get(&metrics_state.replies[i]);

		if (v > 0 || i == 50) /* 250 always, so the family exists */
			evbuffer_add_printf(
			        b, "%s{result=\"%s\",code=\"%d\"} %lu\n", n,
			        i < 100 ? "accepted" : "refused", i + 200, v);
	}
}

static void
write_deliveries(struct evbuffer *b, unsigned long local)
{
	static const char *const results[MD_NRESULTS] = {"delivered",
	                                                 "deferred", "bounced"};
	static const char *const transports[MT_NTRANSPORTS] = {"relay", "lmtp"};
	const char *n = "ferry_deliveries_total";

	evbuffer_add_printf(b,
	                    "# HELP %s Deliveries by transport and result.\n"
	                    "# TYPE %s counter\n",
	                    n, n);
	evbuffer_add_printf(
	        b, "%s{transport=\"local\",result=\"delivered\"} %lu\n", n,
	        local);
	for (int t = 0; t < MT_NTRANSPORTS; t++)
		for (int r = 0; r < MD_NRESULTS; r++)
			evbuffer_add_printf(
			        b, "%s{transport=\"%s\",result=\"%s\"} %lu\n",
			        n, transports[t], results[r],
			        get(&metrics_state.deliveries[t][r]));
}

static void
write_commit(struct evbuffer *b)
{
	const double *le = metrics_buckets();
	const char *n = "ferry_commit_seconds";
	unsigned long cum = 0;

	evbuffer_add_printf(b,
	                    "# HELP %s Time from a complete message to its "
	                    "durable commit.\n# TYPE %s histogram\n",
	                    n, n);
	for (int i = 0; i < METRICS_NBUCKETS; i++) {
		cum += get(&metrics_state.commit_buckets[i]);
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %lu\n", n, le[i],
		                    cum);
	}
	cum += get(&metrics_state.commit_buckets[METRICS_NBUCKETS]);
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %lu\n", n, cum);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %lu\n", n,
	                    (double)get(&metrics_state.commit_sum_us) / 1e6, n,
	                    get(&metrics_state.commit_count));
}

/* Queued messages (envelope files) and the age of the oldest.  A
 * directory read per scrape: scrapes come seconds apart. */
static void
write_queue(struct evbuffer *b, struct spool *sp)
{
	unsigned long n = 0;
	time_t oldest = 0, now = time(NULL);
	struct dirent *e;
	struct stat st;
	DIR *dir;
	int fd;

	if (sp != NULL && (fd = dup(spool_queue_dirfd(sp))) >= 0 &&
	    (dir = fdopendir(fd)) != NULL) {
		rewinddir(dir);
		while ((e = readdir(dir)) != NULL) {
			size_t len = strlen(e->d_name);

			if (len < 5 || strcmp(e->d_name + len - 4, ".env") != 0)
				continue;
			n++;
			if (fstatat(dirfd(dir), e->d_name, &st, 0) == 0 &&
			    (oldest == 0 || st.st_mtime < oldest))
				oldest = st.st_mtime;
		}
		closedir(dir);
	}
	evbuffer_add_printf(b,
	                    "# HELP ferry_queue_messages Messages in the "
	                    "queue.\n# TYPE ferry_queue_messages gauge\n"
	                    "ferry_queue_messages %lu\n"
	                    "# HELP ferry_queue_oldest_seconds Age of the "
	                    "oldest queued message.\n"
	                    "# TYPE ferry_queue_oldest_seconds gauge\n"
	                    "ferry_queue_oldest_seconds %ld\n",
	                    n, oldest ? (long)(now - oldest) : 0L);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	unsigned long *c = metrics_state.counters;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	counter(b, "ferry_connections_total", "SMTP connections accepted.",
	        get(&c[M_CONNECTIONS]));
	write_sessions(b);
	write_replies(b);
	write_queue(b, m->sp);
	write_deliveries(b, m->local ? m->local(m->local_arg) : 0);
	counter(b, "ferry_relay_connections_total",
	        "Outbound SMTP and LMTP connections opened.",
	        get(&c[M_RELAY_CONNECTIONS]));
	write_commit(b);
	evbuffer_add_printf(
	        b,
	        "# HELP ferry_relay_dnssec_available DNSSEC validation through "
	        "the relay's resolver: 1 available, 0 unavailable (tls = dane "
	        "acts as may), -1 not known yet or DANE not in use.\n"
	        "# TYPE ferry_relay_dnssec_available gauge\n"
	        "ferry_relay_dnssec_available %d\n",
	        __atomic_load_n(&metrics_state.dnssec, __ATOMIC_RELAXED));
	counter(b, "ferry_tls_handshakes_total",
	        "Server TLS handshakes completed.", get(&c[M_TLS_HANDSHAKES]));
	counter(b, "ferry_tls_handshake_failures_total",
	        "Server TLS handshakes that failed.", get(&c[M_TLS_FAILURES]));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", NULL);
}

struct metrics_http *
metrics_http_start(struct event_base *base, const struct config *cfg,
                   struct spool *sp)
{
	struct metrics_http *m;
	char port[16];

	if (cfg->metrics_listen.address == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->http = evhttp_new(base)) == NULL)
		abort();
	m->sp = sp;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(m->http, "/metrics", handle, m);
	if (evhttp_bind_socket(m->http, cfg->metrics_listen.address,
	                       (ev_uint16_t)cfg->metrics_listen.port) < 0) {
		snprintf(port, sizeof(port), "%d", cfg->metrics_listen.port);
		log_event(LOG_LVL_ERROR, "metrics", "address",
		          cfg->metrics_listen.address, "port", port, "error",
		          strerror(errno), NULL);
		evhttp_free(m->http);
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_http_set_local(struct metrics_http *m, metrics_local_fn fn, void *arg)
{
	if (m == NULL)
		return;
	m->local = fn;
	m->local_arg = arg;
}

void
metrics_http_stop(struct metrics_http *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
