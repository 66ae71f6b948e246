/*
 * reason.c — the reason categories: stable names, one-line meanings, who
 * usually has to act and generic advice.  The names follow the taxonomy that
 * bounce-processing tools already use, so users can map one onto the other;
 * docs/explain.md lists the same table.
 */
#include <string.h>

#include "explain/explain.h"
#include "explain/explain_int.h"

struct reason_def {
	const char *name;
	const char *meaning;
	enum explain_actor actor;
	const char *advice;
};

/* clang-format off */
static const struct reason_def reasons[REASON_COUNT] = {
	[REASON_UNDEFINED] = {"undefined",
	    "The reply does not say clearly why the mail failed.",
	    ACTOR_SENDER_ADMIN,
	    "Read the full reply text and the sending server's log; if it keeps failing, ask the recipient's postmaster what the reply means."},
	[REASON_USERUNKNOWN] = {"userunknown",
	    "The recipient mailbox does not exist at the destination.",
	    ACTOR_SENDER,
	    "Check the recipient address for typos; if it is right, the mailbox was removed: reach the person another way and remove the address from your lists."},
	[REASON_HOSTUNKNOWN] = {"hostunknown",
	    "The recipient domain does not exist or has no usable mail servers in DNS.",
	    ACTOR_SENDER,
	    "Check the domain part of the address for typos; if it is right, the recipient's domain has broken DNS (MX/A records) and its owner must fix it."},
	[REASON_MAILBOXFULL] = {"mailboxfull",
	    "The recipient mailbox is over its storage quota.",
	    ACTOR_RECIPIENT_ADMIN,
	    "The recipient has to free space or get a bigger quota; tell them by another channel and resend later."},
	[REASON_MESGTOOBIG] = {"mesgtoobig",
	    "The message is larger than the destination accepts.",
	    ACTOR_SENDER,
	    "Send a smaller message: shrink or remove attachments, or share large files by link."},
	[REASON_EXCEEDLIMIT] = {"exceedlimit",
	    "A per-message or per-transaction limit other than size was exceeded (e.g. recipients per message).",
	    ACTOR_SENDER,
	    "Send to fewer recipients per message, or let the sending server split the transaction; it retries the rest."},
	[REASON_FILTERED] = {"filtered",
	    "The recipient side refused this recipient on purpose (recipient-level filter or access rule).",
	    ACTOR_RECIPIENT_ADMIN,
	    "Ask the recipient (by another channel) to allow mail from you, or their administrator to lift the rule."},
	[REASON_REJECTED] = {"rejected",
	    "The envelope sender (MAIL FROM) address or its domain was refused.",
	    ACTOR_SENDER_ADMIN,
	    "Make sure the sender address exists, its domain resolves (MX or A record) and you are allowed to send as it."},
	[REASON_BLOCKED] = {"blocked",
	    "The sending server's IP address or host name is blocked (blocklist, HELO or access rule).",
	    ACTOR_SENDER_ADMIN,
	    "Look up the sending IP in the blocklist named in the reply, fix the cause (open relay, infected host, bad HELO) and request delisting."},
	[REASON_SPAMDETECTED] = {"spamdetected",
	    "The message content was judged to be spam or malware.",
	    ACTOR_SENDER,
	    "Review the content and links, send only to people who asked for it, and sign the mail (SPF, DKIM, DMARC); do not resend unchanged."},
	[REASON_POLICYVIOLATION] = {"policyviolation",
	    "The message breaks a policy set by the recipient domain or the provider.",
	    ACTOR_SENDER,
	    "Ask the recipient's administrator which policy blocked the message and adapt the message or sending setup to it."},
	[REASON_SECURITYERROR] = {"securityerror",
	    "SMTP authentication or TLS requirements were not met.",
	    ACTOR_SENDER_ADMIN,
	    "Check the mail client or relay settings: STARTTLS/TLS on, correct port, a supported AUTH mechanism, valid user name and password (or app password)."},
	[REASON_AUTHFAILURE] = {"authfailure",
	    "The message failed sender authentication (SPF, DKIM or DMARC).",
	    ACTOR_SENDER_ADMIN,
	    "Publish an SPF record that covers the sending IP, sign with DKIM aligned to the From domain, and check the DMARC policy; then resend."},
	[REASON_REQUIREPTR] = {"requireptr",
	    "The sending IP has no (matching) reverse DNS (PTR) record.",
	    ACTOR_SENDER_ADMIN,
	    "Ask whoever owns the sending IP to set a PTR record whose name resolves back to the IP, and use that name in HELO."},
	[REASON_BADREPUTATION] = {"badreputation",
	    "The sending IP or domain has a poor reputation (spam complaints, unusual volume).",
	    ACTOR_SENDER_ADMIN,
	    "Lower the sending rate, remove unengaged and unsolicited recipients, authenticate mail, and check the provider's postmaster tools."},
	[REASON_NORELAYING] = {"norelaying",
	    "The server will not relay for this sender or destination.",
	    ACTOR_SENDER_ADMIN,
	    "Send through your own provider's server with SMTP authentication, or check that the recipient domain is really hosted on the server you connected to."},
	[REASON_NOTACCEPT] = {"notaccept",
	    "The destination does not accept mail at all (null MX, 521/556).",
	    ACTOR_SENDER,
	    "The domain publishes that it receives no mail; use a different address for this recipient."},
	[REASON_RATELIMITED] = {"ratelimited",
	    "A sending or receiving rate or quota was exceeded (alias: speeding).",
	    ACTOR_NOBODY,
	    "Slow down: the limit resets with time; the sending server retries later. If you hit a daily quota, wait for the reset or spread the mailing."},
	[REASON_TOOMANYCONN] = {"toomanyconn",
	    "Too many connections or sessions from the sending host.",
	    ACTOR_NOBODY,
	    "Nothing to do for a single message; the sending server should open fewer parallel connections and retry."},
	[REASON_SYSTEMERROR] = {"systemerror",
	    "The remote mail system had an internal or configuration problem.",
	    ACTOR_NOBODY,
	    "Wait: the sending server retries. If it lasts for days, tell the recipient's postmaster."},
	[REASON_SYSTEMFULL] = {"systemfull",
	    "The remote mail system is out of disk or memory.",
	    ACTOR_NOBODY,
	    "Wait for the destination to free resources; the sending server retries."},
	[REASON_NETWORKERROR] = {"networkerror",
	    "Connection, DNS, routing or mail-loop problem between the servers.",
	    ACTOR_NOBODY,
	    "Usually transient; the sending server retries. If it persists, check DNS, firewalls and forwarding loops."},
	[REASON_EXPIRED] = {"expired",
	    "The message stayed in the queue longer than allowed and was given up.",
	    ACTOR_SENDER_ADMIN,
	    "Find out why earlier attempts failed (the queue log has the last error), fix it and resend."},
	[REASON_SUSPEND] = {"suspend",
	    "The recipient mailbox exists but is disabled or suspended.",
	    ACTOR_SENDER,
	    "The account no longer takes mail; reach the person another way and stop mailing this address."},
	[REASON_CONTENTERROR] = {"contenterror",
	    "The message content or MIME structure could not be handled.",
	    ACTOR_SENDER,
	    "Check the message encoding and attachments; resend as plain, well-formed MIME."},
	[REASON_SYNTAXERROR] = {"syntaxerror",
	    "An SMTP command or its arguments were invalid or out of sequence.",
	    ACTOR_SENDER_ADMIN,
	    "The sending software spoke SMTP wrongly: update or fix its configuration (HELO name, address syntax, command order)."},
	[REASON_NOTCOMPLIANTRFC] = {"notcompliantrfc",
	    "The message does not comply with the Internet Message Format (RFC 5322).",
	    ACTOR_SENDER_ADMIN,
	    "Fix the generating software: single From/Date/Message-ID headers, valid header syntax, line length limits."},
	[REASON_MAILERERROR] = {"mailererror",
	    "A local delivery program on the destination failed.",
	    ACTOR_RECIPIENT_ADMIN,
	    "The recipient's administrator must fix the delivery agent (filter script, program alias)."},
	[REASON_ONHOLD] = {"onhold",
	    "Delivery is held for now (e.g. greylisting); the final outcome is not known yet.",
	    ACTOR_NOBODY,
	    "Nothing to do: a compliant sending server retries and the message is accepted later."},
	[REASON_DELIVERED] = {"delivered",
	    "Positive reply: the step succeeded (or, for 3yz, continues).",
	    ACTOR_NOBODY,
	    "Nothing to do."},
	[REASON_VACATION] = {"vacation",
	    "An automatic reply (out of office); the message was delivered.",
	    ACTOR_NOBODY,
	    "Nothing to do; the recipient is away."},
	[REASON_FEEDBACK] = {"feedback",
	    "A feedback (abuse/complaint) report about a message you sent.",
	    ACTOR_SENDER_ADMIN,
	    "Stop mailing the complaining recipient and review how the address was collected."},
	[REASON_HASMOVED] = {"hasmoved",
	    "The recipient mailbox has moved and mail to it is not forwarded.",
	    ACTOR_SENDER,
	    "Ask the person for their new address (the reply may name it) and replace the old one in your lists."},
	[REASON_VIRUSDETECTED] = {"virusdetected",
	    "The receiver's virus scanner found malware in the message.",
	    ACTOR_SENDER,
	    "Scan the sending machine and the attachment; send the content again only once it is clean."},
	[REASON_FAILEDSTARTTLS] = {"failedstarttls",
	    "Delivery needed TLS (STARTTLS) and the TLS negotiation failed or was not offered.",
	    ACTOR_SENDER_ADMIN,
	    "Check the TLS settings on both sides (certificates, protocol versions, MTA-STS/DANE policy) and retry."},
	[REASON_SUPPRESSED] = {"suppressed",
	    "The sending platform did not send: the recipient is on its suppression list.",
	    ACTOR_SENDER_ADMIN,
	    "The address bounced or complained before; remove it from the suppression list only if you know it works again."},
};
/* clang-format on */

const char *
explain_reason_name(enum explain_reason reason)
{
	if ((unsigned)reason >= REASON_COUNT)
		reason = REASON_UNDEFINED;
	return reasons[reason].name;
}

const char *
explain_reason_meaning(enum explain_reason reason)
{
	if ((unsigned)reason >= REASON_COUNT)
		reason = REASON_UNDEFINED;
	return reasons[reason].meaning;
}

const char *
explain_reason_advice(enum explain_reason reason)
{
	if ((unsigned)reason >= REASON_COUNT)
		reason = REASON_UNDEFINED;
	return reasons[reason].advice;
}

enum explain_actor
reason_default_actor(enum explain_reason reason)
{
	if ((unsigned)reason >= REASON_COUNT)
		reason = REASON_UNDEFINED;
	return reasons[reason].actor;
}

enum explain_reason
explain_reason_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return (enum explain_reason) - 1;
	if (strcmp(name, "speeding") == 0)
		return REASON_RATELIMITED;
	for (i = 0; i < REASON_COUNT; i++)
		if (strcmp(reasons[i].name, name) == 0)
			return (enum explain_reason)i;
	return (enum explain_reason) - 1;
}

const char *
explain_actor_name(enum explain_actor actor)
{
	switch (actor) {
	case ACTOR_SENDER:
		return "sender";
	case ACTOR_SENDER_ADMIN:
		return "sender_admin";
	case ACTOR_RECIPIENT_ADMIN:
		return "recipient_admin";
	case ACTOR_NOBODY:
	default:
		return "nobody";
	}
}

const char *
explain_permanence_name(enum explain_permanence perm)
{
	switch (perm) {
	case PERM_SUCCESS:
		return "success";
	case PERM_TRANSIENT:
		return "transient";
	case PERM_PERMANENT:
		return "permanent";
	case PERM_UNKNOWN:
	default:
		return "unknown";
	}
}

const char *
explain_action_name(enum explain_action action)
{
	switch (action) {
	case ACT_DELIVERED:
		return "delivered";
	case ACT_RETRY:
		return "retry";
	case ACT_BOUNCE:
		return "bounce";
	case ACT_BACKOFF_DESTINATION:
		return "backoff_destination";
	case ACT_SPLIT_TRANSACTION:
		return "split_transaction";
	default:
		return "retry";
	}
}
