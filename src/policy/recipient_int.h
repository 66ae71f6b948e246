/*
 * recipient_int — what recipient.c and recipient_map.c share.  Not for
 * use outside src/policy/.
 */
#ifndef FERRY_POLICY_RECIPIENT_INT_H
#define FERRY_POLICY_RECIPIENT_INT_H

#include <stdbool.h>

#include "policy/recipient.h"

struct config_relay_domain;

/* Lower-cases s in place. */
void recipient_lower(char *s);

/* The verdict for local@r->name: RCPT_RELAY with the address as the one
 * target, or RCPT_RELAY_UNKNOWN. */
void recipient_relay(const struct config_relay_domain *r, const char *local,
                     struct recipient_result *out);

/* Is local a mailbox of d's mailbox_map? */
bool recipient_map_mailbox(const struct config_domain *d, const char *local);

/* The alias_map value for local in d ("TARGET, TARGET", heap), or NULL. */
char *recipient_map_alias(const struct config_domain *d, const char *local);

#endif
