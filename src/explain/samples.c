/*
 * samples.c — replies providers send when the sending server has a
 * problem it could have found itself, quoted from the seed documents
 * (tests/data/seed-replies.tsv holds each as a row; a unit test checks
 * they stay quotes).  `ferry doctor` shows the one a failed check leads
 * to, explained by explain_reply() like any other reply.
 */
#include <string.h>

#include "explain/explain.h"

struct sample {
	const char *key;
	const char *reply;
};

/* clang-format off */
static const struct sample samples[] = {
	{"no-ptr", "450 4.7.1 Client host rejected: cannot find your reverse hostname"},
	{"generic-ip", "550 5.7.1 The IP you’re using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead."},
	{"helo", "550 5.7.1 : Helo command rejected: You aren’t localhost"},
	{"dnsbl", "554 5.7.1 Service unavailable; Client host X.X.X.X blocked using zen.spamhaus.org"},
	{"spf-fail", "550 5.7.26 «This message fails to pass SPF checks for an SPF record with a hard fail policy (-all). To best protect our users from spam and phishing, the message has been blocked."},
	{"unauthenticated", "550 5.7.26 «This message does not have authentication information or fails to pass authentication checks (SPF or DKIM). To best protect our users from spam, the message has been blocked."},
	{"dmarc", "550 5.7.26 Unauthenticated email from domain-name is not accepted due to domain’s DMARC policy. Please contact the administrator of domain-name domain."},
	{"tls-required", "421 4.7.0 TLS required for RCPT domain, closing connection."},
	{"spam-wave", "550 5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked."},
	{NULL, NULL},
};
/* clang-format on */

const char *
explain_sample(const char *key)
{
	size_t i;

	for (i = 0; key != NULL && samples[i].key != NULL; i++)
		if (strcmp(samples[i].key, key) == 0)
			return samples[i].reply;
	return NULL;
}

const char *
explain_sample_key(size_t i)
{
	return i < sizeof(samples) / sizeof(samples[0]) ? samples[i].key : NULL;
}
