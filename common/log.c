/* log.c - see log.h. */
#include "log.h"
#include "json.h"
#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *prog = "v2kvm";
static int verbosity;
static bool quiet, machine, trace;
static double t0;

void
v2k_log_init(const char *p, int verbose, bool q, bool machine_readable,
             bool tr)
{
    prog = p;
    verbosity = verbose;
    quiet = q;
    machine = machine_readable;
    trace = tr;
    t0 = v2k_now();
}

const char *v2k_log_prog(void) { return prog; }
bool v2k_log_verbose(void) { return verbosity > 0; }
bool v2k_log_quiet(void) { return quiet; }
bool v2k_log_trace(void) { return trace; }
bool v2k_log_machine_readable(void) { return machine; }

struct v2k_json *
v2k_log_json_begin(const char *type)
{
    struct v2k_json *j;

    flockfile(stdout);
    j = v2k_json_new(stdout, false);
    if (j == NULL) {
        funlockfile(stdout);
        return NULL;
    }
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "type", type);
    v2k_json_kv_double(j, "time", t0 > 0 ? v2k_now() - t0 : 0);
    return j;
}

void
v2k_log_json_end(struct v2k_json *j)
{
    if (j == NULL)
        return;
    v2k_json_end_object(j);
    v2k_json_free(j);
    fflush(stdout);
    funlockfile(stdout);
}

void
v2k_log_phase(const char *phase, double seconds)
{
    struct v2k_json *j;

    v2k_debug("%s: %.1f s", phase, seconds);
    if (!v2k_log_machine_readable())
        return;
    j = v2k_log_json_begin("phase");
    if (j == NULL)
        return;
    v2k_json_kv_string(j, "phase", phase);
    v2k_json_kv_double(j, "seconds", seconds);
    v2k_log_json_end(j);
}

static void
json_line(const char *type, const char *text)
{
    struct v2k_json *j = v2k_log_json_begin(type);
    if (j == NULL)
        return;
    v2k_json_kv_string(j, "message", text);
    v2k_log_json_end(j);
}

/* Length of the valid UTF-8 sequence at p (1..4) and its code point,
 * or 0 when p does not start one (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t
utf8_decode(const unsigned char *p, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2, c = p[0] & 0x1f, min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3, c = p[0] & 0x0f, min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4, c = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)      /* also stops at the NUL */
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

static bool
needs_escape(uint32_t c)
{
    return c < 0x20 || c == 0x7f ||
           (c >= 0x80 && c <= 0x9f) ||          /* C1 controls */
           (c >= 0x202a && c <= 0x202e) ||      /* LRE..RLO */
           (c >= 0x2066 && c <= 0x2069);        /* LRI..PDI */
}

char *
v2k_log_escape(const char *in, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;

    if (outlen == 0)
        return out;
    while (*p) {
        char esc[12];
        const char *piece = esc;
        uint32_t c;
        size_t n = utf8_decode(p, &c), len;

        if (n == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", p[0]);
            n = 1;
        } else if (needs_escape(c)) {
            if (c < 0x80)
                snprintf(esc, sizeof esc, "\\x%02x", (unsigned)c);
            else
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
        } else {
            piece = (const char *)p;
        }
        len = piece == esc ? strlen(esc) : n;
        if (o + len >= outlen)
            break;
        memcpy(out + o, piece, len);
        o += len;
        p += n;
    }
    out[o] = '\0';
    return out;
}

/* Format into buf (a char array) and escape it (v2k_log_escape). */
#define FORMAT(buf, fmt)                                                  \
    do {                                                                  \
        char raw_[sizeof buf / 4];                                        \
        va_list ap_;                                                      \
        va_start(ap_, fmt);                                               \
        vsnprintf(raw_, sizeof raw_, fmt, ap_);                           \
        va_end(ap_);                                                      \
        v2k_log_escape(raw_, buf, sizeof buf);                            \
    } while (0)

void
v2k_msg(const char *fmt, ...)
{
    char buf[4 * 2048];

    if (quiet)
        return;
    FORMAT(buf, fmt);
    if (machine) {
        json_line("message", buf);
        return;
    }
    printf("[%7.1f] %s\n", t0 > 0 ? v2k_now() - t0 : 0.0, buf);
    fflush(stdout);
}

void
v2k_warning(const char *fmt, ...)
{
    char buf[4 * 2048];

    FORMAT(buf, fmt);
    if (machine) {
        json_line("warning", buf);
        return;
    }
    fflush(stdout);
    fprintf(stderr, "%s: warning: %s\n", prog, buf);
}

void
v2k_debug(const char *fmt, ...)
{
    char buf[4 * 2048];

    if (verbosity <= 0)
        return;
    FORMAT(buf, fmt);
    if (machine) {
        json_line("debug", buf);
        return;
    }
    fprintf(stderr, "%s: debug: %s\n", prog, buf);
}

void
v2k_log_error(const char *message)
{
    char buf[4 * 2048];

    v2k_log_escape(message, buf, sizeof buf);
    if (machine)
        json_line("error", buf);
    fflush(stdout);
    fprintf(stderr, "%s: error: %s\n", prog, buf);
}
