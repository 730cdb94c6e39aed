/* virtio-win.c - list a virtio-win directory or ISO, choose a guest's
 * files the way virt-v2v does (inject_virtio_win.ml), read them back.
 * The contract is in virtio-win.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "virtio-win.h"

struct entry {
    char *path;              /* inside the tree, no leading "./" or "/" */
    uint64_t size;
    char *link;              /* ISO hard link: the path holding the data */
    size_t data;             /* index of the entry whose data this is */
    bool wanted;             /* selected: loaded by the next ISO pass */
    void *buf;               /* ISO data kept in memory (NULL: not yet) */
};

struct v2k_vwin {
    char *path;              /* as given or found */
    char *root;              /* directory: its realpath */
    bool iso;
    struct entry *e;
    size_t n, cap;
    size_t entries_seen;     /* against V2K_VWIN_MAX_ENTRIES */
    uint64_t cached;         /* bytes held in e[].buf */
    unsigned passes;         /* libarchive passes over the ISO */
};

static int
add_entry(struct v2k_vwin *vw, const char *path, uint64_t size,
          const char *link)
{
    struct entry *x;

    if (vw->n == vw->cap) {
        size_t cap = vw->cap ? vw->cap * 2 : 256;
        x = realloc(vw->e, cap * sizeof *x);
        if (x == NULL) {
            v2k_error("out of memory");
            return -1;
        }
        vw->e = x;
        vw->cap = cap;
    }
    x = &vw->e[vw->n];
    memset(x, 0, sizeof *x);
    x->path = v2k_strdup(path);
    if (x->path == NULL)
        return -1;
    if (link) {
        x->link = v2k_strdup(link);
        if (x->link == NULL) {
            free(x->path);
            return -1;
        }
    }
    x->size = size;
    vw->n++;
    return 0;
}

static int
count_entry(struct v2k_vwin *vw)
{
    if (++vw->entries_seen > V2K_VWIN_MAX_ENTRIES) {
        v2k_error("%s: more than %d entries: not a virtio-win tree", vw->path,
                  V2K_VWIN_MAX_ENTRIES);
        return -1;
    }
    return 0;
}

/* Is p (a realpath) root or below it? */
static bool
inside(const char *root, const char *p)
{
    size_t rl = strlen(root);

    if (strcmp(root, "/") == 0)
        return true;
    return strncmp(p, root, rl) == 0 && (p[rl] == '\0' || p[rl] == '/');
}

static int
walk(struct v2k_vwin *vw, const char *abs, const char *rel, int depth)
{
    DIR *d = opendir(abs);
    struct dirent *de;
    int r = -1;

    if (d == NULL) {
        if (depth == 0) {
            v2k_error_errno(errno, "%s", abs);
            return -1;
        }
        v2k_debug("virtio-win: %s: skipped: %s", abs, strerror(errno));
        return 0;
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        CLEANUP_FREE char *a = NULL, *p = NULL;
        struct stat st;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (count_entry(vw) == -1)
            goto out;
        if (strlen(rel) + strlen(name) + 2 > V2K_VWIN_MAX_PATH) {
            v2k_debug("virtio-win: %s/%s: skipped: path too long", rel, name);
            continue;
        }
        a = v2k_asprintf("%s/%s", abs, name);
        p = *rel ? v2k_asprintf("%s/%s", rel, name) : v2k_strdup(name);
        if (a == NULL || p == NULL)
            goto out;
        if (lstat(a, &st) == -1) {
            v2k_debug("virtio-win: %s: skipped: %s", a, strerror(errno));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            /* Followed only into the tree: a stranger's ISO or directory
             * must not make us copy a host file into the guest. */
            CLEANUP_FREE char *real = realpath(a, NULL);
            if (real == NULL || !inside(vw->root, real)) {
                v2k_debug("virtio-win: %s: skipped: symlink leads out of the tree", p);
                continue;
            }
            if (stat(real, &st) == -1)
                continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (depth + 1 >= V2K_VWIN_MAX_DEPTH) {
                v2k_debug("virtio-win: %s: skipped: deeper than %d levels", p,
                          V2K_VWIN_MAX_DEPTH);
                continue;
            }
            if (walk(vw, a, p, depth + 1) == -1)
                goto out;
        } else if (S_ISREG(st.st_mode)) {
            if (add_entry(vw, p, (uint64_t)st.st_size, NULL) == -1)
                goto out;
        }
    }
    if (errno != 0) {
        v2k_error_errno(errno, "%s: readdir", abs);
        goto out;
    }
    r = 0;
out:
    closedir(d);
    return r;
}

/* A path as libarchive gives it, without "./" or "/" in front. */
static const char *
iso_name(const char *p)
{
    while (p && (*p == '/' || (p[0] == '.' && p[1] == '/')))
        p += *p == '/' ? 1 : 2;
    return p;
}

static const char *
aerr(struct archive *a)
{
    const char *m = archive_error_string(a);

    return m ? m : "no details from libarchive";
}

/* A new reader on an open fd of the ISO; -1 with a message. */
static struct archive *
iso_open(struct v2k_vwin *vw, int fd)
{
    struct archive *a = archive_read_new();

    if (a == NULL || archive_read_support_format_iso9660(a) != ARCHIVE_OK) {
        v2k_error("%s: cannot set up libarchive", vw->path);
        archive_read_free(a);
        return NULL;
    }
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
        v2k_error("%s: not an ISO 9660 image (%s)", vw->path,
                  aerr(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int
iso_list(struct v2k_vwin *vw)
{
    CLEANUP_CLOSE int fd = v2k_open_regular(vw->path, true, NULL);
    struct archive *a;
    struct archive_entry *ae;
    int r;

    if (fd == -1)
        return -1;
    a = iso_open(vw, fd);
    if (a == NULL)
        return -1;
    vw->passes++;
    while ((r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
        const char *p, *l;
        uint64_t size;

        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            v2k_error("%s: not an ISO 9660 image, or a damaged one (%s)",
                      vw->path, aerr(a));
            goto fail;
        }
        if (count_entry(vw) == -1)
            goto fail;
        p = iso_name(archive_entry_pathname(ae));
        if (p == NULL || *p == '\0' || archive_entry_filetype(ae) != AE_IFREG)
            continue;
        if (strlen(p) >= V2K_VWIN_MAX_PATH) {
            v2k_debug("virtio-win: %s: skipped: path too long", p);
            continue;
        }
        l = iso_name(archive_entry_hardlink(ae));
        size = archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0
                   ? (uint64_t)archive_entry_size(ae) : 0;
        if (add_entry(vw, p, size, l && *l ? l : NULL) == -1)
            goto fail;
    }
    archive_read_free(a);
    return 0;
fail:
    archive_read_free(a);
    return -1;
}

static int
cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path,
                  ((const struct entry *)b)->path);
}

static struct entry *
find_entry(struct v2k_vwin *vw, const char *path)
{
    struct entry key = { .path = (char *)path };

    return bsearch(&key, vw->e, vw->n, sizeof key, cmp_entry);
}

/* Sort by path and point every entry at the one holding its data. */
static void
index_entries(struct v2k_vwin *vw)
{
    size_t i;

    if (vw->n)
        qsort(vw->e, vw->n, sizeof *vw->e, cmp_entry);
    for (i = 0; i < vw->n; i++) {
        struct entry *t;

        vw->e[i].data = i;
        if (vw->e[i].link == NULL)
            continue;
        t = find_entry(vw, vw->e[i].link);
        if (t && t->link == NULL) {
            vw->e[i].data = (size_t)(t - vw->e);
            vw->e[i].size = t->size;
        }
    }
}

static int
open_path(const char *path, struct v2k_vwin **out)
{
    struct v2k_vwin *vw;
    struct stat st;

    if (stat(path, &st) == -1) {
        v2k_error_errno(errno, "virtio-win %s", path);
        return -1;
    }
    vw = v2k_calloc(1, sizeof *vw);
    if (vw == NULL || (vw->path = v2k_strdup(path)) == NULL)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        vw->root = realpath(path, NULL);
        if (vw->root == NULL) {
            v2k_error_errno(errno, "virtio-win %s", path);
            goto fail;
        }
        if (walk(vw, vw->root, "", 0) == -1)
            goto fail;
    } else {
        vw->iso = true;
        if (iso_list(vw) == -1)     /* refuses a FIFO, socket... */
            goto fail;
    }
    index_entries(vw);
    v2k_debug("virtio-win: %s: %s with %zu files", path,
              vw->iso ? "ISO" : "directory", vw->n);
    *out = vw;
    return 1;
fail:
    v2k_vwin_close(vw);
    return -1;
}

int
v2k_vwin_open_in(const char *path, const char *datadir,
                 struct v2k_vwin **out)
{
    CLEANUP_FREE char *iso = NULL, *dir = NULL;
    struct stat st;

    *out = NULL;
    if (path == NULL) {
        path = getenv("VIRTIO_WIN");
        if (path == NULL || *path == '\0')
            path = getenv("VIRTIO_WIN_DIR");
        if (path != NULL && *path == '\0')
            path = NULL;
    }
    if (path)
        return open_path(path, out);
    iso = v2k_asprintf("%s/virtio-win/virtio-win.iso", datadir);
    dir = v2k_asprintf("%s/virtio-win", datadir);
    if (iso == NULL || dir == NULL)
        return -1;
    if (stat(iso, &st) == 0)
        return open_path(iso, out);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return open_path(dir, out);
    v2k_debug("virtio-win: none configured, no %s nor %s", iso, dir);
    return 0;
}

int
v2k_vwin_open(const char *path, struct v2k_vwin **out)
{
    return v2k_vwin_open_in(path, "/usr/share", out);
}

const char *
v2k_vwin_path(const struct v2k_vwin *vw)
{
    return vw->path;
}

bool
v2k_vwin_is_iso(const struct v2k_vwin *vw)
{
    return vw->iso;
}

unsigned
v2k_vwin_passes(const struct v2k_vwin *vw)
{
    return vw->passes;
}

void
v2k_vwin_close(struct v2k_vwin *vw)
{
    size_t i;

    if (vw == NULL)
        return;
    for (i = 0; i < vw->n; i++) {
        free(vw->e[i].path);
        free(vw->e[i].link);
        free(vw->e[i].buf);
    }
    free(vw->e);
    free(vw->path);
    free(vw->root);
    free(vw);
}

const char *
v2k_vwin_os_element(const struct v2k_vwin_target *t)
{
    unsigned v = t->major * 100 + t->minor;

    if (t->major > 100 || t->minor > 99)
        return NULL;
    switch (v) {
    case 501:
        return "xp";
    case 502:                 /* XP x64 is NT 5.2 too */
        return t->server ? "2k3" : "xp";
    case 600:                 /* Vista and 2008 share 2k8 */
        return "2k8";
    case 601:
        return t->server ? "2k8r2" : "w7";
    case 602:
        return t->server ? "2k12" : "w8";
    case 603:
        return t->server ? "2k12r2" : "w8.1";
    case 1000:
        if (!t->server)
            return t->build >= 22000 ? "w11" : "w10";
        /* Released builds are 14393, 17763, 20348 and 26100; the
         * semi-annual ones in between take the release before them. */
        if (t->build >= 26100)
            return "2k25";
        if (t->build >= 20348)
            return "2k22";
        if (t->build >= 17763)
            return "2k19";
        return "2k16";
    default:
        return NULL;
    }
}

/* The arch elements of t's arch, NULL-terminated; NULL if none. */
static const char *const *
arch_elements(const char *arch)
{
    static const char *const amd64[] = { "amd64", NULL };
    static const char *const x86[] = { "x86", "i386", NULL };

    if (arch == NULL)
        return NULL;
    if (strcmp(arch, "x86_64") == 0)
        return amd64;
    if (strcmp(arch, "i386") == 0 || strcmp(arch, "i686") == 0)
        return x86;
    return NULL;
}

static bool
has_element(const char *lpath, const char *el)
{
    size_t n = strlen(el);
    const char *p = lpath;

    while ((p = strstr(p, el)) != NULL) {
        if (p > lpath && p[-1] == '/' && p[n] == '/')
            return true;
        p++;
    }
    return false;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A name that can be created as is in a Windows directory. */
static bool
windows_name_ok(const char *n)
{
    size_t len = strlen(n);

    if (len == 0 || len > 255 || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr("\\:*?\"<>|", *p))
            return false;
    return true;
}

static const char *
base(const char *p)
{
    const char *s = strrchr(p, '/');

    return s ? s + 1 : p;
}

/* Does lower-cased basename lb match the virt-v2v exclusions? */
static bool
excluded(const char *lpath, const char *lb)
{
    return has_element(lpath, "sriov") || strncmp(lb, "vioprot.", 8) == 0 ||
           ends_with(lb, ".pdb");
}

struct cand {
    size_t idx;              /* entry */
    char *name;              /* lower-cased basename */
};

static int
cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool
sel_has(const struct v2k_vwin_selection *s, const char *name)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (strcmp(s->files[i].name, name) == 0)
            return true;
    return false;
}

static int
fill_file(struct v2k_vwin *vw, size_t idx, const char *lname,
          struct v2k_vwin_file *f)
{
    f->source = v2k_strdup(vw->e[idx].path);
    f->name = v2k_strdup(lname);
    f->size = vw->e[idx].size;
    vw->e[vw->e[idx].data].wanted = true;
    return f->source && f->name ? 0 : -1;
}

static int
find_qga(struct v2k_vwin *vw, const struct v2k_vwin_target *t,
         struct v2k_vwin_file *qga)
{
    static const char *const q64[] = { "qemu-ga-x86_64.msi", "qemu-ga-x64.msi",
                                       "rhev-qga64.msi", NULL };
    static const char *const q32[] = { "qemu-ga-i386.msi", "qemu-ga-x86.msi",
                                       "rhev-qga.msi", NULL };
    const char *const *els = arch_elements(t->arch);
    const char *const *names;

    if (els == NULL)
        return 0;
    names = strcmp(els[0], "amd64") == 0 ? q64 : q32;
    for (; *names; names++)
        for (size_t i = 0; i < vw->n; i++) {
            const char *b = base(vw->e[i].path);
            if (strcasecmp(b, *names) == 0)
                return fill_file(vw, i, *names, qga);
        }
    return 0;
}

static int
summarize(struct v2k_vwin_selection *s, const char *os, const char *arch)
{
    char buf[512];
    size_t n = 0;
    const struct {
        bool on;
        const char *what;
    } parts[] = {
        { s->block_driver != NULL, s->block_driver },
        { s->has_netkvm, "netkvm" },
        { s->has_balloon, "balloon" },
        { s->has_viorng, "viorng" },
        { s->has_pvpanic, "pvpanic" },
        { s->has_vsock, "vsock" },
    };

    buf[0] = '\0';
    if (s->nfiles == 0)
        n = (size_t)snprintf(buf, sizeof buf, "no drivers for %s/%s",
                             os ? os : "this Windows", arch ? arch : "?");
    else {
        if (s->block_driver == NULL)
            n = (size_t)snprintf(buf, sizeof buf, "no block driver");
        for (size_t i = 0; i < V2K_ARRAY_SIZE(parts); i++)
            if (parts[i].on && n < sizeof buf)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s",
                                      n ? ", " : "", parts[i].what);
        if (n < sizeof buf)
            n += (size_t)snprintf(buf + n, sizeof buf - n, " (%zu files)",
                                  s->nfiles);
    }
    if (s->qga.name && n < sizeof buf)
        snprintf(buf + n, sizeof buf - n, "; %s", s->qga.name);
    s->summary = v2k_strdup(buf);
    return s->summary ? 0 : -1;
}

int
v2k_vwin_select(struct v2k_vwin *vw, const struct v2k_vwin_target *t,
                struct v2k_vwin_selection *out)
{
    const char *os = v2k_vwin_os_element(t);
    const char *const *els = arch_elements(t->arch);
    struct cand *c = NULL;
    size_t nc = 0, i;
    bool fwcfg = false;
    const char *blk[2];
    int r = -1;

    memset(out, 0, sizeof *out);
    if (os && els) {
        c = v2k_calloc(vw->n ? vw->n : 1, sizeof *c);
        if (c == NULL)
            goto out;
    }
    for (i = 0; c && i < vw->n; i++) {
        CLEANUP_FREE char *lp = NULL;
        const char *const *el;
        const char *lb;

        lp = v2k_asprintf("/%s", vw->e[i].path);
        if (lp == NULL)
            goto out;
        for (char *p = lp; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        lb = base(lp);
        if (!has_element(lp, os))
            continue;
        for (el = els; *el && !has_element(lp, *el); el++)
            ;
        if (*el == NULL || excluded(lp, lb))
            continue;
        if (!windows_name_ok(lb)) {
            v2k_debug("virtio-win: %s: skipped: not a Windows file name",
                      vw->e[i].path);
            continue;
        }
        c[nc].idx = i;
        c[nc].name = v2k_strdup(lb);
        if (c[nc].name == NULL)
            goto out;
        fwcfg |= strcmp(lb, "fwcfg.inf") == 0;
        nc++;
    }
    if (nc)
        qsort(c, nc, sizeof *c, cmp_cand);
    out->files = v2k_calloc(nc ? nc : 1, sizeof *out->files);
    if (out->files == NULL)
        goto out;
    for (i = 0; i < nc; i++) {
        if (i > 0 && strcmp(c[i].name, c[i - 1].name) == 0) {
            v2k_debug("virtio-win: %s: skipped: %s already taken from %s",
                      vw->e[c[i].idx].path, c[i].name,
                      out->files[out->nfiles - 1].source);
            continue;
        }
        /* fwcfg.inf and the qemufwcfg stub conflict (RHBZ#2151752). */
        if (fwcfg && strncmp(c[i].name, "qemufwcfg.", 10) == 0)
            continue;
        if (fill_file(vw, c[i].idx, c[i].name,
                      &out->files[out->nfiles++]) == -1)
            goto out;
    }
    /* virt-v2v's order: the preferred driver, then the other one */
    blk[0] = t->prefer == V2K_VWIN_VIOSCSI ? "vioscsi" : "viostor";
    blk[1] = t->prefer == V2K_VWIN_VIOSCSI ? "viostor" : "vioscsi";
    for (i = 0; i < 2 && out->block_driver == NULL; i++) {
        char sys[16];
        snprintf(sys, sizeof sys, "%s.sys", blk[i]);
        if (sel_has(out, sys))
            out->block_driver = blk[i];
    }
    out->has_netkvm =
        sel_has(out, "netkvm.inf") || sel_has(out, "virtio_net.inf");
    out->has_balloon = sel_has(out, "balloon.inf");
    out->has_blnsvr = sel_has(out, "blnsvr.exe");
    out->has_viorng = sel_has(out, "viorng.inf");
    out->has_pvpanic = sel_has(out, "pvpanic.inf");
    out->has_vsock = sel_has(out, "viosock.inf");
    if (find_qga(vw, t, &out->qga) == -1 ||
        summarize(out, os, els ? els[0] : t->arch) == -1)
        goto out;
    v2k_debug("virtio-win: %s for %s/%s: %s", vw->path, os ? os : "?",
              t->arch ? t->arch : "?", out->summary);
    r = 0;
out:
    for (i = 0; i < nc; i++)
        free(c[i].name);
    free(c);
    if (r == -1)
        v2k_vwin_selection_free(out);
    return r;
}

void
v2k_vwin_selection_free(struct v2k_vwin_selection *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].source);
        free(s->files[i].name);
    }
    free(s->files);
    free(s->qga.source);
    free(s->qga.name);
    free(s->summary);
    memset(s, 0, sizeof *s);
}

/* Read the current ISO entry's data (size bytes) into a new buffer. */
static void *
iso_data(struct v2k_vwin *vw, struct archive *a, const struct entry *x)
{
    char *buf = v2k_malloc((size_t)x->size + 1);
    size_t got = 0;

    if (buf == NULL)
        return NULL;
    while (got < x->size) {
        la_ssize_t r = archive_read_data(a, buf + got, (size_t)x->size - got);
        if (r < 0) {
            v2k_error("%s: %s: %s", vw->path, x->path,
                      aerr(a));
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got != x->size) {
        v2k_error("%s: %s: %zu bytes where the directory says %llu (damaged ISO?)",
                  vw->path, x->path, got, (unsigned long long)x->size);
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    return buf;
}

/* One pass over the ISO: load entry want (an index of data) and every
 * wanted entry not yet in memory, within V2K_VWIN_MAX_CACHE. */
static int
iso_load(struct v2k_vwin *vw, size_t want)
{
    CLEANUP_CLOSE int fd = v2k_open_regular(vw->path, true, NULL);
    struct archive *a;
    struct archive_entry *ae;
    size_t pending = 0;      /* entries this pass should still load */
    int r, ret = -1;

    for (size_t i = 0; i < vw->n; i++)
        pending += vw->e[i].data == i && vw->e[i].buf == NULL &&
                   (i == want || vw->e[i].wanted) &&
                   vw->e[i].size <= V2K_VWIN_MAX_FILE;
    if (fd == -1)
        return -1;
    a = iso_open(vw, fd);
    if (a == NULL)
        return -1;
    vw->passes++;
    /* Until every wanted file is in (a file over the cache budget keeps
     * pending above 0: then the pass goes to the end). */
    while (pending > 0) {
        struct entry *x;
        const char *p;
        size_t i;

        r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            v2k_error("%s: %s", vw->path,
                      aerr(a));
            goto out;
        }
        p = iso_name(archive_entry_pathname(ae));
        if (p == NULL || archive_entry_filetype(ae) != AE_IFREG ||
            archive_entry_hardlink(ae) != NULL ||
            (x = find_entry(vw, p)) == NULL)
            continue;
        i = (size_t)(x - vw->e);
        if (x->buf || x->data != i || x->size > V2K_VWIN_MAX_FILE)
            continue;
        if (i != want &&
            (!x->wanted || vw->cached + x->size > V2K_VWIN_MAX_CACHE))
            continue;
        x->buf = iso_data(vw, a, x);
        if (x->buf == NULL)
            goto out;
        vw->cached += x->size;
        pending--;
    }
    if (vw->e[want].buf == NULL) {
        v2k_error("%s: %s vanished from the ISO", vw->path, vw->e[want].path);
        goto out;
    }
    ret = 0;
out:
    archive_read_free(a);
    return ret;
}

int
v2k_vwin_read(struct v2k_vwin *vw, const char *source, size_t max,
              void **buf, size_t *len)
{
    struct entry *x = find_entry(vw, source);
    size_t cap = max < V2K_VWIN_MAX_FILE ? max : V2K_VWIN_MAX_FILE;
    struct entry *d;

    *buf = NULL;
    *len = 0;
    if (x == NULL) {
        v2k_error("%s: no file %s in it", vw->path, source);
        return -1;
    }
    d = &vw->e[x->data];
    if (d->size > cap) {
        v2k_error("%s: %s is %llu bytes, more than the %zu allowed", vw->path,
                  source, (unsigned long long)d->size, cap);
        return -1;
    }
    if (!vw->iso) {
        CLEANUP_FREE char *a = v2k_asprintf("%s/%s", vw->root, source);
        CLEANUP_FREE char *real = NULL;

        if (a == NULL)
            return -1;
        real = realpath(a, NULL);
        if (real == NULL) {
            v2k_error_errno(errno, "%s", a);
            return -1;
        }
        if (!inside(vw->root, real)) {
            v2k_error("%s: %s leads out of the tree (to %s)", vw->path, source, real);
            return -1;
        }
        *buf = v2k_read_regular_file(real, cap, len);
        return *buf ? 0 : -1;
    }
    if (d->buf == NULL && iso_load(vw, x->data) == -1)
        return -1;
    /* A copy: the block driver's .sys is read twice (Drivers\VirtIO and
     * system32\drivers), and the cache stays bounded in size. */
    *buf = v2k_malloc((size_t)d->size + 1);
    if (*buf == NULL)
        return -1;
    memcpy(*buf, d->buf, (size_t)d->size + 1);
    *len = (size_t)d->size;
    return 0;
}
