/*
 * tlsrpt_int.h — shared by record.c and report.c.
 */
#ifndef FERRY_TLSRPT_TLSRPT_INT_H
#define FERRY_TLSRPT_TLSRPT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "tlsrpt/tlsrpt.h"

#define TLSRPT_FIELDS 7

const char *tlsrpt_result_name(enum tlsrpt_result r);
/* "YYYY-MM-DD" of when, UTC. */
void tlsrpt_day(time_t when, char *day, size_t len);

#endif
