/* json.c - see json.h. */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

struct v2k_json {
    FILE *fp;
    bool pretty;
    int depth;
    bool after_key;                      /* next value follows "key": */
    bool has_items[V2K_JSON_MAX_DEPTH];  /* per level: write a comma first */
};

struct v2k_json *
v2k_json_new(FILE *fp, bool pretty)
{
    struct v2k_json *j = calloc(1, sizeof *j);
    if (j) {
        j->fp = fp;
        j->pretty = pretty;
    }
    return j;
}

void
v2k_json_free(struct v2k_json *j)
{
    if (j == NULL)
        return;
    fputc('\n', j->fp);
    free(j);
}

static void
indent(struct v2k_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->fp);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->fp);
}

/* Separator and indentation before a value or a key. */
static void
before_item(struct v2k_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0 && j->depth <= V2K_JSON_MAX_DEPTH) {
        if (j->has_items[j->depth - 1])
            fputc(',', j->fp);
        j->has_items[j->depth - 1] = true;
        indent(j);
    }
}

static void
open_level(struct v2k_json *j, char c)
{
    before_item(j);
    fputc(c, j->fp);
    if (j->depth < V2K_JSON_MAX_DEPTH)
        j->has_items[j->depth] = false;
    j->depth++;
}

static void
close_level(struct v2k_json *j, char c)
{
    bool had = j->depth > 0 && j->depth <= V2K_JSON_MAX_DEPTH &&
               j->has_items[j->depth - 1];
    if (j->depth > 0)
        j->depth--;
    if (had)
        indent(j);
    fputc(c, j->fp);
}

void v2k_json_begin_object(struct v2k_json *j) { open_level(j, '{'); }
void v2k_json_end_object(struct v2k_json *j) { close_level(j, '}'); }
void v2k_json_begin_array(struct v2k_json *j) { open_level(j, '['); }
void v2k_json_end_array(struct v2k_json *j) { close_level(j, ']'); }

void
v2k_json_write_escaped(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        case '\b': fputs("\\b", fp); break;
        case '\f': fputs("\\f", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

void
v2k_json_key(struct v2k_json *j, const char *key)
{
    before_item(j);
    v2k_json_write_escaped(j->fp, key);
    fputs(j->pretty ? ": " : ":", j->fp);
    j->after_key = true;
}

void
v2k_json_string(struct v2k_json *j, const char *s)
{
    before_item(j);
    if (s == NULL)
        fputs("null", j->fp);
    else
        v2k_json_write_escaped(j->fp, s);
}

void
v2k_json_int(struct v2k_json *j, int64_t v)
{
    before_item(j);
    fprintf(j->fp, "%" PRId64, v);
}

void
v2k_json_uint(struct v2k_json *j, uint64_t v)
{
    before_item(j);
    fprintf(j->fp, "%" PRIu64, v);
}

void
v2k_json_double(struct v2k_json *j, double v)
{
    before_item(j);
    if (isfinite(v))
        fprintf(j->fp, "%.3f", v);
    else
        fputs("null", j->fp);
}

void
v2k_json_bool(struct v2k_json *j, bool v)
{
    before_item(j);
    fputs(v ? "true" : "false", j->fp);
}

void
v2k_json_null(struct v2k_json *j)
{
    before_item(j);
    fputs("null", j->fp);
}

void
v2k_json_kv_string(struct v2k_json *j, const char *k, const char *s)
{
    v2k_json_key(j, k);
    v2k_json_string(j, s);
}

void
v2k_json_kv_int(struct v2k_json *j, const char *k, int64_t v)
{
    v2k_json_key(j, k);
    v2k_json_int(j, v);
}

void
v2k_json_kv_uint(struct v2k_json *j, const char *k, uint64_t v)
{
    v2k_json_key(j, k);
    v2k_json_uint(j, v);
}

void
v2k_json_kv_double(struct v2k_json *j, const char *k, double v)
{
    v2k_json_key(j, k);
    v2k_json_double(j, v);
}

void
v2k_json_kv_bool(struct v2k_json *j, const char *k, bool v)
{
    v2k_json_key(j, k);
    v2k_json_bool(j, v);
}
