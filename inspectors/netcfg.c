/* netcfg.c - the guest's configured network interfaces (netcfg.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error.h"
#include "guest-read.h"
#include "log.h"
#include "netcfg.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------- */

static int
add(struct v2k_guest *gu, const char *name, const char *tool,
    const char *file, const char *method, const char *start)
{
    if (!name || !*name || strcmp(name, "lo") == 0)
        return 0;
    if (v2k_guest_add_netif(gu, name, tool, file, method, start) == -1) {
        v2k_error("out of memory");
        return -1;
    }
    return 0;
}

/* Replace the method of (name, tool), adding it when missing. */
static int
set_method(struct v2k_guest *gu, const char *name, const char *tool,
           const char *file, const char *method)
{
    for (size_t i = 0; i < gu->nnetifs; i++) {
        struct v2k_guest_netif *n = &gu->netifs[i];
        char *m;

        if (strcmp(n->name, name) != 0 || strcmp(n->tool, tool) != 0)
            continue;
        if (!(m = strdup(method))) {
            v2k_error("out of memory");
            return -1;
        }
        free(n->method);
        n->method = m;
        return 0;
    }
    return add(gu, name, tool, file, method, NULL);
}

/* The next line of *p copied into buf (cut at size, comments from '#'
 * dropped, blanks trimmed); false at the end of the text. */
static bool
next_line(const char **p, char *buf, size_t size, size_t *indent)
{
    const char *l = *p, *nl, *e;
    size_t n;

    if (!*l)
        return false;
    nl = strchr(l, '\n');
    e = nl ? nl : l + strlen(l);
    *p = nl ? nl + 1 : e;
    *indent = strspn(l, " \t");
    l += *indent;
    n = (size_t)(e - l);
    for (size_t i = 0; i < n; i++)
        if (l[i] == '#' && (i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t')) {
            n = i;
            break;
        }
    while (n && isspace((unsigned char)l[n - 1]))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(buf, l, n);
    buf[n] = '\0';
    return true;
}

/* KEY=VALUE (or KEY = VALUE) with the quotes around VALUE dropped. */
static bool
kv(const char *line, const char *key, char *val, size_t size)
{
    size_t k = strlen(key);
    const char *v;
    size_t n;

    if (strncasecmp(line, key, k) != 0)
        return false;
    v = line + k + strspn(line + k, " \t");
    if (*v != '=')
        return false;
    v++;
    v += strspn(v, " \t");
    n = strlen(v);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v++;
        n -= 2;
    }
    if (n >= size)
        n = size - 1;
    memcpy(val, v, n);
    val[n] = '\0';
    return true;
}

static bool
yes(const char *v)
{
    return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
           strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0;
}

/* ---- ifupdown ----------------------------------------------------------- */

int
v2k_netcfg_ifupdown(struct v2k_guest *gu, const char *file, const char *text)
{
    static const char tool[] = "ifupdown";
    char line[512], cur[64] = "", method[160];
    size_t ind;

    for (const char *p = text; next_line(&p, line, sizeof line, &ind);) {
        char *save = NULL, *w = strtok_r(line, " \t", &save);
        const char *start = NULL;

        if (!w)
            continue;
        if (strcmp(w, "auto") == 0 || strcmp(w, "allow-auto") == 0)
            start = "at boot";
        else if (strcmp(w, "allow-hotplug") == 0)
            start = "on hotplug";
        if (start) {
            cur[0] = '\0';
            while ((w = strtok_r(NULL, " \t", &save)))
                if (add(gu, w, tool, file, NULL, start) == -1)
                    return -1;
        } else if (strcmp(w, "iface") == 0) {
            char *name = strtok_r(NULL, " \t", &save);
            char *fam = strtok_r(NULL, " \t", &save);
            char *how = strtok_r(NULL, " \t", &save);

            cur[0] = '\0';
            if (!name || !fam || !how || strcmp(name, "lo") == 0)
                continue;
            snprintf(cur, sizeof cur, "%s", name);
            if (strcmp(how, "dhcp") == 0 || strcmp(how, "auto") == 0)
                snprintf(method, sizeof method, "dhcp%s",
                         strcmp(fam, "inet6") == 0 ? " (IPv6)" : "");
            else if (strcmp(how, "static") == 0)
                snprintf(method, sizeof method, "static");
            else
                snprintf(method, sizeof method, "%s", how);
            /* the first family stanza says how the interface comes up */
            if (add(gu, name, tool, file, method, NULL) == -1)
                return -1;
        } else if (strcmp(w, "address") == 0 && cur[0]) {
            char *a = strtok_r(NULL, " \t", &save);

            for (size_t i = 0; a && i < gu->nnetifs; i++)
                if (strcmp(gu->netifs[i].name, cur) == 0 &&
                    strcmp(gu->netifs[i].tool, tool) == 0 &&
                    gu->netifs[i].method &&
                    strcmp(gu->netifs[i].method, "static") == 0) {
                    snprintf(method, sizeof method, "static %s", a);
                    if (set_method(gu, cur, tool, file, method) == -1)
                        return -1;
                }
        } else if (ind == 0 && (strcmp(w, "mapping") == 0 ||
                                strcmp(w, "source") == 0 ||
                                strcmp(w, "source-directory") == 0))
            cur[0] = '\0';
    }
    /* named by auto/allow-hotplug but no stanza: not configured here */
    return 0;
}

/* ---- ifcfg ---------------------------------------------------------------- */

int
v2k_netcfg_ifcfg(struct v2k_guest *gu, const char *file, const char *text)
{
    const char *base = strrchr(file, '/');
    char line[512], v[256], name[64] = "", proto[32] = "", ip[64] = "";
    char prefix[16] = "", start[16] = "";
    const char *tool = strstr(file, "/sysconfig/network/")
                           ? "ifcfg (wicked)" : "ifcfg";
    char method[160];
    const char *when = NULL;
    size_t ind;

    base = base ? base + 1 : file;
    if (strncmp(base, "ifcfg-", 6) == 0)
        snprintf(name, sizeof name, "%s", base + 6);
    for (const char *p = text; next_line(&p, line, sizeof line, &ind);) {
        if (kv(line, "DEVICE", v, sizeof v) && *v)
            snprintf(name, sizeof name, "%s", v);
        else if (kv(line, "BOOTPROTO", v, sizeof v))
            snprintf(proto, sizeof proto, "%s", v);
        else if (kv(line, "IPADDR", v, sizeof v) ||
                 kv(line, "IPADDR0", v, sizeof v))
            snprintf(ip, sizeof ip, "%s", v);
        else if (kv(line, "PREFIX", v, sizeof v) ||
                 kv(line, "PREFIX0", v, sizeof v) ||
                 kv(line, "NETMASK", v, sizeof v))
            snprintf(prefix, sizeof prefix, "%s", v);
        else if (kv(line, "ONBOOT", v, sizeof v) ||
                 kv(line, "STARTMODE", v, sizeof v))
            snprintf(start, sizeof start, "%s", v);
    }
    if (strcmp(name, "lo") == 0 || !*name)
        return 0;
    if (strcasecmp(proto, "dhcp") == 0 || strncasecmp(proto, "dhcp4", 5) == 0)
        snprintf(method, sizeof method, "dhcp");
    else if (*ip)
        snprintf(method, sizeof method, "static %s%s%s", ip,
                 *prefix && !strchr(ip, '/') ? "/" : "", 
                 *prefix && !strchr(ip, '/') ? prefix : "");
    else if (*proto)
        snprintf(method, sizeof method, "%s", proto);
    else
        snprintf(method, sizeof method, "unknown");
    if (yes(start) || strcasecmp(start, "auto") == 0 ||
        strcasecmp(start, "onboot") == 0 || strcasecmp(start, "nfsroot") == 0)
        when = "at boot";
    else if (strcasecmp(start, "hotplug") == 0 ||
             strcasecmp(start, "ifplugd") == 0)
        when = "on hotplug";
    else if (*start)
        when = "not started";
    return add(gu, name, tool, file, method, when);
}

/* ---- INI-style: NetworkManager keyfiles, systemd-networkd ---------------- */

int
v2k_netcfg_nm(struct v2k_guest *gu, const char *file, const char *text)
{
    char line[512], v[256], sect[32] = "", name[64] = "", how[32] = "";
    char addr[128] = "", method[160];
    bool autoconnect = true;
    size_t ind;

    for (const char *p = text; next_line(&p, line, sizeof line, &ind);) {
        if (line[0] == '[') {
            snprintf(sect, sizeof sect, "%.*s", (int)strcspn(line + 1, "]"),
                     line + 1);
            continue;
        }
        if (strcmp(sect, "connection") == 0) {
            if (kv(line, "interface-name", v, sizeof v))
                snprintf(name, sizeof name, "%s", v);
            else if (kv(line, "autoconnect", v, sizeof v))
                autoconnect = yes(v);
        } else if (strcmp(sect, "ipv4") == 0) {
            if (kv(line, "method", v, sizeof v))
                snprintf(how, sizeof how, "%s", v);
            else if ((kv(line, "address1", v, sizeof v) ||
                      kv(line, "addresses1", v, sizeof v)) && !*addr)
                snprintf(addr, sizeof addr, "%.*s", (int)strcspn(v, ",;"),
                         v);
        }
    }
    if (!*name)
        return 0;               /* matched by MAC or unbound: no name */
    if (strcmp(how, "auto") == 0 || !*how)
        snprintf(method, sizeof method, "dhcp");
    else if (strcmp(how, "manual") == 0)
        snprintf(method, sizeof method, "static%s%s", *addr ? " " : "",
                 addr);
    else
        snprintf(method, sizeof method, "%s", how);
    return add(gu, name, "NetworkManager", file, method,
               autoconnect ? "at boot" : "not started");
}

int
v2k_netcfg_networkd(struct v2k_guest *gu, const char *file,
                    const char *text)
{
    char line[512], v[256], sect[32] = "", name[64] = "", addr[128] = "";
    char method[160];
    bool dhcp = false;
    size_t ind;

    for (const char *p = text; next_line(&p, line, sizeof line, &ind);) {
        if (line[0] == '[') {
            snprintf(sect, sizeof sect, "%.*s", (int)strcspn(line + 1, "]"),
                     line + 1);
            continue;
        }
        if (strcmp(sect, "Match") == 0 && kv(line, "Name", v, sizeof v))
            snprintf(name, sizeof name, "%.*s", (int)strcspn(v, " \t"), v);
        else if (strcmp(sect, "Network") == 0) {
            if (kv(line, "DHCP", v, sizeof v))
                dhcp = yes(v) || strcasecmp(v, "ipv4") == 0 ||
                       strcasecmp(v, "both") == 0;
            else if (kv(line, "Address", v, sizeof v) && !*addr)
                snprintf(addr, sizeof addr, "%s", v);
        } else if (strcmp(sect, "Address") == 0 &&
                   kv(line, "Address", v, sizeof v) && !*addr)
            snprintf(addr, sizeof addr, "%s", v);
    }
    if (!*name)
        return 0;
    if (dhcp)
        snprintf(method, sizeof method, "dhcp");
    else if (*addr)
        snprintf(method, sizeof method, "static %s", addr);
    else
        snprintf(method, sizeof method, "manual");
    return add(gu, name, "systemd-networkd", file, method, "at boot");
}

/* ---- netplan ------------------------------------------------------------ */

int
v2k_netcfg_netplan(struct v2k_guest *gu, const char *file, const char *text)
{
    static const char tool[] = "netplan";
    char line[512], id[64] = "", name[64] = "", method[160] = "";
    size_t ind, sect_ind = 0, id_ind = 0;
    bool in_sect = false, in_addrs = false;

    for (const char *p = text;;) {
        bool more = next_line(&p, line, sizeof line, &ind);

        if (more && !*line)
            continue;
        /* an id ends at the next line indented as much as it, or less */
        if (*id && (!more || ind <= id_ind)) {
            if (add(gu, *name ? name : id, tool, file,
                    *method ? method : "unknown", "at boot") == -1)
                return -1;
            id[0] = name[0] = method[0] = '\0';
        }
        if (!more)
            break;
        if (in_sect && ind <= sect_ind)
            in_sect = false;
        if (!in_sect) {
            if (strcmp(line, "ethernets:") == 0 ||
                strcmp(line, "bonds:") == 0 ||
                strcmp(line, "bridges:") == 0 ||
                strcmp(line, "vlans:") == 0) {
                in_sect = true;
                sect_ind = ind;
                id_ind = 0;
            }
            continue;
        }
        if (!*id) {
            size_t n = strlen(line);

            if ((id_ind == 0 || ind == id_ind) && n > 1 &&
                line[n - 1] == ':' && !strchr(line, ' ')) {
                id_ind = ind;
                snprintf(id, sizeof id, "%.*s", (int)(n - 1), line);
                if ((id[0] == '"' || id[0] == '\'') &&
                    strlen(id) >= 2) {
                    memmove(id, id + 1, strlen(id) - 2);
                    id[strlen(id) - 2] = '\0';
                }
                in_addrs = false;
            }
            continue;
        }
        if (strncmp(line, "set-name:", 9) == 0)
            snprintf(name, sizeof name, "%s", line + 9 + strspn(line + 9, " \"'"));
        else if (strncmp(line, "dhcp4:", 6) == 0 && yes(line + 6 +
                                                       strspn(line + 6, " ")))
            snprintf(method, sizeof method, "dhcp");
        else if (strncmp(line, "addresses:", 10) == 0) {
            const char *a = line + 10 + strspn(line + 10, " ");

            in_addrs = true;
            if (*a == '[' && !*method) {
                a++;
                snprintf(method, sizeof method, "static %.*s",
                         (int)strcspn(a, ",] "), a);
            }
        } else if (in_addrs && line[0] == '-' && !*method) {
            const char *a = line + 1 + strspn(line + 1, " \"'");

            snprintf(method, sizeof method, "static %.*s",
                     (int)strcspn(a, "\"' "), a);
        } else if (line[0] != '-')
            in_addrs = false;
        /* drop quotes a set-name may carry */
        name[strcspn(name, "\"'")] = '\0';
    }
    return 0;
}

/* ---- the guest ------------------------------------------------------------ */

int
v2k_inspect_netcfg(guestfs_h *g, struct v2k_guest *gu)
{
    static const struct {
        const char *glob;
        int (*fn)(struct v2k_guest *, const char *, const char *);
    } files[] = {
        { "/etc/network/interfaces", v2k_netcfg_ifupdown },
        { "/etc/network/interfaces.d/*", v2k_netcfg_ifupdown },
        { "/etc/sysconfig/network-scripts/ifcfg-*", v2k_netcfg_ifcfg },
        { "/etc/sysconfig/network/ifcfg-*", v2k_netcfg_ifcfg },
        { "/etc/NetworkManager/system-connections/*", v2k_netcfg_nm },
        { "/etc/systemd/network/*.network", v2k_netcfg_networkd },
        { "/etc/netplan/*.yaml", v2k_netcfg_netplan },
    };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(files); i++) {
        char **m;

        guestfs_push_error_handler(g, NULL, NULL);
        m = guestfs_glob_expand(g, files[i].glob);
        guestfs_pop_error_handler(g);
        for (size_t k = 0; m && m[k]; k++) {
            CLEANUP_FREE char *text = NULL;
            int r;

            if (!v2k_gf_is_file(g, m[k]))
                continue;
            if (!(text = v2k_gf_read_max(g, "network", m[k], 1u << 20,
                                         NULL))) {
                v2k_debug("%s; not listed", v2k_error_message());
                v2k_error_clear();
                continue;
            }
            r = files[i].fn(gu, m[k], text);
            if (r == -1) {
                v2k_strv_free(m);
                return -1;
            }
        }
        v2k_strv_free(m);
    }
    return 0;
}
