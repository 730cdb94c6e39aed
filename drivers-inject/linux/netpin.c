/* netpin.c - the pure parts of the "network" step's name pinning
 * (netpin-internal.h explains what and why). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netpin-internal.h"
#include "tools-internal.h"
#include "util.h"

static bool
all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* biosdevname(1): emN (embedded), pSLOTpPORT[_VF] (PCI slot). */
static bool
is_biosdevname(const char *s)
{
    size_t a, b;

    if (s[0] == 'e' && s[1] == 'm')
        return all_digits(s + 2, strlen(s + 2));
    if (s[0] != 'p')
        return false;
    a = strspn(s + 1, "0123456789");
    if (a == 0 || s[1 + a] != 'p')
        return false;
    s += 2 + a;
    b = strspn(s, "0123456789");
    if (b == 0)
        return false;
    s += b;
    return *s == '\0' || (*s == '_' && all_digits(s + 1, strlen(s + 1)));
}

bool
v2k_net_is_hw_name(const char *name)
{
    bool mac_based;

    if (strpbrk(name, ".:@"))   /* a VLAN or an alias on top of one */
        return false;
    if (v2k_net_is_predictable(name, &mac_based))
        return !mac_based;
    return is_biosdevname(name);
}

/* ensN -> N, else -1. */
static long
ens_slot(const char *name)
{
    char *end;
    long v;

    if (strncmp(name, "ens", 3) != 0 || !isdigit((unsigned char)name[3]))
        return -1;
    v = strtol(name + 3, &end, 10);
    return *end == '\0' ? v : -1;
}

/* The numbers of a name in order, for sorting names the way the old
 * machine's PCI layout ordered them: ens160 < ens192 < ens224,
 * enp2s1 < enp11s0, em1 < em2. */
static int
cmp_name(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            unsigned long x = strtoul(a, (char **)&a, 10);
            unsigned long y = strtoul(b, (char **)&b, 10);

            if (x != y)
                return x < y ? -1 : 1;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* "enx" + the MAC without colons. */
static bool
is_mac_name_of(const char *name, const char *mac)
{
    if (!mac || strncmp(name, "enx", 3) != 0 || strlen(name) != 15)
        return false;
    for (size_t i = 0, j = 3; i < 17; i++) {
        if (mac[i] == ':')
            continue;
        if (tolower((unsigned char)mac[i]) != name[j++])
            return false;
    }
    return true;
}

size_t
v2k_net_plan(const struct v2k_net_nic *nics, size_t nnics,
             const struct v2k_net_name *names, size_t nnames,
             struct v2k_net_pin *pins)
{
    bool used[64] = { false };
    size_t order[64], norder = 0, left = 0;

    if (nnics > 64)
        nnics = 64;             /* more than any hypervisor gives a VM */
    for (size_t i = 0; i < nnames; i++) {
        const struct v2k_net_name *nm = &names[i];
        long slot = ens_slot(nm->name);

        pins[i].how = V2K_PIN_NONE;
        pins[i].nic = -1;
        for (size_t k = 0; k < nnics; k++) {
            const struct v2k_net_nic *n = &nics[k];

            if (used[k])
                continue;
            if (nm->bound_mac && n->src_mac &&
                strcasecmp(nm->bound_mac, n->src_mac) == 0) {
                pins[i].how = nm->renames && n->mac &&
                                      strcasecmp(n->mac, n->src_mac) == 0
                                  ? V2K_PIN_GUEST : V2K_PIN_BOUND;
            } else if (!nm->bound_mac && slot >= 0 && n->pci_slot == slot) {
                pins[i].how = V2K_PIN_SLOT;
            } else if (!nm->bound_mac &&
                       is_mac_name_of(nm->name, n->src_mac) &&
                       !(n->mac && strcasecmp(n->mac, n->src_mac) == 0)) {
                pins[i].how = V2K_PIN_MAC_NAME;
            } else
                continue;
            pins[i].nic = (int)k;
            used[k] = true;
            break;
        }
    }
    /* The rest: hardware names not bound to a MAC, in PCI order, to the
     * NICs left, in the source's order (which follows its PCI slots when
     * it gives them). */
    for (size_t i = 0; i < nnames; i++) {
        if (pins[i].how != V2K_PIN_NONE || names[i].bound_mac ||
            !v2k_net_is_hw_name(names[i].name) || norder == 64)
            continue;
        /* insertion sort: a VM has a handful of NICs */
        size_t j = norder++;
        while (j > 0 && cmp_name(names[order[j - 1]].name,
                                 names[i].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t o = 0; o < norder; o++) {
        size_t best = nnics;

        for (size_t k = 0; k < nnics; k++) {
            if (used[k])
                continue;
            if (best == nnics ||
                (nics[k].pci_slot >= 0 && nics[best].pci_slot >= 0 &&
                 nics[k].pci_slot < nics[best].pci_slot))
                best = k;
        }
        if (best == nnics) {
            left++;
            continue;
        }
        used[best] = true;
        pins[order[o]].how = V2K_PIN_ORDER;
        pins[order[o]].nic = (int)best;
    }
    return left;
}

const char *
v2k_net_pin_how_string(enum v2k_net_pin_how how)
{
    switch (how) {
    case V2K_PIN_GUEST: return "the guest's own MAC binding, kept";
    case V2K_PIN_BOUND: return "the guest's MAC binding";
    case V2K_PIN_SLOT: return "its PCI slot number";
    case V2K_PIN_MAC_NAME: return "the MAC in its name";
    case V2K_PIN_ORDER: return "PCI order";
    case V2K_PIN_NONE: break;
    }
    return "none";
}

static bool
word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

char *
v2k_net_rename_word(const char *text, const char *from, const char *to,
                    unsigned *count)
{
    size_t flen = strlen(from), tlen = strlen(to), n = 0, len;
    const char *p;
    char *out, *o;

    if (count)
        *count = 0;
    if (flen == 0)
        return strdup(text);
    for (p = text; (p = strstr(p, from)); p += flen)
        if ((p == text || !word_char(p[-1])) && !word_char(p[flen]))
            n++;
    len = strlen(text);
    if (n > 0 && tlen > flen && (tlen - flen) > (SIZE_MAX - len - 1) / n)
        return NULL;
    out = malloc(len + (tlen > flen ? n * (tlen - flen) : 0) + 1);
    if (!out)
        return NULL;
    for (o = out, p = text; *p;) {
        if (strncmp(p, from, flen) == 0 &&
            (p == text || !word_char(p[-1])) && !word_char(p[flen])) {
            memcpy(o, to, tlen);
            o += tlen;
            p += flen;
        } else
            *o++ = *p++;
    }
    *o = '\0';
    if (count)
        *count = (unsigned)n;
    return out;
}

char *
v2k_net_link_file(const char *name, const char *mac, const char *driver,
                  const char *why)
{
    /* systemd.link(5): the first file (in lexical order over
     * /etc/systemd/network, /run, /usr/lib) whose [Match] matches
     * applies, so 10- comes before the distribution's 99-default.link. */
    return v2k_asprintf(
        "# Written by v2kvm: this NIC was %s on the old machine (%s).\n"
        "# The name is kept so that the configuration naming it applies.\n"
        "[Match]\n"
        "MACAddress=%s\n"
        "%s%s%s"
        "\n"
        "[Link]\n"
        "Name=%s\n",
        name, why, mac, driver ? "Driver=" : "", driver ? driver : "",
        driver ? "\n" : "", name);
}

char *
v2k_net_udev_pin_rule(const char *name, const char *mac, const char *why)
{
    /* The persistent-net rule form: DRIVERS=="?*" leaves out virtual
     * devices (bonds, VLANs) that inherit the MAC. */
    return v2k_asprintf(
        "# Written by v2kvm: this NIC was %s on the old machine (%s).\n"
        "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
        "ATTR{address}==\"%s\", ATTR{type}==\"1\", NAME=\"%s\"\n",
        name, why, mac, name);
}

/* ---- bindings in the guest's configuration ------------------------- */

static const char *
blanks(const char *s)
{
    return s + strspn(s, " \t");
}

/* The value of KEY= at the start of line (after blanks, optional spaces
 * around '=', optional quotes), as a span; false when the line is not
 * that key. */
static bool
key_value(const char *line, const char *key, const char **v, size_t *n)
{
    size_t k = strlen(key);
    const char *p = blanks(line);

    if (strncasecmp(p, key, k) != 0)
        return false;
    p = blanks(p + k);
    if (*p != '=')
        return false;
    p = blanks(p + 1);
    if (*p == '"' || *p == '\'') {
        const char *q = strchr(p + 1, *p);

        if (!q)
            return false;
        *v = p + 1;
        *n = (size_t)(q - p - 1);
        return true;
    }
    *n = strcspn(p, " \t\r\n#;");
    *v = p;
    return *n > 0;
}

/* udev: KEY=="value" or KEY="value" anywhere in the line. */
static bool
udev_value(const char *line, const char *key, bool match, const char **v,
           size_t *n)
{
    size_t k = strlen(key);

    for (const char *p = line; (p = strstr(p, key)); p += k) {
        const char *q = p + k;

        if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        q = blanks(q);
        if (match ? strncmp(q, "==", 2) != 0
                  : !(q[0] == '=' || (q[0] == ':' && q[1] == '=')))
            continue;
        q += match ? 2 : (q[0] == ':' ? 2 : 1);
        q = blanks(q);
        if (*q != '"')
            continue;
        *v = q + 1;
        *n = strcspn(q + 1, "\"\n");
        if (q[1 + *n] != '"')
            return false;
        return true;
    }
    return false;
}

static int
found(const char *nv, size_t nn, const char *mv, size_t mn, char **name,
      char **mac)
{
    char buf[18], in[18];

    if (nn == 0 || nn > 15 || mn != 17)
        return 0;               /* IFNAMSIZ - 1; a MAC is 17 chars */
    memcpy(in, mv, 17);
    in[17] = '\0';
    if (!v2k_parse_mac(in, true, buf))
        return 0;
    if (!(*name = strndup(nv, nn)) || !(*mac = strdup(buf))) {
        free(*name);
        *name = NULL;
        return -1;
    }
    return 1;
}

int
v2k_net_binding(enum v2k_net_bind_kind kind, const char *text, char **name,
                char **mac)
{
    const char *nv = NULL, *mv = NULL, *v;
    size_t nn = 0, mn = 0, n;
    char section[32] = "";

    *name = *mac = NULL;
    if (kind == V2K_BIND_UDEV) {
        if (*blanks(text) == '#')
            return 0;
        if (!udev_value(text, "ATTR{address}", true, &mv, &mn) &&
            !udev_value(text, "SYSFS{address}", true, &mv, &mn))
            return 0;
        if (!udev_value(text, "NAME", false, &nv, &nn))
            return 0;
        return found(nv, nn, mv, mn, name, mac);
    }
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        const char *b = blanks(l);

        if (*b == '[') {
            size_t s = strcspn(b + 1, "]\n");

            snprintf(section, sizeof section, "%.*s",
                     (int)(s < sizeof section ? s : sizeof section - 1),
                     b + 1);
        } else if (*b != '#' && *b != ';') {
            switch (kind) {
            case V2K_BIND_IFCFG:
                if (key_value(b, "DEVICE", &v, &n)) {
                    nv = v;
                    nn = n;
                } else if (key_value(b, "HWADDR", &v, &n)) {
                    mv = v;
                    mn = n;
                }
                break;
            case V2K_BIND_LINK:
                if (strcmp(section, "Match") == 0 &&
                    key_value(b, "MACAddress", &v, &n)) {
                    mv = v;
                    mn = n;
                } else if (strcmp(section, "Link") == 0 &&
                           key_value(b, "Name", &v, &n)) {
                    nv = v;
                    nn = n;
                }
                break;
            case V2K_BIND_NM:
                if (strcmp(section, "connection") == 0 &&
                    key_value(b, "interface-name", &v, &n)) {
                    nv = v;
                    nn = n;
                } else if ((strcmp(section, "ethernet") == 0 ||
                            strcmp(section, "802-3-ethernet") == 0) &&
                           key_value(b, "mac-address", &v, &n)) {
                    mv = v;
                    mn = n;
                }
                break;
            case V2K_BIND_UDEV:
                break;
            }
        }
        l = nl ? nl + 1 : l + strlen(l);
    }
    if (!nv || !mv)
        return 0;
    return found(nv, nn, mv, mn, name, mac);
}

/* ---- syntax checks --------------------------------------------------- */

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum v2k_net_syntax
v2k_net_syntax_of(const char *path)
{
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (strncmp(base, "ifcfg-", 6) == 0)
        return V2K_SYN_SHELL;
    if (strncmp(path, "/etc/NetworkManager/system-connections/", 39) == 0 ||
        has_suffix(base, ".link") || has_suffix(base, ".network") ||
        has_suffix(base, ".netdev"))
        return V2K_SYN_INI;
    if (strncmp(path, "/etc/netplan/", 13) == 0)
        return V2K_SYN_YAML;
    if (has_suffix(base, ".rules"))
        return V2K_SYN_UDEV;
    return V2K_SYN_NONE;
}

/* One shell word's worth of KEY=VALUE: the value's quotes closed. */
static const char *
shell_line(const char *l, const char *end)
{
    const char *p = l;
    char q = 0;

    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        p = blanks(p + 6);
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        return "not KEY=VALUE";
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    if (*p == '[') {            /* SUSE's IPADDR[1]= style */
        p += strcspn(p, "]\n");
        if (*p == ']')
            p++;
    }
    if (*p != '=')
        return "not KEY=VALUE";
    for (p++; p < end; p++) {
        if (q == '\'') {
            if (*p == '\'')
                q = 0;
        } else if (*p == '\\' && p + 1 < end)
            p++;
        else if (q == '"') {
            if (*p == '"')
                q = 0;
        } else if (*p == '\'' || *p == '"')
            q = *p;
        else if (*p == '#' && (p[-1] == ' ' || p[-1] == '\t'))
            break;
    }
    return q ? "a quote not closed on its line" : NULL;
}

/* udev: KEY[{attr}] OP "value" [, ...] */
static const char *
udev_line(const char *l, const char *end)
{
    const char *p = l;

    for (;;) {
        const char *key = p, *val;
        size_t klen, vlen;

        while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        if (p == key)
            return "not a udev rule (KEY==\"value\", ...)";
        if (*p == '{') {
            p += strcspn(p, "}\n");
            if (*p != '}')
                return "an attribute's { not closed";
            p++;
        }
        klen = (size_t)(p - key);
        p = blanks(p);
        if (strncmp(p, "==", 2) == 0 || strncmp(p, "!=", 2) == 0 ||
            strncmp(p, "+=", 2) == 0 || strncmp(p, "-=", 2) == 0 ||
            strncmp(p, ":=", 2) == 0)
            p += 2;
        else if (*p == '=')
            p++;
        else
            return "an operator (==, =, +=...) expected after a key";
        p = blanks(p);
        if (*p != '"')
            return "a value must be in double quotes";
        val = ++p;
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end)
                p++;
            p++;
        }
        if (p >= end)
            return "a value's quote not closed";
        vlen = (size_t)(p - val);
        if ((klen == 13 && strncmp(key, "ATTR{address}", 13) == 0) ||
            (klen == 14 && strncmp(key, "SYSFS{address}", 14) == 0)) {
            char mac[18], buf[18];

            if (vlen == 17 && !memchr(val, '*', vlen) &&
                !memchr(val, '?', vlen) && !memchr(val, '[', vlen)) {
                memcpy(mac, val, 17);
                mac[17] = '\0';
                if (!v2k_parse_mac(mac, true, buf))
                    return "the address match is not a MAC address";
            } else if (!memchr(val, '*', vlen) && !memchr(val, '?', vlen) &&
                       !memchr(val, '[', vlen))
                return "the address match is not a MAC address";
        }
        p = blanks(p + 1);
        if (p >= end || *p == '\r')
            return NULL;
        if (*p != ',')
            return "a comma expected between a rule's keys";
        p = blanks(p + 1);
        if (p >= end || *p == '\r')
            return NULL;        /* udev accepts a trailing comma */
    }
}

unsigned
v2k_net_bad_line(enum v2k_net_syntax syntax, const char *text,
                 const char **why)
{
    unsigned line = 0;
    bool section = false, cont = false;

    *why = NULL;
    if (syntax == V2K_SYN_NONE)
        return 0;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        const char *end = nl ? nl : l + strlen(l);
        const char *b = blanks(l);
        bool was_cont = cont;

        line++;
        cont = end > l && end[-1] == '\\';
        if (syntax == V2K_SYN_YAML) {
            /* YAML forbids tabs in indentation (YAML 1.2 §6.1) */
            if (memchr(l, '\t', (size_t)(b - l)) && b < end && *b != '#')
                *why = "a tab in the indentation (YAML allows spaces only)";
        } else if (b == end || *b == '\r' || *b == '#' ||
                   (syntax == V2K_SYN_INI && *b == ';') || was_cont) {
            ;                   /* blank, comment or continued line */
        } else if (syntax == V2K_SYN_SHELL) {
            *why = shell_line(b, end);
        } else if (syntax == V2K_SYN_UDEV) {
            const char *e = cont ? end - 1 : end;

            *why = udev_line(b, e);
        } else if (*b == '[') {
            const char *r = memchr(b, ']', (size_t)(end - b));

            if (!r)
                *why = "a section header's ] missing";
            section = true;
        } else if (!memchr(b, '=', (size_t)(end - b)))
            *why = "not KEY=VALUE";
        else if (!section)
            *why = "a key before any [Section]";
        if (*why)
            return line;
        l = nl ? nl + 1 : end;
    }
    return 0;
}
