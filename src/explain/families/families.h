/*
 * families.h — one declaration per family file in this directory.
 * Internal to src/explain/.
 */
#ifndef FERRY_EXPLAIN_FAMILIES_H
#define FERRY_EXPLAIN_FAMILIES_H

#include "explain/family.h"

extern const struct bounce_family family_amazonses;
extern const struct bounce_family family_amazonworkmail;
extern const struct bounce_family family_apachejames;
extern const struct bounce_family family_feedbackmail;
extern const struct bounce_family family_cox;
extern const struct bounce_family family_dragonfly;
extern const struct bounce_family family_exchange;
extern const struct bounce_family family_ezweb;
extern const struct bounce_family family_exim;
extern const struct bounce_family family_fml;
extern const struct bounce_family family_gmail;
extern const struct bounce_family family_googlegroups;
extern const struct bounce_family family_imailserver;
extern const struct bounce_family family_opensmtpd;
extern const struct bounce_family family_orange;
extern const struct bounce_family family_postfix;
extern const struct bounce_family family_qmail;
extern const struct bounce_family family_sendmail;
extern const struct bounce_family family_spectrum;
extern const struct bounce_family family_trendmicro;
extern const struct bounce_family family_verizon;
extern const struct bounce_family family_nttdocomo;
extern const struct bounce_family family_yahoo;
extern const struct bounce_family family_zoho;

#endif
