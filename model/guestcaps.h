/* guestcaps.h - what the converted guest can drive on KVM (virt-v2v's
 * "guestcaps").
 *
 * Outputs never look at the guest's OS themselves: they read struct
 * v2k_source (what the VM was) and struct v2k_guestcaps (what the guest
 * will be able to use once converted), and choose devices from these
 * alone.  The contract:
 *
 *   - The pipeline (converters/pipeline.c) fills one v2k_guestcaps per
 *     run with v2k_guestcaps_defaults(): family unknown (treated like
 *     Linux), virtio-blk and virtio-net with virtio 1.0, q35, virtio rng,
 *     balloon and pvpanic, RTC in UTC.  Then
 *     v2k_options_apply_guestcaps() (converters/options.h) applies the
 *     user's overrides (--block-driver, -oo machine=) and checks them, so
 *     the rewrite steps know which disk bus the output will use; the
 *     outputs' setup gets this early version (it must not rely on it).
 *   - The guest conversion (drivers-inject/convert.c, after inspection)
 *     then says what the converted guest can drive: family and osinfo id
 *     from inspection, and for Linux from the chosen kernel
 *     (drivers-inject/linux/kernel.c) virtio 1.0, rng, balloon, the NIC
 *     model and the machine (pc for kernels before 2.6.32, unless
 *     -oo machine= was given).  Windows guests are not converted yet, so
 *     win_major/win_minor stay 0 and block_bus, pvpanic and rtc_utc keep
 *     their defaults.  With --no-convert nothing is inspected: the
 *     defaults stand.
 *   - After the conversion the overrides are applied and checked again
 *     against what it found.
 *   - Outputs only read it; it is final when finalize is called.
 *
 * osinfo is owned (free with v2k_guestcaps_clear(), which also resets
 * the struct); everything else is plain values.
 */
#ifndef V2K_GUESTCAPS_H
#define V2K_GUESTCAPS_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"

enum v2k_os_family { V2K_OS_UNKNOWN, V2K_OS_LINUX, V2K_OS_WINDOWS };

/* How the converted disks are attached. */
enum v2k_block_bus {
    V2K_BLOCK_VIRTIO_BLK, V2K_BLOCK_VIRTIO_SCSI, V2K_BLOCK_SATA,
    V2K_BLOCK_IDE,
};

/* NIC model the guest has a driver for. */
enum v2k_net_model { V2K_NETM_VIRTIO, V2K_NETM_E1000, V2K_NETM_RTL8139 };

enum v2k_machine { V2K_MACHINE_Q35, V2K_MACHINE_PC };

struct v2k_guestcaps {
    enum v2k_os_family family;
    char *osinfo;               /* libosinfo short id ("debian12",
                                   "win2k22"), or NULL = unknown */
    unsigned win_major, win_minor;      /* Windows NT version, 0 = n/a */
    enum v2k_block_bus block_bus;
    enum v2k_net_model net_model;
    enum v2k_machine machine;
    bool virtio_1_0;            /* modern virtio; else the
                                   virtio-transitional models */
    bool virtio_rng;
    bool virtio_balloon;
    bool pvpanic;
    bool rtc_utc;               /* RTC in UTC (Linux), else localtime */
};

/* Linux-like defaults (see above); s may be used later to pick defaults
 * from the source (today it is not). */
void v2k_guestcaps_defaults(struct v2k_guestcaps *gc,
                            const struct v2k_source *s);

void v2k_guestcaps_clear(struct v2k_guestcaps *gc);

/* True when the guest is treated like Linux (Linux or unknown). */
bool v2k_guestcaps_is_linux_like(const struct v2k_guestcaps *gc);

const char *v2k_os_family_to_string(enum v2k_os_family v);
const char *v2k_block_bus_to_string(enum v2k_block_bus v);
const char *v2k_net_model_to_string(enum v2k_net_model v);
const char *v2k_machine_to_string(enum v2k_machine v);

/* For -v: one line. */
void v2k_guestcaps_debug(const struct v2k_guestcaps *gc);

#endif
