/*
 * envelope — what ferry knows about a message besides its content: who sent
 * it from where, to whom, and per recipient how far delivery got.  Stored as
 * a small line-based text file beside the message (docs/queue-format.md).
 *
 * Ownership: envelope_free() frees every string the envelope points to.
 * Errors: envelope_parse() returns -1 with a static message in *error_r and
 * leaves env empty; it accepts any bytes (it is fuzzed) and never reads past
 * len.  Out of memory aborts.  Threads: no shared state; any thread.
 */
#ifndef FERRY_QUEUE_ENVELOPE_H
#define FERRY_QUEUE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define QUEUE_ID_LEN 16

enum body_type { BODY_7BIT, BODY_8BITMIME, BODY_BINARYMIME };
enum dsn_ret { DSN_RET_UNSPEC, DSN_RET_FULL, DSN_RET_HDRS };

/* RFC 3461 NOTIFY bits; 0 means "not given". */
enum dsn_notify {
	DSN_NOTIFY_NEVER = 1 << 0,
	DSN_NOTIFY_SUCCESS = 1 << 1,
	DSN_NOTIFY_FAILURE = 1 << 2,
	DSN_NOTIFY_DELAY = 1 << 3,
};

enum rcpt_state {
	RCPT_PENDING,
	RCPT_DELIVERED,
	RCPT_DEFERRED,
	RCPT_BOUNCED,
	/* Bounced, but the report to the sender is not committed yet: the
	 * message stays queued until it is (docs/queue-format.md). */
	RCPT_BOUNCING,
	/* Delivered or relayed, but the success notice its NOTIFY asked for
	 * is not committed yet: queued until it is, like RCPT_BOUNCING. */
	RCPT_NOTIFYING,
};

struct envelope_rcpt {
	char *address;   /* where to deliver: local mailbox or remote */
	char *original;  /* the RCPT TO address as the client gave it */
	char *orcpt;     /* RFC 3461 ORCPT, "rfc822;..." decoded, or NULL */
	unsigned notify; /* enum dsn_notify bits */
	enum rcpt_state state;
	time_t next_attempt; /* for RCPT_DEFERRED */
	/* RCPT_DEFERRED, and the sender has had its "delayed" report (state
	 * record "delayed"): a restart does not send it again. */
	bool delay_reported;
	char *last_reply; /* last reply text for deferred/bounced, or NULL */
};

struct envelope {
	char id[QUEUE_ID_LEN + 1];
	time_t arrival;
	char *sender; /* "" for the null reverse-path <> */
	char *helo;
	char *client_addr; /* "127.0.0.1" */
	char *protocol;    /* "ESMTP", "SMTP", "UTF8SMTP", ... */
	char *envid;       /* RFC 3461 ENVID decoded, or NULL */
	char *auth; /* RFC 4954 AUTH= mailbox, "" for <>; NULL: none given */
	enum dsn_ret ret;
	enum body_type body;
	bool smtputf8;
	bool requiretls; /* RFC 8689: only over verified TLS */
	size_t size;     /* octets of the stored message */
	/* CRC-32 (zlib's) of the stored message; has_crc is false for an
	 * envelope from before version 4, which had none. */
	uint32_t msg_crc;
	bool has_crc;
	struct envelope_rcpt *rcpts;
	size_t nrcpts;
};

/* Append a recipient (strings are copied).  Returns its index. */
size_t envelope_add_rcpt(struct envelope *env, const char *address,
                         const char *original, const char *orcpt,
                         unsigned notify);
void envelope_free(struct envelope *env);
/* No recipient is pending, deferred or waiting for its bounce report or
 * success notice: nothing is left to do. */
bool
envelope_all_final(const struct envelope *env); /* frees contents, not env */

/* Serialise to / parse from the text format. */
char *envelope_serialize(const struct envelope *env, size_t *len_r);
int envelope_parse(const char *text, size_t len, struct envelope *env,
                   const char **error_r);

/* "pending", "delivered", ... and back; -1 for an unknown name. */
const char *envelope_state_name(enum rcpt_state st);
int envelope_state_from_name(const char *s, size_t len, enum rcpt_state *st);

#endif
