/* physxml.c - see physxml.h.  Written with stdio, not libxml2: the P2V
 * client runs from a small live ISO and links only libc. */
#include "physxml.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length (2..4) of the valid UTF-8 sequence at p, or 0 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_len(const unsigned char *p)
{
    uint32_t cp;
    size_t n;

    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, cp = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, cp = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, cp = p[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

void
v2k_p2v_xml_escape(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    while (*p) {
        size_t n;
        switch (*p) {
        case '&': fputs("&amp;", fp); p++; continue;
        case '<': fputs("&lt;", fp); p++; continue;
        case '>': fputs("&gt;", fp); p++; continue;
        case '\'': fputs("&apos;", fp); p++; continue;
        case '"': fputs("&quot;", fp); p++; continue;
        default: break;
        }
        if (*p < 0x80) {
            if (*p >= 0x20 && *p != 0x7f)
                fputc(*p, fp);
            else if (*p == '\t' || *p == '\n')
                fprintf(fp, "&#%u;", *p);
            p++;
            continue;
        }
        n = utf8_len(p);
        if (n == 0) {
            p++;                /* not UTF-8: dropped */
            continue;
        }
        fwrite(p, 1, n, fp);
        p += n;
    }
}

/* Copy s keeping only the characters of the pattern libvirt's schema
 * gives (domaincommon.rng: diskSerial [A-Za-z0-9_.+- ], aliasName
 * [A-Za-z0-9_-]); others become '_'. */
static void
restrict_chars(const char *s, const char *extra, char *out, size_t len)
{
    size_t k = 0;

    for (; *s && k + 1 < len; s++) {
        char ch = *s;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr(extra, ch) != NULL;
        out[k++] = ok ? ch : '_';
    }
    out[k] = '\0';
}

/* "sda".."sdz", "sdaa"...: libvirt's disk name scheme
 * (virDiskNameToIndex). */
static void
target_name(size_t idx, char *out, size_t len)
{
    char rev[8];
    size_t n = 0, k = 0;

    idx++;
    while (idx > 0 && n < sizeof rev) {
        idx--;
        rev[n++] = (char)('a' + idx % 26);
        idx /= 26;
    }
    if (len < 3 + n)
        return;
    out[k++] = 's';
    out[k++] = 'd';
    while (n > 0)
        out[k++] = rev[--n];
    out[k] = '\0';
}

static int
check_args(const struct v2k_p2v_machine *m,
           const struct v2k_p2v_xml_disk *disks, size_t ndisks,
           const struct v2k_p2v_xml_options *o)
{
    CLEANUP_FREE const char **names = NULL;

    if (o == NULL || o->name == NULL || *o->name == '\0') {
        v2k_error("the domain needs a name");
        return -1;
    }
    names = calloc(ndisks ? ndisks : 1, sizeof *names);
    if (names == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < ndisks; i++) {
        const struct v2k_p2v_xml_disk *x = &disks[i];
        names[i] = x->disk ? x->disk : "";
        if ((x->host == NULL) == (x->socket == NULL) ||
            (x->host && (*x->host == '\0' || x->port == 0 ||
                         x->port > 65535)) ||
            (x->socket && x->socket[0] != '/')) {
            v2k_error("disk '%s': its NBD endpoint needs either a host and a port from 1 to 65535 or an absolute Unix socket path", names[i]);
            return -1;
        }
    }
    return v2k_p2v_check_selection(m, names, ndisks);
}

static void
write_disk(FILE *fp, const struct v2k_p2v_machine *m,
           const struct v2k_p2v_xml_disk *x, size_t idx)
{
    const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, x->disk);
    char target[16], serial[64], alias[96];

    target_name(idx, target, sizeof target);
    fputs("    <disk type='network' device='disk'>\n"
          "      <driver name='qemu' type='raw'/>\n"
          "      <source protocol='nbd'", fp);
    if (x->export_name && *x->export_name) {
        fputs(" name='", fp);
        v2k_p2v_xml_escape(fp, x->export_name);
        fputc('\'', fp);
    }
    fputs(">\n", fp);
    if (x->host) {
        fputs("        <host name='", fp);
        v2k_p2v_xml_escape(fp, x->host);
        fprintf(fp, "' port='%u'/>\n", x->port);
    } else {
        fputs("        <host transport='unix' socket='", fp);
        v2k_p2v_xml_escape(fp, x->socket);
        fputs("'/>\n", fp);
    }
    fprintf(fp, "      </source>\n"
                "      <target dev='%s' bus='sata'/>\n", target);
    restrict_chars(d->serial, "_.+- ", serial, sizeof serial);
    if (*serial && strspn(serial, "_ ") < strlen(serial))
        fprintf(fp, "      <serial>%s</serial>\n", serial);
    restrict_chars(d->name, "_-", alias, sizeof alias);
    fprintf(fp, "      <alias name='ua-p2v-%s'/>\n", alias);
    fputs("    </disk>\n", fp);
}

int
v2k_p2v_write_xml(FILE *fp, const struct v2k_p2v_machine *m,
                  const struct v2k_p2v_xml_disk *disks, size_t ndisks,
                  const struct v2k_p2v_xml_options *o)
{
    const char *net;

    if (check_args(m, disks, ndisks, o) == -1)
        return -1;
    net = o->network && *o->network ? o->network : "default";
    fputs("<domain type='kvm'>\n  <name>", fp);
    v2k_p2v_xml_escape(fp, o->name);
    fputs("</name>\n", fp);
    if (m->memory_rounded_bytes)
        fprintf(fp, "  <memory unit='KiB'>%llu</memory>\n",
                (unsigned long long)(m->memory_rounded_bytes / 1024));
    else            /* MemTotal unreadable: the smallest useful guest */
        fputs("  <memory unit='KiB'>1048576</memory>\n", fp);
    fprintf(fp, "  <vcpu>%u</vcpu>\n"
                "  <cpu>\n"
                "    <topology sockets='%u' cores='%u' threads='%u'/>\n"
                "  </cpu>\n",
            m->cpus, m->sockets, m->cores, m->threads);
    fprintf(fp, "  <os%s>\n    <type arch='", m->uefi ? " firmware='efi'"
                                                     : "");
    v2k_p2v_xml_escape(fp, *m->arch ? m->arch : "x86_64");
    fputs("'>hvm</type>\n  </os>\n"
          "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
          "  <devices>\n", fp);
    for (size_t i = 0; i < ndisks; i++)
        write_disk(fp, m, &disks[i], i);
    for (size_t i = 0; i < m->nnics; i++) {
        const struct v2k_p2v_nic *nic = &m->nics[i];
        fputs("    <interface type='network'>\n", fp);
        if (*nic->mac)
            fprintf(fp, "      <mac address='%s'/>\n", nic->mac);
        fputs("      <source network='", fp);
        v2k_p2v_xml_escape(fp, net);
        fputs("'/>\n      <model type='e1000'/>\n    </interface>\n", fp);
    }
    fputs("  </devices>\n</domain>\n", fp);
    if (fflush(fp) == EOF || ferror(fp)) {
        v2k_error_errno(errno, "writing the domain XML");
        return -1;
    }
    return 0;
}
