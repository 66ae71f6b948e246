/*
 * rules_auth.c — sender authentication as policy rules: SPF of the MAIL
 * FROM domain (or the HELO name for a null sender, and the HELO name as
 * well when the domain has no SPF) at MAIL, where it is only recorded; its
 * enforcement per recipient domain at RCPT; DKIM and DMARC at the end of DATA.
 * [mailauth] enforce (or the recipient domain's mailauth_enforce) decides
 * whether a result refuses anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/log.h"
#include "mailauth/mailauth.h"
#include "policy/policy_int.h"
#include "spf/spf.h"

bool
policy_auth_wanted(const struct config *cfg, enum listener_role role,
                   const char *auth_user)
{
	return cfg->mailauth_verify && role == LISTENER_SMTP &&
	       auth_user == NULL;
}

struct mailauth_results *
policy_auth_new(void)
{
	struct mailauth_results *a = xmalloc(sizeof(*a));

	mailauth_results_init(a);
	return a;
}

void
policy_auth_free(struct mailauth_results *a)
{
	free(a);
}

static bool
checked(const struct policy_run *r)
{
	const struct policy_facts *f = r->f;

	return f->auth != NULL && r->p->dns != NULL && !f->dry_run &&
	       policy_auth_wanted(r->p->cfg, f->role, f->auth_user);
}

/* Mail to domain is refused on a failed check. */
static bool
enforced(const struct config *cfg, const char *domain)
{
	const struct config_domain *d =
	        domain ? config_find_domain(cfg, domain) : NULL;

	if (d != NULL && d->mailauth_enforce != 0)
		return d->mailauth_enforce == 2;
	return cfg->mailauth_enforce == 1;
}

/* Seconds one check (SPF; DKIM with DMARC) may take. */
static unsigned
check_limit(const struct policy_run *r)
{
	int s = r->p->cfg->mailauth_dns_timeout;

	return s > 0 ? (unsigned)s : SPF_CHECK_TIMEOUT_S;
}

static void
helo_spf_done(void *arg, const struct spf_outcome *o)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	r->f->auth->helo_spf = (int)o->result;
	log_event(LOG_LVL_INFO, "spf", "client", r->f->client_ip, "identity",
	          r->f->auth->helo_domain, "result", spf_result_name(o->result),
	          "reason", o->reason, NULL);
	policy_pass(r);
}

/* A HELO name SPF can judge: a domain name, not an address literal. */
static bool
helo_checkable(const char *helo)
{
	return helo != NULL && helo[0] != '[' && strchr(helo, '.') != NULL &&
	       strlen(helo) < MAILAUTH_NAME;
}

/*
 * RFC 7208 s2.3 recommends checking the HELO identity too.  ferry does
 * when the MAIL FROM domain says nothing (none): then the HELO result is
 * the only SPF word on the client, recorded as smtp.helo (DMARC still
 * uses MAIL FROM's).  Domains that publish SPF cost no second check.
 */
static bool
check_helo_too(struct policy_run *r, const struct spf_outcome *o)
{
	struct mailauth_results *a = r->f->auth;
	char sender[POLICY_ARG_MAX];

	if (a->spf_helo || o->result != SPF_NONE || !helo_checkable(r->f->helo))
		return false;
	snprintf(a->helo_domain, sizeof(a->helo_domain), "%s", r->f->helo);
	snprintf(sender, sizeof(sender), "postmaster@%s", r->f->helo);
	return spf_check_host(r->p->dns, r->f->client_ip, a->helo_domain,
	                      sender, r->f->helo, check_limit(r), helo_spf_done,
	                      r) != NULL;
}

static void
spf_done(void *arg, const struct spf_outcome *o)
{
	struct policy_run *r = arg;
	struct mailauth_results *a;

	if (policy_run_gone(r))
		return;
	a = r->f->auth;
	a->spf = (int)o->result;
	snprintf(a->spf_explanation, sizeof(a->spf_explanation), "%s",
	         o->explanation ? o->explanation : "");
	log_event(LOG_LVL_INFO, "spf", "client", r->f->client_ip, "identity",
	          a->spf_domain, "result", spf_result_name(o->result), "reason",
	          o->reason, NULL);
	if (!check_helo_too(r, o))
		policy_pass(r);
}

void
rule_spf(struct policy_run *r)
{
	struct policy_facts *f = r->f;
	struct mailauth_results *a = f->auth;
	const char *at, *helo = f->helo ? f->helo : "";
	char sender[POLICY_ARG_MAX];

	if (!checked(r) || f->sender == NULL) {
		policy_pass(r);
		return;
	}
	mailauth_results_init(a);
	at = strrchr(f->sender, '@');
	a->spf_helo = f->sender[0] == '\0' || at == NULL;
	if (a->spf_helo) {
		snprintf(a->spf_domain, sizeof(a->spf_domain), "%s", helo);
		snprintf(sender, sizeof(sender), "postmaster@%s", helo);
	} else {
		snprintf(a->spf_domain, sizeof(a->spf_domain), "%s", at + 1);
		snprintf(sender, sizeof(sender), "%s", f->sender);
	}
	if (spf_check_host(r->p->dns, f->client_ip, a->spf_domain, sender, helo,
	                   check_limit(r), spf_done, r) == NULL)
		policy_pass(r); /* out of memory: the result stays unknown */
}

void
rule_spf_enforce(struct policy_run *r)
{
	struct policy_facts *f = r->f;
	int spf = f->auth ? f->auth->spf : -1;

	if (!checked(r) || !enforced(r->p->cfg, f->rcpt_domain)) {
		policy_pass(r);
		return;
	}
	if (spf == SPF_FAIL)
		policy_refuse(r, PR_SPF, f->auth->spf_domain, R_SPF_FAIL,
		              f->auth->spf_explanation, NULL);
	else if (spf == SPF_TEMPERROR)
		policy_refuse(r, PR_SPF, f->auth->spf_domain, R_SPF_TEMPERROR,
		              NULL, NULL);
	else
		policy_pass(r);
}

/* One recipient's domain enforces: the message is refused for all. */
static bool
any_enforced(const struct policy_facts *f, const struct config *cfg)
{
	size_t i;
	const char *at;

	for (i = 0; i < f->data_nrcpts; i++) {
		at = strrchr(f->data_rcpts[i], '@');
		if (enforced(cfg, at ? at + 1 : NULL))
			return true;
	}
	return f->data_nrcpts == 0 && cfg->mailauth_enforce == 1;
}

static void
dmarc_done(void *arg, const struct mailauth_results *res)
{
	struct policy_run *r = arg;
	struct policy_facts *f;
	enum dmarc_policy disp;

	if (policy_run_gone(r))
		return;
	f = r->f;
	*f->auth = *res;
	f->auth->dmarc_arc_override =
	        res->dmarc == DMARC_FAIL && res->arc == ARC_RESULT_PASS &&
	        mailauth_in_list(r->p->cfg->mailauth_arc_trusted_sealers,
	                         res->arc_sealer);
	disp = mailauth_disposition(f->auth);
	log_event(LOG_LVL_INFO, "dmarc", "client", f->client_ip, "from",
	          res->from_domain, "arc",
	          res->arc == ARC_RESULT_PASS   ? "pass"
	          : res->arc == ARC_RESULT_FAIL ? "fail"
	          : res->arc == ARC_RESULT_NONE ? "none"
	                                        : "temperror",
	          "result",
	          res->dmarc == DMARC_PASS        ? "pass"
	          : res->dmarc == DMARC_FAIL      ? "fail"
	          : res->dmarc == DMARC_TEMPERROR ? "temperror"
	                                          : "none",
	          "policy",
	          disp == DMARC_P_REJECT       ? "reject"
	          : disp == DMARC_P_QUARANTINE ? "quarantine"
	                                       : "none",
	          NULL);
	if (!any_enforced(f, r->p->cfg)) {
		policy_pass(r);
		return;
	}
	if (disp == DMARC_P_REJECT)
		policy_refuse(r, PR_DMARC, res->from_domain, R_DMARC_REJECT,
		              res->from_domain, NULL);
	else if (res->dmarc == DMARC_TEMPERROR)
		policy_refuse(r, PR_DMARC, res->from_domain, R_DMARC_TEMPERROR,
		              res->from_domain, NULL);
	else {
		f->quarantine = disp == DMARC_P_QUARANTINE;
		policy_pass(r);
	}
}

void
rule_dmarc(struct policy_run *r)
{
	struct policy_facts *f = r->f;

	f->quarantine = false;
	if (!checked(r) || f->msg == NULL) {
		policy_pass(r);
		return;
	}
	snprintf(f->auth->remote_ip, sizeof(f->auth->remote_ip), "%s",
	         f->client_ip ? f->client_ip : "");
	if (mailauth_check_message(r->p->dns, r->p->psl, f->msg, f->msg_len,
	                           f->auth, check_limit(r), dmarc_done,
	                           r) == NULL)
		policy_pass(r);
}

size_t
policy_auth_fields(const struct config *cfg, const struct policy_facts *f,
                   char *msg, size_t *len, char *out, size_t outlen)
{
	const char *id = cfg->mailauth_authserv_id ? cfg->mailauth_authserv_id
	                                           : cfg->hostname;
	size_t n;
	int q;

	if (f->auth == NULL)
		return 0;
	*len = mailauth_strip_ours(msg, *len, id);
	n = mailauth_field(id, f->auth, out, outlen);
	if (n > 0 && f->quarantine) {
		q = snprintf(out + n, outlen - n,
		             "X-Ferry-Quarantine: DMARC policy of %s\r\n",
		             f->auth->from_domain);
		if (q > 0 && (size_t)q < outlen - n)
			n += (size_t)q;
	}
	return n;
}
