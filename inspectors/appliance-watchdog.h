/* appliance-watchdog.h - no guest can hang a conversion in the appliance.
 *
 * libguestfs has no per-call timeout: a guest tool that never returns
 * (a hung update-initramfs, a filesystem the appliance's kernel spins
 * on) blocks guestfs_* forever.  v2k_watchdog_attach() gives a handle a
 * watchdog thread: from the start of guestfs_launch until the handle is
 * closed, every libguestfs call entered (GUESTFS_EVENT_ENTER) and every
 * progress report (GUESTFS_EVENT_PROGRESS) counts as progress; after
 * V2K_APPLIANCE_TIMEOUT seconds (default 600) without any, the watchdog
 * kills the appliance's qemu (SIGKILL to this process's qemu-system-*
 * children: the direct backend's appliance), and any such child that
 * appears later (checked every second), so the blocked call fails at
 * once and so does every later call on the handle.  The watchdog stops
 * itself when the handle is closed (GUESTFS_EVENT_CLOSE).
 *
 * V2K_APPLIANCE_TIMEOUT=0 disables the bound; anything but a whole
 * number of seconds from 0 to 86400 is an error at attach.
 *
 * A probe (v2k_watchdog_set_probe) stops the appliance sooner: the
 * thread calls it about once a second while the appliance runs, and
 * when it returns true (a disk's source is gone for good, so every read
 * the appliance makes will fail) the appliance is killed as above, at
 * once, without waiting for the bound.
 *
 * After the call fails, v2k_watchdog_fired() says whether the watchdog
 * stopped the appliance and v2k_watchdog_error() records the one message
 * naming the call that was running (replacing the failed call's own,
 * which only says the appliance went away).
 */
#ifndef V2K_APPLIANCE_WATCHDOG_H
#define V2K_APPLIANCE_WATCHDOG_H

#include <guestfs.h>
#include <stdbool.h>

#define V2K_APPLIANCE_TIMEOUT_DEFAULT 600    /* seconds */

/* Attach a watchdog to g (not launched yet).  0, or -1 with an error
 * recorded.  The watchdog belongs to g and goes with guestfs_close. */
int v2k_watchdog_attach(guestfs_h *g);

/* fn(arg) is called from the watchdog's thread (never with a libguestfs
 * call of ours from it: it may only read files, /proc and the like) about
 * once a second from the launch on; true stops the appliance at once.
 * arg is borrowed and must live until guestfs_close(g).  Does nothing
 * when the watchdog is off (V2K_APPLIANCE_TIMEOUT=0). */
void v2k_watchdog_set_probe(guestfs_h *g, bool (*fn)(void *arg), void *arg);

/* Whether g's watchdog stopped its appliance (for its bound or its
 * probe). */
bool v2k_watchdog_fired(guestfs_h *g);

/* Whether it was the probe that stopped it. */
bool v2k_watchdog_probe_fired(guestfs_h *g);

/* Record the watchdog's message (call only when v2k_watchdog_fired and
 * not v2k_watchdog_probe_fired: the probe's owner says why). */
void v2k_watchdog_error(guestfs_h *g);

#endif
