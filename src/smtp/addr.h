/*
 * addr — RFC 5321 s4.1.2 paths and mailboxes, with RFC 6531 UTF-8.
 *
 * Pure: bytes in, struct out; no I/O, no allocation.  Accepts
 *   "<>"                          null reverse-path
 *   "<local@domain>"              dot-string or quoted-string local part,
 *                                 domain name or address literal [1.2.3.4],
 *                                 [IPv6:...], [tag:...]
 *   "<@a,@b:local@domain>"        source route: parsed, flagged, ignored
 *                                 (RFC 5321 s3.3 and appendix C)
 *   "<postmaster>"                only where the caller allows it
 * Enforces the s4.5.3.1 limits: local part 64, domain 255, path 256 octets.
 * Non-ASCII is accepted only as well-formed UTF-8 and is flagged, so the
 * caller can demand SMTPUTF8 (RFC 6531 s3.3).
 */
#ifndef FERRY_SMTP_ADDR_H
#define FERRY_SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
#define ADDR_PATH_MAX 256

enum addr_status {
	ADDR_OK,
	ADDR_SYNTAX,   /* not a path at all, or a malformed mailbox */
	ADDR_TOO_LONG, /* a length limit of s4.5.3.1 exceeded */
};

struct mailaddr {
	char local[ADDR_LOCAL_MAX + 1]; /* unquoted local part */
	char domain[ADDR_DOMAIN_MAX +
	            1];          /* as given; "" for <> / <postmaster> */
	bool is_null;            /* <> */
	bool is_bare_postmaster; /* <postmaster>, no domain */
	bool is_literal;         /* domain is an address literal */
	bool has_route;          /* a source route was given */
	bool is_utf8;            /* non-ASCII in local part or domain */
	bool was_quoted;         /* local part came as quoted-string */
};

/*
 * Parse a path at s[0..len).  *used_r receives the octets consumed (through
 * the closing '>').  allow_null: "<>" acceptable; allow_postmaster:
 * "<postmaster>" acceptable.
 */
enum addr_status addr_parse_path(const char *s, size_t len, bool allow_null,
                                 bool allow_postmaster, struct mailaddr *out,
                                 size_t *used_r);

/* The inside of an address literal, between "[" and "]" (RFC 5321
 * s4.1.3): a dotted IPv4 address, "IPv6:" and an IPv6 address, or a
 * General-address-literal "tag:content" whose tag is an Ldh-str. */
bool addr_literal_valid(const char *s, size_t len);

/* Render as "local@domain" (quoting the local part when needed), "" for <>.
 * Returns the length; buf must hold ADDR_PATH_MAX + 3 octets. */
size_t addr_format(const struct mailaddr *a, char *buf, size_t len);

/* True for a well-formed UTF-8 sequence containing at least one non-ASCII
 * character ending at s + len. */
bool addr_is_utf8(const char *s, size_t len);

#endif
