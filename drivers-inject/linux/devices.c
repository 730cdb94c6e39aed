/* devices.c - the "devices" step: old disk names (hdX, sdX, xvdX) to the
 * names the output gives them (vdX, or sdX on virtio-scsi), in /etc/fstab,
 * /etc/crypttab, GRUB's device.map and the initramfs-tools resume file.
 * The kernel command line (root=, resume=) is the bootloader step's job,
 * with the same map.  The map and the rewriting are pure functions
 * (linux-internal.h) so the unit tests can pin them.
 *
 * Also removes the caches that name the old disks: blkid's, LVM's
 * metadata cache and LVM's devices file (RHEL 9: LVM ignores PVs not
 * listed there, and the list is keyed by the old disks' IDs, so keeping
 * it would hide the root volume group; virt-v2v does the same,
 * RHBZ#1164853, RHBZ#2112801).
 */
#include "linux.h"
#include "linux-internal.h"
#include "convert.h"
#include "disk-names.h"
#include "error.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* --- parsing a device name -------------------------------------------- */

/* The shapes we map: [/dev/](xvd|hd|sd|vd)<1-2 letters>[<digits>]. */
struct devname {
    bool has_dev;               /* "/dev/" in front */
    const char *prefix;         /* "xvd", "hd", "sd", "vd" */
    const char *letters;
    size_t nletters;
    const char *part;           /* partition digits ("" when none) */
};

static bool
parse_devname(const char *s, struct devname *d)
{
    static const char *const prefixes[] = { "xvd", "hd", "sd", "vd" };
    size_t i, n;

    memset(d, 0, sizeof *d);
    if (strncmp(s, "/dev/", 5) == 0) {
        d->has_dev = true;
        s += 5;
    }
    for (i = 0; i < V2K_ARRAY_SIZE(prefixes); i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(s, prefixes[i], pl) == 0) {
            d->prefix = prefixes[i];
            s += pl;
            break;
        }
    }
    if (d->prefix == NULL)
        return false;
    for (n = 0; islower((unsigned char)s[n]); n++)
        ;
    if (n < 1 || n > 2)
        return false;
    d->letters = s;
    d->nletters = n;
    s += n;
    d->part = s;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* --- the map ----------------------------------------------------------- */

static const char *
map_lookup(const struct v2k_linux_devmap *m, const char *from)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        if (strcmp(m->e[i].from, from) == 0)
            return m->e[i].to;
    return NULL;
}

/* Add from -> to unless from is already mapped (first one wins). */
static int
map_add(struct v2k_linux_devmap *m, const char *prefix, unsigned idx,
        const char *to)
{
    char letters[4];
    struct v2k_linux_devmap_entry *ne;
    char *from;

    if (idx >= V2K_LINUX_MAX_DISKS ||
        v2k_disk_letters(idx, letters, sizeof letters) == -1)
        return 0;               /* out of range: no alias */
    from = v2k_asprintf("%s%s", prefix, letters);
    if (from == NULL)
        return -1;
    if (map_lookup(m, from)) {
        free(from);
        return 0;
    }
    ne = realloc(m->e, (m->n + 1) * sizeof *m->e);
    if (ne == NULL) {
        free(from);
        v2k_error("out of memory");
        return -1;
    }
    m->e = ne;
    m->e[m->n].from = from;
    m->e[m->n].to = v2k_strdup(to);
    if (m->e[m->n].to == NULL) {
        free(from);
        return -1;
    }
    m->n++;
    return 0;
}

static bool
is_sd_like(enum v2k_bus b)
{
    return b == V2K_BUS_IDE || b == V2K_BUS_SATA || b == V2K_BUS_SCSI ||
           b == V2K_BUS_VIRTIO_SCSI || b == V2K_BUS_UNKNOWN;
}

static unsigned
slot_or(int slot, unsigned dflt)
{
    return slot >= 0 && slot < 26 ? (unsigned)slot : dflt;
}

/* The disk's explicit name from target_dev, as prefix + index. */
static bool
target_dev_name(const struct v2k_disk *d, const char **prefix,
                unsigned *idx)
{
    struct devname dn;
    int k;

    if (d->target_dev == NULL || !parse_devname(d->target_dev, &dn) ||
        *dn.part != '\0')
        return false;
    k = v2k_disk_letters_index(dn.letters, dn.nletters);
    if (k < 0)
        return false;
    *prefix = dn.prefix;
    *idx = (unsigned)k;
    return true;
}

int
v2k_linux_devmap_build(struct v2k_linux_devmap *m,
                       const struct v2k_source *s, enum v2k_block_bus bus,
                       enum v2k_machine machine)
{
    size_t k, ndisks = 0;
    unsigned sdrank = 0, i = 0;
    struct v2k_disk_target *t = NULL;
    const char **to = NULL;
    unsigned *ranks = NULL;
    int ret = -1;

    memset(m, 0, sizeof *m);
    m->target_prefix = v2k_block_bus_dev_prefix(bus);
    for (k = 0; k < s->ndisks; k++)
        if (s->disks[k].device == V2K_DEV_DISK)
            ndisks++;
    if (ndisks > V2K_LINUX_MAX_DISKS) {
        v2k_error("%zu disks: more than the %d disks we can name", ndisks,
                  V2K_LINUX_MAX_DISKS);
        return -1;
    }
    to = calloc(ndisks + 1, sizeof *to);
    ranks = calloc(ndisks + 1, sizeof *ranks);
    t = calloc(s->ndisks + 1, sizeof *t);
    if (to == NULL || ranks == NULL || t == NULL) {
        v2k_error("out of memory");
        goto out;
    }
    /* The names the domain XML gives the disks (disk-names.h). */
    v2k_disk_targets(s, bus, machine, t);
    /* Pass 1: every disk's own name (explicit names first, so an alias
     * never shadows a name the source gave). */
    for (k = 0; k < s->ndisks; k++) {
        const struct v2k_disk *d = &s->disks[k];
        const char *prefix;
        unsigned idx;

        if (d->device != V2K_DEV_DISK)
            continue;
        to[i] = t[k].dev;
        ranks[i] = is_sd_like(d->bus) ? sdrank++ : (unsigned)-1;
        if (!target_dev_name(d, &prefix, &idx)) {
            switch (d->bus) {
            case V2K_BUS_IDE:
                prefix = "hd", idx = slot_or(d->slot, i);
                break;
            case V2K_BUS_XEN:
                prefix = "xvd", idx = slot_or(d->slot, i);
                break;
            case V2K_BUS_VIRTIO_BLK:
                prefix = "vd", idx = slot_or(d->slot, i);
                break;
            case V2K_BUS_NVME:
            case V2K_BUS_FLOPPY:
                prefix = NULL, idx = 0;  /* nvme names are left alone */
                break;
            default:
                prefix = "sd", idx = ranks[i];
                break;
            }
        }
        if (prefix && map_add(m, prefix, idx, to[i]) == -1)
            goto out;
        i++;
    }
    /* Pass 2: aliases. */
    for (k = 0, i = 0; k < s->ndisks; k++) {
        const struct v2k_disk *d = &s->disks[k];

        if (d->device != V2K_DEV_DISK)
            continue;
        /* libata names IDE disks sdX; unknown buses may be either. */
        if (d->bus == V2K_BUS_IDE && map_add(m, "sd", ranks[i], to[i]) == -1)
            goto out;
        if (d->bus == V2K_BUS_UNKNOWN && map_add(m, "hd", i, to[i]) == -1)
            goto out;
        if (map_add(m, "xvd", i, to[i]) == -1)
            goto out;
        i++;
    }
    ret = 0;
out:
    free(t);
    free(to);
    free(ranks);
    if (ret == -1)
        v2k_linux_devmap_free(m);
    return ret;
}

void
v2k_linux_devmap_free(struct v2k_linux_devmap *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++) {
        free(m->e[i].from);
        free(m->e[i].to);
    }
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

int
v2k_linux_map_devname(const struct v2k_linux_devmap *m, const char *dev,
                      char **out, bool *guessed)
{
    struct devname dn;
    char key[16];
    const char *to;
    char guess[8];
    int idx;

    *out = NULL;
    if (guessed)
        *guessed = false;
    if (!parse_devname(dev, &dn))
        return 0;
    snprintf(key, sizeof key, "%s%.*s", dn.prefix, (int)dn.nletters,
             dn.letters);
    to = map_lookup(m, key);
    if (to == NULL) {
        /* vdX not in the map: already a virtio name, leave it. */
        if (strcmp(dn.prefix, "vd") == 0)
            return 0;
        idx = v2k_disk_letters_index(dn.letters, dn.nletters);
        if (idx < 0 ||
            v2k_disk_letters((size_t)idx, guess + 2, sizeof guess - 2) == -1)
            return 0;
        memcpy(guess, m->target_prefix, 2);
        to = guess;
        if (guessed)
            *guessed = true;
    }
    if (strcmp(to, key) == 0)
        return 0;
    *out = v2k_asprintf("%s%s%s", dn.has_dev ? "/dev/" : "", to, dn.part);
    return *out ? 1 : -1;
}

/* --- rewriting lines --------------------------------------------------- */

int
v2k_linux_rewrite_words(const struct v2k_linux_devmap *m, const char *line,
                        unsigned field_mask, char **out, unsigned *guesses)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *fp;
    const char *p = line;
    unsigned field = 0;
    bool changed = false;
    int ret = -1;

    *out = NULL;
    fp = open_memstream(&buf, &blen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    while (*p) {
        const char *w;
        size_t wl;

        while (*p && isspace((unsigned char)*p))
            fputc(*p++, fp);
        if (*p == '\0')
            break;
        w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        wl = (size_t)(p - w);
        if (field < 32 && (field_mask & (1u << field)) &&
            wl > 5 && strncmp(w, "/dev/", 5) == 0 && wl < 64) {
            char word[64], *nw = NULL;
            bool g = false;
            int r;

            memcpy(word, w, wl);
            word[wl] = '\0';
            r = v2k_linux_map_devname(m, word, &nw, &g);
            if (r == -1)
                goto out;
            if (r == 1) {
                fputs(nw, fp);
                free(nw);
                changed = true;
                if (g && guesses)
                    (*guesses)++;
                field++;
                continue;
            }
        }
        fwrite(w, 1, wl, fp);
        field++;
    }
    ret = 0;
out:
    fclose(fp);
    if (ret == 0 && changed) {
        *out = buf;
        return 1;
    }
    free(buf);
    return ret;
}

static bool
word_is(const char *w, size_t wl, const char *s)
{
    return strlen(s) == wl && memcmp(w, s, wl) == 0;
}

static bool
word_has_prefix(const char *w, size_t wl, const char *s)
{
    size_t sl = strlen(s);
    return wl >= sl && memcmp(w, s, sl) == 0;
}

/* Clock arguments dropped so the guest uses kvm-clock (the kernel picks
 * it from KVM's CPUID leaves unless told otherwise):
 *   clocksource=xen    Xen PV clock: absent on KVM, the kernel falls
 *                      back to a worse clock and complains
 *   clocksource=tsc, notsc, clock=pit
 *                      VMware KB 1006427-era advice that pins a clock
 *                      and bypasses kvm-clock
 *   divider=N          RHEL 5 VMware tick divider (KB 1006427)
 *   xencons=...        the Xen PV console device
 * elevator=noop (also VMware advice) is kept: harmless, and newer kernels
 * ignore it. */
static bool
is_clock_arg(const char *w, size_t wl)
{
    return word_is(w, wl, "clocksource=xen") ||
           word_is(w, wl, "clocksource=tsc") ||
           word_is(w, wl, "clock=pit") || word_is(w, wl, "notsc") ||
           word_has_prefix(w, wl, "divider=") ||
           word_has_prefix(w, wl, "xencons=");
}

static bool
is_xen_console(const char *w, size_t wl)
{
    return (word_has_prefix(w, wl, "console=hvc0") ||
            word_has_prefix(w, wl, "console=xvc0")) &&
           (wl == 12 || w[12] == ',');
}

static bool
is_ttys0_console(const char *w, size_t wl)
{
    return word_has_prefix(w, wl, "console=ttyS0") &&
           (wl == 13 || w[13] == ',');
}

int
v2k_linux_rewrite_cmdline(const struct v2k_linux_devmap *m,
                          const struct v2k_cmdline_opts *opts,
                          const char *cmdline, char **out,
                          unsigned *guesses)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *fp;
    const char *p;
    bool changed = false, have_ttys0 = false, first = true;
    int ret = -1;

    *out = NULL;
    /* Is there a ttyS0 console already (then a Xen console just goes)? */
    for (p = cmdline; *p;) {
        const char *w;
        while (*p && isspace((unsigned char)*p))
            p++;
        w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (p > w && is_ttys0_console(w, (size_t)(p - w)))
            have_ttys0 = true;
    }
    fp = open_memstream(&buf, &blen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (p = cmdline; *p;) {
        const char *w;
        size_t wl;

        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        wl = (size_t)(p - w);
        if (opts->fix_clock && is_clock_arg(w, wl)) {
            changed = true;
            continue;
        }
        if (opts->fix_console && is_xen_console(w, wl)) {
            changed = true;
            if (have_ttys0)
                continue;
            fprintf(fp, "%sconsole=ttyS0%.*s", first ? "" : " ",
                    (int)(wl - 12), w + 12);
            have_ttys0 = true;
            first = false;
            continue;
        }
        if ((word_has_prefix(w, wl, "resume=/dev/") ||
             (opts->map_root && word_has_prefix(w, wl, "root=/dev/"))) &&
            wl < 80) {
            size_t eq = (size_t)(strchr(w, '=') - w) + 1;
            char word[80], *nw = NULL;
            bool g = false;
            int r;

            memcpy(word, w + eq, wl - eq);
            word[wl - eq] = '\0';
            r = v2k_linux_map_devname(m, word, &nw, &g);
            if (r == -1)
                goto out;
            if (r == 1) {
                fprintf(fp, "%s%.*s%s", first ? "" : " ", (int)eq, w, nw);
                free(nw);
                changed = true;
                first = false;
                if (g && guesses)
                    (*guesses)++;
                continue;
            }
        }
        fprintf(fp, "%s%.*s", first ? "" : " ", (int)wl, w);
        first = false;
    }
    ret = 0;
out:
    fclose(fp);
    if (ret == 0 && changed) {
        *out = buf;
        return 1;
    }
    free(buf);
    return ret;
}

/* --- shell assignments -------------------------------------------------- */

char *
v2k_linux_assignment_value(const char *line, const char *key, char *quote)
{
    size_t kl = strlen(key);
    const char *p = line, *end;

    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "export", 6) == 0 && isspace((unsigned char)p[6]))
        for (p += 6; isspace((unsigned char)*p); p++)
            ;
    if (strncmp(p, key, kl) != 0 || p[kl] != '=')
        return NULL;
    p += kl + 1;
    *quote = '\0';
    if (*p == '"' || *p == '\'') {
        *quote = *p++;
        end = strchr(p, *quote);
        if (end == NULL)
            end = p + strlen(p);
    } else {
        end = p;
        while (*end && !isspace((unsigned char)*end) && *end != '#')
            end++;
    }
    return strndup(p, (size_t)(end - p));
}

/* --- the step ---------------------------------------------------------- */

int
v2k_linux_ctx_devmap(const struct v2k_convert_ctx *ctx,
                     struct v2k_linux_devmap *m)
{
    size_t i;

    if (v2k_linux_devmap_build(m, ctx->src, ctx->gc->block_bus,
                               ctx->gc->machine) == -1)
        return -1;
    for (i = 0; i < m->n; i++)
        v2k_debug("devices: %s -> %s", m->e[i].from, m->e[i].to);
    return 0;
}

struct words_ctx {
    const struct v2k_linux_devmap *m;
    unsigned mask;
    unsigned guesses;
    int err;
    const char *what;
};

static char *
words_line(const char *line, bool *drop, void *opaque)
{
    struct words_ctx *w = opaque;
    const char *p = line;
    char *out = NULL;

    (void)drop;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '#' || *p == '\0')
        return NULL;
    if (v2k_linux_rewrite_words(w->m, line, w->mask, &out, &w->guesses)
        == -1)
        w->err = -1;
    return out;
}

/* initramfs-tools' resume file: RESUME=/dev/sdX */
static char *
resume_line(const char *line, bool *drop, void *opaque)
{
    struct words_ctx *w = opaque;
    char q, *val, *nv = NULL, *out = NULL;
    bool g = false;

    (void)drop;
    val = v2k_linux_assignment_value(line, "RESUME", &q);
    if (val == NULL)
        return NULL;
    if (v2k_linux_map_devname(w->m, val, &nv, &g) == 1) {
        out = q ? v2k_asprintf("RESUME=%c%s%c", q, nv, q)
                : v2k_asprintf("RESUME=%s", nv);
        if (g)
            w->guesses++;
    }
    free(nv);
    free(val);
    return out;
}

static int
edit_words(struct v2k_convert_ctx *ctx, const char *path, unsigned mask,
           struct words_ctx *w)
{
    w->mask = mask;
    w->guesses = 0;
    w->err = 0;
    if (v2k_gf_edit_lines(ctx->g, "devices", path, true, words_line, w,
                          NULL) == -1 || w->err == -1)
        return -1;
    if (w->guesses)
        v2k_warning("devices: %s: %u device name(s) not among the source's disks were mapped by their letter (sdc -> %sc); check them", path, w->guesses, w->m->target_prefix);
    return 0;
}

bool
v2k_linux_devices_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->family == V2K_OS_LINUX;
}

int
v2k_linux_devices_run(struct v2k_convert_ctx *ctx)
{
    static const char *const device_maps[] = {
        "/boot/grub/device.map", "/boot/grub2/device.map",
    };
    static const char *const caches[] = {
        "/etc/blkid/blkid.tab", "/etc/blkid.tab", "/etc/lvm/cache/.cache",
        "/etc/lvm/devices/system.devices",
    };
    struct v2k_linux_devmap m;
    struct words_ctx w = { .m = &m };
    size_t i;
    int ret = -1;

    if (v2k_linux_ctx_devmap(ctx, &m) == -1)
        return -1;
    if (edit_words(ctx, "/etc/fstab", 1u << 0, &w) == -1 ||
        edit_words(ctx, "/etc/crypttab", 1u << 1, &w) == -1)
        goto out;
    for (i = 0; i < V2K_ARRAY_SIZE(device_maps); i++)
        if (edit_words(ctx, device_maps[i], 1u << 1, &w) == -1)
            goto out;
    w.guesses = 0;
    if (v2k_gf_edit_lines(ctx->g, "devices",
                          "/etc/initramfs-tools/conf.d/resume", true,
                          resume_line, &w, NULL) == -1 || w.err == -1)
        goto out;
    for (i = 0; i < V2K_ARRAY_SIZE(caches); i++)
        if (v2k_gf_exists(ctx->g, caches[i]) &&
            v2k_gf_remove(ctx->g, "devices", caches[i]) == -1)
            goto out;
    ret = 0;
out:
    v2k_linux_devmap_free(&m);
    return ret;
}
