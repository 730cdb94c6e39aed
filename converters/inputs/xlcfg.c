/* xlcfg.c - see xlcfg.h.
 *
 * The grammar follows Xen's libxlu lexer (tools/libs/util/libxlu_cfg_l.l)
 * as xl.cfg(5) documents it:
 *   file    := { blank | comment | ';' | newline | setting }
 *   setting := IDENT blank* ('=' | '+=') blank* value
 *              blank* [comment] (newline | ';' | end)
 *   value   := STRING | NUMBER | '[' [ item { ',' item } [','] ] ']'
 * where newlines and comments may appear anywhere inside a list, and a
 * backslash-newline is a blank (xm configs were Python).
 */
#include "xlcfg.h"
#include "error.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
    const char *p, *end;
    unsigned line;
    const char *name;
};

static bool
is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool
is_number(char c)
{
    return is_ident(c) || c == '.';
}

/* Skip blanks (and backslash-newlines); with nl, newlines and comments
 * too (inside a list). */
static void
skip_blanks(struct lexer *lx, bool nl)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
        } else if (c == '\\' && lx->end - lx->p >= 2 && lx->p[1] == '\n') {
            lx->p += 2;
            lx->line++;
        } else if (c == '\\' && lx->end - lx->p >= 3 && lx->p[1] == '\r' &&
                   lx->p[2] == '\n') {
            lx->p += 3;
            lx->line++;
        } else if (nl && c == '\n') {
            lx->p++;
            lx->line++;
        } else if (nl && c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else {
            return;
        }
    }
}

/* What the next byte is, for messages. */
static const char *
describe(const struct lexer *lx, char *buf, size_t len)
{
    unsigned char c;

    if (lx->p >= lx->end)
        return "the end of the file";
    c = (unsigned char)*lx->p;
    if (c == '\n')
        return "the end of the line";
    if (c < 0x20 || c >= 0x7f)
        snprintf(buf, len, "byte 0x%02x", c);
    else
        snprintf(buf, len, "'%c'", c);
    return buf;
}

static int
syntax(const struct lexer *lx, const char *what)
{
    char b[16];
    v2k_error("%s:%u: %s, found %s", lx->name, lx->line, what,
              describe(lx, b, sizeof b));
    return -1;
}

/* A quoted string; lx->p is at the quote. */
static char *
lex_string(struct lexer *lx)
{
    char q = *lx->p++;
    const char *start = lx->p;
    char *out, *o;

    /* The unquoted text is never longer than the quoted one. */
    while (lx->p < lx->end && *lx->p != q && *lx->p != '\n') {
        if (*lx->p == '\\' && lx->end - lx->p >= 2 && lx->p[1] != '\n')
            lx->p++;
        lx->p++;
    }
    if (lx->p >= lx->end || *lx->p != q) {
        syntax(lx, "unterminated string");
        return NULL;
    }
    out = v2k_malloc((size_t)(lx->p - start) + 1);
    if (out == NULL)
        return NULL;
    o = out;
    for (const char *s = start; s < lx->p; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case '\\': case '\'': case '"': *o++ = *s; break;
        default:
            v2k_error("%s:%u: unknown escape '\\%c' in a string", lx->name,
                      lx->line, *s);
            free(out);
            return NULL;
        }
    }
    *o = '\0';
    lx->p++;                    /* the closing quote */
    return out;
}

/* One STRING or NUMBER at lx->p. */
static int
lex_item(struct lexer *lx, struct v2k_xlcfg_item *it)
{
    const char *start = lx->p;

    it->line = lx->line;
    if (lx->p < lx->end && (*lx->p == '"' || *lx->p == '\'')) {
        it->type = V2K_XLCFG_STRING;
        it->text = lex_string(lx);
        return it->text ? 0 : -1;
    }
    if (lx->p < lx->end && *lx->p == '-')
        lx->p++;
    if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9') {
        lx->p = start;
        return syntax(lx, "expected a value (a quoted string, a number or "
                          "a list)");
    }
    while (lx->p < lx->end && is_number(*lx->p))
        lx->p++;
    it->type = V2K_XLCFG_NUMBER;
    it->text = v2k_malloc((size_t)(lx->p - start) + 1);
    if (it->text == NULL)
        return -1;
    memcpy(it->text, start, (size_t)(lx->p - start));
    it->text[lx->p - start] = '\0';
    return 0;
}

static void
free_items(struct v2k_xlcfg_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i].text);
    free(items);
}

static int
push_item(const struct lexer *lx, struct v2k_xlcfg_setting *s,
          struct v2k_xlcfg_item *it)
{
    struct v2k_xlcfg_item *v;

    if (s->nitems >= V2K_XLCFG_MAX_ITEMS) {
        v2k_error("%s:%u: more than %d items in a list", lx->name, lx->line,
                  V2K_XLCFG_MAX_ITEMS);
        return -1;
    }
    v = realloc(s->items, (s->nitems + 1) * sizeof *v);
    if (v == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    s->items = v;
    s->items[s->nitems++] = *it;
    it->text = NULL;
    return 0;
}

/* The value of setting s; lx->p is past the '='. */
static int
lex_value(struct lexer *lx, struct v2k_xlcfg_setting *s)
{
    struct v2k_xlcfg_item it = { 0 };

    skip_blanks(lx, false);
    if (lx->p >= lx->end || *lx->p != '[') {
        if (lex_item(lx, &it) == -1 || push_item(lx, s, &it) == -1) {
            free(it.text);
            return -1;
        }
        s->type = s->items[0].type;
        return 0;
    }
    s->type = V2K_XLCFG_LIST;
    lx->p++;
    for (;;) {
        skip_blanks(lx, true);
        if (lx->p < lx->end && *lx->p == ']')
            break;
        if (lex_item(lx, &it) == -1 || push_item(lx, s, &it) == -1) {
            free(it.text);
            return -1;
        }
        skip_blanks(lx, true);
        if (lx->p < lx->end && *lx->p == ',') {
            lx->p++;
            continue;
        }
        if (lx->p < lx->end && *lx->p == ']')
            break;
        return syntax(lx, "expected ',' or ']' in a list");
    }
    lx->p++;                    /* ']' */
    return 0;
}

/* key += value: append to the earlier setting (a list gets the items, a
 * string the text). */
static int
append_setting(const struct lexer *lx, struct v2k_xlcfg_setting *old,
               struct v2k_xlcfg_setting *add)
{
    if (old->type != add->type) {
        v2k_error("%s:%u: %s += : cannot append a %s to a %s set on line %u",
                  lx->name, add->line, add->key,
                  add->type == V2K_XLCFG_LIST ? "list" : "single value",
                  old->type == V2K_XLCFG_LIST ? "list" : "single value",
                  old->line);
        return -1;
    }
    if (old->type == V2K_XLCFG_LIST) {
        for (size_t i = 0; i < add->nitems; i++)
            if (push_item(lx, old, &add->items[i]) == -1)
                return -1;
        return 0;
    }
    {
        char *t = v2k_asprintf("%s%s", old->items[0].text,
                               add->items[0].text);
        if (t == NULL)
            return -1;
        free(old->items[0].text);
        old->items[0].text = t;
        old->items[0].type = V2K_XLCFG_STRING;
        old->type = V2K_XLCFG_STRING;
    }
    return 0;
}

static struct v2k_xlcfg_setting *
find(struct v2k_xlcfg *c, const char *key)
{
    for (size_t i = 0; i < c->nsettings; i++)
        if (strcmp(c->settings[i].key, key) == 0)
            return &c->settings[i];
    return NULL;
}

static int
lex_setting(struct lexer *lx, struct v2k_xlcfg *c)
{
    struct v2k_xlcfg_setting s = { .line = lx->line };
    struct v2k_xlcfg_setting *old;
    const char *start = lx->p;
    bool append = false;
    int r = -1;

    while (lx->p < lx->end && is_ident(*lx->p))
        lx->p++;
    s.key = v2k_malloc((size_t)(lx->p - start) + 1);
    if (s.key == NULL)
        return -1;
    memcpy(s.key, start, (size_t)(lx->p - start));
    s.key[lx->p - start] = '\0';
    skip_blanks(lx, false);
    if (lx->end - lx->p >= 2 && lx->p[0] == '+' && lx->p[1] == '=') {
        append = true;
        lx->p += 2;
    } else if (lx->p < lx->end && *lx->p == '=') {
        lx->p++;
    } else {
        char what[128];
        snprintf(what, sizeof what, "expected '=' after '%.80s'", s.key);
        syntax(lx, what);
        goto out;
    }
    if (lex_value(lx, &s) == -1)
        goto out;
    skip_blanks(lx, false);
    if (lx->p < lx->end && *lx->p == '#')
        while (lx->p < lx->end && *lx->p != '\n')
            lx->p++;
    if (lx->p < lx->end && *lx->p != '\n' && *lx->p != ';') {
        syntax(lx, "expected the end of the setting");
        goto out;
    }
    old = find(c, s.key);
    if (append && old) {
        r = append_setting(lx, old, &s);
        goto out;
    }
    if (old) {              /* a later setting replaces an earlier one */
        free_items(old->items, old->nitems);
        old->items = s.items;
        old->nitems = s.nitems;
        old->type = s.type;
        old->line = s.line;
        s.items = NULL;
        s.nitems = 0;
        r = 0;
        goto out;
    }
    if (c->nsettings >= V2K_XLCFG_MAX_ITEMS) {
        v2k_error("%s:%u: more than %d settings", lx->name, s.line,
                  V2K_XLCFG_MAX_ITEMS);
        goto out;
    }
    old = realloc(c->settings, (c->nsettings + 1) * sizeof *old);
    if (old == NULL) {
        v2k_error("out of memory");
        goto out;
    }
    c->settings = old;
    c->settings[c->nsettings++] = s;
    return 0;
out:
    free(s.key);
    free_items(s.items, s.nitems);
    return r;
}

struct v2k_xlcfg *
v2k_xlcfg_parse(const char *buf, size_t len, const char *name)
{
    struct lexer lx = { .p = buf, .end = buf + len, .line = 1, .name = name };
    struct v2k_xlcfg *c;

    if (len > V2K_XLCFG_MAX_SIZE) {
        v2k_error("%s: %zu bytes is more than the %u allowed for a configuration file", name, len, V2K_XLCFG_MAX_SIZE);
        return NULL;
    }
    c = v2k_calloc(1, sizeof *c);
    if (c == NULL || (c->name = v2k_strdup(name)) == NULL)
        goto fail;
    for (;;) {
        skip_blanks(&lx, false);
        if (lx.p >= lx.end)
            break;
        if (*lx.p == '#') {
            while (lx.p < lx.end && *lx.p != '\n')
                lx.p++;
        } else if (*lx.p == '\n') {
            lx.p++;
            lx.line++;
        } else if (*lx.p == ';') {
            lx.p++;
        } else if (is_ident_start(*lx.p)) {
            if (lex_setting(&lx, c) == -1)
                goto fail;
        } else {
            syntax(&lx, "expected a setting (KEY = VALUE)");
            goto fail;
        }
    }
    return c;
fail:
    v2k_xlcfg_free(c);
    return NULL;
}

void
v2k_xlcfg_free(struct v2k_xlcfg *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nsettings; i++) {
        free(c->settings[i].key);
        free_items(c->settings[i].items, c->settings[i].nitems);
    }
    free(c->settings);
    free(c->name);
    free(c);
}

const struct v2k_xlcfg_setting *
v2k_xlcfg_get(const struct v2k_xlcfg *c, const char *key)
{
    return find((struct v2k_xlcfg *)c, key);
}

int
v2k_xlcfg_get_string(const struct v2k_xlcfg *c, const char *key,
                     const char **out)
{
    const struct v2k_xlcfg_setting *s = v2k_xlcfg_get(c, key);

    *out = NULL;
    if (s == NULL)
        return 0;
    if (s->type == V2K_XLCFG_LIST) {
        v2k_error("%s:%u: %s: expected a string or a number, not a list",
                  c->name, s->line, key);
        return -1;
    }
    *out = s->items[0].text;
    return 1;
}

int
v2k_xlcfg_get_u64(const struct v2k_xlcfg *c, const char *key, uint64_t *out)
{
    const char *v;
    int r = v2k_xlcfg_get_string(c, key, &v);

    if (r <= 0)
        return r;
    if (v2k_parse_u64(v, key, out) == -1) {
        v2k_error("%s:%u: %s: '%s' is not a whole number", c->name,
                  v2k_xlcfg_get(c, key)->line, key, v);
        return -1;
    }
    return 1;
}
