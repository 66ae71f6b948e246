/*
 * policy_control.c — the policy's commands on the control socket:
 *
 *   STATS                  refusals per rule, and what the state holds
 *   CHECK IP HELO FROM TO  which rule would refuse this client, and why,
 *                          counting and recording nothing (FROM "<>" for
 *                          the null sender)
 *   CLOCK SECONDS          moves the policy clock forward (test_clock)
 *   RESCAN                 counts the Maildirs with a quota again
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "policy/recipient.h"

static void
control_stats(struct policy *p, char *reply, size_t len)
{
	size_t keys, bytes, n;
	int i;

	p->state->ops->usage(p->state, &keys, &bytes);
	n = (size_t)snprintf(reply, len, "OK state=%s keys=%zu bytes=%zu",
	                     p->state->ops->name, keys, bytes);
	for (i = 0; i < PR_NRULES && n < len; i++)
		n += (size_t)snprintf(reply + n, len - n, " %s=%lu",
		                      policy_rule_names[i], p->refused[i]);
	if (n < len)
		snprintf(reply + n, len - n, "\n");
}

#define CHECK_REPLY_MAX 1024

static const char *const stage_names[POLICY_NSTAGES] = {
        "connect", "helo", "mail", "rcpt", "data",
};

/* One CHECK: its made-up client, walked through the stages; it may wait
 * for DNS or Redis answers, like a session. */
struct check_job {
	struct policy *p;
	struct policy_facts f;
	struct recipient_result res;
	char ip[64], helo[256], from[256], to[256], local[256];
	enum policy_stage st;
	void (*later)(void *token, const char *text);
	void *token;
	char *sync_reply; /* set while control_check() has not returned */
	size_t sync_len;
	bool *sync_done;
};

static void
check_finish(struct check_job *job, const char *text)
{
	if (job->sync_reply != NULL) {
		snprintf(job->sync_reply, job->sync_len, "%s", text);
		*job->sync_done = true;
	} else {
		job->later(job->token, text);
	}
	recipient_result_free(&job->res);
	free(job);
}

static void check_stage(struct check_job *job);

static void
check_done(void *arg, const struct policy_verdict *v)
{
	struct check_job *job = arg;
	char line[REPLY_LINE_MAX], text[CHECK_REPLY_MAX];

	if (!v->refused) {
		job->st++;
		check_stage(job);
		return;
	}
	reply_format(line, sizeof(line), (enum reply_id)v->reply, v->args[0],
	             v->args[1]);
	snprintf(text, sizeof(text),
	         "OK refused stage=%s rule=%s key=%s reply=%s\n",
	         stage_names[job->st], v->rule, v->key, line);
	check_finish(job, text);
}

static void
check_stage(struct check_job *job)
{
	if (job->st > POLICY_RCPT) {
		check_finish(job, "OK passed\n");
		return;
	}
	/* A pending run answers through check_done like a finished one. */
	(void)policy_check(job->p, job->st, &job->f, check_done, job);
}

static void
control_check(struct policy *p, const char *args, char *reply, size_t len,
              void (*later)(void *token, const char *text), void *token)
{
	struct check_job *job = calloc(1, sizeof(*job));
	bool done = false;
	char *at;

	if (job == NULL)
		abort();
	if (sscanf(args, "%63s %255s %255s %255s", job->ip, job->helo,
	           job->from, job->to) != 4 ||
	    (at = strrchr(memcpy(job->local, job->to, sizeof(job->local)),
	                  '@')) == NULL) {
		free(job);
		snprintf(reply, len, "ERR usage: CHECK IP HELO FROM TO\n");
		return;
	}
	*at = '\0';
	job->p = p;
	job->f.client_ip = job->ip;
	job->f.role = LISTENER_SMTP;
	job->f.client_connections = 1;
	job->f.helo = job->helo;
	job->f.sender = strcmp(job->from, "<>") == 0 ? "" : job->from;
	job->f.rcpt = job->to;
	job->f.rcpt_local = job->local;
	job->f.rcpt_domain = at + 1;
	job->f.rcpt_result = &job->res;
	job->f.dry_run = true;
	job->later = later;
	job->token = token;
	job->sync_reply = reply;
	job->sync_len = len;
	job->sync_done = &done;
	job->st = POLICY_CONNECT;
	check_stage(job);
	if (done)
		return;
	job->sync_reply = NULL; /* the answer comes later */
	reply[0] = '\0';
}

static void
control_clock(struct policy *p, const char *args, char *reply, size_t len)
{
	char *end;
	long secs = strtol(args, &end, 10);

	if (!p->cfg->policy.test_clock) {
		snprintf(reply, len,
		         "ERR the policy clock is fixed "
		         "(test_clock = no)\n");
		return;
	}
	if (end == args || *end != '\0' || secs < 0) {
		snprintf(reply, len, "ERR usage: CLOCK SECONDS\n");
		return;
	}
	p->clock_offset += secs;
	snprintf(reply, len, "OK clock moved %ld seconds\n", secs);
}

/* What the owner deleted since the start is seen only by a new count. */
static void
control_rescan(struct policy *p, char *reply, size_t len)
{
	size_t n;

	quota_table_free(p->quota);
	p->quota = quota_table_new(p->cfg);
	n = quota_table_size(p->quota);
	snprintf(reply, len, "OK %zu mailbox%s counted\n", n,
	         n == 1 ? "" : "es");
}

void
policy_control(struct policy *p, const char *args, char *reply, size_t len,
               void (*later)(void *token, const char *text), void *token)
{
	if (strcmp(args, "STATS") == 0)
		control_stats(p, reply, len);
	else if (strncmp(args, "CHECK ", 6) == 0)
		control_check(p, args + 6, reply, len, later, token);
	else if (strncmp(args, "CLOCK ", 6) == 0)
		control_clock(p, args + 6, reply, len);
	else if (strcmp(args, "RESCAN") == 0)
		control_rescan(p, reply, len);
	else
		snprintf(reply, len,
		         "ERR usage: POLICY STATS|CHECK|CLOCK|RESCAN\n");
}
