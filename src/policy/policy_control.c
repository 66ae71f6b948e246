/*
 * policy_control.c — the policy's commands on the control socket:
 *
 *   STATS                  refusals per rule, and what the state holds
 *   CHECK IP HELO FROM TO  which rule would refuse this client, and why,
 *                          counting and recording nothing (FROM "<>" for
 *                          the null sender)
 *   CLOCK SECONDS          moves the policy clock forward (test_clock)
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

static const char *const stage_names[POLICY_NSTAGES] = {
        "connect", "helo", "mail", "rcpt", "data",
};

struct check_result {
	bool answered;
	struct policy_verdict v;
};

static void
check_done(void *arg, const struct policy_verdict *v)
{
	struct check_result *res = arg;

	res->answered = true;
	res->v = *v;
}

/* Runs one stage; false when it refused or could not answer. */
static bool
check_stage(struct policy *p, enum policy_stage st, struct policy_facts *f,
            char *reply, size_t len)
{
	struct check_result res = {0};
	struct policy_run *run = policy_check(p, st, f, check_done, &res);
	char line[REPLY_LINE_MAX];

	if (run != NULL) {
		policy_cancel(run);
		snprintf(reply, len,
		         "ERR the %s state did not answer at once\n",
		         p->state->ops->name);
		return false;
	}
	if (!res.v.refused)
		return true;
	reply_format(line, sizeof(line), (enum reply_id)res.v.reply,
	             res.v.args[0], res.v.args[1]);
	snprintf(reply, len, "OK refused stage=%s rule=%s key=%s reply=%s\n",
	         stage_names[st], res.v.rule, res.v.key, line);
	return false;
}

static void
control_check(struct policy *p, const char *args, char *reply, size_t len)
{
	char ip[64], helo[256], from[256], to[256], local[256], *at;
	struct recipient_result res = {0};
	struct policy_facts f = {0};
	enum policy_stage st;

	if (sscanf(args, "%63s %255s %255s %255s", ip, helo, from, to) != 4 ||
	    (at = strrchr(memcpy(local, to, sizeof(local)), '@')) == NULL) {
		snprintf(reply, len, "ERR usage: CHECK IP HELO FROM TO\n");
		return;
	}
	f.client_ip = ip;
	f.role = LISTENER_SMTP;
	f.client_connections = 1;
	f.helo = helo;
	f.sender = strcmp(from, "<>") == 0 ? "" : from;
	f.rcpt = to;
	*at = '\0';
	f.rcpt_local = local;
	f.rcpt_domain = at + 1;
	f.rcpt_result = &res;
	f.dry_run = true;
	for (st = POLICY_CONNECT; st <= POLICY_RCPT; st++)
		if (!check_stage(p, st, &f, reply, len))
			break;
	recipient_result_free(&res);
	if (st > POLICY_RCPT)
		snprintf(reply, len, "OK passed\n");
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

void
policy_control(struct policy *p, const char *args, char *reply, size_t len)
{
	if (strcmp(args, "STATS") == 0)
		control_stats(p, reply, len);
	else if (strncmp(args, "CHECK ", 6) == 0)
		control_check(p, args + 6, reply, len);
	else if (strncmp(args, "CLOCK ", 6) == 0)
		control_clock(p, args + 6, reply, len);
	else
		snprintf(reply, len, "ERR usage: POLICY STATS|CHECK|CLOCK\n");
}
