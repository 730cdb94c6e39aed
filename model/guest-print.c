/* inspect-print.c - --print-guest: struct v2k_guest as text or JSON.
 *
 * JSON keys (one line, every field always present, unknown = null):
 * family type distro major minor product_name arch hostname osinfo root
 * mountpoints[{mountpoint,device,fstype,size_bytes,free_bytes}]
 * firmware esp bootloader bootloader_config package_format
 * package_manager initramfs_tool
 * kernels[{version,vmlinuz,initrd,initrd_bytes,virtio[names],xen_only,
 * debug}] default_kernel (index or -1) default_kernel_version tools[] selinux
 * packages[] network[{name,tool,config,method,start}] luks_unlocked
 * windows (null, or {systemroot,system_hive,software_hive,variant,
 * edition,build,control_set,driver_database,rtc_utc,fast_startup,drives[],
 * apps[{key,name,version,publisher,uninstall,wow64}],
 * ip[{guid,adapter,dhcp,addrs[],gateways[],dns[],addrs6[],dns6[]}],
 * antivirus[]}).
 */
#include "guest.h"

#include "json.h"

static const char *const virtio_names[] = {
    "virtio_blk", "virtio_scsi", "virtio_net", "virtio_pci",
    "virtio_balloon", "virtio_console", "virtio_rng",
};

static const char *
family_name(enum v2k_os_family f)
{
    switch (f) {
    case V2K_OS_LINUX: return "linux";
    case V2K_OS_WINDOWS: return "windows";
    case V2K_OS_UNKNOWN: break;
    }
    return "unknown";
}

static const char *
str(const char *s)
{
    return s ? s : "(unknown)";
}

static void
print_list(FILE *fp, char *const *l)
{
    if (l == NULL || l[0] == NULL) {
        fputs("(none)", fp);
        return;
    }
    for (size_t i = 0; l[i]; i++)
        fprintf(fp, "%s%s", i ? " " : "", l[i]);
}

static void
print_network(const struct v2k_guest *gu, FILE *fp)
{
    fprintf(fp, "Network:%s\n", gu->nnetifs ? "" : "          none configured");
    for (size_t i = 0; i < gu->nnetifs; i++) {
        const struct v2k_guest_netif *n = &gu->netifs[i];

        fprintf(fp, "  %-14s  %s%s%s (%s, %s)\n", n->name,
                n->method ? n->method : "unknown",
                n->start ? ", " : "", n->start ? n->start : "", n->tool,
                n->config);
    }
}

/* The Windows guest's lines, after the firmware's. */
static void
print_windows(const struct v2k_guest *gu, FILE *fp)
{
    const struct v2k_win *w = gu->win;

    fprintf(fp, "System root:      %s\n", str(w->systemroot));
    fprintf(fp, "Variant:          %s\n", str(w->variant));
    fprintf(fp, "Edition:          %s\n", str(w->edition));
    fprintf(fp, "Build:            %u\n", w->build);
    fprintf(fp, "Control set:      %s\n", str(w->control_set));
    fprintf(fp, "Driver store:     %s\n", w->driver_database
            ? "DriverDatabase (Windows 8 and later)"
            : "CriticalDeviceDatabase (before Windows 8)");
    fprintf(fp, "RTC:              %s\n", w->rtc_utc ? "utc" : "localtime");
    fprintf(fp, "Fast Startup:     %s\n", w->fast_startup ? "on" : "off");
    fprintf(fp, "Drives:           ");
    print_list(fp, w->drives);
    fputc('\n', fp);
    fprintf(fp, "Hypervisor tools: ");
    print_list(fp, gu->tools);
    fputc('\n', fp);
    fprintf(fp, "Antivirus:        ");
    print_list(fp, w->antivirus);
    fputc('\n', fp);
    print_network(gu, fp);
    for (size_t i = 0; i < w->nipcfgs; i++) {
        const struct v2k_win_ipcfg *c = &w->ipcfgs[i];
        if (!c->dhcp) {
            fprintf(fp, "  %s: addresses ", c->guid);
            print_list(fp, c->addrs);
            fprintf(fp, ", gateways ");
            print_list(fp, c->gateways);
            fprintf(fp, ", DNS ");
            print_list(fp, c->dns);
            fputc('\n', fp);
        }
        if (c->addrs6) {
            fprintf(fp, "  %s: IPv6 addresses ", c->guid);
            print_list(fp, c->addrs6);
            fprintf(fp, ", DNS ");
            print_list(fp, c->dns6);
            fputc('\n', fp);
        }
    }
    fprintf(fp, "Installed:        %zu programs\n", w->napps);
    for (size_t i = 0; i < w->napps; i++)
        fprintf(fp, "  %s%s%s%s\n", w->apps[i].name,
                w->apps[i].version ? " " : "",
                w->apps[i].version ? w->apps[i].version : "",
                w->apps[i].wow64 ? " (32-bit)" : "");
}

void
v2k_guest_print(const struct v2k_guest *gu, FILE *fp)
{
    size_t np = 0;

    fprintf(fp, "Root:             %s\n", str(gu->root));
    fprintf(fp, "OS:               %s (%s)\n", str(gu->type),
            family_name(gu->family));
    fprintf(fp, "Distro:           %s %d.%d\n", str(gu->distro), gu->major,
            gu->minor);
    fprintf(fp, "Product:          %s\n", str(gu->product_name));
    fprintf(fp, "Architecture:     %s\n", str(gu->arch));
    fprintf(fp, "Hostname:         %s\n", str(gu->hostname));
    fprintf(fp, "osinfo:           %s\n", str(gu->osinfo));
    fprintf(fp, "Mountpoints:\n");
    for (size_t i = 0; i < gu->nmounts; i++)
        fprintf(fp, "  %-14s  %s (%s)\n", gu->mounts[i].mountpoint,
                gu->mounts[i].device, str(gu->mounts[i].fstype));
    fprintf(fp, "Firmware:         %s", v2k_guest_firmware_to_string(
                                            gu->firmware));
    if (gu->esp)
        fprintf(fp, " (ESP %s)", gu->esp);
    fputc('\n', fp);
    if (gu->win) {
        print_windows(gu, fp);
        return;
    }
    fprintf(fp, "Bootloader:       %s", v2k_bootloader_to_string(
                                            gu->bootloader));
    if (gu->bootloader_config)
        fprintf(fp, " (%s)", gu->bootloader_config);
    fputc('\n', fp);
    fprintf(fp, "Packages:         %s, %s\n", str(gu->package_format),
            str(gu->package_manager));
    fprintf(fp, "Initramfs tool:   %s\n",
            v2k_initramfs_tool_to_string(gu->initramfs_tool));
    fprintf(fp, "Kernels:\n");
    for (size_t i = 0; i < gu->nkernels; i++) {
        const struct v2k_kernel *k = &gu->kernels[i];
        fprintf(fp, "  %s%s%s%s\n", k->version,
                (int)i == gu->default_kernel ? " (default)" : "",
                k->xen_only ? " (xen only)" : "",
                k->debug ? " (debug)" : "");
        fprintf(fp, "    %s  initrd %s\n", k->vmlinuz, str(k->initrd));
        fprintf(fp, "    virtio:");
        if (k->virtio == 0)
            fputs(" (none)", fp);
        for (size_t b = 0; b < sizeof virtio_names / sizeof *virtio_names;
             b++)
            if (k->virtio & (1u << b))
                fprintf(fp, " %s", virtio_names[b]);
        fputc('\n', fp);
    }
    fprintf(fp, "Hypervisor tools: ");
    print_list(fp, gu->tools);
    fputc('\n', fp);
    fprintf(fp, "SELinux:          %s\n", gu->selinux ? "yes" : "no");
    print_network(gu, fp);
    while (gu->packages && gu->packages[np])
        np++;
    fprintf(fp, "Installed:        %zu packages\n", np);
}

static void
json_list(struct v2k_json *j, const char *key, char *const *l)
{
    v2k_json_key(j, key);
    v2k_json_begin_array(j);
    for (size_t i = 0; l && l[i]; i++)
        v2k_json_string(j, l[i]);
    v2k_json_end_array(j);
}

static void
json_windows(struct v2k_json *j, const struct v2k_win *w)
{
    v2k_json_key(j, "windows");
    if (w == NULL) {
        v2k_json_null(j);
        return;
    }
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "systemroot", w->systemroot);
    v2k_json_kv_string(j, "system_hive", w->system_hive);
    v2k_json_kv_string(j, "software_hive", w->software_hive);
    v2k_json_kv_string(j, "variant", w->variant);
    v2k_json_kv_string(j, "edition", w->edition);
    v2k_json_kv_uint(j, "build", w->build);
    v2k_json_kv_string(j, "control_set", w->control_set);
    v2k_json_kv_bool(j, "driver_database", w->driver_database);
    v2k_json_kv_bool(j, "rtc_utc", w->rtc_utc);
    v2k_json_kv_bool(j, "fast_startup", w->fast_startup);
    json_list(j, "drives", w->drives);
    v2k_json_key(j, "apps");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < w->napps; i++) {
        const struct v2k_win_app *a = &w->apps[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "key", a->key);
        v2k_json_kv_string(j, "name", a->name);
        v2k_json_kv_string(j, "version", a->version);
        v2k_json_kv_string(j, "publisher", a->publisher);
        v2k_json_kv_string(j, "uninstall", a->uninstall);
        v2k_json_kv_bool(j, "wow64", a->wow64);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_key(j, "ip");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < w->nipcfgs; i++) {
        const struct v2k_win_ipcfg *c = &w->ipcfgs[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "guid", c->guid);
        v2k_json_kv_string(j, "adapter", c->adapter);
        v2k_json_kv_bool(j, "dhcp", c->dhcp);
        json_list(j, "addrs", c->addrs);
        json_list(j, "gateways", c->gateways);
        json_list(j, "dns", c->dns);
        json_list(j, "addrs6", c->addrs6);
        json_list(j, "dns6", c->dns6);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    json_list(j, "antivirus", w->antivirus);
    v2k_json_end_object(j);
}

void
v2k_guest_print_json(const struct v2k_guest *gu, FILE *fp)
{
    struct v2k_json *j = v2k_json_new(fp, false);

    if (j == NULL)
        return;
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "family", family_name(gu->family));
    v2k_json_kv_string(j, "type", gu->type);
    v2k_json_kv_string(j, "distro", gu->distro);
    v2k_json_kv_int(j, "major", gu->major);
    v2k_json_kv_int(j, "minor", gu->minor);
    v2k_json_kv_string(j, "product_name", gu->product_name);
    v2k_json_kv_string(j, "arch", gu->arch);
    v2k_json_kv_string(j, "hostname", gu->hostname);
    v2k_json_kv_string(j, "osinfo", gu->osinfo);
    v2k_json_kv_string(j, "root", gu->root);
    v2k_json_key(j, "mountpoints");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < gu->nmounts; i++) {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "mountpoint", gu->mounts[i].mountpoint);
        v2k_json_kv_string(j, "device", gu->mounts[i].device);
        v2k_json_kv_string(j, "fstype", gu->mounts[i].fstype);
        v2k_json_kv_uint(j, "size_bytes", gu->mounts[i].size_bytes);
        v2k_json_kv_uint(j, "free_bytes", gu->mounts[i].free_bytes);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_kv_string(j, "firmware",
                       v2k_guest_firmware_to_string(gu->firmware));
    v2k_json_kv_string(j, "esp", gu->esp);
    v2k_json_kv_string(j, "bootloader",
                       v2k_bootloader_to_string(gu->bootloader));
    v2k_json_kv_string(j, "bootloader_config", gu->bootloader_config);
    v2k_json_kv_string(j, "package_format", gu->package_format);
    v2k_json_kv_string(j, "package_manager", gu->package_manager);
    v2k_json_kv_string(j, "initramfs_tool",
                       v2k_initramfs_tool_to_string(gu->initramfs_tool));
    v2k_json_key(j, "kernels");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < gu->nkernels; i++) {
        const struct v2k_kernel *k = &gu->kernels[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "version", k->version);
        v2k_json_kv_string(j, "vmlinuz", k->vmlinuz);
        v2k_json_kv_string(j, "initrd", k->initrd);
        v2k_json_kv_uint(j, "initrd_bytes", k->initrd_bytes);
        v2k_json_key(j, "virtio");
        v2k_json_begin_array(j);
        for (size_t b = 0; b < sizeof virtio_names / sizeof *virtio_names;
             b++)
            if (k->virtio & (1u << b))
                v2k_json_string(j, virtio_names[b]);
        v2k_json_end_array(j);
        v2k_json_kv_bool(j, "xen_only", k->xen_only);
        v2k_json_kv_bool(j, "debug", k->debug);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_kv_int(j, "default_kernel", gu->default_kernel);
    v2k_json_kv_string(j, "default_kernel_version",
                       gu->default_kernel >= 0 &&
                               (size_t)gu->default_kernel < gu->nkernels
                           ? gu->kernels[gu->default_kernel].version
                           : NULL);
    json_list(j, "tools", gu->tools);
    v2k_json_kv_bool(j, "selinux", gu->selinux);
    json_list(j, "packages", gu->packages);
    v2k_json_key(j, "network");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < gu->nnetifs; i++) {
        const struct v2k_guest_netif *n = &gu->netifs[i];

        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "name", n->name);
        v2k_json_kv_string(j, "tool", n->tool);
        v2k_json_kv_string(j, "config", n->config);
        v2k_json_kv_string(j, "method", n->method ? n->method : "unknown");
        v2k_json_kv_string(j, "start", n->start);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_kv_uint(j, "luks_unlocked", gu->nluks_unlocked);
    json_windows(j, gu->win);
    v2k_json_end_object(j);
    v2k_json_free(j);
}
