/*
 * metrics.c — the counters (see metrics.h).  Relaxed atomics: a scrape
 * may see one counter a moment ahead of another, which Prometheus
 * tolerates.
 */
#include "metrics/metrics.h"

#include "metrics/metrics_int.h"

struct metrics_state metrics_state = {.dnssec = -1};

static const double buckets[METRICS_NBUCKETS] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

const double *
metrics_buckets(void)
{
	return buckets;
}

static void
add(unsigned long *v)
{
	__atomic_add_fetch(v, 1, __ATOMIC_RELAXED);
}

void
metrics_count(enum metric_counter c)
{
	if (c < M_NCOUNTERS)
		add(&metrics_state.counters[c]);
}

void
metrics_session(int role)
{
	if (role >= 0 && role < METRICS_NROLES)
		add(&metrics_state.sessions[role]);
}

void
metrics_message_reply(int code)
{
	if (code >= 200 && code < 600)
		add(&metrics_state.replies[code - 200]);
}

void
metrics_delivery(enum metric_transport t, enum metric_delivery r)
{
	if (t < MT_NTRANSPORTS && r < MD_NRESULTS)
		add(&metrics_state.deliveries[t][r]);
}

void
metrics_commit_latency(double seconds)
{
	unsigned long us = seconds > 0 ? (unsigned long)(seconds * 1e6) : 0;
	int i;

	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= buckets[i])
			break;
	add(&metrics_state.commit_buckets[i]); /* i == N: +Inf only */
	add(&metrics_state.commit_count);
	__atomic_add_fetch(&metrics_state.commit_sum_us, us, __ATOMIC_RELAXED);
}

void
metrics_dnssec(int state)
{
	__atomic_store_n(&metrics_state.dnssec, state, __ATOMIC_RELAXED);
}
