/* error.c - thread-local error messages; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread char errbuf[V2K_ERROR_MAX];

/* How much of the head of a too long message is kept; the rest of the
 * buffer keeps its tail. */
#define HEAD_KEEP 256
#define ELISION " [...] "

static bool
is_cont(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;   /* UTF-8 continuation */
}

/* Store s.  A message too long for the buffer loses its middle, not its
 * end: context is added in front (v2k_error_prepend, "FILE: parent
 * 'P': ...") so the cause is at the end (a parent loop nested 64 deep
 * must still say "loop").  Cuts fall between UTF-8 characters. */
static void
store(const char *s)
{
    size_t len = strlen(s), head, tail_at, room;

    if (len < sizeof errbuf) {
        memcpy(errbuf, s, len + 1);
        return;
    }
    head = HEAD_KEEP;
    while (head > 0 && is_cont(s[head]))
        head--;
    room = sizeof errbuf - 1 - head - strlen(ELISION);
    tail_at = len - room;
    while (tail_at < len && is_cont(s[tail_at]))
        tail_at++;
    memcpy(errbuf, s, head);
    memcpy(errbuf + head, ELISION, strlen(ELISION));
    memcpy(errbuf + head + strlen(ELISION), s + tail_at, len - tail_at + 1);
}

/* vsnprintf into a buffer as long as it takes; NULL when out of
 * memory (the caller then keeps a cut copy). */
static char *
vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) == -1)
        return NULL;
    return s;
}

void
v2k_error(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = vformat(fmt, ap);
    va_end(ap);
    if (s == NULL) {
        va_start(ap, fmt);
        vsnprintf(errbuf, sizeof errbuf, fmt, ap);
        va_end(ap);
        return;
    }
    store(s);
    free(s);
}

void
v2k_error_errno(int errnum, const char *fmt, ...)
{
    va_list ap;
    char *msg, *s = NULL;
    const char *err = strerror(errnum);

    va_start(ap, fmt);
    msg = vformat(fmt, ap);
    va_end(ap);
    if (msg == NULL || asprintf(&s, "%s: %s", msg, err) == -1) {
        snprintf(errbuf, sizeof errbuf, "%s", err);
        free(msg);
        return;
    }
    store(s);
    free(s);
    free(msg);
}

void
v2k_error_prepend(const char *fmt, ...)
{
    va_list ap;
    char *prefix, *s = NULL;

    va_start(ap, fmt);
    prefix = vformat(fmt, ap);
    va_end(ap);
    if (prefix == NULL)
        return;                 /* keep the cause rather than the context */
    if (asprintf(&s, "%s%s", prefix, errbuf) != -1) {
        store(s);
        free(s);
    }
    free(prefix);
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
