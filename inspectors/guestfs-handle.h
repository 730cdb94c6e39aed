/* guestfs-handle.h - libguestfs handles the v2kvm way.
 *
 * v2k_guestfs_create() returns a handle (owned by the caller, close with
 * guestfs_close) that uses the direct backend unless LIBGUESTFS_BACKEND
 * says otherwise, forces TCG when accel.h found that KVM cannot run a
 * guest here, boots the appliance's kernel with mitigations=off (after
 * LIBGUESTFS_APPEND), follows -v/-x, and reports errors through error.h
 * instead of printing them.  Every handle has an appliance watchdog
 * (appliance-watchdog.h: V2K_APPLIANCE_TIMEOUT bounds each call).  After
 * a failed guestfs call, v2k_guestfs_error() records "what: <libguestfs's
 * message>", or the watchdog's message when it stopped the appliance.
 */
#ifndef V2K_GUESTFS_HANDLE_H
#define V2K_GUESTFS_HANDLE_H

#include <guestfs.h>

guestfs_h *v2k_guestfs_create(void);
void v2k_guestfs_error(guestfs_h *g, const char *what);

#endif
