/* network.c - step "network": network configuration bound to the old
 * NICs.
 *
 * When the output does not keep the source's MAC addresses
 * (!ctx->keep_macs), configuration that only applies to the old MAC
 * would leave the guest without network:
 *   - udev's 70-persistent-net.rules: rules matching ATTR{address} (or
 *     the older SYSFS{address}) are removed, the file too when no rule is
 *     left (the new NIC would otherwise be named eth1);
 *   - ifcfg files (RHEL /etc/sysconfig/network-scripts, SUSE
 *     /etc/sysconfig/network): HWADDR= lines are removed (initscripts
 *     refuse to bring up a device whose MAC differs; SUSE's LLADDR sets
 *     the MAC instead of matching it and stays);
 *   - NetworkManager keyfiles: mac-address= of [ethernet] is removed;
 *   - netplan: a "match: macaddress:" is NOT rewritten.  Netplan YAML has
 *     anchors, flow style and several ways to say the same, and a match
 *     rewritten wrongly could match every NIC; the step warns, naming the
 *     file and the interface, and says how to fix it.
 * virt-v2v edits none of these (it keeps MACs, and says it cannot
 * reconfigure guest networking); with kept MACs this step leaves them.
 *
 * Interface names: a predictable name (ens192, enp2s1, eno1) comes from
 * the PCI layout of the old hypervisor, and KVM's differs (q35 puts the
 * first NIC on a root port: enp1s0; i440fx in slot 3: ens3).  Renaming
 * reliably needs the MAC-to-name mapping, which the guest's config does
 * not always give, so like virt-v2v the step changes nothing but warns
 * with the old name and the likely new one.  MAC-based names (enx...)
 * only change when the MAC does.
 */
#include <ctype.h>
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

#define STEP "network"

/* ---- pure helpers (tools-internal.h) ------------------------------- */

static const char *
skip_blanks(const char *s)
{
    return s + strspn(s, " \t");
}

static bool
udev_binds_mac(const char *line)
{
    const char *p = skip_blanks(line);

    return *p != '#' && (strstr(p, "ATTR{address}") ||
                         strstr(p, "SYSFS{address}"));
}

char *
v2k_net_udev_rewrite(const char *text, unsigned *dropped,
                     unsigned *rules_left)
{
    size_t len = strlen(text);
    char *out = malloc(len + 1), *o = out;
    const char *held = NULL;    /* a comment line not yet copied */
    size_t held_len = 0;

    *dropped = 0;
    *rules_left = 0;
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t full = nl ? (size_t)(nl - p) + 1 : strlen(p);
        const char *b = skip_blanks(p);
        CLEANUP_FREE char *line = strndup(p, nl ? full - 1 : full);

        if (!line) {
            free(out);
            return NULL;
        }
        if (*b == '#') {
            /* Hold a comment: it goes with the rule after it. */
            if (held) {
                memcpy(o, held, held_len);
                o += held_len;
            }
            held = p;
            held_len = full;
        } else if (udev_binds_mac(line)) {
            held = NULL;        /* the rule's comment goes with it */
            (*dropped)++;
        } else {
            if (held) {
                memcpy(o, held, held_len);
                o += held_len;
                held = NULL;
            }
            if (*b != '\n' && *b != '\r' && *b != '\0')
                (*rules_left)++;
            memcpy(o, p, full);
            o += full;
        }
        p += full;
    }
    if (held) {
        memcpy(o, held, held_len);
        o += held_len;
    }
    *o = '\0';
    return out;
}

char *
v2k_net_ifcfg_line(const char *line, bool *drop, void *opaque)
{
    (void)opaque;
    if (strncmp(skip_blanks(line), "HWADDR=", 7) == 0)
        *drop = true;
    return NULL;
}

char *
v2k_net_nm_line(const char *line, bool *drop, void *opaque)
{
    bool *in_ethernet = opaque;
    const char *p = skip_blanks(line);

    if (*p == '[') {
        *in_ethernet = strncmp(p, "[ethernet]", 10) == 0 ||
                       strncmp(p, "[802-3-ethernet]", 16) == 0;
        return NULL;
    }
    if (*in_ethernet && strncmp(p, "mac-address", 11) == 0 &&
        skip_blanks(p + 11)[0] == '=')
        *drop = true;
    return NULL;
}

static int
strv_add(char ***v, size_t *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);

    if (!nv) {
        v2k_error("out of memory");
        return -1;
    }
    *v = nv;
    if (!(nv[*n] = strndup(s, len))) {
        v2k_error("out of memory");
        return -1;
    }
    (*n)++;
    return 0;
}

/* A YAML key "  name:" at the start of p (after indentation): its span,
 * without quotes.  false when the line is not a "key:" line. */
static bool
yaml_key(const char *p, const char **key, size_t *len)
{
    size_t n;

    if (*p == '"' || *p == '\'') {
        const char *q = strchr(p + 1, *p);

        if (!q || q[1] != ':')
            return false;
        *key = p + 1;
        *len = (size_t)(q - p - 1);
        return true;
    }
    n = strcspn(p, ": \t#");
    if (n == 0 || p[n] != ':')
        return false;
    *key = p;
    *len = n;
    return true;
}

static bool
key_is(const char *key, size_t len, const char *s)
{
    return len == strlen(s) && strncmp(key, s, len) == 0;
}

/* Finish one ethernets entry: it goes to mac_ids or names. */
static int
netplan_flush(struct v2k_net_netplan *np, const char *id, size_t idlen,
              bool has_match, bool mac_match)
{
    if (!id)
        return 0;
    if (mac_match)
        return strv_add(&np->mac_ids, &np->nmac, id, idlen);
    if (!has_match)
        return strv_add(&np->names, &np->nnames, id, idlen);
    return 0;
}

int
v2k_net_netplan_scan(const char *text, struct v2k_net_netplan *np)
{
    int eth_indent = -1;        /* the "ethernets:" line's indentation */
    int id_indent = -1;         /* its entries' */
    int match_indent = -1;      /* the current entry's "match:" */
    const char *id = NULL;
    size_t idlen = 0;
    bool has_match = false, mac_match = false;

    memset(np, 0, sizeof *np);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t full = nl ? (size_t)(nl - p) + 1 : strlen(p);
        const char *b = skip_blanks(p);
        int indent = (int)(b - p);
        const char *key = NULL;
        size_t klen = 0;
        bool is_key;

        p += full;
        if (*b == '#' || *b == '\n' || *b == '\r' || *b == '\0')
            continue;
        if (*b == '-')          /* a list item: part of the current key */
            continue;
        is_key = yaml_key(b, &key, &klen);
        if (eth_indent >= 0 && indent <= eth_indent) {
            if (netplan_flush(np, id, idlen, has_match, mac_match) == -1)
                goto fail;
            eth_indent = id_indent = match_indent = -1;
            id = NULL;
        }
        if (eth_indent < 0) {
            if (is_key && key_is(key, klen, "ethernets")) {
                eth_indent = indent;
                id_indent = -1;
            }
            continue;
        }
        if (id_indent < 0)
            id_indent = indent;
        if (indent <= id_indent) {
            if (netplan_flush(np, id, idlen, has_match, mac_match) == -1)
                goto fail;
            id = is_key ? key : NULL;
            idlen = is_key ? klen : 0;
            has_match = mac_match = false;
            match_indent = -1;
            continue;
        }
        if (match_indent >= 0 && indent <= match_indent)
            match_indent = -1;
        if (is_key && key_is(key, klen, "match")) {
            has_match = true;
            match_indent = indent;
            /* flow style: match: {macaddress: ...} */
            if (strstr(key + klen, "macaddress"))
                mac_match = true;
        } else if (match_indent >= 0 && is_key &&
                   key_is(key, klen, "macaddress"))
            mac_match = true;
    }
    if (eth_indent >= 0 &&
        netplan_flush(np, id, idlen, has_match, mac_match) == -1)
        goto fail;
    return 0;
fail:
    v2k_net_netplan_free(np);
    return -1;
}

void
v2k_net_netplan_free(struct v2k_net_netplan *np)
{
    for (size_t i = 0; i < np->nmac; i++)
        free(np->mac_ids[i]);
    for (size_t i = 0; i < np->nnames; i++)
        free(np->names[i]);
    free(np->mac_ids);
    free(np->names);
    memset(np, 0, sizeof *np);
}

/* The value after "KEY=", unquoted, or NULL. */
static char *
assigned(const char *p, const char *key)
{
    size_t k = strlen(key), n;

    if (strncmp(p, key, k) != 0)
        return NULL;
    p = skip_blanks(p + k);
    if (*p == '"' || *p == '\'') {
        const char *q = strchr(p + 1, *p);

        if (!q)
            return NULL;
        return strndup(p + 1, (size_t)(q - p - 1));
    }
    n = strcspn(p, " \t\r#");
    return n ? strndup(p, n) : NULL;
}

char *
v2k_net_config_ifname(const char *line)
{
    static const char *const ifupdown[] = { "iface", "auto",
                                            "allow-hotplug" };
    static const char *const assign[] = { "DEVICE=", "interface-name=",
                                          "Name=" };
    const char *p = skip_blanks(line);

    for (size_t i = 0; i < V2K_ARRAY_SIZE(ifupdown); i++) {
        size_t k = strlen(ifupdown[i]), n;

        if (strncmp(p, ifupdown[i], k) == 0 && (p[k] == ' ' || p[k] == '\t')) {
            p = skip_blanks(p + k);
            n = strcspn(p, " \t\r#");
            return n ? strndup(p, n) : NULL;
        }
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(assign); i++) {
        char *v = assigned(p, assign[i]);

        if (v)
            return v;
    }
    return NULL;
}

static bool
digits(const char **p)
{
    const char *s = *p;

    while (isdigit((unsigned char)**p))
        (*p)++;
    return *p > s;
}

bool
v2k_net_is_predictable(const char *name, bool *mac_based)
{
    const char *p = name + 2;

    *mac_based = false;
    if (strncmp(name, "en", 2) != 0)
        return false;
    switch (*p) {
    case 'x':                   /* enx001122334455 */
        if (strlen(p + 1) == 12 && strspn(p + 1, "0123456789abcdef") == 12) {
            *mac_based = true;
            return true;
        }
        return false;
    case 'o':                   /* eno1, eno1np0 */
    case 's':                   /* ens192, ens1f0 */
        p++;
        return digits(&p);
    case 'P':                   /* enP1p2s3 (PCI domain) */
        p++;
        if (!digits(&p) || *p != 'p')
            return false;
        /* fall through */
    case 'p':                   /* enp2s1, enp0s3f1 */
        p++;
        return digits(&p) && *p == 's' && (p++, digits(&p));
    default:
        return false;
    }
}

/* ---- the step -------------------------------------------------------- */

struct names {
    char **v;
    char **where;               /* the file that names it */
    size_t n;
};

static int
names_add(struct names *ns, const char *name, const char *file)
{
    char **v, **w;

    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], name) == 0)
            return 0;
    v = realloc(ns->v, (ns->n + 1) * sizeof *v);
    if (v)
        ns->v = v;
    w = v ? realloc(ns->where, (ns->n + 1) * sizeof *w) : NULL;
    if (w)
        ns->where = w;
    if (!v || !w || !(v[ns->n] = strdup(name)))
        goto oom;
    if (!(w[ns->n] = strdup(file))) {
        free(v[ns->n]);
        goto oom;
    }
    ns->n++;
    return 0;
oom:
    v2k_error("out of memory");
    return -1;
}

static void
names_free(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        free(ns->v[i]);
        free(ns->where[i]);
    }
    free(ns->v);
    free(ns->where);
}

static int
drop_udev_rules(guestfs_h *g)
{
    static const char path[] = "/etc/udev/rules.d/70-persistent-net.rules";
    CLEANUP_FREE char *text = NULL;
    CLEANUP_FREE char *out = NULL;
    unsigned dropped, left;

    if (!v2k_gf_is_file(g, path))
        return 0;
    if (!(text = v2k_gf_read(g, STEP, path, NULL)))
        return -1;
    if (!(out = v2k_net_udev_rewrite(text, &dropped, &left))) {
        v2k_error("out of memory");
        return -1;
    }
    if (dropped == 0)
        return 0;
    if (left == 0)
        return v2k_gf_remove(g, STEP, path);
    v2k_log_edit(g, STEP, path, "MAC-bound rules", "removed");
    return v2k_gf_write(g, STEP, path, out, strlen(out));
}

static int
each_file(guestfs_h *g, const char *pattern,
          int (*fn)(guestfs_h *g, const char *path, void *opaque),
          void *opaque)
{
    char **m = v2k_gf_glob(g, STEP, pattern);
    int r = 0;

    if (!m)
        return -1;
    for (size_t i = 0; m[i] && r == 0; i++)
        if (v2k_gf_is_file(g, m[i]))
            r = fn(g, m[i], opaque);
    v2k_gf_strv_free(m);
    return r;
}

static int
edit_ifcfg(guestfs_h *g, const char *path, void *opaque)
{
    (void)opaque;
    if (strcmp(path + strlen(path) - 3, "-lo") == 0)
        return 0;
    return v2k_gf_edit_lines(g, STEP, path, true, v2k_net_ifcfg_line, NULL,
                             NULL);
}

static int
edit_nm(guestfs_h *g, const char *path, void *opaque)
{
    bool in_ethernet = false;

    (void)opaque;
    return v2k_gf_edit_lines(g, STEP, path, true, v2k_net_nm_line,
                             &in_ethernet, NULL);
}

/* Netplan: warn about MAC matches (when MACs change) and collect the
 * names it configures. */
struct netplan_ctx {
    bool keep_macs;
    struct names *names;
};

static int
scan_netplan(guestfs_h *g, const char *path, void *opaque)
{
    struct netplan_ctx *nc = opaque;
    CLEANUP_FREE char *text = v2k_gf_read(g, STEP, path, NULL);
    struct v2k_net_netplan np;
    int r = 0;

    if (!text) {
        v2k_warning("%s; left alone", v2k_error_message());
        return 0;
    }
    if (v2k_net_netplan_scan(text, &np) == -1)
        return -1;
    for (size_t i = 0; i < np.nmac && !nc->keep_macs; i++)
        v2k_warning("%s: %s: ethernets.%s matches the old NIC's MAC address, which the converted guest will not have: that interface will not come up; left alone (netplan is not rewritten): replace the match by the new interface's name or MAC, or keep the MAC addresses", STEP, path,
                    np.mac_ids[i]);
    for (size_t i = 0; i < np.nnames && r == 0; i++)
        r = names_add(nc->names, np.names[i], path);
    v2k_net_netplan_free(&np);
    return r;
}

static int
scan_names(guestfs_h *g, const char *path, void *opaque)
{
    struct names *ns = opaque;
    CLEANUP_FREE char *text = v2k_gf_read(g, STEP, path, NULL);
    int r = 0;

    if (!text) {
        v2k_warning("%s; left alone", v2k_error_message());
        return 0;
    }
    for (char *l = text; *l && r == 0;) {
        char *nl = strchr(l, '\n');
        char *name;

        if (nl)
            *nl = '\0';
        name = v2k_net_config_ifname(l);
        if (name) {
            r = names_add(ns, name, path);
            free(name);
        }
        l = nl ? nl + 1 : l + strlen(l);
    }
    return r;
}

bool
v2k_linux_network_applies(const struct v2k_convert_ctx *ctx)
{
    (void)ctx;
    return true;
}

int
v2k_linux_network_run(struct v2k_convert_ctx *ctx)
{
    static const char *const ifcfg[] = {
        "/etc/sysconfig/network-scripts/ifcfg-*",
        "/etc/sysconfig/network/ifcfg-*",
    };
    static const char *const configs[] = {
        "/etc/network/interfaces", "/etc/network/interfaces.d/*",
        "/etc/sysconfig/network-scripts/ifcfg-*",
        "/etc/sysconfig/network/ifcfg-*",
        "/etc/NetworkManager/system-connections/*",
        "/etc/systemd/network/*.network",
    };
    guestfs_h *g = ctx->g;
    struct names ns = { NULL, NULL, 0 };
    struct netplan_ctx nc = { ctx->keep_macs, &ns };
    const char *likely;
    int r = -1;

    if (!ctx->keep_macs) {
        if (drop_udev_rules(g) == -1)
            goto out;
        for (size_t i = 0; i < V2K_ARRAY_SIZE(ifcfg); i++)
            if (each_file(g, ifcfg[i], edit_ifcfg, NULL) == -1)
                goto out;
        if (each_file(g, "/etc/NetworkManager/system-connections/*",
                      edit_nm, NULL) == -1)
            goto out;
    } else
        v2k_debug("%s: the MAC addresses are kept: MAC-bound rules stay",
                  STEP);

    if (each_file(g, "/etc/netplan/*.yaml", scan_netplan, &nc) == -1)
        goto out;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(configs); i++)
        if (each_file(g, configs[i], scan_names, &ns) == -1)
            goto out;

    likely = ctx->gc && ctx->gc->machine == V2K_MACHINE_PC ? "ens3"
                                                           : "enp1s0";
    for (size_t i = 0; i < ns.n; i++) {
        bool mac_based;

        if (!v2k_net_is_predictable(ns.v[i], &mac_based) ||
            (mac_based && ctx->keep_macs) || strcmp(ns.v[i], likely) == 0)
            continue;
        v2k_warning("%s: %s configures interface %s, a name from the old hypervisor's %s: on KVM the first NIC will likely be %s, and this configuration will not apply until it names the new interface", STEP, ns.where[i], ns.v[i],
                    mac_based ? "MAC address" : "PCI layout", likely);
    }
    r = 0;
out:
    names_free(&ns);
    return r;
}
