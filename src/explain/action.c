/*
 * action.c — what the relay does with a remote reply.  Kept apart from the
 * classifier so the policy (split, back off, retry, bounce) is one small,
 * testable function the relay can call per reply.
 */
#include "explain/explain_int.h"

/* RFC 5321 s4.5.3.1.10: 452 (and 552, treated as 452) to RCPT for too many
 * recipients means "send the rest in a new transaction". */
static int
wants_split(const struct explain_result *r, enum explain_stage stage)
{
	int too_many = (r->flags & EXPLAIN_F_ENHANCED) && r->enh_subject == 5 &&
	               r->enh_detail == 3;

	if (r->action_hint == ACT_SPLIT_TRANSACTION)
		return 1;
	if (stage == STAGE_RCPT && r->basic == 452)
		return 1;
	if (stage == STAGE_RCPT && r->basic == 552 && too_many)
		return 1;
	return too_many && r->reason == REASON_EXCEEDLIMIT &&
	       r->permanence == PERM_TRANSIENT;
}

static int
wants_backoff(const struct explain_result *r)
{
	if (r->permanence != PERM_TRANSIENT)
		return 0;
	if (r->basic == 421 || r->action_hint == ACT_BACKOFF_DESTINATION)
		return 1;
	return r->reason == REASON_RATELIMITED ||
	       r->reason == REASON_TOOMANYCONN ||
	       r->reason == REASON_BADREPUTATION;
}

enum explain_action
explain_action(const struct explain_result *r, enum explain_stage stage)
{
	if (r->permanence == PERM_SUCCESS)
		return ACT_DELIVERED;
	if (wants_split(r, stage))
		return ACT_SPLIT_TRANSACTION;
	if (wants_backoff(r))
		return ACT_BACKOFF_DESTINATION;
	if (r->permanence == PERM_PERMANENT)
		return ACT_BOUNCE;
	return ACT_RETRY; /* transient or unknown: retrying is the safe side */
}

enum explain_action
explain_decide(int basic, const char *enhanced, const char *text,
               enum explain_stage stage, enum explain_reason *reason_out)
{
	struct explain_result r;

	explain_parts(basic, enhanced, text, &r);
	if (reason_out != NULL)
		*reason_out = r.reason;
	return explain_action(&r, stage);
}

int
explain_is_hard(const struct explain_result *r)
{
	if (r->permanence != PERM_PERMANENT)
		return 0;
	/* Permanent codes for conditions that clear by themselves are soft
	 * in bounce-processing terms: the address itself is fine. */
	switch (r->reason) {
	case REASON_MAILBOXFULL:
	case REASON_RATELIMITED:
	case REASON_TOOMANYCONN:
	case REASON_SYSTEMERROR:
	case REASON_SYSTEMFULL:
	case REASON_NETWORKERROR:
	case REASON_EXCEEDLIMIT:
	case REASON_MESGTOOBIG:
	case REASON_SPAMDETECTED:
	case REASON_BLOCKED:
	case REASON_BADREPUTATION:
	case REASON_SECURITYERROR:
	case REASON_AUTHFAILURE:
	case REASON_REQUIREPTR:
	case REASON_CONTENTERROR:
	case REASON_POLICYVIOLATION:
		return 0;
	default:
		return 1;
	}
}
