/* guestcaps.c - see guestcaps.h. */
#include "guestcaps.h"
#include "error.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void
v2k_guestcaps_defaults(struct v2k_guestcaps *gc, const struct v2k_source *s)
{
    (void)s;
    memset(gc, 0, sizeof *gc);
    gc->family = V2K_OS_UNKNOWN;
    gc->osinfo = NULL;
    gc->block_bus = V2K_BLOCK_VIRTIO_BLK;
    gc->net_model = V2K_NETM_VIRTIO;
    gc->machine = V2K_MACHINE_Q35;
    gc->virtio_1_0 = true;
    gc->virtio_rng = true;
    gc->virtio_balloon = true;
    gc->pvpanic = true;
    gc->rtc_utc = true;
}

void
v2k_guestcaps_clear(struct v2k_guestcaps *gc)
{
    free(gc->osinfo);
    memset(gc, 0, sizeof *gc);
}

bool
v2k_guestcaps_is_linux_like(const struct v2k_guestcaps *gc)
{
    return gc->family != V2K_OS_WINDOWS;
}

const char *
v2k_os_family_to_string(enum v2k_os_family v)
{
    static const char *const names[] = { "unknown", "linux", "windows" };
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "?";
}

const char *
v2k_block_bus_to_string(enum v2k_block_bus v)
{
    static const char *const names[] = { "virtio-blk", "virtio-scsi",
                                         "sata", "ide" };
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "?";
}

const char *
v2k_net_model_to_string(enum v2k_net_model v)
{
    static const char *const names[] = { "virtio", "e1000", "rtl8139" };
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "?";
}

const char *
v2k_machine_to_string(enum v2k_machine v)
{
    static const char *const names[] = { "q35", "pc" };
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "?";
}

void
v2k_guestcaps_debug(const struct v2k_guestcaps *gc)
{
    v2k_debug("guestcaps: family %s, osinfo %s, block %s, nic %s, machine %s, virtio 1.0 %s, rng %s, balloon %s, pvpanic %s, rtc %s",
              v2k_os_family_to_string(gc->family),
              gc->osinfo ? gc->osinfo : "unknown",
              v2k_block_bus_to_string(gc->block_bus),
              v2k_net_model_to_string(gc->net_model),
              v2k_machine_to_string(gc->machine),
              gc->virtio_1_0 ? "yes" : "no", gc->virtio_rng ? "yes" : "no",
              gc->virtio_balloon ? "yes" : "no", gc->pvpanic ? "yes" : "no",
              gc->rtc_utc ? "utc" : "localtime");
}
