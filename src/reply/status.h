/*
 * status — the registry of every status ferry makes up on the client side.
 *
 * Each status is a row of statuses.def: identifier, basic code (0 when the
 * status is not an SMTP reply), enhanced code, reason category and text.
 * The relay client and the scheduler name the identifier (ST_EXPIRED),
 * never a literal code, as the server does with replies.def.
 *
 * Ownership: the table is static and const.  Errors: none; an unknown id is
 * a programming error (abort).  Thread-safe: yes (no state).
 */
#ifndef FERRY_STATUS_H
#define FERRY_STATUS_H

#include <stdio.h>

/* Why ferry made the status up. */
enum status_cat {
	STATUS_CAT_MESSAGE, /* the message does not fit the remote */
	STATUS_CAT_ADDRESS, /* an address cannot be sent */
	STATUS_CAT_ROUTING, /* the destination cannot be routed */
	STATUS_CAT_DNS,     /* the resolver failed */
	STATUS_CAT_NETWORK, /* no host answered */
	STATUS_CAT_LOCAL,   /* a local resource failed */
	STATUS_CAT_EXPIRY,  /* the message stayed too long in the queue */
	STATUS_CAT_OUTCOME, /* a default for an outcome without a code */
	STATUS_CAT_TLS,     /* the transport security the peer requires */
};

enum status_id {
#define STATUS(id, code, enh, cat, text) id,
#include "reply/statuses.def"
#undef STATUS
	ST__COUNT
};

struct status_def {
	const char *name; /* "ST_EXPIRED" */
	int code;         /* 553, or 0 */
	const char *enh;  /* "4.4.7" */
	enum status_cat cat;
	const char *text;
};

const struct status_def *status_def(enum status_id id);

/* The enhanced code of a status: status_def(id)->enh. */
const char *status_enh(enum status_id id);

/* "routing", "dns", ...: the category's name in docs and logs. */
const char *status_cat_name(enum status_cat cat);

/* Append the table to docs/replies.md's text. */
void status_print_markdown(FILE *out);

#endif
