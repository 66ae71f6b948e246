/*
 * str — string helpers shared by the modules.
 */
#ifndef FERRY_BASE_STR_H
#define FERRY_BASE_STR_H

#include <stddef.h>

/* strdup() that passes NULL through and stops the process when memory is
 * gone (ferry fails stop on out-of-memory rather than limp on). */
char *str_dup(const char *s);

/* The n octets at s as a string of their own (a NUL among them is copied
 * too, unlike strndup); stops the process when memory is gone. */
char *str_ndup(const char *s, size_t n);

#endif
