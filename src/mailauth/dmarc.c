/*
 * dmarc.c — DMARC records (RFC 7489 s6.3), the evaluation of s6.6 from
 * results already known (so it is a table test), and the
 * Authentication-Results field of RFC 8601.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/verify.h"
#include "mailauth/mailauth.h"
#include "spf/spf.h"

void
mailauth_results_init(struct mailauth_results *r)
{
	memset(r, 0, sizeof(*r));
	r->spf = -1;
	r->helo_spf = -1;
	r->arc_oldest_pass = -1;
	r->dmarc = DMARC_NONE;
	r->arc = -1;
}

static int
policy_value(const char *v, size_t n, enum dmarc_policy *out)
{
	if (n == 4 && strncasecmp(v, "none", 4) == 0)
		*out = DMARC_P_NONE;
	else if (n == 10 && strncasecmp(v, "quarantine", 10) == 0)
		*out = DMARC_P_QUARANTINE;
	else if (n == 6 && strncasecmp(v, "reject", 6) == 0)
		*out = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* One "tag=value"; -1 for a bad p=, the only tag that spoils a record. */
static int
record_tag(const char *t, size_t tn, const char *v, size_t vn,
           struct dmarc_record *rec, bool *have_p, bool *have_sp,
           bool *have_rua)
{
	char num[8];

	if (tn == 1 && *t == 'p') {
		*have_p = policy_value(v, vn, &rec->p) == 0;
		return *have_p ? 0 : -1;
	}
	if (tn == 2 && strncasecmp(t, "sp", 2) == 0)
		*have_sp = policy_value(v, vn, &rec->sp) == 0;
	else if (tn == 3 && strncasecmp(t, "pct", 3) == 0 && vn > 0 &&
	         vn < sizeof(num)) {
		memcpy(num, v, vn);
		num[vn] = '\0';
		if (strspn(num, "0123456789") == vn && atoi(num) <= 100)
			rec->pct = atoi(num);
	} else if (tn == 5 && strncasecmp(t, "adkim", 5) == 0)
		rec->adkim_strict =
		        vn == 1 && tolower((unsigned char)*v) == 's';
	else if (tn == 4 && strncasecmp(t, "aspf", 4) == 0)
		rec->aspf_strict = vn == 1 && tolower((unsigned char)*v) == 's';
	else if (tn == 3 && strncasecmp(t, "rua", 3) == 0)
		*have_rua = vn > 0;
	return 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

int
dmarc_record_parse(const char *txt, struct dmarc_record *rec)
{
	const char *p = txt, *semi, *eq, *t, *v;
	size_t tn, vn;
	bool have_p = false, have_sp = false, have_rua = false, first = true;
	int bad_p = 0;

	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	while (*p) {
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			t = p;
			tn = (size_t)(eq - p);
			v = eq + 1;
			vn = (size_t)(semi - v);
			trim(&t, &tn);
			trim(&v, &vn);
			if (first && !(tn == 1 && *t == 'v' && vn == 6 &&
			               strncmp(v, "DMARC1", 6) == 0))
				return -1;
			if (!first)
				bad_p |= record_tag(t, tn, v, vn, rec, &have_p,
				                    &have_sp, &have_rua);
		} else if (first) {
			return -1;
		}
		first = false;
		p = *semi ? semi + 1 : semi;
	}
	if (first)
		return -1;
	/* RFC 7489 s6.6.3: without a valid p=, a record with rua= counts
	 * as p=none, any other is ignored. */
	if (!have_p || bad_p) {
		if (!have_rua)
			return -1;
		rec->p = DMARC_P_NONE;
	}
	if (!have_sp)
		rec->sp = rec->p;
	return 0;
}

void
mailauth_dmarc_evaluate(const struct mailauth_psl *psl,
                        const struct dmarc_record *rec, bool at_org,
                        unsigned roll, struct mailauth_results *res)
{
	size_t i;
	const char *how = NULL;

	if (res->spf == SPF_PASS && !res->spf_helo &&
	    mailauth_aligned(psl, res->spf_domain, res->from_domain,
	                     rec->aspf_strict))
		how = "SPF aligned";
	for (i = 0; i < res->ndkim && how == NULL; i++)
		if (res->dkim[i].result == DKIM_PASS &&
		    mailauth_aligned(psl, res->dkim[i].d, res->from_domain,
		                     rec->adkim_strict))
			how = "DKIM aligned";
	res->dmarc_policy = at_org ? rec->sp : rec->p;
	res->dmarc_sampled_out = false;
	if (how != NULL) {
		res->dmarc = DMARC_PASS;
		snprintf(res->dmarc_reason, sizeof(res->dmarc_reason), "%s",
		         how);
		return;
	}
	res->dmarc = DMARC_FAIL;
	snprintf(res->dmarc_reason, sizeof(res->dmarc_reason),
	         "no aligned SPF or DKIM pass");
	res->dmarc_sampled_out = roll >= (unsigned)rec->pct;
}

enum dmarc_policy
mailauth_disposition(const struct mailauth_results *res)
{
	enum dmarc_policy p = res->dmarc_policy;

	if (res->dmarc != DMARC_FAIL || res->dmarc_arc_override)
		return DMARC_P_NONE;
	/* s6.6.4: a message pct= leaves out gets the next lower policy. */
	if (res->dmarc_sampled_out && p != DMARC_P_NONE)
		p = (enum dmarc_policy)(p - 1);
	return p;
}

/* Appends text, folding before it when the line would pass 78 columns;
 * a leading "; " keeps its ";" on the line before the fold. */
static void
put(char *out, size_t len, size_t *o, size_t *col, const char *text)
{
	size_t n;
	int w;

	if (text[0] == ';' && *o + 1 < len) {
		out[(*o)++] = ';';
		out[*o] = '\0';
		(*col)++;
		text++;
	}
	n = strlen(text);
	if (*col + n > 78 && *col > 0 && text[0] == ' ') {
		w = snprintf(out + *o, len - *o, "\r\n\t");
		*o += (size_t)w < len - *o ? (size_t)w : len - *o;
		*col = 8;
		text++;
	}
	w = snprintf(out + *o, len - *o, "%s", text);
	if (w > 0) {
		*o += (size_t)w < len - *o ? (size_t)w : len - *o;
		*col += (size_t)w;
	}
}

/* A property " name=value" (RFC 8601 s2.2).  The values come from the
 * message and the session (HELO name, From domain, a signature's d= and
 * s=): one holding anything but the characters of a domain, a local part
 * or an address is written as a quoted string, so nothing it carries
 * (";", "(", "=", white space) can be read as another result. */
static void
put_prop(char *out, size_t len, size_t *o, size_t *col, const char *name,
         const char *value)
{
	char item[600];
	size_t n = 0, i;
	bool bare = value[0] != '\0';

	for (i = 0; value[i] && bare; i++)
		bare = isalnum((unsigned char)value[i]) ||
		       strchr(".-_@+:", value[i]) != NULL;
	n = (size_t)snprintf(item, sizeof(item), " %s=%s", name,
	                     bare ? "" : "\"");
	for (i = 0; value[i] && n + 4 < sizeof(item); i++) {
		unsigned char ch = (unsigned char)value[i];

		if (ch == '"' || ch == '\\')
			item[n++] = '\\';
		item[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (!bare)
		item[n++] = '"';
	item[n] = '\0';
	put(out, len, o, col, item);
}

static const char *
dkim_name(int r)
{
	static const char *const names[] = {"pass", "fail", "permerror",
	                                    "temperror"};
	return r >= 0 && r < 4 ? names[r] : "permerror";
}

static const char *
dmarc_name(enum dmarc_result r)
{
	static const char *const names[] = {"none", "pass", "fail", "temperror",
	                                    "permerror"};
	return names[r];
}

/* RFC 8617 s7.2: the chain's result, with the client's address and how
 * far back the message is unchanged (oldest-pass, 0: all the way); the
 * comment names the newest set and its sealer, or why it failed.  No ';'
 * in comments: a sealer reads arc= back from this field. */
static void
put_arc(char *out, size_t len, size_t *o, size_t *col,
        const struct mailauth_results *res)
{
	static const char *const names[] = {"none", "pass", "fail",
	                                    "temperror"};
	char item[300];

	if (res->arc < 0)
		return;
	snprintf(item, sizeof(item), "; arc=%s", names[res->arc]);
	put(out, len, o, col, item);
	if (res->arc == ARC_RESULT_PASS)
		snprintf(item, sizeof(item), " (i=%d sealer=%s)", res->arc_sets,
		         res->arc_sealer);
	else
		snprintf(item, sizeof(item), " (%s)", res->arc_reason);
	if (res->arc != ARC_RESULT_NONE)
		put(out, len, o, col, item);
	if (res->remote_ip[0]) {
		snprintf(item, sizeof(item), " smtp.remote-ip=%s",
		         res->remote_ip);
		put(out, len, o, col, item);
	}
	if (res->arc == ARC_RESULT_PASS && res->arc_oldest_pass >= 0) {
		snprintf(item, sizeof(item), " header.oldest-pass=%d",
		         res->arc_oldest_pass);
		put(out, len, o, col, item);
	}
}

bool
mailauth_in_list(const char *list, const char *sealer)
{
	size_t sl = strlen(sealer);

	while (list && *list && sl > 0) {
		const char *comma = strchr(list, ','), *end;

		while (*list == ' ' || *list == '\t')
			list++;
		end = comma ? comma : list + strlen(list);
		while (end > list && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - list) == sl &&
		    strncasecmp(list, sealer, sl) == 0)
			return true;
		list = comma ? comma + 1 : NULL;
	}
	return false;
}

size_t
mailauth_field(const char *authserv_id, const struct mailauth_results *res,
               char *out, size_t len)
{
	static const char *const pol[] = {"none", "quarantine", "reject"};
	char item[600];
	size_t o = 0, col = 0, i;

	out[0] = '\0';
	snprintf(item, sizeof(item), "Authentication-Results: %s", authserv_id);
	put(out, len, &o, &col, item);
	if (res->spf >= 0) {
		snprintf(item, sizeof(item), "; spf=%s",
		         spf_result_name((enum spf_result)res->spf));
		put(out, len, &o, &col, item);
		put_prop(out, len, &o, &col,
		         res->spf_helo ? "smtp.helo" : "smtp.mailfrom",
		         res->spf_domain);
	}
	if (res->helo_spf >= 0) {
		snprintf(item, sizeof(item), "; spf=%s",
		         spf_result_name((enum spf_result)res->helo_spf));
		put(out, len, &o, &col, item);
		put_prop(out, len, &o, &col, "smtp.helo", res->helo_domain);
	}
	if (res->ndkim == 0)
		put(out, len, &o, &col, "; dkim=none");
	for (i = 0; i < res->ndkim; i++) {
		const struct mailauth_dkim *d = &res->dkim[i];

		snprintf(item, sizeof(item), "; dkim=%s", dkim_name(d->result));
		put(out, len, &o, &col, item);
		if (d->reason[0]) {
			snprintf(item, sizeof(item), " (%s)", d->reason);
			put(out, len, &o, &col, item);
		}
		if (d->d[0]) {
			put_prop(out, len, &o, &col, "header.d", d->d);
			put_prop(out, len, &o, &col, "header.s", d->s);
		}
		if (d->a[0]) {
			put_prop(out, len, &o, &col, "header.a", d->a);
		}
	}
	put_arc(out, len, &o, &col, res);
	snprintf(item, sizeof(item), "; dmarc=%s", dmarc_name(res->dmarc));
	put(out, len, &o, &col, item);
	if (res->dmarc == DMARC_PASS || res->dmarc == DMARC_FAIL) {
		snprintf(item, sizeof(item), " (p=%s%s%s%s)",
		         pol[res->dmarc_policy],
		         res->dmarc_sampled_out ? " pct=sampled-out" : "",
		         res->dmarc_arc_override ? " overridden by ARC sealer "
		                                 : "",
		         res->dmarc_arc_override ? res->arc_sealer : "");
		put(out, len, &o, &col, item);
	}
	if (res->from_domain[0]) {
		put_prop(out, len, &o, &col, "header.from", res->from_domain);
	}
	if (o + 3 > len)
		return 0;
	memcpy(out + o, "\r\n", 3);
	return o + 2;
}

/* The authserv-id of an Authentication-Results value: the first token
 * after comments and white space. */
static bool
claims(const char *v, const char *end, const char *id)
{
	size_t n = strlen(id);
	int depth = 0;

	while (v < end) {
		if (*v == '(')
			depth++;
		else if (*v == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !isspace((unsigned char)*v))
			break;
		v++;
	}
	if ((size_t)(end - v) < n || strncasecmp(v, id, n) != 0)
		return false;
	v += n;
	return v == end || *v == ';' || *v == '(' || isspace((unsigned char)*v);
}

size_t
mailauth_strip_ours(char *msg, size_t len, const char *authserv_id)
{
	static const char name[] = "Authentication-Results:";
	size_t pos = 0, end;

	while (pos < len &&
	       !(msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')) {
		/* One field: up to a CRLF not followed by white space. */
		end = pos;
		for (;;) {
			char *nl = memchr(msg + end, '\n', len - end);
			end = nl ? (size_t)(nl - msg) + 1 : len;
			if (end >= len || (msg[end] != ' ' && msg[end] != '\t'))
				break;
		}
		if ((end - pos > sizeof(name) - 1 &&
		     strncasecmp(msg + pos, name, sizeof(name) - 1) == 0 &&
		     claims(msg + pos + sizeof(name) - 1, msg + end,
		            authserv_id)) ||
		    (end - pos > 19 &&
		     strncasecmp(msg + pos, "X-Ferry-Quarantine:", 19) == 0)) {
			memmove(msg + pos, msg + end, len - end);
			len -= end - pos;
			continue;
		}
		pos = end;
	}
	return len;
}
