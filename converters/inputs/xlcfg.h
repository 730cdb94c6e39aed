/* xlcfg.h - the xl.cfg (and legacy xm) configuration syntax.
 *
 * xl.cfg(5): a file of "KEY = VALUE" settings, one per line or separated
 * by ';', where VALUE is a "string" or 'string', a number, or a list
 * [ VALUE, VALUE, ... ] (which may span lines and end with a comma).
 * '#' starts a comment; a backslash at the end of a line continues it
 * (xm configs were Python).  "KEY += VALUE" appends to a list or string,
 * as newer xl allows.  A later setting of a key replaces an earlier one.
 *
 * The parser works on a buffer, not a path, so that a remote input can
 * fetch the file over a transport and reuse it.  It is a bounded
 * pointer-advancing tokenizer (no sscanf/strtok); every error is one
 * message "NAME:LINE: ..." where NAME is what the caller calls the buffer.
 */
#ifndef V2K_XLCFG_H
#define V2K_XLCFG_H

#include <stddef.h>
#include <stdint.h>

#define V2K_XLCFG_MAX_SIZE (1U << 20)   /* bytes of configuration */
#define V2K_XLCFG_MAX_ITEMS 4096        /* settings, and items in a list */

enum v2k_xlcfg_type { V2K_XLCFG_STRING, V2K_XLCFG_NUMBER, V2K_XLCFG_LIST };

struct v2k_xlcfg_item {
    char *text;                 /* the string (unquoted), or the number as
                                   written */
    enum v2k_xlcfg_type type;   /* STRING or NUMBER */
    unsigned line;
};

struct v2k_xlcfg_setting {
    char *key;
    enum v2k_xlcfg_type type;
    /* STRING, NUMBER: items[0]; LIST: every item (maybe none). */
    struct v2k_xlcfg_item *items;
    size_t nitems;
    unsigned line;              /* where the setting starts */
};

struct v2k_xlcfg {
    char *name;                 /* for messages */
    struct v2k_xlcfg_setting *settings;
    size_t nsettings;
};

/* Parse len bytes of buf.  NULL with "name:LINE: ..." on a syntax error. */
struct v2k_xlcfg *v2k_xlcfg_parse(const char *buf, size_t len,
                                  const char *name);
void v2k_xlcfg_free(struct v2k_xlcfg *c);         /* NULL-safe */

/* The setting of key, or NULL. */
const struct v2k_xlcfg_setting *v2k_xlcfg_get(const struct v2k_xlcfg *c,
                                              const char *key);

/* The value of a string or number setting (borrowed), or NULL when key
 * is not set; -1 with "name:LINE: key: ..." when key is a list. */
int v2k_xlcfg_get_string(const struct v2k_xlcfg *c, const char *key,
                         const char **out);

/* A whole unsigned decimal number, given as a number or a string ("512");
 * 0 and *out untouched when key is not set; 1 when set; -1 with
 * "name:LINE: key: ..." when it is not a number. */
int v2k_xlcfg_get_u64(const struct v2k_xlcfg *c, const char *key,
                      uint64_t *out);

#endif
