/* winreg.h - a Windows registry hive inside the guest, through
 * libguestfs's hivex calls (the hive is parsed in the appliance; only
 * the values asked for cross the socket).
 *
 * libguestfs keeps at most one hive open per handle: v2k_reg_open closes
 * whatever was open.  Keys are paths below the hive's root, separated by
 * backslashes ("ControlSet001\\Services\\Tcpip\\Parameters"); names are
 * matched case-insensitively, as Windows does.  A node is libguestfs's
 * int64 handle; 0 means "no such key".
 *
 * Reads never fail loudly on a missing key or value (NULL / 0); a value
 * of another type than asked for is "missing" too, with a debug line.
 * Strings come back as UTF-8, malloc'd, owned by the caller; string
 * lists NULL-terminated (free with v2k_strv_free).  Values larger than
 * V2K_REG_MAX_VALUE are refused (a hive is untrusted input).
 *
 * Writes (v2k_reg_open with write = true) change the hive in the
 * appliance's memory; v2k_reg_commit writes it back to the file.
 * Errors: -1 with one message "HIVE: KEY: what failed" (error.h).
 */
#ifndef V2K_WINREG_H
#define V2K_WINREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <guestfs.h>

/* Registry value types (winnt.h). */
enum v2k_reg_type {
    V2K_REG_NONE = 0, V2K_REG_SZ = 1, V2K_REG_EXPAND_SZ = 2,
    V2K_REG_BINARY = 3, V2K_REG_DWORD = 4, V2K_REG_MULTI_SZ = 7,
    V2K_REG_QWORD = 11,
};

#define V2K_REG_MAX_VALUE (1u << 20)

/* Open the hive at the guest path (real case: see v2k_reg_find_hive).
 * The path is kept for messages until the next open/close. */
int v2k_reg_open(guestfs_h *g, const char *path, bool write);
/* Close without writing (safe when nothing is open). */
void v2k_reg_close(guestfs_h *g);
/* Write the hive back to its file and close it. */
int v2k_reg_commit(guestfs_h *g);

/* The key at path below the root ("" = the root); 0 when missing. */
int64_t v2k_reg_node(guestfs_h *g, const char *path);
/* The child key called name of node; 0 when missing. */
int64_t v2k_reg_child(guestfs_h *g, int64_t node, const char *name);
/* The names of node's subkeys (NULL-terminated, owned), NULL on error. */
char **v2k_reg_children(guestfs_h *g, int64_t node);

/* The names of node's values (NULL-terminated, owned; at most
 * V2K_REG_MAX_VALUES), NULL on error. */
#define V2K_REG_MAX_VALUES 4096
char **v2k_reg_value_names(guestfs_h *g, int64_t node);
/* A value's raw bytes of any type (owned; *len set), NULL when missing
 * or larger than V2K_REG_MAX_VALUE. */
void *v2k_reg_get_raw(guestfs_h *g, int64_t node, const char *key,
                      size_t *len);

/* REG_SZ / REG_EXPAND_SZ as UTF-8; NULL when missing. */
char *v2k_reg_get_string(guestfs_h *g, int64_t node, const char *key);
/* REG_DWORD (or a 4-byte REG_BINARY): true and *out when present. */
bool v2k_reg_get_dword(guestfs_h *g, int64_t node, const char *key,
                       uint32_t *out);
/* REG_MULTI_SZ (or REG_SZ, as a list of one) as UTF-8 strings; NULL
 * when missing. */
char **v2k_reg_get_multi(guestfs_h *g, int64_t node, const char *key);
/* The value's type, or -1 when it is missing. */
int v2k_reg_get_type(guestfs_h *g, int64_t node, const char *key);

/* Writes.  v2k_reg_mkpath creates the missing keys of path (0 on
 * error, with a message). */
int64_t v2k_reg_mkpath(guestfs_h *g, const char *path);
int v2k_reg_set_string(guestfs_h *g, int64_t node, const char *key,
                       enum v2k_reg_type type, const char *utf8);
int v2k_reg_set_dword(guestfs_h *g, int64_t node, const char *key,
                      uint32_t v);
/* list: NULL-terminated UTF-8 strings. */
int v2k_reg_set_multi(guestfs_h *g, int64_t node, const char *key,
                      const char *const *list);
int v2k_reg_set_binary(guestfs_h *g, int64_t node, const char *key,
                       enum v2k_reg_type type, const void *data,
                       size_t len);
/* Delete node and everything below it. */
int v2k_reg_delete(guestfs_h *g, int64_t node);

/* UTF-16LE (len bytes, possibly NUL-terminated) to UTF-8; NULL on
 * ENOMEM.  Invalid units become U+FFFD.  Exposed for the tests. */
char *v2k_utf16le_to_utf8(const unsigned char *p, size_t len);
/* UTF-8 to UTF-16LE with a terminating NUL unit; *len in bytes. */
unsigned char *v2k_utf8_to_utf16le(const char *s, size_t *len);

#endif
