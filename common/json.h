/* json.h - a small streaming JSON writer.
 *
 * Writes to a FILE* it borrows.  Commas and nesting are tracked for the
 * caller; strings are escaped per RFC 8259 section 7.  Nesting deeper
 * than V2K_JSON_MAX_DEPTH is a programming error and is ignored.
 *
 *   struct v2k_json *j = v2k_json_new(stdout, true);
 *   v2k_json_begin_object(j);
 *   v2k_json_kv_string(j, "name", "vm1");
 *   v2k_json_end_object(j);
 *   v2k_json_free(j);         (adds the final newline)
 */
#ifndef V2K_JSON_H
#define V2K_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define V2K_JSON_MAX_DEPTH 32

struct v2k_json;

/* pretty: indent by two spaces per level; else one line. NULL on ENOMEM. */
struct v2k_json *v2k_json_new(FILE *fp, bool pretty);
void v2k_json_free(struct v2k_json *j);

void v2k_json_begin_object(struct v2k_json *j);
void v2k_json_end_object(struct v2k_json *j);
void v2k_json_begin_array(struct v2k_json *j);
void v2k_json_end_array(struct v2k_json *j);
void v2k_json_key(struct v2k_json *j, const char *key);
void v2k_json_string(struct v2k_json *j, const char *s);   /* NULL -> null */
void v2k_json_int(struct v2k_json *j, int64_t v);
void v2k_json_uint(struct v2k_json *j, uint64_t v);
void v2k_json_double(struct v2k_json *j, double v);
void v2k_json_bool(struct v2k_json *j, bool v);
void v2k_json_null(struct v2k_json *j);

/* key + value in one call. */
void v2k_json_kv_string(struct v2k_json *j, const char *k, const char *s);
void v2k_json_kv_int(struct v2k_json *j, const char *k, int64_t v);
void v2k_json_kv_uint(struct v2k_json *j, const char *k, uint64_t v);
void v2k_json_kv_double(struct v2k_json *j, const char *k, double v);
void v2k_json_kv_bool(struct v2k_json *j, const char *k, bool v);

/* Write s as a JSON string literal (with quotes) to fp. */
void v2k_json_write_escaped(FILE *fp, const char *s);

#endif
