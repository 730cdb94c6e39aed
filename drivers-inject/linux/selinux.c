/* selinux.c - step "selinux": files written by the conversion have no
 * SELinux label (the appliance does not set them), and a guest that
 * boots enforcing would deny access to them.  Like virt-v2v when it
 * cannot run setfiles itself (SELinux_relabel.ml), schedule a relabel
 * at first boot: /.autorelabel, read by selinux-autorelabel (RHEL 7+,
 * Fedora) and rc.sysinit (RHEL 5/6).
 */
#include <stdbool.h>

#include "guestfile.h"
#include "linux.h"
#include "log.h"

bool
v2k_linux_selinux_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->selinux;
}

int
v2k_linux_selinux_run(struct v2k_convert_ctx *ctx)
{
    if (v2k_gf_exists(ctx->g, "/.autorelabel")) {
        v2k_debug("selinux: /.autorelabel is already there");
        return 0;
    }
    if (v2k_gf_write(ctx->g, "selinux", "/.autorelabel", "", 0) == -1)
        return -1;
    v2k_log_edit(ctx->g, "selinux", "/.autorelabel", NULL,
                 "created (relabel at first boot)");
    return 0;
}
