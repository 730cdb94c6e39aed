/* plan.c - see plan.h.
 *
 * Two passes: libyaml's events build a small tree of our own (so that
 * aliases, several documents and deep nesting are refused where they
 * occur, with their line), then the schema walk below checks the tree
 * and fills struct v2k_plan.  The walk never stops at an error: each
 * check records its line and the walk goes on with the next key.
 */
#include "plan.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* A plan nests four levels (vms / VM / hooks / pre / args); anything
 * much deeper is not a plan.  The node cap bounds the tree's memory
 * whatever the file holds (a node is about 100 bytes): 10000 VMs of 40
 * keys and values each fit. */
#define MAX_DEPTH 32
#define MAX_NODES 500000

/* ---- The tree ------------------------------------------------------ */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    enum ytype type;
    char *value;                /* scalar: NUL-terminated */
    size_t len;
    bool plain;                 /* an unquoted scalar (null detection) */
    int line, col;              /* 1-based */
    struct ynode **items;       /* seq: items; map: key, value, ... */
    size_t n, cap;
};

static void
ynode_free(struct ynode *y)
{
    if (y == NULL)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->items[i]);
    free(y->items);
    free(y->value);
    free(y);
}

/* ---- Diagnostics --------------------------------------------------- */

struct diag {
    int line, col;
    size_t seq;
    char *text;
};

struct ctx {
    const char *name;           /* the plan as the messages call it */
    const char *dir;
    struct diag *diags;
    size_t ndiags, cap;
    size_t nerrors, nwarnings, dropped;
    size_t nnodes;
    bool oom;
    struct v2k_plan *p;
};

static void __attribute__((format(printf, 5, 6)))
report(struct ctx *c, int line, int col, bool warn, const char *fmt, ...)
{
    va_list ap;
    char msg[V2K_ERROR_MAX];

    if (warn)
        c->nwarnings++;
    else
        c->nerrors++;
    if (c->ndiags >= V2K_PLAN_MAX_DIAGS) {
        c->dropped++;
        return;
    }
    if (c->ndiags == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct diag *nd = realloc(c->diags, ncap * sizeof *nd);
        if (nd == NULL) {
            c->oom = true;
            return;
        }
        c->diags = nd;
        c->cap = ncap;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->diags[c->ndiags].line = line;
    c->diags[c->ndiags].col = col;
    c->diags[c->ndiags].seq = c->ndiags;
    if (line > 0)
        c->diags[c->ndiags].text = v2k_asprintf("%s:%d:%d: %s%s", c->name,
                                                line, col,
                                                warn ? "warning: " : "", msg);
    else
        c->diags[c->ndiags].text = v2k_asprintf("%s: %s%s", c->name,
                                                warn ? "warning: " : "", msg);
    if (c->diags[c->ndiags].text == NULL)
        c->oom = true;
    else
        c->ndiags++;
}

#define ERR(c, y, ...) report((c), (y)->line, (y)->col, false, __VA_ARGS__)
#define WARN(c, y, ...) report((c), (y)->line, (y)->col, true, __VA_ARGS__)

static int
diag_cmp(const void *a, const void *b)
{
    const struct diag *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
v2k_plan_diags_free(struct v2k_plan_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nlines; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

/* Hand the diagnostics over in line order (the walk checks the blocks in
 * dependency order, not file order). */
static void
diags_finish(struct ctx *c, struct v2k_plan_diags *d)
{
    memset(d, 0, sizeof *d);
    if (c->ndiags)
        qsort(c->diags, c->ndiags, sizeof *c->diags, diag_cmp);
    d->lines = calloc(c->ndiags + 2, sizeof *d->lines);
    for (size_t i = 0; i < c->ndiags; i++) {
        if (d->lines)
            d->lines[d->nlines++] = c->diags[i].text;
        else
            free(c->diags[i].text);
    }
    free(c->diags);
    c->diags = NULL;
    if (d->lines && c->dropped)
        d->lines[d->nlines] = v2k_asprintf("%s: %zu more errors and warnings not shown", c->name, c->dropped);
    if (d->lines && d->lines[d->nlines])
        d->nlines++;
    d->nerrors = c->nerrors;
    d->nwarnings = c->nwarnings;
}

/* ---- Events to tree ------------------------------------------------ */

static struct ynode *
ynode_new(struct ctx *c, enum ytype t, const yaml_mark_t *m)
{
    struct ynode *y;

    if (++c->nnodes > MAX_NODES)
        return NULL;
    y = calloc(1, sizeof *y);
    if (y == NULL)
        return NULL;
    y->type = t;
    y->line = (int)m->line + 1;
    y->col = (int)m->column + 1;
    return y;
}

static int
ynode_add(struct ynode *parent, struct ynode *child)
{
    if (parent->n == parent->cap) {
        size_t ncap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **ni = realloc(parent->items, ncap * sizeof *ni);
        if (ni == NULL)
            return -1;
        parent->items = ni;
        parent->cap = ncap;
    }
    parent->items[parent->n++] = child;
    return 0;
}

/* The document's root, or NULL after one error (YAML errors stop the
 * parse: libyaml cannot go on after one). */
static struct ynode *
build_tree(struct ctx *c, const char *buf, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ynode *stack[MAX_DEPTH + 1], *root = NULL;
    int depth = 0, ndocs = 0;
    bool done = false, failed = false;

    if (!yaml_parser_initialize(&parser)) {
        report(c, 0, 0, false, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    while (!done && !failed) {
        struct ynode *y = NULL;

        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = parser.problem_mark.line ||
                parser.problem_mark.column ? &parser.problem_mark
                                           : &parser.context_mark;
            report(c, (int)m->line + 1, (int)m->column + 1, false,
                   "YAML syntax error: %s%s%s",
                   parser.problem ? parser.problem : "unknown problem",
                   parser.context ? " " : "",
                   parser.context ? parser.context : "");
            failed = true;
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1) {
                report(c, (int)ev.start_mark.line + 1,
                       (int)ev.start_mark.column + 1, false,
                       "a plan is one YAML document; a second one starts here");
                failed = true;
            }
            break;
        case YAML_ALIAS_EVENT:
            report(c, (int)ev.start_mark.line + 1,
                   (int)ev.start_mark.column + 1, false,
                   "YAML aliases (*%s) are not supported in a plan: write the value out, or use defaults",
                   (const char *)ev.data.alias.anchor);
            failed = true;
            break;
        case YAML_SCALAR_EVENT:
            y = ynode_new(c, Y_SCALAR, &ev.start_mark);
            if (y) {
                y->value = malloc(ev.data.scalar.length + 1);
                if (y->value == NULL) {
                    free(y);
                    y = NULL;
                } else {
                    memcpy(y->value, ev.data.scalar.value,
                           ev.data.scalar.length);
                    y->value[ev.data.scalar.length] = '\0';
                    y->len = ev.data.scalar.length;
                    y->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                }
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
            y = ynode_new(c, Y_SEQ, &ev.start_mark);
            break;
        case YAML_MAPPING_START_EVENT:
            y = ynode_new(c, Y_MAP, &ev.start_mark);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        if (!failed && (ev.type == YAML_SCALAR_EVENT ||
                        ev.type == YAML_SEQUENCE_START_EVENT ||
                        ev.type == YAML_MAPPING_START_EVENT)) {
            const char *anchor = ev.type == YAML_SCALAR_EVENT
                ? (const char *)ev.data.scalar.anchor
                : ev.type == YAML_SEQUENCE_START_EVENT
                ? (const char *)ev.data.sequence_start.anchor
                : (const char *)ev.data.mapping_start.anchor;
            if (y == NULL && c->nnodes > MAX_NODES) {
                report(c, (int)ev.start_mark.line + 1,
                       (int)ev.start_mark.column + 1, false,
                       "too many YAML nodes (more than %d)", MAX_NODES);
                failed = true;
            } else if (y == NULL) {
                report(c, 0, 0, false, "out of memory");
                failed = true;
            } else if (anchor) {
                report(c, y->line, y->col, false,
                       "YAML anchors (&%s) are not supported in a plan: write the value out, or use defaults",
                       anchor);
                ynode_free(y);
                failed = true;
            } else if (depth == 0) {
                if (root)
                    ynode_free(root);
                root = y;
            } else if (ynode_add(stack[depth - 1], y) == -1) {
                ynode_free(y);
                report(c, 0, 0, false, "out of memory");
                failed = true;
            }
            if (!failed && y->type != Y_SCALAR) {
                if (depth == MAX_DEPTH) {
                    report(c, y->line, y->col, false,
                           "nested more than %d levels deep", MAX_DEPTH);
                    failed = true;
                } else {
                    stack[depth++] = y;
                }
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (failed) {
        ynode_free(root);
        return NULL;
    }
    if (root == NULL)
        report(c, 1, 1, false, "the plan is empty (it needs at least version: %d and vms:)", V2K_PLAN_VERSION);
    return root;
}

/* ---- Tree helpers -------------------------------------------------- */

static const char *
type_name(const struct ynode *y)
{
    return y->type == Y_MAP ? "a mapping" : y->type == Y_SEQ ? "a list"
                                                              : "a scalar";
}

static bool
is_null(const struct ynode *y)
{
    return y->type == Y_SCALAR && y->plain &&
        (y->len == 0 || strcmp(y->value, "~") == 0 ||
         strcmp(y->value, "null") == 0 || strcmp(y->value, "Null") == 0 ||
         strcmp(y->value, "NULL") == 0);
}

static bool
want(struct ctx *c, const struct ynode *y, enum ytype t, const char *what)
{
    static const char *const names[] = { "a scalar", "a list",
                                         "a mapping" };

    if (y->type == t)
        return true;
    ERR(c, y, "%s: must be %s, not %s", what, names[t], type_name(y));
    return false;
}

/* The value of key in map y, or NULL. */
static const struct ynode *
get(const struct ynode *y, const char *key)
{
    if (y == NULL || y->type != Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < y->n; i += 2)
        if (y->items[i]->type == Y_SCALAR &&
            strcmp(y->items[i]->value, key) == 0)
            return y->items[i + 1];
    return NULL;
}

/* Unknown, duplicate and non-scalar keys of map y; what names the block
 * ("source 'esx1'").  Inline secrets get their own message. */
static void
check_keys(struct ctx *c, const struct ynode *y, const char *const *known,
           const char *what)
{
    char list[512];

    list[0] = '\0';
    for (size_t i = 0; known[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", known[i]);
    for (size_t i = 0; i + 1 < y->n; i += 2) {
        const struct ynode *k = y->items[i];
        size_t j;

        if (k->type != Y_SCALAR) {
            ERR(c, k, "%s: a key must be a scalar, not %s", what,
                type_name(k));
            continue;
        }
        for (j = 0; j < i; j += 2)
            if (y->items[j]->type == Y_SCALAR &&
                strcmp(y->items[j]->value, k->value) == 0)
                break;
        if (j < i) {
            ERR(c, k, "%s: duplicate key '%s' (first at line %d)", what,
                k->value, y->items[j]->line);
            continue;
        }
        for (j = 0; known[j]; j++)
            if (strcmp(known[j], k->value) == 0)
                break;
        if (known[j])
            continue;
        if (strcmp(k->value, "password") == 0 ||
            strcmp(k->value, "passphrase") == 0)
            ERR(c, k, "%s: inline %s refused: put it in a file (chmod 600) and name the file with password_file", what, k->value);
        else if (strcmp(k->value, "key") == 0)
            ERR(c, k, "%s: inline key refused: put it in a file (chmod 600) and name the file with key_file", what);
        else
            ERR(c, k, "%s: unknown key '%.64s' (known: %s)", what, k->value,
                list);
    }
}

/* A scalar string value: no control characters (they would end up on a
 * command line and in messages), not null.  NULL after an error. */
static const char *
scalar(struct ctx *c, const struct ynode *y, const char *what)
{
    if (!want(c, y, Y_SCALAR, what))
        return NULL;
    if (is_null(y)) {
        ERR(c, y, "%s: needs a value", what);
        return NULL;
    }
    for (size_t i = 0; i < y->len; i++) {
        unsigned char ch = (unsigned char)y->value[i];
        if (ch < 0x20 || ch == 0x7f) {
            ERR(c, y, "%s: control character (0x%02x) in the value", what,
                ch);
            return NULL;
        }
    }
    return y->value;
}

/* Scalar string value of key, or NULL (absent: an error if required). */
static const char *
str(struct ctx *c, const struct ynode *map, const char *key, bool required,
    const char *what)
{
    const struct ynode *y = get(map, key);
    char w[160];

    snprintf(w, sizeof w, "%s: %s", what, key);
    if (y == NULL) {
        if (required)
            ERR(c, map, "%s: missing (required)", w);
        return NULL;
    }
    return scalar(c, y, w);
}

static int
dupstr(struct ctx *c, const char *s, char **out)
{
    if (s == NULL)
        return 0;
    *out = strdup(s);
    if (*out == NULL)
        c->oom = true;
    return 0;
}

static void
boolean(struct ctx *c, const struct ynode *map, const char *key,
        const char *what, bool *out)
{
    const struct ynode *y = get(map, key);

    if (y == NULL || !want(c, y, Y_SCALAR, what))
        return;
    if (strcmp(y->value, "true") == 0)
        *out = true;
    else if (strcmp(y->value, "false") == 0)
        *out = false;
    else
        ERR(c, y, "%s: %s: must be true or false, not '%.64s'", what, key,
            y->value);
}

/* An unsigned number in [min, max]; false when absent or bad. */
static bool
number(struct ctx *c, const struct ynode *map, const char *key,
       const char *what, unsigned min, unsigned max, unsigned *out)
{
    const struct ynode *y = get(map, key);
    uint64_t v;
    char w[160];

    snprintf(w, sizeof w, "%s: %s", what, key);
    if (y == NULL)
        return false;
    if (scalar(c, y, w) == NULL)
        return false;
    if (v2k_parse_u64(y->value, w, &v) == -1) {
        ERR(c, y, "%s: must be a whole number, not '%.64s'", w, y->value);
        return false;
    }
    if (v < min || v > max) {
        ERR(c, y, "%s: %" PRIu64 " is out of range (%u to %u)", w, v, min,
            max);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

/* One of table's words (NULL-terminated); its index or -1. */
static int
word(struct ctx *c, const struct ynode *y, const char *what,
     const char *const *table)
{
    char list[256];

    if (scalar(c, y, what) == NULL)
        return -1;
    list[0] = '\0';
    for (int i = 0; table[i]; i++) {
        if (strcmp(table[i], y->value) == 0)
            return i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", table[i]);
    }
    ERR(c, y, "%s: '%.64s' is not one of %s", what, y->value, list);
    return -1;
}

static const char *
keyword(struct ctx *c, const struct ynode *map, const char *key,
        const char *what, const char *const *table)
{
    const struct ynode *y = get(map, key);
    char w[160];
    int i;

    if (y == NULL)
        return NULL;
    snprintf(w, sizeof w, "%s: %s", what, key);
    i = word(c, y, w, table);
    return i < 0 ? NULL : table[i];
}

/* ---- Files --------------------------------------------------------- */

enum fkind {
    F_FILE,         /* a regular file or a block device (disks) */
    F_FILE_OR_DIR,  /* an OVA: a tar file or a directory */
    F_DIR,
    F_SECRET,       /* a regular file; group/world-readable: warning */
    F_PROGRAM,      /* a regular file we may execute */
};

/* A name from the plan, joined to the plan's directory when relative. */
static char *
resolve(struct ctx *c, const char *name)
{
    char *r = name[0] == '/' ? strdup(name)
                             : v2k_asprintf("%s/%s", c->dir, name);
    if (r == NULL)
        c->oom = true;
    return r;
}

/* The file named by key (or by y itself when key is NULL), resolved and
 * checked; NULL when absent or bad. */
static char *
file_node(struct ctx *c, const struct ynode *y, const char *what,
          enum fkind k)
{
    struct stat st;
    char *path;
    const char *name = scalar(c, y, what);

    if (name == NULL)
        return NULL;
    path = resolve(c, name);
    if (path == NULL)
        return NULL;
    if (stat(path, &st) == -1) {
        ERR(c, y, "%s: %s: %s", what, path, strerror(errno));
        goto bad;
    }
    switch (k) {
    case F_FILE:
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
            ERR(c, y, "%s: %s: not a regular file or block device", what,
                path);
            goto bad;
        }
        break;
    case F_FILE_OR_DIR:
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            ERR(c, y, "%s: %s: not a file or directory", what, path);
            goto bad;
        }
        break;
    case F_DIR:
        if (!S_ISDIR(st.st_mode)) {
            ERR(c, y, "%s: %s: not a directory", what, path);
            goto bad;
        }
        break;
    case F_SECRET:
        if (!S_ISREG(st.st_mode)) {
            ERR(c, y, "%s: %s: not a regular file", what, path);
            goto bad;
        }
        if (st.st_mode & (S_IRGRP | S_IROTH))
            WARN(c, y, "%s: %s is readable by %s (mode %04o): chmod 600 %s",
                 what, path, st.st_mode & S_IROTH ? "everyone" : "its group",
                 (unsigned)(st.st_mode & 07777), path);
        break;
    case F_PROGRAM:
        if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
            ERR(c, y, "%s: %s: not an executable file", what, path);
            goto bad;
        }
        break;
    }
    return path;
bad:
    free(path);
    return NULL;
}

static char *
file(struct ctx *c, const struct ynode *map, const char *key,
     const char *what, enum fkind k)
{
    const struct ynode *y = get(map, key);
    char w[160];

    if (y == NULL)
        return NULL;
    snprintf(w, sizeof w, "%s: %s", what, key);
    return file_node(c, y, w, k);
}

/* ---- Blocks -------------------------------------------------------- */

static const char *const source_kinds[] = {
    "disk", "vmx", "ova", "libvirtxml", "vbox", "xen", "libvirt", NULL,
};
static const char *const target_kinds[] = { "local", "libvirt", "qemu",
                                            NULL };

const char *
v2k_plan_source_kind_to_string(enum v2k_plan_source_kind k)
{
    return (size_t)k < V2K_ARRAY_SIZE(source_kinds) - 1 ? source_kinds[k]
                                                        : "unknown";
}

const char *
v2k_plan_target_kind_to_string(enum v2k_plan_target_kind k)
{
    return (size_t)k < V2K_ARRAY_SIZE(target_kinds) - 1 ? target_kinds[k]
                                                        : "unknown";
}

/* "esx://root@host:443/?no_verify=1" -> "host". */
static char *
uri_host(const char *uri)
{
    const char *p = strstr(uri, "://"), *at, *end;

    if (p == NULL)
        return NULL;
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb)
            return strndup(p + 1, (size_t)(rb - p - 1));
    }
    return strndup(p, strcspn(p, ":/?#"));
}

static void
parse_source(struct ctx *c, const struct ynode *k, const struct ynode *v,
             struct v2k_plan_source *s)
{
    static const char *const known[] = {
        "kind", "uri", "transport", "format", "password_file",
        "ssh_identity", "cafile", "ssh_insecure", "ova_ignore_manifest",
        "host", NULL,
    };
    static const char *const transports[] = { "ssh", "vddk", NULL };
    char what[128];
    const struct ynode *y;
    const char *host;

    s->line = k->line;
    dupstr(c, k->value, &s->name);
    snprintf(what, sizeof what, "source '%.64s'", k->value);
    if (!want(c, v, Y_MAP, what))
        return;
    check_keys(c, v, known, what);
    y = get(v, "kind");
    if (y == NULL) {
        ERR(c, v, "%s: kind: missing (required: one of disk, vmx, ova, libvirtxml, vbox, xen, libvirt)", what);
    } else {
        char w[160];
        snprintf(w, sizeof w, "%s: kind", what);
        int i = word(c, y, w, source_kinds);
        if (i >= 0)
            s->kind = (enum v2k_plan_source_kind)i;
    }
    dupstr(c, str(c, v, "uri", false, what), &s->uri);
    y = get(v, "uri");
    if (s->uri) {
        if (s->kind != V2K_PLAN_SRC_LIBVIRT && s->kind != V2K_PLAN_SRC_XEN &&
            s->kind != V2K_PLAN_SRC_VBOX)
            ERR(c, y, "%s: uri: kind %s reads local files (or ssh:// paths in the VMs), it takes no uri", what, source_kinds[s->kind]);
        else if (strstr(s->uri, "://") == NULL)
            ERR(c, y, "%s: uri: '%.64s' is not a URI (esx://HOST, vpx://USER@VCENTER/DC/HOST, xen+ssh://HOST, vbox+ssh://HOST)", what, s->uri);
    } else if (s->kind == V2K_PLAN_SRC_LIBVIRT && get(v, "kind")) {
        ERR(c, v, "%s: uri: missing (kind libvirt needs esx://HOST or vpx://USER@VCENTER/DC/HOST)", what);
    }
    dupstr(c, keyword(c, v, "transport", what, transports), &s->transport);
    dupstr(c, str(c, v, "format", false, what), &s->format);
    s->password_file = file(c, v, "password_file", what, F_SECRET);
    s->ssh_identity = file(c, v, "ssh_identity", what, F_SECRET);
    s->cafile = file(c, v, "cafile", what, F_FILE);
    boolean(c, v, "ssh_insecure", what, &s->ssh_insecure);
    boolean(c, v, "ova_ignore_manifest", what, &s->ova_ignore_manifest);
    host = str(c, v, "host", false, what);
    if (host)
        dupstr(c, host, &s->host);
    else if (s->uri)
        s->host = uri_host(s->uri);
    if (s->host == NULL)
        dupstr(c, "localhost", &s->host);
}

static void
parse_target(struct ctx *c, const struct ynode *k, const struct ynode *v,
             struct v2k_plan_target *t)
{
    static const char *const known[] = {
        "kind", "storage", "uri", "format", "allocation", "compressed",
        "keep_uuid", "hugepages", "machine", "seclabel", "qemu_boot", NULL,
    };
    static const char *const formats[] = { "qcow2", "raw", NULL };
    static const char *const allocs[] = { "sparse", "preallocated", NULL };
    static const char *const machines[] = { "q35", "pc", NULL };
    static const char *const seclabels[] = { "dynamic", "none", NULL };
    char what[128];
    const struct ynode *y;
    const char *a;
    bool kind_ok = false;

    t->line = k->line;
    dupstr(c, k->value, &t->name);
    snprintf(what, sizeof what, "target '%.64s'", k->value);
    if (!want(c, v, Y_MAP, what))
        return;
    check_keys(c, v, known, what);
    y = get(v, "kind");
    if (y == NULL) {
        ERR(c, v, "%s: kind: missing (required: one of local, libvirt, qemu)", what);
    } else {
        char w[160];
        snprintf(w, sizeof w, "%s: kind", what);
        int i = word(c, y, w, target_kinds);
        if (i >= 0) {
            t->kind = (enum v2k_plan_target_kind)i;
            kind_ok = true;
        }
    }
    if (t->kind == V2K_PLAN_TGT_LIBVIRT) {
        dupstr(c, str(c, v, "storage", false, what), &t->storage);
        if (t->storage == NULL)
            dupstr(c, "default", &t->storage);
        dupstr(c, str(c, v, "uri", false, what), &t->uri);
    } else {
        y = get(v, "storage");
        if (y) {
            char w[160];
            snprintf(w, sizeof w, "%s: storage", what);
            t->storage = file_node(c, y, w, F_DIR);
        }
        else if (kind_ok)
            ERR(c, v, "%s: storage: missing (kind %s writes into a directory)", what, target_kinds[t->kind]);
        if ((y = get(v, "uri")) != NULL)
            ERR(c, y, "%s: uri: only kind libvirt takes a connection URI",
                what);
    }
    a = keyword(c, v, "format", what, formats);
    dupstr(c, a ? a : "qcow2", &t->format);
    a = keyword(c, v, "allocation", what, allocs);
    t->preallocated = a && strcmp(a, "preallocated") == 0;
    boolean(c, v, "compressed", what, &t->compressed);
    if (t->compressed && strcmp(t->format, "qcow2") != 0)
        ERR(c, get(v, "compressed"), "%s: compressed: only with format qcow2", what);
    boolean(c, v, "keep_uuid", what, &t->keep_uuid);
    boolean(c, v, "hugepages", what, &t->hugepages);
    dupstr(c, keyword(c, v, "machine", what, machines), &t->machine);
    dupstr(c, keyword(c, v, "seclabel", what, seclabels), &t->seclabel);
    boolean(c, v, "qemu_boot", what, &t->qemu_boot);
    if (t->qemu_boot && t->kind != V2K_PLAN_TGT_QEMU)
        ERR(c, get(v, "qemu_boot"), "%s: qemu_boot: only with kind qemu",
            what);
}

static void
parse_netmap(struct ctx *c, const struct ynode *k, const struct ynode *v,
             struct v2k_plan_netmap *m)
{
    static const char *const known[] = {
        "source", "mac", "network", "bridge", "hostdev", NULL,
    };
    static const char *const tos[] = { "network", "bridge", "hostdev" };
    char what[128];

    m->line = k->line;
    dupstr(c, k->value, &m->name);
    snprintf(what, sizeof what, "network map '%.64s'", k->value);
    if (!want(c, v, Y_SEQ, what))
        return;
    m->pairs = calloc(v->n ? v->n : 1, sizeof *m->pairs);
    if (m->pairs == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *e = v->items[i];
        struct v2k_plan_netpair *np = &m->pairs[m->npairs];
        const char *mac;
        int nto = 0;

        if (!want(c, e, Y_MAP, what))
            continue;
        check_keys(c, e, known, what);
        np->line = e->line;
        dupstr(c, str(c, e, "source", false, what), &np->source);
        mac = str(c, e, "mac", false, what);
        if (mac) {
            char norm[18];
            if (!v2k_parse_mac(mac, true, norm))
                ERR(c, get(e, "mac"), "%s: mac: '%.64s' is not a MAC address (xx:xx:xx:xx:xx:xx)", what, mac);
            else
                dupstr(c, norm, &np->mac);
        }
        if (np->source && get(e, "mac"))
            ERR(c, e, "%s: give source or mac, not both", what);
        for (int t = 0; t < 3; t++) {
            const char *out = str(c, e, tos[t], false, what);
            if (get(e, tos[t]))
                nto++;
            if (out && np->out == NULL) {
                np->to = (enum v2k_plan_net_to)t;
                dupstr(c, out, &np->out);
            }
        }
        if (nto != 1)
            ERR(c, e, "%s: give exactly one of network, bridge or hostdev",
                what);
        if (np->to == V2K_PLAN_NET_HOSTDEV && np->out && !get(e, "mac"))
            ERR(c, e, "%s: hostdev: only for a NIC chosen by mac", what);
        m->npairs++;
    }
}

static void
parse_storagemap(struct ctx *c, const struct ynode *k, const struct ynode *v,
                 struct v2k_plan_storagemap *m)
{
    static const char *const known[] = { "source", "storage", NULL };
    char what[128];

    m->line = k->line;
    dupstr(c, k->value, &m->name);
    snprintf(what, sizeof what, "storage map '%.64s'", k->value);
    if (!want(c, v, Y_SEQ, what))
        return;
    m->pairs = calloc(v->n ? v->n : 1, sizeof *m->pairs);
    if (m->pairs == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *e = v->items[i];
        struct v2k_plan_storepair *sp = &m->pairs[m->npairs];

        if (!want(c, e, Y_MAP, what))
            continue;
        check_keys(c, e, known, what);
        sp->line = e->line;
        dupstr(c, str(c, e, "source", false, what), &sp->source);
        dupstr(c, str(c, e, "storage", true, what), &sp->storage);
        m->npairs++;
    }
}

/* A "name: block" mapping of named blocks (sources, targets, maps). */
static size_t
named_blocks(struct ctx *c, const struct ynode *y, const char *what,
             size_t elem, void **out)
{
    char *arr;

    *out = NULL;
    if (y == NULL || !want(c, y, Y_MAP, what))
        return 0;
    arr = calloc(y->n / 2 + 1, elem);
    if (arr == NULL) {
        c->oom = true;
        return 0;
    }
    *out = arr;
    return y->n / 2;
}

/* ---- Limits -------------------------------------------------------- */

static void
parse_limits(struct ctx *c, const struct ynode *y, struct v2k_plan_limits *l)
{
    static const char *const known[] = {
        "max_in_flight", "per_source_host_disks", "memory_budget",
        "transient_retries", NULL,
    };
    const struct ynode *m;

    l->max_in_flight = V2K_PLAN_DEFAULT_MAX_IN_FLIGHT;
    l->per_source_host_disks = V2K_PLAN_DEFAULT_HOST_DISKS;
    l->memory_budget = 0;
    l->transient_retries = V2K_PLAN_DEFAULT_RETRIES;
    if (y == NULL || !want(c, y, Y_MAP, "limits"))
        return;
    check_keys(c, y, known, "limits");
    number(c, y, "max_in_flight", "limits", 1, 1000, &l->max_in_flight);
    number(c, y, "per_source_host_disks", "limits", 1, 10000,
           &l->per_source_host_disks);
    number(c, y, "transient_retries", "limits", 0, 100,
           &l->transient_retries);
    m = get(y, "memory_budget");
    if (m && scalar(c, m, "limits: memory_budget") &&
        strcmp(m->value, "auto") != 0) {
        uint64_t v;
        char hb[32];
        if (v2k_parse_size(m->value, "memory_budget", &v) == -1)
            ERR(c, m, "limits: memory_budget: '%.64s' is not a size (like 12GiB) or auto", m->value);
        else if (v < V2K_PLAN_APPLIANCE_BYTES)
            ERR(c, m, "limits: memory_budget: %s is less than one conversion needs (%s for its appliance)", v2k_human_size(v, hb, sizeof hb), "1.5 GiB");
        else
            l->memory_budget = v;
    }
}

/* ---- Defaults and VMs ---------------------------------------------- */

/* What defaults may set and a VM may override.  A key present but bad
 * is "given" so the VMs do not report it missing again. */
struct settings {
    const struct v2k_plan_source *source;
    const struct v2k_plan_target *target;
    const struct v2k_plan_netmap *netmap;
    const struct v2k_plan_storagemap *storagemap;
    bool source_given, target_given;
    const char *root, *cpu, *block_driver, *virtio_win;
    uint64_t memory;
    unsigned vcpus;
    bool no_convert;
    const struct ynode *pre, *post;     /* checked hook blocks */
};

#define SETTINGS_KEYS \
    "source", "target", "network_map", "storage_map", "root", "memory", \
    "vcpus", "cpu", "block_driver", "virtio_win", "no_convert", "hooks"

/* The named block of kind what in arr (n elements of size elem whose
 * first member is the name). */
static const void *
lookup(struct ctx *c, const struct ynode *map, const char *key,
       const char *what, const char *kind, const void *arr, size_t n,
       size_t elem, bool *given)
{
    const struct ynode *y = get(map, key);
    char w[160], list[256];
    const char *name;

    if (y == NULL)
        return NULL;
    *given = true;
    snprintf(w, sizeof w, "%s: %s", what, key);
    if ((name = scalar(c, y, w)) == NULL)
        return NULL;
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *const *nm = (const char *const *)((const char *)arr +
                                                      i * elem);
        if (*nm && strcmp(*nm, name) == 0)
            return nm;
        if (*nm)
            snprintf(list + strlen(list), sizeof list - strlen(list),
                     "%s%s", i ? ", " : "", *nm);
    }
    ERR(c, y, "%s: no %s called '%.64s' in the plan (%s: %s)", w, kind, name,
        kind, n ? list : "none");
    return NULL;
}

static void
check_hook(struct ctx *c, const struct ynode *y, const char *what)
{
    static const char *const known[] = { "program", "args", "timeout",
                                         NULL };
    const struct ynode *a;
    unsigned t;

    if (!want(c, y, Y_MAP, what))
        return;
    check_keys(c, y, known, what);
    if (!get(y, "program"))
        ERR(c, y, "%s: program: missing (required)", what);
    a = get(y, "args");
    if (a && want(c, a, Y_SEQ, what))
        for (size_t i = 0; i < a->n; i++)
            scalar(c, a->items[i], what);
    number(c, y, "timeout", what, 1, V2K_PLAN_MAX_HOOK_TIMEOUT, &t);
}

static void
parse_hooks(struct ctx *c, const struct ynode *y, const char *what,
            struct settings *s)
{
    static const char *const known[] = { "pre", "post", NULL };
    char w[160];

    if (!want(c, y, Y_MAP, what))
        return;
    check_keys(c, y, known, what);
    /* A VM's hooks replace the defaults' one by one: a VM with only a
     * post hook keeps the default pre hook. */
    if (get(y, "pre") != NULL) {
        s->pre = get(y, "pre");
        snprintf(w, sizeof w, "%s: pre", what);
        check_hook(c, s->pre, w);
    }
    if (get(y, "post") != NULL) {
        s->post = get(y, "post");
        snprintf(w, sizeof w, "%s: post", what);
        check_hook(c, s->post, w);
    }
}

static void
parse_settings(struct ctx *c, const struct ynode *y, const char *what,
               struct settings *s)
{
    static const char *const root_words[] = { "single", "first", NULL };
    static const char *const drivers[] = { "virtio-blk", "virtio-scsi",
                                           NULL };
    struct v2k_plan *p = c->p;
    const struct ynode *m;
    bool unused = false;
    const void *r;

    r = lookup(c, y, "source", what, "source", p->sources, p->nsources,
               sizeof *p->sources, &s->source_given);
    if (r || get(y, "source"))
        s->source = r;
    r = lookup(c, y, "target", what, "target", p->targets, p->ntargets,
               sizeof *p->targets, &s->target_given);
    if (r || get(y, "target"))
        s->target = r;
    r = lookup(c, y, "network_map", what, "network map", p->netmaps,
               p->nnetmaps, sizeof *p->netmaps, &unused);
    if (r || get(y, "network_map"))
        s->netmap = r;
    r = lookup(c, y, "storage_map", what, "storage map", p->storagemaps,
               p->nstoragemaps, sizeof *p->storagemaps, &unused);
    if (r || get(y, "storage_map"))
        s->storagemap = r;
    if ((m = get(y, "root")) != NULL) {
        char w[160];
        const char *v;
        snprintf(w, sizeof w, "%s: root", what);
        if ((v = scalar(c, m, w)) != NULL) {
            if (strncmp(v, "/dev/", 5) == 0 ||
                word(c, m, w, root_words) >= 0)
                s->root = v;
        }
    }
    if ((m = get(y, "memory")) != NULL &&
        scalar(c, m, "memory") != NULL) {
        uint64_t v;
        if (v2k_parse_size(m->value, "memory", &v) == -1 || v == 0 ||
            v % 1024 != 0)
            ERR(c, m, "%s: memory: '%.64s' is not a size in whole KiB (like 4GiB)", what, m->value);
        else
            s->memory = v;
    }
    number(c, y, "vcpus", what, 1, 4096, &s->vcpus);
    if ((m = get(y, "cpu")) != NULL) {
        char w[160];
        snprintf(w, sizeof w, "%s: cpu", what);
        s->cpu = scalar(c, m, w);
    }
    if (get(y, "block_driver"))
        s->block_driver = keyword(c, y, "block_driver", what, drivers);
    if ((m = get(y, "virtio_win")) != NULL) {
        char w[160];
        snprintf(w, sizeof w, "%s: virtio_win", what);
        if (scalar(c, m, w)) {
            char *path = file_node(c, m, w, F_FILE_OR_DIR);
            if (path)
                s->virtio_win = m->value;
            free(path);
        }
    }
    boolean(c, y, "no_convert", what, &s->no_convert);
    if ((m = get(y, "hooks")) != NULL) {
        char w[160];
        snprintf(w, sizeof w, "%s: hooks", what);
        parse_hooks(c, m, w, s);
    }
}

/* A hook block checked by check_hook into h (owned copies). */
static void
take_hook(struct ctx *c, const struct ynode *y, const char *what,
          struct v2k_plan_hook *h)
{
    const struct ynode *a;
    char w[160];

    h->timeout = V2K_PLAN_DEFAULT_HOOK_TIMEOUT;
    if (y == NULL || y->type != Y_MAP || get(y, "program") == NULL)
        return;
    h->line = y->line;
    snprintf(w, sizeof w, "%s: program", what);
    /* Checked once where it was written (the defaults or the VM): a
     * default hook's missing program is not reported again per VM. */
    if (get(y, "program")->type == Y_SCALAR) {
        struct ctx quiet = *c;
        quiet.diags = NULL;
        quiet.ndiags = quiet.cap = 0;
        h->program = file_node(&quiet, get(y, "program"), w, F_PROGRAM);
        for (size_t i = 0; i < quiet.ndiags; i++)
            free(quiet.diags[i].text);
        free(quiet.diags);
    }
    if (h->program == NULL)
        return;
    a = get(y, "args");
    h->args = calloc((a && a->type == Y_SEQ ? a->n : 0) + 1,
                     sizeof *h->args);
    if (h->args == NULL) {
        c->oom = true;
        return;
    }
    if (a && a->type == Y_SEQ)
        for (size_t i = 0, j = 0; i < a->n; i++)
            if (a->items[i]->type == Y_SCALAR)
                dupstr(c, a->items[i]->value, &h->args[j++]);
    if (get(y, "timeout") && get(y, "timeout")->type == Y_SCALAR) {
        uint64_t t;
        if (v2k_parse_u64(get(y, "timeout")->value, "timeout", &t) == 0 &&
            t >= 1 && t <= V2K_PLAN_MAX_HOOK_TIMEOUT)
            h->timeout = (unsigned)t;
        v2k_error_clear();
    }
}

/* Report the problems of hook block y once, where it is written. */
static void
report_hook_program(struct ctx *c, const struct ynode *y, const char *what)
{
    const struct ynode *pg;
    char w[160];

    if (y == NULL || y->type != Y_MAP || (pg = get(y, "program")) == NULL)
        return;
    snprintf(w, sizeof w, "%s: program", what);
    free(file_node(c, pg, w, F_PROGRAM));
}

static bool
is_url(const char *s)
{
    return strstr(s, "://") != NULL;
}

static void
vm_files(struct ctx *c, const struct ynode *v, const char *what,
         struct v2k_plan_vm *vm)
{
    const struct v2k_plan_source *s = vm->source;
    const struct ynode *path = get(v, "path"), *disks = get(v, "disks");
    const struct ynode *name = get(v, "vm");
    bool remote = s->uri != NULL;
    size_t n = 0;
    enum fkind fk = s->kind == V2K_PLAN_SRC_OVA ? F_FILE_OR_DIR : F_FILE;

    if (s->kind == V2K_PLAN_SRC_DISK) {
        if (path || name)
            ERR(c, path ? path : name, "%s: a VM of a disk source lists its disks (disks: [...]), not path or vm", what);
        if (disks == NULL) {
            ERR(c, v, "%s: disks: missing (source '%s' is of kind disk)",
                what, s->name);
            return;
        }
        if (!want(c, disks, Y_SEQ, what))
            return;
        if (disks->n == 0)
            ERR(c, disks, "%s: disks: empty", what);
        vm->paths = calloc(disks->n + 1, sizeof *vm->paths);
        if (vm->paths == NULL) {
            c->oom = true;
            return;
        }
        for (size_t i = 0; i < disks->n; i++) {
            const struct ynode *d = disks->items[i];
            char w[160];
            snprintf(w, sizeof w, "%s: disks", what);
            if (d->type == Y_SCALAR && !is_null(d) && is_url(d->value)) {
                if (scalar(c, d, w))
                    dupstr(c, d->value, &vm->paths[n++]);
            } else {
                char *p = file_node(c, d, w, F_FILE);
                if (p)
                    vm->paths[n++] = p;
            }
        }
        vm->disks = (unsigned)(disks->n ? disks->n : 1);
        return;
    }
    if (disks)
        ERR(c, disks, "%s: disks: only for a source of kind disk (this one is %s)", what, source_kinds[s->kind]);
    if (remote) {
        if (path)
            ERR(c, path, "%s: path: source '%s' is remote (uri); name the VM with vm:", what, s->name);
        if (name == NULL) {
            ERR(c, v, "%s: vm: missing (the VM's name on source '%s')",
                what, s->name);
            return;
        }
        dupstr(c, scalar(c, name, "vm"), &vm->vm);
        return;
    }
    if (name)
        ERR(c, name, "%s: vm: source '%s' reads local files; give the file with path:", what, s->name);
    if (path == NULL) {
        ERR(c, v, "%s: path: missing (the VM's %s file)", what,
            source_kinds[s->kind]);
        return;
    }
    vm->paths = calloc(2, sizeof *vm->paths);
    if (vm->paths == NULL) {
        c->oom = true;
        return;
    }
    if (path->type == Y_SCALAR && !is_null(path) && is_url(path->value)) {
        if (s->kind != V2K_PLAN_SRC_VMX)
            ERR(c, path, "%s: path: only kind vmx reads a remote file (ssh://HOST/PATH.vmx)", what);
        else if (scalar(c, path, "path"))
            dupstr(c, path->value, &vm->paths[0]);
    } else {
        char w[160];
        snprintf(w, sizeof w, "%s: path", what);
        vm->paths[0] = file_node(c, path, w, fk);
    }
}

static void
parse_keys(struct ctx *c, const struct ynode *y, const char *what,
           struct v2k_plan_vm *vm)
{
    static const char *const known[] = { "device", "key_file", NULL };
    char w[160];

    snprintf(w, sizeof w, "%s: luks_keys", what);
    if (!want(c, y, Y_SEQ, w))
        return;
    vm->keys = calloc(y->n + 1, sizeof *vm->keys);
    if (vm->keys == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < y->n; i++) {
        const struct ynode *e = y->items[i];
        struct v2k_plan_key *k = &vm->keys[vm->nkeys];
        const char *dev;

        if (!want(c, e, Y_MAP, w))
            continue;
        check_keys(c, e, known, w);
        k->line = e->line;
        dev = str(c, e, "device", true, w);
        if (dev && strchr(dev, ':'))
            ERR(c, get(e, "device"), "%s: device: '%.64s' contains ':'", w,
                dev);
        else
            dupstr(c, dev, &k->device);
        if (get(e, "key_file") == NULL)
            ERR(c, e, "%s: key_file: missing (required)", w);
        k->key_file = file(c, e, "key_file", w, F_SECRET);
        if (k->device && k->key_file)
            vm->nkeys++;
        else {
            free(k->device);
            free(k->key_file);
            memset(k, 0, sizeof *k);
        }
    }
}

static void
parse_vm(struct ctx *c, const struct ynode *v, const struct settings *def,
         struct v2k_plan_vm *vm)
{
    static const char *const known[] = {
        "name", "vm", "path", "disks", "xen_config", "vbox_file",
        "target_name", "luks_keys", "disk_count", SETTINGS_KEYS, NULL,
    };
    struct settings s = *def;
    char what[128];
    const char *name;

    vm->line = v->line;
    vm->col = v->col;
    if (!want(c, v, Y_MAP, "vms"))
        return;
    name = str(c, v, "name", true, "vms");
    snprintf(what, sizeof what, "vm '%.64s'", name ? name : "?");
    check_keys(c, v, known, what);
    dupstr(c, name, &vm->name);
    s.source_given = s.target_given = false;
    parse_settings(c, v, what, &s);
    vm->source = s.source;
    vm->target = s.target;
    vm->network_map = s.netmap;
    vm->storage_map = s.storagemap;
    if (vm->source == NULL && !s.source_given && !def->source_given)
        ERR(c, v, "%s: source: missing (give source: here or in defaults)",
            what);
    if (vm->target == NULL && !s.target_given && !def->target_given)
        ERR(c, v, "%s: target: missing (give target: here or in defaults)",
            what);
    if (vm->source)
        vm_files(c, v, what, vm);
    dupstr(c, str(c, v, "xen_config", false, what), &vm->xen_config);
    dupstr(c, str(c, v, "vbox_file", false, what), &vm->vbox_file);
    if (vm->xen_config && !(vm->source && vm->source->uri &&
                            vm->source->kind == V2K_PLAN_SRC_XEN))
        ERR(c, get(v, "xen_config"), "%s: xen_config: only for a remote xen source", what);
    if (vm->vbox_file && !(vm->source && vm->source->uri &&
                           vm->source->kind == V2K_PLAN_SRC_VBOX))
        ERR(c, get(v, "vbox_file"), "%s: vbox_file: only for a remote vbox source", what);
    if (get(v, "disk_count")) {
        unsigned dc;
        if (number(c, v, "disk_count", what, 1, 1000, &dc) && vm->disks == 0)
            vm->disks = dc;
    }
    if (vm->disks == 0)
        vm->disks = 1;
    dupstr(c, str(c, v, "target_name", false, what), &vm->target_name);
    if (vm->target_name == NULL && name)
        dupstr(c, name, &vm->target_name);
    if (vm->target_name && (strchr(vm->target_name, '/') ||
                            vm->target_name[0] == '.' ||
                            vm->target_name[0] == '-'))
        ERR(c, get(v, "target_name") ? get(v, "target_name") : get(v, "name"),
            "%s: target_name: '%.64s' cannot name an output (no '/', no leading '.' or '-')", what, vm->target_name);
    if (get(v, "luks_keys"))
        parse_keys(c, get(v, "luks_keys"), what, vm);
    dupstr(c, s.root, &vm->root);
    dupstr(c, s.cpu, &vm->cpu);
    dupstr(c, s.block_driver, &vm->block_driver);
    if (s.virtio_win)
        vm->virtio_win = resolve(c, s.virtio_win);
    vm->memory_bytes = s.memory;
    vm->vcpus = s.vcpus;
    vm->no_convert = s.no_convert;
    if (s.pre != def->pre) {
        char w[160];
        snprintf(w, sizeof w, "%s: hooks: pre", what);
        report_hook_program(c, s.pre, w);
    }
    if (s.post != def->post) {
        char w[160];
        snprintf(w, sizeof w, "%s: hooks: post", what);
        report_hook_program(c, s.post, w);
    }
    take_hook(c, s.pre, what, &vm->pre);
    take_hook(c, s.post, what, &vm->post);
}

/* ---- Cross checks -------------------------------------------------- */

struct keyed {
    char *key;
    size_t index;
};

static int
keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int r = strcmp(x->key, y->key);

    return r ? r : (x->index < y->index ? -1 : x->index > y->index);
}

/* Where vm's output goes: the storage map's catch-all entry, else the
 * target's storage. */
const char *
v2k_plan_vm_storage(const struct v2k_plan_vm *vm)
{
    if (vm->storage_map)
        for (size_t i = 0; i < vm->storage_map->npairs; i++)
            if (vm->storage_map->pairs[i].source == NULL)
                return vm->storage_map->pairs[i].storage;
    return vm->target->storage;
}

/* Duplicate VM names and duplicate outputs (the same target name in the
 * same directory, or on the same libvirt connection): sorted, then
 * neighbours. */
static void
check_duplicates(struct ctx *c)
{
    struct v2k_plan *p = c->p;
    struct keyed *names = calloc(p->nvms + 1, sizeof *names);
    struct keyed *outs = calloc(p->nvms + 1, sizeof *outs);
    size_t nn = 0, no = 0;

    if (names == NULL || outs == NULL) {
        c->oom = true;
        goto out;
    }
    for (size_t i = 0; i < p->nvms; i++) {
        const struct v2k_plan_vm *vm = &p->vms[i];
        if (vm->name && (names[nn].key = strdup(vm->name)) != NULL)
            names[nn++].index = i;
        if (vm->target == NULL || vm->target_name == NULL)
            continue;
        if (vm->target->kind == V2K_PLAN_TGT_LIBVIRT)
            /* A domain name is unique per connection, whatever pool
             * its disks are in. */
            outs[no].key = v2k_asprintf("libvirt %s: %s",
                                        vm->target->uri ? vm->target->uri
                                                        : "(default)",
                                        vm->target_name);
        else {
            char real[PATH_MAX];
            const char *st = v2k_plan_vm_storage(vm);
            if (st && realpath(st, real))
                st = real;
            outs[no].key = v2k_asprintf("%s/%s", st ? st : "?",
                                        vm->target_name);
        }
        if (outs[no].key)
            outs[no++].index = i;
    }
    qsort(names, nn, sizeof *names, keyed_cmp);
    for (size_t i = 1; i < nn; i++)
        if (strcmp(names[i].key, names[i - 1].key) == 0) {
            const struct v2k_plan_vm *vm = &p->vms[names[i].index];
            size_t first = i - 1;
            while (first > 0 && strcmp(names[first - 1].key, vm->name) == 0)
                first--;
            report(c, vm->line, vm->col, false, "vm '%.64s': duplicate VM name (first at line %d)", vm->name, p->vms[names[first].index].line);
        }
    qsort(outs, no, sizeof *outs, keyed_cmp);
    for (size_t i = 1; i < no; i++)
        if (strcmp(outs[i].key, outs[i - 1].key) == 0) {
            const struct v2k_plan_vm *vm = &p->vms[outs[i].index];
            size_t first = i - 1;
            while (first > 0 && strcmp(outs[first - 1].key, outs[i].key) == 0)
                first--;
            report(c, vm->line, vm->col, false, "vm '%.64s': duplicate target output '%.64s' on target '%.64s' (also written by vm '%.64s' at line %d)", vm->name ? vm->name : "?", vm->target_name, vm->target->name, p->vms[outs[first].index].name ? p->vms[outs[first].index].name : "?", p->vms[outs[first].index].line);
        }
out:
    for (size_t i = 0; names && i < nn; i++)
        free(names[i].key);
    for (size_t i = 0; outs && i < no; i++)
        free(outs[i].key);
    free(names);
    free(outs);
}

/* ---- The document -------------------------------------------------- */

static void
parse_root(struct ctx *c, const struct ynode *root)
{
    static const char *const known[] = {
        "version", "name", "state", "defaults", "limits", "sources",
        "targets", "network_maps", "storage_maps", "vms", NULL,
    };
    static const char *const dknown[] = { SETTINGS_KEYS, NULL };
    struct v2k_plan *p = c->p;
    struct settings def = { 0 };
    const struct ynode *y;
    void *arr;

    if (!want(c, root, Y_MAP, "the plan"))
        return;
    check_keys(c, root, known, "the plan");
    y = get(root, "version");
    if (y == NULL) {
        ERR(c, root, "version: missing (this program reads plans of version %d: put 'version: %d' first)", V2K_PLAN_VERSION, V2K_PLAN_VERSION);
    } else if (scalar(c, y, "version")) {
        if (strcmp(y->value, "1") != 0)
            ERR(c, y, "version: '%.64s' is not a plan version this program reads (%d)", y->value, V2K_PLAN_VERSION);
        else
            p->version = V2K_PLAN_VERSION;
    }
    dupstr(c, str(c, root, "name", false, "the plan"), &p->name);
    if ((y = get(root, "state")) != NULL && scalar(c, y, "state"))
        p->state_path = resolve(c, y->value);

    y = get(root, "sources");
    p->nsources = named_blocks(c, y, "sources", sizeof *p->sources, &arr);
    p->sources = arr;
    for (size_t i = 0; i < p->nsources; i++)
        if (y->items[2 * i]->type == Y_SCALAR)
            parse_source(c, y->items[2 * i], y->items[2 * i + 1],
                         &p->sources[i]);
    y = get(root, "targets");
    p->ntargets = named_blocks(c, y, "targets", sizeof *p->targets, &arr);
    p->targets = arr;
    for (size_t i = 0; i < p->ntargets; i++)
        if (y->items[2 * i]->type == Y_SCALAR)
            parse_target(c, y->items[2 * i], y->items[2 * i + 1],
                         &p->targets[i]);
    y = get(root, "network_maps");
    p->nnetmaps = named_blocks(c, y, "network_maps", sizeof *p->netmaps,
                               &arr);
    p->netmaps = arr;
    for (size_t i = 0; i < p->nnetmaps; i++)
        if (y->items[2 * i]->type == Y_SCALAR)
            parse_netmap(c, y->items[2 * i], y->items[2 * i + 1],
                         &p->netmaps[i]);
    y = get(root, "storage_maps");
    p->nstoragemaps = named_blocks(c, y, "storage_maps",
                                   sizeof *p->storagemaps, &arr);
    p->storagemaps = arr;
    for (size_t i = 0; i < p->nstoragemaps; i++)
        if (y->items[2 * i]->type == Y_SCALAR)
            parse_storagemap(c, y->items[2 * i], y->items[2 * i + 1],
                             &p->storagemaps[i]);
    parse_limits(c, get(root, "limits"), &p->limits);

    if ((y = get(root, "defaults")) != NULL && want(c, y, Y_MAP, "defaults")) {
        check_keys(c, y, dknown, "defaults");
        parse_settings(c, y, "defaults", &def);
        report_hook_program(c, def.pre, "defaults: hooks: pre");
        report_hook_program(c, def.post, "defaults: hooks: post");
    }

    y = get(root, "vms");
    if (y == NULL) {
        ERR(c, root, "vms: missing (the list of VMs to migrate)");
        return;
    }
    if (!want(c, y, Y_SEQ, "vms"))
        return;
    if (y->n == 0)
        ERR(c, y, "vms: empty (nothing to migrate)");
    if (y->n > V2K_PLAN_MAX_VMS) {
        ERR(c, y, "vms: %zu VMs, more than %d in one plan: split it", y->n,
            V2K_PLAN_MAX_VMS);
        return;
    }
    p->vms = calloc(y->n + 1, sizeof *p->vms);
    if (p->vms == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < y->n; i++)
        parse_vm(c, y->items[i], &def, &p->vms[p->nvms++]);
    check_duplicates(c);
}

int
v2k_plan_parse_buffer(const char *buf, size_t len, const char *name,
                      const char *dir, struct v2k_plan **out,
                      struct v2k_plan_diags *d)
{
    struct ctx c = { .name = name, .dir = dir };
    struct ynode *root;

    *out = NULL;
    c.p = calloc(1, sizeof *c.p);
    if (c.p == NULL) {
        v2k_error("out of memory");
        memset(d, 0, sizeof *d);
        return -1;
    }
    if (len > V2K_PLAN_MAX_SIZE) {
        report(&c, 0, 0, false, "%zu bytes, larger than a plan may be (%u)",
               len, V2K_PLAN_MAX_SIZE);
    } else if (memchr(buf, '\0', len)) {
        report(&c, 0, 0, false, "contains a NUL byte: not a YAML text");
    } else if ((root = build_tree(&c, buf, len)) != NULL) {
        parse_root(&c, root);
        ynode_free(root);
    }
    dupstr(&c, name, &c.p->path);
    dupstr(&c, dir, &c.p->dir);
    {
        static const char *const exts[] = { ".yaml", ".yml", NULL };
        CLEANUP_FREE char *base = v2k_basename_noext(name, exts);

        if (c.p->name == NULL)
            dupstr(&c, base, &c.p->name);
        /* Named after the file, not the plan's name: two plans of one
         * name in a directory must not share a state. */
        if (c.p->state_path == NULL)
            c.p->state_path = v2k_asprintf("%s/%s.state", dir,
                                           base ? base : "plan");
    }
    if (c.oom)
        report(&c, 0, 0, false, "out of memory");
    diags_finish(&c, d);
    if (d->nerrors) {
        v2k_error("%s: %zu error%s", name, d->nerrors,
                  d->nerrors == 1 ? "" : "s");
        v2k_plan_free(c.p);
        return -1;
    }
    v2k_error_clear();          /* what the number parsers left */
    *out = c.p;
    return 0;
}

int
v2k_plan_load(const char *path, struct v2k_plan **out,
              struct v2k_plan_diags *d)
{
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE char *dir = NULL;
    size_t len;

    *out = NULL;
    memset(d, 0, sizeof *d);
    buf = v2k_read_regular_file(path, V2K_PLAN_MAX_SIZE, &len);
    if (buf == NULL)
        return -1;
    dir = v2k_dirname(path);
    if (dir == NULL)
        return -1;
    return v2k_plan_parse_buffer(buf, len, path, dir, out, d);
}

int
v2k_plan_load_print(const char *path, struct v2k_plan **out,
                    size_t *nwarnings)
{
    struct v2k_plan_diags d;
    char esc[4 * 2048];
    int r = v2k_plan_load(path, out, &d);

    /* Keys and values from the plan are in the lines: escaped, like
     * every line the programs print. */
    for (size_t i = 0; i < d.nlines; i++)
        fprintf(stderr, "%s\n", v2k_log_escape(d.lines[i], esc, sizeof esc));
    if (nwarnings)
        *nwarnings = d.nwarnings;
    v2k_plan_diags_free(&d);
    if (r == -1)
        v2k_log_error(v2k_error_message());
    return r;
}

/* ---- Freeing and lookups ------------------------------------------- */

static void
hook_free(struct v2k_plan_hook *h)
{
    free(h->program);
    v2k_strv_free(h->args);
}

void
v2k_plan_free(struct v2k_plan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nsources; i++) {
        struct v2k_plan_source *s = &p->sources[i];
        free(s->name);
        free(s->uri);
        free(s->transport);
        free(s->format);
        free(s->password_file);
        free(s->ssh_identity);
        free(s->cafile);
        free(s->host);
    }
    free(p->sources);
    for (size_t i = 0; i < p->ntargets; i++) {
        struct v2k_plan_target *t = &p->targets[i];
        free(t->name);
        free(t->storage);
        free(t->uri);
        free(t->format);
        free(t->machine);
        free(t->seclabel);
    }
    free(p->targets);
    for (size_t i = 0; i < p->nnetmaps; i++) {
        for (size_t j = 0; j < p->netmaps[i].npairs; j++) {
            free(p->netmaps[i].pairs[j].source);
            free(p->netmaps[i].pairs[j].mac);
            free(p->netmaps[i].pairs[j].out);
        }
        free(p->netmaps[i].pairs);
        free(p->netmaps[i].name);
    }
    free(p->netmaps);
    for (size_t i = 0; i < p->nstoragemaps; i++) {
        for (size_t j = 0; j < p->storagemaps[i].npairs; j++) {
            free(p->storagemaps[i].pairs[j].source);
            free(p->storagemaps[i].pairs[j].storage);
        }
        free(p->storagemaps[i].pairs);
        free(p->storagemaps[i].name);
    }
    free(p->storagemaps);
    for (size_t i = 0; i < p->nvms; i++) {
        struct v2k_plan_vm *vm = &p->vms[i];
        free(vm->name);
        free(vm->vm);
        v2k_strv_free(vm->paths);
        free(vm->xen_config);
        free(vm->vbox_file);
        free(vm->target_name);
        free(vm->root);
        for (size_t j = 0; j < vm->nkeys; j++) {
            free(vm->keys[j].device);
            free(vm->keys[j].key_file);
        }
        free(vm->keys);
        hook_free(&vm->pre);
        hook_free(&vm->post);
        free(vm->cpu);
        free(vm->block_driver);
        free(vm->virtio_win);
    }
    free(p->vms);
    free(p->path);
    free(p->dir);
    free(p->name);
    free(p->state_path);
    free(p);
}

const struct v2k_plan_vm *
v2k_plan_find_vm(const struct v2k_plan *p, const char *name)
{
    for (size_t i = 0; i < p->nvms; i++)
        if (p->vms[i].name && strcmp(p->vms[i].name, name) == 0)
            return &p->vms[i];
    return NULL;
}

/* ---- The v2kvm command line ---------------------------------------- */

struct argv {
    char **v;
    size_t n, cap;
    bool oom;
};

static void __attribute__((format(printf, 2, 3)))
arg(struct argv *a, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, ncap * sizeof *nv);
        if (nv == NULL) {
            a->oom = true;
            return;
        }
        a->v = nv;
        a->cap = ncap;
    }
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) == -1) {
        a->oom = true;
        s = NULL;
    }
    va_end(ap);
    if (s) {
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
    }
}

/* The input's options: -i and what reaches the source. */
static void
argv_input(struct argv *a, const struct v2k_plan_vm *vm)
{
    const struct v2k_plan_source *s = vm->source;

    arg(a, "-i");
    arg(a, "%s", v2k_plan_source_kind_to_string(s->kind));
    if (s->uri) {
        arg(a, "-ic");
        arg(a, "%s", s->uri);
    }
    if (s->transport) {
        arg(a, "-it");
        arg(a, "%s", s->transport);
    }
    if (s->format) {
        arg(a, "-if");
        arg(a, "%s", s->format);
    }
    if (s->password_file) {
        arg(a, "-ip");
        arg(a, "%s", s->password_file);
    }
    if (s->ssh_identity) {
        arg(a, "-io");
        arg(a, "ssh-identity=%s", s->ssh_identity);
    }
    if (s->ssh_insecure) {
        arg(a, "-io");
        arg(a, "ssh-insecure");
    }
    if (s->cafile) {
        arg(a, "-io");
        arg(a, "cafile=%s", s->cafile);
    }
    if (s->ova_ignore_manifest) {
        arg(a, "-io");
        arg(a, "ova-ignore-manifest");
    }
    if (vm->xen_config) {
        arg(a, "-io");
        arg(a, "xen-config=%s", vm->xen_config);
    }
    if (vm->vbox_file) {
        arg(a, "-io");
        arg(a, "vbox-file=%s", vm->vbox_file);
    }
}

/* The target's options: -o and what goes with it. */
static void
argv_target(struct argv *a, const struct v2k_plan_vm *vm)
{
    const struct v2k_plan_target *t = vm->target;

    arg(a, "-o");
    arg(a, "%s", v2k_plan_target_kind_to_string(t->kind));
    arg(a, "-os");
    arg(a, "%s", v2k_plan_vm_storage(vm));
    if (t->uri) {
        arg(a, "-oc");
        arg(a, "%s", t->uri);
    }
    arg(a, "-of");
    arg(a, "%s", t->format);
    if (t->preallocated) {
        arg(a, "-oa");
        arg(a, "preallocated");
    }
    if (t->compressed)
        arg(a, "--compressed");
    arg(a, "-on");
    arg(a, "%s", vm->target_name);
    if (t->keep_uuid) {
        arg(a, "-oo");
        arg(a, "keep-uuid");
    }
    if (t->hugepages) {
        arg(a, "-oo");
        arg(a, "hugepages");
    }
    if (t->machine) {
        arg(a, "-oo");
        arg(a, "machine=%s", t->machine);
    }
    if (t->seclabel) {
        arg(a, "-oo");
        arg(a, "seclabel=%s", t->seclabel);
    }
    if (t->qemu_boot)
        arg(a, "--qemu-boot");
}

/* The conversion's options: mappings, overrides, keys. */
static void
argv_conversion(struct argv *a, const struct v2k_plan_vm *vm,
                enum v2k_plan_argv_mode mode)
{
    static const char *const net_opt[] = { "-n", "-b" };
    static const char *const net_word[] = { "network", "bridge", "hostdev" };

    if (vm->network_map)
        for (size_t i = 0; i < vm->network_map->npairs; i++) {
            const struct v2k_plan_netpair *np = &vm->network_map->pairs[i];
            if (np->mac) {
                arg(a, "--mac");
                arg(a, "%s:%s:%s", np->mac, net_word[np->to], np->out);
            } else if (np->to != V2K_PLAN_NET_HOSTDEV) {
                arg(a, "%s", net_opt[np->to]);
                if (np->source)
                    arg(a, "%s:%s", np->source, np->out);
                else
                    arg(a, "%s", np->out);
            }
        }
    if (vm->memory_bytes) {
        arg(a, "--memory");
        arg(a, "%" PRIu64 "K", vm->memory_bytes / 1024);
    }
    if (vm->vcpus) {
        arg(a, "--vcpus");
        arg(a, "%u", vm->vcpus);
    }
    if (vm->cpu) {
        arg(a, "--cpu");
        arg(a, "%s", vm->cpu);
    }
    if (vm->block_driver) {
        arg(a, "--block-driver");
        arg(a, "%s", vm->block_driver);
    }
    if (vm->root) {
        arg(a, "--root");
        arg(a, "%s", vm->root);
    }
    for (size_t i = 0; i < vm->nkeys; i++) {
        arg(a, "--key");
        arg(a, "%s:file:%s", vm->keys[i].device, vm->keys[i].key_file);
    }
    if (vm->no_convert && mode == V2K_PLAN_ARGV_RUN)
        arg(a, "--no-convert");
    if (vm->virtio_win) {
        arg(a, "--virtio-win");
        arg(a, "%s", vm->virtio_win);
    }
}

char **
v2k_plan_vm_argv(const struct v2k_plan *p, const struct v2k_plan_vm *vm,
                 const char *v2kvm)
{
    return v2k_plan_vm_argv_mode(p, vm, v2kvm, V2K_PLAN_ARGV_RUN);
}

char **
v2k_plan_vm_argv_mode(const struct v2k_plan *p, const struct v2k_plan_vm *vm,
                      const char *v2kvm, enum v2k_plan_argv_mode mode)
{
    struct argv a = { 0 };

    (void)p;
    arg(&a, "%s", v2kvm);
    argv_input(&a, vm);
    switch (mode) {
    case V2K_PLAN_ARGV_RUN:
        argv_target(&a, vm);
        argv_conversion(&a, vm, mode);
        break;
    case V2K_PLAN_ARGV_SOURCE:
        arg(&a, "--print-source");
        break;
    case V2K_PLAN_ARGV_GUEST:
        arg(&a, "-o");
        arg(&a, "null");
        arg(&a, "--print-guest");
        arg(&a, "-on");
        arg(&a, "%s", vm->target_name);
        argv_conversion(&a, vm, mode);
        break;
    }
    arg(&a, "--machine-readable");
    arg(&a, "--");
    if (vm->vm)
        arg(&a, "%s", vm->vm);
    for (size_t i = 0; vm->paths && vm->paths[i]; i++)
        arg(&a, "%s", vm->paths[i]);
    if (a.oom) {
        v2k_strv_free(a.v);
        v2k_error("out of memory");
        return NULL;
    }
    return a.v;
}
