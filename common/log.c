/* log.c - see log.h. */
#include "log.h"
#include "json.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>

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

static void
json_line(const char *type, const char *text)
{
    struct v2k_json *j = v2k_log_json_begin(type);
    if (j == NULL)
        return;
    v2k_json_kv_string(j, "message", text);
    v2k_log_json_end(j);
}

#define FORMAT(buf, fmt)                                                  \
    do {                                                                  \
        va_list ap_;                                                      \
        va_start(ap_, fmt);                                               \
        vsnprintf(buf, sizeof buf, fmt, ap_);                             \
        va_end(ap_);                                                      \
    } while (0)

void
v2k_msg(const char *fmt, ...)
{
    char buf[2048];

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
    char buf[2048];

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
    char buf[2048];

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
    if (machine)
        json_line("error", message);
    fflush(stdout);
    fprintf(stderr, "%s: error: %s\n", prog, message);
}
