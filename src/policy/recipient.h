/*
 * recipient — decides what a RCPT address means for this server: a local
 * mailbox (after alias expansion), a disabled one, an unknown one, or a
 * foreign domain.  Returns a verdict, never reply text: the SMTP session maps
 * verdicts to registry replies.
 *
 * Ownership: targets are heap strings owned by the result; free with
 * recipient_result_free().  Thread-safe: reads the immutable config and
 * the lookup tables (src/map/), which lock themselves.
 */
#ifndef FERRY_POLICY_RECIPIENT_H
#define FERRY_POLICY_RECIPIENT_H

#include <stddef.h>

struct config;
struct config_domain;

enum recipient_verdict {
	RCPT_LOCAL,         /* deliver to targets[] (local mailbox addresses) */
	RCPT_UNKNOWN,       /* local domain, no such mailbox or alias */
	RCPT_DISABLED,      /* mailbox exists but is disabled */
	RCPT_FOREIGN,       /* not one of our domains: relaying */
	RCPT_ROUTING,       /* local part uses %-hack or '!' routing */
	RCPT_RELAY,         /* a recipient of a [relay_domain]: targets[0] */
	RCPT_RELAY_UNKNOWN, /* not among the [relay_domain]'s recipients */
	RCPT_LOOKUP_FAILED, /* a lookup table could not be read: try later */
};

struct recipient_result {
	enum recipient_verdict verdict;
	char **targets; /* "user@domain", lower-case, de-duplicated */
	size_t ntargets;
};

/*
 * local_part is the unquoted local part; domain as given (case-insensitive).
 * "postmaster" (any case, RFC 5321 s4.5.1) is always accepted for a local
 * domain.  An address without domain, or for one of the host's names
 * (config_is_host_name()), is for the origin domain (config_origin()).
 * A local part that is not a mailbox or alias is tried without its
 * extension (recipient_delimiter), and root falls back to postmaster,
 * before a catch_all takes it; a domain's alias_map is asked after its
 * own mailboxes and aliases.  Aliases expand recursively (bounded depth);
 * a target in a foreign domain stays as it is.  A [relay_domain]'s
 * recipient is checked against its recipients and recipient_map.
 */
void recipient_resolve(const struct config *cfg, const char *local_part,
                       const char *domain, struct recipient_result *out);
void recipient_result_free(struct recipient_result *res);

/* Opens the lookup tables cfg names, so that lookups never wait for a
 * first load; a file that cannot be opened is logged. */
void recipient_maps_open(const struct config *cfg);

/* Maildir path of a local mailbox address, or NULL when it is not local
 * or is delivered over LMTP. */
char *recipient_maildir(const struct config *cfg, const char *address);
/* The domain whose LMTP server takes this local mailbox address, or NULL. */
const struct config_domain *recipient_lmtp(const struct config *cfg,
                                           const char *address);

#endif
