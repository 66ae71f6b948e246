/*
 * local.c — the passwd-file backend: the mechanisms of sasl.c checked
 * against a Dovecot-format file (pwtable.c).  The file is read by the
 * worker threads, re-read whenever its mtime, size or inode changes, and
 * an unreadable file makes every check AUTH_TEMPFAIL until it is fixed.
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

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/str.h"
#include "auth/auth_int.h"
#include "base/log.h"
#include "config/config.h"

#define PASSWD_FILE_MAX (64u << 20)

int auth_test_local_threads = 2;

struct local {
	pthread_mutex_t mu; /* guards everything below but worker */
	char *path;
	struct pw_table table;
	bool loaded;
	bool failing;   /* last refresh failed (logged once) */
	bool all_scram; /* the table is not empty and every entry is SCRAM */
	unsigned configured; /* [auth] mechanisms; 0: follow the file */
	/* Loop thread only: what EHLO offers, and when the file was looked
	 * at for it (at most once a second, not a stat per EHLO). */
	time_t offer_checked;
	bool offer_scram;
	struct stat st;
	unsigned char secret[32];
	char dummy_hash[CRYPT_OUTPUT_SIZE];
	struct auth_worker *worker;
};

/* Whole file into a malloc'd buffer; -1 with errno. */
static int
read_file(const char *path, char **buf, size_t *len, struct stat *st)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) || (size_t)st->st_size > PASSWD_FILE_MAX) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*buf = malloc((size_t)st->st_size + 1);
	if (*buf == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st->st_size) {
		n = read(fd, *buf + got, (size_t)st->st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
refresh_failed(struct local *l, const char *what)
{
	if (!l->failing)
		log_event(LOG_LVL_ERROR, "auth-passwd-file", "file", l->path,
		          "error", what, NULL);
	l->failing = true;
}

/* With l->mu held: make l->table current.  -1 when the file is unusable. */
static int
refresh(struct local *l)
{
	struct pw_table t;
	struct stat st;
	size_t len = 0, bad, first_bad;
	char *buf = NULL, nusers[32], nbad[32], line[32];

	if (stat(l->path, &st) < 0) {
		refresh_failed(l, strerror(errno));
		return -1;
	}
	if (l->loaded && same_file(&st, &l->st))
		return 0;
	if (read_file(l->path, &buf, &len, &st) < 0) {
		refresh_failed(l, strerror(errno));
		return -1;
	}
	if (pw_table_parse(buf, len, &t, &bad, &first_bad) < 0) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		refresh_failed(l, "out of memory");
		return -1;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	pw_table_free(&l->table);
	l->table = t;
	l->all_scram = t.n > 0;
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].scheme != PW_SCRAM)
			l->all_scram = false;
	l->st = st;
	l->loaded = true;
	l->failing = false;
	snprintf(nusers, sizeof(nusers), "%zu", t.n);
	snprintf(nbad, sizeof(nbad), "%zu", bad);
	snprintf(line, sizeof(line), "%zu", first_bad);
	log_event(bad ? LOG_LVL_WARN : LOG_LVL_INFO, "auth-passwd-load", "file",
	          l->path, "users", nusers, "bad_lines", nbad, "first_bad_line",
	          bad ? line : NULL, NULL);
	return 0;
}

/* Worker thread. */
static void
local_run(void *ctx, struct auth_job *job, void *cdata)
{
	struct local *l = ctx;
	const struct pw_entry *pe;
	struct pw_entry e;
	bool found = false;
	int r;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&l->mu);
	if (refresh(l) < 0) {
		pthread_mutex_unlock(&l->mu);
		job->st = AUTH_TEMPFAIL;
		return;
	}
	pe = pw_table_find(&l->table, job->user);
	if (pe != NULL && pw_entry_copy(&e, pe) < 0) {
		pthread_mutex_unlock(&l->mu);
		job->st = AUTH_TEMPFAIL;
		return;
	}
	found = pe != NULL;
	pthread_mutex_unlock(&l->mu);
	if (job->kind == JOB_LOOKUP) {
		if (found && e.scheme == PW_SCRAM) {
			job->keys = e.scram;
			job->keys_valid = true;
		}
		job->st = AUTH_OK;
	} else if (!found) {
		struct pw_entry dummy = {.scheme = PW_CRYPT,
		                         .hash = l->dummy_hash};
		if (l->dummy_hash[0] != '\0')
			(void)pw_verify(&dummy, job->password, cdata);
		job->st = AUTH_FAIL;
	} else {
		r = pw_verify(&e, job->password, cdata);
		if (r < 0)
			log_event(LOG_LVL_ERROR, "auth-passwd-file", "user",
			          job->user, "error", "unusable password hash",
			          NULL);
		job->st = r == 1 ? AUTH_OK : AUTH_FAIL;
	}
	pw_entry_clear(&e);
}

static void local_handle(struct auth_request *req, enum sasl_step st);

static void
local_submit(struct auth_request *req, enum job_kind kind)
{
	struct local *l = req->svc->be_data;
	struct auth_job *job = calloc(1, sizeof(*job));

	/* sasl_step() sets the user (and for VERIFY the password) first. */
	if (job == NULL || req->sasl.user == NULL ||
	    (kind == JOB_VERIFY && req->sasl.password == NULL) ||
	    (job->user = str_dup(req->sasl.user)) == NULL ||
	    (kind == JOB_VERIFY &&
	     (job->password = str_dup(req->sasl.password)) == NULL)) {
		auth_job_free(job);
		auth_request_post(req, AUTH_TEMPFAIL, NULL);
		return;
	}
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
	if (job->kind == JOB_VERIFY || job->st != AUTH_OK) {
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
		pthread_mutex_lock(&l->mu);
		(void)refresh(l);
		l->offer_scram = l->all_scram;
		pthread_mutex_unlock(&l->mu);
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
	pw_table_free(&l->table);
	free(l->path);
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
        .free = local_free,
};

/* A yescrypt hash of random bytes, checked for unknown users. */
static void
make_dummy_hash(struct local *l)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char pw[16];
	char pwhex[33];
	struct crypt_data *cd;
	size_t i;

	cd = calloc(1, sizeof(*cd));
	if (cd == NULL || RAND_bytes(pw, sizeof(pw)) != 1 ||
	    crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) ==
	            NULL) {
		free(cd);
		return;
	}
	for (i = 0; i < sizeof(pw); i++)
		snprintf(pwhex + 2 * i, 3, "%02x", pw[i]);
	if (crypt_rn(pwhex, setting, cd, sizeof(*cd)) != NULL)
		snprintf(l->dummy_hash, sizeof(l->dummy_hash), "%s",
		         cd->output);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
}

int
auth_local_init(struct auth_service *svc, const struct config *cfg)
{
	struct local *l;

	if (cfg->auth_passwd_file == NULL || cfg->auth_passwd_file[0] == '\0') {
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
	l->path = str_dup(cfg->auth_passwd_file);
	if (l->path == NULL || RAND_bytes(l->secret, sizeof(l->secret)) != 1)
		goto fail;
	make_dummy_hash(l);
	/* Load now so problems show at startup; a missing file is not
	 * fatal (it may appear later): checks tempfail until then. */
	pthread_mutex_lock(&l->mu);
	(void)refresh(l);
	pthread_mutex_unlock(&l->mu);
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
