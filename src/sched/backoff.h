/*
 * backoff — when to try again: retry_min after the first failure, doubling
 * with every further one, never more than retry_max (one pure function).
 */
#ifndef FERRY_SCHED_BACKOFF_H
#define FERRY_SCHED_BACKOFF_H

/* attempts: failures so far (1 after the first).  Seconds to wait. */
int backoff_delay(unsigned attempts, int retry_min, int retry_max);

#endif
