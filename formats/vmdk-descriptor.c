/* vmdk-descriptor.c - parse the VMDK text descriptor (vmdk-internal.h).
 *
 * Grammar from VMware's "Virtual Disk Format 1.1", "The Descriptor File":
 * a header (version, CID, parentCID, createType, parentFileNameHint), the
 * extent description and the disk database (ddb.* keys).  Every line is
 * one of: blank, a '#' comment, key = value (value bare or "quoted"), or
 * an extent line.  Anything else is an error naming its line: a disk
 * whose layout we cannot read exactly must not be read approximately.
 *
 * No sscanf/strtok/atoi: a cursor advances over [p, end) of one line.
 */
#include "vmdk-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NAME 4096           /* longest file name we accept */

struct cursor {
    const char *p, *end;
};

static const struct {
    const char *name;
    enum v2k_vmdk_kind kind;
} kinds[] = {
    { "SPARSE", V2K_VMDK_SPARSE },
    { "FLAT", V2K_VMDK_FLAT },
    { "ZERO", V2K_VMDK_ZERO },
    { "VMFS", V2K_VMDK_VMFS },
    { "VMFSSPARSE", V2K_VMDK_VMFSSPARSE },
    { "VMFSRDM", V2K_VMDK_VMFSRDM },
    { "VMFSRAW", V2K_VMDK_VMFSRAW },
    { "SESPARSE", V2K_VMDK_SESPARSE },
};

const char *
v2k_vmdk_kind_name(enum v2k_vmdk_kind k)
{
    for (size_t i = 0; i < V2K_ARRAY_SIZE(kinds); i++)
        if (kinds[i].kind == k)
            return kinds[i].name;
    return "?";
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void
skip_blanks(struct cursor *c)
{
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
}

static bool
at_end(const struct cursor *c)
{
    return c->p == c->end;
}

/* The next run of non-blank characters; advances past it. */
static size_t
take_token(struct cursor *c, const char **start)
{
    *start = c->p;
    while (c->p < c->end && !is_blank(*c->p))
        c->p++;
    return (size_t)(c->p - *start);
}

static bool
token_is(const char *tok, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(tok, word, len) == 0;
}

static int
digit_value(char ch, unsigned base)
{
    int v;

    if (ch >= '0' && ch <= '9')
        v = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
        v = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F')
        v = ch - 'A' + 10;
    else
        return -1;
    return v < (int)base ? v : -1;
}

/* A whole number in base 10 or 16 spanning exactly [s, s + len). */
static bool
parse_number(const char *s, size_t len, unsigned base, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = digit_value(s[i], base);
        if (d < 0 || V2K_MUL_OVERFLOW(v, (uint64_t)base, &v) ||
            V2K_ADD_OVERFLOW(v, (uint64_t)d, &v))
            return false;
    }
    *out = v;
    return true;
}

static char *
copy_string(const char *s, size_t len)
{
    char *r = v2k_malloc(len + 1);

    if (r) {
        memcpy(r, s, len);
        r[len] = '\0';
    }
    return r;
}

/* A printable excerpt of a line for messages (at most 60 bytes, cut at
 * the first unprintable byte so garbage never reaches a terminal). */
static void
excerpt(const char *s, size_t len, char *buf, size_t buflen)
{
    size_t n = 0;

    while (n < len && n < 60 && n + 1 < buflen &&
           (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f)
        n++;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

/* "..." with no quote inside: *s and *len span the text between the
 * quotes (borrowed from the line). */
static int
take_quoted(struct cursor *c, const char **s, size_t *len)
{
    const char *q;

    if (at_end(c) || *c->p != '"')
        return -1;
    q = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));
    if (q == NULL)
        return -1;
    *s = c->p + 1;
    *len = (size_t)(q - *s);
    c->p = q + 1;
    return 0;
}

static bool
is_key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

static bool
key_is(const char *k, size_t klen, const char *word)
{
    return strlen(word) == klen && strncasecmp(k, word, klen) == 0;
}

static int
set_string(char **field, const char *v, size_t vlen)
{
    char *s = copy_string(v, vlen);

    if (s == NULL)
        return -1;
    free(*field);
    *field = s;
    return 0;
}

static int
parse_extent(const char *name, unsigned line, struct cursor *c,
             enum v2k_vmdk_access access, struct v2k_vmdk_desc *d)
{
    struct v2k_vmdk_desc_extent *e;
    const char *tok;
    size_t len, i;
    uint64_t sectors, offset = 0;
    bool has_offset = false;
    const char *fname = NULL;
    size_t fname_len = 0;
    char ex[64];

    skip_blanks(c);
    len = take_token(c, &tok);
    if (!parse_number(tok, len, 10, &sectors) || sectors == 0 ||
        sectors > UINT64_MAX / 512) {
        excerpt(tok, len, ex, sizeof ex);
        v2k_error("%s: descriptor line %u: extent size '%s' is not a positive number of sectors", name, line, ex);
        return -1;
    }
    skip_blanks(c);
    len = take_token(c, &tok);
    for (i = 0; i < V2K_ARRAY_SIZE(kinds); i++)
        if (token_is(tok, len, kinds[i].name))
            break;
    if (i == V2K_ARRAY_SIZE(kinds)) {
        excerpt(tok, len, ex, sizeof ex);
        v2k_error("%s: descriptor line %u: unknown extent type '%s'",
                  name, line, ex);
        return -1;
    }
    skip_blanks(c);
    if (kinds[i].kind != V2K_VMDK_ZERO) {
        if (take_quoted(c, &fname, &fname_len) == -1 || fname_len == 0 ||
            fname_len > MAX_NAME) {
            v2k_error("%s: descriptor line %u: %s extent without a quoted file name", name, line, kinds[i].name);
            return -1;
        }
        skip_blanks(c);
        if (!at_end(c)) {
            len = take_token(c, &tok);
            if (!parse_number(tok, len, 10, &offset) ||
                offset > UINT64_MAX / 512) {
                excerpt(tok, len, ex, sizeof ex);
                v2k_error("%s: descriptor line %u: extent offset '%s' is not a number of sectors", name, line, ex);
                return -1;
            }
            has_offset = true;
            skip_blanks(c);
        }
    }
    if (!at_end(c)) {
        excerpt(c->p, (size_t)(c->end - c->p), ex, sizeof ex);
        v2k_error("%s: descriptor line %u: unexpected '%s' after the extent", name, line, ex);
        return -1;
    }
    /* Only flat kinds place data at an offset inside their file. */
    if (has_offset && offset != 0 &&
        (kinds[i].kind == V2K_VMDK_SPARSE ||
         kinds[i].kind == V2K_VMDK_VMFSSPARSE ||
         kinds[i].kind == V2K_VMDK_SESPARSE)) {
        v2k_error("%s: descriptor line %u: %s extent with offset %llu (only flat extents have one)", name, line, kinds[i].name,
                  (unsigned long long)offset);
        return -1;
    }
    if (d->n_extents >= V2K_VMDK_MAX_EXTENTS) {
        v2k_error("%s: descriptor line %u: more than %d extents", name,
                  line, V2K_VMDK_MAX_EXTENTS);
        return -1;
    }
    e = realloc(d->extents, (d->n_extents + 1) * sizeof *e);
    if (e == NULL) {
        v2k_error("%s: out of memory", name);
        return -1;
    }
    d->extents = e;
    e = &d->extents[d->n_extents];
    memset(e, 0, sizeof *e);
    e->access = access;
    e->kind = kinds[i].kind;
    e->sectors = sectors;
    e->offset = offset;
    e->line = line;
    if (fname) {
        e->file = copy_string(fname, fname_len);
        if (e->file == NULL)
            return -1;
    }
    d->n_extents++;
    return 0;
}

static int
parse_cid(const char *name, unsigned line, const char *key, const char *v,
          size_t vlen, uint32_t *out)
{
    uint64_t n;
    char ex[64];

    if (vlen > 8 || !parse_number(v, vlen, 16, &n)) {
        excerpt(v, vlen, ex, sizeof ex);
        v2k_error("%s: descriptor line %u: %s '%s' is not a 32-bit hexadecimal number", name, line, key, ex);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static int
parse_keyvalue(const char *name, unsigned line, const char *k, size_t klen,
               const char *v, size_t vlen, struct v2k_vmdk_desc *d)
{
    uint64_t n;
    char ex[64];

    if (key_is(k, klen, "version")) {
        if (!parse_number(v, vlen, 10, &n) || n < 1 || n > 3) {
            excerpt(v, vlen, ex, sizeof ex);
            v2k_error("%s: descriptor line %u: version '%s' is not 1, 2 or 3", name, line, ex);
            return -1;
        }
        d->version = (unsigned)n;
    } else if (key_is(k, klen, "CID")) {
        if (parse_cid(name, line, "CID", v, vlen, &d->cid) == -1)
            return -1;
        d->has_cid = true;
    } else if (key_is(k, klen, "parentCID")) {
        return parse_cid(name, line, "parentCID", v, vlen, &d->parent_cid);
    } else if (key_is(k, klen, "createType")) {
        return set_string(&d->create_type, v, vlen);
    } else if (key_is(k, klen, "parentFileNameHint")) {
        if (vlen > MAX_NAME) {
            v2k_error("%s: descriptor line %u: parentFileNameHint is longer than %d bytes", name, line, MAX_NAME);
            return -1;
        }
        if (vlen == 0)
            return 0;
        return set_string(&d->parent_hint, v, vlen);
    } else if (key_is(k, klen, "ddb.adapterType")) {
        return set_string(&d->adapter_type, v, vlen);
    } else if (key_is(k, klen, "ddb.geometry.cylinders")) {
        /* Informational only: a bad value is ignored, as VMware does. */
        if (parse_number(v, vlen, 10, &n))
            d->cylinders = n;
    } else if (key_is(k, klen, "ddb.geometry.heads")) {
        if (parse_number(v, vlen, 10, &n))
            d->heads = n;
    } else if (key_is(k, klen, "ddb.geometry.sectors")) {
        if (parse_number(v, vlen, 10, &n))
            d->sectors = n;
    }
    /* Other keys (encoding, isNativeSnapshot, ddb.uuid...) do not change
     * how the disk reads. */
    return 0;
}

static int
parse_line(const char *name, unsigned line, const char *s, size_t len,
           struct v2k_vmdk_desc *d)
{
    struct cursor c = { s, s + len };
    const char *tok, *k, *v;
    size_t tlen, klen, vlen;
    char ex[64];

    skip_blanks(&c);
    if (at_end(&c) || *c.p == '#')
        return 0;

    /* Extent line: the access word comes first. */
    {
        struct cursor t = c;
        tlen = take_token(&t, &tok);
        if (token_is(tok, tlen, "RW"))
            return parse_extent(name, line, &t, V2K_VMDK_RW, d);
        if (token_is(tok, tlen, "RDONLY"))
            return parse_extent(name, line, &t, V2K_VMDK_RDONLY, d);
        if (token_is(tok, tlen, "NOACCESS"))
            return parse_extent(name, line, &t, V2K_VMDK_NOACCESS, d);
    }

    /* key = value */
    k = c.p;
    while (c.p < c.end && is_key_char(*c.p))
        c.p++;
    klen = (size_t)(c.p - k);
    skip_blanks(&c);
    if (klen == 0 || at_end(&c) || *c.p != '=') {
        excerpt(s, len, ex, sizeof ex);
        v2k_error("%s: descriptor line %u: cannot parse '%s'", name, line,
                  ex);
        return -1;
    }
    c.p++;
    skip_blanks(&c);
    if (!at_end(&c) && *c.p == '"') {
        if (take_quoted(&c, &v, &vlen) == -1) {
            v2k_error("%s: descriptor line %u: unterminated quoted value",
                      name, line);
            return -1;
        }
        skip_blanks(&c);
        if (!at_end(&c)) {
            excerpt(c.p, (size_t)(c.end - c.p), ex, sizeof ex);
            v2k_error("%s: descriptor line %u: unexpected '%s' after the quoted value", name, line, ex);
            return -1;
        }
    } else {
        v = c.p;
        vlen = (size_t)(c.end - c.p);
        while (vlen > 0 && is_blank(v[vlen - 1]))
            vlen--;
    }
    return parse_keyvalue(name, line, k, klen, v, vlen, d);
}

void
v2k_vmdk_desc_free(struct v2k_vmdk_desc *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_extents; i++)
        free(d->extents[i].file);
    free(d->extents);
    free(d->create_type);
    free(d->parent_hint);
    free(d->adapter_type);
    memset(d, 0, sizeof *d);
}

int
v2k_vmdk_desc_parse(const char *name, const char *text, size_t len,
                    struct v2k_vmdk_desc *d)
{
    const char *p = text, *end, *nul;
    unsigned line = 0;

    memset(d, 0, sizeof *d);
    d->parent_cid = V2K_VMDK_CID_NOPARENT;
    if (len > V2K_VMDK_DESC_MAX) {
        v2k_error("%s: descriptor of %zu bytes is larger than the %u byte limit", name, len, V2K_VMDK_DESC_MAX);
        return -1;
    }
    nul = memchr(text, '\0', len);
    end = nul ? nul : text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;

        line++;
        if (parse_line(name, line, p, (size_t)(eol - p), d) == -1) {
            v2k_vmdk_desc_free(d);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    if (d->create_type == NULL) {
        v2k_error("%s: descriptor has no createType", name);
        v2k_vmdk_desc_free(d);
        return -1;
    }
    return 0;
}
