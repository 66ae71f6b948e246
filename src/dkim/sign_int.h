/* sign_int.h — helpers of the signer, shared with its tests. */
#ifndef FERRY_DKIM_SIGN_INT_H
#define FERRY_DKIM_SIGN_INT_H

#include <stdbool.h>
#include <stddef.h>

/* True if field f (n bytes) has the given (lower-case) name. */
bool dkim_field_is(const char *f, size_t n, const char *name);
#include "dkim/dkim.h" /* dkim_from_address() */

#endif
