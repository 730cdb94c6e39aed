/* test-virtio-win.c - finding and choosing virtio-win drivers on the host
 * (drivers-inject/windows/virtio-win.c) in a fake virtio-win made by
 * tests/lib/mkvirtio-win.sh: the ISO layout as a directory and as an ISO
 * (xorriso), the packaged drivers/by-os layout, and a tree with symlinks.
 * The fake's traps are virt-v2v's (REFERENCE-virt-v2v.md 2.2): 2k8 next
 * to 2k8r2, sriov/, vioprot.*, *.pdb, qemufwcfg beside fwcfg, Win2022/. */
#include <check.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "windows/virtio-win.h"

static char top[PATH_MAX];   /* the scratch directory */
static char fake[PATH_MAX];  /* mkvirtio-win.sh's OUTDIR */
static bool fixture_ok;

/* Runs once, in the parent (unchecked fixture): a failure here fails
 * every test (xorriso missing is a failure, not a skip). */
static void
make_fixture(void)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");
    const char *src = getenv("V2K_SOURCE_DIR");
    char cmd[3 * PATH_MAX];

    if (tmp == NULL || src == NULL) {
        fprintf(stderr, "run me through ctest (V2K_TEST_TMPDIR, V2K_SOURCE_DIR)\n");
        return;
    }
    snprintf(top, sizeof top, "%s/test-virtio-win.XXXXXX", tmp);
    if (mkdtemp(top) == NULL)
        return;
    snprintf(fake, sizeof fake, "%s/fake", top);
    snprintf(cmd, sizeof cmd, "bash '%s/tests/lib/mkvirtio-win.sh' '%s'", src,
             fake);
    fixture_ok = system(cmd) == 0;
}

static void
remove_fixture(void)
{
    char cmd[PATH_MAX + 16];

    if (top[0] == '\0')
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", top);
}

/* PATH under the fake (static buffer, one at a time). */
static const char *
at(const char *rel)
{
    static char p[PATH_MAX];

    ck_assert_msg(fixture_ok, "the fake virtio-win was not made (see above)");
    snprintf(p, sizeof p, "%s/%s", fake, rel);
    return p;
}

static struct v2k_vwin *
open_ok(const char *rel)
{
    struct v2k_vwin *vw = NULL;
    int r = v2k_vwin_open(at(rel), &vw);

    ck_assert_msg(r == 1, "open %s: %d %s", rel, r, v2k_error_message());
    ck_assert_ptr_nonnull(vw);
    return vw;
}

/* A target: "10.0.20348" style version, server, arch, preference. */
static struct v2k_vwin_target
tgt(unsigned major, unsigned minor, unsigned build, bool server,
    const char *arch, enum v2k_vwin_block prefer)
{
    struct v2k_vwin_target t = { major, minor, build, server, arch, prefer };
    return t;
}

static void
select_ok(struct v2k_vwin *vw, struct v2k_vwin_target t,
          struct v2k_vwin_selection *s)
{
    ck_assert_msg(v2k_vwin_select(vw, &t, s) == 0, "select: %s",
                  v2k_error_message());
    ck_assert_ptr_nonnull(s->summary);
}

static const struct v2k_vwin_file *
find(const struct v2k_vwin_selection *s, const char *name)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (strcmp(s->files[i].name, name) == 0)
            return &s->files[i];
    return NULL;
}

/* The names, space-separated (static buffer). */
static const char *
names(const struct v2k_vwin_selection *s)
{
    static char b[8192];
    size_t n = 0;

    b[0] = '\0';
    for (size_t i = 0; i < s->nfiles && n < sizeof b; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "%s%s", i ? " " : "",
                              s->files[i].name);
    return b;
}

/* Every source has each of the lower-cased elements "/os/" "/arch/"
 * (in the source lower-cased), none of the traps, and the names are
 * lower-case basenames. */
static void
check_files(const struct v2k_vwin_selection *s, const char *os,
            const char *arch)
{
    char want_os[64], want_arch[64];

    snprintf(want_os, sizeof want_os, "/%s/", os);
    snprintf(want_arch, sizeof want_arch, "/%s/", arch);
    for (size_t i = 0; i < s->nfiles; i++) {
        char l[PATH_MAX];
        const char *n = s->files[i].name, *b;
        size_t j;

        snprintf(l, sizeof l, "/%s", s->files[i].source);
        for (j = 0; l[j]; j++)
            l[j] = (char)tolower((unsigned char)l[j]);
        ck_assert_msg(strstr(l, want_os) && strstr(l, want_arch),
                      "%s is not %s%s", s->files[i].source, want_os, want_arch);
        ck_assert_msg(strstr(l, "/sriov/") == NULL, "%s", l);
        b = strrchr(l, '/') + 1;
        ck_assert_str_eq(n, b);
        ck_assert_msg(strncmp(n, "vioprot.", 8) != 0, "%s", n);
        ck_assert_msg(strstr(n, ".pdb") == NULL, "%s", n);
        for (j = 0; n[j]; j++)
            ck_assert_msg(!isupper((unsigned char)n[j]), "%s", n);
        ck_assert_msg(i == 0 || strcmp(s->files[i - 1].name, n) < 0,
                      "names not sorted or duplicated at %s", n);
        ck_assert_msg(s->files[i].size > 0, "%s", n);
    }
}

/* What the fake has for a modern Windows (w10/w11/2k22/2k25 amd64). */
#define NEW_NAMES                                                            \
    "balloon.cat balloon.inf balloon.sys blnsvr.exe fwcfg.cat fwcfg.inf "    \
    "fwcfg.sys netkvm.cat netkvm.inf netkvm.sys netkvmco.exe pvpanic.cat "   \
    "pvpanic.inf pvpanic.sys viorng.cat viorng.inf viorng.sys vioscsi.cat "  \
    "vioscsi.inf vioscsi.sys vioser.cat vioser.inf vioser.sys viosock.cat "  \
    "viosock.inf viosock.sys viosocklib.dll viostor.cat viostor.inf "        \
    "viostor.sys"

START_TEST(test_2k22_amd64)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    ck_assert(!v2k_vwin_is_iso(vw));
    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "2k22", "amd64");
    /* qemufwcfg dropped for fwcfg; vioprot, pdb, sriov, Win2022 out */
    ck_assert_str_eq(names(&s), NEW_NAMES);
    ck_assert_str_eq(s.block_driver, "viostor");
    ck_assert_str_eq(find(&s, "netkvm.inf")->source,
                     "NetKVM/2k22/amd64/netkvm.inf");
    ck_assert_str_eq(find(&s, "viostor.sys")->source,
                     "viostor/2k22/amd64/viostor.sys");
    ck_assert(s.has_netkvm && s.has_balloon && s.has_blnsvr && s.has_viorng &&
              s.has_pvpanic && s.has_vsock);
    ck_assert_str_eq(s.qga.source, "guest-agent/qemu-ga-x86_64.msi");
    ck_assert_str_eq(s.qga.name, "qemu-ga-x86_64.msi");
    ck_assert_str_eq(s.summary, "viostor, netkvm, balloon, viorng, pvpanic, vsock (30 files); qemu-ga-x86_64.msi");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_w11_and_2k25)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    /* client 10.0 from build 22000 is w11 (its ARM64 files are not
     * amd64) */
    select_ok(vw, tgt(10, 0, 22631, false, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "w11", "amd64");
    ck_assert_str_eq(names(&s), NEW_NAMES);
    v2k_vwin_selection_free(&s);
    select_ok(vw, tgt(10, 0, 19045, false, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "w10", "amd64");
    v2k_vwin_selection_free(&s);
    select_ok(vw, tgt(10, 0, 26100, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "2k25", "amd64");
    ck_assert_str_eq(names(&s), NEW_NAMES);
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_os_elements)
{
    static const struct {
        unsigned major, minor, build;
        bool server;
        const char *want;
    } t[] = {
        { 5, 1, 2600, false, "xp" },    { 5, 2, 3790, false, "xp" },
        { 5, 2, 3790, true, "2k3" },    { 6, 0, 6002, false, "2k8" },
        { 6, 0, 6002, true, "2k8" },    { 6, 1, 7601, false, "w7" },
        { 6, 1, 7601, true, "2k8r2" },  { 6, 2, 9200, false, "w8" },
        { 6, 2, 9200, true, "2k12" },   { 6, 3, 9600, false, "w8.1" },
        { 6, 3, 9600, true, "2k12r2" }, { 10, 0, 10240, false, "w10" },
        { 10, 0, 19045, false, "w10" }, { 10, 0, 22000, false, "w11" },
        { 10, 0, 14393, true, "2k16" }, { 10, 0, 17763, true, "2k19" },
        { 10, 0, 20348, true, "2k22" }, { 10, 0, 26100, true, "2k25" },
        { 10, 0, 27000, true, "2k25" }, { 5, 0, 2195, false, NULL },
        { 12, 0, 30000, false, NULL },
    };

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct v2k_vwin_target x = tgt(t[i].major, t[i].minor, t[i].build,
                                       t[i].server, "x86_64",
                                       V2K_VWIN_VIOSTOR);
        const char *e = v2k_vwin_os_element(&x);
        ck_assert_msg(t[i].want ? e && strcmp(e, t[i].want) == 0 : e == NULL,
                      "%u.%u build %u server %d: %s, want %s", t[i].major,
                      t[i].minor, t[i].build, t[i].server, e ? e : "NULL",
                      t[i].want ? t[i].want : "NULL");
    }
}
END_TEST

/* 2008 R2 (the CriticalDeviceDatabase era): its own files, and 2k8 for
 * Vista/2008 never takes 2k8r2's although the names are the same. */
START_TEST(test_2k8r2_and_2k8)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(6, 1, 7601, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "2k8r2", "amd64");
    /* no fwcfg before w10/2k16: the qemufwcfg stub stays */
    ck_assert_str_eq(names(&s),
                     "balloon.cat balloon.inf balloon.sys blnsvr.exe netkvm.cat netkvm.inf netkvm.sys netkvmco.exe pvpanic.cat pvpanic.inf pvpanic.sys qemufwcfg.cat qemufwcfg.inf viorng.cat viorng.inf viorng.sys vioscsi.cat vioscsi.inf vioscsi.sys vioser.cat vioser.inf vioser.sys viostor.cat viostor.inf viostor.sys");
    ck_assert_str_eq(s.block_driver, "viostor");
    ck_assert(!s.has_vsock);
    v2k_vwin_selection_free(&s);

    select_ok(vw, tgt(6, 0, 6002, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "2k8", "amd64");
    ck_assert_ptr_nonnull(find(&s, "viostor.sys"));
    ck_assert(!s.has_viorng && !s.has_pvpanic);
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_w10_32bit)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(10, 0, 19045, false, "i386", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "w10", "x86");
    ck_assert_str_eq(names(&s), NEW_NAMES);
    ck_assert_str_eq(s.block_driver, "viostor");
    ck_assert_str_eq(s.qga.source, "guest-agent/qemu-ga-i386.msi");
    ck_assert_str_eq(s.qga.name, "qemu-ga-i386.msi");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_vioscsi_preferred_and_fallback)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSCSI), &s);
    ck_assert_str_eq(s.block_driver, "vioscsi");
    ck_assert_str_eq(find(&s, "vioscsi.sys")->source,
                     "vioscsi/2k22/amd64/vioscsi.sys");
    ck_assert_msg(strncmp(s.summary, "vioscsi, netkvm", 15) == 0, "%s",
                  s.summary);
    v2k_vwin_selection_free(&s);
    /* the fake has no vioscsi for XP: viostor instead */
    select_ok(vw, tgt(5, 1, 2600, false, "i386", V2K_VWIN_VIOSCSI), &s);
    ck_assert_str_eq(s.block_driver, "viostor");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_xp_x86)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(5, 1, 2600, false, "i386", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "xp", "x86");
    ck_assert_str_eq(names(&s),
                     "balloon.cat balloon.inf balloon.sys blnsvr.exe netkvm.cat netkvm.inf netkvm.sys netkvmco.exe qemufwcfg.cat qemufwcfg.inf vioser.cat vioser.inf vioser.sys viostor.cat viostor.inf viostor.sys");
    ck_assert_str_eq(s.summary, "viostor, netkvm, balloon (16 files); qemu-ga-i386.msi");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

/* Nothing for this Windows: an empty selection, not an error. */
START_TEST(test_nothing_for_this_windows)
{
    struct v2k_vwin *vw = open_ok("iso-tree");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(12, 0, 30000, false, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(s.nfiles, 0);
    ck_assert_ptr_null(s.block_driver);
    ck_assert(!s.has_netkvm && !s.has_balloon);
    ck_assert_str_eq(s.summary, "no drivers for this Windows/amd64; qemu-ga-x86_64.msi");
    v2k_vwin_selection_free(&s);
    /* w11 and XP x64 have no such arch directories in the fake */
    select_ok(vw, tgt(10, 0, 22631, false, "i386", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(s.nfiles, 0);
    ck_assert_ptr_null(s.block_driver);
    v2k_vwin_selection_free(&s);
    select_ok(vw, tgt(5, 2, 3790, false, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(s.nfiles, 0);
    ck_assert_str_eq(s.summary, "no drivers for xp/amd64; qemu-ga-x86_64.msi");
    v2k_vwin_selection_free(&s);
    select_ok(vw, tgt(10, 0, 20348, true, "aarch64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(s.nfiles, 0);
    ck_assert_ptr_null(s.qga.source);
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

static const struct v2k_vwin_target *
targets(size_t *n)
{
    static struct v2k_vwin_target t[8];

    t[0] = tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR);
    t[1] = tgt(10, 0, 22631, false, "x86_64", V2K_VWIN_VIOSCSI);
    t[2] = tgt(6, 1, 7601, true, "x86_64", V2K_VWIN_VIOSTOR);
    t[3] = tgt(6, 0, 6002, false, "i386", V2K_VWIN_VIOSTOR);
    t[4] = tgt(10, 0, 19045, false, "i386", V2K_VWIN_VIOSTOR);
    t[5] = tgt(5, 1, 2600, false, "i386", V2K_VWIN_VIOSCSI);
    t[6] = tgt(6, 3, 9600, true, "x86_64", V2K_VWIN_VIOSTOR);
    t[7] = tgt(12, 0, 0, false, "x86_64", V2K_VWIN_VIOSTOR);
    *n = 8;
    return t;
}

/* The directory, the ISO made from it and the packaged layout give the
 * same selections (the same sources and sizes for the first two). */
START_TEST(test_same_from_dir_iso_and_pkg)
{
    struct v2k_vwin *d = open_ok("iso-tree");
    struct v2k_vwin *i = open_ok("virtio-win.iso");
    struct v2k_vwin *p = open_ok("pkg");
    size_t n;
    const struct v2k_vwin_target *t = targets(&n);

    ck_assert(v2k_vwin_is_iso(i));
    for (size_t k = 0; k < n; k++) {
        struct v2k_vwin_selection sd, si, sp;
        char nd[8192];

        select_ok(d, t[k], &sd);
        select_ok(i, t[k], &si);
        select_ok(p, t[k], &sp);
        snprintf(nd, sizeof nd, "%s", names(&sd));
        ck_assert_str_eq(nd, names(&si));
        ck_assert_str_eq(nd, names(&sp));
        ck_assert_str_eq(sd.summary, si.summary);
        ck_assert_str_eq(sd.summary, sp.summary);
        ck_assert_uint_eq(sd.nfiles, si.nfiles);
        for (size_t j = 0; j < sd.nfiles; j++) {
            ck_assert_str_eq(sd.files[j].source, si.files[j].source);
            ck_assert_uint_eq(sd.files[j].size, si.files[j].size);
        }
        ck_assert(sd.block_driver == si.block_driver &&
                  sd.block_driver == sp.block_driver);
        v2k_vwin_selection_free(&sd);
        v2k_vwin_selection_free(&si);
        v2k_vwin_selection_free(&sp);
    }
    v2k_vwin_close(d);
    v2k_vwin_close(i);
    v2k_vwin_close(p);
}
END_TEST

/* In the packaged layout a name is in by-driver/ and by-os/: the first
 * in path byte order is taken. */
START_TEST(test_pkg_duplicates_first_in_path_order)
{
    struct v2k_vwin *vw = open_ok("pkg");
    struct v2k_vwin_selection s;

    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    check_files(&s, "2k22", "amd64");
    ck_assert_str_eq(find(&s, "viostor.sys")->source,
                     "drivers/by-driver/viostor/2k22/amd64/viostor.sys");
    ck_assert_str_eq(find(&s, "netkvm.inf")->source,
                     "drivers/by-driver/netkvm/2k22/amd64/netkvm.inf");
    ck_assert_str_eq(s.qga.source, "guest-agent/qemu-ga-x86_64.msi");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

/* Every selected file reads back as its own path, from the ISO (one pass
 * for all of them) and from the directory. */
static void
read_all(const char *rel)
{
    struct v2k_vwin *vw = open_ok(rel);
    struct v2k_vwin_selection s;
    void *buf;
    size_t len;

    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_gt(s.nfiles, 0);
    for (size_t i = 0; i <= s.nfiles; i++) {
        const struct v2k_vwin_file *f = i < s.nfiles ? &s.files[i] : &s.qga;
        char want[PATH_MAX];

        ck_assert_msg(v2k_vwin_read(vw, f->source, 1 << 20, &buf, &len) == 0,
                      "%s: %s", f->source, v2k_error_message());
        snprintf(want, sizeof want, "%s\n", f->source);
        ck_assert_uint_eq(len, strlen(want));
        ck_assert_uint_eq(len, f->size);
        ck_assert_str_eq((char *)buf, want);
        free(buf);
    }
    /* the listing, then one pass for every selected file */
    ck_assert_uint_eq(v2k_vwin_passes(vw), v2k_vwin_is_iso(vw) ? 2 : 0);
    /* twice: the block driver goes to two places */
    ck_assert_int_eq(v2k_vwin_read(vw, "viostor/2k22/amd64/viostor.sys", 100, &buf, &len), 0);
    ck_assert_uint_eq(len, strlen("viostor/2k22/amd64/viostor.sys\n"));
    free(buf);
    /* a file not selected reads too */
    ck_assert_int_eq(v2k_vwin_read(vw, "viostor/xp/x86/viostor.inf", 100, &buf, &len), 0);
    ck_assert_str_eq((char *)buf, "viostor/xp/x86/viostor.inf\n");
    free(buf);
    ck_assert_uint_eq(v2k_vwin_passes(vw), v2k_vwin_is_iso(vw) ? 3 : 0);
    /* too big for the caller's cap: refused, naming the file */
    ck_assert_int_eq(v2k_vwin_read(vw, "viostor/2k22/amd64/viostor.sys", 5, &buf, &len), -1);
    ck_assert_ptr_null(buf);
    ck_assert_msg(strstr(v2k_error_message(), "viostor/2k22/amd64/viostor.sys is 31 bytes, more than the 5 allowed"),
                  "%s", v2k_error_message());
    ck_assert_int_eq(v2k_vwin_read(vw, "viostor/2k22/amd64/nothere.sys", 100, &buf, &len), -1);
    ck_assert_msg(strstr(v2k_error_message(), "no file viostor/2k22/amd64/nothere.sys"),
                  "%s", v2k_error_message());
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}

START_TEST(test_read_iso)
{
    struct v2k_vwin *vw;
    struct v2k_vwin_selection s;
    void *buf;
    size_t len;

    read_all("virtio-win.iso");
    /* 2k25's viostor.cat is a hard link to 2k22's: libarchive gives the
     * data with one name only */
    vw = open_ok("virtio-win.iso");
    select_ok(vw, tgt(10, 0, 26100, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(find(&s, "viostor.cat")->size,
                      strlen("viostor/2k22/amd64/viostor.cat\n"));
    for (int i = 0; i < 2; i++) {
        const char *p = i ? "viostor/2k22/amd64/viostor.cat"
                          : "viostor/2k25/amd64/viostor.cat";
        ck_assert_msg(v2k_vwin_read(vw, p, 100, &buf, &len) == 0, "%s: %s", p,
                      v2k_error_message());
        ck_assert_str_eq((char *)buf, "viostor/2k22/amd64/viostor.cat\n");
        free(buf);
    }
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

START_TEST(test_read_dir)
{
    read_all("iso-tree");
}
END_TEST

START_TEST(test_not_an_iso)
{
    struct v2k_vwin *vw = (struct v2k_vwin *)1;
    const char *p = at("not-an-iso.iso");

    ck_assert_int_eq(v2k_vwin_open(p, &vw), -1);
    ck_assert_ptr_null(vw);
    ck_assert_msg(strstr(v2k_error_message(), p) &&
                  strstr(v2k_error_message(), "not an ISO 9660 image"),
                  "%s", v2k_error_message());
    ck_assert_ptr_null(strchr(v2k_error_message(), '\n'));
}
END_TEST

START_TEST(test_missing_path)
{
    struct v2k_vwin *vw = NULL;
    const char *p = at("no-such-virtio-win");

    ck_assert_int_eq(v2k_vwin_open(p, &vw), -1);
    ck_assert_ptr_null(vw);
    ck_assert_msg(strstr(v2k_error_message(), p), "%s", v2k_error_message());
}
END_TEST

/* NULL: $VIRTIO_WIN, $VIRTIO_WIN_DIR, DATADIR/virtio-win/virtio-win.iso,
 * DATADIR/virtio-win, else "not found" (0, no message). */
START_TEST(test_default_places)
{
    struct v2k_vwin *vw = NULL;
    char d[PATH_MAX], x[2 * PATH_MAX], cmd[4 * PATH_MAX];

    unsetenv("VIRTIO_WIN");
    unsetenv("VIRTIO_WIN_DIR");
    snprintf(d, sizeof d, "%s", at("datadir"));
    ck_assert_int_eq(mkdir(d, 0755), 0);
    v2k_error_clear();
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), 0);
    ck_assert_ptr_null(vw);
    ck_assert_str_eq(v2k_error_message(), "");

    /* the directory */
    snprintf(x, sizeof x, "%s/virtio-win", d);
    ck_assert_int_eq(symlink(at("pkg"), x), 0);
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), 1);
    ck_assert(!v2k_vwin_is_iso(vw));
    ck_assert_str_eq(v2k_vwin_path(vw), x);
    v2k_vwin_close(vw);

    /* the ISO in it comes first */
    snprintf(cmd, sizeof cmd, "rm '%s' && mkdir '%s' && cp '%s' '%s/virtio-win.iso'",
             x, x, at("virtio-win.iso"), x);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), 1);
    ck_assert(v2k_vwin_is_iso(vw));
    v2k_vwin_close(vw);

    /* $VIRTIO_WIN_DIR, then $VIRTIO_WIN over it */
    setenv("VIRTIO_WIN_DIR", at("iso-tree"), 1);
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), 1);
    ck_assert_str_eq(v2k_vwin_path(vw), at("iso-tree"));
    v2k_vwin_close(vw);
    setenv("VIRTIO_WIN", at("pkg"), 1);
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), 1);
    ck_assert_str_eq(v2k_vwin_path(vw), at("pkg"));
    v2k_vwin_close(vw);

    /* configured but missing: an error, not "not found" */
    setenv("VIRTIO_WIN", at("gone"), 1);
    ck_assert_int_eq(v2k_vwin_open_in(NULL, d, &vw), -1);
    ck_assert_ptr_null(vw);
    ck_assert_msg(strstr(v2k_error_message(), at("gone")), "%s",
                  v2k_error_message());
    unsetenv("VIRTIO_WIN");
    unsetenv("VIRTIO_WIN_DIR");
}
END_TEST

/* A symlink inside the tree is followed; one leading out of it (to a
 * file or to a directory) is not. */
START_TEST(test_symlinks)
{
    struct v2k_vwin *vw = open_ok("iso-tree-links");
    struct v2k_vwin_selection s;
    void *buf;
    size_t len;

    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_str_eq(names(&s), NEW_NAMES);
    ck_assert_ptr_null(find(&s, "evil.sys"));
    ck_assert_ptr_null(find(&s, "evil.inf"));
    ck_assert_int_eq(v2k_vwin_read(vw, find(&s, "viorng.inf")->source, 100,
                                   &buf, &len), 0);
    ck_assert_str_eq((char *)buf, "viorng/2k19/amd64/viorng.inf\n");
    free(buf);
    ck_assert_int_eq(v2k_vwin_read(vw, "viostor/2k22/amd64/evil.sys", 100,
                                   &buf, &len), -1);
    ck_assert_int_eq(v2k_vwin_read(vw, "NetKVM/2k22/amd64/ext/evil.sys", 100,
                                   &buf, &len), -1);
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);
}
END_TEST

/* A tree deeper than V2K_VWIN_MAX_DEPTH is cut there; one with more
 * than V2K_VWIN_MAX_ENTRIES entries is refused (the input may come from
 * anyone). */
START_TEST(test_limits)
{
    struct v2k_vwin *vw = NULL;
    struct v2k_vwin_selection s;
    char deep[PATH_MAX], cmd[4 * PATH_MAX];
    size_t n;

    snprintf(deep, sizeof deep, "%s", at("deep"));
    n = strlen(deep);
    for (int i = 0; i < V2K_VWIN_MAX_DEPTH; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "/d");
    snprintf(cmd, sizeof cmd,
             "set -e; for t in '%s' '%s'; do mkdir -p $t/viostor/2k22/amd64;"
             " echo x > $t/viostor/2k22/amd64/viostor.sys; done",
             at("deep"), deep);
    ck_assert_int_eq(system(cmd), 0);
    vw = open_ok("deep");
    select_ok(vw, tgt(10, 0, 20348, true, "x86_64", V2K_VWIN_VIOSTOR), &s);
    ck_assert_uint_eq(s.nfiles, 1);
    ck_assert_str_eq(s.files[0].source, "viostor/2k22/amd64/viostor.sys");
    v2k_vwin_selection_free(&s);
    v2k_vwin_close(vw);

    snprintf(cmd, sizeof cmd, "mkdir '%s' && cd '%s' && seq 1 %d | xargs touch",
             at("many"), at("many"), V2K_VWIN_MAX_ENTRIES + 1);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(v2k_vwin_open(at("many"), &vw), -1);
    ck_assert_msg(strstr(v2k_error_message(), "more than 100000 entries"),
                  "%s", v2k_error_message());
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("virtio-win");
    TCase *tc = tcase_create("virtio-win");

    tcase_add_unchecked_fixture(tc, make_fixture, remove_fixture);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_2k22_amd64);
    tcase_add_test(tc, test_w11_and_2k25);
    tcase_add_test(tc, test_os_elements);
    tcase_add_test(tc, test_2k8r2_and_2k8);
    tcase_add_test(tc, test_w10_32bit);
    tcase_add_test(tc, test_vioscsi_preferred_and_fallback);
    tcase_add_test(tc, test_xp_x86);
    tcase_add_test(tc, test_nothing_for_this_windows);
    tcase_add_test(tc, test_same_from_dir_iso_and_pkg);
    tcase_add_test(tc, test_pkg_duplicates_first_in_path_order);
    tcase_add_test(tc, test_read_iso);
    tcase_add_test(tc, test_read_dir);
    tcase_add_test(tc, test_not_an_iso);
    tcase_add_test(tc, test_missing_path);
    tcase_add_test(tc, test_default_places);
    tcase_add_test(tc, test_symlinks);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return s;
}
