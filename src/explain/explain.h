/*
 * explain — what an SMTP reply means and what to do about it.
 *
 * explain_reply() takes whatever a person or the relay has at hand: a bare
 * code ("550", "5.1.1"), a full or multi-line reply, a Gmail help-page line
 * (421, "4.7.0", text), a log line or a DSN Diagnostic-Code ("smtp; 550 ..."),
 * and fills a struct explain_result: the basic and enhanced codes with their
 * registry meanings, permanence, a reason category (a small fixed set shared
 * with bounce-processing tools), who has to act, the provider or product the
 * text identifies, and advice.  explain_action() turns a result into what the
 * relay should do next.  explain_bounce() (bounce.h) parses whole bounce
 * messages with the same classifier.
 *
 * The classifier weighs, in order: a text pattern (provider documentation
 * first, then generic wording), the enhanced code, the basic code.  Text
 * beats a generic code, so "550 5.0.0 mailbox full" is mailboxfull.
 *
 * Ownership: the caller owns the struct; every const char * in it points to
 * static data or into the struct itself, valid as long as the struct is.
 * Errors: never fails on any byte sequence; unknown or malformed input gives
 * REASON_UNDEFINED (or the class-level guess) and warnings in the result.
 * Threading: no global state; safe from any thread.
 */
#ifndef FERRY_EXPLAIN_H
#define FERRY_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

/* Reason categories; names (explain_reason_name) are stable API. */
enum explain_reason {
	REASON_UNDEFINED = 0,
	REASON_USERUNKNOWN,
	REASON_HOSTUNKNOWN,
	REASON_MAILBOXFULL,
	REASON_MESGTOOBIG,
	REASON_EXCEEDLIMIT,
	REASON_FILTERED,
	REASON_REJECTED,
	REASON_BLOCKED,
	REASON_SPAMDETECTED,
	REASON_POLICYVIOLATION,
	REASON_SECURITYERROR,
	REASON_AUTHFAILURE,
	REASON_REQUIREPTR,
	REASON_BADREPUTATION,
	REASON_NORELAYING,
	REASON_NOTACCEPT,
	REASON_RATELIMITED,
	REASON_TOOMANYCONN,
	REASON_SYSTEMERROR,
	REASON_SYSTEMFULL,
	REASON_NETWORKERROR,
	REASON_EXPIRED,
	REASON_SUSPEND,
	REASON_CONTENTERROR,
	REASON_SYNTAXERROR,
	REASON_NOTCOMPLIANTRFC,
	REASON_MAILERERROR,
	REASON_ONHOLD,
	REASON_DELIVERED,
	REASON_VACATION,
	REASON_FEEDBACK,
	REASON_HASMOVED,
	REASON_VIRUSDETECTED,
	REASON_FAILEDSTARTTLS,
	REASON_SUPPRESSED,
	REASON_COUNT
};

/* Who has to do something for the mail to get through. */
enum explain_actor {
	ACTOR_NOBODY = 0,      /* nobody: wait, the sending server retries */
	ACTOR_SENDER,          /* the person who wrote the message */
	ACTOR_SENDER_ADMIN,    /* whoever runs the sending server or domain */
	ACTOR_RECIPIENT_ADMIN, /* the receiving side (admin or mailbox owner) */
};

enum explain_permanence {
	PERM_UNKNOWN = 0,
	PERM_SUCCESS,   /* 2yz / 3yz, 2.X.X */
	PERM_TRANSIENT, /* 4yz, 4.X.X: retrying may work */
	PERM_PERMANENT, /* 5yz, 5.X.X: do not resend unchanged */
};

/* What the relay does with a remote reply. */
enum explain_action {
	ACT_DELIVERED,
	ACT_RETRY,
	ACT_BOUNCE,
	ACT_BACKOFF_DESTINATION, /* defer every message for this destination */
	ACT_SPLIT_TRANSACTION,   /* retry the rest in a new transaction */
};

/* The SMTP command a reply answered, when the caller knows it. */
enum explain_stage {
	STAGE_UNKNOWN = 0,
	STAGE_CONNECT,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
};

/* Result flags: what was (not) found in the input. */
#define EXPLAIN_F_BASIC 0x01          /* a basic code was found */
#define EXPLAIN_F_ENHANCED 0x02       /* an enhanced code was found */
#define EXPLAIN_F_TEXT_MATCH 0x04     /* a text pattern decided the reason */
#define EXPLAIN_F_NONSTANDARD 0x08    /* basic code not in RFC 5321 & co */
#define EXPLAIN_F_UNREGISTERED 0x10   /* enhanced code not in the registry */
#define EXPLAIN_F_CLASS_MISMATCH 0x20 /* 4yz with 5.X.X or the reverse */

#define EXPLAIN_TEXT_MAX 1024
#define EXPLAIN_MAX_WARNINGS 4

struct explain_result {
	int basic;         /* 0 if none */
	char enhanced[16]; /* "5.7.26", "" if none */
	int enh_class, enh_subject, enh_detail;
	char text[EXPLAIN_TEXT_MAX]; /* the reply text, codes removed */
	unsigned flags;

	const char *basic_meaning; /* RFC 5321 text, or a note */
	const char *basic_reference;
	const char *enhanced_name;    /* IANA sample text */
	const char *enhanced_meaning; /* IANA description */
	const char *enhanced_reference;
	const char *class_meaning;   /* "Permanent Failure" */
	const char *subject_meaning; /* "Addressing Status" */

	enum explain_permanence permanence;
	enum explain_reason reason;
	enum explain_actor actor;
	char provider[96];         /* "Gmail", "Postfix, Spamhaus", or "" */
	const char *provider_note; /* what that provider says it means */
	const char *advice;        /* never NULL after explain_reply() */
	enum explain_action action_hint; /* text-implied relay action, or -1 */

	const char *warnings[EXPLAIN_MAX_WARNINGS];
	int nwarnings;
};

/*
 * Explain one reply.  len may be (size_t)-1 for a NUL-terminated string.
 * Returns 0 when a code or a recognised wording was found, -1 when the input
 * said nothing recognisable (the result still holds the best guess).
 */
int explain_reply(const char *input, size_t len, struct explain_result *r);

/* Classify already-split parts (the relay's path; no text parsing of codes).
 * enhanced may be NULL or ""; text may be NULL. */
void explain_parts(int basic, const char *enhanced, const char *text,
                   struct explain_result *r);

/* What the relay should do after receiving this reply at this stage. */
enum explain_action explain_action(const struct explain_result *r,
                                   enum explain_stage stage);

/* One-call form for the relay: classify (basic, enhanced, text), decide. */
enum explain_action explain_decide(int basic, const char *enhanced,
                                   const char *text, enum explain_stage stage,
                                   enum explain_reason *reason_out);

/* Stable names and one-line meanings; never NULL. */
const char *explain_reason_name(enum explain_reason reason);
const char *explain_reason_meaning(enum explain_reason reason);
const char *explain_reason_advice(enum explain_reason reason);
enum explain_reason explain_reason_from_name(const char *name); /* or -1 */
const char *explain_actor_name(enum explain_actor actor);
const char *explain_permanence_name(enum explain_permanence perm);
const char *explain_action_name(enum explain_action action);

/* Whether a reason means "hard bounce": the address should be removed from
 * mailing lists (userunknown, hostunknown, hasmoved; notaccept unless
 * transient), whatever the reply class. */
int explain_is_hard(const struct explain_result *r);
int explain_reason_is_hard(enum explain_reason reason, int transient);

/* A provider's reply, quoted from the seed documents, that a sending-side
 * problem leads to ("no-ptr", "generic-ip", "helo", "dnsbl", "spf-fail",
 * "unauthenticated", "dmarc", "tls-required", "spam-wave"), or NULL.
 * explain_sample_key(i) lists the keys (NULL after the last). */
const char *explain_sample(const char *key);
const char *explain_sample_key(size_t i);

/* Output: human-readable block, or one JSON object (no trailing newline). */
void explain_print_human(FILE *out, const char *input,
                         const struct explain_result *r);
void explain_print_json(FILE *out, const char *input,
                        const struct explain_result *r);

#endif
