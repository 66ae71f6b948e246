/*
 * explain_int.h — internals shared by the explain module's files: reply
 * parsing, the text-pattern and provider tables, code-level fallbacks.
 * Not for use outside src/explain/.  Same rules as explain.h: no global
 * mutable state, every returned pointer is static.
 */
#ifndef FERRY_EXPLAIN_INT_H
#define FERRY_EXPLAIN_INT_H

#include <stddef.h>

#include "explain/explain.h"

/* Largest input considered; longer input is truncated (with a warning). */
#define EXPLAIN_INPUT_MAX 16384

/* A wording the text of a reply may contain.  match is lower case; '*'
 * stands for any run of characters.  cls restricts the pattern to replies of
 * that class (4 or 5; 0 = any). */
struct text_pattern {
	const char *match;
	enum explain_reason reason;
	int cls;
	int actor;            /* enum explain_actor, or -1 for the default */
	const char *provider; /* product or provider the wording identifies */
	const char *note;     /* what the provider documents it to mean */
	int action;           /* enum explain_action implied, or -1 */
	int weak;             /* generic word: loses to any other match and
	                         to an enhanced code that names a reason */
	const char *advice;   /* advice for this wording, or NULL for the
	                         reason's generic advice */
};

struct provider_marker {
	const char *match;
	const char *name;
};

/* parse.c: find codes and text in free-form input; fills basic, enhanced,
 * enh_*, text and flags. Returns 0 if any code was found, -1 otherwise. */
int reply_parse(const char *in, size_t len, struct explain_result *r);
int enhanced_parse(const char *s, size_t len, int *cls, int *subj, int *det);

/* text.c: lower-case ASCII copy with whitespace collapsed and typographic
 * quotes folded; glob match with '*' gaps. */
void text_fold(char *dst, size_t dstsz, const char *src, size_t len);
/* Offset where the match of pattern starts in hay, or -1. */
long text_find(const char *hay, const char *pattern);

/* patterns.c */
const struct text_pattern *pattern_find(const char *folded, int cls);
void provider_detect(const char *folded, char *out, size_t outsz);
void provider_merge(char *out, size_t outsz, const char *name);

/* codes.c: reason implied by codes alone, and notes on non-standard codes */
enum explain_reason enhanced_reason(int cls, int subject, int detail);
/* Whether the enhanced code names a condition on its own (5.7.26), as
 * opposed to a catch-all such as X.0.0 or X.7.1. */
int enhanced_is_specific(int subject, int detail);
enum explain_reason basic_reason(int code);
const char *basic_nonstandard_note(int code);

/* reason.c */
enum explain_actor reason_default_actor(enum explain_reason reason);

void explain_result_warn(struct explain_result *r, const char *warning);

#endif
