/*
 * passwd_server.c — the key process's side of the passwd-file backend
 * (see auth.h): it alone reads the file, re-reads it whenever its mtime,
 * size or inode changes, and checks passwords (crypt(3), SCRAM-SHA-256)
 * for the daemon, which sends a user and a password and gets yes or no.
 * An unreadable file makes every check AUTH_TEMPFAIL until it is fixed.
 * Unknown users cost one dummy hash, as known ones do, so the time taken
 * does not tell who exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/auth_int.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/msgpipe.h"
#include "base/str.h"
#include "config/config.h"

#define PASSWD_FILE_MAX (64u << 20)

struct auth_passwd_server {
	char *path;
	struct pw_table table;
	bool loaded;
	bool failing;   /* last refresh failed (logged once) */
	bool all_scram; /* the table is not empty and every entry is SCRAM */
	struct stat st;
	char dummy_hash[CRYPT_OUTPUT_SIZE];
	struct crypt_data *cdata;
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
	*buf = xmalloc((size_t)st->st_size + 1);
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
refresh_failed(struct auth_passwd_server *l, const char *what)
{
	if (!l->failing)
		log_event(LOG_LVL_ERROR, "auth-passwd-file", "file", l->path,
		          "error", what, NULL);
	l->failing = true;
}

static void
log_loaded(const struct auth_passwd_server *l, size_t bad, size_t first_bad)
{
	char nusers[32], nbad[32], line[32];

	snprintf(nusers, sizeof(nusers), "%zu", l->table.n);
	snprintf(nbad, sizeof(nbad), "%zu", bad);
	snprintf(line, sizeof(line), "%zu", first_bad);
	log_event(bad ? LOG_LVL_WARN : LOG_LVL_INFO, "auth-passwd-load", "file",
	          l->path, "users", nusers, "bad_lines", nbad, "first_bad_line",
	          bad ? line : NULL, NULL);
}

/* Make l->table current.  -1 when the file is unusable. */
static int
refresh(struct auth_passwd_server *l)
{
	struct pw_table t;
	struct stat st;
	size_t len = 0, bad, first_bad;
	char *buf = NULL;

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
	log_loaded(l, bad, first_bad);
	return 0;
}

/* A yescrypt hash of random bytes, checked for unknown users. */
static void
make_dummy_hash(struct auth_passwd_server *l)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char pw[16];
	char pwhex[33];
	size_t i;

	if (RAND_bytes(pw, sizeof(pw)) != 1 ||
	    crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) ==
	            NULL)
		return;
	for (i = 0; i < sizeof(pw); i++)
		snprintf(pwhex + 2 * i, 3, "%02x", pw[i]);
	if (crypt_rn(pwhex, setting, l->cdata, sizeof(*l->cdata)) != NULL)
		snprintf(l->dummy_hash, sizeof(l->dummy_hash), "%s",
		         l->cdata->output);
	OPENSSL_cleanse(l->cdata, sizeof(*l->cdata));
}

struct auth_passwd_server *
auth_passwd_server_new(const struct config *cfg)
{
	struct auth_passwd_server *l = xcalloc(1, sizeof(*l));

	l->path = str_dup(cfg->auth_passwd_file);
	l->cdata = xcalloc(1, sizeof(*l->cdata));
	make_dummy_hash(l);
	/* Load now so problems show at startup; a missing file is not
	 * fatal (it may appear later): checks tempfail until then. */
	(void)refresh(l);
	return l;
}

const char *
auth_passwd_server_path(const struct auth_passwd_server *l)
{
	return l->path;
}

void
auth_passwd_server_free(struct auth_passwd_server *l)
{
	if (l == NULL)
		return;
	pw_table_free(&l->table);
	free(l->path);
	free(l->cdata);
	free(l);
}

static void
verify(struct auth_passwd_server *l, const char *user, const char *pw,
       struct auth_pw_answer *ans)
{
	const struct pw_entry *e = pw_table_find(&l->table, user);
	struct pw_entry dummy = {.scheme = PW_CRYPT, .hash = l->dummy_hash};
	int r;

	if (e == NULL) {
		if (l->dummy_hash[0] != '\0')
			(void)pw_verify(&dummy, pw, l->cdata);
		ans->st = AUTH_FAIL;
		return;
	}
	r = pw_verify(e, pw, l->cdata);
	if (r < 0)
		log_event(LOG_LVL_ERROR, "auth-passwd-file", "user", user,
		          "error", "unusable password hash", NULL);
	ans->st = r == 1 ? AUTH_OK : AUTH_FAIL;
}

static void
lookup(struct auth_passwd_server *l, const char *user,
       struct auth_pw_answer *ans)
{
	const struct pw_entry *e = pw_table_find(&l->table, user);

	ans->st = AUTH_OK;
	if (e != NULL && e->scheme == PW_SCRAM) {
		/* What the server-first message shows any client: never the
		 * keys themselves. */
		ans->keys.iter = e->scram.iter;
		ans->keys.salt_len = e->scram.salt_len;
		memcpy(ans->keys.salt, e->scram.salt, sizeof(ans->keys.salt));
		ans->keys_valid = 1;
	}
}

/* PROVE: user NUL, the proof, then the AuthMessage NUL. */
static void
prove(struct auth_passwd_server *l, const unsigned char *in, size_t len,
      struct auth_pw_answer *ans)
{
	const char *user = (const char *)in, *msg;
	size_t ulen = strnlen(user, len), mlen;
	const struct pw_entry *e;
	struct scram_keys none = {0};
	int r;

	ans->st = AUTH_FAIL;
	if (ulen == len || ulen > AUTH_USER_MAX ||
	    len - ulen - 1 < SCRAM_KEY_LEN + 1)
		return;
	msg = (const char *)in + ulen + 1 + SCRAM_KEY_LEN;
	mlen = strnlen(msg, len - ulen - 1 - SCRAM_KEY_LEN);
	if (mlen != len - ulen - 1 - SCRAM_KEY_LEN - 1)
		return;
	e = pw_table_find(&l->table, user);
	/* A user without keys costs the same two HMACs, and fails. */
	r = scram_check_proof(e && e->scheme == PW_SCRAM ? &e->scram : &none,
	                      msg, mlen, in + ulen + 1, ans->server_sig);
	if (r == 1 && e != NULL && e->scheme == PW_SCRAM)
		ans->st = AUTH_OK;
	else if (r < 0)
		ans->st = AUTH_TEMPFAIL;
	else
		OPENSSL_cleanse(ans->server_sig, sizeof(ans->server_sig));
}

/* The request's strings: user, and for VERIFY the password, each
 * NUL-terminated.  -1 when it is not so. */
static int
split_request(const unsigned char *in, size_t len, const char **user,
              const char **pw)
{
	const char *s = (const char *)in;
	size_t ulen = strnlen(s, len);

	if (ulen == len || ulen > AUTH_USER_MAX)
		return -1;
	*user = s;
	*pw = s + ulen + 1;
	if (strnlen(*pw, len - ulen - 1) == len - ulen - 1)
		*pw = NULL;
	return 0;
}

int
auth_passwd_server_answer(void *arg, uint32_t type, const unsigned char *in,
                          size_t len, unsigned char *out, uint32_t *otype)
{
	struct auth_passwd_server *l = arg;
	struct auth_pw_answer ans = {.st = AUTH_TEMPFAIL};
	const char *user = NULL, *pw = NULL;

	*otype = type;
	if (refresh(l) == 0) {
		ans.all_scram = l->all_scram;
		/* A request that is not one of ours, or not well formed. */
		ans.st = AUTH_FAIL;
		if (type == AUTH_PW_OFFER)
			ans.st = AUTH_OK;
		else if (type == AUTH_PW_PROVE)
			prove(l, in, len, &ans);
		else if (split_request(in, len, &user, &pw) == 0 &&
		         type == AUTH_PW_VERIFY && pw != NULL)
			verify(l, user, pw, &ans);
		else if (user != NULL && type == AUTH_PW_LOOKUP)
			lookup(l, user, &ans);
	}
	memcpy(out, &ans, sizeof(ans));
	OPENSSL_cleanse(&ans, sizeof(ans));
	return (int)sizeof(ans);
}
