/* linux-internal.h - pure helpers shared by the Linux steps, with no
 * libguestfs handle, so tests/drivers-inject/test-linux-map.c can test
 * them directly.
 *
 * The device map says what each source disk was called inside the guest
 * and what it is called once the output attaches it:
 *
 *   - Targets: the source's disks (device V2K_DEV_DISK) in the order the
 *     output attaches them become vda, vdb... (virtio-blk) or sda, sdb...
 *     (virtio-scsi), exactly the domain XML's names (model/disk-names.h).
 *   - Old names: the disk's target_dev when the source gives one ("xvda",
 *     "hdc", "/dev/sdb"); else from its bus: IDE -> hd<slot letter>
 *     (slot 0..3 = hda..hdd), SCSI and SATA -> sd<letter>, counting the
 *     SCSI/SATA disks in source order (how VMware's and VirtualBox's
 *     controllers enumerate), Xen -> xvd<slot letter>, virtio-blk ->
 *     vd<letter>, unknown -> sd<index>.
 *   - Aliases, so that the guest's other spellings map too: an IDE disk is
 *     also sd<n> for libata kernels (n = its rank among the disks that
 *     show up as sdX: IDE, SATA, SCSI, in source order); every disk i is
 *     also xvd<letter i> (Xen HVM guests see both hdX and xvdX, Citrix
 *     P2V writes xvd) unless an explicit name already claims it.
 *   - A name of the hd/sd/xvd/vd shape that is not in the map is mapped
 *     by its letter index (sdc -> vdc) and flagged as a guess, so the
 *     caller warns.
 *   - Anything else is left alone: UUID=, LABEL=, PARTUUID=, /dev/mapper/,
 *     /dev/disk/by-*, LVM (/dev/VG/LV), md, nvme, cciss, sr/scd/fd.
 */
#ifndef V2K_LINUX_INTERNAL_H
#define V2K_LINUX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

#include "guestcaps.h"
#include "source.h"

/* Hard cap on disks we name (26 * 27 = 702 letters "a".."zz"). */
#define V2K_LINUX_MAX_DISKS 702

struct v2k_linux_devmap_entry {
    char *from;                 /* "sda", "xvdb", "hdc" (no /dev/) */
    char *to;                   /* "vda" */
};

struct v2k_linux_devmap {
    struct v2k_linux_devmap_entry *e;
    size_t n;
    const char *target_prefix;  /* "vd" or "sd" */
};

/* Build the map for s's disks on bus, the targets being the names the
 * domain XML gives them (model/disk-names.h: vdX on virtio-blk, sdX on
 * virtio-scsi and SATA, hdX on IDE; machine only places CD-ROMs).  -1
 * with a message on ENOMEM or more than V2K_LINUX_MAX_DISKS disks. */
int v2k_linux_devmap_build(struct v2k_linux_devmap *m,
                           const struct v2k_source *s,
                           enum v2k_block_bus bus, enum v2k_machine machine);
void v2k_linux_devmap_free(struct v2k_linux_devmap *m);

/* Map one device name: "/dev/xvda1" -> "/dev/vda1", also bare "sda2"
 * (device.map, resume files).  Returns 1 and a malloc'd *out when the
 * name changes (*guessed set when it was mapped by letter index, not by
 * the map), 0 when it is left alone (*out NULL), -1 on ENOMEM. */
int v2k_linux_map_devname(const struct v2k_linux_devmap *m,
                          const char *dev, char **out, bool *guessed);

/* What v2k_linux_rewrite_cmdline changes besides device names. */
struct v2k_cmdline_opts {
    bool fix_console;           /* console=hvc0|xvc0 -> ttyS0 */
    bool fix_clock;             /* drop clock/tsc overrides (see .c) */
    bool map_root;              /* root= too (resume= always) */
};

/* Rewrite a kernel command line (space-separated arguments, no
 * quotes): root=/resume= device names through m, the console and clock
 * options.  Returns 1 and a malloc'd *out when something changed, 0
 * when not (*out NULL), -1 on ENOMEM.  *guesses (may be NULL) is
 * incremented for each device mapped by letter index. */
int v2k_linux_rewrite_cmdline(const struct v2k_linux_devmap *m,
                              const struct v2k_cmdline_opts *opts,
                              const char *cmdline, char **out,
                              unsigned *guesses);

/* Rewrite the "/dev/..." words of a line chosen by field_mask (bit i =
 * the i-th whitespace-separated word: 1 for fstab's spec, 2 for
 * crypttab's device and device.map's value) through the map; same return
 * convention as above.  Whitespace is kept as it is. */
int v2k_linux_rewrite_words(const struct v2k_linux_devmap *m,
                            const char *line, unsigned field_mask,
                            char **out, unsigned *guesses);

/* The part of a shell-style assignment line "KEY=VALUE" / KEY="VALUE"
 * / KEY='VALUE' after '=', without quotes; NULL when line does not
 * assign key.  *quote receives the quote character used ('\0' if
 * none).  Malloc'd. */
char *v2k_linux_assignment_value(const char *line, const char *key,
                                 char *quote);

/* Set key=value in a GRUB environment block of len bytes (value NULL
 * removes key); *out gets exactly len bytes, '#'-padded.  -1 with a
 * message when the block has no header or the result does not fit. */
int v2k_linux_grubenv_edit(const char *in, size_t len, const char *key,
                           const char *value, char **out);

/* List the kernel modules (basenames without .ko*) in a host copy of an
 * initramfs: concatenated newc cpio archives, the later ones possibly
 * compressed (gzip, xz, lzma, zstd, lz4, bzip2 through the host's
 * zcat/xzcat/...).  what names the image in messages.  *names is a
 * malloc'd array of malloc'd strings (*n of them). */
int v2k_linux_list_initramfs(const char *file, const char *what,
                             char ***names, size_t *n);

/* --- shared by the steps (need a conversion context) ------------------ */
struct v2k_convert_ctx;
struct v2k_kernel;

/* The initramfs step's fast path (initramfs-append.c): add the
 * modules mods[] (not built in) with their dependencies from dep (the
 * guest's modules.dep text), the guest's module index and, where the
 * image runs systemd-modules-load, a modules-load.d file, to the image
 * initrd of kernel k without regenerating it.  img_file is the host copy
 * of initrd the step made, img its listing (initrd-image.h); neither is
 * changed.  Returns 1 when done, 0 when the image does not qualify (why,
 * of whysize bytes, says why; the guest untouched), -1 with a message on
 * an error. */
struct v2k_initrd_listing;
int v2k_linux_initramfs_append(struct v2k_convert_ctx *ctx,
                               const struct v2k_kernel *k,
                               const char *initrd, const char *img_file,
                               const struct v2k_initrd_listing *img,
                               const char *dep, const char *const *mods,
                               size_t nmods, char *why, size_t whysize);

/* The map for ctx's source and bus (devices.c), logged at -v. */
int v2k_linux_ctx_devmap(const struct v2k_convert_ctx *ctx,
                         struct v2k_linux_devmap *m);

/* The kernel the steps work on: the guest's default kernel (the kernel
 * step sets it), else NULL. */
const struct v2k_kernel *
v2k_linux_chosen_kernel(const struct v2k_convert_ctx *ctx);

/* The guest's grubenv (/boot/grub2/grubenv or /boot/grub/grubenv): the
 * value of key (malloc'd; NULL when unset or no grubenv), and setting it
 * (logged; -1 with a message when there is no grubenv). */
char *v2k_linux_grubenv_get(guestfs_h *g, const char *key);
int v2k_linux_grubenv_set(guestfs_h *g, const char *step, const char *key,
                          const char *value);

#endif
