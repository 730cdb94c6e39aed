/* slurm.c - see slurm.h. */
#include "slurm.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (1 << 20)

/* Run argv; its stdout in *out (owned by the caller).  Its exit status,
 * or -1 when it did not run or timed out.  A status other than 0 sets
 * the error to "PROGRAM: LAST LINE OF STDERR". */
static int
run(const char *const *argv, char **out)
{
    char *err = NULL, line[512];
    int rc = v2k_proc_run(argv, NULL, NULL, 0, out, &err, OUT_MAX,
                          V2K_SLURM_TIMEOUT);

    if (rc > 0) {
        const char *l = v2k_proc_last_line(err ? err : "", line, sizeof line);
        if (*l == '\0' && out && *out)
            l = v2k_proc_last_line(*out, line, sizeof line);
        if (strncmp(l, argv[0], strlen(argv[0])) == 0)
            v2k_error("%s", l);
        else
            v2k_error("%s: %s", argv[0], *l ? l : "failed without a message");
    }
    free(err);
    return rc;
}

/* The value of KEY=VALUE in a one-line scontrol record, in buf. */
static const char *
field(const char *rec, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key);
    const char *p = rec;

    buf[0] = '\0';
    while ((p = strstr(p, key)) != NULL) {
        if ((p == rec || p[-1] == ' ' || p[-1] == '\n') && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, " \n");
            snprintf(buf, len, "%.*s", (int)n, p + kl + 1);
            return buf;
        }
        p += kl;
    }
    return NULL;
}

int
v2k_slurm_license(const char *name, unsigned *total)
{
    const char *argv[] = { "scontrol", "-o", "show", "license", name, NULL };
    char *out = NULL, v[64];
    int rc = run(argv, &out), found = 0;

    if (rc == -1) {
        free(out);
        return -1;
    }
    if (rc == 0 && out && field(out, "LicenseName", v, sizeof v) &&
        strcmp(v, name) == 0 && field(out, "Total", v, sizeof v)) {
        *total = (unsigned)strtoul(v, NULL, 10);
        found = 1;
    } else if (rc != 0 && strstr(v2k_error_message(), "not found") == NULL) {
        free(out);
        return -1;      /* no controller, no configuration ... */
    }
    free(out);
    return found;
}

char *
v2k_slurm_submit(const char *const *args, const char *script)
{
    size_t n = 0, k = 0;
    const char **argv;
    char *out = NULL, *id = NULL, line[128];
    int rc;

    while (args && args[n])
        n++;
    argv = v2k_calloc(n + 4, sizeof *argv);
    if (argv == NULL)
        return NULL;
    argv[k++] = "sbatch";
    argv[k++] = "--parsable";
    for (size_t i = 0; i < n; i++)
        argv[k++] = args[i];
    argv[k++] = script;
    rc = run(argv, &out);
    free(argv);
    if (rc == 0) {
        /* "JOBID" or "JOBID;CLUSTER" */
        const char *l = v2k_proc_last_line(out ? out : "", line, sizeof line);
        size_t len = strspn(l, "0123456789");
        if (len == 0 || len > 20)
            v2k_error("sbatch: no job id in its answer '%.64s'", l);
        else
            id = v2k_asprintf("%.*s", (int)len, l);
    }
    free(out);
    return id;
}

/* "squeue ... -j A,B,C": the ids joined with commas. */
static char *
join(const char *const *jobs, size_t n)
{
    size_t len = 1;
    char *s;

    for (size_t i = 0; i < n; i++)
        len += strlen(jobs[i]) + 1;
    s = v2k_calloc(len, 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0, at = 0; i < n; i++) {
        size_t l = strlen(jobs[i]);
        if (i)
            s[at++] = ',';
        memcpy(s + at, jobs[i], l);
        at += l;
    }
    return s;
}

int
v2k_slurm_queue(const char *const *jobs, size_t n,
                struct v2k_slurm_task **tasks, size_t *ntasks)
{
    char *ids = join(jobs, n), *out = NULL;
    const char *argv[] = { "squeue", "-h", "-r", "-j", ids,
                           "-o", "%F %K %T", NULL };
    struct v2k_slurm_task *t = NULL;
    size_t cap = 0, k = 0;
    int rc = -1;

    *tasks = NULL;
    *ntasks = 0;
    if (ids == NULL)
        return -1;
    /* squeue exits 1 "Invalid job id specified" once every job of the
     * list is gone from the controller (MinJobAge): nothing queued. */
    rc = run(argv, &out);
    if (rc != 0) {
        bool gone = rc > 0 && strstr(v2k_error_message(), "Invalid job id");
        free(out);
        free(ids);
        return gone ? 0 : -1;
    }
    for (char *l = out, *nl; l && *l; l = nl) {
        char job[32], state[24];
        char *end;
        unsigned long task;
        size_t a;

        nl = strchr(l, '\n');
        if (nl)
            *nl++ = '\0';
        a = strcspn(l, " ");
        if (a == 0 || a >= sizeof job || l[a] != ' ')
            continue;
        snprintf(job, sizeof job, "%.*s", (int)a, l);
        task = strtoul(l + a + 1, &end, 10);
        if (end == l + a + 1 || *end != ' ')
            continue;       /* "N/A": not an array task */
        snprintf(state, sizeof state, "%s", end + 1);
        if (k == cap) {
            struct v2k_slurm_task *nt;
            cap = cap ? 2 * cap : 16;
            nt = realloc(t, cap * sizeof *t);
            if (nt == NULL) {
                v2k_error("squeue: out of memory");
                free(t);
                free(out);
                free(ids);
                return -1;
            }
            t = nt;
        }
        memcpy(t[k].job, job, sizeof job);
        t[k].task = (unsigned)task;
        memcpy(t[k].state, state, sizeof state);
        k++;
    }
    free(out);
    free(ids);
    *tasks = t;
    *ntasks = k;
    return 0;
}

int
v2k_slurm_task_end(const char *job, unsigned task, char *state, size_t len,
                   int *code)
{
    char id[64], v[64], *out = NULL;
    const char *argv[] = { "scontrol", "-o", "show", "job", id, NULL };
    int rc;

    snprintf(id, sizeof id, "%s_%u", job, task);
    state[0] = '\0';
    *code = -1;
    rc = run(argv, &out);
    if (rc == -1) {
        free(out);
        return -1;
    }
    if (rc == 0 && out) {
        field(out, "JobState", state, len);
        if (field(out, "ExitCode", v, sizeof v))
            *code = (int)strtol(v, NULL, 10);
    }
    free(out);
    return 0;
}

int
v2k_slurm_release(const char *job, unsigned task)
{
    char id[64];
    const char *argv[] = { "scontrol", "release", id, NULL };
    char *out = NULL;
    int rc;

    snprintf(id, sizeof id, "%s_%u", job, task);
    rc = run(argv, &out);
    free(out);
    return rc == 0 ? 0 : -1;
}

int
v2k_slurm_cancel(const char *const *jobs, size_t n)
{
    const char **argv = v2k_calloc(n + 3, sizeof *argv);
    char *out = NULL;
    int rc;

    if (argv == NULL)
        return -1;
    argv[0] = "scancel";
    argv[1] = "-Q";             /* no complaint about jobs already gone */
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = jobs[i];
    rc = run(argv, &out);
    free(out);
    free(argv);
    return rc == 0 ? 0 : -1;
}
