/* error.c - thread-local error messages; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char errbuf[V2K_ERROR_MAX];

void
v2k_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
}

void
v2k_error_errno(int errnum, const char *fmt, ...)
{
    va_list ap;
    char msg[V2K_ERROR_MAX];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(errbuf, sizeof errbuf, "%s: %s", msg, strerror(errnum));
}

void
v2k_error_prepend(const char *fmt, ...)
{
    va_list ap;
    char prefix[V2K_ERROR_MAX];
    char old[V2K_ERROR_MAX];
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof old);
    snprintf(errbuf, sizeof errbuf, "%s%s", prefix, old);
}

const char *
v2k_error_message(void)
{
    return errbuf;
}

void
v2k_error_clear(void)
{
    errbuf[0] = '\0';
}
