/*
 * metrics_int.h — the counters' storage, shared by metrics.c (counting)
 * and http.c (exporting).
 */
#ifndef FERRY_METRICS_METRICS_INT_H
#define FERRY_METRICS_METRICS_INT_H

#define METRICS_NROLES 3    /* enum listener_role */
#define METRICS_NBUCKETS 12 /* commit latency buckets, +Inf aside */

struct metrics_state {
	unsigned long counters[M_NCOUNTERS];
	unsigned long sessions[METRICS_NROLES];
	unsigned long replies[400]; /* final-dot replies by code - 200 */
	unsigned long deliveries[MT_NTRANSPORTS][MD_NRESULTS];
	unsigned long commit_buckets[METRICS_NBUCKETS + 1];
	unsigned long commit_count;
	unsigned long commit_sum_us;
	int dnssec; /* 1 available, 0 unavailable, -1 unknown or not probed */
};

extern struct metrics_state metrics_state;
const double *metrics_buckets(void);

#endif
