/* xorg-internal.h - a small xorg.conf reader and the "xorg" step's
 * rewrite, as pure functions (no libguestfs handle) so that
 * tests/drivers-inject/test-linux-xorg.c tests them directly.
 *
 * The syntax (xorg.conf(5)): one directive per line, a keyword followed
 * by arguments; arguments are quoted strings ("..." with no escapes: a
 * string ends at the next double quote) or bare words/numbers; '#'
 * outside a string starts a comment.  Keywords are case-insensitive.
 * Directives are grouped in Section "NAME" ... EndSection, with
 * SubSection ... EndSubSection inside (Screen's Display).
 *
 * The rewrite (what a KVM guest needs; virt-v2v's configure_display_driver
 * sets every Device's driver to modesetting and drops VendorName and
 * BoardName, which name the old card):
 *   - Section "Device": a Driver that only works on the old hardware
 *     (vmware, vmvga, vboxvideo, xen*, cirrus, nvidia, ...: anything but
 *     modesetting, fbdev and vesa, which work on every KVM display) ->
 *     "modesetting"; VendorName and BoardName lines of that section are
 *     removed.
 *   - Section "InputDevice" whose Driver is a hypervisor mouse (vmmouse,
 *     vboxmouse): the whole section is removed, and ServerLayout lines
 *     `InputDevice "ID" ...` naming its Identifier too (identifiers
 *     compare like the server's xf86nameCompare: case, blanks and '_'
 *     ignored).
 * Everything else (comments, indentation, other sections) is kept byte
 * for byte; a changed line keeps its indentation and trailing comment.
 */
#ifndef V2K_XORG_INTERNAL_H
#define V2K_XORG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The longest line the reader accepts (xorg.conf lines are short); a
 * longer one is an error (the file is left alone). */
#define V2K_XORG_MAX_LINE 4096

enum v2k_xorg_tok_kind { V2K_XORG_WORD, V2K_XORG_STRING };

/* One token of a line: [start, start+len) of the line; for a string the
 * span is inside the quotes (and unterminated says the closing quote was
 * missing). */
struct v2k_xorg_tok {
    enum v2k_xorg_tok_kind kind;
    size_t start, len;
    bool unterminated;
};

/* Split one line (len bytes, no newline) into at most max tokens,
 * stopping at a '#' outside a string.  Returns the number of tokens
 * found (possibly more than max: only max are stored). */
size_t v2k_xorg_tokenize(const char *line, size_t len,
                         struct v2k_xorg_tok *toks, size_t max);

/* Compare two names like the X server (xf86nameCompare): ASCII case,
 * ' ', '\t' and '_' ignored.  0 when equal. */
int v2k_xorg_name_cmp(const char *a, size_t alen, const char *b,
                      size_t blen);

/* True when a Device driver must be replaced (see above). */
bool v2k_xorg_driver_is_foreign(const char *driver);

/* True when an InputDevice driver is a hypervisor's mouse. */
bool v2k_xorg_input_is_hypervisor(const char *driver);

/* Called for each change: lineno is 1-based in the input; before is the
 * old line (or a summary of a removed section), after the new line or
 * NULL when removed.  Both borrowed for the call. */
typedef void (*v2k_xorg_log_fn)(unsigned lineno, const char *before,
                                const char *after, void *opaque);

/* Rewrite a whole xorg.conf text (len bytes, need not be
 * NUL-terminated); foreign Device drivers become new_driver
 * ("modesetting", or "vesa" for a guest whose X server has no
 * modesetting driver).  Returns 0 with a malloc'd NUL-terminated *out
 * (*outlen its length) and *nchanged the number of changes (0: *out is
 * a copy of the input), or -1 with one message (a line longer than
 * V2K_XORG_MAX_LINE, out of memory).  log may be NULL. */
int v2k_xorg_rewrite(const char *text, size_t len, const char *new_driver,
                     v2k_xorg_log_fn log, void *opaque, char **out,
                     size_t *outlen, unsigned *nchanged);

#endif
