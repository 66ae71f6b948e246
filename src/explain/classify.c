/*
 * classify.c — turn parsed codes and text into a full explanation.  The
 * order of evidence is fixed: a text pattern, then the enhanced code, then
 * the basic code; the first that says something specific wins.  Success
 * replies skip text patterns because their texts echo words like
 * "Authentication" that mean the opposite in a 2yz reply.
 */
#include <stdio.h>
#include <string.h>

#include "explain/explain_int.h"
#include "explain/iana.h"

void
explain_result_warn(struct explain_result *r, const char *warning)
{
	if (r->nwarnings < EXPLAIN_MAX_WARNINGS)
		r->warnings[r->nwarnings++] = warning;
}

static void
describe_basic(struct explain_result *r)
{
	const struct iana_basic *b;
	const char *note;

	if (!(r->flags & EXPLAIN_F_BASIC))
		return;
	b = iana_basic_find(r->basic);
	if (b != NULL) {
		r->basic_meaning = b->meaning;
		r->basic_reference = b->reference;
		return;
	}
	r->flags |= EXPLAIN_F_NONSTANDARD;
	note = basic_nonstandard_note(r->basic);
	r->basic_meaning = note ? note
	                        : "Not a code defined by RFC 5321 or its "
	                          "extensions; only its first digit is "
	                          "meaningful.";
	explain_result_warn(r, "basic code is not defined by RFC 5321 or its "
	                       "extensions");
}

static void
describe_enhanced(struct explain_result *r)
{
	const struct iana_enhanced *e;
	const struct iana_class *c;

	if (!(r->flags & EXPLAIN_F_ENHANCED))
		return;
	c = iana_class_find(r->enh_class);
	r->class_meaning = c ? c->summary : NULL;
	c = iana_subject_find(r->enh_subject);
	r->subject_meaning = c ? c->summary : NULL;
	e = iana_enhanced_find(r->enh_subject, r->enh_detail);
	if (e == NULL) {
		r->flags |= EXPLAIN_F_UNREGISTERED;
		explain_result_warn(
		        r, "enhanced code is not in the IANA registry; "
		           "its class and subject still apply");
		return;
	}
	r->enhanced_name = e->sample_text;
	r->enhanced_meaning = e->description;
	r->enhanced_reference = e->reference;
}

/* The basic code governs what an SMTP client does (RFC 5321 s4.2.1), so it
 * decides permanence when both are present. */
static void
decide_permanence(struct explain_result *r)
{
	int cls = 0;

	if (r->flags & EXPLAIN_F_BASIC)
		cls = r->basic / 100;
	else if (r->flags & EXPLAIN_F_ENHANCED)
		cls = r->enh_class;
	if ((r->flags & EXPLAIN_F_BASIC) && (r->flags & EXPLAIN_F_ENHANCED) &&
	    r->basic / 100 != r->enh_class) {
		r->flags |= EXPLAIN_F_CLASS_MISMATCH;
		explain_result_warn(
		        r, "the enhanced code's class disagrees with the "
		           "basic code; the basic code decides");
	}
	if (cls == 2 || cls == 3)
		r->permanence = PERM_SUCCESS;
	else if (cls == 4)
		r->permanence = PERM_TRANSIENT;
	else if (cls == 5)
		r->permanence = PERM_PERMANENT;
	else
		r->permanence = PERM_UNKNOWN;
}

static int
reply_class(const struct explain_result *r)
{
	if (r->permanence == PERM_TRANSIENT)
		return 4;
	if (r->permanence == PERM_PERMANENT)
		return 5;
	return 0;
}

/* Conditions that pass by themselves: nobody has to act, only wait. */
static int
waits_out(enum explain_reason reason)
{
	return reason == REASON_RATELIMITED || reason == REASON_TOOMANYCONN ||
	       reason == REASON_SYSTEMERROR || reason == REASON_SYSTEMFULL ||
	       reason == REASON_NETWORKERROR || reason == REASON_ONHOLD;
}

static void
decide_actor(struct explain_result *r, const struct text_pattern *p)
{
	if (p != NULL && p->actor >= 0)
		r->actor = (enum explain_actor)p->actor;
	else
		r->actor = reason_default_actor(r->reason);
	if (r->permanence == PERM_SUCCESS ||
	    (r->permanence == PERM_TRANSIENT && waits_out(r->reason) &&
	     (p == NULL || p->actor < 0)))
		r->actor = ACTOR_NOBODY;
	else if (r->permanence == PERM_PERMANENT && r->actor == ACTOR_NOBODY)
		r->actor = r->reason == REASON_SYSTEMERROR ||
		                           r->reason == REASON_SYSTEMFULL
		                   ? ACTOR_RECIPIENT_ADMIN
		                   : ACTOR_SENDER_ADMIN;
}

static enum explain_reason
code_reason(const struct explain_result *r)
{
	enum explain_reason reason = REASON_UNDEFINED;

	if (r->permanence == PERM_SUCCESS)
		return REASON_DELIVERED;
	if ((r->flags & EXPLAIN_F_ENHANCED) && r->enh_class != 2)
		reason = enhanced_reason(r->enh_class, r->enh_subject,
		                         r->enh_detail);
	if (reason == REASON_UNDEFINED && (r->flags & EXPLAIN_F_BASIC))
		reason = basic_reason(r->basic);
	return reason;
}

static void
classify(struct explain_result *r, const char *folded_text,
         const char *folded_all)
{
	const struct text_pattern *p = NULL;

	describe_basic(r);
	describe_enhanced(r);
	decide_permanence(r);
	provider_detect(folded_all, r->provider, sizeof(r->provider));
	if (r->permanence != PERM_SUCCESS)
		p = pattern_find(folded_text, reply_class(r));
	/* A generic word ("blocked") does not outweigh an enhanced code
	 * that names the condition (5.7.26: authentication failed). */
	if (p != NULL && p->weak && (r->flags & EXPLAIN_F_ENHANCED) &&
	    r->enh_class != 2 &&
	    enhanced_is_specific(r->enh_subject, r->enh_detail))
		p = NULL;
	if (p != NULL) {
		r->reason = p->reason;
		r->flags |= EXPLAIN_F_TEXT_MATCH;
		r->provider_note = p->note;
		r->action_hint = (enum explain_action)p->action;
		provider_merge(r->provider, sizeof(r->provider), p->provider);
	} else {
		r->reason = code_reason(r);
		if (r->permanence != PERM_SUCCESS &&
		    !(r->flags & EXPLAIN_F_ENHANCED) &&
		    r->reason != REASON_UNDEFINED)
			explain_result_warn(
			        r, "reason guessed from the basic code "
			           "alone; the reply text would say more");
	}
	decide_actor(r, p);
	r->advice = p != NULL && p->advice != NULL
	                    ? p->advice
	                    : explain_reason_advice(r->reason);
}

static void
result_init(struct explain_result *r)
{
	memset(r, 0, sizeof(*r));
	r->action_hint = (enum explain_action) - 1;
}

int
explain_reply(const char *input, size_t len, struct explain_result *r)
{
	char folded_text[EXPLAIN_TEXT_MAX];
	char folded_all[EXPLAIN_INPUT_MAX + 1];
	int rc;

	result_init(r);
	if (input == NULL)
		len = 0;
	else if (len == (size_t)-1)
		len = strlen(input);
	if (len > EXPLAIN_INPUT_MAX) {
		len = EXPLAIN_INPUT_MAX;
		explain_result_warn(r, "input truncated");
	}
	rc = reply_parse(input ? input : "", len, r);
	text_fold(folded_text, sizeof(folded_text), r->text, strlen(r->text));
	/* Providers show up outside the reply text too: the host name in a
	 * log line, the reporting server of an NDR. */
	text_fold(folded_all, sizeof(folded_all), input ? input : "", len);
	classify(r, folded_text, folded_all);
	if (rc != 0 && (r->flags & EXPLAIN_F_TEXT_MATCH))
		rc = 0;
	if (rc != 0)
		explain_result_warn(r, "no SMTP reply code found in the input");
	return rc;
}

void
explain_parts(int basic, const char *enhanced, const char *text,
              struct explain_result *r)
{
	char folded[EXPLAIN_TEXT_MAX];
	int c, s, d;

	result_init(r);
	if (basic >= 100 && basic <= 599) {
		r->basic = basic;
		r->flags |= EXPLAIN_F_BASIC;
	}
	if (enhanced != NULL &&
	    enhanced_parse(enhanced, strlen(enhanced), &c, &s, &d) &&
	    strlen(enhanced) < sizeof(r->enhanced)) {
		memcpy(r->enhanced, enhanced, strlen(enhanced) + 1);
		r->enh_class = c;
		r->enh_subject = s;
		r->enh_detail = d;
		r->flags |= EXPLAIN_F_ENHANCED;
	}
	snprintf(r->text, sizeof(r->text), "%s", text ? text : "");
	text_fold(folded, sizeof(folded), r->text, strlen(r->text));
	classify(r, folded, folded);
}
