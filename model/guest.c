/* guest.c - see guest.h: the guest description's enums, lookups and
 * destructor (printing is in guest-print.c). */
#include "guest.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *
v2k_bootloader_to_string(enum v2k_bootloader v)
{
    switch (v) {
    case V2K_BOOT_GRUB2: return "grub2";
    case V2K_BOOT_GRUB_LEGACY: return "grub-legacy";
    case V2K_BOOT_EXTLINUX: return "extlinux";
    case V2K_BOOT_SYSTEMD_BOOT: return "systemd-boot";
    case V2K_BOOT_UNKNOWN: break;
    }
    return "unknown";
}

const char *
v2k_initramfs_tool_to_string(enum v2k_initramfs_tool v)
{
    switch (v) {
    case V2K_INITRD_DRACUT: return "dracut";
    case V2K_INITRD_INITRAMFS_TOOLS: return "initramfs-tools";
    case V2K_INITRD_MKINITRD: return "mkinitrd";
    case V2K_INITRD_MKINITCPIO: return "mkinitcpio";
    case V2K_INITRD_UNKNOWN: break;
    }
    return "unknown";
}

const char *
v2k_guest_firmware_to_string(enum v2k_guest_firmware v)
{
    switch (v) {
    case V2K_GFW_BIOS: return "bios";
    case V2K_GFW_UEFI: return "uefi";
    case V2K_GFW_UNKNOWN: break;
    }
    return "unknown";
}

bool
v2k_guest_has_package(const struct v2k_guest *guest, const char *name)
{
    for (char **p = guest ? guest->packages : NULL; p && *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

bool
v2k_guest_has_tool(const struct v2k_guest *guest, const char *name)
{
    for (char **p = guest ? guest->tools : NULL; p && *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

void
v2k_guest_free(struct v2k_guest *gu)
{
    if (gu == NULL)
        return;
    free(gu->type);
    free(gu->distro);
    free(gu->product_name);
    free(gu->arch);
    free(gu->hostname);
    free(gu->osinfo);
    free(gu->root);
    for (size_t i = 0; i < gu->nmounts; i++) {
        free(gu->mounts[i].mountpoint);
        free(gu->mounts[i].device);
        free(gu->mounts[i].fstype);
    }
    free(gu->mounts);
    free(gu->esp);
    free(gu->bootloader_config);
    free(gu->package_format);
    free(gu->package_manager);
    for (size_t i = 0; i < gu->nkernels; i++) {
        free(gu->kernels[i].version);
        free(gu->kernels[i].vmlinuz);
        free(gu->kernels[i].initrd);
    }
    free(gu->kernels);
    v2k_strv_free(gu->tools);
    v2k_strv_free(gu->packages);
    for (size_t i = 0; i < gu->nnetifs; i++) {
        free(gu->netifs[i].name);
        free(gu->netifs[i].tool);
        free(gu->netifs[i].config);
        free(gu->netifs[i].method);
        free(gu->netifs[i].start);
    }
    free(gu->netifs);
    v2k_win_free(gu->win);
    free(gu);
}

void
v2k_win_free(struct v2k_win *w)
{
    if (w == NULL)
        return;
    free(w->systemroot);
    free(w->system_hive);
    free(w->software_hive);
    free(w->variant);
    free(w->edition);
    free(w->control_set);
    v2k_strv_free(w->drives);
    for (size_t i = 0; i < w->napps; i++) {
        free(w->apps[i].key);
        free(w->apps[i].name);
        free(w->apps[i].version);
        free(w->apps[i].publisher);
        free(w->apps[i].uninstall);
    }
    free(w->apps);
    for (size_t i = 0; i < w->nipcfgs; i++) {
        free(w->ipcfgs[i].guid);
        free(w->ipcfgs[i].adapter);
        v2k_strv_free(w->ipcfgs[i].addrs);
        v2k_strv_free(w->ipcfgs[i].gateways);
        v2k_strv_free(w->ipcfgs[i].dns);
        v2k_strv_free(w->ipcfgs[i].addrs6);
        v2k_strv_free(w->ipcfgs[i].dns6);
    }
    free(w->ipcfgs);
    v2k_strv_free(w->antivirus);
    free(w);
}

/* *field = strdup(v) when *field is NULL and v is not; -1 on ENOMEM. */
static int
fill(char **field, const char *v)
{
    if (*field || !v)
        return 0;
    return (*field = strdup(v)) ? 0 : -1;
}

int
v2k_guest_add_netif(struct v2k_guest *gu, const char *name,
                    const char *tool, const char *config,
                    const char *method, const char *start)
{
    struct v2k_guest_netif *n = NULL;

    for (size_t i = 0; i < gu->nnetifs; i++)
        if (strcmp(gu->netifs[i].name, name) == 0 &&
            strcmp(gu->netifs[i].tool, tool) == 0)
            n = &gu->netifs[i];
    if (!n) {
        if (gu->nnetifs == V2K_GUEST_MAX_NETIFS)
            return 0;
        n = realloc(gu->netifs, (gu->nnetifs + 1) * sizeof *n);
        if (!n)
            return -1;
        gu->netifs = n;
        n = &n[gu->nnetifs++];
        memset(n, 0, sizeof *n);
    }
    if (fill(&n->name, name) == -1 || fill(&n->tool, tool) == -1 ||
        fill(&n->config, config) == -1)
        return -1;
    /* a later "unknown" does not hide what an earlier line said */
    if (method && n->method && strcmp(n->method, "unknown") == 0) {
        free(n->method);
        n->method = NULL;
    }
    if (fill(&n->method, method) == -1 || fill(&n->start, start) == -1)
        return -1;
    return 0;
}
