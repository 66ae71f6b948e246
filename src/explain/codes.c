/*
 * codes.c — what the codes alone imply when the text says nothing specific.
 * The enhanced code is finer than the basic code, so it is consulted first;
 * X.0.0 and unknown details fall back to the subject, then the basic code.
 * Non-standard basic codes found in the wild (and in help pages that read an
 * enhanced code as a number: "SMTP error 512" for 5.1.2) get a note saying
 * so.
 */
#include <stddef.h>

#include "explain/explain_int.h"

static enum explain_reason
subject_reason(int subject)
{
	switch (subject) {
	case 1:
		return REASON_USERUNKNOWN;
	case 2:
		return REASON_FILTERED;
	case 3:
		return REASON_SYSTEMERROR;
	case 4:
		return REASON_NETWORKERROR;
	case 5:
		return REASON_SYNTAXERROR;
	case 6:
		return REASON_CONTENTERROR;
	case 7:
		return REASON_SECURITYERROR;
	default:
		return REASON_UNDEFINED;
	}
}

/* clang-format off */
static const struct {
	int subject, detail;
	enum explain_reason reason;
} enhanced_map[] = {
	{1, 1, REASON_USERUNKNOWN}, {1, 2, REASON_HOSTUNKNOWN},
	{1, 3, REASON_USERUNKNOWN}, {1, 4, REASON_USERUNKNOWN},
	{1, 6, REASON_USERUNKNOWN}, {1, 7, REASON_REJECTED},
	{1, 8, REASON_REJECTED}, {1, 10, REASON_NOTACCEPT},
	{2, 1, REASON_SUSPEND}, {2, 2, REASON_MAILBOXFULL},
	{2, 3, REASON_EXCEEDLIMIT}, {2, 4, REASON_SYSTEMERROR},
	{3, 0, REASON_SYSTEMERROR}, {3, 1, REASON_SYSTEMFULL},
	{3, 2, REASON_NOTACCEPT}, {3, 3, REASON_CONTENTERROR},
	{3, 4, REASON_MESGTOOBIG}, {3, 5, REASON_SYSTEMERROR},
	{4, 4, REASON_HOSTUNKNOWN}, {4, 5, REASON_TOOMANYCONN},
	{4, 7, REASON_EXPIRED},
	{5, 3, REASON_EXCEEDLIMIT},
	{7, 1, REASON_POLICYVIOLATION}, {7, 2, REASON_POLICYVIOLATION},
	{7, 13, REASON_SUSPEND}, {7, 15, REASON_POLICYVIOLATION},
	{7, 16, REASON_MESGTOOBIG}, {7, 17, REASON_USERUNKNOWN},
	{7, 18, REASON_USERUNKNOWN}, {7, 19, REASON_POLICYVIOLATION},
	{7, 20, REASON_AUTHFAILURE}, {7, 21, REASON_AUTHFAILURE},
	{7, 22, REASON_AUTHFAILURE}, {7, 23, REASON_AUTHFAILURE},
	{7, 24, REASON_AUTHFAILURE}, {7, 25, REASON_REQUIREPTR},
	{7, 26, REASON_AUTHFAILURE}, {7, 27, REASON_REJECTED},
	{7, 28, REASON_RATELIMITED}, {7, 29, REASON_AUTHFAILURE},
};
/* clang-format on */

enum explain_reason
enhanced_reason(int cls, int subject, int detail)
{
	size_t i;

	if (cls == 2)
		return REASON_DELIVERED;
	if (subject == 0)
		return REASON_UNDEFINED; /* X.0.0: only the class is known */
	for (i = 0; i < sizeof(enhanced_map) / sizeof(enhanced_map[0]); i++)
		if (enhanced_map[i].subject == subject &&
		    enhanced_map[i].detail == detail)
			return enhanced_map[i].reason;
	return subject_reason(subject);
}

int
enhanced_is_specific(int subject, int detail)
{
	size_t i;

	/* X.Y.0 is "other" by definition; 5.7.1 and 5.7.2 are the
	 * catch-all refusals of most MTAs. */
	if (detail == 0 || (subject == 7 && (detail == 1 || detail == 2)))
		return 0;
	for (i = 0; i < sizeof(enhanced_map) / sizeof(enhanced_map[0]); i++)
		if (enhanced_map[i].subject == subject &&
		    enhanced_map[i].detail == detail)
			return 1;
	return 0;
}

/* clang-format off */
static const struct {
	int code;
	enum explain_reason reason;
	const char *note; /* set for codes outside RFC 5321/3207/4954/7504 */
} basic_map[] = {
	{101, REASON_NETWORKERROR, "Not an SMTP reply: some clients report 101 when they cannot open a connection to the server."},
	{111, REASON_NETWORKERROR, "Not an SMTP reply: some clients report 111 (ECONNREFUSED) when the server refused the TCP connection."},
	{200, REASON_DELIVERED, "Non-standard success code; treat like 250."},
	{240, REASON_DELIVERED, "Non-standard; appears in some lists as a reply to QUIT. Treat like 221."},
	{420, REASON_NETWORKERROR, "Non-standard (Novell GroupWise): timeout or TCP read/write error during the transfer."},
	{421, REASON_SYSTEMERROR, NULL},
	{422, REASON_MAILBOXFULL, "Non-standard: used for 'recipient mailbox over its storage limit' (a reading of enhanced code 4.2.2)."},
	{431, REASON_SYSTEMFULL, "Non-standard: the receiving server is out of disk or memory (a reading of 4.3.1)."},
	{432, REASON_SECURITYERROR, NULL},
	{441, REASON_NETWORKERROR, "Non-standard: the recipient's server is not responding (a reading of 4.4.1)."},
	{442, REASON_NETWORKERROR, "Non-standard: the connection dropped during transmission (a reading of 4.4.2)."},
	{446, REASON_NETWORKERROR, "Non-standard: maximum hop count exceeded, a mail loop (a reading of 4.4.6)."},
	{447, REASON_EXPIRED, "Non-standard: the outgoing message timed out (a reading of 4.4.7)."},
	{449, REASON_NETWORKERROR, "Non-standard (Microsoft Exchange): routing error (a reading of 4.4.9)."},
	{450, REASON_ONHOLD, NULL},
	{451, REASON_SYSTEMERROR, NULL},
	{452, REASON_SYSTEMFULL, NULL},
	{454, REASON_SECURITYERROR, NULL},
	{455, REASON_SYNTAXERROR, NULL},
	{471, REASON_SYSTEMERROR, "Non-standard (Microsoft Exchange and others): a local error on the sending side, often its anti-spam or anti-virus filter (a reading of 4.7.1)."},
	{500, REASON_SYNTAXERROR, NULL},
	{501, REASON_SYNTAXERROR, NULL},
	{502, REASON_SYNTAXERROR, NULL},
	{503, REASON_SYNTAXERROR, NULL},
	{504, REASON_SYNTAXERROR, NULL},
	{510, REASON_USERUNKNOWN, "Non-standard: bad recipient address (a reading of enhanced code 5.1.0)."},
	{511, REASON_USERUNKNOWN, "Non-standard: bad recipient mailbox (a reading of enhanced code 5.1.1)."},
	{512, REASON_HOSTUNKNOWN, "Non-standard: the recipient's domain cannot be found in DNS (a reading of 5.1.2)."},
	{513, REASON_USERUNKNOWN, "Non-standard: the address type or syntax is incorrect (a reading of 5.1.3)."},
	{515, REASON_USERUNKNOWN, "Non-standard: invalid destination address (a reading of 5.1.5)."},
	{521, REASON_NOTACCEPT, NULL},
	{522, REASON_MAILBOXFULL, "Non-standard: used by some providers for a recipient over quota."},
	{523, REASON_MESGTOOBIG, "Non-standard in SMTP: used for 'message exceeds the recipient's size limit' (a reading of 5.2.3); RFC 5248 lists 523 only for X.7.10, encryption needed."},
	{530, REASON_SECURITYERROR, NULL},
	{531, REASON_SYSTEMFULL, "Non-standard: the destination mail system is full (a reading of 5.3.1)."},
	{534, REASON_SECURITYERROR, NULL},
	{535, REASON_SECURITYERROR, NULL},
	{538, REASON_SECURITYERROR, NULL},
	{541, REASON_SPAMDETECTED, "Non-standard: the recipient's anti-spam filter rejected the message."},
	{550, REASON_USERUNKNOWN, NULL},
	{551, REASON_NORELAYING, NULL},
	{552, REASON_MAILBOXFULL, NULL},
	{553, REASON_USERUNKNOWN, NULL},
	{554, REASON_BLOCKED, NULL},
	{555, REASON_SYNTAXERROR, NULL},
	{556, REASON_NOTACCEPT, NULL},
};
/* clang-format on */

enum explain_reason
basic_reason(int code)
{
	size_t i;

	if (code >= 200 && code < 400)
		return REASON_DELIVERED;
	for (i = 0; i < sizeof(basic_map) / sizeof(basic_map[0]); i++)
		if (basic_map[i].code == code)
			return basic_map[i].reason;
	return REASON_UNDEFINED;
}

const char *
basic_nonstandard_note(int code)
{
	size_t i;

	for (i = 0; i < sizeof(basic_map) / sizeof(basic_map[0]); i++)
		if (basic_map[i].code == code)
			return basic_map[i].note;
	return NULL;
}
