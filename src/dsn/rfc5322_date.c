/*
 * rfc5322_date.c — date-time for Date:, Arrival-Date: and the other report
 * dates (RFC 5322 s3.3), always in UTC with a "+0000" zone so the output
 * does not depend on the host's time zone or locale.
 */
#include <stdio.h>
#include <string.h>

#include "dsn/dsn_int.h"

void
rfc5322_date(time_t t, char out[DSN_DATE_LEN])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
	                                "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	/* The grammar wants a four-digit year of at least 1900. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(out, DSN_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	         days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
