/* inspect-windows.c - the Windows part of inspection (inspect.h): what
 * the conversion and --print-guest need beyond libguestfs's own
 * inspection, read from the SOFTWARE and SYSTEM hives (winreg.h).
 *
 * Facts used (REFERENCE-virt-v2v.md §2.1, Microsoft's documentation of
 * the keys):
 *  - SOFTWARE\Microsoft\Windows NT\CurrentVersion: EditionID,
 *    CurrentBuildNumber (a string), InstallationType.
 *  - SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\* and the same
 *    under WOW6432Node (32-bit programs on 64-bit Windows): DisplayName,
 *    DisplayVersion, Publisher, UninstallString.
 *  - SYSTEM\Select\Current = N: the control set in use, ControlSet00N.
 *  - SYSTEM\DriverDatabase exists from Windows 8 / 2012 on: the driver
 *    store the boot driver must be registered in (older: the control
 *    set's CriticalDeviceDatabase).
 *  - <CCS>\Control\TimeZoneInformation\RealTimeIsUniversal: a DWORD or
 *    QWORD 1 means the RTC is in UTC; absent, REG_NONE or 0: local time.
 *  - <CCS>\Services\Tcpip\Parameters\Interfaces\{GUID}: EnableDHCP,
 *    IPAddress and SubnetMask (REG_MULTI_SZ, parallel lists),
 *    DefaultGateway (REG_MULTI_SZ), NameServer (REG_SZ, comma or space
 *    separated).  The adapter is the network class's
 *    ({4d36e972-e325-11ce-bfc1-08002be10318}) subkey whose
 *    NetCfgInstanceId is that GUID; its DriverDesc names it.
 *  - Hypervisor tools: by DisplayName ("VMware Tools", "VirtualBox Guest
 *    Additions", "Paravirtualized Xen Drivers", "XenServer/Citrix VM
 *    Tools", "Parallels Tools", "Virtuozzo Tools") and by their services
 *    (vmtools, VBoxService, rhelscsi/xenvbd, prl_tg).
 */
#include "inspect-internal.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "winreg.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_APPS 4096
#define MAX_IFACES 64

#define NET_CLASS "{4d36e972-e325-11ce-bfc1-08002be10318}"

/* Case-insensitive substring. */
static bool
has(const char *s, const char *sub)
{
    return s && strcasestr(s, sub) != NULL;
}

static int
add_tool(struct v2k_guest *gu, size_t *n, const char *tool)
{
    for (size_t i = 0; gu->tools && gu->tools[i]; i++)
        if (strcmp(gu->tools[i], tool) == 0)
            return 0;
    return v2k_insp_list_add(&gu->tools, n, tool);
}

/* ---- SOFTWARE ---------------------------------------------------------- */

static int
read_apps(guestfs_h *g, struct v2k_win *w, const char *path, bool wow64)
{
    int64_t un = v2k_reg_node(g, path);
    CLEANUP_STRV char **keys = NULL;

    if (un == 0)
        return 0;
    if ((keys = v2k_reg_children(g, un)) == NULL)
        return -1;
    for (size_t i = 0; keys[i] && w->napps < MAX_APPS; i++) {
        int64_t k = v2k_reg_child(g, un, keys[i]);
        char *name = v2k_reg_get_string(g, k, "DisplayName");
        struct v2k_win_app *a, *na;

        if (name == NULL || name[0] == '\0') {
            free(name);                 /* updates, components: no name */
            continue;
        }
        na = realloc(w->apps, (w->napps + 1) * sizeof *w->apps);
        if (na == NULL) {
            free(name);
            v2k_error("out of memory");
            return -1;
        }
        w->apps = na;
        a = &w->apps[w->napps++];
        memset(a, 0, sizeof *a);
        a->name = name;
        a->key = v2k_strdup(keys[i]);
        a->version = v2k_reg_get_string(g, k, "DisplayVersion");
        a->publisher = v2k_reg_get_string(g, k, "Publisher");
        a->uninstall = v2k_reg_get_string(g, k, "UninstallString");
        a->wow64 = wow64;
        if (a->key == NULL)
            return -1;
    }
    return 0;
}

/* Names of antivirus products that install a filter driver on the boot
 * path (virt-v2v warns about a possible 0x7B with these). */
static const char *const antivirus_names[] = {
    "Symantec Endpoint Protection", "Norton", "McAfee", "Trend Micro",
    "Sophos", "Kaspersky", "ESET", "Bitdefender", "Avast", "AVG ",
    "CrowdStrike", "SentinelOne", "Carbon Black", "Cylance", "Panda ",
    "F-Secure", "Webroot", "Malwarebytes", NULL,
};

static int
read_software(guestfs_h *g, struct v2k_guest *gu, struct v2k_win *w)
{
    int64_t cv;
    size_t nav = 0;

    if (v2k_reg_open(g, w->software_hive, false) == -1)
        return -1;
    cv = v2k_reg_node(g, "Microsoft\\Windows NT\\CurrentVersion");
    w->edition = v2k_reg_get_string(g, cv, "EditionID");
    CLEANUP_FREE char *build = v2k_reg_get_string(g, cv, "CurrentBuildNumber");
    if (build && strspn(build, "0123456789") == strlen(build) &&
        strlen(build) < 9)
        w->build = (unsigned)strtoul(build, NULL, 10);
    if (w->variant == NULL)
        w->variant = v2k_reg_get_string(g, cv, "InstallationType");
    /* Before Vista there is no InstallationType: the product name says
     * "Server" (Windows Server 2003) or not (XP). */
    if (w->variant == NULL && gu->product_name)
        w->variant = v2k_strdup(strcasestr(gu->product_name, "Server")
                                ? "Server" : "Client");
    if (read_apps(g, w, "Microsoft\\Windows\\CurrentVersion\\Uninstall",
                  false) == -1 ||
        read_apps(g, w, "WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
                  true) == -1) {
        v2k_reg_close(g);
        return -1;
    }
    v2k_reg_close(g);

    size_t nt = v2k_strv_len(gu->tools);
    for (size_t i = 0; i < w->napps; i++) {
        const char *n = w->apps[i].name;
        const char *tool =
            has(n, "VMware Tools") ? "vmware-tools"
            : has(n, "VirtualBox Guest Additions") ? "vbox-additions"
            : has(n, "Paravirtualized Xen") || has(n, "XenServer") ||
              has(n, "Citrix VM Tools") || has(n, "Xen PV") ? "xen-pv"
            : has(n, "Parallels Tools") || has(n, "Virtuozzo Tools")
              ? "parallels-tools"
            : NULL;
        if (tool && add_tool(gu, &nt, tool) == -1)
            return -1;
        for (size_t a = 0; antivirus_names[a]; a++)
            if (has(n, antivirus_names[a]) &&
                v2k_insp_list_add(&w->antivirus, &nav, n) == -1)
                return -1;
    }
    return 0;
}

/* ---- SYSTEM ------------------------------------------------------------ */

/* "a,b c" or a list of one such string: split on commas and spaces. */
static int
split_list(char **in, char ***out)
{
    size_t n = 0;

    for (size_t i = 0; in && in[i]; i++) {
        char *save = NULL;
        for (char *t = strtok_r(in[i], ", ", &save); t;
             t = strtok_r(NULL, ", ", &save))
            if (*t && v2k_insp_list_add(out, &n, t) == -1)
                return -1;
    }
    return 0;
}

/* 255.255.255.0 -> 24; -1 when not a contiguous mask. */
static int
mask_len(const char *m)
{
    struct in_addr in;
    unsigned len = 0;
    uint32_t v;

    if (inet_pton(AF_INET, m, &in) != 1)
        return -1;
    v = ntohl(in.s_addr);
    while (len < 32 && (v & (0x80000000u >> len)))
        len++;
    return (len == 32 || (v << len) == 0) ? (int)len : -1;
}

static int read_ipv6(guestfs_h *g, struct v2k_guest *gu, struct v2k_win *w,
                     const char *ccs, int64_t cn, char **adapters);

static int
read_ipcfg(guestfs_h *g, struct v2k_guest *gu, struct v2k_win *w,
           const char *ccs)
{
    CLEANUP_FREE char *ipath =
        v2k_asprintf("%s\\Services\\Tcpip\\Parameters\\Interfaces", ccs);
    CLEANUP_FREE char *cpath =
        v2k_asprintf("%s\\Control\\Class\\" NET_CLASS, ccs);
    CLEANUP_STRV char **ifaces = NULL, **adapters = NULL;
    int64_t in, cn;

    if (ipath == NULL || cpath == NULL)
        return -1;
    if ((in = v2k_reg_node(g, ipath)) == 0)
        return 0;
    if ((ifaces = v2k_reg_children(g, in)) == NULL)
        return -1;
    cn = v2k_reg_node(g, cpath);
    if (cn && (adapters = v2k_reg_children(g, cn)) == NULL)
        return -1;

    for (size_t i = 0; ifaces[i] && w->nipcfgs < MAX_IFACES; i++) {
        int64_t k = v2k_reg_child(g, in, ifaces[i]);
        uint32_t dhcp = 0;
        bool has_dhcp = v2k_reg_get_dword(g, k, "EnableDHCP", &dhcp);
        CLEANUP_STRV char **ip = v2k_reg_get_multi(g, k, "IPAddress");
        CLEANUP_STRV char **mask = v2k_reg_get_multi(g, k, "SubnetMask");
        CLEANUP_STRV char **gw = v2k_reg_get_multi(g, k, "DefaultGateway");
        CLEANUP_STRV char **ns = v2k_reg_get_multi(g, k, "NameServer");
        struct v2k_win_ipcfg *c, *nc;
        size_t na = 0;

        /* Interfaces that are neither DHCP nor carry an address are
         * tunnels and unused adapters: skip them. */
        if (!has_dhcp || (!dhcp && (ip == NULL || ip[0] == NULL ||
                                    strcmp(ip[0], "0.0.0.0") == 0)))
            continue;
        nc = realloc(w->ipcfgs, (w->nipcfgs + 1) * sizeof *w->ipcfgs);
        if (nc == NULL) {
            v2k_error("out of memory");
            return -1;
        }
        w->ipcfgs = nc;
        c = &w->ipcfgs[w->nipcfgs++];
        memset(c, 0, sizeof *c);
        c->dhcp = dhcp != 0;
        if ((c->guid = v2k_strdup(ifaces[i])) == NULL)
            return -1;
        for (size_t a = 0; adapters && adapters[a]; a++) {
            int64_t an = v2k_reg_child(g, cn, adapters[a]);
            CLEANUP_FREE char *id = v2k_reg_get_string(g, an, "NetCfgInstanceId");
            if (id && strcasecmp(id, ifaces[i]) == 0) {
                c->adapter = v2k_reg_get_string(g, an, "DriverDesc");
                break;
            }
        }
        if (!c->dhcp) {
            for (size_t a = 0; ip && ip[a]; a++) {
                int ml = mask && v2k_strv_len(mask) > a ? mask_len(mask[a]) : -1;
                CLEANUP_FREE char *s = ml >= 0
                    ? v2k_asprintf("%s/%d", ip[a], ml) : v2k_strdup(ip[a]);
                if (s == NULL || v2k_insp_list_add(&c->addrs, &na, s) == -1)
                    return -1;
            }
            if (split_list(gw, &c->gateways) == -1 ||
                split_list(ns, &c->dns) == -1)
                return -1;
        }
        /* For --print-guest's "Network:" lines. */
        CLEANUP_FREE char *method = c->dhcp ? v2k_strdup("dhcp")
            : v2k_asprintf("static %s%s%s", c->addrs ? c->addrs[0] : "?",
                           c->gateways ? " gw " : "",
                           c->gateways ? c->gateways[0] : "");
        CLEANUP_FREE char *config = v2k_asprintf("HKLM\\SYSTEM\\%s\\%s",
                                                 ipath, ifaces[i]);
        if (method == NULL || config == NULL ||
            v2k_guest_add_netif(gu, c->adapter ? c->adapter : c->guid,
                                "windows-registry", config, method,
                                "at boot") == -1)
            return -1;
    }
    return read_ipv6(g, gu, w, ccs, cn, adapters);
}

/* The ipcfg for guid, added (DHCP for IPv4) when missing; NULL on
 * ENOMEM or past MAX_IFACES. */
static struct v2k_win_ipcfg *
ipcfg_for(struct v2k_win *w, const char *guid, char *adapter_owned)
{
    struct v2k_win_ipcfg *c, *nc;

    for (size_t i = 0; i < w->nipcfgs; i++)
        if (strcasecmp(w->ipcfgs[i].guid, guid) == 0) {
            free(adapter_owned);
            return &w->ipcfgs[i];
        }
    if (w->nipcfgs >= MAX_IFACES ||
        (nc = realloc(w->ipcfgs, (w->nipcfgs + 1) * sizeof *w->ipcfgs)) == NULL) {
        free(adapter_owned);
        return NULL;
    }
    w->ipcfgs = nc;
    c = &w->ipcfgs[w->nipcfgs];
    memset(c, 0, sizeof *c);
    c->dhcp = true;
    c->adapter = adapter_owned;
    if ((c->guid = v2k_strdup(guid)) == NULL)
        return NULL;
    w->nipcfgs++;
    return c;
}

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Manual IPv6 addresses.  Windows keeps persistent unicast addresses in
 * the NSI store, <CCS>\Control\Nsi\{eb004a01-9b1a-11d4-9123-
 * 0050047759bc}\10 (what netsh and the adapter dialog write; not
 * documented by Microsoft, described from netsh's behaviour in public
 * write-ups): one REG_BINARY value per address, named by the interface's
 * NET_LUID (8 bytes, little-endian: NetLuidIndex in bytes 3-5, IfType in
 * bytes 6-7) and the 16 address bytes, all in hex; the data starts like
 * MIB_UNICASTIPADDRESS_ROW's tail: ValidLifetime, PreferredLifetime,
 * PrefixOrigin, SuffixOrigin (4 bytes each), OnLinkPrefixLength (1
 * byte).  Origin 1 is IpPrefixOriginManual / IpSuffixOriginManual.  The
 * network class's subkey of the adapter has the same NetLuidIndex.
 * IPv6 DNS servers: Tcpip6\Parameters\Interfaces\{GUID}\NameServer. */
static int
read_ipv6(guestfs_h *g, struct v2k_guest *gu, struct v2k_win *w,
          const char *ccs, int64_t cn, char **adapters)
{
    CLEANUP_FREE char *npath = v2k_asprintf(
        "%s\\Control\\Nsi\\{eb004a01-9b1a-11d4-9123-0050047759bc}\\10", ccs);
    CLEANUP_STRV char **names = NULL;
    int64_t nn;

    if (npath == NULL)
        return -1;
    if ((nn = v2k_reg_node(g, npath)) == 0)
        return 0;
    if ((names = v2k_reg_value_names(g, nn)) == NULL)
        return -1;
    for (size_t i = 0; names[i]; i++) {
        unsigned char b[24];
        size_t len = 0;
        bool ok = strlen(names[i]) == 48;
        char addr[INET6_ADDRSTRLEN];

        for (size_t k = 0; ok && k < 24; k++) {
            int hi = hexval(names[i][2 * k]), lo = hexval(names[i][2 * k + 1]);
            ok = hi >= 0 && lo >= 0;
            b[k] = (unsigned char)(hi << 4 | lo);
        }
        if (!ok)
            continue;
        CLEANUP_FREE unsigned char *d = v2k_reg_get_raw(g, nn, names[i], &len);
        if (d == NULL || len < 17)
            continue;
        uint32_t po = d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 |
                      (uint32_t)d[11] << 24;
        uint32_t so = d[12] | (uint32_t)d[13] << 8 | (uint32_t)d[14] << 16 |
                      (uint32_t)d[15] << 24;
        unsigned plen = d[16];
        if (po != 1 || so != 1 || plen > 128 ||
            inet_ntop(AF_INET6, b + 8, addr, sizeof addr) == NULL)
            continue;
        uint32_t idx = b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16;
        const char *guid = NULL;
        char *desc = NULL;
        CLEANUP_FREE char *id = NULL;
        for (size_t a = 0; adapters && adapters[a] && guid == NULL; a++) {
            int64_t an = v2k_reg_child(g, cn, adapters[a]);
            uint32_t li = 0;
            if (v2k_reg_get_dword(g, an, "NetLuidIndex", &li) && li == idx &&
                (id = v2k_reg_get_string(g, an, "NetCfgInstanceId")) != NULL) {
                guid = id;
                desc = v2k_reg_get_string(g, an, "DriverDesc");
            }
        }
        if (guid == NULL) {
            v2k_debug("inspect: IPv6 %s/%u: no adapter has NetLuidIndex %u",
                      addr, plen, idx);
            continue;
        }
        struct v2k_win_ipcfg *c = ipcfg_for(w, guid, desc);
        size_t n6 = v2k_strv_len(c ? c->addrs6 : NULL);
        CLEANUP_FREE char *cidr = v2k_asprintf("%s/%u", addr, plen);
        if (c == NULL || cidr == NULL ||
            v2k_insp_list_add(&c->addrs6, &n6, cidr) == -1)
            return -1;
    }
    for (size_t i = 0; i < w->nipcfgs; i++) {
        struct v2k_win_ipcfg *c = &w->ipcfgs[i];
        if (c->addrs6 == NULL)
            continue;
        CLEANUP_FREE char *p6 = v2k_asprintf(
            "%s\\Services\\Tcpip6\\Parameters\\Interfaces\\%s", ccs, c->guid);
        CLEANUP_STRV char **ns = NULL;
        if (p6 == NULL)
            return -1;
        ns = v2k_reg_get_multi(g, v2k_reg_node(g, p6), "NameServer");
        if (split_list(ns, &c->dns6) == -1)
            return -1;
        CLEANUP_FREE char *method = v2k_asprintf("static6 %s", c->addrs6[0]);
        if (method == NULL ||
            v2k_guest_add_netif(gu, c->adapter ? c->adapter : c->guid,
                                "windows-registry", npath, method,
                                "at boot") == -1)
            return -1;
    }
    return 0;
}

static int
read_system(guestfs_h *g, struct v2k_guest *gu, struct v2k_win *w)
{
    uint32_t cur = 1, utc = 0;
    size_t nt = v2k_strv_len(gu->tools);
    CLEANUP_FREE char *tz = NULL, *svc = NULL, *pw = NULL;
    int r = -1;

    if (v2k_reg_open(g, w->system_hive, false) == -1)
        return -1;
    if (!v2k_reg_get_dword(g, v2k_reg_node(g, "Select"), "Current", &cur) ||
        cur == 0 || cur > 999) {
        v2k_warning("%s: Select\\Current is missing or out of range: using ControlSet001",
                    w->system_hive);
        cur = 1;
    }
    if ((w->control_set = v2k_asprintf("ControlSet%03u", cur)) == NULL)
        goto out;
    if (v2k_reg_node(g, w->control_set) == 0) {
        v2k_error("%s: the control set %s (Select\\Current) is missing: the hive is damaged or not a SYSTEM hive",
                  w->system_hive, w->control_set);
        goto out;
    }
    w->driver_database = v2k_reg_node(g, "DriverDatabase") != 0;
    tz = v2k_asprintf("%s\\Control\\TimeZoneInformation", w->control_set);
    if (tz == NULL)
        goto out;
    w->rtc_utc = v2k_reg_get_dword(g, v2k_reg_node(g, tz),
                                   "RealTimeIsUniversal", &utc) && utc == 1;
    /* Fast Startup (Windows 8 and later clients): HiberbootEnabled = 1
     * under Session Manager\Power; such a guest shut down from Windows
     * leaves its NTFS hibernated, which the mount refuses. */
    uint32_t hb = 0;
    pw = v2k_asprintf("%s\\Control\\Session Manager\\Power", w->control_set);
    if (pw == NULL)
        goto out;
    w->fast_startup = v2k_reg_get_dword(g, v2k_reg_node(g, pw),
                                        "HiberbootEnabled", &hb) && hb == 1;

    static const struct { const char *service, *tool; } services[] = {
        { "vmtools", "vmware-tools" }, { "VMTools", "vmware-tools" },
        { "VBoxService", "vbox-additions" }, { "VBoxGuest", "vbox-additions" },
        { "rhelscsi", "xen-pv" }, { "xenvbd", "xen-pv" },
        { "prl_tg", "parallels-tools" }, { "prl_strg", "parallels-tools" },
    };
    svc = v2k_asprintf("%s\\Services", w->control_set);
    if (svc == NULL)
        goto out;
    int64_t sn = v2k_reg_node(g, svc);
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (v2k_reg_child(g, sn, services[i].service) &&
            add_tool(gu, &nt, services[i].tool) == -1)
            goto out;
    r = read_ipcfg(g, gu, w, w->control_set);
out:
    v2k_reg_close(g);
    return r;
}

/* ---- the whole --------------------------------------------------------- */

int
v2k_inspect_windows(guestfs_h *g, struct v2k_guest *gu)
{
    struct v2k_win *w = calloc(1, sizeof *w);
    char **dm;
    size_t nd = 0;

    if (w == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    gu->win = w;
    w->systemroot = v2k_insp_nonempty(guestfs_inspect_get_windows_systemroot(g, gu->root));
    w->system_hive = v2k_insp_nonempty(guestfs_inspect_get_windows_system_hive(g, gu->root));
    w->software_hive = v2k_insp_nonempty(guestfs_inspect_get_windows_software_hive(g, gu->root));
    w->variant = v2k_insp_nonempty(guestfs_inspect_get_product_variant(g, gu->root));
    if (w->systemroot == NULL || w->system_hive == NULL ||
        w->software_hive == NULL) {
        v2k_error("the Windows root %s has no %s: libguestfs found a Windows directory but not its registry (System32\\config\\SYSTEM and SOFTWARE)",
                  gu->root, w->systemroot ? "registry" : "system root");
        return -1;
    }
    if ((dm = guestfs_inspect_get_drive_mappings(g, gu->root)) != NULL) {
        for (size_t i = 0; dm[i] && dm[i + 1]; i += 2) {
            CLEANUP_FREE char *s = v2k_asprintf("%s:=%s", dm[i], dm[i + 1]);
            if (s == NULL || v2k_insp_list_add(&w->drives, &nd, s) == -1) {
                v2k_strv_free(dm);
                return -1;
            }
        }
        v2k_strv_free(dm);
    }
    if (read_software(g, gu, w) == -1 || read_system(g, gu, w) == -1)
        return -1;
    /* Windows 11 still calls itself "Windows 10" in ProductName and
     * CurrentMajorVersionNumber; only the build tells them apart (client
     * NT 10.0, build 22000 and later).  libguestfs 1.48 (Debian 12)
     * reports such a guest as win10; later libguestfs checks the build
     * as virt-v2v does (REFERENCE-virt-v2v.md §2.1): do the same. */
    /* Servers on NT 10.0 likewise: libguestfs 1.48 tells them apart by
     * the year in ProductName and knows none after 2022 (a 2025 becomes
     * win2k16); the build numbers are those of the releases (14393
     * 2016, 17763 2019, 20348 2022, 26100 2025). */
    const char *fix = NULL;
    bool server = w->variant && strcmp(w->variant, "Server") == 0;
    if (gu->major == 10 && gu->minor == 0 && w->build > 0) {
        if (!server)
            fix = w->build >= 22000 ? "win11" : "win10";
        else
            fix = w->build >= 26100 ? "win2k25" : w->build >= 20348 ? "win2k22"
                : w->build >= 17763 ? "win2k19" : "win2k16";
    }
    if (fix && (gu->osinfo == NULL || strcmp(gu->osinfo, fix) != 0)) {
        char *o = v2k_strdup(fix);
        if (o == NULL)
            return -1;
        v2k_debug("inspect: build %u: %s, not libguestfs's %s", w->build,
                  fix, gu->osinfo ? gu->osinfo : "(none)");
        free(gu->osinfo);
        gu->osinfo = o;
    }
    if (w->drives == NULL && (w->drives = calloc(1, sizeof(char *))) == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    v2k_debug("inspect: windows %s, build %u, %s, %s, %zu programs, %s",
              w->variant ? w->variant : "?", w->build,
              w->control_set, w->driver_database
              ? "DriverDatabase" : "CriticalDeviceDatabase",
              w->napps, w->rtc_utc ? "RTC in UTC" : "RTC in local time");
    return 0;
}
