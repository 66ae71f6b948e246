/*
 * local.c — the passwd-file backend: the mechanisms of sasl.c checked
 * against a Dovecot-format file (pwtable.c).  The file itself is read and
 * the passwords checked in the key process (passwd_server.c): the worker
 * threads send it the user and password and get yes or no, so no hash
 * ever enters the daemon (SCRAM-SHA-256 excepted: the exchange here needs
 * the keys of the one user who is logging in).  A key process that is
 * gone makes every check AUTH_TEMPFAIL, logged once.
 *
 * Which mechanisms EHLO lists: [auth] mechanisms when set; otherwise PLAIN
 * and LOGIN, and SCRAM-SHA-256 only while every user of the file has SCRAM
 * keys.  A client that picks SCRAM for a user with a crypt hash could
 * never log in, and some (Cyrus SASL, so Postfix) do not try another
 * mechanism after the 535.
 *
 * Users without a SCRAM-SHA-256 entry, and unknown users, still get a
 * server-first message (salt made up from a per-process secret and the
 * name) and fail at the proof: the exchange does not reveal who exists.
 * Unknown users under PLAIN/LOGIN cost one dummy hash for the same reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/str.h"
#include "auth/auth_int.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/msgpipe.h"
#include "config/config.h"

int auth_test_local_threads = 2;

struct local {
	pthread_mutex_t mu; /* one request at a time on fd */
	int fd;             /* to the key process */
	bool dead;
	unsigned char *answer; /* MSGPIPE_MAX bytes */
	unsigned configured;   /* [auth] mechanisms; 0: follow the file */
	/* Loop thread only: what EHLO offers, and when the key process was
	 * asked for it (at most once a second, not once per EHLO). */
	time_t offer_checked;
	bool offer_scram;
	unsigned char secret[32];
	struct auth_worker *worker;
};

/* With l->mu held. */
static void
mark_lost(struct local *l)
{
	if (l->dead)
		return;
	l->dead = true;
	log_event(LOG_LVL_ERROR, "keyproc-lost", "role", "auth", "detail",
	          "no AUTH until ferry is restarted", NULL);
}

static void
local_lost(struct auth_service *svc)
{
	struct local *l = svc->be_data;

	pthread_mutex_lock(&l->mu);
	mark_lost(l);
	pthread_mutex_unlock(&l->mu);
}

/* One request to the key process: 0 and *ans, or -1 (logged). */
static int
ask(struct local *l, uint32_t type, const void *req, size_t len,
    struct auth_pw_answer *ans)
{
	unsigned char *buf = l->answer;
	uint32_t atype;
	int n = -1;

	pthread_mutex_lock(&l->mu);
	if (!l->dead)
		n = msgpipe_call(l->fd, type, req, len, &atype, buf,
		                 AUTH_PW_TIMEOUT_MS);
	if (n < 0 && !l->dead && errno == EPIPE) {
		mark_lost(l);
	} else if (n < 0 && !l->dead) {
		log_event(LOG_LVL_ERROR, "auth-passwd-file", "error",
		          strerror(errno), NULL);
	}
	if (n == (int)sizeof(*ans))
		memcpy(ans, buf, sizeof(*ans));
	OPENSSL_cleanse(buf, sizeof(*ans));
	pthread_mutex_unlock(&l->mu);
	return n == (int)sizeof(*ans) ? 0 : -1;
}

/* The job's request: its strings one after the other, each with its NUL
 * (for PROVE the proof between the user and the AuthMessage). */
static unsigned char *
job_request(const struct auth_job *job, size_t *len)
{
	size_t ulen = strlen(job->user) + 1;
	size_t plen = job->password ? strlen(job->password) + 1 : 0;
	size_t mlen = job->auth_msg ? strlen(job->auth_msg) + 1 : 0;
	size_t prooflen = job->kind == JOB_PROVE ? SCRAM_KEY_LEN : 0;
	unsigned char *req;

	*len = ulen + plen + prooflen + mlen;
	if (*len > MSGPIPE_MAX)
		return NULL;
	req = xmalloc(*len);
	memcpy(req, job->user, ulen);
	if (plen)
		memcpy(req + ulen, job->password, plen);
	if (prooflen)
		memcpy(req + ulen, job->proof, prooflen);
	if (mlen)
		memcpy(req + ulen + prooflen, job->auth_msg, mlen);
	return req;
}

static const uint32_t job_msg[] = {
        [JOB_VERIFY] = AUTH_PW_VERIFY,
        [JOB_LOOKUP] = AUTH_PW_LOOKUP,
        [JOB_PROVE] = AUTH_PW_PROVE,
};

/* Worker thread. */
static void
local_run(void *ctx, struct auth_job *job, void *cdata)
{
	struct local *l = ctx;
	struct auth_pw_answer ans;
	size_t len = 0;
	unsigned char *req = job_request(job, &len);

	if (req == NULL || ask(l, job_msg[job->kind], req, len, &ans) < 0) {
		job->st = AUTH_TEMPFAIL;
	} else {
		job->st = (enum auth_status)ans.st;
		if (job->kind == JOB_LOOKUP && ans.keys_valid) {
			job->keys = ans.keys;
			job->keys_valid = true;
		}
		if (job->kind == JOB_PROVE)
			memcpy(job->server_sig, ans.server_sig,
			       sizeof(job->server_sig));
	}
	if (req != NULL) {
		OPENSSL_cleanse(req, len);
		free(req);
	}
	OPENSSL_cleanse(&ans, sizeof(ans));
}

static void local_handle(struct auth_request *req, enum sasl_step st);

static void
local_submit(struct auth_request *req, enum job_kind kind)
{
	struct local *l = req->svc->be_data;
	struct auth_job *job = calloc(1, sizeof(*job));

	/* sasl_step() sets the user (and for VERIFY the password, for PROVE
	 * the AuthMessage and proof) first. */
	if (job == NULL || req->sasl.user == NULL ||
	    (kind == JOB_VERIFY && req->sasl.password == NULL) ||
	    (kind == JOB_PROVE && req->sasl.auth_msg == NULL) ||
	    (job->user = str_dup(req->sasl.user)) == NULL ||
	    (kind == JOB_VERIFY &&
	     (job->password = str_dup(req->sasl.password)) == NULL) ||
	    (kind == JOB_PROVE &&
	     (job->auth_msg = str_dup(req->sasl.auth_msg)) == NULL)) {
		auth_job_free(job);
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
		return;
	}
	if (kind == JOB_PROVE)
		memcpy(job->proof, req->sasl.proof, sizeof(job->proof));
	job->kind = kind;
	job->req = req;
	req->job = job;
	auth_worker_submit(l->worker, job);
}

/* Loop thread: a job came back. */
static void
local_done(struct auth_job *job)
{
	struct auth_request *req = job->req;
	struct local *l = req->svc->be_data;
	unsigned char fake[SCRAM_KEY_LEN];

	req->job = NULL;
	if (job->kind == JOB_PROVE && job->st != AUTH_TEMPFAIL) {
		local_handle(req,
		             sasl_scram_proved(&req->sasl, job->st == AUTH_OK,
		                               job->server_sig));
	} else if (job->kind == JOB_VERIFY || job->st != AUTH_OK) {
		auth_request_post(req, job->st,
		                  job->st == AUTH_OK ? req->sasl.user : NULL);
	} else if (scram_hmac(l->secret, sizeof(l->secret), job->user,
	                      strlen(job->user), fake) < 0) {
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
	} else {
		local_handle(req, sasl_scram_keys(&req->sasl,
		                                  job->keys_valid ? &job->keys
		                                                  : NULL,
		                                  fake));
	}
	auth_job_free(job);
}

static void
local_handle(struct auth_request *req, enum sasl_step st)
{
	if (req->sasl.user != NULL)
		auth_request_set_user(req, req->sasl.user);
	switch (st) {
	case SASL_CHALLENGE:
		auth_request_post_challenge(req, req->sasl.out,
		                            req->sasl.outlen);
		break;
	case SASL_VERIFY:
		local_submit(req, JOB_VERIFY);
		break;
	case SASL_LOOKUP:
		local_submit(req, JOB_LOOKUP);
		break;
	case SASL_PROVE:
		local_submit(req, JOB_PROVE);
		break;
	case SASL_OK:
		auth_request_post(req, AUTH_OK, req->sasl.user);
		break;
	case SASL_FAIL:
		auth_request_post(req, AUTH_FAIL, NULL);
		break;
	case SASL_MALFORMED:
		auth_request_post(req, AUTH_MALFORMED, NULL);
		break;
	}
}

/* Decode a validated line and feed it (NULL: no initial response). */
static void
local_feed(struct auth_request *req, const char *b64)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	enum sasl_step st;

	if (b64 != NULL && auth_b64_decode(b64, strlen(b64), &raw, &len) < 0) {
		auth_request_post(req, AUTH_BAD_BASE64, NULL);
		return;
	}
	st = sasl_step(&req->sasl, raw, len);
	if (raw != NULL) {
		OPENSSL_cleanse(raw, len);
		free(raw);
	}
	local_handle(req, st);
}

static void
local_start(struct auth_request *req, const char *initial)
{
	enum sasl_mech m;

	if (sasl_mech_lookup(req->mech, &m) < 0) {
		auth_request_post(req, AUTH_UNKNOWN_MECH, NULL);
		return;
	}
	sasl_init(&req->sasl, m);
	local_feed(req, initial);
}

static void
local_cont(struct auth_request *req, const char *line)
{
	local_feed(req, line);
}

static void
local_abort(struct auth_request *req)
{
	struct local *l = req->svc->be_data;

	if (req->job != NULL) {
		auth_worker_orphan(l->worker, req->job);
		req->job = NULL;
	}
	sasl_clear(&req->sasl);
}

/* Loop thread: the set offered now.  Unset, it follows the file, which is
 * looked at again at most once a second (and read when it changed). */
static unsigned
local_offered(struct local *l)
{
	time_t now = time(NULL);

	if (l->configured != 0)
		return l->configured;
	if (now != l->offer_checked) {
		struct auth_pw_answer ans;

		if (ask(l, AUTH_PW_OFFER, NULL, 0, &ans) == 0)
			l->offer_scram = ans.all_scram;
		l->offer_checked = now;
	}
	return SASL_MECH_BIT(SASL_PLAIN) | SASL_MECH_BIT(SASL_LOGIN) |
	       (l->offer_scram ? SASL_MECH_BIT(SASL_SCRAM_SHA_256) : 0);
}

static const char *
local_mechanisms(struct auth_service *svc)
{
	return sasl_mech_names(local_offered(svc->be_data));
}

static bool
local_has_mech(struct auth_service *svc, const char *mech)
{
	enum sasl_mech m;

	return sasl_mech_lookup(mech, &m) == 0 &&
	       (local_offered(svc->be_data) & SASL_MECH_BIT(m)) != 0;
}

static void
local_free(struct auth_service *svc)
{
	struct local *l = svc->be_data;

	if (l == NULL)
		return;
	auth_worker_free(l->worker);
	free(l->answer);
	OPENSSL_cleanse(l->secret, sizeof(l->secret));
	pthread_mutex_destroy(&l->mu);
	free(l);
	svc->be_data = NULL;
}

static const struct auth_backend local_backend = {
        .mechanisms = local_mechanisms,
        .has_mech = local_has_mech,
        .start = local_start,
        .cont = local_cont,
        .abort = local_abort,
        .lost = local_lost,
        .free = local_free,
};

int
auth_local_init(struct auth_service *svc, const struct config *cfg, int fd)
{
	struct local *l;

	if (cfg->auth_passwd_file == NULL || cfg->auth_passwd_file[0] == '\0' ||
	    fd < 0) {
		errno = EINVAL;
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	pthread_mutex_init(&l->mu, NULL);
	svc->be = &local_backend;
	svc->be_data = l;
	l->configured = cfg->auth_mechanisms & SASL_ALL_MECHS;
	l->fd = fd;
	l->answer = xmalloc(MSGPIPE_MAX);
	if (RAND_bytes(l->secret, sizeof(l->secret)) != 1)
		goto fail;
	l->worker = auth_worker_new(svc->base, auth_test_local_threads,
	                            local_run, local_done, l);
	if (l->worker == NULL)
		goto fail;
	return 0;
fail:
	local_free(svc);
	svc->be = NULL;
	errno = ENOMEM;
	return -1;
}
