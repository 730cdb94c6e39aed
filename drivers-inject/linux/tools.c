/* tools.c - step "tools": remove the old hypervisor's guest tools.
 *
 * Four tool sets (VMware Tools, VirtualBox Guest Additions, Xen guest
 * utilities, Hyper-V daemons), each removed the same way:
 *   1. its packages, with the guest's own package database tool run
 *      inside the guest (dpkg --purge / rpm -e --nodeps): never apt, yum
 *      or zypper, which may want a network the appliance does not have;
 *   2. the tarball installer's uninstaller when there is one
 *      (/usr/bin/vmware-uninstall-tools.pl, /opt/VBoxGuestAdditions-* /
 *      uninstall.sh), after the packages like virt-v2v: VirtualBox's
 *      script restores config files it saved at install time;
 *   3. whatever of the set's known files is still there (all of them
 *      when a package tool or an uninstaller is missing or failed: a
 *      warning says so).  Every removal is logged.
 * Then the module load lists stop naming the removed modules (modules,
 * modules-load.d, modprobe aliases, SUSE's INITRD_MODULES), depmod runs
 * for the kernels whose modules went, and the getty lines that Citrix's
 * tools commented out in /etc/inittab come back.
 *
 * Not done (as virt-v2v): qemu-guest-agent is not installed (no network
 * in the appliance); open-vm-tools stays on Ubuntu when ubuntu-server,
 * which depends on it, is installed (harmless: its service only starts
 * on VMware).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "linux.h"
#include "log.h"
#include "tools-internal.h"
#include "util.h"

#define STEP "tools"

/* ---- pure helpers (tools-internal.h) ------------------------------- */

static bool
modname_eq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char ca = a[i] == '-' ? '_' : a[i];
        char cb = b[i] == '-' ? '_' : b[i];

        if (ca != cb)
            return false;
    }
    return true;
}

bool
v2k_hv_is_module(const char *name, size_t len)
{
    static const char *const mods[] = {
        /* VMware Tools tarball (KB 340, the "vmware-config-tools.pl"
         * modules) */
        "vmxnet", "vmhgfs", "vmmemctl", "vmblock", "vmsync", "vmci", "vsock",
        /* VirtualBox Guest Additions */
        "vboxguest", "vboxsf", "vboxvideo", "vboxadd", "vboxvfs",
        /* Xen PV drivers of RHEL 5 / SLES 10-11 kernels */
        "xenblk", "xennet", "xen_vnif", "xen_vbd",
    };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(mods); i++)
        if (modname_eq(name, len, mods[i]))
            return true;
    return false;
}

/* Words of a line: [start, end) spans, at most max. */
struct word {
    size_t start, len;
};

static size_t
split_words(const char *line, struct word *w, size_t max)
{
    size_t n = 0, i = 0;

    while (line[i] && n < max) {
        while (line[i] == ' ' || line[i] == '\t')
            i++;
        if (!line[i])
            break;
        w[n].start = i;
        while (line[i] && line[i] != ' ' && line[i] != '\t')
            i++;
        w[n].len = i - w[n].start;
        n++;
    }
    return n;
}

static bool
word_is(const char *line, const struct word *w, const char *s)
{
    return w->len == strlen(s) && strncmp(line + w->start, s, w->len) == 0;
}

char *
v2k_hv_modules_line(const char *line, bool *drop, void *opaque)
{
    struct word w[1];

    (void)opaque;
    if (split_words(line, w, 1) == 1 && line[w[0].start] != '#' &&
        line[w[0].start] != ';' &&
        v2k_hv_is_module(line + w[0].start, w[0].len))
        *drop = true;
    return NULL;
}

/* line with the word w replaced by repl. */
static char *
replace_word(const char *line, const struct word *w, const char *repl)
{
    char *s = v2k_asprintf("%.*s%s%s", (int)w->start, line, repl,
                           line + w->start + w->len);
    if (!s)
        v2k_error_clear();      /* keep the line (tools-internal.h) */
    return s;
}

char *
v2k_hv_modprobe_line(const char *line, bool *drop, void *opaque)
{
    struct v2k_hv_modprobe *mp = opaque;
    struct word w[3];
    size_t n = split_words(line, w, 3);

    if (n < 2 || line[w[0].start] == '#')
        return NULL;
    if (word_is(line, &w[0], "alias") && n == 3) {
        const char *name = line + w[1].start;
        const char *mod = line + w[2].start;

        if (w[1].len >= 16 && strncmp(name, "scsi_hostadapter", 16) == 0) {
            if (mp->blk_module && !mp->hostadapter_seen) {
                mp->hostadapter_seen = true;
                if (word_is(line, &w[2], mp->blk_module))
                    return NULL;
                return replace_word(line, &w[2], mp->blk_module);
            }
            *drop = true;
            return NULL;
        }
        if (w[1].len > 3 && strncmp(name, "eth", 3) == 0 &&
            strspn(name + 3, "0123456789") == w[1].len - 3) {
            if (word_is(line, &w[2], mp->net_module))
                return NULL;
            return replace_word(line, &w[2], mp->net_module);
        }
        if (v2k_hv_is_module(mod, w[2].len))
            *drop = true;
        return NULL;
    }
    if ((word_is(line, &w[0], "options") || word_is(line, &w[0], "install") ||
         word_is(line, &w[0], "remove") || word_is(line, &w[0], "softdep")) &&
        v2k_hv_is_module(line + w[1].start, w[1].len))
        *drop = true;
    return NULL;
}

char *
v2k_hv_sysconfig_kernel_line(const char *line, bool *drop, void *opaque)
{
    static const char *const keys[] = { "INITRD_MODULES=",
                                        "DOMU_INITRD_MODULES=" };
    const char *p = line + strspn(line, " \t");
    const char *v = NULL, *end;
    char quote = '\0';
    char *out, *o;
    bool changed = false;

    (void)drop;
    (void)opaque;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(keys); i++)
        if (strncmp(p, keys[i], strlen(keys[i])) == 0)
            v = p + strlen(keys[i]);
    if (!v)
        return NULL;
    if (*v == '"' || *v == '\'')
        quote = *v++;
    end = quote ? strchr(v, quote) : v + strcspn(v, " \t#");
    if (!end)
        return NULL;            /* an unterminated value: leave it */

    /* Rebuild the value without the hypervisor modules, keeping the
     * words' order and the line's prefix and suffix. */
    out = malloc(strlen(line) + 1);
    if (!out)
        return NULL;
    o = out + (v - line);
    memcpy(out, line, (size_t)(v - line));
    for (const char *q = v; q < end;) {
        size_t sp = strspn(q, " \t"), len;

        q += sp;
        len = strcspn(q, " \t");
        if ((size_t)(end - q) < len)
            len = (size_t)(end - q);
        if (len == 0)
            break;
        if (v2k_hv_is_module(q, len))
            changed = true;
        else {
            if (o != out + (v - line))
                *o++ = ' ';
            memcpy(o, q, len);
            o += len;
        }
        q += len;
    }
    if (!changed) {
        free(out);
        return NULL;
    }
    memcpy(o, end, strlen(end) + 1);    /* the closing quote, the rest */
    return out;
}

char *
v2k_hv_inittab_line(const char *line, bool *drop, void *opaque)
{
    /* #id:runlevels:action:process */
    const char *id = line + 1, *rl, *action, *process;
    char *out;

    (void)drop;
    (void)opaque;
    if (line[0] != '#' || !(rl = strchr(id, ':')) ||
        !(action = strchr(rl + 1, ':')) ||
        !(process = strchr(action + 1, ':')))
        return NULL;
    if (rl - id < 1 || rl - id > 4 || memchr(id, ' ', (size_t)(rl - id)) ||
        strncmp(action + 1, "respawn:", 8) != 0 || !strstr(process, "getty"))
        return NULL;
    out = strdup(id);
    return out;
}

bool
v2k_hv_package(const char *name, int *set)
{
    static const struct { int set; const char *pattern; } pkgs[] = {
        { 0, "open-vm-tools" }, { 0, "open-vm-tools-*" },
        { 0, "open-vm-toolbox" }, { 0, "vmware-tools*" },
        { 0, "VMwareTools*" }, { 0, "kmod-vmware-tools*" },
        { 1, "virtualbox-guest-*" }, { 1, "virtualbox-ose-guest-*" },
        { 1, "VirtualBox-guest-*" },
        { 2, "xe-guest-utilities*" }, { 2, "xenstore-utils" },
        { 2, "xen-tools-domU" }, { 2, "kmod-xenpv*" }, { 2, "xen-kmp-*" },
        { 3, "hyperv-daemons*" }, { 3, "hypervkvpd" }, { 3, "hypervvssd" },
        { 3, "hypervfcopyd" }, { 3, "hyperv-tools" },
        { 3, "hv-kvp-daemon-init" },
    };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(pkgs); i++)
        if (fnmatch(pkgs[i].pattern, name, 0) == 0) {
            *set = pkgs[i].set;
            return true;
        }
    return false;
}

char *
v2k_hv_shebang(const char *text)
{
    size_t len;

    if (strncmp(text, "#!", 2) != 0)
        return NULL;
    text += 2;
    text += strspn(text, " \t");
    len = strcspn(text, " \t\r\n");
    return len ? strndup(text, len) : NULL;
}

/* ---- the step -------------------------------------------------------- */

enum { SET_VMWARE, SET_VBOX, SET_XEN, SET_HYPERV, NSETS };

struct toolset {
    const char *name;
    const char *const *files;   /* globs, NULL-terminated */
};

static const char *const vmware_files[] = {
    "/etc/vmware-tools", "/etc/init.d/vmware-tools",
    "/etc/rc.d/init.d/vmware-tools",
    "/etc/rc[0-6S].d/[SK][0-9][0-9]vmware-tools",
    "/etc/rc.d/rc[0-6].d/[SK][0-9][0-9]vmware-tools",
    "/usr/lib/vmware-tools", "/usr/bin/vmware-uninstall-tools.pl",
    "/usr/bin/vmware-config-tools.pl", "/usr/bin/vmware-toolbox-cmd",
    "/usr/bin/vmware-user", "/usr/bin/vmware-user-suid-wrapper",
    "/usr/bin/vmtoolsd", "/usr/sbin/vmware-guestd",
    "/lib/modules/*/misc/vmxnet.ko", "/lib/modules/*/misc/vmhgfs.ko",
    "/lib/modules/*/misc/vmmemctl.ko", "/lib/modules/*/misc/vmblock.ko",
    "/lib/modules/*/misc/vsock.ko", "/lib/modules/*/misc/vmci.ko",
    "/lib/modules/*/misc/vmsync.ko",
    "/etc/systemd/system/*.wants/vmtoolsd.service",
    "/etc/systemd/system/*.wants/open-vm-tools.service",
    "/etc/systemd/system/*.wants/vgauth.service",
    "/etc/systemd/system/*.wants/vmware-tools.service",
    "/etc/udev/rules.d/99-vmware-scsi-udev.rules",
    NULL,
};

static const char *const vbox_files[] = {
    "/opt/VBoxGuestAdditions-*", "/var/lib/VBoxGuestAdditions",
    "/etc/init.d/vboxadd", "/etc/init.d/vboxadd-service",
    "/etc/init.d/vboxadd-x11",
    "/etc/rc[0-6S].d/[SK][0-9][0-9]vboxadd*",
    "/etc/rc.d/rc[0-6].d/[SK][0-9][0-9]vboxadd*",
    "/etc/systemd/system/*.wants/vboxadd.service",
    "/etc/systemd/system/*.wants/vboxadd-service.service",
    "/lib/systemd/system/vboxadd.service",
    "/lib/systemd/system/vboxadd-service.service",
    "/usr/lib/systemd/system/vboxadd.service",
    "/usr/lib/systemd/system/vboxadd-service.service",
    "/usr/sbin/VBoxService", "/usr/sbin/rcvboxadd",
    "/usr/sbin/rcvboxadd-service", "/usr/bin/VBoxClient",
    "/usr/bin/VBoxClient-all", "/usr/bin/VBoxControl",
    "/usr/bin/VBoxDRMClient", "/sbin/mount.vboxsf",
    "/usr/sbin/mount.vboxsf",
    "/lib/modules/*/misc/vboxguest.ko", "/lib/modules/*/misc/vboxsf.ko",
    "/lib/modules/*/misc/vboxvideo.ko",
    "/etc/udev/rules.d/60-vboxadd.rules",
    "/etc/xdg/autostart/vboxclient.desktop",
    NULL,
};

static const char *const xen_files[] = {
    "/usr/sbin/xe-daemon", "/usr/sbin/xe-linux-distribution",
    "/usr/sbin/xe-update-guest-attrs",
    "/etc/init.d/xe-linux-distribution",
    "/etc/rc[0-6S].d/[SK][0-9][0-9]xe-linux-distribution",
    "/etc/rc.d/rc[0-6].d/[SK][0-9][0-9]xe-linux-distribution",
    "/etc/systemd/system/*.wants/xe-linux-distribution.service",
    "/lib/systemd/system/xe-linux-distribution.service",
    "/usr/lib/systemd/system/xe-linux-distribution.service",
    "/etc/udev/rules.d/z10-xen-vcpu-hotplug.rules",
    "/etc/udev/rules.d/z10_xen-vcpu-hotplug.rules",
    "/var/cache/xe-linux-distribution",
    NULL,
};

static const char *const hyperv_files[] = {
    "/usr/sbin/hv_kvp_daemon", "/usr/sbin/hv_vss_daemon",
    "/usr/sbin/hv_fcopy_daemon", "/usr/sbin/hypervkvpd",
    "/usr/sbin/hypervvssd", "/usr/sbin/hypervfcopyd",
    "/etc/systemd/system/*.wants/hypervkvpd.service",
    "/etc/systemd/system/*.wants/hypervvssd.service",
    "/etc/systemd/system/*.wants/hypervfcopyd.service",
    NULL,
};

static const struct toolset sets[NSETS] = {
    [SET_VMWARE] = { "VMware Tools", vmware_files },
    [SET_VBOX] = { "VirtualBox Guest Additions", vbox_files },
    [SET_XEN] = { "Xen guest utilities", xen_files },
    [SET_HYPERV] = { "Hyper-V daemons", hyperv_files },
};

/* What the step found and did, for its later parts. */
struct tools_run {
    struct v2k_convert_ctx *ctx;
    bool keep_vmware_pkg;       /* Ubuntu + ubuntu-server */
    bool xen_found;
    char **kernels_touched;     /* versions whose misc/ lost a module */
    size_t nkernels_touched;
};

static bool
pkg_name_ok(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                           "VWXYZ0123456789.+-_:~") == strlen(s);
}

static bool
path_ok(const char *s)
{
    return *s == '/' &&
           strspn(s, "/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.+-_") == strlen(s);
}

static const char *
first_file(guestfs_h *g, const char *const *paths)
{
    for (; *paths; paths++)
        if (v2k_gf_is_file(g, *paths))
            return *paths;
    return NULL;
}

/* Remove the set's packages with dpkg or rpm; -1 only on ENOMEM.  Sets
 * *failed when they are still there (tool missing or failed). */
static int
remove_packages(struct tools_run *tr, int set, bool *failed)
{
    static const char *const dpkg[] = { "/usr/bin/dpkg", "/bin/dpkg", NULL };
    static const char *const rpm[] = { "/usr/bin/rpm", "/bin/rpm", NULL };
    const struct v2k_guest *gu = tr->ctx->guest;
    CLEANUP_FREE char *list = NULL;
    CLEANUP_FREE char *cmd = NULL;
    const char *fmt = gu->package_format ? gu->package_format : "";
    const char *tool;
    size_t len = 0;
    char *out;

    *failed = false;
    for (char **p = gu->packages; *p; p++) {
        int s;
        char *nl;

        if (!v2k_hv_package(*p, &s) || s != set)
            continue;
        if (set == SET_VMWARE && tr->keep_vmware_pkg &&
            strcmp(*p, "open-vm-tools") == 0) {
            v2k_msg("%s: keeping package open-vm-tools: ubuntu-server depends on it (it only runs on VMware)", STEP);
            continue;
        }
        if (!pkg_name_ok(*p)) {
            v2k_warning("%s: package name '%s' has unexpected characters; not removed", STEP, *p);
            continue;
        }
        nl = v2k_asprintf("%s %s", list ? list : "", *p);
        if (!nl)
            return -1;
        free(list);
        list = nl;
        len++;
    }
    if (len == 0)
        return 0;

    if (strcmp(fmt, "deb") == 0)
        tool = first_file(tr->ctx->g, dpkg);
    else if (strcmp(fmt, "rpm") == 0)
        tool = first_file(tr->ctx->g, rpm);
    else {
        v2k_warning("%s: cannot remove packages%s: unknown package format '%s'; deleting the %s files instead", STEP, list, fmt,
                    sets[set].name);
        *failed = true;
        return 0;
    }
    if (!tool) {
        v2k_warning("%s: cannot remove packages%s: the guest has no %s (%s); deleting the %s files instead", STEP, list,
                    strcmp(fmt, "deb") == 0 ? "dpkg" : "rpm",
                    strcmp(fmt, "deb") == 0 ? dpkg[0] : rpm[0],
                    sets[set].name);
        *failed = true;
        return 0;
    }
    if (strcmp(fmt, "deb") == 0)
        cmd = v2k_asprintf("DEBIAN_FRONTEND=noninteractive %s --purge%s "
                           "</dev/null", tool, list);
    else
        cmd = v2k_asprintf("%s -e --nodeps --allmatches%s </dev/null", tool,
                           list);
    if (!cmd)
        return -1;
    out = v2k_gf_sh(tr->ctx->g, STEP, cmd);
    if (!out) {
        v2k_warning("%s; deleting the %s files instead", v2k_error_message(),
                    sets[set].name);
        *failed = true;
        return 0;
    }
    free(out);
    v2k_log_edit(tr->ctx->g, STEP, list + 1, NULL, strcmp(fmt, "deb") == 0 ?
                 "packages removed (dpkg --purge)" :
                 "packages removed (rpm -e --nodeps)");
    return 0;
}

/* Run an uninstall script inside the guest through its own "#!"
 * interpreter.  Returns 1 when it ran and succeeded, 0 when not (with a
 * warning), -1 on ENOMEM. */
static int
run_uninstaller(struct tools_run *tr, const char *script, const char *env,
                const char *what)
{
    guestfs_h *g = tr->ctx->g;
    CLEANUP_FREE char *text = NULL;
    CLEANUP_FREE char *interp = NULL;
    CLEANUP_FREE char *cmd = NULL;
    char *out;

    if (!path_ok(script)) {
        v2k_warning("%s: %s: unexpected characters in the path; not run, deleting the %s files instead", STEP, script, what);
        return 0;
    }
    text = v2k_gf_read(g, STEP, script, NULL);
    if (!text) {
        v2k_warning("%s; deleting the %s files instead", v2k_error_message(),
                    what);
        return 0;
    }
    interp = v2k_hv_shebang(text);
    if (interp && (!path_ok(interp) || !v2k_gf_is_file(g, interp))) {
        v2k_warning("%s: %s needs %s, which the guest does not have; deleting the %s files instead", STEP, script, interp,
                    what);
        return 0;
    }
    cmd = v2k_asprintf("%s%s%s %s </dev/null", env ? env : "",
                       env ? " " : "", interp ? interp : "/bin/sh", script);
    if (!cmd)
        return -1;
    out = v2k_gf_sh(g, STEP, cmd);
    if (!out) {
        v2k_warning("%s: the %s uninstaller failed (%s); deleting its files instead", STEP, what, v2k_error_message());
        return 0;
    }
    free(out);
    v2k_log_edit(tr->ctx->g, STEP, script, NULL, "ran the uninstaller");
    return 1;
}

/* The tarball uninstaller does not rebuild every ramdisk when these
 * answers are in its locations database (virt-v2v's unconfigure_vmware):
 * the initramfs step rebuilds the one that matters. */
static int
vmware_uninstall(struct tools_run *tr)
{
    static const char locations[] = "/etc/vmware-tools/locations";
    static const char answers[] = "remove_answer RESTORE_RAMDISK_CMD\n"
                                  "remove_answer RESTORE_RAMDISK_KERNELS\n"
                                  "remove_answer RESTORE_RAMDISK_ONECALL\n";
    static const char script[] = "/usr/bin/vmware-uninstall-tools.pl";
    guestfs_h *g = tr->ctx->g;
    const struct v2k_guest *gu = tr->ctx->guest;
    CLEANUP_FREE char *env = NULL;

    if (!v2k_gf_is_file(g, script))
        return 0;
    if (v2k_gf_is_file(g, locations)) {
        size_t len;
        CLEANUP_FREE char *loc = v2k_gf_read(g, STEP, locations, &len);
        CLEANUP_FREE char *nl = NULL;

        if (!loc)
            return -1;
        nl = v2k_asprintf("%s%s%s", loc,
                          len && loc[len - 1] != '\n' ? "\n" : "", answers);
        if (!nl || v2k_gf_write(g, STEP, locations, nl, strlen(nl)) == -1)
            return -1;
        v2k_log_edit(tr->ctx->g, STEP, locations, "", "remove_answer RESTORE_RAMDISK_*");
    }
    /* On SUSE the script asks for the root device (virt-v2v). */
    if (gu->distro && (strncmp(gu->distro, "sles", 4) == 0 ||
                       strncmp(gu->distro, "suse", 4) == 0 ||
                       strncmp(gu->distro, "opensuse", 8) == 0) &&
        gu->root && strspn(gu->root, "/abcdefghijklmnopqrstuvwxyz0123456789"
                                     "-_") == strlen(gu->root)) {
        env = v2k_asprintf("rootdev=%s", gu->root);
        if (!env)
            return -1;
    }
    return run_uninstaller(tr, script, env, sets[SET_VMWARE].name) == -1 ?
           -1 : 0;
}

static int
vbox_uninstall(struct tools_run *tr)
{
    guestfs_h *g = tr->ctx->g;
    CLEANUP_FREE char *dir = NULL;
    CLEANUP_FREE char *script = NULL;

    /* The installer records where it went. */
    if (v2k_gf_is_file(g, "/var/lib/VBoxGuestAdditions/config")) {
        CLEANUP_FREE char *cfg = v2k_gf_read(g, STEP,
                                             "/var/lib/VBoxGuestAdditions/"
                                             "config", NULL);
        for (char *l = cfg; l && *l;) {
            char *nl = strchr(l, '\n');

            if (nl)
                *nl = '\0';
            if (strncmp(l, "INSTALL_DIR=", 12) == 0) {
                char *v = l + 12;
                size_t n = strlen(v);

                if (n >= 2 && (*v == '\'' || *v == '"') && v[n - 1] == *v) {
                    v[n - 1] = '\0';
                    v++;
                }
                free(dir);
                dir = strdup(v);
            }
            l = nl ? nl + 1 : l + strlen(l);
        }
    }
    if (dir && *dir == '/') {
        script = v2k_asprintf("%s/uninstall.sh", dir);
        if (!script)
            return -1;
        if (!v2k_gf_is_file(g, script)) {
            free(script);
            script = NULL;
        }
    }
    if (!script) {
        char **m = v2k_gf_glob(g, STEP, "/opt/VBoxGuestAdditions-*/"
                                        "uninstall.sh");
        if (!m)
            return -1;
        if (m[0])
            script = strdup(m[0]);
        v2k_gf_strv_free(m);
    }
    if (!script)
        return 0;
    return run_uninstaller(tr, script, NULL, sets[SET_VBOX].name) == -1 ?
           -1 : 0;
}

/* Remember the kernel version of a removed /lib/modules/VER/... file. */
static int
note_kernel(struct tools_run *tr, const char *path)
{
    const char *v = path + strlen("/lib/modules/");
    size_t len = strcspn(v, "/");
    char **k;

    if (strncmp(path, "/lib/modules/", 13) != 0 || len == 0)
        return 0;
    for (size_t i = 0; i < tr->nkernels_touched; i++)
        if (strlen(tr->kernels_touched[i]) == len &&
            strncmp(tr->kernels_touched[i], v, len) == 0)
            return 0;
    k = realloc(tr->kernels_touched,
                (tr->nkernels_touched + 1) * sizeof *k);
    if (!k) {
        v2k_error("out of memory");
        return -1;
    }
    tr->kernels_touched = k;
    k[tr->nkernels_touched] = strndup(v, len);
    if (!k[tr->nkernels_touched]) {
        v2k_error("out of memory");
        return -1;
    }
    tr->nkernels_touched++;
    return 0;
}

/* Delete what is left of a set; *removed counts the paths. */
static int
remove_files(struct tools_run *tr, int set, unsigned *removed)
{
    guestfs_h *g = tr->ctx->g;

    for (const char *const *f = sets[set].files; *f; f++) {
        char **m = v2k_gf_glob(g, STEP, *f);
        int r = 0;

        if (!m)
            return -1;
        for (size_t i = 0; m[i] && r == 0; i++) {
            r = v2k_gf_remove(g, STEP, m[i]);
            if (r == 0) {
                (*removed)++;
                r = note_kernel(tr, m[i]);
            }
        }
        v2k_gf_strv_free(m);
        if (r == -1)
            return -1;
    }
    return 0;
}

static int
remove_set(struct tools_run *tr, int set)
{
    bool pkg_failed = false;
    unsigned removed = 0;

    if (remove_packages(tr, set, &pkg_failed) == -1)
        return -1;
    if (set == SET_VMWARE && vmware_uninstall(tr) == -1)
        return -1;
    if (set == SET_VBOX && vbox_uninstall(tr) == -1)
        return -1;
    /* open-vm-tools kept on Ubuntu: its files stay too. */
    if (set == SET_VMWARE && tr->keep_vmware_pkg)
        return 0;
    if (remove_files(tr, set, &removed) == -1)
        return -1;
    if (set == SET_XEN && (removed > 0 || pkg_failed))
        tr->xen_found = true;
    if (removed > 0)
        v2k_msg("%s: %s: removed %u leftover file%s%s", STEP,
                sets[set].name, removed, removed == 1 ? "" : "s",
                pkg_failed ? " of packages that could not be removed" : "");
    return 0;
}

static int
edit_each(guestfs_h *g, const char *pattern, v2k_gf_line_fn fn, void *opaque)
{
    char **m = v2k_gf_glob(g, STEP, pattern);
    int r = 0;

    if (!m)
        return -1;
    for (size_t i = 0; m[i] && r == 0; i++)
        if (v2k_gf_is_file(g, m[i]))
            r = v2k_gf_edit_lines(g, STEP, m[i], true, fn, opaque, NULL);
    v2k_gf_strv_free(m);
    return r;
}

static int
fix_module_lists(struct tools_run *tr)
{
    static const char *const modules[] = {
        "/etc/modules", "/etc/modules-load.d/*.conf",
        "/etc/initramfs-tools/modules",
    };
    static const char *const modprobe[] = {
        "/etc/conf.modules", "/etc/modules.conf", "/etc/modprobe.conf",
        "/etc/modprobe.conf.local", "/etc/modprobe.d/*",
    };
    guestfs_h *g = tr->ctx->g;
    const struct v2k_guestcaps *gc = tr->ctx->gc;
    struct v2k_hv_modprobe mp = { "virtio_blk", "virtio_net", false };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(modules); i++)
        if (edit_each(g, modules[i], v2k_hv_modules_line, NULL) == -1)
            return -1;

    if (gc) {
        switch (gc->block_bus) {
        case V2K_BLOCK_VIRTIO_BLK: mp.blk_module = "virtio_blk"; break;
        case V2K_BLOCK_VIRTIO_SCSI: mp.blk_module = "virtio_scsi"; break;
        case V2K_BLOCK_SATA: mp.blk_module = "ahci"; break;
        case V2K_BLOCK_IDE: mp.blk_module = NULL; break;
        }
        switch (gc->net_model) {
        case V2K_NETM_VIRTIO: mp.net_module = "virtio_net"; break;
        case V2K_NETM_E1000: mp.net_module = "e1000"; break;
        case V2K_NETM_RTL8139: mp.net_module = "8139cp"; break;
        }
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(modprobe); i++)
        if (edit_each(g, modprobe[i], v2k_hv_modprobe_line, &mp) == -1)
            return -1;

    if (edit_each(g, "/etc/sysconfig/kernel", v2k_hv_sysconfig_kernel_line,
                  NULL) == -1)
        return -1;
    if (tr->xen_found &&
        edit_each(g, "/etc/inittab", v2k_hv_inittab_line, NULL) == -1)
        return -1;
    return 0;
}

/* modules.dep still names the deleted modules: rebuild it where the
 * guest has depmod (a failure is only a warning: modprobe of a missing
 * file fails the same way it would have). */
static void
run_depmod(struct tools_run *tr)
{
    static const char *const depmod[] = { "/sbin/depmod", "/usr/sbin/depmod",
                                          NULL };
    const char *tool = first_file(tr->ctx->g, depmod);

    for (size_t i = 0; i < tr->nkernels_touched; i++) {
        const char *v = tr->kernels_touched[i];
        CLEANUP_FREE char *cmd = NULL;
        char *out;

        if (!tool) {
            v2k_warning("%s: the guest has no depmod: modules.dep of %s still names the removed modules", STEP, v);
            continue;
        }
        if (!pkg_name_ok(v))
            continue;
        cmd = v2k_asprintf("%s -a %s", tool, v);
        if (!cmd)
            return;
        out = v2k_gf_sh(tr->ctx->g, STEP, cmd);
        if (!out)
            v2k_warning("%s (modules.dep of %s may name removed modules)",
                        v2k_error_message(), v);
        free(out);
    }
}

bool
v2k_linux_tools_applies(const struct v2k_convert_ctx *ctx)
{
    (void)ctx;
    return true;        /* traces are looked for by the step itself */
}

int
v2k_linux_tools_run(struct v2k_convert_ctx *ctx)
{
    struct tools_run tr = { ctx, false, false, NULL, 0 };
    const struct v2k_guest *gu = ctx->guest;
    static const int order[] = { SET_VBOX, SET_VMWARE, SET_XEN, SET_HYPERV };
    int r = -1;

    tr.keep_vmware_pkg = gu->distro && strcmp(gu->distro, "ubuntu") == 0 &&
                         v2k_guest_has_package(gu, "ubuntu-server");
    for (char **p = gu->packages; *p; p++) {
        int s;

        if (v2k_hv_package(*p, &s) && s == SET_XEN)
            tr.xen_found = true;
    }
    /* VirtualBox first: its uninstaller restores files saved at install
     * time, which the other edits must see (virt-v2v's order). */
    for (size_t i = 0; i < V2K_ARRAY_SIZE(order); i++)
        if (remove_set(&tr, order[i]) == -1)
            goto out;
    if (fix_module_lists(&tr) == -1)
        goto out;
    run_depmod(&tr);
    r = 0;
out:
    for (size_t i = 0; i < tr.nkernels_touched; i++)
        free(tr.kernels_touched[i]);
    free(tr.kernels_touched);
    return r;
}
