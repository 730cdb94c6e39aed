/* guestcaps.c - see guestcaps.h. */
#include "guestcaps.h"
#include "error.h"
#include "log.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

void
v2k_guestcaps_windows_fallback(struct v2k_guestcaps *gc)
{
    gc->block_bus = gc->machine == V2K_MACHINE_PC ? V2K_BLOCK_IDE
                                                  : V2K_BLOCK_SATA;
    gc->net_model = gc->win_major != 0 && gc->win_major < 6
                        ? V2K_NETM_RTL8139 : V2K_NETM_E1000;
    gc->virtio_rng = false;
    gc->virtio_balloon = false;
    gc->pvpanic = false;
}

/* Windows OS hints, normalised by hint_key(): VMware's guestOS (VMX) and
 * GuestOsDescriptor ids (OVF osType), VirtualBox's OSType.  The 9x line
 * and 3.1 are not NT: they get 4.x (their own version numbers), which
 * puts them with the old NT releases for every device rule. */
static const struct {
    const char *key, *osinfo;
    unsigned major, minor;
} win_hints[] = {
    { "win31", "win3.1", 3, 10 },
    { "windows31", "win3.1", 3, 10 },
    { "win95", "win95", 4, 0 },
    { "windows95", "win95", 4, 0 },
    { "win98", "win98", 4, 10 },
    { "windows98", "win98", 4, 10 },
    { "winme", "winme", 4, 90 },
    { "windowsme", "winme", 4, 90 },
    { "winnt", "winnt4.0", 4, 0 },
    { "windowsnt", "winnt4.0", 4, 0 },
    { "windowsnt4", "winnt4.0", 4, 0 },
    { "win2000pro", "win2k", 5, 0 },
    { "win2000serv", "win2k", 5, 0 },
    { "win2000advserv", "win2k", 5, 0 },
    { "windows2000", "win2k", 5, 0 },
    { "winxphome", "winxp", 5, 1 },
    { "winxppro", "winxp", 5, 1 },     /* XP x64 is 5.2: same rules */
    { "windowsxp", "winxp", 5, 1 },
    { "winnetweb", "win2k3", 5, 2 },
    { "winnetstandard", "win2k3", 5, 2 },
    { "winnetenterprise", "win2k3", 5, 2 },
    { "winnetdatacenter", "win2k3", 5, 2 },
    { "winnetbusiness", "win2k3", 5, 2 },
    { "windows2003", "win2k3", 5, 2 },
    { "winvista", "winvista", 6, 0 },
    { "windowsvista", "winvista", 6, 0 },
    { "longhorn", "win2k8", 6, 0 },
    { "winlonghorn", "win2k8", 6, 0 },
    { "windows2008", "win2k8", 6, 0 },
    { "windows7", "win7", 6, 1 },
    { "windows7srv", "win2k8r2", 6, 1 },
    { "windows7server", "win2k8r2", 6, 1 },
    { "windows8", "win8", 6, 2 },
    { "windows8srv", "win2k12", 6, 2 },        /* 2012 R2 too */
    { "windows8server", "win2k12", 6, 2 },
    { "windows2012", "win2k12", 6, 2 },
    { "windows81", "win8.1", 6, 3 },
    { "windows9", "win10", 10, 0 },            /* VMware's Windows 10 */
    { "windows10", "win10", 10, 0 },
    { "windows9srv", "win2k16", 10, 0 },
    { "windows9server", "win2k16", 10, 0 },
    { "windows2016", "win2k16", 10, 0 },
    { "windows2019srv", "win2k19", 10, 0 },
    { "windows2019", "win2k19", 10, 0 },
    { "windows2019srvnext", "win2k22", 10, 0 }, /* VMware's 2022 */
    { "windows2022", "win2k22", 10, 0 },
    { "windows2022srvnext", "win2k25", 10, 0 }, /* VMware's 2025 */
    { "windows2025", "win2k25", 10, 0 },
    { "windows11", "win11", 10, 0 },
    { "windows12", NULL, 10, 0 },
};

/* libosinfo ids http://microsoft.com/win/<suffix>: the short id is
 * "win" + suffix. */
static const struct {
    const char *suffix;
    unsigned major, minor;
} osinfo_hints[] = {
    { "3.1", 3, 10 }, { "95", 4, 0 }, { "98", 4, 10 }, { "me", 4, 90 },
    { "nt4.0", 4, 0 }, { "2k", 5, 0 }, { "xp", 5, 1 }, { "2k3", 5, 2 },
    { "2k3r2", 5, 2 }, { "vista", 6, 0 }, { "2k8", 6, 0 }, { "7", 6, 1 },
    { "2k8r2", 6, 1 }, { "8", 6, 2 }, { "2k12", 6, 2 }, { "8.1", 6, 3 },
    { "2k12r2", 6, 3 }, { "10", 10, 0 }, { "11", 10, 0 },
    { "2k16", 10, 0 }, { "2k19", 10, 0 }, { "2k22", 10, 0 },
    { "2k25", 10, 0 },
};

#define OSINFO_WIN "http://microsoft.com/win/"

/* Lower case, without the OVF "Guest" suffix and the 64-bit mark
 * ("-64" VMX, "_64" OVF and VirtualBox, "64" OVF):
 * "windows2019srv_64Guest" -> "windows2019srv". */
static void
hint_key(const char *hint, char *buf, size_t len)
{
    size_t n = 0;

    for (; hint[n] && n + 1 < len; n++)
        buf[n] = (char)(hint[n] >= 'A' && hint[n] <= 'Z' ? hint[n] + 32
                                                         : hint[n]);
    buf[n] = '\0';
    if (n > 5 && strcmp(buf + n - 5, "guest") == 0)
        buf[n -= 5] = '\0';
    if (n > 3 && (strcmp(buf + n - 3, "-64") == 0 ||
                  strcmp(buf + n - 3, "_64") == 0))
        buf[n -= 3] = '\0';
    else if (n > 2 && strcmp(buf + n - 2, "64") == 0)
        buf[n -= 2] = '\0';
}

bool
v2k_guestcaps_from_hint(struct v2k_guestcaps *gc, const char *os_hint)
{
    const char *osinfo = NULL;
    char key[64], idbuf[32];
    unsigned major = 0, minor = 0;
    bool windows = false;

    if (os_hint == NULL)
        return false;
    if (strncasecmp(os_hint, OSINFO_WIN, strlen(OSINFO_WIN)) == 0) {
        const char *suffix = os_hint + strlen(OSINFO_WIN);

        windows = true;
        for (size_t i = 0; i < sizeof osinfo_hints / sizeof *osinfo_hints;
             i++)
            if (strcmp(suffix, osinfo_hints[i].suffix) == 0) {
                snprintf(idbuf, sizeof idbuf, "win%s", suffix);
                osinfo = idbuf;
                major = osinfo_hints[i].major;
                minor = osinfo_hints[i].minor;
                break;
            }
    } else {
        hint_key(os_hint, key, sizeof key);
        for (size_t i = 0; i < sizeof win_hints / sizeof *win_hints; i++)
            if (strcmp(key, win_hints[i].key) == 0) {
                windows = true;
                osinfo = win_hints[i].osinfo;
                major = win_hints[i].major;
                minor = win_hints[i].minor;
                break;
            }
        /* Other VMware and VirtualBox names start with "win"; an OVF
         * without osType has a Description ("Microsoft Windows Server
         * 2019 (64-bit)"): Windows of an unknown version. */
        if (!windows && (strncmp(key, "win", 3) == 0 ||
                         strstr(key, "windows") != NULL))
            windows = true;
    }
    if (!windows)
        return false;
    free(gc->osinfo);
    gc->osinfo = NULL;
    if (osinfo)
        gc->osinfo = strdup(osinfo);    /* optional: NULL = unknown */
    gc->family = V2K_OS_WINDOWS;
    gc->win_major = major;
    gc->win_minor = minor;
    gc->machine = major != 0 && major < 6 ? V2K_MACHINE_PC : V2K_MACHINE_Q35;
    gc->virtio_1_0 = true;
    gc->rtc_utc = false;
    v2k_guestcaps_windows_fallback(gc);
    return true;
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
