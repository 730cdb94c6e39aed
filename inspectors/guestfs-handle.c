/* guestfs-handle.c - see guestfs-handle.h. */
#include "guestfs-handle.h"
#include "accel.h"
#include "appliance-watchdog.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>

guestfs_h *
v2k_guestfs_create(void)
{
    guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);

    if (g == NULL) {
        v2k_error("cannot create a libguestfs handle");
        return NULL;
    }
    guestfs_set_error_handler(g, NULL, NULL);
    /* Read LIBGUESTFS_* first, then impose what we need on top. */
    if (guestfs_parse_environment(g) == -1) {
        v2k_guestfs_error(g, "libguestfs environment");
        guestfs_close(g);
        return NULL;
    }
    if (getenv("LIBGUESTFS_BACKEND") == NULL &&
        guestfs_set_backend(g, "direct") == -1)
        goto fail;
    if (v2k_accel_get() == V2K_ACCEL_TCG) {
        char *settings[] = { "force_tcg", NULL };
        if (guestfs_set_backend_settings(g, settings) == -1)
            goto fail;
    }
    /* The appliance is a throwaway VM whose processes all act for us:
     * the kernel's Spectre/Meltdown mitigations isolate nothing worth
     * isolating there, and cost about a tenth of the time of syscall-
     * heavy guest tools (update-initramfs: 47 s instead of 52 s under
     * TCG).  Appended to LIBGUESTFS_APPEND, which stays in force. */
    {
        const char *user = guestfs_get_append(g);
        char *append = v2k_asprintf("%s%smitigations=off",
                                    user ? user : "", user ? " " : "");
        int r = append ? guestfs_set_append(g, append) : -1;
        free(append);
        if (r == -1)
            goto fail;
    }
    v2k_debug("libguestfs: backend %s, accelerator %s (%s)",
              getenv("LIBGUESTFS_BACKEND") ? getenv("LIBGUESTFS_BACKEND")
                                           : "direct",
              v2k_accel_name(v2k_accel_get()), v2k_accel_reason());
    if (v2k_log_verbose())
        guestfs_set_verbose(g, 1);
    if (v2k_log_trace())
        guestfs_set_trace(g, 1);
    /* No guest can hang us in the appliance (appliance-watchdog.h). */
    if (v2k_watchdog_attach(g) == -1) {
        guestfs_close(g);
        return NULL;
    }
    return g;

fail:
    v2k_guestfs_error(g, "libguestfs setup");
    guestfs_close(g);
    return NULL;
}

void
v2k_guestfs_error(guestfs_h *g, const char *what)
{
    const char *msg = guestfs_last_error(g);

    if (v2k_watchdog_fired(g)) {
        v2k_watchdog_error(g);
        return;
    }
    v2k_error("%s: %s", what, msg ? msg : "unknown libguestfs error");
}
