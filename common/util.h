/* util.h - small helpers every area uses.
 *
 * Checked arithmetic, zero detection, bounded number parsing (instead of
 * atoi/sscanf), and path helpers.  Functions that can fail follow error.h:
 * -1/NULL with one recorded message.  Returned strings are owned by the
 * caller (free()).
 */
#ifndef V2K_UTIL_H
#define V2K_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stat;

#define V2K_ADD_OVERFLOW(a, b, r) __builtin_add_overflow((a), (b), (r))
#define V2K_MUL_OVERFLOW(a, b, r) __builtin_mul_overflow((a), (b), (r))

#define V2K_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define V2K_DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define V2K_IS_POW2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

/* True when all len bytes of buf are zero. */
bool v2k_is_zero(const void *buf, size_t len);

/* Parse a whole decimal unsigned number (no sign, no junk, no overflow).
 * what names the value in the error message. */
int v2k_parse_u64(const char *s, const char *what, uint64_t *out);

/* Parse a size: a number with an optional suffix K, M, G, T (powers of
 * 1024, optionally followed by "iB" or "B").  "2G" = 2147483648. */
int v2k_parse_size(const char *s, const char *what, uint64_t *out);

/* A MAC address "xx:xx:xx:xx:xx:xx" (hex digits in either case; '-'
 * separators too when dash_ok) into out, lowercase with ':'; false when
 * in is not one (no error recorded: the caller names the field). */
bool v2k_parse_mac(const char *in, bool dash_ok, char out[18]);

/* Human-readable size into buf ("1.5 GiB"); returns buf. */
char *v2k_human_size(uint64_t bytes, char *buf, size_t buflen);

/* malloc/calloc/strdup that record "out of memory" on failure. */
void *v2k_malloc(size_t n);
void *v2k_calloc(size_t n, size_t size);
char *v2k_strdup(const char *s);
char *v2k_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last component of path without one extension matching any of
 * exts (NULL-terminated list, e.g. {".img", ".raw", NULL}). */
char *v2k_basename_noext(const char *path, const char *const *exts);

/* Directory part of path ("." when none). */
char *v2k_dirname(const char *path);

/* Read a whole small file (at most max bytes, else an error). The result
 * is NUL-terminated; *len (optional) gets its length. */
char *v2k_read_file(const char *path, size_t max, size_t *len);

/* Open path read-only (O_CLOEXEC) if it is a regular file, or a block
 * device when allow_block: anything else (FIFO, character device,
 * socket, directory) is refused before it is opened ("PATH: is a FIFO,
 * not a regular file"), since opening a FIFO blocks until a writer comes.
 * The open itself uses O_NONBLOCK (cleared afterwards) and fstat must
 * find the file stat found, so a file swapped in between cannot block
 * either.  st (optional) gets the fstat.  The fd, or -1 with a message.*/
int v2k_open_regular(const char *path, bool allow_block, struct stat *st);

/* v2k_read_file for a file that must be regular (a description file:
 * .vmx, .ovf, xl.cfg, .vbox, domain XML): opened by v2k_open_regular. */
char *v2k_read_regular_file(const char *path, size_t max, size_t *len);

/* Monotonic seconds. */
double v2k_now(void);

/* Fill buf with len random bytes from the kernel (getrandom). */
int v2k_random_bytes(void *buf, size_t len);

/* Write a fresh random (version 4) UUID as 36 characters + NUL. */
int v2k_uuid_generate(char out[37]);

/* NULL-terminated string lists ("strv", as GLib and libguestfs return
 * them): the number of strings, and a free of every string and of the
 * array (NULL-safe).  v2k_strv_free_secret also wipes each string first
 * (keys, passwords). */
size_t v2k_strv_len(char *const *l);
void v2k_strv_free(char **l);
void v2k_strv_free_secret(char **l);

/* Configuration lines (grub.cfg, menu.lst, syslinux/extlinux, BLS
 * entries): is the first word of line, after blanks, kw?  Followed by
 * the end, a blank, or with V2K_KW_EQUALS an '=' ("default=0").
 * V2K_KW_NOCASE compares without case (syslinux).  *rest, when rest is
 * not NULL, points just after kw. */
#define V2K_KW_NOCASE 1u
#define V2K_KW_EQUALS 2u
bool v2k_line_keyword(const char *line, const char *kw, unsigned flags,
                      const char **rest);

/* Number of online CPUs (at least 1). */
unsigned v2k_ncpus(void);

#endif
