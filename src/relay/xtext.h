/*
 * xtext — the encoding of ENVID and ORCPT values in MAIL and RCPT
 * parameters (RFC 3461 s4): octets outside 33..126, '+' and '=' become
 * "+HH" (upper-case hex); others stay.
 *
 * Ownership: the caller frees the result.  Out of memory aborts.  Pure.
 */
#ifndef FERRY_RELAY_XTEXT_H
#define FERRY_RELAY_XTEXT_H

char *relay_xtext_encode(const char *s);

#endif
