/* registry.c - the "registry" step (windows.h): the offline edits of the
 * SYSTEM and SOFTWARE hives.
 *
 * Facts (REFERENCE-virt-v2v.md §2.3; Microsoft's documentation of
 * services keys and of the CriticalDeviceDatabase):
 *  - A boot-start driver: Services\NAME with Type 1 (kernel driver),
 *    Start 0 (boot), ErrorControl 1, Group "SCSI miniport", ImagePath
 *    system32\drivers\NAME.sys (REG_EXPAND_SZ).
 *  - The virtio PCI IDs (virtio 1.0 spec §5: legacy device ids 0x1001
 *    block, 0x1004 SCSI; modern 0x1040 + type: 0x1042 block, 0x1048
 *    SCSI); the subsystem ids are those viostor.inf and vioscsi.inf
 *    list.
 *  - Before Windows 8: <CCS>\Control\CriticalDeviceDatabase\pci#ID with
 *    Service and ClassGUID (the SCSI adapter class
 *    {4D36E97B-E325-11CE-BFC1-08002BE10318}) binds the device to the
 *    driver at boot.
 *  - Windows 8 and later: the DriverDatabase at the hive's root:
 *    DriverInfFiles\NAME.inf, DeviceIds\PCI\ID (value NAME.inf = 01 ff 00
 *    00), DriverPackages\LABEL with Version (a 48-byte blob: ff ff 09 00
 *    00 00 00 00, the class GUID, zeros), Configurations\CONF (Service,
 *    ConfigFlags) and Descriptors\PCI\ID (Configuration).  virt-v2v
 *    writes these for a package "guestor" that does not exist; here the
 *    label is the real INF's package, staged in the driver store by the
 *    drivers step (windows.c stage_package).
 *  - Xen PV: Services\rhelscsi Start 4 (disabled); Parallels: Start 4 on
 *    the prl_* drivers and prl_strg out of the disk class's
 *    LowerFilters ({4d36e967-e325-11ce-bfc1-08002be10318}).
 *  - Control\CrashControl\AutoReboot 0: a 0x7B stays on the screen.
 *  - SOFTWARE\Microsoft\Windows\CurrentVersion\DevicePath (REG_EXPAND_SZ,
 *    ';'-separated) gains %SystemRoot%\Drivers\VirtIO, where PnP looks
 *    for drivers of new devices.
 * Every value written is logged ("HIVE\KEY\VALUE: OLD -> NEW").
 */
#include "windows.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "winreg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCSI_CLASS "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
#define DISK_CLASS "{4d36e967-e325-11ce-bfc1-08002be10318}"

/* The PCI hardware ids of each block driver: legacy, then modern. */
static const char *const viostor_ids[] = {
    "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
    "VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", NULL,
};
static const char *const vioscsi_ids[] = {
    "VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
    "VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01", NULL,
};

static const char *const parallels_drivers[] = {
    "prl_boot", "prl_dd", "prl_eth5", "prl_fs", "prl_memdev", "prl_mouf",
    "prl_pv32", "prl_pv64", "prl_scsi", "prl_sound", "prl_strg", "prl_tg",
    "prl_time", "prl_uprof", "prl_va", NULL,
};

struct hive {
    guestfs_h *g;
    const char *name;           /* "HKLM\\SYSTEM" for the log */
};

static void
log_value(const struct hive *h, const char *key, const char *value,
          const char *before, const char *after)
{
    CLEANUP_FREE char *what = v2k_asprintf("%s\\%s\\%s", h->name, key,
                                           value[0] ? value : "(default)");
    if (what)
        v2k_log_edit(h->g, "registry", what, before, after);
}

static int
set_dword(const struct hive *h, const char *key, const char *value,
          uint32_t v)
{
    int64_t n = v2k_reg_mkpath(h->g, key);
    uint32_t old = 0;
    bool had;
    char b[16], a[16];

    if (n == 0)
        return -1;
    had = v2k_reg_get_dword(h->g, n, value, &old);
    if (had && old == v && v2k_reg_get_type(h->g, n, value) == V2K_REG_DWORD)
        return 0;
    if (v2k_reg_set_dword(h->g, n, value, v) == -1)
        return -1;
    snprintf(b, sizeof b, "%u", old);
    snprintf(a, sizeof a, "%u", v);
    log_value(h, key, value, had ? b : NULL, a);
    return 0;
}

static int
set_string(const struct hive *h, const char *key, const char *value,
           enum v2k_reg_type type, const char *s)
{
    int64_t n = v2k_reg_mkpath(h->g, key);
    CLEANUP_FREE char *old = NULL;

    if (n == 0)
        return -1;
    old = v2k_reg_get_string(h->g, n, value);
    if (old && strcmp(old, s) == 0 && v2k_reg_get_type(h->g, n, value) == (int)type)
        return 0;
    if (v2k_reg_set_string(h->g, n, value, type, s) == -1)
        return -1;
    log_value(h, key, value, old, s);
    return 0;
}

static int
set_multi(const struct hive *h, const char *key, const char *value,
          const char *const *list)
{
    int64_t n = v2k_reg_mkpath(h->g, key);

    if (n == 0 || v2k_reg_set_multi(h->g, n, value, list) == -1)
        return -1;
    log_value(h, key, value, NULL, list[0] ? list[0] : "(empty)");
    return 0;
}

static int
set_binary(const struct hive *h, const char *key, const char *value,
           const void *data, size_t len)
{
    int64_t n = v2k_reg_mkpath(h->g, key);

    if (n == 0 ||
        v2k_reg_set_binary(h->g, n, value, V2K_REG_BINARY, data, len) == -1)
        return -1;
    log_value(h, key, value, NULL, "(binary)");
    return 0;
}

/* Disable a driver service that is there (Start 4). */
static int
disable_service(const struct hive *h, const char *ccs, const char *svc)
{
    CLEANUP_FREE char *key = v2k_asprintf("%s\\Services\\%s", ccs, svc);

    if (key == NULL)
        return -1;
    if (v2k_reg_node(h->g, key) == 0)
        return 0;
    return set_dword(h, key, "Start", 4);
}

/* prl_strg out of the disk class's LowerFilters. */
static int
parallels_filters(const struct hive *h, const char *ccs)
{
    CLEANUP_FREE char *key = v2k_asprintf("%s\\Control\\Class\\" DISK_CLASS, ccs);
    CLEANUP_STRV char **l = NULL;
    int64_t n;
    size_t k = 0;
    bool found = false;

    if (key == NULL)
        return -1;
    if ((n = v2k_reg_node(h->g, key)) == 0 ||
        (l = v2k_reg_get_multi(h->g, n, "LowerFilters")) == NULL)
        return 0;
    for (size_t i = 0; l[i]; i++) {
        if (strcasecmp(l[i], "prl_strg") == 0) {
            free(l[i]);
            found = true;
            continue;
        }
        l[k++] = l[i];
    }
    l[k] = NULL;
    if (!found)
        return 0;
    if (v2k_reg_set_multi(h->g, n, "LowerFilters", (const char *const *)l) == -1)
        return -1;
    log_value(h, key, "LowerFilters", "... prl_strg ...", "(prl_strg removed)");
    return 0;
}

static int
boot_driver(const struct hive *h, const struct v2k_convert_ctx *ctx,
            const char *ccs, const char *drv, const char *label)
{
    const char *const *ids = strcmp(drv, "vioscsi") == 0 ? vioscsi_ids
                                                          : viostor_ids;
    CLEANUP_FREE char *svc = v2k_asprintf("%s\\Services\\%s", ccs, drv);
    CLEANUP_FREE char *img = v2k_asprintf("system32\\drivers\\%s.sys", drv);

    if (svc == NULL || img == NULL ||
        set_dword(h, svc, "Type", 1) == -1 ||
        set_dword(h, svc, "Start", 0) == -1 ||
        set_dword(h, svc, "ErrorControl", 1) == -1 ||
        set_string(h, svc, "Group", V2K_REG_SZ, "SCSI miniport") == -1 ||
        set_string(h, svc, "ImagePath", V2K_REG_EXPAND_SZ, img) == -1)
        return -1;

    if (!ctx->guest->win->driver_database) {
        /* Before Windows 8: the CriticalDeviceDatabase, one key for the
         * full id and one without the revision. */
        for (size_t i = 0; ids[i]; i++) {
            for (int full = 1; full >= 0; full--) {
                char id[128];
                snprintf(id, sizeof id, "%s", ids[i]);
                if (!full)
                    *strstr(id, "&REV_") = '\0';
                for (char *p = id; *p; p++)
                    if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
                CLEANUP_FREE char *key = v2k_asprintf(
                    "%s\\Control\\CriticalDeviceDatabase\\pci#%s", ccs, id);
                if (key == NULL ||
                    set_string(h, key, "Service", V2K_REG_SZ, drv) == -1 ||
                    set_string(h, key, "ClassGUID", V2K_REG_SZ, SCSI_CLASS) == -1)
                    return -1;
            }
        }
        return 0;
    }

    /* Windows 8 and later: the DriverDatabase, for the package staged in
     * the driver store. */
    if (label == NULL) {
        v2k_warning("registry: %s is not in the driver store (no %s.inf): only its service is registered; Windows 8 and later may not find their disk",
                    drv, drv);
        return 0;
    }
    CLEANUP_FREE char *inf = v2k_asprintf("%s.inf", drv);
    CLEANUP_FREE char *conf = v2k_asprintf("%s_conf", drv);
    CLEANUP_FREE char *infkey = v2k_asprintf("DriverDatabase\\DriverInfFiles\\%s", inf);
    CLEANUP_FREE char *pkg = v2k_asprintf("DriverDatabase\\DriverPackages\\%s", label);
    CLEANUP_FREE char *cfg = v2k_asprintf("%s\\Configurations\\%s", pkg, conf);
    /* Version: ff ff 09 00 00 00 00 00, the SCSI class GUID in Windows'
     * byte order, then the driver date and version left at zero. */
    static const unsigned char version[48] = {
        0xff, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x7b, 0xe9, 0x36, 0x4d, 0x25, 0xe3, 0xce, 0x11,
        0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18,
    };
    static const unsigned char rank[4] = { 0x01, 0xff, 0x00, 0x00 };
    const char *labels[] = { label, NULL };
    const char *confs[] = { conf, NULL };

    if (inf == NULL || conf == NULL || infkey == NULL || pkg == NULL ||
        cfg == NULL ||
        set_multi(h, infkey, "", labels) == -1 ||
        set_string(h, infkey, "Active", V2K_REG_SZ, label) == -1 ||
        set_multi(h, infkey, "Configurations", confs) == -1 ||
        set_binary(h, pkg, "Version", version, sizeof version) == -1 ||
        set_string(h, pkg, "Provider", V2K_REG_SZ, "Red Hat, Inc.") == -1 ||
        set_string(h, pkg, "SignerName", V2K_REG_SZ, "") == -1 ||
        set_dword(h, cfg, "ConfigFlags", 0) == -1 ||
        set_string(h, cfg, "Service", V2K_REG_SZ, drv) == -1)
        return -1;
    for (size_t i = 0; ids[i]; i++) {
        CLEANUP_FREE char *dev = v2k_asprintf("DriverDatabase\\DeviceIds\\PCI\\%s", ids[i]);
        CLEANUP_FREE char *desc = v2k_asprintf("%s\\Descriptors\\PCI\\%s", pkg, ids[i]);
        if (dev == NULL || desc == NULL ||
            set_binary(h, dev, inf, rank, sizeof rank) == -1 ||
            set_string(h, desc, "Configuration", V2K_REG_SZ, conf) == -1)
            return -1;
    }
    return 0;
}

/* The first-boot service (firstboot/firstboot.h). */
static int
firstboot_service(const struct hive *h, const char *ccs)
{
    CLEANUP_FREE char *svc = v2k_asprintf("%s\\Services\\v2kvm-firstboot", ccs);

    return svc == NULL ||
        set_dword(h, svc, "Type", 0x10) == -1 ||         /* own process */
        set_dword(h, svc, "Start", 2) == -1 ||           /* automatic */
        set_dword(h, svc, "ErrorControl", 1) == -1 ||
        set_string(h, svc, "ImagePath", V2K_REG_EXPAND_SZ,
                   "\"C:\\Program Files\\v2kvm\\Firstboot\\v2kvm-firstboot.exe\" service") == -1 ||
        set_string(h, svc, "DisplayName", V2K_REG_SZ,
                   "v2kvm first-boot scripts") == -1 ||
        set_string(h, svc, "Description", V2K_REG_SZ,
                   "Finishes the conversion to KVM: installs drivers and the guest agent, removes the old hypervisor's tools (log: C:\\Program Files\\v2kvm\\Firstboot\\log.txt)") == -1 ||
        set_string(h, svc, "ObjectName", V2K_REG_SZ, "LocalSystem") == -1
        ? -1 : 0;
}

bool
v2k_windows_registry_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->win != NULL;
}

int
v2k_windows_registry_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_win *w = ctx->guest->win;
    struct v2k_win_state *s = v2k_windows_state(ctx);
    struct hive sys = { ctx->g, "HKLM\\SYSTEM" };
    struct hive sw = { ctx->g, "HKLM\\SOFTWARE" };
    const char *ccs = w->control_set;

    if (s == NULL || v2k_reg_open(ctx->g, w->system_hive, true) == -1)
        return -1;
    if (disable_service(&sys, ccs, "rhelscsi") == -1)
        goto fail;
    for (size_t i = 0; parallels_drivers[i]; i++)
        if (disable_service(&sys, ccs, parallels_drivers[i]) == -1)
            goto fail;
    if (parallels_filters(&sys, ccs) == -1)
        goto fail;
    {
        CLEANUP_FREE char *cc = v2k_asprintf("%s\\Control\\CrashControl", ccs);
        if (cc == NULL || set_dword(&sys, cc, "AutoReboot", 0) == -1)
            goto fail;
    }
    if (s->sel.block_driver &&
        boot_driver(&sys, ctx, ccs, s->sel.block_driver, s->block_label) == -1)
        goto fail;
    if (v2k_windows_firstboot_available(ctx->guest) && firstboot_service(&sys, ccs) == -1)
        goto fail;
    if (v2k_reg_commit(ctx->g) == -1)
        return -1;

    if (s->virtio_dir == NULL)
        return 0;
    if (v2k_reg_open(ctx->g, w->software_hive, true) == -1)
        return -1;
    {
        const char *key = "Microsoft\\Windows\\CurrentVersion";
        const char *add = "%SystemRoot%\\Drivers\\VirtIO";
        int64_t n = v2k_reg_mkpath(ctx->g, key);
        CLEANUP_FREE char *old = n ? v2k_reg_get_string(ctx->g, n, "DevicePath") : NULL;
        CLEANUP_FREE char *nw = NULL;
        if (n == 0)
            goto fail;
        if (old == NULL || strcasestr(old, add) == NULL) {
            nw = old && old[0] ? v2k_asprintf("%s;%s", old, add)
                               : v2k_asprintf("%%SystemRoot%%\\inf;%s", add);
            if (nw == NULL ||
                set_string(&sw, key, "DevicePath", V2K_REG_EXPAND_SZ, nw) == -1)
                goto fail;
        }
    }
    return v2k_reg_commit(ctx->g);

fail:
    v2k_reg_close(ctx->g);
    return -1;
}
