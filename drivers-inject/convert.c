/* convert.c - see convert.h. */
#include "convert.h"
#include "error.h"
#include "json.h"
#include "linux.h"
#include "windows.h"
#include "log.h"
#include "util.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
v2k_convert_guest(struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *gu = ctx->guest;

    switch (gu->family) {
    case V2K_OS_LINUX:
        ctx->gc->family = V2K_OS_LINUX;
        if (ctx->gc->osinfo == NULL && gu->osinfo &&
            (ctx->gc->osinfo = v2k_strdup(gu->osinfo)) == NULL)
            return -1;
        return v2k_run_steps(ctx, v2k_linux_steps);
    case V2K_OS_WINDOWS: {
        int r;
        ctx->gc->family = V2K_OS_WINDOWS;
        if (ctx->gc->osinfo == NULL && gu->osinfo &&
            (ctx->gc->osinfo = v2k_strdup(gu->osinfo)) == NULL)
            return -1;
        r = v2k_run_steps(ctx, v2k_windows_steps);
        v2k_windows_state_free(ctx);
        return r;
    }
    default:
        v2k_error("cannot convert this guest: inspection found an operating system of type '%s' (distribution '%s'), which v2kvm does not know how to convert",
                  gu->type ? gu->type : "unknown",
                  gu->distro ? gu->distro : "unknown");
        return -1;
    }
}

/* Is name in the comma-separated list (spaces around names ignored)? */
static bool
in_list(const char *list, const char *name)
{
    size_t nl = strlen(name);
    const char *p = list;

    while (*p) {
        const char *e = strchr(p, ',');
        const char *s = p, *t;
        if (e == NULL)
            e = p + strlen(p);
        while (s < e && *s == ' ')
            s++;
        t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if ((size_t)(t - s) == nl && memcmp(s, name, nl) == 0)
            return true;
        p = *e ? e + 1 : e;
    }
    return false;
}

/* Every name in the list is a step of the table. */
static int
check_list(const char *list, const struct v2k_step *steps)
{
    const char *p = list;

    while (*p) {
        const char *e = strchr(p, ','), *s = p, *t;
        size_t i;
        bool found = false;

        if (e == NULL)
            e = p + strlen(p);
        while (s < e && *s == ' ')
            s++;
        t = e;
        while (t > s && t[-1] == ' ')
            t--;
        for (i = 0; steps[i].name && t > s; i++)
            if (strlen(steps[i].name) == (size_t)(t - s) &&
                memcmp(steps[i].name, s, (size_t)(t - s)) == 0)
                found = true;
        if (!found && t > s) {
            char names[512] = "";
            size_t len = 0;
            for (i = 0; steps[i].name; i++)
                len += (size_t)snprintf(names + len,
                                        len < sizeof names
                                            ? sizeof names - len : 0,
                                        "%s%s", i ? ", " : "",
                                        steps[i].name);
            v2k_error("steps to run: unknown step '%.*s' (steps: %s)",
                      (int)(t - s), s, names);
            return -1;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* guestfs private-data key under which v2k_run_steps leaves the running
 * context's edit set on its handle (libguestfs: guestfs_set_private). */
#define EDITS_KEY "v2k_edit_set"

void
v2k_edit_set_clear(struct v2k_edit_set *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->files[i]);
    e->n = 0;
    e->overflow = false;
}

static void
edited_add(struct v2k_edit_set *e, const char *file)
{
    size_t i;
    if (file == NULL)
        return;
    for (i = 0; i < e->n; i++)
        if (strcmp(e->files[i], file) == 0)
            return;
    if (e->n == V2K_MAX_EDITED || (e->files[e->n] = strdup(file)) == NULL) {
        e->overflow = true;
        return;
    }
    e->n++;
}

const char *
v2k_edited(const struct v2k_convert_ctx *ctx, const char *pattern)
{
    const struct v2k_edit_set *e = &ctx->edited;
    size_t i;
    for (i = 0; i < e->n; i++)
        if (fnmatch(pattern, e->files[i], FNM_PATHNAME) == 0)
            return e->files[i];
    return e->overflow ? "(too many edited files to tell)" : NULL;
}

static int
run_steps(struct v2k_convert_ctx *ctx, const struct v2k_step *steps);

int
v2k_run_steps(struct v2k_convert_ctx *ctx, const struct v2k_step *steps)
{
    int r;

    if (ctx->only_steps && check_list(ctx->only_steps, steps) == -1)
        return -1;
    v2k_edit_set_clear(&ctx->edited);
    guestfs_set_private(ctx->g, EDITS_KEY, &ctx->edited);
    r = run_steps(ctx, steps);
    guestfs_set_private(ctx->g, EDITS_KEY, NULL);
    return r;
}

static int
run_steps(struct v2k_convert_ctx *ctx, const struct v2k_step *steps)
{
    size_t i;

    for (i = 0; steps[i].name; i++) {
        const struct v2k_step *st = &steps[i];
        char phase[64];
        double t0;

        if (ctx->only_steps && !in_list(ctx->only_steps, st->name)) {
            v2k_debug("step %s: not among the steps to run", st->name);
            continue;
        }
        if (st->applies && !st->applies(ctx)) {
            v2k_debug("step %s: does not apply to this guest", st->name);
            continue;
        }
        v2k_msg("%s", st->heading);
        t0 = v2k_now();
        if (st->run(ctx) == -1) {
            const char *m = v2k_error_message();
            size_t nl = strlen(st->name);
            /* One message naming the step, whoever wrote it. */
            if (strncmp(m, st->name, nl) != 0 || strncmp(m + nl, ": ", 2))
                v2k_error_prepend("%s: ", st->name);
            return -1;
        }
        snprintf(phase, sizeof phase, "step %s", st->name);
        v2k_log_phase(phase, v2k_now() - t0);
    }
    return 0;
}

void
v2k_log_edit(guestfs_h *g, const char *step, const char *file,
             const char *before, const char *after)
{
    struct v2k_edit_set *e = g ? guestfs_get_private(g, EDITS_KEY) : NULL;

    if (e)
        edited_add(e, file);
    if (v2k_log_machine_readable()) {
        struct v2k_json *j = v2k_log_json_begin("edit");
        if (j == NULL)
            return;
        v2k_json_kv_string(j, "step", step);
        v2k_json_kv_string(j, "file", file);
        v2k_json_kv_string(j, "before", before);
        v2k_json_kv_string(j, "after", after);
        v2k_log_json_end(j);
        return;
    }
    if (before == NULL)         /* a whole-file action */
        v2k_msg("%s: %s: %s", step, file, after ? after : "changed");
    else
        v2k_debug("%s: %s: %s -> %s", step, file, before,
                  after ? after : "(line removed)");
}
