/* inspect-internal.h - shared by inspect.c, inspect-linux.c and
 * inspect-print.c; not part of the API.
 */
#ifndef V2K_INSPECT_INTERNAL_H
#define V2K_INSPECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "guest-read.h"         /* v2k_gf_is_file and the like */
#include "inspect.h"

/* Caps on what is read from the guest (untrusted). */
#define V2K_INSP_MAX_CONFIG (4u << 20)      /* grub.cfg, fstab, ... */
#define V2K_INSP_MAX_KERNELS 64
#define V2K_INSP_MAX_PACKAGES 100000

/* Read a small guest text file (guest-read.h): NUL-terminated, owned;
 * NULL when it is missing, not a file or larger than max (a debug line
 * says why, except for a missing file). */
char *v2k_insp_read(guestfs_h *g, const char *path, size_t max);

/* Next line of a NUL-terminated buffer: *line and *len point into it
 * (without the newline); returns false at the end.  *pos starts at 0. */
bool v2k_insp_next_line(const char *buf, size_t *pos, const char **line,
                        size_t *len);

/* The Linux part of inspection, after the root is mounted: firmware,
 * bootloader, initramfs tool, kernels, default kernel, tools, SELinux,
 * packages.  Only fails on out-of-memory. */
int v2k_inspect_linux(guestfs_h *g, struct v2k_guest *gu);

/* The Windows part, after the root is mounted: gu->win (systemroot,
 * hives, variant, edition, build, control set, drive letters, programs,
 * IP settings, RTC), hypervisor tools into gu->tools, the registry's
 * interfaces into gu->netifs.  -1 with one message when the registry
 * cannot be read. */
int v2k_inspect_windows(guestfs_h *g, struct v2k_guest *gu);

/* Firmware and ESP for any OS. */
int v2k_inspect_firmware(guestfs_h *g, struct v2k_guest *gu);

/* The installed packages' names, sorted and unique (never NULL on
 * success).  A package database that cannot be read gives an empty list
 * and a warning. */
int v2k_inspect_packages(guestfs_h *g, struct v2k_guest *gu);

/* s, or NULL (s freed) when libguestfs said "" or "unknown". */
char *v2k_insp_nonempty(char *s);

/* Append a copy of s to a NULL-terminated list (*list may be NULL). */
int v2k_insp_list_add(char ***list, size_t *n, const char *s);

#endif
