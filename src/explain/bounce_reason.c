/*
 * bounce_reason.c — one reason per reported recipient.  The evidence is
 * weighed in a fixed order of trust:
 *
 *   1. the reporting family's own sentences (src/explain/families/);
 *   2. sentences whose meaning does not depend on who wrote them ("mailbox
 *      is full", "relay access denied"), in the order of the table below;
 *   3. the enhanced status code, when it names a condition (5.1.1, 5.2.2,
 *      5.7.26, ...);
 *   4. the reply classifier of `ferry explain` (patterns.c), which also
 *      knows generic words ("blocked", "policy");
 *   5. the enhanced code's subject (X.6 content, X.7 security), a local
 *      delivery program (x-unix), a delay notice (expired);
 *   6. "onhold" when there was text that said nothing decisive.
 *
 * The SMTP command a reply answered corrects the result: a refusal of MAIL
 * FROM is about the sender, not the recipient.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "explain/bounce_int.h"
#include "explain/explain_int.h"
#include "explain/family.h"

struct phrase {
	const char *match;
	enum explain_reason reason;
};

#define R(m, r)                                                                \
	{                                                                      \
		m, REASON_##r                                                  \
	}

/* clang-format off */
/* Sentences common to many MTAs.  Order matters: the first row that
 * matches decides, so narrower meanings come first (a full mailbox is
 * reported with "user" in the text, a sender refusal with "does not
 * exist"). */
static const struct phrase phrases[] = {
	/* the sending host's DNS (often worded as "sender domain") */
	R("reverse dns", REQUIREPTR),
	R("reverse lookup", REQUIREPTR),
	R("reverse hostname", REQUIREPTR),
	R("ptr record", REQUIREPTR),
	R("no ptr", REQUIREPTR),
	R("rdns", REQUIREPTR),
	R("cannot find your hostname", REQUIREPTR),
	R("cannot resolve your address", REQUIREPTR),
	R("not resolve your", REQUIREPTR),
	R("hostname does not match", REQUIREPTR),
	R("mismatches client ip", REQUIREPTR),
	R("ip name lookup failed", REQUIREPTR),
	/* spam named as such, before words that describe the checks */
	R("spam classification", SPAMDETECTED),
	/* the envelope sender */
	R("domain of sender address", REJECTED),
	R("sender address rejected", REJECTED),
	R("sender domain", REJECTED),
	R("sender verify failed", REJECTED),
	R("sender verification", REJECTED),
	R("sender unknown", REJECTED),
	R("invalid sender", REJECTED),
	R("bad sender", REJECTED),
	R("sender rejected", REJECTED),
	R("purported responsible address", REJECTED),
	R("sender is not allowed", REJECTED),
	R("sender address is", REJECTED),
	R("envelope sender", REJECTED),
	R("your envelope", REJECTED),
	R("return path", REJECTED),
	R("unknown sender", REJECTED),
	R("mail from address", REJECTED),
	/* the mailbox */
	R("mailbox full", MAILBOXFULL),
	R("mailbox is full", MAILBOXFULL),
	R("mailbox is over", MAILBOXFULL),
	R("over quota", MAILBOXFULL),
	R("overquota", MAILBOXFULL),
	R("over the quota", MAILBOXFULL),
	R("quota exceeded", MAILBOXFULL),
	R("exceeded * quota", MAILBOXFULL),
	R("exceeds * quota", MAILBOXFULL),
	R("mailbox size limit", MAILBOXFULL),
	R("exceeds allowed size", MAILBOXFULL),
	R("mailbox exceeds", MAILBOXFULL),
	R("exceeded storage", MAILBOXFULL),
	R("storage limit", MAILBOXFULL),
	R("account is full", MAILBOXFULL),
	R("mailbox has exceeded", MAILBOXFULL),
	R("not enough space in the mailbox", MAILBOXFULL),
	R("insufficient disk quota", MAILBOXFULL),
	R("message length exceeds administrative limit", EXCEEDLIMIT),
	R("too large for this recipient", EXCEEDLIMIT),
	R("message too large", MESGTOOBIG),
	R("message too big", MESGTOOBIG),
	R("message is too large", MESGTOOBIG),
	R("message is too big", MESGTOOBIG),
	R("message size exceeds", MESGTOOBIG),
	R("message size * exceeds", MESGTOOBIG),
	R("exceeds size limit", MESGTOOBIG),
	R("size limit exceeded", MESGTOOBIG),
	R("exceeds the maximum size", MESGTOOBIG),
	R("exceeds the size limit", MESGTOOBIG),
	R("message exceeds * size", MESGTOOBIG),
	R("mail size", MESGTOOBIG),
	R("account has been disabled", SUSPEND),
	R("account is disabled", SUSPEND),
	R("account disabled", SUSPEND),
	R("has been disabled", SUSPEND),
	R("account has been suspended", SUSPEND),
	R("account is suspended", SUSPEND),
	R("account suspended", SUSPEND),
	R("user is suspended", SUSPEND),
	R("is inactive", SUSPEND),
	R("account inactive", SUSPEND),
	R("mailbox is inactive", SUSPEND),
	R("mailbox disabled", SUSPEND),
	R("mailbox is disabled", SUSPEND),
	R("is no longer active", SUSPEND),
	R("discontinued", SUSPEND),
	R("has been frozen", SUSPEND),
	R("account is locked", SUSPEND),
	R("temporarily locked", SUSPEND),
	R("temporary locked", SUSPEND),
	R("is disabled", SUSPEND),
	R("is frozen", SUSPEND),
	R("account is blocked", SUSPEND),
	R("account has been locked", SUSPEND),
	R("mailbox has moved", HASMOVED),
	R("address has moved", HASMOVED),
	R("user has moved", HASMOVED),
	R("has moved to", HASMOVED),
	R("address has changed", HASMOVED),
	R("relay access denied", NORELAYING),
	R("relaying denied", NORELAYING),
	R("relay denied", NORELAYING),
	R("relaying not allowed", NORELAYING),
	R("relaying is not allowed", NORELAYING),
	R("not permitted to relay", NORELAYING),
	R("relay not permitted", NORELAYING),
	R("unable to relay", NORELAYING),
	R("we do not relay", NORELAYING),
	R("no relaying", NORELAYING),
	R("relaying mail to * is not allowed", NORELAYING),
	R("not a gateway", NORELAYING),
	R("relay not allowed", NORELAYING),
	R("dmarc", AUTHFAILURE),
	R("spf check", AUTHFAILURE),
	R("spf fail", AUTHFAILURE),
	R("spf record", AUTHFAILURE),
	R("spf validation", AUTHFAILURE),
	R("sender policy framework", AUTHFAILURE),
	R("dkim", AUTHFAILURE),
	R("sender is unauthenticated", AUTHFAILURE),
	R("unauthenticated email", AUTHFAILURE),
	/* the recipient domain, when worded like a missing user */
	R("domain does not exist", HOSTUNKNOWN),
	R("domain doesn't exist", HOSTUNKNOWN),
	R("domain is not reachable", HOSTUNKNOWN),
	/* the recipient address */
	R("user unknown", USERUNKNOWN),
	R("unknown user", USERUNKNOWN),
	R("no such user", USERUNKNOWN),
	R("no such mailbox", USERUNKNOWN),
	R("no such recipient", USERUNKNOWN),
	R("no such account", USERUNKNOWN),
	R("no mailbox here", USERUNKNOWN),
	R("mailbox not found", USERUNKNOWN),
	R("mailbox does not exist", USERUNKNOWN),
	R("user not found", USERUNKNOWN),
	R("user does not exist", USERUNKNOWN),
	R("user doesn't exist", USERUNKNOWN),
	R("recipient not found", USERUNKNOWN),
	R("recipient unknown", USERUNKNOWN),
	R("unknown recipient", USERUNKNOWN),
	R("recipient does not exist", USERUNKNOWN),
	R("recipient address rejected: user", USERUNKNOWN),
	R("recipient address rejected: unknown", USERUNKNOWN),
	R("invalid recipient", USERUNKNOWN),
	R("invalid mailbox", USERUNKNOWN),
	R("invalid address", USERUNKNOWN),
	R("address invalid", USERUNKNOWN),
	R("address not found", USERUNKNOWN),
	R("address unknown", USERUNKNOWN),
	R("addressee unknown", USERUNKNOWN),
	R("unknown address", USERUNKNOWN),
	R("not a valid mailbox", USERUNKNOWN),
	R("not a valid user", USERUNKNOWN),
	R("is not a valid", USERUNKNOWN),
	R("name is not recognized", USERUNKNOWN),
	R("unknown local part", USERUNKNOWN),
	R("no account by that name", USERUNKNOWN),
	R("account does not exist", USERUNKNOWN),
	R("doesn't have a * account", USERUNKNOWN),
	R("bad destination mailbox", USERUNKNOWN),
	R("undeliverable address", USERUNKNOWN),
	R("no valid recipients", USERUNKNOWN),
	R("does not exist", USERUNKNOWN),
	R("doesn't exist", USERUNKNOWN),
	R("not our customer", USERUNKNOWN),
	R("mailbox unavailable", USERUNKNOWN),
	R("mailbox not available", USERUNKNOWN),
	/* content refused on purpose */
	R("recipient preferences", FILTERED),
	R("refused by the recipient", FILTERED),
	R("rejected by the recipient", FILTERED),
	R("recipient has rejected", FILTERED),
	R("not accepting mail from", FILTERED),
	R("rfc 5322", NOTCOMPLIANTRFC),
	R("rfc5322", NOTCOMPLIANTRFC),
	R("rfc 2822", NOTCOMPLIANTRFC),
	R("rfc2822", NOTCOMPLIANTRFC),
	R("rfc 822", NOTCOMPLIANTRFC),
	R("rfc822 ", NOTCOMPLIANTRFC),
	R("multiple * addresses in from", NOTCOMPLIANTRFC),
	R("multiple addresses in from", NOTCOMPLIANTRFC),
	R("duplicate header", NOTCOMPLIANTRFC),
	R("not rfc compliant", NOTCOMPLIANTRFC),
	R("reputation", BADREPUTATION),
	R("user complaints", BADREPUTATION),
	R("unexpected volume", BADREPUTATION),
	R("sender score", BADREPUTATION),
	R("invalid header", CONTENTERROR),
	R("illegal header", CONTENTERROR),
	R("improper header", CONTENTERROR),
	R("malformed message", CONTENTERROR),
	R("content error", CONTENTERROR),
	R("media error", CONTENTERROR),
	R("header error", POLICYVIOLATION),
	R("mime error", CONTENTERROR),
	/* the recipient domain */
	R("host unknown", HOSTUNKNOWN),
	R("unknown host", HOSTUNKNOWN),
	R("host not found", HOSTUNKNOWN),
	R("domain not found", HOSTUNKNOWN),
	R("domain name not found", HOSTUNKNOWN),
	R("no such domain", HOSTUNKNOWN),
	R("unknown domain", HOSTUNKNOWN),
	R("unrouteable address", HOSTUNKNOWN),
	R("unroutable address", HOSTUNKNOWN),
	R("host or domain name not found", HOSTUNKNOWN),
	R("no mx record", HOSTUNKNOWN),
	R("recipient domain", HOSTUNKNOWN),
	R("domain is not valid", HOSTUNKNOWN),
	R("all relevant mx records point to non-existent hosts", HOSTUNKNOWN),
	R("name or service not known", HOSTUNKNOWN),
	R("mail domain", HOSTUNKNOWN),
	/* the message content and rates; blocklists named after spam first */
	R("blacklisted url", SPAMDETECTED),
	R("uribl", SPAMDETECTED),
	R("blocked using", BLOCKED),
	R("client host blocked", BLOCKED),
	R("banned sending ip", BLOCKED),
	R("invalid ip for sending", BLOCKED),
	R("smtp server of your isp", BLOCKED),
	R("blacklist", BLOCKED),
	R("blocklist", BLOCKED),
	R("block list", BLOCKED),
	R("dnsbl", BLOCKED),
	R("spamhaus", BLOCKED),
	R("spamcop", BLOCKED),
	R("client host rejected", BLOCKED),
	R("virus", VIRUSDETECTED),
	R("malware", VIRUSDETECTED),
	R("infected", VIRUSDETECTED),
	R("spam", SPAMDETECTED),
	R("unsolicited", SPAMDETECTED),
	R("junk mail", SPAMDETECTED),
	R("bulk mail", SPAMDETECTED),
	R("content rejected", SPAMDETECTED),
	R("content filter", FILTERED),
	R("message filtered", FILTERED),
	R("receiving mail at a rate", RATELIMITED),
	R("too many messages", RATELIMITED),
	R("too fast", RATELIMITED),
	R("too quickly", RATELIMITED),
	R("rate limit", RATELIMITED),
	R("ratelimit", RATELIMITED),
	R("throttl", RATELIMITED),
	R("sending rate", RATELIMITED),
	R("too many connections", TOOMANYCONN),
	R("frequency limited", TOOMANYCONN),
	R("too many concurrent", TOOMANYCONN),
	R("too many sessions", TOOMANYCONN),
	R("simultaneous connections", TOOMANYCONN),
	R("connection limit", TOOMANYCONN),
	R("connections from your", TOOMANYCONN),
	/* the sending host */
	R("your ip", BLOCKED),
	R("your host", BLOCKED),
	R("helo command rejected", BLOCKED),
	R("refused to talk to me", BLOCKED),
	R("blocked", BLOCKED),
	R("not allowed to send", BLOCKED),
	R("listed in", BLOCKED),
	R("policy", POLICYVIOLATION),
	R("prohibited", POLICYVIOLATION),
	R("not allowed by", POLICYVIOLATION),
	/* the systems in between */
	R("disk full", SYSTEMFULL),
	R("insufficient disk space", SYSTEMFULL),
	R("disk is full", SYSTEMFULL),
	R("no space left", SYSTEMFULL),
	R("insufficient system storage", SYSTEMFULL),
	R("mail system full", SYSTEMFULL),
	R("out of disk", SYSTEMFULL),
	R("not accepting network messages", NOTACCEPT),
	R("does not accept mail", NOTACCEPT),
	R("not accept mail", NOTACCEPT),
	R("null mx", NOTACCEPT),
	R("no smtp service", NOTACCEPT),
	R("message expired", EXPIRED),
	R("connection timed out", EXPIRED),
	R("delivery time expired", EXPIRED),
	R("retry time not reached", EXPIRED),
	R("retry timeout exceeded", EXPIRED),
	R("too long in queue", EXPIRED),
	R("unable to deliver in", EXPIRED),
	R("could not be delivered within", EXPIRED),
	R("was not delivered within", EXPIRED),
	R("mail loop", NETWORKERROR),
	R("routing loop", NETWORKERROR),
	R("loop detected", NETWORKERROR),
	R("too many hops", NETWORKERROR),
	R("hop count", NETWORKERROR),
	R("name server", NETWORKERROR),
	R("name service error", NETWORKERROR),
	R("network error", NETWORKERROR),
	R("connection refused", NETWORKERROR),
	R("no route to host", NETWORKERROR),
	R("host unreachable", NETWORKERROR),
	R("connection reset", NETWORKERROR),
	R("lost connection", NETWORKERROR),
	R("tls handshake", FAILEDSTARTTLS),
	R("starttls", FAILEDSTARTTLS),
	R("must issue a starttls", FAILEDSTARTTLS),
	R("authentication required", SECURITYERROR),
	R("must authenticate", SECURITYERROR),
	R("authentication failed", SECURITYERROR),
	R("unauthenticated senders", SECURITYERROR),
	R("encryption required", SECURITYERROR),
	R("suppression list", SUPPRESSED),
	R("procmail", MAILERERROR),
	R("mailer error", MAILERERROR),
	R("pipe to", MAILERERROR),
	R("program exited", MAILERERROR),
	R("exited with", MAILERERROR),
	R("syntax error", SYNTAXERROR),
	R("command not recognized", SYNTAXERROR),
	R("unrecognized command", SYNTAXERROR),
	R("command unrecognized", SYNTAXERROR),
	R("not implemented", SYNTAXERROR),
	R("bad sequence of commands", SYNTAXERROR),
	R("system error", SYSTEMERROR),
	R("internal error", SYSTEMERROR),
	R("server error", SYSTEMERROR),
	R("local error", SYSTEMERROR),
	R("temporary failure", SYSTEMERROR),
	R("temporarily unavailable", SYSTEMERROR),
	R("service unavailable", SYSTEMERROR),
	R("currently unavailable", SYSTEMERROR),
	R("service not available", SYSTEMERROR),
	R("configuration error", SYSTEMERROR),
	R("system problem", SYSTEMERROR),
};
/* clang-format on */

/* Words too common to beat an enhanced code that names a condition. */
static const struct phrase weak_phrases[] = {
        R("recipient address rejected", USERUNKNOWN),
        R("address rejected", USERUNKNOWN),
        R("access denied", BLOCKED),
};

/* Reasons an enhanced code names outright; the others (X.0.0, X.7.1,
 * X.5.x ...) say too little to beat a sentence. */
static enum explain_reason
code_reason(const char *status)
{
	int c, s, d;

	if (!enhanced_parse(status, strlen(status), &c, &s, &d) || s > 9 ||
	    d > 99)
		return REASON_UNDEFINED;
	if (c == 2)
		return REASON_DELIVERED;
	switch (s * 100 + d) {
	case 101:
	case 103:
		return REASON_USERUNKNOWN;
	case 102:
		return REASON_HOSTUNKNOWN;
	case 106:
		return REASON_HASMOVED;
	case 107:
	case 108:
		return REASON_REJECTED;
	case 110:
		return REASON_NOTACCEPT;
	case 201:
	case 200:
	case 204:
		return REASON_FILTERED;
	case 202:
		return REASON_MAILBOXFULL;
	case 203:
		return REASON_EXCEEDLIMIT;
	case 301:
		return REASON_SYSTEMFULL;
	case 302:
		return REASON_NOTACCEPT;
	case 304:
		return REASON_MESGTOOBIG;
	case 401:
		return c == 4 ? REASON_EXPIRED : REASON_UNDEFINED;
	case 407:
		return REASON_EXPIRED;
	case 405:
		return REASON_SYSTEMFULL;
	case 406:
		return REASON_NETWORKERROR;
	case 600:
	case 601:
	case 602:
	case 603:
	case 605:
	case 606:
	case 607:
	case 608:
	case 609:
		return REASON_CONTENTERROR;
	case 713:
		return REASON_SUSPEND;
	case 716:
		return REASON_MESGTOOBIG;
	case 717:
	case 718:
		return REASON_HASMOVED;
	case 720:
	case 721:
	case 722:
	case 723:
	case 724:
	case 726:
		return REASON_AUTHFAILURE;
	case 725:
		return REASON_REQUIREPTR;
	case 727:
		return REASON_NOTACCEPT;
	case 730:
		return REASON_FAILEDSTARTTLS;
	default:
		return REASON_UNDEFINED;
	}
}

/* What the code says when nothing else did (weaker than code_reason). */
static enum explain_reason
code_fallback(const char *status)
{
	int c, s, d;

	if (!enhanced_parse(status, strlen(status), &c, &s, &d))
		return REASON_UNDEFINED;
	if (s == 1 && d == 0 && c == 5)
		return REASON_USERUNKNOWN;
	if (s == 3 && (d == 0 || d == 3 || d == 5))
		return REASON_SYSTEMERROR;
	if (s == 4 && d == 4)
		return c == 5 ? REASON_HOSTUNKNOWN : REASON_NETWORKERROR;
	if (s == 4 && (d == 0 || d == 2 || d == 6 || d == 8))
		return REASON_NETWORKERROR;
	if (s == 4 && d == 3)
		return REASON_SYSTEMERROR;
	if (s == 5 && (d == 3 || d == 4 || d == 5))
		return REASON_SYSTEMERROR;
	if (s == 5 && (d == 2 || d == 6))
		return REASON_SYNTAXERROR;
	if (s == 6)
		return REASON_CONTENTERROR;
	if (s == 7 && (d == 1 || d == 2) && c == 4)
		return REASON_BLOCKED;
	if (s == 7)
		return REASON_SECURITYERROR;
	return REASON_UNDEFINED;
}

static enum explain_reason
table_reason(const struct phrase *t, size_t n, const char *folded)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (text_find(folded, t[i].match) >= 0)
			return t[i].reason;
	return REASON_UNDEFINED;
}

/* The reply classifier's answer when a wording of its own decided. */
static enum explain_reason
reply_reason(const struct bounce_entry *e)
{
	struct explain_result r;

	explain_parts(e->reply_code, NULL, e->diagnostic, &r);
	if (!(r.flags & EXPLAIN_F_TEXT_MATCH))
		return REASON_UNDEFINED;
	if (r.reason == REASON_DELIVERED || r.reason == REASON_VACATION)
		return REASON_UNDEFINED;
	return r.reason;
}

/* How sure the evidence that decided is: the family's own sentence, a
 * sentence any MTA writes, a code, a generic word, or nothing. */
enum strength { BY_FAMILY, BY_SENTENCE, BY_CODE, BY_WORD, BY_NOTHING };

static enum explain_reason
by_text(const struct bounce_family *fam, const struct bounce_entry *e,
        const char *folded, enum strength *how)
{
	int fr = fam != NULL ? family_phrase_reason(fam, folded) : -1;

	*how = BY_FAMILY;
	if (fr < 0)
		fr = provider_reason(e, folded);
	if (fr >= 0)
		return (enum explain_reason)fr;
	*how = BY_SENTENCE;
	return table_reason(phrases, sizeof(phrases) / sizeof(phrases[0]),
	                    folded);
}

static enum explain_reason
by_evidence(const struct bounce_family *fam, const struct bounce_entry *e,
            const char *folded, enum strength *how)
{
	enum explain_reason r;

	*how = BY_FAMILY;
	/* A family whose reports all mean one thing, unless a code in this
	 * one names something else. */
	if (fam != NULL && fam->fixed != REASON_UNDEFINED &&
	    code_reason(e->status) == REASON_UNDEFINED)
		return fam->fixed;
	if (strncmp(e->status, "2.", 2) == 0 ||
	    strncasecmp(e->action, "delivered", 9) == 0)
		return REASON_DELIVERED;
	r = by_text(fam, e, folded, how);
	if (r != REASON_UNDEFINED)
		return r;
	*how = BY_CODE;
	r = code_reason(e->status);
	if (r != REASON_UNDEFINED)
		return r;
	*how = BY_WORD;
	r = table_reason(weak_phrases,
	                 sizeof(weak_phrases) / sizeof(weak_phrases[0]),
	                 folded);
	if (r == REASON_UNDEFINED)
		r = reply_reason(e);
	if (r != REASON_UNDEFINED)
		return r;
	*how = BY_CODE;
	r = code_fallback(e->status);
	if (r != REASON_UNDEFINED)
		return r;
	*how = BY_NOTHING;
	if (strncasecmp(e->diag_type, "x-unix", 6) == 0)
		return REASON_MAILERERROR;
	if (strncasecmp(e->action, "delayed", 7) == 0)
		return REASON_EXPIRED;
	return folded[0] != '\0' ? REASON_ONHOLD : REASON_UNDEFINED;
}

/* An addressing status from the registry (X.1.0 to X.1.10), as opposed
 * to a vendor's private X.1.NNN. */
static int
addressing_code(const char *status)
{
	int c, s, d;

	return enhanced_parse(status, strlen(status), &c, &s, &d) && s == 1 &&
	       d <= 10;
}

/* The SMTP command and the code correct what generic words say.  A
 * refusal of MAIL FROM is about the sender.  "User unknown" is only about
 * the address when it answered RCPT TO (or comes with an X.1.x code);
 * said after DATA or without saying when, it is a filter's answer.  A
 * missing domain is only sure when the failure is permanent.  A refusal
 * at connection time is about the sending host. */
static enum explain_reason
in_context(const struct bounce_entry *e, enum explain_reason r,
           enum strength how)
{
	if (how == BY_FAMILY)
		return r;
	if (e->command == BOUNCE_CMD_MAIL &&
	    (how != BY_SENTENCE || r == REASON_USERUNKNOWN ||
	     r == REASON_HOSTUNKNOWN))
		return REASON_REJECTED;
	if (r == REASON_USERUNKNOWN && how == BY_SENTENCE &&
	    e->command != BOUNCE_CMD_RCPT && !addressing_code(e->status))
		return REASON_FILTERED;
	if (r == REASON_HOSTUNKNOWN && e->status[0] == '4')
		return REASON_NETWORKERROR;
	if (e->command == BOUNCE_CMD_HELO &&
	    (r == REASON_ONHOLD || r == REASON_UNDEFINED))
		return REASON_BLOCKED;
	if (strncasecmp(e->diag_type, "x-unix", 6) == 0 &&
	    (r == REASON_ONHOLD || r == REASON_SYSTEMERROR))
		return REASON_MAILERERROR;
	return r;
}

enum explain_reason
bounce_reason(const struct bounce_family *fam, const struct bounce_entry *e)
{
	char folded[BOUNCE_DIAG_MAX];
	enum explain_reason r;
	enum strength how;

	text_fold(folded, sizeof(folded), e->diagnostic, strlen(e->diagnostic));
	r = by_evidence(fam, e, folded, &how);
	return in_context(e, r, how);
}
