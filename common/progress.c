/* progress.c - see progress.h. */
#include "progress.h"
#include "json.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct v2k_progress {
    pthread_mutex_t lock;
    char *label;
    uint64_t total, done;
    double start, last_draw;
    bool tty, machine;
};

struct v2k_progress *
v2k_progress_new(const char *label, uint64_t total)
{
    struct v2k_progress *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->label = strdup(label);
    p->total = total;
    p->start = v2k_now();
    p->machine = v2k_log_machine_readable();
    p->tty = !p->machine && !v2k_log_quiet() && isatty(STDERR_FILENO);
    return p;
}

static void
draw(struct v2k_progress *p, bool final)
{
    double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100;

    if (p->machine) {
        struct v2k_json *j = v2k_log_json_begin("progress");
        if (j == NULL)
            return;
        v2k_json_kv_string(j, "label", p->label ? p->label : "");
        v2k_json_kv_uint(j, "done", p->done);
        v2k_json_kv_uint(j, "total", p->total);
        v2k_json_kv_double(j, "percent", pct);
        v2k_log_json_end(j);
    } else if (p->tty) {
        char bar[41];
        int fill = (int)(pct * 40 / 100);
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '-', (size_t)(40 - fill));
        bar[40] = '\0';
        fprintf(stderr, "\r%s [%s] %5.1f%%%s", p->label ? p->label : "", bar,
                pct, final ? "\n" : "");
        fflush(stderr);
    }
}

void
v2k_progress_add(struct v2k_progress *p, uint64_t delta)
{
    double now;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->done += delta;
    if (p->done > p->total)
        p->done = p->total;
    now = v2k_now();
    if ((p->tty || p->machine) && now - p->last_draw >= 0.5) {
        p->last_draw = now;
        draw(p, false);
    }
    pthread_mutex_unlock(&p->lock);
}

void
v2k_progress_finish(struct v2k_progress *p)
{
    if (p == NULL)
        return;
    draw(p, true);
    pthread_mutex_destroy(&p->lock);
    free(p->label);
    free(p);
}
