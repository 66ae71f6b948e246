/*
 * policy — whether to accept a client, a HELO name, a sender or a
 * recipient.  A table of rules per SMTP stage (connect, HELO, MAIL, RCPT,
 * DATA); the session asks once per stage and gets one verdict: pass, or a
 * refusal naming the rule, the key it counted (IP, sender, user,
 * recipient) and the registry reply to send.  Rules, options and replies
 * are listed in docs/policy.md.
 *
 * Rules remember through one state interface (state.h): the embedded
 * backend by default.  Since a shared backend answers later, the verdict
 * comes through a callback, which may run before policy_check() returns.
 *
 * Every refusal is logged (event=policy rule= key= reply=) and counted
 * per rule; the control socket reads the counts (`ferry policy stats`)
 * and asks what would happen to a made-up client (`ferry policy check`).
 *
 * Ownership: facts belong to the caller and must live until the verdict
 * (or policy_cancel()).  Threads: event-loop thread only.
 */
#ifndef FERRY_POLICY_H
#define FERRY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct event_base;
struct recipient_result;
struct mailauth_results;

enum policy_stage {
	POLICY_CONNECT,
	POLICY_HELO,
	POLICY_MAIL,
	POLICY_RCPT,
	POLICY_DATA,
	POLICY_NSTAGES,
};

/* What the session knows when it asks. */
struct policy_facts {
	const char *client_ip;
	enum listener_role role;
	unsigned client_connections; /* open ones from its network, with it */
	const char *helo;            /* NULL before HELO/EHLO */
	const char *auth_user;       /* NULL when not authenticated */
	const char *sender;          /* "" for <>, NULL before MAIL */
	const char *rcpt;            /* "local@domain" as formatted */
	const char *rcpt_local;
	const char *rcpt_domain; /* "[literal]" for an address literal */
	unsigned rcpt_accepted;  /* recipients accepted so far */
	size_t mail_size;        /* MAIL SIZE=, 0 when not declared */
	/* Filled by the recipient rule: where the mail goes. */
	struct recipient_result *rcpt_result;
	bool dry_run; /* `policy check`: count and record nothing */
	/* Kept for the session by the rules: the client is on a DNS allow
	 * list (1), is not (2), not yet asked (0). */
	int dnswl;
	/* The asker's configuration: domains, aliases, senders and names
	 * are looked up in it (a reload may have changed them since the
	 * policy started).  NULL: the policy's own. */
	const struct config *cfg;
	/* Sender authentication ([mailauth] verify): what the checks found
	 * in this transaction (policy_auth_new()), NULL when not checked. */
	struct mailauth_results *auth;
	bool quarantine; /* DATA: DMARC asks for quarantine, enforced */
	/* DATA: the message (CRLF lines) and its recipients. */
	const char *msg;
	size_t msg_len;
	const char *const *data_rcpts;
	size_t data_nrcpts;
};

#define POLICY_ARG_MAX 320

struct policy_verdict {
	bool refused;
	bool close; /* end the connection after the reply */
	int reply;  /* enum reply_id (reply.h clashes with unistd.h's R_OK) */
	char args[2][POLICY_ARG_MAX]; /* the reply's %s arguments */
	const char *rule;             /* NULL when passed */
	char key[POLICY_ARG_MAX];
};

typedef void (*policy_done_fn)(void *arg, const struct policy_verdict *v);

struct policy;
struct policy_run;

struct policy *policy_new(struct event_base *base, const struct config *cfg);
/* Saves the state; pending runs must have been cancelled. */
void policy_free(struct policy *p);

/*
 * Runs the rules of stage in order.  done() is called exactly once, maybe
 * before this returns (then NULL is returned); otherwise the pending run is
 * returned, and policy_cancel() drops it without calling done().
 */
struct policy_run *policy_check(struct policy *p, enum policy_stage stage,
                                struct policy_facts *f, policy_done_fn done,
                                void *arg);
void policy_cancel(struct policy_run *r);

/* Local delivery wrote size octets into address's Maildir: its quota
 * usage grows (loop thread, like every call here). */
void policy_quota_delivered(struct policy *p, const char *address, size_t size);

/* Sender authentication ([mailauth], docs/mail-auth.md): whether this
 * client's mail is checked, the per-transaction results, and at the end
 * of DATA the fields to add on top: Authentication-Results (and
 * X-Ferry-Quarantine); msg loses, in place, any Authentication-Results
 * field that claims ferry's authserv-id (*len shrinks).  Returns the
 * length written to out, 0 for none. */
bool policy_auth_wanted(const struct config *cfg, enum listener_role role,
                        const char *auth_user);
struct mailauth_results *policy_auth_new(void);
void policy_auth_free(struct mailauth_results *a);
size_t policy_auth_fields(const struct config *cfg,
                          const struct policy_facts *f, char *msg, size_t *len,
                          char *out, size_t outlen);

/* Recipients per transaction for this listener and user (RCPTMAX). */
int policy_rcpt_max(const struct config *cfg, enum listener_role role,
                    const char *auth_user);

/*
 * Control socket: "STATS", "CHECK IP HELO FROM TO", "CLOCK SECONDS".
 * Writes one line (with "\n") to reply; a CHECK that waits for the DNS or
 * a shared state leaves reply empty and answers once through
 * later(token, line).
 */
void policy_control(struct policy *p, const char *args, char *reply, size_t len,
                    void (*later)(void *token, const char *text), void *token);

#endif
