/*
 * auth_int.h — the private parts of the auth module, shared by its files and
 * by the unit tests and the fuzz target.  Nothing outside src/auth and tests
 * includes this.
 *
 * Layers, bottom up:
 *   b64.c      strict base64 (OpenSSL EVP_EncodeBlock/EVP_DecodeBlock);
 *   scram.c    SCRAM-SHA-256 key derivation and Dovecot's stored form;
 *   pwtable.c  parsing a Dovecot passwd-file, verifying one password;
 *   sasl.c     the mechanism state machines: bytes in, a step out, no I/O;
 *   worker.c   threads that run password checks off the event loop;
 *   local.c    the passwd-file backend (sasl.c + pwtable.c + worker.c);
 *   dovecot.c  the Dovecot auth-client backend;
 *   service.c  the public API: validation, deferred delivery, logging.
 */
#ifndef FERRY_AUTH_INT_H
#define FERRY_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "auth/auth.h"

/* Longest client line accepted, in base64 characters (RFC 4954 s4 lets
 * the server limit it; 12288 is what Dovecot allows for SASL data). */
#define AUTH_LINE_MAX 12288

/* --- b64.c ------------------------------------------------------------ */

/*
 * Strict decoding: the length must be a multiple of 4, only the RFC 4648
 * alphabet, at most two '=' and only at the end, and the bits the padding
 * discards must be zero.  "" decodes to nothing.  *out is malloc'd and
 * NUL-terminated (the NUL is not counted in *outlen).  -1 on bad input.
 */
int auth_b64_decode(const char *in, size_t inlen, unsigned char **out,
                    size_t *outlen);
/* malloc'd, NUL-terminated base64 of in[0..len). */
char *auth_b64_encode(const unsigned char *in, size_t len);

/* --- scram.c ---------------------------------------------------------- */

#define SCRAM_KEY_LEN 32 /* SHA-256 */
#define SCRAM_SALT_MAX 64

struct scram_keys {
	unsigned iter;
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;
	unsigned char stored_key[SCRAM_KEY_LEN];
	unsigned char server_key[SCRAM_KEY_LEN];
};

/* SaltedPassword, then StoredKey and ServerKey (RFC 5802 s3).  -1 on an
 * OpenSSL failure. */
int scram_derive(const char *pw, size_t pwlen, const unsigned char *salt,
                 size_t salt_len, unsigned iter, struct scram_keys *out);
/* Dovecot's "{SCRAM-SHA-256}" data: "iter,salt,storedkey,serverkey", the
 * last three base64.  -1 when malformed. */
int scram_parse_stored(const char *s, struct scram_keys *out);
/* The same, malloc'd, without the "{SCRAM-SHA-256}" prefix. */
char *scram_format_stored(const struct scram_keys *k);
/*
 * The client's proof against the stored keys (RFC 5802 s3): 1 and the
 * ServerSignature in server_sig when it is right, 0 when not, -1 on an
 * OpenSSL failure.  In the key process only: the daemon never has the
 * keys.
 */
int scram_check_proof(const struct scram_keys *k, const char *auth_msg,
                      size_t len, const unsigned char proof[SCRAM_KEY_LEN],
                      unsigned char server_sig[SCRAM_KEY_LEN]);
/* HMAC-SHA-256; -1 on failure. */
int scram_hmac(const unsigned char *key, size_t keylen, const void *msg,
               size_t msglen, unsigned char out[SCRAM_KEY_LEN]);

/* --- pwtable.c -------------------------------------------------------- */

enum pw_scheme {
	PW_CRYPT, /* crypt(3): {CRYPT} {BLF-CRYPT} {SHA*-CRYPT}, or none */
	PW_SCRAM, /* {SCRAM-SHA-256} */
};

struct pw_entry {
	char *user;
	enum pw_scheme scheme;
	char *hash;              /* PW_CRYPT: the crypt(3) string */
	struct scram_keys scram; /* PW_SCRAM */
};

struct pw_table {
	struct pw_entry *v; /* sorted by user */
	size_t n;
};

/*
 * Parse a passwd-file: "user:{SCHEME}data[:more fields]" lines; '#'
 * comments and blank lines skipped.  Bad lines (unknown scheme, broken
 * SCRAM data, no ':') are skipped and counted in *bad (may be NULL), and
 * the first one's 1-based number goes to *first_bad.  The first entry of
 * a duplicated user wins.  -1 only when out of memory.
 */
int pw_table_parse(const char *text, size_t len, struct pw_table *t,
                   size_t *bad, size_t *first_bad);
const struct pw_entry *pw_table_find(const struct pw_table *t,
                                     const char *user);
void pw_table_free(struct pw_table *t);
/* Deep copy of one entry into *dst (free with pw_entry_clear). */
int pw_entry_copy(struct pw_entry *dst, const struct pw_entry *src);
void pw_entry_clear(struct pw_entry *e);
/* 1: the password matches; 0: it does not; -1: crypt failure.  Compared
 * with CRYPTO_memcmp.  cdata: a struct crypt_data (large; one per thread). */
int pw_verify(const struct pw_entry *e, const char *pw, void *cdata);

/* --- sasl.c ----------------------------------------------------------- */

enum sasl_mech { SASL_PLAIN, SASL_LOGIN, SASL_SCRAM_SHA_256 };

enum sasl_step {
	SASL_CHALLENGE, /* send s->out (raw bytes), wait for a response */
	SASL_VERIFY,    /* check s->user / s->password, then done */
	SASL_LOOKUP,    /* fetch SCRAM salt for s->user: sasl_scram_keys() */
	SASL_PROVE,     /* check s->proof over s->auth_msg for s->user where
	                   the keys are: sasl_scram_proved() */
	SASL_OK,        /* authenticated as s->user */
	SASL_FAIL,      /* refused (bad proof, p= binding, foreign authzid) */
	SASL_MALFORMED, /* the message breaks the mechanism's syntax */
};

enum sasl_phase {
	SP_START,
	SP_PLAIN,
	SP_LOGIN_USER,
	SP_LOGIN_PASS,
	SP_SCRAM_FIRST,
	SP_SCRAM_LOOKUP,
	SP_SCRAM_FINAL,
	SP_SCRAM_PROVE,
	SP_SCRAM_ACK,
	SP_DONE,
};

struct sasl {
	enum sasl_mech mech;
	enum sasl_phase phase;
	char *user;     /* authcid (SCRAM: decoded saslname) */
	char *password; /* PLAIN/LOGIN; wiped when freed */
	unsigned char *out;
	size_t outlen;
	/* SCRAM-SHA-256 */
	char *gs2_header;   /* "n,," / "y,,a=..." as received */
	char *client_first; /* client-first-message-bare */
	char *nonce;        /* c-nonce followed by s-nonce */
	char *server_first;
	struct scram_keys keys; /* the salt and count; no keys here */
	bool keys_valid;        /* false: unknown user or no SCRAM entry */
	char *auth_msg;         /* SASL_PROVE: AuthMessage */
	unsigned char proof[SCRAM_KEY_LEN];
};

/* Sets of mechanisms: bit 1 << enum sasl_mech, as [auth] mechanisms. */
#define SASL_ALL_MECHS 7u
#define SASL_MECH_BIT(m) (1u << (m))
/* The names of a set, in EHLO order ("PLAIN LOGIN SCRAM-SHA-256"). */
const char *sasl_mech_names(unsigned bits);

/* 0 and *m set when name (any case) is one of ours; -1 otherwise. */
int sasl_mech_lookup(const char *name, enum sasl_mech *m);
void sasl_init(struct sasl *s, enum sasl_mech m);
/* Feed one decoded client message; in NULL means "no initial response". */
enum sasl_step sasl_step(struct sasl *s, const unsigned char *in, size_t len);
/* Answer to SASL_LOOKUP: k (its salt and count) NULL when the user has no
 * SCRAM keys (the exchange goes on with made-up salt and fails at the
 * proof, so it does not tell which users exist).  fake_salt: 16 bytes to
 * use then. */
enum sasl_step sasl_scram_keys(struct sasl *s, const struct scram_keys *k,
                               const unsigned char *fake_salt);
/* Answer to SASL_PROVE: whether the proof was right, and then the
 * ServerSignature to send. */
enum sasl_step sasl_scram_proved(struct sasl *s, bool ok,
                                 const unsigned char *server_sig);
void sasl_clear(struct sasl *s);

/* Test hook: a fixed server nonce instead of RAND_bytes (NULL: random). */
extern const char *auth_test_server_nonce;

/* --- worker.c --------------------------------------------------------- */

struct event_base;
struct auth_worker;

enum job_kind { JOB_VERIFY, JOB_LOOKUP, JOB_PROVE };

struct auth_job {
	TAILQ_ENTRY(auth_job) entry;
	enum job_kind kind;
	struct auth_request *req; /* NULL once the request went away */
	char *user;
	char *password; /* JOB_VERIFY; wiped when freed */
	char *auth_msg; /* JOB_PROVE */
	unsigned char proof[SCRAM_KEY_LEN];
	/* results, written by the worker */
	enum auth_status st;    /* AUTH_OK, AUTH_FAIL or AUTH_TEMPFAIL */
	struct scram_keys keys; /* JOB_LOOKUP: the salt and count */
	bool keys_valid;
	unsigned char server_sig[SCRAM_KEY_LEN]; /* JOB_PROVE, AUTH_OK */
};

typedef void (*auth_job_run_fn)(void *ctx, struct auth_job *job, void *cdata);
typedef void (*auth_job_done_fn)(struct auth_job *job);

struct auth_worker *auth_worker_new(struct event_base *base, int nthreads,
                                    auth_job_run_fn run, auth_job_done_fn done,
                                    void *ctx);
/* Queue a job; done() runs later on the loop thread unless the job was
 * orphaned by auth_worker_orphan(). */
void auth_worker_submit(struct auth_worker *w, struct auth_job *job);
/* The request is going away: never report this job. */
void auth_worker_orphan(struct auth_worker *w, struct auth_job *job);
void auth_worker_free(struct auth_worker *w);
void auth_job_free(struct auth_job *job);

/* --- the key process (passwd_server.c) and its requests ------------------ */

/* Requests to the key process: the user, then for VERIFY the password,
 * each NUL-terminated; for PROVE the user, the proof (SCRAM_KEY_LEN
 * bytes) and the AuthMessage, NUL-terminated; OFFER has none.  The answer
 * is one struct auth_pw_answer. */
enum auth_pw_msg {
	AUTH_PW_VERIFY = 1,
	AUTH_PW_LOOKUP, /* salt and count of the user's SCRAM-SHA-256 keys */
	AUTH_PW_OFFER,  /* does every user have SCRAM keys? */
	AUTH_PW_PROVE,  /* a SCRAM-SHA-256 ClientProof */
};

struct auth_pw_answer {
	int32_t st; /* AUTH_OK, AUTH_FAIL or AUTH_TEMPFAIL */
	uint8_t all_scram;
	uint8_t keys_valid;
	struct scram_keys keys; /* LOOKUP: salt and count, keys zeroed */
	unsigned char server_sig[SCRAM_KEY_LEN]; /* PROVE with AUTH_OK */
};

/* A yescrypt check takes milliseconds; other checks may be queued. */
#define AUTH_PW_TIMEOUT_MS 10000

/* --- backends --------------------------------------------------------- */

struct auth_service;

struct auth_backend {
	const char *(*mechanisms)(struct auth_service *svc);
	bool (*has_mech)(struct auth_service *svc, const char *mech);
	/* initial: validated base64 ("" for an empty one) or NULL. */
	void (*start)(struct auth_request *req, const char *initial);
	/* line: validated base64. */
	void (*cont)(struct auth_request *req, const char *line);
	/* Drop any work in progress for req; no result after this. */
	void (*abort)(struct auth_request *req);
	/* The key process it asks is gone (NULL: it asks none). */
	void (*lost)(struct auth_service *svc);
	void (*free)(struct auth_service *svc);
};

struct auth_service {
	struct event_base *base;
	const struct auth_backend *be;
	void *be_data;
};

struct auth_request {
	struct auth_service *svc;
	auth_result_cb cb;
	void *arg;
	struct event *ev; /* deferred delivery of the next result */
	enum auth_status st;
	char *data;
	bool posted; /* a result waits in ev */
	bool done;   /* a final result was posted */
	bool busy;   /* the backend works; lines now are out of turn */
	char mech[32];
	char *client_ip;
	bool secured;
	char *user;       /* for the log line, when known */
	char session[24]; /* the SMTP session's id for the log line, or "" */
	/* passwd-file backend */
	struct sasl sasl;
	struct auth_job *job;
	/* dovecot backend */
	unsigned id;
	TAILQ_ENTRY(auth_request) dc_entry;
	bool dc_queued; /* on the connection's list */
	bool dc_sent;   /* AUTH line written */
	char *dc_initial;
};

/* Post a result for delivery from the event loop (data is copied). */
void auth_request_post(struct auth_request *req, enum auth_status st,
                       const char *data);
/* Post AUTH_CONTINUE with the base64 of raw bytes. */
void auth_request_post_challenge(struct auth_request *req,
                                 const unsigned char *raw, size_t len);
/* Set the name logged with the result. */
void auth_request_set_user(struct auth_request *req, const char *user);

int auth_local_init(struct auth_service *svc, const struct config *cfg, int fd);
int auth_dovecot_init(struct auth_service *svc, const struct config *cfg);

/* Test hooks for the passwd-file backend: worker threads (default 2). */
extern int auth_test_local_threads;

#endif
