/*
 * family.h — the software or provider that wrote a bounce, and what it is
 * known to write.  A family is recognised from the top-level headers
 * (From, Subject, X-Mailer, Received, ...) or from a sentence of its body;
 * it says where its copy of the returned message starts, how it lays out
 * each recipient (when the generic reader does not do), and its own
 * sentences with the reason each one means.  One family is one file under
 * src/explain/families/ and one line in families.c.
 *
 * Matching is on folded text (text_fold: lower case, whitespace collapsed);
 * a '*' in a marker or phrase stands for any run of characters.
 * Internal to src/explain/; everything here is static data.
 */
#ifndef FERRY_EXPLAIN_FAMILY_H
#define FERRY_EXPLAIN_FAMILY_H

#include <stddef.h>

#include "explain/bounce.h"

/* A sentence of the family's and the reason it stands for. */
struct family_phrase {
	const char *match;
	enum explain_reason reason;
};

struct bounce_text; /* bounce_int.h */

struct bounce_family {
	const char *name;
	/* "header:substring" markers looked for in the top-level headers,
	 * e.g. "x-mailer:zoho mail"; NULL-terminated, may be NULL. */
	const char *const *headers;
	/* Sentences that identify the family in the body. */
	const char *const *body;
	/* Where the family's copy of the original message starts. */
	const char *const *end;
	/* The family's own sentences, weighed before any code. */
	const struct family_phrase *phrases;
	/* Every recipient of this family's reports has this reason
	 * (REASON_UNDEFINED: decide per recipient). */
	enum explain_reason fixed;
	/* The family writes its reason in the notice, not beside the
	 * recipient: its phrases are read in the whole notice too (for a
	 * report about one recipient). */
	int notice_says_why;
	/* A reader for a layout the generic one does not know, or NULL. */
	void (*read)(const struct bounce_text *t, struct bounce_report *rep);
	/* For a receiving provider rather than a reporting MTA: markers of
	 * its replies (host names, its error-code prefix), looked for in
	 * each recipient's reply whoever reported it, and a reader of its
	 * documented error codes (returns a reason, or -1). */
	const char *const *reply_markers;
	int (*reply_reason)(const struct bounce_entry *e, const char *folded);
};

/* The family that wrote the message (headers first, then body), or NULL. */
const struct bounce_family *family_detect(const char *hdrs, size_t hlen,
                                          const char *body, size_t blen);

/* Reason from the family's phrase table for folded text, or -1. */
int family_phrase_reason(const struct bounce_family *f, const char *folded);

/* Reason a receiving provider documents for the entry's reply (folded),
 * or -1. */
int provider_reason(const struct bounce_entry *e, const char *folded);

#endif
