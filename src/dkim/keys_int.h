/* keys_int.h — the loaded key set, shared inside src/dkim only. */
#ifndef FERRY_DKIM_KEYS_INT_H
#define FERRY_DKIM_KEYS_INT_H

#include <stddef.h>

#include "dkim/dkim.h"

struct dkim_key {
	char *domain;   /* lower-case */
	char *selector; /* as the file is named */
	EVP_PKEY *pkey;
	int alg; /* enum dkim_alg */
};

struct dkim_keys {
	struct dkim_key *k;
	size_t n;
};

#endif
