/* jsonline.c - members of a one-line JSON object (jsonline.h; RFC 8259
 * for the grammar). */
#include "jsonline.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *
ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* Past a string starting at p ('"'); copies it unescaped into buf when
 * buf.  NULL when malformed. */
static const char *
string(const char *p, char *buf, size_t len)
{
    size_t n = 0;

    if (*p != '"')
        return NULL;
    for (p++; *p && *p != '"'; p++) {
        char c = *p;
        if ((unsigned char)c < 0x20)
            return NULL;
        if (c == '\\') {
            p++;
            switch (*p) {
            case '"': case '\\': case '/': c = *p; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 1; i <= 4; i++) {
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                    v = v * 16 + (unsigned)(isdigit((unsigned char)p[i])
                                               ? p[i] - '0'
                                               : (tolower((unsigned char)p[i]) - 'a' + 10));
                }
                p += 4;
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            default:
                return NULL;
            }
        }
        if (buf && n + 1 < len)
            buf[n++] = c;
    }
    if (*p != '"')
        return NULL;
    if (buf && len)
        buf[n] = '\0';
    return p + 1;
}

/* Past any value at p; NULL when malformed. */
static const char *
value(const char *p, unsigned depth)
{
    p = ws(p);
    if (*p == '"')
        return string(p, NULL, 0);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        bool obj = *p == '{';

        if (depth > 32)
            return NULL;
        p = ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                p = string(ws(p), NULL, 0);
                if (p == NULL || *(p = ws(p)) != ':')
                    return NULL;
                p++;
            }
            p = value(p, depth + 1);
            if (p == NULL)
                return NULL;
            p = ws(p);
            if (*p == ',') {
                p++;
                continue;
            }
            return *p == close ? p + 1 : NULL;
        }
    }
    if (*p == '-' || isdigit((unsigned char)*p)) {
        while (*p && strchr("+-0123456789.eE", *p))
            p++;
        return p;
    }
    for (const char *const *w = (const char *const[]){ "true", "false",
                                                      "null", NULL };
         *w; w++)
        if (strncmp(p, *w, strlen(*w)) == 0)
            return p + strlen(*w);
    return NULL;
}

/* Where key's value starts at the top level of line, or NULL. */
static const char *
find(const char *line, const char *key)
{
    const char *p = ws(line);
    char k[64];

    if (*p != '{')
        return NULL;
    p = ws(p + 1);
    if (*p == '}')
        return NULL;
    for (;;) {
        p = string(ws(p), k, sizeof k);
        if (p == NULL || *(p = ws(p)) != ':')
            return NULL;
        p = ws(p + 1);
        if (strcmp(k, key) == 0)
            return p;
        p = value(p, 0);
        if (p == NULL)
            return NULL;
        p = ws(p);
        if (*p != ',')
            return NULL;
        p++;
    }
}

bool
v2k_jsonline_str(const char *line, const char *key, char *buf, size_t len)
{
    const char *p = find(line, key);

    return p && *p == '"' && len > 0 && string(p, buf, len) != NULL;
}

bool
v2k_jsonline_num(const char *line, const char *key, double *out)
{
    const char *p = find(line, key);
    char *end;

    if (p == NULL || !(*p == '-' || isdigit((unsigned char)*p)))
        return false;
    *out = strtod(p, &end);
    return end != p;
}

int
v2k_jsonline_nums(const char *line, const char *key, double *out,
                  size_t max)
{
    const char *p = find(line, key);
    size_t n = 0;
    char *end;

    if (p == NULL || *p != '[')
        return -1;
    p = ws(p + 1);
    if (*p == ']')
        return 0;
    for (;;) {
        if (!(*p == '-' || isdigit((unsigned char)*p)) || n == max)
            return -1;
        out[n++] = strtod(p, &end);
        if (end == p)
            return -1;
        p = ws(end);
        if (*p == ']')
            return (int)n;
        if (*p != ',')
            return -1;
        p = ws(p + 1);
    }
}

char *
v2k_jsonline_raw(const char *line, const char *key)
{
    const char *p = find(line, key), *e;

    if (p == NULL || (e = value(p, 0)) == NULL)
        return NULL;
    return strndup(p, (size_t)(e - p));
}

int
v2k_jsonline_each(const char *text, void (*fn)(void *, const char *),
                  void *ctx)
{
    const char *p = ws(text), *e;

    if (*p != '[' || (e = value(p, 0)) == NULL || *ws(e) != '\0')
        return -1;
    p = ws(p + 1);
    if (*p == ']')
        return 0;
    for (;;) {
        const char *s = ws(p);
        char *el;

        e = value(s, 1);                /* checked above: not NULL */
        el = strndup(s, (size_t)(e - s));
        if (el == NULL)
            return -1;
        fn(ctx, el);
        free(el);
        p = ws(e);
        if (*p != ',')
            return 0;                   /* ']', checked above */
        p++;
    }
}
