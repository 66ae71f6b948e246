/*
 * print.c — the report for people (grouped, one line per check, then its
 * details, the fix and the provider reply a failure leads to, colour only
 * when asked) and as one JSON object for monitoring.  The provider reply
 * and what it means come from explain/ (explain_sample(), explain_reply()).
 */
#include <stdio.h>
#include <string.h>

#include "doctor/doctor_int.h"
#include "explain/explain.h"
#include "explain/json.h"

static const struct {
	const char *id, *title;
} groups[] = {
        {"identity", "Identity"},
        {"reputation", "Reputation"},
        {"authentication", "Authentication"},
        {"receiving", "Receiving side"},
        {"relay", "Open relay"},
        {"config", "Configuration"},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static const char *const status_label[] = {"ok", "WARN", "FAIL", "skip"};
static const char *const status_name[] = {"pass", "warn", "fail", "skip"};
static const char *const status_colour[] = {"\033[32m", "\033[33m", "\033[31m",
                                            "\033[2m"};

static void
counts(const struct doctor_report *rep, size_t c[4])
{
	size_t i;

	memset(c, 0, 4 * sizeof(size_t));
	for (i = 0; i < rep->n; i++)
		c[rep->checks[i].status]++;
}

/* What a provider's reply means, from explain's knowledge. */
static const char *
sample_meaning(const char *reply, struct explain_result *r)
{
	explain_reply(reply, (size_t)-1, r);
	return r->provider_note ? r->provider_note : r->advice;
}

static const char *
leads_to(const struct doctor_check *c)
{
	return c->reply ? c->reply : explain_sample(c->sample);
}

static void
print_lines(FILE *out, const char *indent, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		fprintf(out, "%s%.*s\n", indent, (int)n, text);
		text += n;
		text += *text == '\n';
	}
}

static void
print_check(FILE *out, const struct doctor_check *c, bool colour)
{
	struct explain_result r;
	const char *reply = leads_to(c);

	fprintf(out, "  %s%-4s%s  %-12s %s\n",
	        colour ? status_colour[c->status] : "", status_label[c->status],
	        colour ? "\033[0m" : "", c->name, c->summary);
	print_lines(out, "                     ", c->detail);
	if (c->fix && c->status != DOCTOR_PASS)
		fprintf(out, "                     fix: %s\n", c->fix);
	if (reply && (c->status == DOCTOR_FAIL || c->status == DOCTOR_WARN)) {
		fprintf(out, "                     leads to: %s\n", reply);
		fprintf(out, "                       %s\n",
		        sample_meaning(reply, &r));
	}
}

void
doctor_print_human(FILE *out, const struct doctor_report *rep, bool colour)
{
	size_t g, i, c[4];

	fprintf(out, "ferry doctor: %s sending from %s\n", rep->helo,
	        rep->ip ? rep->ip : "(unknown address)");
	for (g = 0; g < NGROUPS; g++) {
		bool title = false;

		for (i = 0; i < rep->n; i++) {
			if (strcmp(rep->checks[i].group, groups[g].id) != 0)
				continue;
			if (!title)
				fprintf(out, "\n%s\n", groups[g].title);
			title = true;
			print_check(out, &rep->checks[i], colour);
		}
	}
	counts(rep, c);
	fprintf(out,
	        "\n%zu passed, %zu warning%s, %zu failure%s, %zu "
	        "skipped\n",
	        c[DOCTOR_PASS], c[DOCTOR_WARN], c[DOCTOR_WARN] == 1 ? "" : "s",
	        c[DOCTOR_FAIL], c[DOCTOR_FAIL] == 1 ? "" : "s", c[DOCTOR_SKIP]);
}

static void
json_details(FILE *out, const char *text)
{
	const char *sep = "";
	char line[1024];

	fputs("[", out);
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		fputs(sep, out);
		json_string(out, line);
		sep = ", ";
		text += n;
		text += *text == '\n';
	}
	fputs("]", out);
}

static void
json_check(FILE *out, const struct doctor_check *c)
{
	const char *reply = leads_to(c);
	struct explain_result r;

	fputs("{", out);
	json_kv_str(out, "", "group", c->group);
	json_kv_str(out, ", ", "name", c->name);
	json_kv_str(out, ", ", "subject", c->subject);
	json_kv_str(out, ", ", "status", status_name[c->status]);
	json_kv_str(out, ", ", "summary", c->summary);
	fputs(", \"details\": ", out);
	json_details(out, c->detail);
	json_kv_str(out, ", ", "fix", c->status != DOCTOR_PASS ? c->fix : NULL);
	if (reply && (c->status == DOCTOR_FAIL || c->status == DOCTOR_WARN)) {
		const char *meaning = sample_meaning(reply, &r);

		fputs(", \"leads_to\": {", out);
		json_kv_str(out, "", "reply", reply);
		json_kv_str(out, ", ", "reason", explain_reason_name(r.reason));
		json_kv_str(out, ", ", "provider", r.provider);
		json_kv_str(out, ", ", "meaning", meaning);
		fputs("}", out);
	} else {
		fputs(", \"leads_to\": null", out);
	}
	fputs("}", out);
}

void
doctor_print_json(FILE *out, const struct doctor_report *rep)
{
	size_t i, c[4];

	counts(rep, c);
	fputs("{", out);
	json_kv_str(out, "", "hostname", rep->helo);
	json_kv_str(out, ", ", "ip", rep->ip);
	json_kv_int(out, ", ", "exit", doctor_exit_status(rep));
	fputs(", \"counts\": {", out);
	for (i = 0; i < 4; i++)
		json_kv_int(out, i ? ", " : "", status_name[i], (long)c[i]);
	fputs("}, \"checks\": [", out);
	for (i = 0; i < rep->n; i++) {
		fputs(i ? ",\n  " : "\n  ", out);
		json_check(out, &rep->checks[i]);
	}
	fputs("\n]}\n", out);
}
