/*
 * patterns.c — wordings that decide the reason regardless of a generic code,
 * and the markers that identify a provider or product.  First match wins, so
 * provider-documented sentences come before generic words ("unusual rate of
 * unsolicited mail" before "unsolicited", "sender address rejected: domain
 * not found" before "domain not found").  Notes paraphrase what the provider
 * documents the reply to mean.
 */
#include <stdio.h>
#include <string.h>

#include "explain/explain_int.h"

#define A_SND ACTOR_SENDER
#define A_SA ACTOR_SENDER_ADMIN
#define A_RA ACTOR_RECIPIENT_ADMIN
#define A_NO ACTOR_NOBODY

#define P(m, r, cls, actor, prov, note, act)                                   \
	{                                                                      \
		m, REASON_##r, cls, actor, prov, note, act, 0, NULL            \
	}
/* With advice of its own: the wording says more than the category. */
#define PA(m, r, cls, actor, prov, note, advice)                               \
	{                                                                      \
		m, REASON_##r, cls, actor, prov, note, -1, 0, advice           \
	}
/* Weak: a word that also appears in more specific sentences; it only
 * decides when nothing stronger matched. */
#define PW(m, r, cls, actor, prov, note, act)                                  \
	{                                                                      \
		m, REASON_##r, cls, actor, prov, note, act, 1, NULL            \
	}

/* clang-format off */
static const struct text_pattern patterns[] = {
	/* Gmail / Google Workspace, from Google's list of SMTP errors */
	P("receiving mail too quickly", RATELIMITED, 0, A_NO, "Gmail",
	  "Gmail: this recipient is receiving mail faster than Gmail allows; resend later.", ACT_BACKOFF_DESTINATION),
	P("receiving mail at a rate that prevents", RATELIMITED, 0, A_NO, "Gmail",
	  "Gmail: the recipient's incoming rate limit is reached; further messages are refused for a while.", ACT_BACKOFF_DESTINATION),
	P("peak smtp relay limit", RATELIMITED, 0, A_SA, "Gmail",
	  "Google Workspace SMTP relay: the customer's short-term (peak) relay limit is exceeded; temporary.", ACT_BACKOFF_DESTINATION),
	P("daily smtp relay limit", RATELIMITED, 0, A_SA, "Gmail",
	  "Google Workspace SMTP relay: the daily relay limit for the user or customer is used up; it resets after 24 hours.", -1),
	P("daily sending quota exceeded", RATELIMITED, 0, A_SA, "Gmail",
	  "Google Workspace: the account's daily sending limit is used up; sending resumes within 24 hours.", -1),
	P("email quota exceeded", RATELIMITED, 0, A_SA, "Gmail",
	  "Gmail: the sending account exceeded its email quota.", -1),
	P("unusual rate of unsolicited mail", BADREPUTATION, 0, A_SA, "Gmail",
	  "Gmail: mail from the sending IP looks like a spam wave; the IP is blocked (temporarily for 421).", ACT_BACKOFF_DESTINATION),
	P("ip not in whitelist for rcpt domain", BLOCKED, 0, A_RA, "Gmail",
	  "Google Workspace: the recipient domain only accepts mail from an IP allow list that does not include the sending IP.", -1),
	P("ip you're using to send mail is not authorized", BLOCKED, 0, A_SA, "Gmail",
	  "Gmail: the sending IP (typically a dynamic or residential address) may not deliver directly; relay through the provider's SMTP server.", -1),
	P("tls required for rcpt domain", SECURITYERROR, 0, A_SA, "Gmail",
	  "Google Workspace: the recipient domain requires TLS and the connection was not encrypted.", -1),
	P("denial of service", TOOMANYCONN, 0, A_NO, "Gmail",
	  "Gmail SMTP relay: too many connections at the HELO stage, treated as a denial-of-service attempt.", ACT_BACKOFF_DESTINATION),
	P("multiple destination domains per transaction", EXCEEDLIMIT, 0, A_NO, "Gmail",
	  "Gmail SMTP relay: one transaction may address only one destination domain; send the other recipients in a new transaction.", ACT_SPLIT_TRANSACTION),
	P("domain policy size per transaction", EXCEEDLIMIT, 0, A_NO, "Gmail",
	  "Google Workspace: the recipient domain's policies for this transaction are too large; send this recipient in a separate transaction.", ACT_SPLIT_TRANSACTION),
	P("application-specific password required", SECURITYERROR, 0, A_SND, "Gmail",
	  "Gmail: the account uses 2-step verification; log in with an app password.", -1),
	P("log in with your web browser", SECURITYERROR, 0, A_SND, "Gmail",
	  "Gmail: sign in once through the web interface to clear a security check, then retry from the client.", -1),
	P("username and password not accepted", SECURITYERROR, 0, A_SND, "Gmail",
	  "Gmail: wrong user name or password for SMTP AUTH.", -1),
	P("invalid credentials for relay", SECURITYERROR, 0, A_SA, "Gmail",
	  "Google Workspace SMTP relay: the relay credentials are wrong or the relay is not set up to accept them.", -1),
	P("mail sending denied", REJECTED, 0, A_SA, "Gmail",
	  "Google Workspace: the sender account is disabled or not registered in the domain.", -1),
	P("no identity changes permitted", SYNTAXERROR, 0, A_SA, "Gmail",
	  "Gmail: the client tried to authenticate again or change identity within one session.", -1),
	P("too many unauthenticated commands", SECURITYERROR, 0, A_SA, "Gmail",
	  "Gmail: the client sent too many commands before authenticating.", -1),
	P("optional argument not permitted for that auth mode", SYNTAXERROR, 0, A_SA, "Gmail",
	  "Gmail: the AUTH command carried an initial argument the mechanism does not allow.", -1),
	P("this message violates * email policy", POLICYVIOLATION, 0, A_SND, "Gmail",
	  "Google Workspace: a rule set by the recipient domain's administrator (gcdp) rejected the message.", -1),
	P("has a policy that prohibited the mail", POLICYVIOLATION, 0, A_SND, "Gmail",
	  "Google Workspace: an administrator policy of the sending or receiving domain forbids this message.", -1),
	P("message exceeded 50 hops", NETWORKERROR, 0, A_SA, "Gmail",
	  "Gmail: the message passed more than 50 servers, which indicates a forwarding loop.", -1),
	P("unauthenticated email from * dmarc", AUTHFAILURE, 0, A_SA, "Gmail",
	  "Gmail: the message failed DMARC and the From domain's DMARC policy asks to reject it.", -1),
	P("fails to pass spf checks", AUTHFAILURE, 0, A_SA, "Gmail",
	  "Gmail: SPF failed for a record with a hard fail (-all) policy.", -1),
	P("does not have authentication information", AUTHFAILURE, 0, A_SA, "Gmail",
	  "Gmail: the message has neither a passing SPF nor DKIM result; Gmail requires authentication.", -1),
	P("unauthenticated email is not accepted from this domain", AUTHFAILURE, 0, A_SA, "Gmail",
	  "Gmail: the sending domain requires authenticated mail and this message did not pass SPF/DKIM.", -1),
	P("likely unsolicited mail", SPAMDETECTED, 0, A_SND, "Gmail",
	  "Gmail: the message was classified as spam and refused.", -1),
	P("account that you tried to reach is disabled", SUSPEND, 0, A_SND, "Gmail",
	  "Gmail: the recipient account is disabled.", -1),
	P("account that you tried to reach does not exist", USERUNKNOWN, 0, A_SND, "Gmail",
	  "Gmail: there is no such account; check the address for typos.", -1),
	P("account that you tried to reach is over quota", MAILBOXFULL, 0, A_RA, "Gmail",
	  "Gmail: the recipient's Google storage is full.", -1),
	P("exceeded google's message size limits", MESGTOOBIG, 0, A_SND, "Gmail",
	  "Gmail: the message exceeds Google's size limit (25 MB including encoding).", -1),
	P("weren't able to find the recipient domain", HOSTUNKNOWN, 0, A_SND, "Gmail",
	  "Gmail: the recipient domain does not exist; check for typos or trailing punctuation.", -1),
	P("ehlo/helo first", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("helo/ehlo argument is invalid", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),

	/* Yahoo deferral codes, as documented for bulk senders */
	P("[ts01]", BADREPUTATION, 0, A_SA, "Yahoo",
	  "Yahoo TS01: mail from this IP is temporarily deferred because of user complaints.", ACT_BACKOFF_DESTINATION),
	P("[ts02]", BADREPUTATION, 0, A_SA, "Yahoo",
	  "Yahoo TS02: mail from this (shared) IP is deferred because of excessive user complaints.", ACT_BACKOFF_DESTINATION),
	P("[ts03]", BADREPUTATION, 0, A_SA, "Yahoo",
	  "Yahoo TS03: all mail from this IP is permanently deferred (bulk or unwanted mail); stop and clean the list.", ACT_BACKOFF_DESTINATION),
	P("doesn't have a yahoo", USERUNKNOWN, 0, A_SND, "Yahoo",
	  "Yahoo: there is no Yahoo account with this address.", -1),
	P("message temporarily deferred", BADREPUTATION, 0, A_NO, "Yahoo",
	  "Yahoo: the message is deferred because of unusual traffic, content or sending IP reputation; retry later.", ACT_BACKOFF_DESTINATION),
	P("resources temporarily unavailable", SYSTEMERROR, 0, A_NO, "Yahoo",
	  "Yahoo: the receiving servers are busy; retry in a few minutes.", ACT_BACKOFF_DESTINATION),

	/* Microsoft Exchange / Office 365 */
	P("resolver.adr.recipnotfound", USERUNKNOWN, 0, A_SND, "Microsoft Exchange",
	  "Exchange: the recipient was not found in the directory.", -1),
	P("resolver.rst.recipsizelimit", MESGTOOBIG, 0, A_SND, "Microsoft Exchange",
	  "Exchange: the message exceeds the recipient's size limit.", -1),
	P("resolver.rst.authrequired", SECURITYERROR, 0, A_SA, "Microsoft Exchange",
	  "Exchange: the recipient only accepts mail from authenticated senders.", -1),
	P("incoming mail queue has been stopped", SYSTEMERROR, 0, A_NO, "Microsoft Exchange",
	  "Exchange: the recipient server's incoming queue is stopped, usually during maintenance.", -1),
	P("code page", CONTENTERROR, 0, A_RA, "Microsoft Exchange",
	  "Exchange: the message uses a code page not installed on the recipient server.", -1),

	/* Hosting-provider Postfix replies */
	P("user unknown in virtual alias table", USERUNKNOWN, 0, A_SND, "Postfix",
	  "Postfix: the address is not in the server's virtual alias table: the mailbox does not exist (or a forward loop bounced).", -1),
	P("user unknown in local recipient table", USERUNKNOWN, 0, A_SND, "Postfix", NULL, -1),
	P("user unknown in relay recipient table", USERUNKNOWN, 0, A_SND, "Postfix", NULL, -1),
	P("sender address rejected: domain not found", REJECTED, 0, A_SA, "Postfix",
	  "Postfix: the sender's domain has no MX or A record, so bounces could not be returned.", -1),
	P("sender address rejected: not owned by user", REJECTED, 0, A_SND, "Postfix",
	  "Postfix: the authenticated user may not send as this address.", -1),
	P("sender address rejected: access denied", REJECTED, 0, A_SA, "Postfix",
	  "Postfix: the sender address is blocked on the server, typically after spam came from it.", -1),
	P("cannot find your reverse hostname", REQUIREPTR, 0, A_SA, "Postfix",
	  "Postfix: the sending IP has no reverse DNS name (reject_unknown_reverse_client_hostname).", -1),
	P("cannot find your hostname", REQUIREPTR, 0, A_SA, "Postfix", NULL, -1),
	PA("helo command rejected", BLOCKED, 0, A_SA, "Postfix",
	  "Postfix: the HELO name is refused (localhost, the server's own name, or not a valid domain).",
	  "Configure the sending server to greet (HELO/EHLO) with its own fully qualified host name, one that resolves to its IP address; not localhost, an IP literal or the receiver's name."),
	P("user is suspended", SUSPEND, 0, A_SND, NULL,
	  "The recipient account is suspended by the provider.", -1),
	P("policy rejection- quota exceeded", RATELIMITED, 0, A_NO, NULL,
	  "The recipient is receiving an excessive amount of mail; the server defers more for now.", ACT_BACKOFF_DESTINATION),
	P("hourly domain sending quota exceeded", RATELIMITED, 0, A_SA, NULL,
	  "The sending domain exceeded its hourly quota (counted over the last 60 minutes).", -1),
	P("hourly sending quota exceeded", RATELIMITED, 0, A_SA, NULL,
	  "The sending address exceeded its hourly quota (counted over the last 60 minutes).", -1),
	P("recipient address rejected: access denied", FILTERED, 0, A_SND, NULL,
	  "The recipient address is invalid or blocked on the receiving server.", -1),
	P("server configuration problem", SYSTEMERROR, 0, A_NO, NULL,
	  "The receiving server is misconfigured; retry later and tell its support if it persists.", -1),
	P("protocol error", SYNTAXERROR, 0, A_SA, NULL,
	  "The sending client made SMTP protocol errors (for example plain SMTP where ESMTP was expected).", -1),
	P("service currently unavailable", BLOCKED, 0, A_SA, NULL,
	  "The receiving system does not take mail from this IP: it is on a blocklist or temporarily blocked for sending too much.", -1),
	P("classification as virus", SPAMDETECTED, 0, A_SND, NULL,
	  "The outbound filter classified the message as virus, spam or high bulk.", -1),
	P("too many recipients", EXCEEDLIMIT, 0, A_NO, NULL,
	  "More recipients than the server allows in one message (often 35 to 100); the rest go in another transaction.", ACT_SPLIT_TRANSACTION),
	P("sent too many messages", RATELIMITED, 0, A_SA, NULL,
	  "The account sent more messages in a short time than the provider allows (e.g. 60 per minute).", ACT_BACKOFF_DESTINATION),

	/* Greylisting */
	P("greylist", ONHOLD, 0, A_NO, "greylisting",
	  "Greylisting: the first attempt from an unknown sender is deferred on purpose; a retry after a few minutes is accepted.", ACT_RETRY),
	P("graylist", ONHOLD, 0, A_NO, "greylisting",
	  "Greylisting: the first attempt from an unknown sender is deferred on purpose; a retry after a few minutes is accepted.", ACT_RETRY),
	P("please come back in", ONHOLD, 0, A_NO, "greylisting",
	  "Greylisting-style deferral: retry after the stated time.", ACT_RETRY),

	/* DNS blocklists */
	P("spamhaus", BLOCKED, 0, A_SA, "Spamhaus",
	  "The sending IP is listed by Spamhaus (zen: SBL, XBL, PBL); look it up on spamhaus.org and follow the removal steps.", -1),
	P("spamcop", BLOCKED, 0, A_SA, "SpamCop", NULL, -1),
	P("barracuda", BLOCKED, 0, A_SA, "Barracuda", NULL, -1),
	P("sorbs", BLOCKED, 0, A_SA, "SORBS", NULL, -1),
	P("uceprotect", BLOCKED, 0, A_SA, "UCEPROTECT", NULL, -1),
	P("blocked using", BLOCKED, 0, A_SA, "DNSBL", NULL, -1),
	P("blacklist", BLOCKED, 0, A_SA, NULL, NULL, -1),
	P("blocklist", BLOCKED, 0, A_SA, NULL, NULL, -1),
	P("dnsbl", BLOCKED, 0, A_SA, "DNSBL", NULL, -1),
	P("has recently sent spam", BADREPUTATION, 0, A_SA, NULL,
	  "The receiver saw spam from this IP recently and defers it.", ACT_BACKOFF_DESTINATION),

	/* Generic wording: authentication of the message (SPF, DKIM, DMARC) */
	P("dmarc", AUTHFAILURE, 0, -1, NULL, NULL, -1),
	P("spf", AUTHFAILURE, 0, -1, NULL, NULL, -1),
	P("dkim", AUTHFAILURE, 0, -1, NULL, NULL, -1),

	P("authentication problem", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("outgoing message timed out", EXPIRED, 0, A_SA, NULL, NULL, -1),
	P("address couldn't be found", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),

	/* Rates and connections */
	P("too quickly", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("too fast", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("rate limit", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("ratelimit", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("too many messages", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("too many emails", RATELIMITED, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("sending limit", RATELIMITED, 0, A_SA, NULL, NULL, -1),
	P("sending quota", RATELIMITED, 0, A_SA, NULL, NULL, -1),
	P("too many concurrent", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("too many connections", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("simultaneous connections", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("concurrent smtp", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("server busy", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),
	P("too busy", TOOMANYCONN, 0, A_NO, NULL, NULL, ACT_BACKOFF_DESTINATION),

	/* Relaying */
	P("relay access denied", NORELAYING, 0, A_SA, "Postfix",
	  "Postfix: the server does not relay for this client; authenticate, or send to a domain the server hosts.", -1),
	P("relay denied", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("relaying denied", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("not permitted to relay", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("relay not permitted", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("unable to relay", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("forwarding to remote hosts disabled", NORELAYING, 0, A_SA, NULL, NULL, -1),
	P("user not local", NORELAYING, 5, A_SA, NULL, NULL, -1),

	/* SMTP AUTH and TLS */
	P("authentication credentials invalid", SECURITYERROR, 0, A_SND, NULL, NULL, -1),
	P("authentication failed", SECURITYERROR, 0, A_SND, NULL, NULL, -1),
	P("password transition", SECURITYERROR, 0, A_SND, NULL, NULL, -1),
	P("authentication required", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("requires authentication", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("authenticate first", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("authentication mechanism is too weak", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("unrecognized authentication type", SECURITYERROR, 0, A_SA, NULL,
	  "The server does not offer the AUTH mechanism the client chose (Exchange: enable Basic authentication on the receive connector, or pick a mechanism from the EHLO list).", -1),
	P("authentication exchange line is too long", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("client initiated authentication exchange", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("temporary authentication failure", SECURITYERROR, 0, A_NO, NULL, NULL, -1),
	P("cannot authenticate", SECURITYERROR, 0, A_NO, NULL, NULL, -1),
	PW("authentication", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("starttls may not be repeated", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("pipeline after starttls", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	PW("starttls", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	PW("encryption", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	PW("tls required", SECURITYERROR, 0, A_SA, NULL, NULL, -1),

	/* Reverse DNS, HELO */
	P("reverse dns", REQUIREPTR, 0, A_SA, NULL, NULL, -1),
	P("reverse hostname", REQUIREPTR, 0, A_SA, NULL, NULL, -1),
	P("ptr record", REQUIREPTR, 0, A_SA, NULL, NULL, -1),
	P("rdns", REQUIREPTR, 0, A_SA, NULL, NULL, -1),

	/* Spam and reputation; a broken filter on the sender's side first */
	P("local anti-spam", SYSTEMERROR, 0, A_SA, NULL,
	  "A local error on the sending side, typically its own anti-spam or anti-virus filter (Exchange 471).", -1),
	P("anti-spam or virus scanning software on your server", SYSTEMERROR, 0, A_SA, NULL, NULL, -1),
	P("an error of your mail server", SYSTEMERROR, 0, A_SA, NULL, NULL, -1),
	P("recipient address rejected*access denied", FILTERED, 0, A_RA, NULL,
	  "The recipient's server or its anti-spam appliance refuses this recipient for this sender.", -1),
	PW("unsolicited", SPAMDETECTED, 0, A_SND, NULL, NULL, -1),
	PW("spam", SPAMDETECTED, 0, A_SND, NULL, NULL, -1),
	PW("virus", SPAMDETECTED, 0, A_SND, NULL, NULL, -1),
	PW("malware", SPAMDETECTED, 0, A_SND, NULL, NULL, -1),
	PW("rejected your message", SPAMDETECTED, 0, A_SND, NULL, NULL, -1),
	P("user complaints", BADREPUTATION, 0, A_SA, NULL, NULL, ACT_BACKOFF_DESTINATION),
	PW("reputation", BADREPUTATION, 0, A_SA, NULL, NULL, ACT_BACKOFF_DESTINATION),

	/* Size */
	P("message size", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("msg size", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("size limit", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("too big", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("too large", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("messages this big", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("size of your mail", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("size of the incoming message", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("total size", MESGTOOBIG, 0, A_SND, NULL, NULL, -1),
	P("message length exceeds", EXCEEDLIMIT, 0, A_SND, NULL, NULL, -1),

	/* Mailbox state */
	P("over quota", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("overquota", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("quota exceeded", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("mailbox full", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("mailbox is full", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("exceeded storage allocation", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("exceeded its storage limit", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("over its storage limit", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	P("mailbox has exceeded", MAILBOXFULL, 0, A_RA, NULL, NULL, -1),
	PW("disabled", SUSPEND, 0, A_SND, NULL, NULL, -1),
	PW("suspended", SUSPEND, 0, A_SND, NULL, NULL, -1),
	PW("inactive", SUSPEND, 0, A_SND, NULL, NULL, -1),

	/* System state */
	P("insufficient system storage", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),
	P("insufficient storage", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),
	P("not enough space", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),
	P("disk full", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),
	P("mail system full", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),
	P("out of memory", SYSTEMFULL, 0, A_NO, NULL, NULL, -1),

	/* Addresses and domains */
	P("domain of sender address does not resolve", REJECTED, 0, A_SA, NULL, NULL, -1),
	PW("sender address rejected:", REJECTED, 0, A_SA, "Postfix", NULL, -1),
	P("bad sender", REJECTED, 0, A_SA, NULL, NULL, -1),
	P("sender's system address", REJECTED, 0, A_SA, NULL, NULL, -1),
	P("sender's mailbox address", REJECTED, 0, A_SA, NULL, NULL, -1),
	P("sender's address", REJECTED, 0, A_SA, NULL, NULL, -1),
	P("null mx", NOTACCEPT, 0, A_SND, NULL, NULL, -1),
	P("not accepting network messages", NOTACCEPT, 0, A_RA, NULL, NULL, -1),
	P("does not accept mail", NOTACCEPT, 0, A_SND, NULL, NULL, -1),
	P("not accept mail", NOTACCEPT, 0, A_SND, NULL, NULL, -1),
	P("host unknown", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("dns hard error", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("domain not found", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("no such domain", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("unrouteable address", HOSTUNKNOWN, 0, A_SND, "Exim", NULL, -1),
	P("host or domain name not found", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("domain name cannot be found", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("host cannot be found", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("recipient's domain", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("destination system address", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("email system is unknown", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("user unknown", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("unknown user", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("no such user", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("no mailbox here", USERUNKNOWN, 0, A_SND, "qmail", NULL, -1),
	P("does not exist", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("non-existent email", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("mailbox not found", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("recipient not found", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("invalid recipient", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("invalid address", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("address invalid", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("bad email address", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("bad destination mailbox", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("address type is incorrect", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("mailbox name not allowed", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("mailbox name invalid", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("mailbox has moved", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("address ambiguous", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("mailbox address syntax", USERUNKNOWN, 0, A_SND, NULL, NULL, -1),
	PW("mailbox*unavailable", USERUNKNOWN, 5, A_SND, NULL, NULL, -1),
	PW("mailbox*unavailable", ONHOLD, 4, A_NO, NULL, NULL, -1),
	P("mailbox busy", ONHOLD, 4, A_NO, NULL, NULL, -1),
	PW("recipient address rejected:", FILTERED, 0, A_RA, "Postfix", NULL, -1),
	PW("access denied", BLOCKED, 0, A_SA, NULL, NULL, -1),
	PW("client host rejected:", BLOCKED, 0, A_SA, "Postfix", NULL, -1),
	PW("blocked", BLOCKED, 0, A_SA, NULL, NULL, -1),
	PW("not authorized", POLICYVIOLATION, 0, A_SA, NULL, NULL, -1),
	P("transaction*failed", BLOCKED, 5, A_SA, NULL,
	  "A catch-all refusal; in practice most often the sending IP is on a blocklist or the message looked like spam (Yahoo also uses it for nonexistent or disabled addresses).", -1),
	PW("policy", POLICYVIOLATION, 0, A_SND, NULL, NULL, -1),
	PW("refused", POLICYVIOLATION, 0, A_SND, NULL, NULL, -1),

	/* Network, routing, time */
	P("delivery time expired", EXPIRED, 0, A_SA, NULL, NULL, -1),
	P("retry timeout exceeded", EXPIRED, 0, A_SA, "Exim", NULL, -1),
	P("message expired", EXPIRED, 0, A_SA, NULL, NULL, -1),
	P("too long in queue", EXPIRED, 0, A_SA, NULL, NULL, -1),
	P("hop count", NETWORKERROR, 0, A_SA, NULL, NULL, -1),
	PW("hops", NETWORKERROR, 0, A_SA, NULL, NULL, -1),
	P("mail loop", NETWORKERROR, 0, A_SA, NULL, NULL, -1),
	P("routing loop", NETWORKERROR, 0, A_SA, NULL, NULL, -1),
	P("loop detected", NETWORKERROR, 0, A_SA, NULL, NULL, -1),
	PW("timeout", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	PW("timed out", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("connection refused", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("unable to connect", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("cannot open connection", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("open smtp stream", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("connection problem", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("connection was dropped", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("bad connection", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("not responding", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("no answer from host", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("host down", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("tcp write error", NETWORKERROR, 0, A_NO, "Novell GroupWise", NULL, -1),
	P("tcp read error", NETWORKERROR, 0, A_NO, "Novell GroupWise", NULL, -1),
	P("dns not available", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("routing error", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("routing server failure", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("unable to route", HOSTUNKNOWN, 0, A_SND, NULL, NULL, -1),
	P("network congestion", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("imap server unavailable", NETWORKERROR, 0, A_NO, NULL, NULL, -1),
	P("unable to connect to server", NETWORKERROR, 0, A_NO, NULL, NULL, -1),

	/* Content */
	P("malformed", CONTENTERROR, 0, A_SND, NULL, NULL, -1),
	P("media not supported", CONTENTERROR, 0, A_SND, NULL, NULL, -1),
	P("security conversion", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	PW("conversion", CONTENTERROR, 0, A_SND, NULL, NULL, -1),
	PW("media error", CONTENTERROR, 0, A_SND, NULL, NULL, -1),
	P("message integrity", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("cryptographic", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("security features not supported", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	PW("security status", SECURITYERROR, 0, A_SA, NULL, NULL, -1),
	P("mailing list expansion prohibited", POLICYVIOLATION, 0, A_RA, NULL, NULL, -1),
	P("mailing list expansion", SYSTEMERROR, 0, A_RA, NULL, NULL, -1),

	/* Protocol */
	P("syntax error", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("protocol violation", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("unrecognized command", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("command unrecognized", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("unimplemented command", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("not implemented", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("bad sequence", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("mail first", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("rcpt first", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("line too long", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("cannot decode", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("base64", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("invalid command", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("wrong protocol version", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	PW("protocol status", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("parameters not recognized", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),
	P("unable to accommodate parameters", SYNTAXERROR, 0, A_SA, NULL, NULL, -1),

	/* Generic transient trouble on the remote side */
	P("ldap", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	P("local error", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	P("local problem", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	P("temporary system problem", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	P("temporarily rejected", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	PW("configuration", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	PW("service not available", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	PW("service unavailable", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	PW("mail system status", SYSTEMERROR, 0, A_NO, NULL, NULL, -1),
	PW("try again later", SYSTEMERROR, 4, A_NO, NULL, NULL, -1),
	PW("try later", SYSTEMERROR, 4, A_NO, NULL, NULL, -1),

	/* Positive intermediate wording quoted without its 354 */
	P("start mail input", DELIVERED, 0, A_NO, NULL, NULL, -1),
	/* Russian help pages: "message size exceeds" (matched past the
	 * capital letter, which ASCII folding does not lower) */
	P("\xd0\xb0\xd0\xb7\xd0\xbc\xd0\xb5\xd1\x80 \xd0\xbf\xd0\xb8\xd1\x81\xd1\x8c\xd0\xbc\xd0\xb0 \xd0\xbf\xd1\x80\xd0\xb5\xd0\xb2\xd1\x8b\xd1\x88\xd0\xb0\xd0\xb5\xd1\x82",
	  MESGTOOBIG, 0, A_SND, NULL, NULL, -1),

	/* Auto-replies and reports */
	P("out of office", VACATION, 0, A_NO, NULL, NULL, -1),
	P("auto-reply", VACATION, 0, A_NO, NULL, NULL, -1),
	P("autoreply", VACATION, 0, A_NO, NULL, NULL, -1),
};
/* clang-format on */

/* Provider-documented sentences (provider and note set) decide in table order.
 * Otherwise the wording mentioned first in the text wins, so a help-page
 * line listing two meanings gets its primary one; weak words only count
 * when nothing else matched. */
static int
pattern_tier(const struct text_pattern *p)
{
	if (p->provider != NULL && p->note != NULL)
		return 0;
	return p->weak ? 2 : 1;
}

const struct text_pattern *
pattern_find(const char *folded, int cls)
{
	const struct text_pattern *best = NULL;
	long pos, best_pos = 0;
	size_t i;
	int tier, best_tier = 3;

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		if (patterns[i].cls != 0 && patterns[i].cls != cls)
			continue;
		tier = pattern_tier(&patterns[i]);
		if (tier > best_tier)
			continue;
		pos = text_find(folded, patterns[i].match);
		if (pos < 0)
			continue;
		if (tier < best_tier || (tier > 0 && pos < best_pos)) {
			best = &patterns[i];
			best_tier = tier;
			best_pos = pos;
		}
	}
	return best;
}

/* clang-format off */
static const struct provider_marker markers[] = {
	{"gsmtp", "Gmail"}, {"gcdp", "Gmail"}, {"google.com", "Gmail"},
	{"googlemail", "Gmail"}, {"gmail", "Gmail"},
	{".prod.outlook.com", "Microsoft 365"},
	{"protection.outlook.com", "Microsoft 365"},
	{"outlook.com", "Microsoft 365"}, {"hotmail", "Microsoft 365"},
	{"resolver.", "Microsoft Exchange"},
	{" smtp;", "Microsoft Exchange"},
	{"exchange server", "Microsoft Exchange"},
	{"microsoft", "Microsoft Exchange"},
	{"yahoo", "Yahoo"}, {"[ts0", "Yahoo"},
	{"yandex", "Yandex"}, {"mail.ru", "Mail.ru"},
	{"recipient address rejected:", "Postfix"},
	{"sender address rejected:", "Postfix"},
	{"client host rejected:", "Postfix"},
	{"helo command rejected:", "Postfix"},
	{"relay access denied", "Postfix"},
	{"error: too many recipients", "Postfix"},
	{"(in reply to ", "Postfix"},
	{"postfix", "Postfix"},
	{"smtp error from remote mail server", "Exim"},
	{"unrouteable address", "Exim"}, {"exim", "Exim"},
	{"... user unknown", "Sendmail"}, {"sendmail", "Sendmail"},
	{"no mailbox here by that name", "qmail"}, {"qmail", "qmail"},
	{"groupwise", "Novell GroupWise"},
	{"spamhaus", "Spamhaus"}, {"spamcop", "SpamCop"},
	{"barracuda", "Barracuda"}, {"sorbs", "SORBS"},
	{"uceprotect", "UCEPROTECT"},
	{"greylist", "greylisting"}, {"graylist", "greylisting"},
};
/* clang-format on */

static void
provider_add(char *out, size_t outsz, const char *name)
{
	size_t n = strlen(out);

	if (strstr(out, name) != NULL)
		return;
	snprintf(out + n, outsz - n, "%s%s", n > 0 ? ", " : "", name);
}

void
provider_detect(const char *folded, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strstr(folded, markers[i].match) != NULL)
			provider_add(out, outsz, markers[i].name);
}

void
provider_merge(char *out, size_t outsz, const char *name)
{
	if (name != NULL)
		provider_add(out, outsz, name);
}
