/*
 * net.c — CIDR parsing and matching (see net.h).
 */
#include "base/net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void
clear_host_bits(struct net_prefix *p)
{
	int len = p->family == AF_INET ? 4 : 16, i;

	for (i = 0; i < len; i++) {
		int keep = p->bits - i * 8;

		if (keep <= 0)
			p->addr[i] = 0;
		else if (keep < 8)
			p->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4. */
static void
unmap(struct net_prefix *p)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};

	if (p->family != AF_INET6 || memcmp(p->addr, mapped, 12) != 0)
		return;
	memmove(p->addr, p->addr + 12, 4);
	memset(p->addr + 4, 0, 12);
	p->family = AF_INET;
	p->bits = p->bits >= 96 ? p->bits - 96 : 0;
}

static int
parse_address(const char *text, struct net_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = AF_INET;
		out->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = AF_INET6;
		out->bits = 128;
		unmap(out);
		return 0;
	}
	return -1;
}

int
net_parse(const char *text, struct net_prefix *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	char *end;
	long bits;
	int max;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (parse_address(addr, out) < 0)
		return -1;
	if (slash == NULL)
		return 0;
	max = out->family == AF_INET ? 32 : 128;
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	bits = strtol(slash + 1, &end, 10);
	if (*end != '\0' || bits < 0 || bits > 128)
		return -1;
	/* An IPv4-mapped network keeps its IPv4 length. */
	if (out->family == AF_INET && strchr(addr, ':') != NULL)
		bits = bits >= 96 ? bits - 96 : 0;
	if (bits > max)
		return -1;
	out->bits = (int)bits;
	clear_host_bits(out);
	return 0;
}

static bool
prefix_contains(const struct net_prefix *net, const struct net_prefix *ip)
{
	struct net_prefix masked = *ip;

	if (net->family != ip->family)
		return false;
	masked.bits = net->bits;
	clear_host_bits(&masked);
	return memcmp(masked.addr, net->addr, sizeof(masked.addr)) == 0;
}

bool
net_contains(const struct net_prefix *net, const char *ip)
{
	struct net_prefix a;

	return parse_address(ip, &a) == 0 && prefix_contains(net, &a);
}

void
net_format(const struct net_prefix *p, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(out, len, "%s/%d", addr, p->bits);
}

void
net_key(const char *ip, int v4bits, int v6bits, char *out, size_t len)
{
	struct net_prefix a;

	if (parse_address(ip, &a) < 0) {
		snprintf(out, len, "%s", ip);
		return;
	}
	a.bits = a.family == AF_INET ? v4bits : v6bits;
	clear_host_bits(&a);
	net_format(&a, out, len);
}

bool
net_is_loopback(const char *ip)
{
	struct net_prefix lo4 = {0}, lo6 = {0};

	net_parse("127.0.0.0/8", &lo4);
	net_parse("::1", &lo6);
	return net_contains(&lo4, ip) || net_contains(&lo6, ip);
}
