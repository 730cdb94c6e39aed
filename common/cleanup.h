/* cleanup.h - scope-exit cleanup attributes (as nbdkit's common/include).
 *
 *   CLEANUP_FREE char *s = strdup(x);     freed when s leaves scope
 *   CLEANUP_CLOSE int fd = open(...);     closed when >= 0
 *   CLEANUP_STRV char **l = ...;          v2k_strv_free (util.h)
 *
 * Set the variable to NULL / -1 to hand ownership elsewhere.
 */
#ifndef V2K_CLEANUP_H
#define V2K_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
v2k_cleanup_free(void *ptr)
{
    free(*(void **)ptr);
}

static inline void
v2k_cleanup_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

static inline void
v2k_cleanup_fclose(FILE **fp)
{
    if (*fp)
        fclose(*fp);
}

void v2k_strv_free(char **l);

static inline void
v2k_cleanup_strv(char ***l)
{
    v2k_strv_free(*l);
}

#define CLEANUP_FREE __attribute__((cleanup(v2k_cleanup_free)))
#define CLEANUP_CLOSE __attribute__((cleanup(v2k_cleanup_close)))
#define CLEANUP_FCLOSE __attribute__((cleanup(v2k_cleanup_fclose)))
#define CLEANUP_STRV __attribute__((cleanup(v2k_cleanup_strv)))

#endif
