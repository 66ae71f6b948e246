/*
 * iana.h — the reference registries compiled into ferry: IANA SMTP enhanced
 * status codes (RFC 3463 and successors), their class/subject summaries, and
 * the RFC 5321 (+ 3207, 4954, 7504) basic reply codes.
 *
 * The arrays are generated into iana_codes.c by scripts/gen-iana-table.py;
 * never edit them by hand.  Lookups return pointers into static const data
 * (never free them) or NULL when the code is not registered.  Thread-safe.
 */
#ifndef FERRY_EXPLAIN_IANA_H
#define FERRY_EXPLAIN_IANA_H

#include <stddef.h>

struct iana_enhanced {
	int subject;             /* X.<subject>.Y */
	int detail;              /* X.Y.<detail> */
	const char *sample_text; /* registry's short name */
	const char *basic_codes; /* associated basic codes, "---" if none */
	const char *description; /* paraphrased meaning */
	const char *reference;
};

struct iana_class {
	const char *code; /* "4.XXX.YYY" (a class) or "X.2.YYY" (a subject) */
	const char *summary;
	const char *description;
	const char *reference;
};

struct iana_basic {
	int code;
	const char *meaning;
	const char *reference;
};

extern const struct iana_enhanced iana_enhanced_codes[];
extern const size_t iana_enhanced_count;
extern const struct iana_class iana_classes[];
extern const size_t iana_class_count;
extern const struct iana_basic iana_basic_codes[];
extern const size_t iana_basic_count;

const struct iana_enhanced *iana_enhanced_find(int subject, int detail);
const struct iana_class *iana_class_find(int cls);
const struct iana_class *iana_subject_find(int subject);
const struct iana_basic *iana_basic_find(int code);

#endif
