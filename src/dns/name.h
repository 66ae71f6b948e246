/*
 * name — domain name checks and conversions for the resolver, pure
 * functions with no I/O.
 *
 * dns_name_check() decides whether a mail domain could exist in the DNS at
 * all (RFC 1035 s2.3.4 limits, RFC 5321 s4.1.2 characters), so that the
 * resolver can refuse it without sending a query.  dns_name_from_wire()
 * turns an uncompressed wire-format name (as found in MX rdata handed out by
 * libunbound) into text without the trailing dot.
 */
#ifndef FERRY_DNS_NAME_H
#define FERRY_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_NAME_MAX 253 /* text form without the trailing dot */

/*
 * Checks domain (with or without one trailing dot).  On success returns
 * true and writes the name, lower-cased and with a trailing dot, to out
 * (DNS_NAME_MAX + 2 bytes).  On failure returns false and points *why at a
 * static text.
 */
bool dns_name_check(const char *domain, char *out, const char **why);

/*
 * Decodes the wire-format name at wire[0..len) into out (DNS_NAME_MAX + 1
 * bytes), lower-cased, without the trailing dot; the root name gives "".
 * Returns the number of bytes the name took in wire, or 0 when the name is
 * malformed, compressed, or holds bytes that cannot appear in a host name.
 */
size_t dns_name_from_wire(const unsigned char *wire, size_t len, char *out);

#endif
