/*
 * test_backoff.c — the retry schedule: retry_min, doubling, capped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sched/backoff.h"

static void
test_schedule(void **state)
{
	static const struct {
		unsigned attempts;
		int min, max, expect;
	} cases[] = {
	        {1, 300, 3600, 300},  {2, 300, 3600, 600},
	        {3, 300, 3600, 1200}, {4, 300, 3600, 2400},
	        {5, 300, 3600, 3600}, {50, 300, 3600, 3600},
	        {0, 300, 3600, 300},  {1, 0, 10, 1},
	        {3, 1, 2, 2},         {40, 300, 14400, 14400},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(backoff_delay(cases[i].attempts, cases[i].min,
		                               cases[i].max),
		                 cases[i].expect);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
