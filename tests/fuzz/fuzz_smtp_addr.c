/*
 * fuzz_smtp_addr.c — addr_parse_path under every combination of
 * allow_null / allow_postmaster, then the round trip: addr_format renders
 * an accepted address and "<" rendering ">" must parse again to the same
 * local part and domain.  Aborts on any mismatch.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static void
round_trip(const struct mailaddr *a, bool allow_null, bool allow_pm)
{
	char buf[ADDR_PATH_MAX + 3], path[ADDR_PATH_MAX + 8];
	struct mailaddr b;
	size_t n, used;

	n = addr_format(a, buf, sizeof(buf));
	CHECK(n == strlen(buf));
	CHECK(n + 2 < sizeof(path));
	path[0] = '<';
	memcpy(path + 1, buf, n);
	path[n + 1] = '>';
	CHECK(addr_parse_path(path, n + 2, allow_null, allow_pm, &b, &used) ==
	      ADDR_OK);
	CHECK(used == n + 2);
	CHECK(strcmp(a->local, b.local) == 0);
	CHECK(strcmp(a->domain, b.domain) == 0);
	CHECK(a->is_null == b.is_null);
	CHECK(a->is_bare_postmaster == b.is_bare_postmaster);
	CHECK(a->is_literal == b.is_literal);
	CHECK(!b.has_route);
	/* Formatting is stable: the re-parsed address formats the same. */
	{
		char again[ADDR_PATH_MAX + 3];

		CHECK(addr_format(&b, again, sizeof(again)) == n);
		CHECK(memcmp(buf, again, n) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	int combo;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	for (combo = 0; combo < 4; combo++) {
		bool allow_null = combo & 1, allow_pm = combo & 2;
		struct mailaddr a;
		size_t used = 0;
		enum addr_status st;

		st = addr_parse_path(s, size, allow_null, allow_pm, &a, &used);
		if (st != ADDR_OK) {
			CHECK(used == 0);
			continue;
		}
		CHECK(used >= 2 && used <= size && used <= ADDR_PATH_MAX);
		CHECK(s[0] == '<' && s[used - 1] == '>');
		CHECK(strlen(a.local) <= ADDR_LOCAL_MAX);
		CHECK(strlen(a.domain) <= ADDR_DOMAIN_MAX);
		CHECK(!a.is_null || allow_null);
		CHECK(!a.is_bare_postmaster || allow_pm);
		if (!a.is_null && !a.is_bare_postmaster)
			CHECK(a.domain[0] != '\0');
		if (a.is_utf8 && !a.has_route)
			CHECK(addr_is_utf8(a.local, strlen(a.local)) ||
			      addr_is_utf8(a.domain, strlen(a.domain)));
		round_trip(&a, allow_null, allow_pm);
	}
	free(s);
	return 0;
}
