/*
 * print.c — the two renderings of an explanation: a labelled block for
 * people and one JSON object with the stable keys documented in
 * docs/explain.md.
 */
#include <stdio.h>

#include "explain/explain.h"
#include "explain/json.h"

static const char *
actor_human(enum explain_actor a)
{
	switch (a) {
	case ACTOR_SENDER:
		return "the sender (the person who wrote the message)";
	case ACTOR_SENDER_ADMIN:
		return "the sender's mail administrator";
	case ACTOR_RECIPIENT_ADMIN:
		return "the recipient or the recipient's mail administrator";
	case ACTOR_NOBODY:
	default:
		return "nobody - wait, the sending server retries";
	}
}

static const char *
permanence_human(enum explain_permanence p)
{
	switch (p) {
	case PERM_SUCCESS:
		return "success (no failure)";
	case PERM_TRANSIENT:
		return "transient - the sending server retries";
	case PERM_PERMANENT:
		return "permanent - resending unchanged will fail again";
	default:
		return "unknown (no code found)";
	}
}

static void
print_codes(FILE *out, const struct explain_result *r)
{
	if (r->flags & EXPLAIN_F_BASIC)
		fprintf(out, "Basic code:    %d - %s%s%s%s\n", r->basic,
		        r->basic_meaning, r->basic_reference ? " [" : "",
		        r->basic_reference ? r->basic_reference : "",
		        r->basic_reference ? "]" : "");
	else
		fputs("Basic code:    (none)\n", out);
	if (!(r->flags & EXPLAIN_F_ENHANCED)) {
		fputs("Enhanced code: (none)\n", out);
		return;
	}
	fprintf(out, "Enhanced code: %s - %s\n", r->enhanced,
	        r->enhanced_name ? r->enhanced_name : "(not registered)");
	if (r->enhanced_meaning)
		fprintf(out, "               %s [%s]\n", r->enhanced_meaning,
		        r->enhanced_reference);
	fprintf(out, "               class %d: %s; subject %d: %s\n",
	        r->enh_class, r->class_meaning ? r->class_meaning : "?",
	        r->enh_subject, r->subject_meaning ? r->subject_meaning : "?");
}

void
explain_print_human(FILE *out, const char *input,
                    const struct explain_result *r)
{
	int i;

	(void)input;
	print_codes(out, r);
	if (r->text[0] != '\0')
		fprintf(out, "Text:          %s\n", r->text);
	fprintf(out, "Outcome:       %s\n", permanence_human(r->permanence));
	fprintf(out, "Reason:        %s - %s\n", explain_reason_name(r->reason),
	        explain_reason_meaning(r->reason));
	if (r->provider[0] != '\0')
		fprintf(out, "Identified:    %s\n", r->provider);
	if (r->provider_note != NULL)
		fprintf(out, "Documented:    %s\n", r->provider_note);
	fprintf(out, "Who acts:      %s\n", actor_human(r->actor));
	fprintf(out, "Advice:        %s\n", r->advice);
	fprintf(out, "Relay action:  %s\n",
	        explain_action_name(explain_action(r, STAGE_UNKNOWN)));
	for (i = 0; i < r->nwarnings; i++)
		fprintf(out, "Note:          %s\n", r->warnings[i]);
}

static void
print_json_codes(FILE *out, const struct explain_result *r)
{
	if (r->flags & EXPLAIN_F_BASIC)
		json_kv_int(out, ",\n  ", "basic_code", r->basic);
	else
		json_kv_str(out, ",\n  ", "basic_code", NULL);
	json_kv_str(out, ",\n  ", "basic_meaning", r->basic_meaning);
	json_kv_str(out, ",\n  ", "enhanced_code",
	            (r->flags & EXPLAIN_F_ENHANCED) ? r->enhanced : NULL);
	json_kv_str(out, ",\n  ", "enhanced_name", r->enhanced_name);
	json_kv_str(out, ",\n  ", "enhanced_meaning", r->enhanced_meaning);
	json_kv_str(out, ",\n  ", "class", r->class_meaning);
	json_kv_str(out, ",\n  ", "subject", r->subject_meaning);
}

void
explain_print_json(FILE *out, const char *input, const struct explain_result *r)
{
	int i;

	fputs("{", out);
	json_kv_str(out, "\n  ", "input", input);
	print_json_codes(out, r);
	json_kv_str(out, ",\n  ", "text", r->text);
	json_kv_str(out, ",\n  ", "permanence",
	            explain_permanence_name(r->permanence));
	json_kv_str(out, ",\n  ", "reason", explain_reason_name(r->reason));
	json_kv_str(out, ",\n  ", "reason_meaning",
	            explain_reason_meaning(r->reason));
	json_kv_str(out, ",\n  ", "actor", explain_actor_name(r->actor));
	json_kv_str(out, ",\n  ", "provider",
	            r->provider[0] ? r->provider : NULL);
	json_kv_str(out, ",\n  ", "provider_note", r->provider_note);
	json_kv_str(out, ",\n  ", "advice", r->advice);
	json_kv_str(out, ",\n  ", "action",
	            explain_action_name(explain_action(r, STAGE_UNKNOWN)));
	json_kv_bool(out, ",\n  ", "hardbounce", explain_is_hard(r));
	fputs(",\n  \"warnings\": [", out);
	for (i = 0; i < r->nwarnings; i++) {
		fputs(i ? ", " : "", out);
		json_string(out, r->warnings[i]);
	}
	fputs("]\n}", out);
}
