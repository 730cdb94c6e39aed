/* xorg.c - step "xorg": X.org configs that name the old hypervisor's
 * video or mouse driver are pointed at drivers that work on KVM.
 *
 * The reader and the rewrite are pure functions (xorg-internal.h, which
 * states the rules); the step applies them to /etc/X11/xorg.conf, the
 * older XF86Config names and /etc/X11/xorg.conf.d/ *.conf.  Files under
 * /usr/share/X11/xorg.conf.d belong to packages and are left alone.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "linux.h"
#include "log.h"
#include "util.h"
#include "xorg-internal.h"

static bool
is_blank(char c)
{
    /* The server's lexer also skips commas between arguments. */
    return c == ' ' || c == '\t' || c == '\r' || c == ',';
}

size_t
v2k_xorg_tokenize(const char *line, size_t len, struct v2k_xorg_tok *toks,
                  size_t max)
{
    size_t i = 0, n = 0;

    while (i < len) {
        struct v2k_xorg_tok t = { V2K_XORG_WORD, 0, 0, false };

        if (is_blank(line[i])) {
            i++;
            continue;
        }
        if (line[i] == '#')
            break;
        if (line[i] == '"') {
            const char *q = memchr(line + i + 1, '"', len - i - 1);

            t.kind = V2K_XORG_STRING;
            t.start = i + 1;
            if (q) {
                t.len = (size_t)(q - (line + i + 1));
                i = (size_t)(q - line) + 1;
            } else {
                t.len = len - i - 1;
                t.unterminated = true;
                i = len;
            }
        } else {
            t.start = i;
            while (i < len && !is_blank(line[i]) && line[i] != '"' &&
                   line[i] != '#')
                i++;
            t.len = i - t.start;
        }
        if (n < max)
            toks[n] = t;
        n++;
    }
    return n;
}

int
v2k_xorg_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;

    for (;;) {
        while (i < alen && (a[i] == ' ' || a[i] == '\t' || a[i] == '_'))
            i++;
        while (j < blen && (b[j] == ' ' || b[j] == '\t' || b[j] == '_'))
            j++;
        if (i == alen || j == blen)
            return i == alen ? (j == blen ? 0 : -1) : 1;
        int ca = tolower((unsigned char)a[i]);
        int cb = tolower((unsigned char)b[j]);
        if (ca != cb)
            return ca - cb;
        i++;
        j++;
    }
}

bool
v2k_xorg_driver_is_foreign(const char *driver)
{
    /* These drive whatever display the KVM output gives the guest
     * (VGA, bochs, virtio-gpu through KMS); every other driver is for a
     * card the guest no longer has. */
    static const char *const portable[] = { "modesetting", "fbdev", "vesa" };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(portable); i++)
        if (strcasecmp(driver, portable[i]) == 0)
            return false;
    return true;
}

bool
v2k_xorg_input_is_hypervisor(const char *driver)
{
    return strcasecmp(driver, "vmmouse") == 0 ||
           strcasecmp(driver, "vboxmouse") == 0;
}

/* What happens to each input line. */
enum line_action {
    KEEP, DROP, DROP_SECTION_HEAD, DROP_SECTION_REST, SET_DRIVER,
};

enum section_kind { SEC_NONE, SEC_DEVICE, SEC_INPUT, SEC_LAYOUT, SEC_OTHER };

struct xline {
    const char *p;
    size_t len;                 /* without "\n" and a "\r" before it */
    size_t full;                /* with them */
    enum line_action action;
    enum section_kind sec;      /* the section the line is in */
    bool top;                   /* directly in it (not a SubSection) */
    size_t tok_start, tok_len;  /* SET_DRIVER: the span to replace */
};

struct removed_id {
    const char *p;
    size_t len;
};

struct rewrite {
    struct xline *l;
    size_t n;
    struct removed_id *ids;     /* identifiers of removed InputDevices */
    size_t nids;
};

static bool
tok_is(const char *line, const struct v2k_xorg_tok *t, const char *word)
{
    return t->kind == V2K_XORG_WORD && strlen(word) == t->len &&
           strncasecmp(line + t->start, word, t->len) == 0;
}

static enum section_kind
section_kind(const char *line, const struct v2k_xorg_tok *t)
{
    static const struct { const char *name; enum section_kind k; } names[] = {
        { "Device", SEC_DEVICE }, { "InputDevice", SEC_INPUT },
        { "ServerLayout", SEC_LAYOUT },
    };

    if (t->kind != V2K_XORG_STRING)
        return SEC_OTHER;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(names); i++)
        if (v2k_xorg_name_cmp(line + t->start, t->len, names[i].name,
                              strlen(names[i].name)) == 0)
            return names[i].k;
    return SEC_OTHER;
}

/* Split text into lines; -1 on a line that is too long or ENOMEM. */
static int
split_lines(struct rewrite *rw, const char *text, size_t len)
{
    size_t nl = 1;

    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            nl++;
    rw->l = v2k_calloc(nl, sizeof *rw->l);
    if (!rw->l)
        return -1;
    for (size_t i = 0; i < len;) {
        const char *e = memchr(text + i, '\n', len - i);
        size_t full = e ? (size_t)(e - (text + i)) + 1 : len - i;
        size_t l = e ? full - 1 : full;

        if (l > 0 && text[i + l - 1] == '\r')
            l--;
        if (l > V2K_XORG_MAX_LINE) {
            v2k_error("line %zu is longer than %u bytes", rw->n + 1,
                      V2K_XORG_MAX_LINE);
            return -1;
        }
        rw->l[rw->n].p = text + i;
        rw->l[rw->n].len = l;
        rw->l[rw->n].full = full;
        rw->n++;
        i += full;
    }
    return 0;
}

/* Decide what to do with the section of lines [first, last] (the
 * Section and EndSection lines included). */
static int
judge_section(struct rewrite *rw, size_t first, size_t last,
              enum section_kind kind, const char *new_driver)
{
    struct v2k_xorg_tok t[4];
    const char *ident = NULL;
    size_t ident_len = 0;
    size_t driver_line = SIZE_MAX;
    bool foreign = false;

    for (size_t i = first + 1; i < last; i++) {
        struct xline *x = &rw->l[i];
        size_t n;

        if (!x->top)
            continue;
        n = v2k_xorg_tokenize(x->p, x->len, t, V2K_ARRAY_SIZE(t));
        if (n < 2 || t[1].kind != V2K_XORG_STRING)
            continue;
        if (tok_is(x->p, &t[0], "Identifier")) {
            ident = x->p + t[1].start;
            ident_len = t[1].len;
        } else if (tok_is(x->p, &t[0], "Driver")) {
            CLEANUP_FREE char *d = strndup(x->p + t[1].start, t[1].len);

            if (!d) {
                v2k_error("out of memory");
                return -1;
            }
            driver_line = i;
            if (kind == SEC_DEVICE)
                foreign = v2k_xorg_driver_is_foreign(d) &&
                          strcasecmp(d, new_driver) != 0;
            else
                foreign = v2k_xorg_input_is_hypervisor(d);
            if (foreign) {
                x->tok_start = t[1].start;
                x->tok_len = t[1].len;
            }
        }
    }
    if (driver_line == SIZE_MAX || !foreign)
        return 0;

    if (kind == SEC_DEVICE) {
        rw->l[driver_line].action = SET_DRIVER;
        for (size_t i = first + 1; i < last; i++) {
            struct xline *x = &rw->l[i];

            if (!x->top ||
                v2k_xorg_tokenize(x->p, x->len, t, 1) == 0)
                continue;
            if (tok_is(x->p, &t[0], "VendorName") ||
                tok_is(x->p, &t[0], "BoardName"))
                x->action = DROP;
        }
        return 0;
    }

    /* A hypervisor mouse: the whole InputDevice section goes. */
    rw->l[first].action = DROP_SECTION_HEAD;
    for (size_t i = first + 1; i <= last; i++)
        rw->l[i].action = DROP_SECTION_REST;
    if (ident) {
        struct removed_id *ids = realloc(rw->ids,
                                         (rw->nids + 1) * sizeof *ids);
        if (!ids) {
            v2k_error("out of memory");
            return -1;
        }
        rw->ids = ids;
        rw->ids[rw->nids].p = ident;
        rw->ids[rw->nids].len = ident_len;
        rw->nids++;
    }
    return 0;
}

/* Pass 1: find sections and judge them.  A section without EndSection
 * (a broken file) is left alone. */
static int
judge_sections(struct rewrite *rw, const char *new_driver)
{
    struct v2k_xorg_tok t[2];
    enum section_kind kind = SEC_NONE;
    size_t first = 0;
    unsigned sub = 0;

    for (size_t i = 0; i < rw->n; i++) {
        struct xline *x = &rw->l[i];
        size_t n = v2k_xorg_tokenize(x->p, x->len, t, V2K_ARRAY_SIZE(t));

        x->sec = kind;
        x->top = sub == 0;
        if (n == 0)
            continue;
        if (kind == SEC_NONE) {
            if (tok_is(x->p, &t[0], "Section")) {
                kind = n >= 2 ? section_kind(x->p, &t[1]) : SEC_OTHER;
                x->sec = kind;
                first = i;
                sub = 0;
            }
        } else if (tok_is(x->p, &t[0], "SubSection")) {
            sub++;
            x->top = false;
        } else if (tok_is(x->p, &t[0], "EndSubSection")) {
            if (sub > 0)
                sub--;
            x->top = false;
        } else if (tok_is(x->p, &t[0], "EndSection")) {
            if ((kind == SEC_DEVICE || kind == SEC_INPUT) &&
                judge_section(rw, first, i, kind, new_driver) == -1)
                return -1;
            kind = SEC_NONE;
            sub = 0;
        }
    }
    return 0;
}

/* Pass 2: ServerLayout lines naming a removed InputDevice. */
static void
judge_layout_refs(struct rewrite *rw)
{
    struct v2k_xorg_tok t[2];

    if (rw->nids == 0)
        return;
    for (size_t i = 0; i < rw->n; i++) {
        struct xline *x = &rw->l[i];

        if (x->sec != SEC_LAYOUT || !x->top || x->action != KEEP)
            continue;
        if (v2k_xorg_tokenize(x->p, x->len, t, 2) < 2 ||
            !tok_is(x->p, &t[0], "InputDevice") ||
            t[1].kind != V2K_XORG_STRING)
            continue;
        for (size_t k = 0; k < rw->nids; k++)
            if (v2k_xorg_name_cmp(x->p + t[1].start, t[1].len, rw->ids[k].p,
                                  rw->ids[k].len) == 0)
                x->action = DROP;
    }
}

/* "InputDevice "Mouse0" (Driver "vmmouse", lines 10-16)" for the log. */
static char *
section_summary(const struct rewrite *rw, size_t first)
{
    size_t last = first;
    const struct xline *d = NULL;

    while (last + 1 < rw->n && rw->l[last + 1].action == DROP_SECTION_REST)
        last++;
    for (size_t i = first; i <= last; i++)
        if (rw->l[i].tok_len > 0)
            d = &rw->l[i];
    return v2k_asprintf("Section \"InputDevice\" (Driver \"%.*s\", "
                        "lines %zu-%zu)", d ? (int)d->tok_len : 0,
                        d ? d->p + d->tok_start : "", first + 1, last + 1);
}

int
v2k_xorg_rewrite(const char *text, size_t len, const char *new_driver,
                 v2k_xorg_log_fn log, void *opaque, char **out,
                 size_t *outlen, unsigned *nchanged)
{
    struct rewrite rw = { NULL, 0, NULL, 0 };
    size_t cap, o = 0, nd = strlen(new_driver);
    char *buf = NULL;
    unsigned changes = 0;
    int r = -1;

    if (split_lines(&rw, text, len) == -1 ||
        judge_sections(&rw, new_driver) == -1)
        goto out;
    judge_layout_refs(&rw);

    /* Each SET_DRIVER line grows by at most nd bytes. */
    cap = len + 1;
    for (size_t i = 0; i < rw.n; i++)
        if (rw.l[i].action == SET_DRIVER && V2K_ADD_OVERFLOW(cap, nd, &cap)) {
            v2k_error("out of memory");
            goto out;
        }
    buf = v2k_malloc(cap);
    if (!buf)
        goto out;

    for (size_t i = 0; i < rw.n; i++) {
        const struct xline *x = &rw.l[i];
        CLEANUP_FREE char *before = NULL;
        CLEANUP_FREE char *after = NULL;

        switch (x->action) {
        case KEEP:
            memcpy(buf + o, x->p, x->full);
            o += x->full;
            continue;
        case DROP_SECTION_REST:
            continue;
        case DROP:
            changes++;
            before = strndup(x->p, x->len);
            break;
        case DROP_SECTION_HEAD:
            changes++;
            before = section_summary(&rw, i);
            break;
        case SET_DRIVER:
            changes++;
            memcpy(buf + o, x->p, x->tok_start);
            memcpy(buf + o + x->tok_start, new_driver, nd);
            memcpy(buf + o + x->tok_start + nd, x->p + x->tok_start + x->tok_len,
                   x->full - x->tok_start - x->tok_len);
            before = strndup(x->p, x->len);
            after = strndup(buf + o, x->len - x->tok_len + nd);
            o += x->full - x->tok_len + nd;
            break;
        }
        if (!before || (x->action == SET_DRIVER && !after)) {
            v2k_error("out of memory");
            goto out;
        }
        if (log)
            log((unsigned)(i + 1), before, after, opaque);
    }
    buf[o] = '\0';
    *out = buf;
    buf = NULL;
    *outlen = o;
    *nchanged = changes;
    r = 0;
out:
    free(buf);
    free(rw.l);
    free(rw.ids);
    return r;
}

/* ---- the step ---------------------------------------------------- */

struct log_ctx {
    guestfs_h *g;
    const char *path;
};

static void
log_change(unsigned lineno, const char *before, const char *after,
           void *opaque)
{
    const struct log_ctx *lc = opaque;

    (void)lineno;
    v2k_log_edit(lc->g, "xorg", lc->path, before, after ? after : "(removed)");
}

/* modesetting ships with every X server since 1.17 (2015); older ones
 * (RHEL 5/6) only have vesa among the portable drivers. */
static const char *
pick_driver(guestfs_h *g)
{
    static const char *const dirs[] = {
        "/usr/lib/xorg/modules/drivers", "/usr/lib64/xorg/modules/drivers",
        "/usr/lib/*/xorg/modules/drivers", "/usr/lib/X11/modules/drivers",
    };
    static const char *const drivers[] = { "modesetting", "vesa" };

    for (size_t d = 0; d < V2K_ARRAY_SIZE(drivers); d++)
        for (size_t i = 0; i < V2K_ARRAY_SIZE(dirs); i++) {
            CLEANUP_FREE char *pat = v2k_asprintf("%s/%s_drv.so", dirs[i],
                                                  drivers[d]);
            char **m = pat ? v2k_gf_glob(g, "xorg", pat) : NULL;
            bool found = m && m[0];

            v2k_gf_strv_free(m);
            if (found)
                return drivers[d];
        }
    return "modesetting";
}

static int
rewrite_file(guestfs_h *g, const char *path, const char *driver)
{
    CLEANUP_FREE char *text = NULL;
    CLEANUP_FREE char *out = NULL;
    size_t len, outlen;
    unsigned n;
    struct log_ctx lc = { g, path };

    text = v2k_gf_read(g, "xorg", path, &len);
    if (!text) {
        v2k_warning("%s; left alone", v2k_error_message());
        return 0;
    }
    if (v2k_xorg_rewrite(text, len, driver, log_change, &lc, &out, &outlen,
                         &n) == -1) {
        v2k_warning("xorg: %s: %s; left alone", path, v2k_error_message());
        return 0;
    }
    if (n == 0) {
        v2k_debug("xorg: %s: nothing names a hypervisor driver", path);
        return 0;
    }
    return v2k_gf_write(g, "xorg", path, out, outlen);
}

bool
v2k_linux_xorg_applies(const struct v2k_convert_ctx *ctx)
{
    return v2k_gf_is_dir(ctx->g, "/etc/X11");
}

int
v2k_linux_xorg_run(struct v2k_convert_ctx *ctx)
{
    static const char *const fixed[] = {
        "/etc/X11/xorg.conf", "/etc/X11/XF86Config", "/etc/X11/XF86Config-4",
    };
    const char *driver = NULL;
    char **conf_d;
    int r = 0;

    conf_d = v2k_gf_glob(ctx->g, "xorg", "/etc/X11/xorg.conf.d/*.conf");
    if (!conf_d)
        return -1;
    for (size_t i = 0; r == 0; i++) {
        size_t nf = V2K_ARRAY_SIZE(fixed);
        const char *path = i < nf ? fixed[i] : conf_d[i - nf];

        if (!path)
            break;
        if (!v2k_gf_is_file(ctx->g, path))
            continue;
        if (!driver)
            driver = pick_driver(ctx->g);
        r = rewrite_file(ctx->g, path, driver);
    }
    v2k_gf_strv_free(conf_d);
    return r;
}
