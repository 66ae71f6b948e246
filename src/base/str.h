/*
 * str — string helpers shared by the modules.
 */
#ifndef FERRY_BASE_STR_H
#define FERRY_BASE_STR_H

/* strdup() that passes NULL through and stops the process when memory is
 * gone (ferry fails stop on out-of-memory rather than limp on). */
char *str_dup(const char *s);

#endif
