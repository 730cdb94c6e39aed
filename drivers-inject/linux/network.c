/* network.c - step "network": the guest's network configuration keeps
 * working on the new NICs.
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
 * Interface names (netpin-internal.h): a name from the old machine's
 * PCI layout or firmware (ens192, enp11s0, eno1, em1, p3p1) would
 * change on KVM (q35: enp1s0; i440fx: ens3) and every configuration
 * naming it would stop applying.  The step matches each such name to a
 * NIC of the converted guest (the guest's own MAC binding, VMware's PCI
 * slot number, the MAC in an enx name, else PCI order) and keeps it:
 * /etc/systemd/network/10-v2kvm-NAME.link binding the name to the MAC
 * the NIC has on KVM (the source's, which the outputs keep), or a rule
 * in /etc/udev/rules.d/70-v2kvm-net.rules where udev has no .link files.
 * Each pin is said in the log ("ens192 stays the name of the NIC with MAC
 * ...").  When the MAC on KVM is not known, the name cannot be pinned:
 * every config naming it (whole words, so VLANs, bonds and bridges on
 * top follow) and the files named after it are renamed to the name the
 * guest will likely see.  Kernel names (eth0) are left to the kernel.
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
#include "netpin-internal.h"
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

/* An interface name the guest's configuration uses. */
struct cfg_name {
    char *name;
    char *file;                 /* the first config naming it */
    char *bound_mac;            /* a MAC a config binds it to, or NULL */
    char *bound_by;             /* that config */
    bool bound_renames;         /* a udev rule or .link file of the guest
                                   names the NIC with bound_mac */
};

struct cfg_names {
    struct cfg_name *v;
    size_t n;
    char **bad;                 /* configs not understood: left alone */
    size_t nbad;
};

static struct cfg_name *
names_get(struct cfg_names *ns, const char *name, const char *file)
{
    struct cfg_name *v;

    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i].name, name) == 0)
            return &ns->v[i];
    if (ns->n == 256) {         /* a guest with more is not one we know */
        v2k_error("%s: %s: more than 256 interface names", STEP, file);
        return NULL;
    }
    if (!(v = realloc(ns->v, (ns->n + 1) * sizeof *v))) {
        v2k_error("out of memory");
        return NULL;
    }
    ns->v = v;
    v = &v[ns->n];
    memset(v, 0, sizeof *v);
    if (!(v->name = strdup(name)) || !(v->file = strdup(file))) {
        free(v->name);
        free(v->file);
        v2k_error("out of memory");
        return NULL;
    }
    ns->n++;
    return v;
}

static int
names_add(struct cfg_names *ns, const char *name, const char *file)
{
    return names_get(ns, name, file) ? 0 : -1;
}

static int
names_bind(struct cfg_names *ns, char *name, char *mac, const char *file,
           bool renames)
{
    struct cfg_name *c = names_get(ns, name, file);
    int r = -1;

    if (c && c->bound_mac && renames && strcasecmp(c->bound_mac, mac) == 0)
        c->bound_renames = true;
    if (c && !c->bound_mac) {
        c->bound_renames = renames;
        c->bound_mac = mac;
        mac = NULL;
        if (!(c->bound_by = strdup(file)))
            v2k_error("out of memory");
        else
            r = 0;
    } else if (c)
        r = 0;                  /* the first binding wins */
    free(name);
    free(mac);
    return r;
}

static void
names_free(struct cfg_names *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        free(ns->v[i].name);
        free(ns->v[i].file);
        free(ns->v[i].bound_mac);
        free(ns->v[i].bound_by);
    }
    free(ns->v);
    for (size_t i = 0; i < ns->nbad; i++)
        free(ns->bad[i]);
    free(ns->bad);
}

static bool
is_bad(const struct cfg_names *ns, const char *path)
{
    for (size_t i = 0; ns && i < ns->nbad; i++)
        if (strcmp(ns->bad[i], path) == 0)
            return true;
    return false;
}

static int
drop_udev_rules(guestfs_h *g, const struct cfg_names *ns)
{
    static const char path[] = "/etc/udev/rules.d/70-persistent-net.rules";
    CLEANUP_FREE char *text = NULL;
    CLEANUP_FREE char *out = NULL;
    unsigned dropped, left;

    if (is_bad(ns, path) || !v2k_gf_is_file(g, path))
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

/* fn for each regular file matching pattern, except the configs ns
 * (may be NULL) found not understood. */
static int
each_file(guestfs_h *g, const struct cfg_names *ns, const char *pattern,
          int (*fn)(guestfs_h *g, const char *path, void *opaque),
          void *opaque)
{
    char **m = v2k_gf_glob(g, STEP, pattern);
    int r = 0;

    if (!m)
        return -1;
    for (size_t i = 0; m[i] && r == 0; i++)
        if (!is_bad(ns, m[i]) && v2k_gf_is_file(g, m[i]))
            r = fn(g, m[i], opaque);
    v2k_gf_strv_free(m);
    return r;
}

static bool
is_loopback_ifcfg(const char *path)
{
    size_t n = strlen(path);

    return n >= 3 && strcmp(path + n - 3, "-lo") == 0;
}

static int
edit_ifcfg(guestfs_h *g, const char *path, void *opaque)
{
    (void)opaque;
    if (is_loopback_ifcfg(path))
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

/* A config file's text, or NULL with a warning (the file is left
 * alone: unreadable or too large is not the conversion's failure). */
static char *
read_config(guestfs_h *g, const char *path)
{
    char *text = v2k_gf_read(g, STEP, path, NULL);

    if (!text)
        v2k_warning("%s; left alone", v2k_error_message());
    return text;
}

/* A config's text for the scans: *text NULL when it cannot be read or
 * its syntax is not what the step understands (v2k_net_bad_line): then
 * it is recorded in ns->bad with a warning naming the line, and
 * each_file skips it from now on.  -1 on ENOMEM. */
static int
read_checked(guestfs_h *g, struct cfg_names *ns, const char *path,
             char **text)
{
    enum v2k_net_syntax syn = v2k_net_syntax_of(path);
    const char *why;
    unsigned line;
    char **v;

    if (!(*text = read_config(g, path)) || syn == V2K_SYN_NONE ||
        (line = v2k_net_bad_line(syn, *text, &why)) == 0)
        return 0;
    free(*text);
    *text = NULL;
    v2k_warning("%s: %s:%u: %s; the file is left alone (neither read for interface names nor edited)", STEP, path, line, why);
    if (!(v = realloc(ns->bad, (ns->nbad + 1) * sizeof *v)) ||
        !(v[ns->nbad] = strdup(path))) {
        if (v)
            ns->bad = v;
        v2k_error("out of memory");
        return -1;
    }
    ns->bad = v;
    ns->nbad++;
    return 0;
}

/* Netplan: warn about MAC matches (when MACs change) and collect the
 * names it configures. */
struct netplan_ctx {
    bool keep_macs;
    struct cfg_names *names;
};

static int
scan_netplan(guestfs_h *g, const char *path, void *opaque)
{
    struct netplan_ctx *nc = opaque;
    CLEANUP_FREE char *text = NULL;
    struct v2k_net_netplan np;
    int r = 0;

    if (read_checked(g, nc->names, path, &text) == -1)
        return -1;
    if (!text)
        return 0;
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
    struct cfg_names *ns = opaque;
    CLEANUP_FREE char *text = NULL;
    const char *base;
    int r = 0;

    if (read_checked(g, ns, path, &text) == -1)
        return -1;
    if (!text)
        return 0;
    /* ifcfg-NAME: SUSE's name the interface by the file name only. */
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "ifcfg-", 6) == 0 && strcmp(base + 6, "lo") != 0 &&
        base[6] && names_add(ns, base + 6, path) == -1)
        return -1;
    for (char *l = text; *l && r == 0;) {
        char *nl = strchr(l, '\n');
        char *name;

        if (nl)
            *nl = '\0';
        name = v2k_net_config_ifname(l);
        if (name) {
            if (strcmp(name, "lo") != 0)
                r = names_add(ns, name, path);
            free(name);
        }
        l = nl ? nl + 1 : l + strlen(l);
    }
    return r;
}

/* Bindings of names to MACs: whole files (ifcfg, .link, NM keyfiles)
 * or udev rules line by line. */
struct bind_ctx {
    enum v2k_net_bind_kind kind;
    struct cfg_names *names;
};

static int
scan_binding(guestfs_h *g, const char *path, void *opaque)
{
    struct bind_ctx *bc = opaque;
    CLEANUP_FREE char *text = NULL;
    char *name, *mac;
    int r = 0, b;

    if (bc->kind == V2K_BIND_IFCFG && is_loopback_ifcfg(path))
        return 0;
    if (read_checked(g, bc->names, path, &text) == -1)
        return -1;
    if (!text)
        return 0;
    if (bc->kind != V2K_BIND_UDEV) {
        if ((b = v2k_net_binding(bc->kind, text, &name, &mac)) == -1) {
            v2k_error("out of memory");
            return -1;
        }
        return b ? names_bind(bc->names, name, mac, path,
                              bc->kind == V2K_BIND_LINK) : 0;
    }
    for (char *l = text; *l && r == 0;) {
        char *nl = strchr(l, '\n');

        if (nl)
            *nl = '\0';
        if ((b = v2k_net_binding(V2K_BIND_UDEV, l, &name, &mac)) == -1) {
            v2k_error("out of memory");
            return -1;
        }
        if (b)
            r = names_bind(bc->names, name, mac, path, true);
        l = nl ? nl + 1 : l + strlen(l);
    }
    return r;
}

/* Every file that configures interfaces by name, for the names and for
 * the renaming when a name cannot be pinned. */
static const char *const configs[] = {
    "/etc/network/interfaces", "/etc/network/interfaces.d/*",
    "/etc/sysconfig/network-scripts/ifcfg-*",
    "/etc/sysconfig/network/ifcfg-*",
    "/etc/sysconfig/network-scripts/route-*",
    "/etc/sysconfig/network-scripts/route6-*",
    "/etc/sysconfig/network/ifroute-*",
    "/etc/NetworkManager/system-connections/*",
    "/etc/systemd/network/*.network",
    "/etc/systemd/network/*.netdev",
    "/etc/netplan/*.yaml",
};

static int
collect(struct v2k_convert_ctx *ctx, struct cfg_names *ns)
{
    static const struct { const char *glob; enum v2k_net_bind_kind k; }
    binds[] = {
        { "/etc/udev/rules.d/*.rules", V2K_BIND_UDEV },
        { "/etc/sysconfig/network-scripts/ifcfg-*", V2K_BIND_IFCFG },
        { "/etc/sysconfig/network/ifcfg-*", V2K_BIND_IFCFG },
        { "/etc/systemd/network/*.link", V2K_BIND_LINK },
        { "/etc/NetworkManager/system-connections/*", V2K_BIND_NM },
    };
    struct netplan_ctx nc = { ctx->keep_macs, ns };

    /* Every config is read here, and its syntax checked as it is
     * (read_checked): the files not understood are known before
     * anything is edited. */
    for (size_t i = 0; i < V2K_ARRAY_SIZE(binds); i++) {
        struct bind_ctx bc = { binds[i].k, ns };

        if (each_file(ctx->g, ns, binds[i].glob, scan_binding, &bc) == -1)
            return -1;
    }
    if (each_file(ctx->g, ns, "/etc/netplan/*.yaml", scan_netplan, &nc) == -1)
        return -1;
    /* netplan's are done; its YAML is not line-by-line key=value */
    for (size_t i = 0; i < V2K_ARRAY_SIZE(configs) - 1; i++)
        if (each_file(ctx->g, ns, configs[i], scan_names, ns) == -1)
            return -1;
    return 0;
}

/* The name the guest's udev will likely give the NIC at index k of the
 * output: libvirt and the qemu script put NICs first, each on its own
 * PCIe root port on q35 (enp1s0, enp2s0), from slot 3 on i440fx (ens3). */
static void
likely_name(const struct v2k_convert_ctx *ctx, size_t k, char buf[16])
{
    if (ctx->gc && ctx->gc->machine == V2K_MACHINE_PC)
        snprintf(buf, 16, "ens%zu", k + 3);
    else
        snprintf(buf, 16, "enp%zus0", k + 1);
}

static const char *
net_driver(const struct v2k_convert_ctx *ctx)
{
    if (!ctx->gc)
        return NULL;
    switch (ctx->gc->net_model) {
    case V2K_NETM_VIRTIO: return "virtio_net";
    case V2K_NETM_E1000: return "e1000";
    case V2K_NETM_RTL8139: return NULL;         /* 8139cp or 8139too */
    }
    return NULL;
}

/* udev applies systemd .link files through 80-net-setup-link.rules
 * (systemd 209 and later); older udev (RHEL 6, SLES 11) gets a rule. */
static bool
has_link_files(guestfs_h *g)
{
    static const char *const rules[] = {
        "/usr/lib/udev/rules.d/80-net-setup-link.rules",
        "/lib/udev/rules.d/80-net-setup-link.rules",
        NULL,
    };

    return v2k_gf_first_file(g, rules) != NULL;
}

static int
write_pin(struct v2k_convert_ctx *ctx, bool link, const char *name,
          const char *mac, const char *why, char **udev_rules)
{
    CLEANUP_FREE char *path = NULL;
    CLEANUP_FREE char *text = NULL;

    if (!link) {
        char *rule = v2k_net_udev_pin_rule(name, mac, why);
        char *all;

        if (!rule) {
            v2k_error("out of memory");
            return -1;
        }
        all = v2k_asprintf("%s%s", *udev_rules ? *udev_rules : "", rule);
        free(rule);
        if (!all)
            return -1;
        free(*udev_rules);
        *udev_rules = all;
        v2k_msg("%s: %s stays the name of the NIC with MAC %s (matched by %s): /etc/udev/rules.d/70-v2kvm-net.rules", STEP, name, mac, why);
        return 0;
    }
    if (!(path = v2k_asprintf("/etc/systemd/network/10-v2kvm-%s.link", name)))
        return -1;
    if (!(text = v2k_net_link_file(name, mac, net_driver(ctx), why))) {
        v2k_error("out of memory");
        return -1;
    }
    if (!v2k_gf_is_dir(ctx->g, "/etc/systemd/network") &&
        guestfs_mkdir_p(ctx->g, "/etc/systemd/network") == -1) {
        v2k_gf_error(ctx->g, STEP, "/etc/systemd/network", "mkdir");
        return -1;
    }
    if (v2k_gf_write(ctx->g, STEP, path, text, strlen(text)) == -1)
        return -1;
    v2k_log_edit(ctx->g, STEP, path, NULL, "written");
    v2k_msg("%s: %s stays the name of the NIC with MAC %s (matched by %s): %s",
            STEP, name, mac, why, path);
    return 0;
}

/* Rename one interface in every config that names it (whole words:
 * VLANs "ens192.100", bond-slaves and bridge_ports lists too), and an
 * ifcfg-OLD file to ifcfg-NEW. */
struct rename_ctx {
    const char *from, *to;
};

static int
rename_in(guestfs_h *g, const char *path, void *opaque)
{
    struct rename_ctx *rc = opaque;
    CLEANUP_FREE char *text = read_config(g, path);
    CLEANUP_FREE char *out = NULL;
    unsigned n;

    if (!text)
        return 0;
    if (!(out = v2k_net_rename_word(text, rc->from, rc->to, &n))) {
        v2k_error("out of memory");
        return -1;
    }
    if (n == 0)
        return 0;
    v2k_log_edit(g, STEP, path, rc->from, rc->to);
    return v2k_gf_write(g, STEP, path, out, strlen(out));
}

static int
rename_everywhere(struct v2k_convert_ctx *ctx, const struct cfg_names *ns,
                  const char *from, const char *to)
{
    /* Files named after the interface: RHEL's ifcfg-, route-, route6-;
     * SUSE's ifcfg-, ifroute-. */
    static const char *const named[] = {
        "/etc/sysconfig/network-scripts/ifcfg-",
        "/etc/sysconfig/network-scripts/route-",
        "/etc/sysconfig/network-scripts/route6-",
        "/etc/sysconfig/network/ifcfg-",
        "/etc/sysconfig/network/ifroute-",
    };
    struct rename_ctx rc = { from, to };

    /* A config left alone that names the interface would disagree with
     * the renamed ones: then nothing is renamed. */
    for (size_t i = 0; i < ns->nbad; i++) {
        CLEANUP_FREE char *text = read_config(ctx->g, ns->bad[i]);
        CLEANUP_FREE char *out = NULL;
        unsigned n = 0;

        if (text && !(out = v2k_net_rename_word(text, from, to, &n))) {
            v2k_error("out of memory");
            return -1;
        }
        size_t bl = strlen(ns->bad[i]), fl = strlen(from);

        if (n > 0 || (bl > fl + 1 && ns->bad[i][bl - fl - 1] == '-' &&
                      strcmp(ns->bad[i] + bl - fl, from) == 0)) {
            v2k_warning("%s: %s is not renamed %s: %s, which names it, is not understood; the interface will not come up until its configuration names %s", STEP, from, to, ns->bad[i], to);
            return 0;
        }
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(configs); i++)
        if (each_file(ctx->g, ns, configs[i], rename_in, &rc) == -1)
            return -1;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(named); i++) {
        CLEANUP_FREE char *old = v2k_asprintf("%s%s", named[i], from);
        CLEANUP_FREE char *new = v2k_asprintf("%s%s", named[i], to);

        if (!old || !new)
            return -1;
        if (is_bad(ns, old) || !v2k_gf_is_file(ctx->g, old))
            continue;
        if (v2k_gf_exists(ctx->g, new)) {
            v2k_warning("%s: %s: not renamed to %s, which exists; the interface's configuration may not apply", STEP, old, new);
            continue;
        }
        if (guestfs_mv(ctx->g, old, new) == -1) {
            v2k_gf_error(ctx->g, STEP, old, "mv");
            return -1;
        }
        v2k_log_edit(ctx->g, STEP, old, old, new);
    }
    v2k_msg("%s: %s renamed %s in the guest's network configuration (the NIC's MAC on KVM is not known, so the old name cannot be kept)",
            STEP, from, to);
    return 0;
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
    static const char udev_path[] = "/etc/udev/rules.d/70-v2kvm-net.rules";
    guestfs_h *g = ctx->g;
    const struct v2k_source *src = ctx->src;
    size_t nnics = src ? src->nnics : 0;
    struct cfg_names ns = { NULL, 0, NULL, 0 };
    struct v2k_net_nic *nics = NULL;
    struct v2k_net_name *names = NULL;
    struct v2k_net_pin *pins = NULL;
    CLEANUP_FREE char *udev_rules = NULL;
    bool link;
    int r = -1;

    /* What the guest configures, before anything is dropped. */
    if (collect(ctx, &ns) == -1)
        goto out;

    if (!ctx->keep_macs) {
        if (drop_udev_rules(g, &ns) == -1)
            goto out;
        for (size_t i = 0; i < V2K_ARRAY_SIZE(ifcfg); i++)
            if (each_file(g, &ns, ifcfg[i], edit_ifcfg, NULL) == -1)
                goto out;
        if (each_file(g, &ns, "/etc/NetworkManager/system-connections/*",
                      edit_nm, NULL) == -1)
            goto out;
    } else
        v2k_debug("%s: the MAC addresses are kept: MAC-bound rules stay",
                  STEP);

    if (ns.n == 0) {
        r = 0;
        goto out;
    }
    nics = calloc(nnics ? nnics : 1, sizeof *nics);
    names = calloc(ns.n, sizeof *names);
    pins = calloc(ns.n, sizeof *pins);
    if (!nics || !names || !pins) {
        v2k_error("out of memory");
        goto out;
    }
    for (size_t k = 0; k < nnics; k++) {
        nics[k].src_mac = src->nics[k].mac;
        nics[k].mac = ctx->keep_macs ? src->nics[k].mac : NULL;
        nics[k].pci_slot = src->nics[k].pci_slot;
    }
    for (size_t i = 0; i < ns.n; i++) {
        names[i].name = ns.v[i].name;
        names[i].bound_mac = ns.v[i].bound_mac;
        names[i].renames = ns.v[i].bound_renames;
    }
    v2k_net_plan(nics, nnics, names, ns.n, pins);

    link = has_link_files(g);
    for (size_t i = 0; i < ns.n; i++) {
        const struct cfg_name *c = &ns.v[i];
        const struct v2k_net_pin *p = &pins[i];
        char likely[16];

        if (p->how == V2K_PIN_NONE) {
            if (v2k_net_is_hw_name(c->name) && !c->bound_mac)
                v2k_warning("%s: %s configures interface %s, a name from the old machine's hardware, and no NIC of the converted guest is left for it (%zu NIC%s): it will not come up", STEP, c->file, c->name,
                            nnics, nnics == 1 ? "" : "s");
            else
                v2k_debug("%s: %s (%s): left as it is", STEP, c->name,
                          c->file);
            continue;
        }
        if (p->how == V2K_PIN_GUEST) {
            v2k_debug("%s: %s: bound to %s by %s, which the NIC keeps",
                      STEP, c->name, c->bound_mac, c->bound_by);
            continue;
        }
        likely_name(ctx, (size_t)p->nic, likely);
        if (nics[p->nic].mac) {
            char why[96];

            snprintf(why, sizeof why, "%s, NIC %d",
                     v2k_net_pin_how_string(p->how), p->nic + 1);
            if (strcmp(c->name, likely) == 0 && p->how == V2K_PIN_ORDER) {
                v2k_debug("%s: %s is already the name on KVM", STEP,
                          c->name);
                continue;
            }
            if (write_pin(ctx, link, c->name, nics[p->nic].mac, why,
                          &udev_rules) == -1)
                goto out;
        } else if (strcmp(c->name, likely) != 0) {
            if (rename_everywhere(ctx, &ns, c->name, likely) == -1)
                goto out;
        }
    }
    if (udev_rules) {
        if (v2k_gf_write(g, STEP, udev_path, udev_rules,
                         strlen(udev_rules)) == -1)
            goto out;
        v2k_log_edit(g, STEP, udev_path, NULL, "written");
    }
    r = 0;
out:
    free(nics);
    free(names);
    free(pins);
    names_free(&ns);
    return r;
}
