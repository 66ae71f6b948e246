/*
 * bounce_print.c — output of `ferry explain --bounce`: a block per failed
 * recipient, or a JSON list whose keys are documented in docs/explain.md.
 */
#include <stdio.h>

#include "explain/bounce.h"
#include "explain/json.h"

void
bounce_print_human(FILE *out, const struct bounce_report *rep)
{
	const struct bounce_entry *e;
	int i;

	fprintf(out, "Format:        %s\n", rep->format);
	for (i = 0; i < rep->nentries; i++) {
		e = &rep->entries[i];
		fprintf(out, "\nRecipient:     %s\n",
		        e->recipient[0] ? e->recipient : "(unknown)");
		fprintf(out, "Status:        %s\n",
		        e->status[0] ? e->status : "(none)");
		if (e->reply_code != 0)
			fprintf(out, "Reply code:    %d\n", e->reply_code);
		if (e->diagnostic[0] != '\0')
			fprintf(out, "Diagnostic:    %s\n", e->diagnostic);
		fprintf(out, "Reason:        %s - %s\n",
		        explain_reason_name(e->reason),
		        explain_reason_meaning(e->reason));
		fprintf(out, "Bounce:        %s\n", e->hard ? "hard" : "soft");
		fprintf(out, "Reporting MTA: %s\n",
		        e->reporting_mta[0] ? e->reporting_mta : "(unknown)");
		fprintf(out, "Advice:        %s\n",
		        explain_reason_advice(e->reason));
	}
}

void
bounce_print_json(FILE *out, const struct bounce_report *rep)
{
	const struct bounce_entry *e;
	int i;

	fputs("[", out);
	for (i = 0; i < rep->nentries; i++) {
		e = &rep->entries[i];
		fputs(i ? ",\n  {" : "\n  {", out);
		json_kv_str(out, "", "recipient", e->recipient);
		json_kv_str(out, ", ", "status",
		            e->status[0] ? e->status : NULL);
		if (e->reply_code)
			json_kv_int(out, ", ", "reply_code", e->reply_code);
		else
			json_kv_str(out, ", ", "reply_code", NULL);
		json_kv_str(out, ", ", "diagnostic", e->diagnostic);
		json_kv_str(out, ", ", "reason",
		            explain_reason_name(e->reason));
		json_kv_bool(out, ", ", "hardbounce", e->hard);
		json_kv_str(out, ", ", "reporting_mta",
		            e->reporting_mta[0] ? e->reporting_mta : NULL);
		json_kv_str(out, ", ", "format", rep->format);
		fputs("}", out);
	}
	fputs(rep->nentries ? "\n]\n" : "]\n", out);
}
