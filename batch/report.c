/* report.c - see report.h.
 *
 * First a model (struct report) is gathered from the plan, the state
 * and the logs, then the JSON and the HTML are written from it: the two
 * files say the same things. */
#include "report.h"
#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Facts v2kvm's result line gave (state.h, v2k_state_record_result). */
enum fact { F_DISTRO, F_PRODUCT, F_OSINFO, F_FIRMWARE, F_DISKS, F_COUNT };
static const char *const fact_keys[F_COUNT] = {
    "distro", "product_name", "osinfo", "firmware", "disks",
};

#define NPHASES (V2K_PHASE_INTERRUPTED + 1)

struct rvm {
    const char *name;                   /* borrowed: pv's or sv's */
    const struct v2k_plan_vm *pv;       /* borrowed, NULL = not in plan */
    bool known;                         /* the state has it (sv valid) */
    struct v2k_state_vm sv;             /* owned */
    struct v2k_state_phase *ph;         /* owned */
    size_t nph;
    char **warnings, **outputs, **tail; /* owned lists */
    size_t nwarnings, noutputs, ntail;
    char *log_path;                     /* owned */
    char *facts[F_COUNT];               /* owned, or NULL */
    uint64_t sizes[V2K_STATE_MAX_DISKS];
    size_t nsizes;
    long ndisks;                        /* -1 = unknown */
    double dur[NPHASES];                /* seconds in each phase, all
                                           attempts */
    double seconds;                     /* their sum */
};

struct report {
    struct v2k_plan *p;                 /* owned */
    struct v2k_state *st;               /* owned, NULL = no state yet */
    struct v2k_state_run *runs;         /* owned */
    size_t nruns;
    struct rvm *vms;                    /* owned */
    size_t nvms;
    double now;                         /* when the report was made */
    double t0, t1;                      /* the timeline's extent */
    size_t count[NPHASES];
    uint64_t bytes_copied, bytes_total;
    double run_seconds;                 /* the runs' durations, summed */
};

/* --- strings ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 (RFC 3629: no
 * overlongs, surrogates or code points above U+10FFFF). */
static size_t
utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* In place: bytes that are not UTF-8, and control characters but tab,
 * become '?'.  NULL is left alone. */
static void
clean(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (p && *p) {
        size_t n = utf8_len(p);

        if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\t') || *p == 0x7f))) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static void
clean_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        clean(l[i]);
}

/* s for HTML text and (double- or single-quoted) attribute values. */
static void
html(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

static void __attribute__((format(printf, 2, 3)))
htmlf(FILE *fp, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    html(fp, buf);
}

/* "2026-12-07 16:20:01 UTC", or "-" for 0. */
static const char *
utc(double t, char *buf, size_t len)
{
    struct tm tm;
    time_t s = (time_t)t;

    if (t <= 0 || gmtime_r(&s, &tm) == NULL)
        snprintf(buf, len, "-");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

/* "0.04 s", "12.3 s", "4 min 05 s", "2 h 03 min". */
static const char *
duration(double s, char *buf, size_t len)
{
    long t = lround(s);

    if (s < 1)
        snprintf(buf, len, "%.2f s", s);
    else if (s < 60)
        snprintf(buf, len, "%.1f s", s);
    else if (t < 3600)
        snprintf(buf, len, "%ld min %02ld s", t / 60, t % 60);
    else
        snprintf(buf, len, "%ld h %02ld min", t / 3600, t / 60 % 60);
    return buf;
}

/* --- gathering -------------------------------------------------------- */

/* The log run.c writes for a VM: STATE.logs/NAME.log (state.h). */
static char *
log_path(const char *state_path, const char *name)
{
    CLEANUP_FREE char *dir = v2k_asprintf("%s.logs", state_path);

    return dir ? v2k_state_vm_file(dir, name, ".log") : NULL;
}

/* The last V2K_REPORT_TAIL_LINES lines of the file at path, from at
 * most its last V2K_REPORT_TAIL_BYTES: a NULL-terminated list (owned),
 * empty when the file is missing.  NULL only when out of memory. */
static char **
log_tail(const char *path, size_t *n)
{
    char buf[V2K_REPORT_TAIL_BYTES + 1];
    char *lines[V2K_REPORT_TAIL_LINES + 1], **out;
    size_t len = 0, k = 0, start = 0;
    struct stat sb;
    off_t from = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    *n = 0;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (sb.st_size > (off_t)V2K_REPORT_TAIL_BYTES)
            from = sb.st_size - (off_t)V2K_REPORT_TAIL_BYTES;
        while (len < V2K_REPORT_TAIL_BYTES) {
            ssize_t r = pread(fd, buf + len, V2K_REPORT_TAIL_BYTES - len,
                              from + (off_t)len);
            if (r <= 0)
                break;
            len += (size_t)r;
        }
    }
    if (fd >= 0)
        close(fd);
    buf[len] = '\0';
    /* Started inside a line: that part line is dropped. */
    if (from > 0) {
        char *nl = memchr(buf, '\n', len);
        start = nl ? (size_t)(nl - buf) + 1 : len;
    }
    /* A ring of the last lines (pointers into buf). */
    for (size_t i = start; i < len;) {
        char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;

        buf[e] = '\0';
        if (k == V2K_REPORT_TAIL_LINES) {
            memmove(lines, lines + 1, (k - 1) * sizeof *lines);
            k--;
        }
        lines[k++] = buf + i;
        i = e + 1;
    }
    out = v2k_calloc(k + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < k; i++) {
        /* NUL bytes in the file cut a line short: fine for a tail. */
        if ((out[i] = v2k_strdup(lines[i])) == NULL) {
            v2k_strv_free(out);
            return NULL;
        }
        clean(out[i]);
    }
    *n = k;
    return out;
}

static bool
in_flight(enum v2k_vm_phase ph)
{
    return ph == V2K_PHASE_RUNNING || ph == V2K_PHASE_CONVERTING ||
        ph == V2K_PHASE_COPYING;
}

/* The end of a history row: its finish, the report's time for the
 * phase a VM is in now, or 0 (a row left open by a coordinator that
 * died, not yet recovered: no end known). */
static double
phase_end(const struct report *rp, const struct rvm *v, size_t i)
{
    const struct v2k_state_phase *h = &v->ph[i];

    if (h->finished > 0)
        return h->finished;
    if (i + 1 == v->nph && v->known && v->sv.phase == h->phase &&
        in_flight(h->phase))
        return rp->now;
    return 0;
}

/* The state's side of one VM: history, warnings, outputs, facts. */
static int
gather_state(struct report *rp, struct rvm *v)
{
    char *end;

    clean(v->sv.name);
    clean(v->sv.last_error);
    if (v2k_state_phases(rp->st, v->name, &v->ph, &v->nph) == -1)
        return -1;
    v->warnings = v2k_state_warnings(rp->st, v->name, &v->nwarnings);
    if (v->warnings == NULL)
        return -1;
    v->outputs = v2k_state_outputs(rp->st, v->name, &v->noutputs);
    if (v->outputs == NULL)
        return -1;
    clean_list(v->warnings);
    clean_list(v->outputs);
    for (int f = 0; f < F_COUNT; f++) {
        if (v2k_state_get_fact(rp->st, v->name, fact_keys[f],
                               &v->facts[f]) == -1)
            return -1;
        clean(v->facts[f]);
    }
    if (v->facts[F_DISKS]) {
        const char *p = v->facts[F_DISKS];

        v->nsizes = 0;
        while (*p && v->nsizes < V2K_STATE_MAX_DISKS) {
            errno = 0;
            unsigned long long u = strtoull(p, &end, 10);
            if (end == p || errno)
                break;
            v->sizes[v->nsizes++] = u;
            p = end;
            while (*p == ' ')
                p++;
        }
        v->ndisks = (long)v->nsizes;
    }
    for (size_t i = 0; i < v->nph; i++) {
        double e = phase_end(rp, v, i);

        if (v->ph[i].started > 0 && e >= v->ph[i].started) {
            v->dur[v->ph[i].phase] += e - v->ph[i].started;
            v->seconds += e - v->ph[i].started;
            if (rp->t0 == 0 || v->ph[i].started < rp->t0)
                rp->t0 = v->ph[i].started;
            if (e > rp->t1)
                rp->t1 = e;
        }
    }
    return 0;
}

static int
gather_vm(struct report *rp, struct rvm *v)
{
    if (v->pv && v->ndisks < 0 && v->pv->source->kind == V2K_PLAN_SRC_DISK &&
        v->pv->paths)
        v->ndisks = (long)v2k_strv_len(v->pv->paths);
    if (v->known) {
        if (gather_state(rp, v) == -1)
            return -1;
        rp->count[v->sv.phase]++;
        rp->bytes_copied += v->sv.bytes_copied;
        rp->bytes_total += v->sv.bytes_total;
    } else {
        rp->count[V2K_PHASE_PENDING]++;
    }
    v->log_path = log_path(rp->p->state_path, v->name);
    if (v->log_path == NULL)
        return -1;
    v->tail = log_tail(v->log_path, &v->ntail);
    return v->tail ? 0 : -1;
}

/* Plan VMs in plan order, then the state's VMs the plan no longer has. */
static int
gather(struct report *rp)
{
    struct v2k_state_vm *sv = NULL;
    size_t nsv = 0, n = 0;
    bool *used = NULL;
    int r = -1;

    if (rp->st && (v2k_state_list(rp->st, &sv, &nsv) == -1 ||
                   v2k_state_runs(rp->st, &rp->runs, &rp->nruns) == -1))
        goto out;
    used = v2k_calloc(nsv + 1, sizeof *used);
    rp->vms = v2k_calloc(rp->p->nvms + nsv + 1, sizeof *rp->vms);
    if (used == NULL || rp->vms == NULL)
        goto out;
    for (size_t i = 0; i < rp->p->nvms; i++) {
        struct rvm *v = &rp->vms[n++];
        size_t k = nsv;

        v->pv = &rp->p->vms[i];
        v->name = v->pv->name;
        v->ndisks = -1;
        /* The state keeps plan order: usually the same index. */
        if (i < nsv && !used[i] && strcmp(sv[i].name, v->name) == 0)
            k = i;
        for (size_t j = 0; k == nsv && j < nsv; j++)
            if (!used[j] && strcmp(sv[j].name, v->name) == 0)
                k = j;
        if (k < nsv) {
            used[k] = true;
            v->known = true;
            v->sv = sv[k];
            memset(&sv[k], 0, sizeof sv[k]);
        }
    }
    for (size_t j = 0; j < nsv; j++) {
        struct rvm *v;

        if (used[j])
            continue;
        v = &rp->vms[n++];
        v->known = true;
        v->ndisks = -1;
        v->sv = sv[j];
        memset(&sv[j], 0, sizeof sv[j]);
        v->name = v->sv.name;
    }
    rp->nvms = n;
    for (size_t i = 0; i < n; i++)
        if (gather_vm(rp, &rp->vms[i]) == -1)
            goto out;
    for (size_t i = 0; i < rp->nruns; i++) {
        double e = rp->runs[i].finished > 0 ? rp->runs[i].finished
                   : strcmp(rp->runs[i].status, "running") == 0 ? rp->now : 0;

        clean(rp->runs[i].plan);
        clean(rp->runs[i].status);
        if (e > rp->runs[i].started)
            rp->run_seconds += e - rp->runs[i].started;
    }
    r = 0;
out:
    v2k_state_vms_free(sv, nsv);
    free(used);
    return r;
}

static void
report_free(struct report *rp)
{
    for (size_t i = 0; rp->vms && i < rp->nvms; i++) {
        struct rvm *v = &rp->vms[i];

        v2k_state_vm_clear(&v->sv);
        free(v->ph);
        v2k_strv_free(v->warnings);
        v2k_strv_free(v->outputs);
        v2k_strv_free(v->tail);
        free(v->log_path);
        for (int f = 0; f < F_COUNT; f++)
            free(v->facts[f]);
    }
    free(rp->vms);
    v2k_state_runs_free(rp->runs, rp->nruns);
    v2k_state_close(rp->st);
    v2k_plan_free(rp->p);
}

/* --- JSON ------------------------------------------------------------- */

static void
json_time(struct v2k_json *j, const char *k, double t)
{
    v2k_json_key(j, k);
    if (t > 0)
        v2k_json_double(j, t);
    else
        v2k_json_null(j);
}

static void
json_strv(struct v2k_json *j, const char *k, char *const *l)
{
    v2k_json_key(j, k);
    v2k_json_begin_array(j);
    for (size_t i = 0; l && l[i]; i++)
        v2k_json_string(j, l[i]);
    v2k_json_end_array(j);
}

static void
json_source_target(struct v2k_json *j, const struct rvm *v)
{
    const struct v2k_plan_vm *pv = v->pv;

    v2k_json_key(j, "source");
    if (pv == NULL) {
        v2k_json_null(j);
    } else {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "name", pv->source->name);
        v2k_json_kv_string(j, "kind",
                           v2k_plan_source_kind_to_string(pv->source->kind));
        v2k_json_kv_string(j, "host", pv->source->host);
        v2k_json_kv_string(j, "uri", pv->source->uri);
        v2k_json_kv_string(j, "vm", pv->vm);
        json_strv(j, "paths", pv->paths);
        v2k_json_end_object(j);
    }
    v2k_json_key(j, "target");
    if (pv == NULL) {
        v2k_json_null(j);
    } else {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "name", pv->target->name);
        v2k_json_kv_string(j, "kind",
                           v2k_plan_target_kind_to_string(pv->target->kind));
        v2k_json_kv_string(j, "target_name",
                           pv->target_name ? pv->target_name : pv->name);
        v2k_json_kv_string(j, "storage", pv->target->storage);
        v2k_json_kv_string(j, "format", pv->target->format);
        v2k_json_end_object(j);
    }
}

static void
json_vm(struct v2k_json *j, const struct report *rp, const struct rvm *v)
{
    enum v2k_vm_phase ph = v->known ? v->sv.phase : V2K_PHASE_PENDING;

    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "name", v->name);
    v2k_json_kv_bool(j, "in_plan", v->pv != NULL);
    v2k_json_kv_string(j, "outcome", v2k_vm_phase_to_string(ph));
    v2k_json_kv_uint(j, "attempts", v->known ? v->sv.attempts : 0);
    json_source_target(j, v);
    v2k_json_key(j, "os");
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "distro", v->facts[F_DISTRO]);
    v2k_json_kv_string(j, "product_name", v->facts[F_PRODUCT]);
    v2k_json_kv_string(j, "osinfo", v->facts[F_OSINFO]);
    v2k_json_end_object(j);
    v2k_json_kv_string(j, "firmware", v->facts[F_FIRMWARE]);
    v2k_json_key(j, "disks");
    v2k_json_begin_object(j);
    v2k_json_key(j, "count");
    if (v->ndisks >= 0)
        v2k_json_int(j, v->ndisks);
    else
        v2k_json_null(j);
    v2k_json_key(j, "virtual_sizes");
    if (v->facts[F_DISKS]) {
        v2k_json_begin_array(j);
        for (size_t i = 0; i < v->nsizes; i++)
            v2k_json_uint(j, v->sizes[i]);
        v2k_json_end_array(j);
    } else {
        v2k_json_null(j);
    }
    v2k_json_end_object(j);
    v2k_json_kv_uint(j, "bytes_copied", v->known ? v->sv.bytes_copied : 0);
    v2k_json_kv_uint(j, "bytes_total", v->known ? v->sv.bytes_total : 0);
    json_time(j, "started", v->known ? v->sv.started : 0);
    json_time(j, "finished", v->known ? v->sv.finished : 0);
    v2k_json_kv_double(j, "seconds", v->seconds);
    v2k_json_key(j, "durations");
    v2k_json_begin_object(j);
    for (int p = V2K_PHASE_RUNNING; p <= V2K_PHASE_COPYING; p++)
        v2k_json_kv_double(j, v2k_vm_phase_to_string((enum v2k_vm_phase)p),
                           v->dur[p]);
    v2k_json_end_object(j);
    v2k_json_key(j, "phases");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < v->nph; i++) {
        double e = phase_end(rp, v, i);

        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "phase", v2k_vm_phase_to_string(v->ph[i].phase));
        v2k_json_kv_uint(j, "attempt", v->ph[i].attempt);
        v2k_json_key(j, "run");
        if (v->ph[i].run > 0)
            v2k_json_int(j, v->ph[i].run);
        else
            v2k_json_null(j);
        json_time(j, "started", v->ph[i].started);
        json_time(j, "finished", v->ph[i].finished);
        v2k_json_key(j, "seconds");
        if (e > 0)
            v2k_json_double(j, e - v->ph[i].started);
        else
            v2k_json_null(j);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    json_strv(j, "warnings", v->warnings);
    v2k_json_key(j, "error");
    if (v->known && v->sv.last_error) {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "message", v->sv.last_error);
        v2k_json_kv_string(j, "class",
                           v2k_error_class_to_string(v->sv.error_class));
        v2k_json_end_object(j);
    } else {
        v2k_json_null(j);
    }
    v2k_json_key(j, "log");
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "path", v->log_path);
    json_strv(j, "tail", v->tail);
    v2k_json_end_object(j);
    json_strv(j, "outputs", v->outputs);
    v2k_json_end_object(j);
}

static int
write_json(FILE *fp, const struct report *rp)
{
    struct v2k_json *j = v2k_json_new(fp, true);

    if (j == NULL)
        return -1;
    v2k_json_begin_object(j);
    v2k_json_kv_int(j, "report_version", V2K_REPORT_VERSION);
    v2k_json_kv_double(j, "generated", rp->now);
    v2k_json_kv_string(j, "plan", rp->p->path);
    v2k_json_kv_string(j, "plan_name", rp->p->name);
    v2k_json_kv_string(j, "state", rp->p->state_path);
    v2k_json_kv_bool(j, "state_exists", rp->st != NULL);
    v2k_json_key(j, "summary");
    v2k_json_begin_object(j);
    v2k_json_kv_uint(j, "vms", rp->nvms);
    for (int p = 0; p < NPHASES; p++)
        v2k_json_kv_uint(j, v2k_vm_phase_to_string((enum v2k_vm_phase)p),
                         rp->count[p]);
    v2k_json_kv_uint(j, "bytes_copied", rp->bytes_copied);
    v2k_json_kv_uint(j, "bytes_total", rp->bytes_total);
    v2k_json_kv_double(j, "run_seconds", rp->run_seconds);
    json_time(j, "first_start", rp->t0);
    json_time(j, "last_end", rp->t1);
    v2k_json_kv_double(j, "wall_seconds", rp->t1 > rp->t0 ? rp->t1 - rp->t0
                                                          : 0);
    v2k_json_end_object(j);
    v2k_json_key(j, "runs");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < rp->nruns; i++) {
        v2k_json_begin_object(j);
        v2k_json_kv_int(j, "id", rp->runs[i].id);
        v2k_json_kv_string(j, "plan", rp->runs[i].plan);
        v2k_json_kv_string(j, "outcome", rp->runs[i].status);
        json_time(j, "started", rp->runs[i].started);
        json_time(j, "finished", rp->runs[i].finished);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_key(j, "vms");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < rp->nvms; i++)
        json_vm(j, rp, &rp->vms[i]);
    v2k_json_end_array(j);
    v2k_json_end_object(j);
    v2k_json_free(j);
    return 0;
}

/* --- HTML ------------------------------------------------------------- */

/* Phase colours: the table's outcome badges and the timeline's bars. */
static const char *const phase_colour[NPHASES] = {
    [V2K_PHASE_PENDING] = "#9e9e9e",
    [V2K_PHASE_RUNNING] = "#90caf9",
    [V2K_PHASE_CONVERTING] = "#ffb74d",
    [V2K_PHASE_COPYING] = "#1e88e5",
    [V2K_PHASE_DONE] = "#2e7d32",
    [V2K_PHASE_FAILED] = "#c62828",
    [V2K_PHASE_INTERRUPTED] = "#6d4c41",
};

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#212121}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}"
    ".meta{color:#555}"
    "ul.counts{list-style:none;padding:0;display:flex;gap:1em}"
    "ul.counts li{padding:.3em .8em;border-radius:4px;background:#eee}"
    "ul.counts li.c-failed{background:#ffcdd2;color:#b71c1c;font-weight:bold}"
    "ul.counts li.c-done{background:#c8e6c9}"
    "table{border-collapse:collapse;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;"
    "text-align:left}"
    "th{background:#f5f5f5}"
    "tr.vm-failed td{background:#ffebee}"
    "tr.vm-failed td.outcome{color:#b71c1c;font-weight:bold}"
    "tr.vm-interrupted td{background:#fff3e0}"
    "tr.vm-done td.outcome{color:#2e7d32;font-weight:bold}"
    "td.error{max-width:40em}td.error .message{color:#b71c1c}"
    "pre.log{background:#263238;color:#eceff1;padding:.5em;max-width:60em;"
    "overflow-x:auto;white-space:pre-wrap;font-size:.85em}"
    "svg text{font-family:system-ui,sans-serif;font-size:12px}"
    "svg .axis{stroke:#bbb}svg rect.lane-failed{fill:#ffebee}"
    ".legend span{display:inline-block;width:1em;height:1em;"
    "margin:0 .3em 0 1em;vertical-align:middle}";

static void
html_bytes(FILE *fp, uint64_t done, uint64_t total)
{
    char h1[32], h2[32];

    fprintf(fp, "%s / %s", v2k_human_size(done, h1, sizeof h1),
            v2k_human_size(total, h2, sizeof h2));
}

static void
html_summary(FILE *fp, const struct report *rp)
{
    char b1[64], b2[64];

    fputs("<section id=\"summary\"><h2>Summary</h2><ul class=\"counts\">", fp);
    fprintf(fp, "<li class=\"c-all\">%zu VMs</li>", rp->nvms);
    for (int p = 0; p < NPHASES; p++)
        if (rp->count[p] || p == V2K_PHASE_DONE || p == V2K_PHASE_FAILED ||
            p == V2K_PHASE_PENDING)
            fprintf(fp, "<li class=\"c-%s\">%zu %s</li>",
                    v2k_vm_phase_to_string((enum v2k_vm_phase)p), rp->count[p],
                    v2k_vm_phase_to_string((enum v2k_vm_phase)p));
    fputs("</ul><p>Copied ", fp);
    html_bytes(fp, rp->bytes_copied, rp->bytes_total);
    fprintf(fp, "; wall time %s (first start to last end), coordinator "
            "running %s in %zu run%s.</p>",
            duration(rp->t1 > rp->t0 ? rp->t1 - rp->t0 : 0, b1, sizeof b1),
            duration(rp->run_seconds, b2, sizeof b2), rp->nruns,
            rp->nruns == 1 ? "" : "s");
    if (rp->st == NULL)
        fputs("<p class=\"note\">No state yet: nothing of this plan has "
              "run.</p>", fp);
    fputs("</section>\n", fp);
}

static void
html_runs(FILE *fp, const struct report *rp)
{
    char b1[64], b2[64], b3[64];

    if (rp->nruns == 0)
        return;
    fputs("<section><h2>Runs</h2><table class=\"runs\"><thead><tr>"
          "<th>Run</th><th>Outcome</th><th>Started</th><th>Finished</th>"
          "<th>Time</th></tr></thead><tbody>", fp);
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct v2k_state_run *r = &rp->runs[i];

        fprintf(fp, "<tr class=\"run-");
        html(fp, r->status);
        fprintf(fp, "\"><td>%lld</td><td>", (long long)r->id);
        html(fp, r->status);
        fprintf(fp, "</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                utc(r->started, b1, sizeof b1), utc(r->finished, b2, sizeof b2),
                r->finished > r->started
                ? duration(r->finished - r->started, b3, sizeof b3) : "-");
    }
    fputs("</tbody></table></section>\n", fp);
}

/* A tick step (seconds) giving at most 10 ticks over span. */
static double
tick_step(double span)
{
    static const double steps[] = {
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
        10800, 21600, 43200, 86400,
    };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(steps); i++)
        if (span / steps[i] <= 10)
            return steps[i];
    return ceil(span / 10 / 86400) * 86400;
}

#define SVG_W 1100.0
#define SVG_LEFT 190.0
#define SVG_RIGHT 20.0
#define SVG_TOP 34.0
#define SVG_LANE 24.0

static void
html_timeline(FILE *fp, const struct report *rp)
{
    double span = rp->t1 - rp->t0, scale, step;
    double h = SVG_TOP + SVG_LANE * (double)rp->nvms + 10;
    char b1[64], b2[64];

    if (span < 1)
        span = 1;
    scale = (SVG_W - SVG_LEFT - SVG_RIGHT) / span;
    step = tick_step(span);
    fprintf(fp, "<section><h2>Timeline</h2><p class=\"meta\">From %s; "
            "one lane per VM, a bar per phase of each attempt.</p>\n",
            utc(rp->t0, b1, sizeof b1));
    fprintf(fp, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "role=\"img\" aria-label=\"timeline of the run\">\n",
            SVG_W, h, SVG_W, h);
    /* The axis: a line per tick, its label above. */
    fputs("<g class=\"axis\">", fp);
    for (double t = 0; t <= span + 1e-9; t += step) {
        double x = SVG_LEFT + t * scale;
        long s = lround(t);

        if (s < 60)
            snprintf(b2, sizeof b2, "%ld s", s);
        else if (s < 3600 && s % 60)
            snprintf(b2, sizeof b2, "%ld min %02ld s", s / 60, s % 60);
        else if (s < 3600)
            snprintf(b2, sizeof b2, "%ld min", s / 60);
        else
            snprintf(b2, sizeof b2, "%ld h %02ld", s / 3600, s / 60 % 60);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
                "stroke=\"#bbb\"/><text class=\"tick\" x=\"%.1f\" y=\"%.0f\" "
                "text-anchor=\"middle\" fill=\"#555\">%s</text>",
                x, SVG_TOP - 6, x, h - 6, x, SVG_TOP - 12, b2);
    }
    fputs("</g>\n", fp);
    for (size_t i = 0; i < rp->nvms; i++) {
        const struct rvm *v = &rp->vms[i];
        enum v2k_vm_phase cur = v->known ? v->sv.phase : V2K_PHASE_PENDING;
        double y = SVG_TOP + SVG_LANE * (double)i;

        fputs("<g class=\"lane\" data-vm=\"", fp);
        html(fp, v->name);
        fprintf(fp, "\" data-outcome=\"%s\">", v2k_vm_phase_to_string(cur));
        if (cur == V2K_PHASE_FAILED)
            fprintf(fp, "<rect class=\"lane-failed\" x=\"0\" y=\"%.0f\" "
                    "width=\"%.0f\" height=\"%.0f\" fill=\"#ffebee\"/>",
                    y, SVG_W, SVG_LANE);
        fprintf(fp, "<text x=\"4\" y=\"%.0f\" fill=\"%s\">", y + 16,
                cur == V2K_PHASE_FAILED ? "#b71c1c" : "#212121");
        /* Long names are cut for the lane's label; the title has it
         * whole. */
        fprintf(fp, "<title>");
        html(fp, v->name);
        fprintf(fp, "</title>");
        {
            char cut[28];
            size_t n = strlen(v->name);

            snprintf(cut, sizeof cut, "%s", v->name);
            if (n >= sizeof cut) {
                /* Back to a character boundary, then an ellipsis. */
                size_t k = sizeof cut - 4;
                while (k > 0 && ((unsigned char)cut[k] & 0xc0) == 0x80)
                    k--;
                memcpy(cut + k, "...", 4);
            }
            html(fp, cut);
        }
        fputs("</text>", fp);
        for (size_t k = 0; k < v->nph; k++) {
            const struct v2k_state_phase *ph = &v->ph[k];
            double e = phase_end(rp, v, k), x, w;
            bool mark = ph->phase == V2K_PHASE_FAILED ||
                ph->phase == V2K_PHASE_INTERRUPTED;

            if (ph->started <= 0 || (e <= 0 && !mark))
                continue;
            if (!in_flight(ph->phase) && !mark)
                continue;       /* done: the end of the last bar */
            x = SVG_LEFT + (ph->started - rp->t0) * scale;
            w = mark ? 3 : (e - ph->started) * scale;
            if (w < 1)
                w = 1;
            fprintf(fp, "<rect class=\"ph ph-%s\" x=\"%.1f\" y=\"%.0f\" "
                    "width=\"%.1f\" height=\"16\" fill=\"%s\"><title>",
                    v2k_vm_phase_to_string(ph->phase), x, y + 4, w,
                    phase_colour[ph->phase]);
            html(fp, v->name);
            if (mark)
                htmlf(fp, ": %s (attempt %u)",
                      v2k_vm_phase_to_string(ph->phase), ph->attempt);
            else
                htmlf(fp, ": %s, attempt %u, %s",
                      v2k_vm_phase_to_string(ph->phase), ph->attempt,
                      duration(e - ph->started, b1, sizeof b1));
            fputs("</title></rect>", fp);
        }
        fputs("</g>\n", fp);
    }
    fputs("</svg>\n<p class=\"legend\">", fp);
    for (int p = V2K_PHASE_RUNNING; p < NPHASES; p++)
        if (p != V2K_PHASE_DONE)
            fprintf(fp, "<span style=\"background:%s\"></span>%s",
                    phase_colour[p],
                    v2k_vm_phase_to_string((enum v2k_vm_phase)p));
    fputs("</p></section>\n", fp);
}

/* what: the noun, singular; an s is added for more than one. */
static void
html_list(FILE *fp, char *const *l, size_t n, const char *what)
{
    if (n == 0) {
        fputs("0", fp);
        return;
    }
    fprintf(fp, "<details><summary>%zu %s%s</summary><ul>", n, what,
            n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        fputs("<li>", fp);
        html(fp, l[i]);
        fputs("</li>", fp);
    }
    fputs("</ul></details>", fp);
}

static void
html_vm(FILE *fp, const struct rvm *v)
{
    const struct v2k_plan_vm *pv = v->pv;
    enum v2k_vm_phase ph = v->known ? v->sv.phase : V2K_PHASE_PENDING;
    char b1[64];

    fprintf(fp, "<tr class=\"vm vm-%s\" data-vm=\"",
            v2k_vm_phase_to_string(ph));
    html(fp, v->name);
    fputs("\"><td class=\"name\">", fp);
    html(fp, v->name);
    if (pv == NULL)
        fputs(" <em>(no longer in the plan)</em>", fp);
    fprintf(fp, "</td><td class=\"outcome\">%s</td><td>%u</td><td>",
            v2k_vm_phase_to_string(ph), v->known ? v->sv.attempts : 0);
    if (pv) {
        htmlf(fp, "%s (%s, %s)", pv->source->name,
              v2k_plan_source_kind_to_string(pv->source->kind),
              pv->source->host);
        if (pv->vm) {
            fputs("<br>", fp);
            html(fp, pv->vm);
        }
        for (size_t i = 0; pv->paths && pv->paths[i]; i++) {
            fputs("<br>", fp);
            html(fp, pv->paths[i]);
        }
    }
    fputs("</td><td>", fp);
    if (pv) {
        htmlf(fp, "%s (%s", pv->target->name,
              v2k_plan_target_kind_to_string(pv->target->kind));
        if (pv->target->storage)
            htmlf(fp, ", %s", pv->target->storage);
        fputs(")<br>", fp);
        html(fp, pv->target_name ? pv->target_name : pv->name);
    }
    fputs("</td><td>", fp);
    html(fp, v->facts[F_PRODUCT] ? v->facts[F_PRODUCT]
             : v->facts[F_DISTRO] ? v->facts[F_DISTRO] : "-");
    if (v->facts[F_OSINFO]) {
        fputs("<br><small>", fp);
        html(fp, v->facts[F_OSINFO]);
        fputs("</small>", fp);
    }
    fputs("</td><td>", fp);
    html(fp, v->facts[F_FIRMWARE] ? v->facts[F_FIRMWARE] : "-");
    fputs("</td><td>", fp);
    if (v->ndisks >= 0)
        fprintf(fp, "%ld", v->ndisks);
    else
        fputs("-", fp);
    for (size_t i = 0; i < v->nsizes; i++)
        fprintf(fp, "%s%s", i ? ", " : ": ",
                v2k_human_size(v->sizes[i], b1, sizeof b1));
    fputs("</td><td>", fp);
    html_bytes(fp, v->known ? v->sv.bytes_copied : 0,
               v->known ? v->sv.bytes_total : 0);
    fprintf(fp, "</td><td>%s", v->seconds > 0
            ? duration(v->seconds, b1, sizeof b1) : "-");
    for (int p = V2K_PHASE_RUNNING; p <= V2K_PHASE_COPYING; p++)
        if (v->dur[p] > 0)
            fprintf(fp, "<br><small>%s %s</small>",
                    v2k_vm_phase_to_string((enum v2k_vm_phase)p),
                    duration(v->dur[p], b1, sizeof b1));
    fputs("</td><td class=\"warnings\">", fp);
    html_list(fp, v->warnings, v->nwarnings, "warning");
    fputs("</td><td class=\"error\">", fp);
    if (v->known && v->sv.last_error) {
        fprintf(fp, "<span class=\"errclass\">%s</span>: "
                "<span class=\"message\">",
                v2k_error_class_to_string(v->sv.error_class));
        html(fp, v->sv.last_error);
        fputs("</span>", fp);
    }
    if (v->ntail) {
        fprintf(fp, "<details%s><summary>log: last %zu lines</summary>"
                "<pre class=\"log\">", ph == V2K_PHASE_FAILED ? " open" : "",
                v->ntail);
        for (size_t i = 0; i < v->ntail; i++) {
            html(fp, v->tail[i]);
            fputc('\n', fp);
        }
        fputs("</pre></details>", fp);
    }
    if (v->noutputs) {
        fputs("<details class=\"outputs\"><summary>outputs</summary>", fp);
        html_list(fp, v->outputs, v->noutputs, "file");
        fputs("</details>", fp);
    }
    fputs("</td></tr>\n", fp);
}

static int
write_html(FILE *fp, const struct report *rp)
{
    char b1[64];

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>v2kvm-batch report: ", fp);
    html(fp, rp->p->name);
    fprintf(fp, "</title><style>%s</style></head>\n<body>\n<h1>Migration "
            "report: ", css);
    html(fp, rp->p->name);
    fputs("</h1>\n<p class=\"meta\">Plan ", fp);
    html(fp, rp->p->path);
    fputs(", state ", fp);
    html(fp, rp->p->state_path);
    fprintf(fp, ", made %s.</p>\n", utc(rp->now, b1, sizeof b1));
    html_summary(fp, rp);
    html_runs(fp, rp);
    html_timeline(fp, rp);
    fputs("<section><h2>Virtual machines</h2><table id=\"vms\"><thead><tr>"
          "<th>VM</th><th>Outcome</th><th>Attempts</th><th>Source</th>"
          "<th>Target</th><th>OS</th><th>Firmware</th><th>Disks</th>"
          "<th>Copied</th><th>Time</th><th>Warnings</th>"
          "<th>Error and log</th></tr></thead>\n<tbody>\n", fp);
    for (size_t i = 0; i < rp->nvms; i++)
        html_vm(fp, &rp->vms[i]);
    fputs("</tbody></table></section>\n</body></html>\n", fp);
    return 0;
}

/* --- files ------------------------------------------------------------ */

/* Write path through fn under a temporary name in its directory, then
 * rename: 0, or -1 with the message naming path (the temporary file
 * removed). */
static int
write_atomic(const char *path, int (*fn)(FILE *, const struct report *),
             const struct report *rp)
{
    char *dir = v2k_dirname(path), *tmp = NULL;
    const char *base = strrchr(path, '/');
    FILE *fp = NULL;
    int fd = -1, r = -1;

    base = base ? base + 1 : path;
    if (dir == NULL)
        return -1;
    tmp = v2k_asprintf("%s/.%s.XXXXXX", dir, base);
    if (tmp == NULL)
        goto out;
    fd = mkstemp(tmp);
    if (fd == -1) {
        v2k_error_errno(errno, "%s: temporary file in %s", path, dir);
        goto out;
    }
    /* Reports are read by people and web servers: not mkstemp's 0600. */
    if (fchmod(fd, 0644) == -1 || (fp = fdopen(fd, "w")) == NULL) {
        v2k_error_errno(errno, "%s", tmp);
        close(fd);
        goto unlink;
    }
    if (fn(fp, rp) == -1)
        goto unlink;
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) == -1) {
        v2k_error_errno(errno, "%s: write", tmp);
        goto unlink;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        v2k_error_errno(errno, "%s: write", tmp);
        goto unlink;
    }
    fp = NULL;
    if (rename(tmp, path) == -1) {
        v2k_error_errno(errno, "%s: rename from %s", path, tmp);
        goto unlink;
    }
    r = 0;
    goto out;
unlink:
    if (fp)
        fclose(fp);
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    return r;
}

int
v2k_batch_report(const char *plan_path, const struct v2k_batch_report_opts *o)
{
    struct report rp = { .now = v2k_state_now() };
    char *json = NULL, *htmlp = NULL;
    char esc[4 * 2048];
    int rc = 2;
    struct stat sb;

    if (v2k_plan_load_print(plan_path, &rp.p, NULL) == -1)
        return 2;
    if (stat(rp.p->state_path, &sb) == -1 && errno == ENOENT) {
        v2k_msg("%s: no state yet (the plan has not run): every VM pending",
                rp.p->state_path);
    } else {
        rp.st = v2k_state_open_readonly(rp.p->state_path);
        if (rp.st == NULL) {
            v2k_log_error(v2k_error_message());
            goto out;
        }
    }
    if (gather(&rp) == -1) {
        v2k_log_error(v2k_error_message());
        goto out;
    }
    json = o->json_path ? v2k_strdup(o->json_path)
                        : v2k_asprintf("%s.report.json", rp.p->state_path);
    htmlp = o->html_path ? v2k_strdup(o->html_path)
                         : v2k_asprintf("%s.report.html", rp.p->state_path);
    if (json == NULL || htmlp == NULL) {
        v2k_log_error(v2k_error_message());
        goto out;
    }
    rc = 0;
    if (write_atomic(json, write_json, &rp) == -1) {
        v2k_log_error(v2k_error_message());
        rc = 1;
    }
    if (write_atomic(htmlp, write_html, &rp) == -1) {
        v2k_log_error(v2k_error_message());
        rc = 1;
    }
    if (rc == 0) {
        char e1[2048], e2[2048];

        printf("%s: %zu VMs (%zu done, %zu failed); report in %s and %s\n",
               v2k_log_escape(plan_path, esc, sizeof esc), rp.nvms,
               rp.count[V2K_PHASE_DONE], rp.count[V2K_PHASE_FAILED],
               v2k_log_escape(json, e1, sizeof e1),
               v2k_log_escape(htmlp, e2, sizeof e2));
    }
out:
    free(json);
    free(htmlp);
    report_free(&rp);
    return rc;
}
