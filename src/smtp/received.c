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

/* RFC 3848 and RFC 6531 protocol names: SMTP, ESMTP[S][A],
 * UTF8SMTP[S][A]. */
void
received_protocol(const struct session *s, char *buf, size_t len)
{
	if (!s->esmtp) {
		snprintf(buf, len, "SMTP");
		return;
	}
	snprintf(buf, len, "%s%s%s", s->tx.mail.smtputf8 ? "UTF8SMTP" : "ESMTP",
	         s->tls ? "S" : "", s->auth_user ? "A" : "");
}

size_t
received_header(const struct session *s, const char *queue_id, char *buf,
                size_t len)
{
	char proto[16], tls[160] = "", date[64], rcpt[ADDR_PATH_MAX + 16] = "";
	int n;

	received_protocol(s, proto, sizeof(proto));
	format_date(date, sizeof(date));
	if (s->tls_info[0])
		snprintf(tls, sizeof(tls), "\r\n\t(using %s)", s->tls_info);
	/* "for" names the recipient only when there is exactly one, so a
	 * copy never discloses the other recipients. */
	if (s->tx.env.nrcpts == 1)
		snprintf(rcpt, sizeof(rcpt), "\r\n\tfor <%s>",
		         s->tx.env.rcpts[0].original);
	n = snprintf(buf, len,
	             "Received: from %s ([%s])%s\r\n"
	             "\tby %s (ferry) with %s id %s%s;\r\n"
	             "\t%s\r\n",
	             s->helo, s->client_ip, tls, smtp_server_hostname(s->srv),
	             proto, queue_id, rcpt, date);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}
