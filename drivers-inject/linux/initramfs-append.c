/* initramfs-append.c - the "initramfs" step's fast path: the virtio
 * drivers added to the guest's existing initramfs without regenerating
 * it (linux-internal.h v2k_linux_initramfs_append).
 *
 * The step hands over its host copy of the image and its listing
 * (initrd-image.h), made once for this and for its keep check.  The
 * image qualifies when
 * it keeps the kernel's modules in a directory .../modules/VER with a
 * modules.dep (every layout of initramfs-tools, dracut, mkinitcpio and
 * SUSE's dracut-based mkinitrd: lib/modules or usr/lib/modules) and
 * carries udev (udevadm or systemd-udevd), which loads drivers for the
 * devices it finds through the module index, so nothing in the image's
 * own scripts has to change.  Then its last archive gets more entries
 * (initrd-image.h v2k_initrd_extend: unpacked on the host, extended,
 * packed again with the image's own compressor, so that the distro's
 * lsinitramfs/lsinitrd read it all; an early uncompressed archive such
 * as CPU microcode kept byte for byte):
 *   - the modules asked for that it lacks, with everything modules.dep
 *     says they need, copied from the guest's /lib/modules/VER as they
 *     are (compressed or not, as the guest ships them);
 *   - the guest's module index for VER (modules.dep and .bin, alias,
 *     symbols, builtin, softdep, devname: the image's own index, made by
 *     depmod over its subset, would not know the new modules), replacing
 *     the image's;
 *   - where the image runs systemd-modules-load (dracut's systemd
 *     images): etc/modules-load.d/v2kvm-virtio.conf naming them, so they
 *     load even before a device asks.
 * The result is read back on the host before the guest's file is
 * replaced (a temporary file beside it, renamed over it), and read back
 * again from the guest by the step's check.  Anything else falls back to
 * the guest's own tool, with the reason in the log.
 */
#include "linux.h"
#include "linux-internal.h"
#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "initrd-image.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STEP "initramfs"

/* The guest's module index files copied in (when the guest has them). */
static const char *const index_files[] = {
    "modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin",
    "modules.symbols", "modules.symbols.bin", "modules.builtin",
    "modules.builtin.bin", "modules.builtin.alias.bin",
    "modules.builtin.modinfo", "modules.softdep", "modules.devname",
};

struct append {
    struct v2k_convert_ctx *ctx;
    const struct v2k_kernel *k;
    const char *initrd;
    char *why;                  /* the reason it does not apply */
    size_t whysize;
    const struct v2k_initrd_listing *img;   /* the image as it was */
    char *prefix;               /* "usr/lib/modules/VER" in the image */
    char **added_dirs;          /* directories this archive creates */
    size_t nadded;
    size_t nfiles;
};

static int
no(struct append *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Say why the fast path does not apply: returns 0. */
static int
no(struct append *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->why, a->whysize, fmt, ap);
    va_end(ap);
    return 0;
}

/* The image's modules directory for VER: "lib/modules/VER" or
 * "usr/lib/modules/VER", where its modules.dep is; NULL if none. */
static char *
find_prefix(const struct v2k_initrd_listing *l, const char *ver)
{
    CLEANUP_FREE char *tail = v2k_asprintf("modules/%s/modules.dep", ver);

    if (tail == NULL)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->ents[i].path;
        size_t pl = strlen(p), tl = strlen(tail);

        if (!S_ISREG(l->ents[i].mode) || pl < tl ||
            strcmp(p + pl - tl, tail) != 0 ||
            (pl > tl && p[pl - tl - 1] != '/'))
            continue;
        return strndup(p, pl - strlen("/modules.dep"));
    }
    return NULL;
}

/* Does the image carry a program named name (any directory)? */
static bool
carries(const struct v2k_initrd_listing *l, const char *name)
{
    size_t nl = strlen(name);

    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->ents[i].path;
        size_t pl = strlen(p);

        if ((S_ISREG(l->ents[i].mode) || S_ISLNK(l->ents[i].mode)) &&
            pl >= nl && strcmp(p + pl - nl, name) == 0 &&
            (pl == nl || p[pl - nl - 1] == '/'))
            return true;
    }
    return false;
}

/* Directory entries for path's parents that neither the image nor this
 * archive has yet. */
static int
add_parents(struct append *a, struct v2k_cpio_writer *w, const char *path)
{
    CLEANUP_FREE char *dir = v2k_strdup(path);

    if (dir == NULL)
        return -1;
    for (char *s = strchr(dir, '/'); s; s = strchr(s + 1, '/')) {
        bool have = false;
        char **nd;

        *s = '\0';
        have = v2k_initrd_find(a->img, dir) != NULL;
        for (size_t i = 0; !have && i < a->nadded; i++)
            have = strcmp(a->added_dirs[i], dir) == 0;
        if (!have) {
            if (v2k_cpio_add(w, dir, S_IFDIR | 0755, NULL, 0) == -1)
                return -1;
            nd = realloc(a->added_dirs, (a->nadded + 1) * sizeof *nd);
            if (nd == NULL || (nd[a->nadded] = strdup(dir)) == NULL) {
                if (nd)
                    a->added_dirs = nd;
                v2k_error("out of memory");
                return -1;
            }
            a->added_dirs = nd;
            a->nadded++;
        }
        *s = '/';
    }
    return 0;
}

/* The guest file src (which exists) into the archive at PREFIX/rel:
 * 1, or -1 with a message. */
static int
add_checked_file(struct append *a, struct v2k_cpio_writer *w,
                 const char *rel, const char *src)
{
    CLEANUP_FREE char *dst = NULL, *data = NULL;
    size_t len = 0;

    if ((dst = v2k_asprintf("%s/%s", a->prefix, rel)) == NULL)
        return -1;
    if ((data = v2k_gf_read(a->ctx->g, STEP, src, &len)) == NULL)
        return -1;
    if (add_parents(a, w, dst) == -1 ||
        v2k_cpio_add(w, dst, S_IFREG | 0644, data, len) == -1)
        return -1;
    a->nfiles++;
    return 1;
}

/* The guest's /lib/modules/VER/rel (a module modules.dep names) into the
 * archive at PREFIX/rel: 1, 0 when the guest does not have it (why set),
 * -1 with a message. */
static int
add_guest_file(struct append *a, struct v2k_cpio_writer *w, const char *rel)
{
    CLEANUP_FREE char *src = v2k_asprintf("/lib/modules/%s/%s",
                                          a->k->version, rel);

    if (src == NULL)
        return -1;
    if (!v2k_gf_is_file(a->ctx->g, src))
        return no(a, "the guest has no %s, which modules.dep names", src);
    return add_checked_file(a, w, rel, src);
}

/* Write the archive into fp: 1 written, 0 does not apply, -1 error. */
static int
write_archive(struct append *a, FILE *fp, const char *dep,
              const char *const *mods, size_t nmods, char *modlist,
              size_t mlsize)
{
    struct v2k_cpio_writer w;
    char **paths = NULL;
    size_t np = 0, ml = 0, nnew = 0;
    int r = -1;

    if (v2k_moddep_closure(dep, mods, nmods, &paths, &np) == -1)
        return -1;
    v2k_cpio_start(&w, fp);
    modlist[0] = '\0';
    for (size_t i = 0; i < np; i++) {
        char name[128];

        if (paths[i][0] == '/' || strstr(paths[i], "..") != NULL) {
            r = no(a, "modules.dep names %s, not a path under /lib/modules/%s", paths[i], a->k->version);
            goto out;
        }
        v2k_module_name(paths[i], name, sizeof name);
        if (v2k_initrd_has_module(a->img, name))
            continue;
        if ((r = add_guest_file(a, &w, paths[i])) != 1)
            goto out;
        r = -1;
        ml += (size_t)snprintf(modlist + ml, mlsize - ml, "%s%s",
                               ml ? " " : "", name);
        if (ml >= mlsize)
            ml = mlsize - 1;
        nnew++;
    }
    if (nnew == 0) {
        r = no(a, "it already has the modules modules.dep lists for them");
        goto out;
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(index_files); i++) {
        CLEANUP_FREE char *src = v2k_asprintf("/lib/modules/%s/%s",
                                              a->k->version, index_files[i]);
        if (src == NULL)
            goto out;
        if (!v2k_gf_is_file(a->ctx->g, src)) {
            if (strcmp(index_files[i], "modules.dep.bin") == 0 ||
                strcmp(index_files[i], "modules.alias.bin") == 0) {
                r = no(a, "the guest has no %s (depmod never ran for %s)", src, a->k->version);
                goto out;
            }
            continue;
        }
        if ((r = add_checked_file(a, &w, index_files[i], src)) != 1)
            goto out;
        r = -1;
    }
    if (carries(a->img, "systemd-modules-load")) {
        CLEANUP_FREE char *conf = NULL;
        char list[512] = "";
        size_t ll = 0;

        for (size_t i = 0; i < nmods && ll < sizeof list; i++)
            ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s\n",
                                   mods[i]);
        conf = v2k_asprintf("# Added by v2kvm: virtio drivers to boot on KVM\n%s", list);
        if (conf == NULL ||
            add_parents(a, &w, "etc/modules-load.d/v2kvm-virtio.conf") ==
                -1 ||
            v2k_cpio_add(&w, "etc/modules-load.d/v2kvm-virtio.conf",
                         S_IFREG | 0644, conf, strlen(conf)) == -1)
            goto out;
        a->nfiles++;
    }
    r = v2k_cpio_finish(&w) == -1 ? -1 : 1;
out:
    for (size_t i = 0; i < np; i++)
        free(paths[i]);
    free(paths);
    return r;
}

/* The read-back of the new image on the host: does it now hold every
 * module of modlist and the index at the prefix? */
static int
reads_back(struct append *a, const char *img_file, const char *modlist)
{
    struct v2k_initrd_listing l;
    CLEANUP_FREE char *list = v2k_strdup(modlist), *bin = NULL;
    char *save = NULL;
    int r = 1;

    if (list == NULL ||
        (bin = v2k_asprintf("%s/modules.dep.bin", a->prefix)) == NULL)
        return -1;
    if (v2k_initrd_read(img_file, a->initrd, &l) == -1) {
        r = no(a, "the image with the drivers added does not read back: %s", v2k_error_message());
        v2k_error_clear();
        return r;
    }
    for (char *m = strtok_r(list, " ", &save); m && r == 1;
         m = strtok_r(NULL, " ", &save))
        if (!v2k_initrd_has_module(&l, m))
            r = no(a, "the image with the drivers added does not show %s when read back", m);
    if (r == 1 && v2k_initrd_find(&l, bin) == NULL)
        r = no(a, "the image with the drivers added does not show %s when read back", bin);
    v2k_initrd_listing_free(&l);
    return r;
}

/* Is there room beside the image for the new one (written beside it,
 * then renamed)? */
static int
has_room(struct append *a, uint64_t new_size)
{
    CLEANUP_FREE char *dir = v2k_dirname(a->initrd);
    struct guestfs_statvfs *vfs;
    uint64_t avail;

    if (dir == NULL)
        return -1;
    if ((vfs = guestfs_statvfs(a->ctx->g, dir)) == NULL) {
        v2k_debug(STEP ": statvfs %s: %s", dir,
                  guestfs_last_error(a->ctx->g));
        return 1;               /* unknown: the upload will say */
    }
    avail = (uint64_t)vfs->bavail * (uint64_t)vfs->bsize;
    guestfs_free_statvfs(vfs);
    if (avail < new_size + (1u << 20))
        return no(a, "%s has %" PRIu64 " KiB free, the new image needs %" PRIu64 " KiB beside the old one", dir, avail >> 10, (new_size >> 10) + 1024);
    return 1;
}

int
v2k_linux_initramfs_append(struct v2k_convert_ctx *ctx,
                           const struct v2k_kernel *k, const char *initrd,
                           const char *img_file,
                           const struct v2k_initrd_listing *img,
                           const char *dep, const char *const *mods,
                           size_t nmods, char *why, size_t whysize)
{
    struct append a = { .ctx = ctx, .k = k, .initrd = initrd, .why = why,
                        .whysize = whysize, .img = img };
    char dir[] = "/tmp/v2kvm-initrd-XXXXXX";
    CLEANUP_FREE char *cpio = NULL, *newimg = NULL;
    char modlist[512];
    struct stat st;
    FILE *fp = NULL;
    int r = -1;

    why[0] = '\0';
    if (dep == NULL)
        return no(&a, "/lib/modules/%s/modules.dep is missing", k->version);
    if (mkdtemp(dir) == NULL) {
        v2k_error_errno(errno, STEP ": temporary directory for %s", initrd);
        return -1;
    }
    if ((cpio = v2k_asprintf("%s/append.cpio", dir)) == NULL ||
        (newimg = v2k_asprintf("%s/new", dir)) == NULL)
        goto out;
    if ((a.prefix = find_prefix(a.img, k->version)) == NULL) {
        r = no(&a, "it has no modules/%s/modules.dep", k->version);
        goto out;
    }
    if (!carries(a.img, "udevadm") && !carries(a.img, "systemd-udevd")) {
        r = no(&a, "it has no udev to load drivers for the devices it finds");
        goto out;
    }
    if (a.img->decompressor &&
        v2k_initrd_compressor(a.img->decompressor) == NULL) {
        r = no(&a, "its compression (%s) is not one we write", a.img->decompressor);
        goto out;
    }
    if ((fp = fopen(cpio, "wbe")) == NULL) {
        v2k_error_errno(errno, STEP ": %s", cpio);
        goto out;
    }
    r = write_archive(&a, fp, dep, mods, nmods, modlist, sizeof modlist);
    if (fclose(fp) != 0 && r == 1) {
        v2k_error_errno(errno, STEP ": %s", cpio);
        r = -1;
    }
    if (r != 1)
        goto out;
    r = v2k_initrd_extend(img_file, a.img, cpio, newimg, initrd, why,
                          whysize);
    if (r != 1)
        goto out;
    if ((r = reads_back(&a, newimg, modlist)) != 1)
        goto out;
    if (stat(newimg, &st) == -1) {
        v2k_error_errno(errno, STEP ": %s", newimg);
        r = -1;
        goto out;
    }
    if ((r = has_room(&a, (uint64_t)st.st_size)) != 1)
        goto out;
    r = -1;
    if (v2k_gf_write_file(ctx->g, STEP, initrd, newimg) == -1)
        goto out;
    v2k_log_edit(ctx->g, STEP, initrd, NULL, "virtio drivers added");
    v2k_msg("%s: %s added without regenerating it (%zu files added to its archive%s%s; loaded by its udev)",
            initrd, modlist, a.nfiles,
            a.img->decompressor ? ", packed again with " : "",
            a.img->decompressor
                ? v2k_initrd_compressor(a.img->decompressor)[0] : "");
    r = 1;
out:
    if (cpio)
        unlink(cpio);
    if (newimg)
        unlink(newimg);
    rmdir(dir);
    free(a.prefix);
    for (size_t i = 0; i < a.nadded; i++)
        free(a.added_dirs[i]);
    free(a.added_dirs);
    return r;
}
