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
 *     -oo machine= was given).  For Windows (drivers-inject/windows/):
 *     osinfo, win_major/win_minor, the machine (pc for NT < 6, else
 *     q35), rtc_utc from RealTimeIsUniversal, and virtio devices only
 *     for the drivers it staged; whatever has no driver gets
 *     v2k_guestcaps_windows_fallback()'s devices.
 *   - With --no-convert nothing is inspected: the defaults stand, except
 *     for a Windows guest named by the source's OS hint
 *     (v2k_guestcaps_from_hint(), applied before the overrides): it has
 *     no virtio drivers, so it gets the fallback devices.
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

/* The devices a Windows guest drives without virtio-win, in one place
 * (the conversion calls it when no driver matched; --no-convert through
 * v2k_guestcaps_from_hint()).  Reads gc->machine and gc->win_major; sets:
 *   - block_bus: SATA on q35 (AHCI, in-box since Vista), IDE on pc
 *     (what NT 5.x can boot from; pc has no AHCI driver in XP/2003);
 *   - net_model: rtl8139 for NT 5.x and older (XP and 2003 have an
 *     in-box RTL8139 driver and none for the e1000), else e1000 (in-box
 *     since Vista; unknown versions are taken as modern);
 *   - no virtio rng, balloon or pvpanic (their drivers are virtio-win's).
 * RTC, machine, family and osinfo are left alone. */
void v2k_guestcaps_windows_fallback(struct v2k_guestcaps *gc);

/* --no-convert: when os_hint (struct v2k_source's: a VMX guestOS, an OVF
 * osType, a VirtualBox OSType or a libosinfo id) names Windows, make gc a
 * Windows guest without virtio drivers: family windows, osinfo and NT
 * version when the hint says them, machine pc for NT < 6 (else q35),
 * RTC in local time, and the fallback devices above.  Returns true when
 * it did; false (gc untouched) for NULL, Linux and unknown hints. */
bool v2k_guestcaps_from_hint(struct v2k_guestcaps *gc, const char *os_hint);

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
