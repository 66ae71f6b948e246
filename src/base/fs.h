/*
 * fs — small file-system helpers with no mail knowledge.
 * Errors: -1 with errno set.
 */
#ifndef FERRY_BASE_FS_H
#define FERRY_BASE_FS_H

#include <sys/types.h>

/* mkdir -p: every missing component is created with mode. */
int fs_mkdir_p(const char *path, mode_t mode);

#endif
