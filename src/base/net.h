/*
 * net — IP addresses and CIDR networks as text: parse, match, and the
 * network part of an address (the key that rate limits and greylisting use,
 * so that one IPv6 /64 counts as one client).
 *
 * Pure functions, no allocation, thread-safe.
 */
#ifndef FERRY_BASE_NET_H
#define FERRY_BASE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int bits;
};

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (all bits).
 * Host bits are cleared.  Returns -1 on bad syntax. */
int net_parse(const char *text, struct net_prefix *out);

/* The address ip (text) lies in the network. */
bool net_contains(const struct net_prefix *net, const char *ip);

/* The network of ip with v4bits / v6bits kept, as "A/BITS" text
 * (IPv4-mapped IPv6 addresses count as IPv4).  On bad input the address
 * itself is copied. */
void net_key(const char *ip, int v4bits, int v6bits, char *out, size_t len);

/* Canonical "A/BITS" text of a prefix. */
void net_format(const struct net_prefix *p, char *out, size_t len);

/* ip is a loopback address (127/8, ::1). */
bool net_is_loopback(const char *ip);

#endif
