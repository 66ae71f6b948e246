/*
 * received.c — the Received header ferry prepends (RFC 5321 s4.4), with the
 * protocol names of RFC 3848 and RFC 6531 (SMTP, ESMTP, UTF8SMTP).
 */
#include <stdio.h>
#include <time.h>

#include "smtp/session_int.h"

/* RFC 5322 date-time in UTC, e.g. "Mon, 23 Nov 2026 19:22:44 +0000". */
static size_t
format_date(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

size_t
received_header(const struct session *s, const char *queue_id, char *buf,
                size_t len)
{
	const char *proto = !s->esmtp             ? "SMTP"
	                    : s->tx.mail.smtputf8 ? "UTF8SMTP"
	                                          : "ESMTP";
	char date[64];
	int n;

	format_date(date, sizeof(date));
	/* "for" names the recipient only when there is exactly one, so a
	 * copy never discloses the other recipients. */
	if (s->tx.env.nrcpts == 1)
		n = snprintf(buf, len,
		             "Received: from %s ([%s])\r\n"
		             "\tby %s (ferry) with %s id %s\r\n"
		             "\tfor <%s>; %s\r\n",
		             s->helo, s->client_ip,
		             smtp_server_hostname(s->srv), proto, queue_id,
		             s->tx.env.rcpts[0].original, date);
	else
		n = snprintf(buf, len,
		             "Received: from %s ([%s])\r\n"
		             "\tby %s (ferry) with %s id %s;\r\n"
		             "\t%s\r\n",
		             s->helo, s->client_ip,
		             smtp_server_hostname(s->srv), proto, queue_id,
		             date);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}
