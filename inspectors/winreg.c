/* winreg.c - see winreg.h. */
#include "winreg.h"
#include "cleanup.h"
#include "error.h"
#include "guest-read.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The hive open on the handle, for messages (one per process is enough:
 * conversions run one handle at a time per thread of work, and a wrong
 * name in a message is the worst that could happen). */
static __thread char hive_name[256];

static int
reg_fail(guestfs_h *g, const char *key, const char *op)
{
    char buf[512];

    v2k_error("%s: %s%s%s: %s", hive_name[0] ? hive_name : "registry",
              key ? key : "", key ? ": " : "", op,
              v2k_gf_last_error_line(g, buf, sizeof buf));
    return -1;
}

int
v2k_reg_open(guestfs_h *g, const char *path, bool write)
{
    v2k_reg_close(g);
    snprintf(hive_name, sizeof hive_name, "%s", path);
    if (guestfs_hivex_open(g, path, GUESTFS_HIVEX_OPEN_WRITE, write,
                           GUESTFS_HIVEX_OPEN_UNSAFE, 0, -1) == -1)
        return reg_fail(g, NULL, "cannot open it as a registry hive");
    return 0;
}

void
v2k_reg_close(guestfs_h *g)
{
    guestfs_push_error_handler(g, NULL, NULL);
    guestfs_hivex_close(g);
    guestfs_pop_error_handler(g);
}

int
v2k_reg_commit(guestfs_h *g)
{
    if (guestfs_hivex_commit(g, NULL) == -1)
        return reg_fail(g, NULL, "cannot write the hive back");
    v2k_reg_close(g);
    return 0;
}

int64_t
v2k_reg_child(guestfs_h *g, int64_t node, const char *name)
{
    int64_t c;

    if (node <= 0)
        return 0;
    guestfs_push_error_handler(g, NULL, NULL);
    c = guestfs_hivex_node_get_child(g, node, name);
    guestfs_pop_error_handler(g);
    return c > 0 ? c : 0;
}

/* Walk path from the root; create missing keys when create. */
static int64_t
walk(guestfs_h *g, const char *path, bool create)
{
    int64_t node;
    const char *p = path;

    guestfs_push_error_handler(g, NULL, NULL);
    node = guestfs_hivex_root(g);
    guestfs_pop_error_handler(g);
    if (node <= 0) {
        if (create)
            reg_fail(g, path, "no root key");
        return 0;
    }
    while (*p) {
        const char *e = strchr(p, '\\');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[256];
        int64_t c;

        if (n == 0 || n >= sizeof name) {
            p += n + (e != NULL);
            if (n == 0)
                continue;
            if (create)
                v2k_error("%s: %s: key name too long", hive_name, path);
            return 0;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        c = v2k_reg_child(g, node, name);
        if (c == 0) {
            if (!create)
                return 0;
            c = guestfs_hivex_node_add_child(g, node, name);
            if (c <= 0) {
                reg_fail(g, path, "cannot add the key");
                return 0;
            }
        }
        node = c;
        p += n + (e != NULL);
    }
    return node;
}

int64_t
v2k_reg_node(guestfs_h *g, const char *path)
{
    return walk(g, path, false);
}

int64_t
v2k_reg_mkpath(guestfs_h *g, const char *path)
{
    return walk(g, path, true);
}

char **
v2k_reg_children(guestfs_h *g, int64_t node)
{
    struct guestfs_hivex_node_list *l = guestfs_hivex_node_children(g, node);
    char **out;

    if (l == NULL) {
        reg_fail(g, NULL, "cannot list subkeys");
        return NULL;
    }
    out = v2k_calloc(l->len + 1, sizeof *out);
    for (size_t i = 0; out && i < l->len; i++) {
        out[i] = guestfs_hivex_node_name(g, l->val[i].hivex_node_h);
        if (out[i] == NULL) {
            reg_fail(g, NULL, "cannot read a subkey's name");
            v2k_strv_free(out);
            out = NULL;
        }
    }
    guestfs_free_hivex_node_list(l);
    return out;
}

/* The value handle, or 0. */
static int64_t
value_of(guestfs_h *g, int64_t node, const char *key)
{
    int64_t v;

    if (node <= 0)
        return 0;
    guestfs_push_error_handler(g, NULL, NULL);
    v = guestfs_hivex_node_get_value(g, node, key);
    guestfs_pop_error_handler(g);
    return v > 0 ? v : 0;
}

int
v2k_reg_get_type(guestfs_h *g, int64_t node, const char *key)
{
    int64_t v = value_of(g, node, key), t;

    if (v == 0)
        return -1;
    guestfs_push_error_handler(g, NULL, NULL);
    t = guestfs_hivex_value_type(g, v);
    guestfs_pop_error_handler(g);
    return t < 0 ? -1 : (int)t;
}

/* Raw data of a value of one of the accepted types (bit mask of 1 <<
 * type); NULL when missing or of another type. */
static unsigned char *
raw(guestfs_h *g, int64_t node, const char *key, unsigned types,
    size_t *len)
{
    int64_t v = value_of(g, node, key), t;
    char *data;

    if (v == 0)
        return NULL;
    guestfs_push_error_handler(g, NULL, NULL);
    t = guestfs_hivex_value_type(g, v);
    data = t >= 0 && t < 32 && (types & (1u << t))
        ? guestfs_hivex_value_value(g, v, len) : NULL;
    guestfs_pop_error_handler(g);
    if (t >= 0 && t < 32 && !(types & (1u << t)))
        v2k_debug("%s: value %s has type %lld, not the one expected",
                  hive_name, key, (long long)t);
    if (data && *len > V2K_REG_MAX_VALUE) {
        v2k_debug("%s: value %s is %zu bytes: ignored", hive_name, key, *len);
        free(data);
        data = NULL;
    }
    return (unsigned char *)data;
}

char **
v2k_reg_value_names(guestfs_h *g, int64_t node)
{
    struct guestfs_hivex_value_list *l = guestfs_hivex_node_values(g, node);
    char **out;
    size_t n, k = 0;

    if (l == NULL) {
        reg_fail(g, NULL, "cannot list values");
        return NULL;
    }
    n = l->len < V2K_REG_MAX_VALUES ? l->len : V2K_REG_MAX_VALUES;
    out = v2k_calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        char *name = guestfs_hivex_value_key(g, l->val[i].hivex_value_h);
        if (name == NULL) {
            reg_fail(g, NULL, "cannot read a value's name");
            v2k_strv_free(out);
            out = NULL;
            break;
        }
        out[k++] = name;
    }
    guestfs_free_hivex_value_list(l);
    return out;
}

void *
v2k_reg_get_raw(guestfs_h *g, int64_t node, const char *key, size_t *len)
{
    return raw(g, node, key, 0xffffffffu, len);
}

char *
v2k_reg_get_string(guestfs_h *g, int64_t node, const char *key)
{
    size_t len = 0;
    CLEANUP_FREE unsigned char *d =
        raw(g, node, key, 1u << V2K_REG_SZ | 1u << V2K_REG_EXPAND_SZ, &len);

    return d ? v2k_utf16le_to_utf8(d, len) : NULL;
}

bool
v2k_reg_get_dword(guestfs_h *g, int64_t node, const char *key,
                  uint32_t *out)
{
    size_t len = 0;
    CLEANUP_FREE unsigned char *d =
        raw(g, node, key, 1u << V2K_REG_DWORD | 1u << V2K_REG_BINARY |
            1u << V2K_REG_QWORD, &len);

    if (d == NULL || len < 4)
        return false;
    *out = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
           (uint32_t)d[3] << 24;
    return true;
}

char **
v2k_reg_get_multi(guestfs_h *g, int64_t node, const char *key)
{
    size_t len = 0, n = 0, i = 0;
    CLEANUP_FREE unsigned char *d =
        raw(g, node, key, 1u << V2K_REG_MULTI_SZ | 1u << V2K_REG_SZ |
            1u << V2K_REG_EXPAND_SZ, &len);
    char **out;

    if (d == NULL)
        return NULL;
    len &= ~(size_t)1;
    for (size_t p = 0; p + 1 < len; p += 2)
        n += d[p] == 0 && d[p + 1] == 0;
    out = v2k_calloc(n + 2, sizeof *out);
    if (out == NULL)
        return NULL;
    /* Strings end at a NUL unit; an empty string ends the list; a last
     * string without its NUL counts too. */
    size_t start = 0;
    for (size_t p = 0; p < len; p += 2) {
        if (d[p] != 0 || d[p + 1] != 0)
            continue;
        if (p == start) {
            start = len;
            break;
        }
        if ((out[i++] = v2k_utf16le_to_utf8(d + start, p - start)) == NULL)
            goto oom;
        start = p + 2;
    }
    if (start < len &&
        (out[i++] = v2k_utf16le_to_utf8(d + start, len - start)) == NULL)
        goto oom;
    return out;
oom:
    v2k_strv_free(out);
    return NULL;
}

static int
set(guestfs_h *g, int64_t node, const char *key, enum v2k_reg_type type,
    const void *data, size_t len)
{
    if (guestfs_hivex_node_set_value(g, node, key, type, data, len) == -1)
        return reg_fail(g, key, "cannot set the value");
    return 0;
}

int
v2k_reg_set_string(guestfs_h *g, int64_t node, const char *key,
                   enum v2k_reg_type type, const char *utf8)
{
    size_t len;
    CLEANUP_FREE unsigned char *w = v2k_utf8_to_utf16le(utf8, &len);

    return w ? set(g, node, key, type, w, len) : -1;
}

int
v2k_reg_set_dword(guestfs_h *g, int64_t node, const char *key, uint32_t v)
{
    unsigned char b[4] = { v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff,
                           v >> 24 & 0xff };

    return set(g, node, key, V2K_REG_DWORD, b, sizeof b);
}

int
v2k_reg_set_multi(guestfs_h *g, int64_t node, const char *key,
                  const char *const *list)
{
    size_t total = 2, len;
    unsigned char *buf = NULL;
    int r;

    for (size_t i = 0; list[i]; i++) {
        CLEANUP_FREE unsigned char *w = v2k_utf8_to_utf16le(list[i], &len);
        unsigned char *nb;
        if (w == NULL || (nb = realloc(buf, total + len)) == NULL) {
            free(buf);
            if (w)
                v2k_error("out of memory");
            return -1;
        }
        buf = nb;
        memcpy(buf + total - 2, w, len);
        total += len;
    }
    if (buf == NULL && (buf = v2k_malloc(2)) == NULL)
        return -1;
    buf[total - 2] = buf[total - 1] = 0;
    r = set(g, node, key, V2K_REG_MULTI_SZ, buf, total);
    free(buf);
    return r;
}

int
v2k_reg_set_binary(guestfs_h *g, int64_t node, const char *key,
                   enum v2k_reg_type type, const void *data, size_t len)
{
    return set(g, node, key, type, data, len);
}

int
v2k_reg_delete(guestfs_h *g, int64_t node)
{
    if (guestfs_hivex_node_delete_child(g, node) == -1)
        return reg_fail(g, NULL, "cannot delete a key");
    return 0;
}

/* ---- UTF-16LE <-> UTF-8 ---------------------------------------------- */

static size_t
put_utf8(char *o, unsigned c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3f));
    o[2] = (char)(0x80 | (c >> 6 & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

char *
v2k_utf16le_to_utf8(const unsigned char *p, size_t len)
{
    size_t n = len / 2, o = 0;
    char *out = v2k_malloc(n * 3 + 1);         /* a unit gives <= 3 bytes */

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[2 * i] | (unsigned)p[2 * i + 1] << 8;
        if (c == 0)
            break;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
            unsigned d = p[2 * i + 2] | (unsigned)p[2 * i + 3] << 8;
            if (d >= 0xdc00 && d < 0xe000) {
                /* a pair: 4 bytes from 2 units, within the 6 allowed */
                o += put_utf8(out + o,
                              0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
                i++;
                continue;
            }
        }
        if (c >= 0xd800 && c < 0xe000)
            c = 0xfffd;
        o += put_utf8(out + o, c);
    }
    out[o] = '\0';
    return out;
}

unsigned char *
v2k_utf8_to_utf16le(const char *s, size_t *len)
{
    size_t n = strlen(s), o = 0;
    unsigned char *out = v2k_malloc(n * 4 + 2);     /* >= 2 per unit */
    const unsigned char *p = (const unsigned char *)s;

    if (out == NULL)
        return NULL;
    while (*p) {
        unsigned c = *p++, need = 0;
        if (c >= 0xf0 && c < 0xf8) {
            c &= 0x07;
            need = 3;
        } else if (c >= 0xe0) {
            c &= 0x0f;
            need = 2;
        } else if (c >= 0xc0) {
            c &= 0x1f;
            need = 1;
        } else if (c >= 0x80) {
            c = 0xfffd;
        }
        for (; need > 0; need--) {
            if ((*p & 0xc0) != 0x80) {
                c = 0xfffd;
                break;
            }
            c = c << 6 | (*p++ & 0x3f);
        }
        if (c >= 0x10000 && c < 0x110000) {
            unsigned v = c - 0x10000;
            unsigned hi = 0xd800 | v >> 10, lo = 0xdc00 | (v & 0x3ff);
            out[o++] = hi & 0xff;
            out[o++] = hi >> 8;
            out[o++] = lo & 0xff;
            out[o++] = lo >> 8;
            continue;
        }
        if (c >= 0x110000)
            c = 0xfffd;
        out[o++] = c & 0xff;
        out[o++] = c >> 8 & 0xff;
    }
    out[o++] = 0;
    out[o++] = 0;
    *len = o;
    return out;
}
