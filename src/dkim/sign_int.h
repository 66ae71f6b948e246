/* sign_int.h — helpers of the signer, shared with its tests. */
#ifndef FERRY_DKIM_SIGN_INT_H
#define FERRY_DKIM_SIGN_INT_H

#include <stdbool.h>
#include <stddef.h>

/* True if field f (n bytes) has the given (lower-case) name. */
bool dkim_field_is(const char *f, size_t n, const char *name);
/* The address of the one author in the one From field (domain lower-cased);
 * false if there is no From, more than one, or more than one author. */
bool dkim_from_address(const char *msg, size_t len, char *out, size_t outlen);

#endif
