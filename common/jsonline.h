/* jsonline.h - read one member of a JSON object on one line (v2kvm's
 * --machine-readable output: as it comes back from the host to the P2V
 * client, and from each conversion to v2kvm-batch).  libc only, so the
 * P2V client (which links no other library of ours) compiles it too.
 *
 * Only the top level is looked at; nested objects and arrays are
 * skipped.  Input is untrusted (it crossed the network): every scan is
 * bounded by the line, and a malformed line finds nothing.
 */
#ifndef V2K_JSONLINE_H
#define V2K_JSONLINE_H

#include <stdbool.h>
#include <stddef.h>

/* The string member key of the object in line, unescaped (\uXXXX above
 * 0x7f becomes '?') into buf.  false when absent, not a string or the
 * line is not an object. */
bool v2k_jsonline_str(const char *line, const char *key, char *buf,
                      size_t len);

/* The number member key.  false when absent or not a number. */
bool v2k_jsonline_num(const char *line, const char *key, double *out);

/* The array-of-numbers member key, at most max of them into out: their
 * count, or -1 when absent, not such an array, or longer than max. */
int v2k_jsonline_nums(const char *line, const char *key, double *out,
                      size_t max);

/* The member key of the object in line as JSON text (an object or an
 * array whole, a string with its quotes): an owned NUL-terminated copy
 * (free), at most as long as line.  NULL when absent, malformed, or out
 * of memory. */
char *v2k_jsonline_raw(const char *line, const char *key);

/* Calls fn(ctx, ELEMENT) for each element of the JSON array in text
 * (what v2k_jsonline_raw returns), ELEMENT its JSON text as an owned
 * NUL-terminated copy, freed after the call: v2k_jsonline_str and
 * _num read an object element's members.  The whole array is checked
 * first: 0 when it is one (fn called for each element), -1 when text
 * is not an array or is malformed (fn never called) or out of memory
 * (fn called for the elements before). */
int v2k_jsonline_each(const char *text, void (*fn)(void *ctx,
                                                   const char *element),
                      void *ctx);

#endif
