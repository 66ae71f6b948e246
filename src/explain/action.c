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
explain_reason_is_hard(enum explain_reason reason, int transient)
{
	/* Hard means "remove the address from the list": only what says the
	 * address itself is gone, whatever the reply class.  Spam, policy
	 * and full mailboxes are soft even when permanent. */
	switch (reason) {
	case REASON_USERUNKNOWN:
	case REASON_HOSTUNKNOWN:
	case REASON_HASMOVED:
		return 1;
	case REASON_NOTACCEPT:
		return !transient;
	default:
		return 0;
	}
}

int
explain_is_hard(const struct explain_result *r)
{
	if (r->permanence == PERM_SUCCESS)
		return 0;
	return explain_reason_is_hard(r->reason,
	                              r->permanence == PERM_TRANSIENT);
}
