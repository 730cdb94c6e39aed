/* pathpolicy.c - confinement of the files a VM description names
 * (pathpolicy.h). */
#include "pathpolicy.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PATHPOLICY_MAX_ALLOWED 64   /* --allow-path given more often: error */

static char *allowed[PATHPOLICY_MAX_ALLOWED];
static size_t nallowed;

int
v2k_pathpolicy_allow(const char *dir)
{
    char real[PATH_MAX];

    if (nallowed == PATHPOLICY_MAX_ALLOWED) {
        v2k_error("--allow-path %s: more than %d directories", dir,
                  PATHPOLICY_MAX_ALLOWED);
        return -1;
    }
    if (realpath(dir, real) == NULL) {
        v2k_error_errno(errno, "--allow-path %s", dir);
        return -1;
    }
    if ((allowed[nallowed] = v2k_strdup(real)) == NULL)
        return -1;
    nallowed++;
    return 0;
}

void
v2k_pathpolicy_reset(void)
{
    for (size_t i = 0; i < nallowed; i++)
        free(allowed[i]);
    nallowed = 0;
}

/* True when real (canonical) is dir (canonical) or lies below it. */
static bool
is_under(const char *real, const char *dir)
{
    size_t n = strlen(dir);

    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(real, dir, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

int
v2k_pathpolicy_check(const char *root, const char *path,
                     const char *referrer, const char *ref)
{
    char real[PATH_MAX], rroot[PATH_MAX];

    if (root == NULL)
        return 0;
    if (realpath(path, real) == NULL)
        return 0;       /* the open reports it */
    if (realpath(root, rroot) == NULL) {
        v2k_error_errno(errno, "%s: confinement directory %s", referrer,
                        root);
        return -1;
    }
    if (is_under(real, rroot))
        return 0;
    for (size_t i = 0; i < nallowed; i++)
        if (is_under(real, allowed[i]))
            return 0;
    if (ref == NULL)
        v2k_error("%s leads to %s, outside %s (allow it with --allow-path DIR)",
                  referrer, real, rroot);
    else
        v2k_error("%s: reference '%s' leads to %s, outside %s (allow it with --allow-path DIR)",
                  referrer, ref, real, rroot);
    return -1;
}
