/* firstboot-scripts.c - see firstboot-scripts.h.
 *
 * Facts: pnputil -i -a is the syntax every pnputil since Vista takes
 * (Windows 10 adds /add-driver /install); exit 259 is
 * ERROR_NO_MORE_ITEMS (no device uses the driver yet), 3010
 * ERROR_SUCCESS_REBOOT_REQUIRED, 1641 ERROR_SUCCESS_REBOOT_INITIATED.
 * The pending-reboot keys are those virt-v2v's pnputil script checks
 * (REFERENCE-virt-v2v.md §2.6).  msiexec /x {ProductCode} /qn /norestart
 * uninstalls an MSI silently; NSIS uninstallers (VirtualBox Guest
 * Additions' uninst.exe) take /S.  Win32_NetworkAdapterConfiguration's
 * EnableStatic, SetGateways and SetDNSServerSearchOrder exist since
 * Windows XP's WMI; return value 0 is success, 1 success + reboot.
 */
#include "firstboot-scripts.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growing CRLF text. */
struct text {
    char *s;
    size_t len, cap;
    bool oom;
};

static void __attribute__((format(printf, 2, 3)))
line(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->oom)
        return;
    for (;;) {
        size_t room = t->cap - t->len;
        va_start(ap, fmt);
        n = t->s ? vsnprintf(t->s + t->len, room, fmt, ap) : -1;
        va_end(ap);
        if (t->s && n >= 0 && (size_t)n + 3 <= room)
            break;
        size_t nc = t->cap ? t->cap * 2 : 1024;
        while (n >= 0 && nc < t->len + (size_t)n + 3)
            nc *= 2;
        char *ns = realloc(t->s, nc);
        if (ns == NULL) {
            t->oom = true;
            return;
        }
        t->s = ns;
        t->cap = nc;
    }
    t->len += (size_t)n;
    memcpy(t->s + t->len, "\r\n", 3);
    t->len += 2;
}

static int
add(struct v2k_fb_script **out, size_t *n, const char *name, struct text *t)
{
    struct v2k_fb_script *ns;

    if (t->oom || t->s == NULL) {
        free(t->s);
        v2k_error("out of memory");
        return -1;
    }
    ns = realloc(*out, (*n + 1) * sizeof **out);
    if (ns == NULL || (ns[*n].name = v2k_strdup(name)) == NULL) {
        if (ns)
            *out = ns;
        free(t->s);
        v2k_error("out of memory");
        return -1;
    }
    *out = ns;
    ns[*n].content = t->s;
    (*n)++;
    return 0;
}

void
v2k_fb_scripts_free(struct v2k_fb_script *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].content);
    }
    free(s);
}

/* ---- the scripts ------------------------------------------------------- */

static void
pnputil(struct text *t)
{
    line(t, "@echo off");
    line(t, "rem v2kvm: install the virtio drivers staged in %%SystemRoot%%\\Drivers\\VirtIO");
    line(t, "rem (PnP binds them to the new devices; the boot disk's driver was");
    line(t, "rem registered offline).  A pending reboot first: retry next boot.");
    /* Each test on its own line, not "reg query ... && goto pending":
     * Wine's cmd.exe (8.0) runs what follows && and || whatever the exit
     * code, so every boot looked like a pending reboot there;
     * "if not errorlevel 1" (exit code 0) means the same on every
     * Windows cmd.exe and on Wine's. */
    line(t, "reg query \"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired\" >nul 2>&1");
    line(t, "if not errorlevel 1 goto pending");
    line(t, "reg query \"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending\" >nul 2>&1");
    line(t, "if not errorlevel 1 goto pending");
    line(t, "reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\" /v PendingFileRenameOperations >nul 2>&1");
    line(t, "if not errorlevel 1 goto pending");
    /* for over a quoted "DIR\*.inf" matched nothing in Wine's cmd.exe
     * (8.0): no driver installed, exit 0.  The loop runs in the
     * directory instead (pushd; "%%~ff" is the full path), which works
     * on both and with spaces in the path.  pushd's own errorlevel is
     * not trusted (internal commands may leave an earlier one): the
     * directory is checked first. */
    line(t, "set rc=0");
    line(t, "if not exist \"%%SystemRoot%%\\Drivers\\VirtIO\\*.inf\" (echo no .inf in %%SystemRoot%%\\Drivers\\VirtIO: nothing to install& exit /b 0)");
    line(t, "pushd \"%%SystemRoot%%\\Drivers\\VirtIO\"");
    line(t, "for %%%%f in (*.inf) do call :install \"%%%%~ff\"");
    line(t, "popd");
    line(t, "exit /b %%rc%%");
    line(t, ":pending");
    line(t, "echo a reboot is pending (Windows Update or a file rename): retrying at the next boot");
    line(t, "exit /b 249");
    line(t, ":install");
    line(t, "echo pnputil -i -a %%~nx1");
    line(t, "\"%%SystemRoot%%\\System32\\pnputil.exe\" -i -a \"%%~1\"");
    line(t, "set e=%%errorlevel%%");
    line(t, "if \"%%e%%\"==\"0\" goto :eof");
    line(t, "if \"%%e%%\"==\"259\" goto :eof");
    line(t, "if \"%%e%%\"==\"3010\" goto reboot");
    line(t, "echo pnputil failed on %%~nx1: exit code %%e%%");
    line(t, "set rc=1");
    line(t, "goto :eof");
    line(t, ":reboot");
    line(t, "if \"%%rc%%\"==\"0\" set rc=3010");
    line(t, "goto :eof");
}

/* "a.b.c.d/len" -> address and mask text; false when not IPv4/len. */
static bool
split_cidr(const char *cidr, char *addr, size_t alen, char *mask,
           size_t mlen)
{
    const char *slash = strchr(cidr, '/');
    struct in_addr in;
    unsigned long len;
    char *end;
    uint32_t m;

    if (slash == NULL || (size_t)(slash - cidr) >= alen)
        return false;
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    len = strtoul(slash + 1, &end, 10);
    if (*end || len > 32 || inet_pton(AF_INET, addr, &in) != 1)
        return false;
    m = len ? 0xffffffffu << (32 - len) : 0;
    snprintf(mask, mlen, "%u.%u.%u.%u", m >> 24, m >> 16 & 0xff,
             m >> 8 & 0xff, m & 0xff);
    return true;
}

/* PowerShell array text of quoted strings: @('a','b'). */
static void
ps_array(char *buf, size_t len, char *const *l)
{
    size_t o = 0;

    o += (size_t)snprintf(buf + o, len - o, "@(");
    for (size_t i = 0; l && l[i] && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s'%s'", i ? "," : "", l[i]);
    if (o < len)
        snprintf(buf + o, len - o, ")");
}

/* Characters that may appear in an address or MAC we put in a script:
 * anything else means the registry held something unexpected. */
static bool
safe(const char *s)
{
    return s && s[0] && strspn(s, "0123456789abcdefABCDEF.:/-") == strlen(s);
}

static bool
safe_list(char *const *l)
{
    for (size_t i = 0; l && l[i]; i++)
        if (!safe(l[i]))
            return false;
    return true;
}

/* The ipcfg has something the network script re-applies. */
static bool
has_static(const struct v2k_win_ipcfg *c)
{
    return (!c->dhcp && c->addrs && c->addrs[0]) || (c->addrs6 && c->addrs6[0]);
}

static void
network(struct text *t, const struct v2k_fb_inputs *in)
{
    size_t k = 0;

    line(t, "# v2kvm: re-apply the source's static IP settings, read from its");
    line(t, "# registry (IPv4: Tcpip\\Parameters\\Interfaces; IPv6: the NSI");
    line(t, "# store), to the adapter with the same MAC (or the only adapter).");
    line(t, "# WMI and netsh: PowerShell 2.0 and later.");
    line(t, "$ErrorActionPreference = 'Stop'");
    line(t, "function Find-V2kAdapter($mac) {");
    line(t, "    $deadline = (Get-Date).AddMinutes(5)");
    line(t, "    do {");
    line(t, "        $cfgs = @(Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.MACAddress -and ($mac -eq '' -or $_.MACAddress -eq $mac) })");
    line(t, "        if ($cfgs.Count -eq 1) { return $cfgs[0] }");
    line(t, "        Start-Sleep -Seconds 5");
    line(t, "    } while ((Get-Date) -lt $deadline)");
    line(t, "    Write-Output \"no single adapter with MAC '$mac' yet ($($cfgs.Count) found): retrying at the next boot\"");
    line(t, "    exit 249");
    line(t, "}");
    line(t, "function Set-V2kStatic($mac, $addrs, $masks, $gws, $dns) {");
    line(t, "    $c = Find-V2kAdapter $mac");
    line(t, "    Write-Output \"$($c.Description) ($($c.MACAddress)): $addrs\"");
    line(t, "    $r = $c.EnableStatic($addrs, $masks)");
    line(t, "    if ($r.ReturnValue -gt 1) { Write-Output \"EnableStatic failed: $($r.ReturnValue)\"; exit 1 }");
    line(t, "    if ($gws.Count -gt 0) {");
    line(t, "        $r = $c.SetGateways($gws, @(1) * $gws.Count)");
    line(t, "        if ($r.ReturnValue -gt 1) { Write-Output \"SetGateways failed: $($r.ReturnValue)\"; exit 1 }");
    line(t, "    }");
    line(t, "    if ($dns.Count -gt 0) {");
    line(t, "        $r = $c.SetDNSServerSearchOrder($dns)");
    line(t, "        if ($r.ReturnValue -gt 1) { Write-Output \"SetDNSServerSearchOrder failed: $($r.ReturnValue)\"; exit 1 }");
    line(t, "    }");
    line(t, "}");
    line(t, "function Set-V2kStatic6($mac, $addrs, $dns) {");
    line(t, "    $c = Find-V2kAdapter $mac");
    line(t, "    $if = $c.InterfaceIndex");
    line(t, "    foreach ($a in $addrs) {");
    line(t, "        Write-Output \"$($c.Description) ($($c.MACAddress)): IPv6 $a\"");
    line(t, "        netsh.exe interface ipv6 delete address interface=$if address=$($a.Split('/')[0]) | Out-Null");
    line(t, "        netsh.exe interface ipv6 add address interface=$if address=$a store=persistent");
    line(t, "        if ($LASTEXITCODE -ne 0) { Write-Output \"netsh add address failed: $LASTEXITCODE\"; exit 1 }");
    line(t, "    }");
    line(t, "    if ($dns.Count -gt 0) { netsh.exe interface ipv6 delete dnsservers interface=$if address=all | Out-Null }");
    line(t, "    $i = 1");
    line(t, "    foreach ($d in $dns) {");
    line(t, "        netsh.exe interface ipv6 add dnsservers interface=$if address=$d index=$i");
    line(t, "        if ($LASTEXITCODE -ne 0) { Write-Output \"netsh add dnsservers failed: $LASTEXITCODE\"; exit 1 }");
    line(t, "        $i++");
    line(t, "    }");
    line(t, "}");
    for (size_t i = 0; i < in->nipcfgs; i++) {
        const struct v2k_win_ipcfg *c = &in->ipcfgs[i];
        char addrs[1024] = "@(", masks[1024] = "@(", gws[512], dns[512];
        char a6[1024], d6[512];
        char mac[18] = "";
        size_t ao = 2, mo = 2;
        bool v4 = !c->dhcp && c->addrs && c->addrs[0] &&
                  safe_list(c->addrs) && safe_list(c->gateways) &&
                  safe_list(c->dns);
        bool v6 = c->addrs6 && c->addrs6[0] && safe_list(c->addrs6) &&
                  safe_list(c->dns6);

        if (!has_static(c) || !(v4 || v6))
            continue;
        for (size_t a = 0; v4 && c->addrs[a]; a++) {
            char ad[64], mk[32];
            if (!split_cidr(c->addrs[a], ad, sizeof ad, mk, sizeof mk))
                continue;
            ao += (size_t)snprintf(addrs + ao, sizeof addrs - ao, "%s'%s'",
                                   ao > 2 ? "," : "", ad);
            mo += (size_t)snprintf(masks + mo, sizeof masks - mo, "%s'%s'",
                                   mo > 2 ? "," : "", mk);
            if (ao >= sizeof addrs - 2 || mo >= sizeof masks - 2)
                break;
        }
        if (ao == 2 || ao >= sizeof addrs - 2 || mo >= sizeof masks - 2)
            v4 = false;
        if (!(v4 || v6))
            continue;
        snprintf(addrs + ao, sizeof addrs - ao, ")");
        snprintf(masks + mo, sizeof masks - mo, ")");
        ps_array(gws, sizeof gws, c->gateways);
        ps_array(dns, sizeof dns, c->dns);
        ps_array(a6, sizeof a6, c->addrs6);
        ps_array(d6, sizeof d6, c->dns6);
        /* WMI writes MACs upper-case with colons. */
        if (k < in->nmacs && in->macs && safe(in->macs[k]) &&
            strlen(in->macs[k]) == 17)
            for (size_t m = 0; m < 17; m++)
                mac[m] = in->macs[k][m] == '-' ? ':'
                    : (char)toupper((unsigned char)in->macs[k][m]);
        line(t, "# %s (%s)", c->adapter ? c->adapter : "adapter", c->guid);
        if (v4)
            line(t, "Set-V2kStatic '%s' %s %s %s %s", mac, addrs, masks, gws, dns);
        if (v6)
            line(t, "Set-V2kStatic6 '%s' %s %s", mac, a6, d6);
        k++;
    }
}

static void
qemu_ga(struct text *t, const char *msi)
{
    line(t, "@echo off");
    line(t, "rem v2kvm: install the QEMU guest agent");
    line(t, "echo msiexec /i %s", msi);
    line(t, "msiexec.exe /i \"" V2K_FB_WINDIR "\\Temp\\%s\" /qn /norestart /l*v \"" V2K_FB_WINDIR "\\qemu-ga-install.log\"", msi);
    line(t, "set e=%%errorlevel%%");
    line(t, "if \"%%e%%\"==\"1641\" exit /b 3010");
    /* No parentheses in the message: Wine's cmd.exe (8.0) ended the
     * echo of an "if" at "(" and ran "log: ..." as a command. */
    line(t, "if not \"%%e%%\"==\"0\" if not \"%%e%%\"==\"3010\" echo msiexec failed: exit code %%e%%, log: qemu-ga-install.log");
    line(t, "exit /b %%e%%");
}

static void
blnsvr(struct text *t)
{
    line(t, "@echo off");
    line(t, "rem v2kvm: install the virtio balloon service");
    line(t, "\"%%SystemRoot%%\\Drivers\\VirtIO\\blnsvr.exe\" -i");
}

/* {ProductCode} in an MsiExec command line, or NULL. */
static bool
product_code(const char *s, char out[39])
{
    const char *b = strchr(s, '{');

    if (b == NULL || strlen(b) < 38 || b[37] != '}')
        return false;
    for (int i = 1; i < 37; i++)
        if (!(isxdigit((unsigned char)b[i]) || b[i] == '-'))
            return false;
    memcpy(out, b, 38);
    out[38] = '\0';
    return true;
}

/* A command line safe to put in a .bat: no characters cmd.exe would
 * interpret (&, |, <, >, ^, %, newlines). */
static bool
bat_safe(const char *s)
{
    return s && strpbrk(s, "&|<>^%\r\n") == NULL;
}

char *
v2k_fb_uninstall_command(const struct v2k_win_app *a, const char **tool)
{
    const char *n = a->name, *u = a->uninstall;
    char code[39];
    bool msi;

    if (n == NULL || u == NULL || !bat_safe(u))
        return NULL;
    msi = strncasecmp(u, "msiexec", 7) == 0 && product_code(u, code);
    if (strcasestr(n, "VMware Tools")) {
        *tool = "vmware-tools";
        /* Its UninstallString says /I (repair): /x removes (RHBZ#1917760). */
        return msi ? v2k_asprintf("msiexec.exe /x %s /qn /norestart REBOOT=ReallySuppress", code) : NULL;
    }
    if (strcasestr(n, "VirtualBox Guest Additions")) {
        *tool = "vbox-additions";
        /* An NSIS uninstaller: /S is silent. */
        return u[0] == '"' ? v2k_asprintf("%s /S", u)
                           : v2k_asprintf("\"%s\" /S", u);
    }
    if (strcasestr(n, "Paravirtualized Xen") || strcasestr(n, "XenServer") ||
        strcasestr(n, "Citrix VM Tools")) {
        *tool = "xen-pv";
        if (msi)
            return v2k_asprintf("msiexec.exe /x %s /qn /norestart REBOOT=ReallySuppress", code);
        /* Red Hat's uninst.exe prompts; _uninst.exe beside it does not
         * (virt-v2v, REFERENCE-virt-v2v.md §2.6).  Its UninstallString
         * is an unquoted path under "C:\Program Files": quoted here, or
         * cmd.exe runs "C:\Program" (exit 9009, not recognized). */
        const char *p = strcasestr(u, "uninst.exe");
        if (p == NULL)
            return NULL;
        const char *us = p > u && p[-1] == '_' ? "" : "_";
        if (u[0] == '"')
            return v2k_asprintf("%.*s%s%s", (int)(p - u), u, us, p);
        return v2k_asprintf("\"%.*s%s%.10s\"%s", (int)(p - u), u, us, p,
                            p + 10);
    }
    if (strcasestr(n, "Parallels Tools") || strcasestr(n, "Virtuozzo Tools")) {
        *tool = "parallels-tools";
        return msi ? v2k_asprintf("msiexec.exe /x %s /qn /norestart REBOOT=ReallySuppress PREVENT_REBOOT=Yes", code) : NULL;
    }
    return NULL;
}

static void
uninstall(struct text *t, const char *tool, const char *name,
          const char *cmd)
{
    line(t, "@echo off");
    line(t, "rem v2kvm: remove %s (%s)", name, tool);
    if (strcmp(tool, "parallels-tools") == 0)
        line(t, "reg delete \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\prl_strg\\DriverInfo\" /v RefCount /f >nul 2>&1");
    line(t, "echo %s", cmd);
    line(t, "%s", cmd);
    line(t, "set e=%%errorlevel%%");
    line(t, "if \"%%e%%\"==\"1605\" (echo already removed& exit /b 0)");
    line(t, "if \"%%e%%\"==\"1641\" exit /b 3010");
    line(t, "if not \"%%e%%\"==\"0\" if not \"%%e%%\"==\"3010\" echo the uninstaller failed: exit code %%e%%");
    line(t, "exit /b %%e%%");
}

static void
online_disks(struct text *t)
{
    line(t, "# v2kvm: bring online the disks Windows took offline when their bus");
    line(t, "# changed (its SAN policy keeps new disks offline: RHEL-55837).");
    line(t, "if (Get-Command Get-Disk -ErrorAction SilentlyContinue) {");
    line(t, "    Get-Disk | Where-Object { $_.IsOffline -or $_.IsReadOnly } | ForEach-Object {");
    line(t, "        Write-Output \"disk $($_.Number) ($($_.FriendlyName)): online\"");
    line(t, "        Set-Disk -Number $_.Number -IsOffline $false");
    line(t, "        Set-Disk -Number $_.Number -IsReadOnly $false");
    line(t, "    }");
    line(t, "} else {");
    line(t, "    'san policy=OnlineAll' | diskpart.exe");
    line(t, "}");
}

int
v2k_fb_scripts(const struct v2k_fb_inputs *in, struct v2k_fb_script **out,
               size_t *n)
{
    bool ps = in->major >= 6;           /* PowerShell: not on XP/2003 */

    *out = NULL;
    *n = 0;
    if (in->drivers && in->major >= 6) {
        struct text t = { 0 };
        pnputil(&t);
        if (add(out, n, "2000-pnputil-drivers.bat", &t) == -1)
            goto fail;
    }
    bool statics = false;
    for (size_t i = 0; i < in->nipcfgs; i++)
        statics |= has_static(&in->ipcfgs[i]);
    if (statics && ps) {
        struct text t = { 0 };
        network(&t, in);
        if (add(out, n, "2500-network.ps1", &t) == -1)
            goto fail;
    }
    if (in->qga_msi && bat_safe(in->qga_msi)) {
        struct text t = { 0 };
        qemu_ga(&t, in->qga_msi);
        if (add(out, n, "3000-install-qemu-ga.bat", &t) == -1)
            goto fail;
    }
    if (in->blnsvr) {
        struct text t = { 0 };
        blnsvr(&t);
        if (add(out, n, "3100-install-blnsvr.bat", &t) == -1)
            goto fail;
    }
    for (size_t i = 0; i < in->napps; i++) {
        const char *tool = NULL;
        char *cmd = v2k_fb_uninstall_command(&in->apps[i], &tool);
        char name[64];
        struct text t = { 0 };

        if (cmd == NULL)
            continue;
        uninstall(&t, tool, in->apps[i].name, cmd);
        free(cmd);
        snprintf(name, sizeof name, "4%03zu-uninstall-%s.bat", i % 1000, tool);
        if (add(out, n, name, &t) == -1)
            goto fail;
    }
    if (in->online_disks && ps) {
        struct text t = { 0 };
        online_disks(&t);
        if (add(out, n, "5000-online-disks.ps1", &t) == -1)
            goto fail;
    }
    return 0;
fail:
    v2k_fb_scripts_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
}
