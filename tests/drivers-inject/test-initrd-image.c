/* test-initrd-image.c - initramfs images on the host
 * (drivers-inject/linux/initrd-image.h): the newc writer against the
 * host's cpio, an archive appended with each compressor the kernel reads
 * and read back both by our reader and by Debian's lsinitramfs (what a
 * guest's admin runs), and the modules.dep closure. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "initrd-image.h"

static char *
tmp_path(const char *name)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");
    char *p = NULL;

    ck_assert_ptr_nonnull(tmp);
    ck_assert_int_ge(asprintf(&p, "%s/test-initrd-image-%s", tmp, name), 0);
    return p;
}

/* An archive with a directory, two files and the given module into fp. */
static void
write_sample(FILE *fp, const char *mod)
{
    struct v2k_cpio_writer w;
    char path[256];

    v2k_cpio_start(&w, fp);
    ck_assert_int_eq(v2k_cpio_add(&w, "usr", S_IFDIR | 0755, NULL, 0), 0);
    ck_assert_int_eq(v2k_cpio_add(&w, "usr/lib", S_IFDIR | 0755, NULL, 0),
                     0);
    ck_assert_int_eq(v2k_cpio_add(&w, "init", S_IFREG | 0755, "#!/bin/sh\n",
                                  10), 0);
    snprintf(path, sizeof path, "usr/lib/%s.ko", mod);
    ck_assert_int_eq(v2k_cpio_add(&w, path, S_IFREG | 0644, "odd", 3), 0);
    ck_assert_int_eq(v2k_cpio_finish(&w), 0);
}

START_TEST(test_writer_matches_cpio)
{
    char *file = tmp_path("w.cpio"), *cmd = NULL, line[256];
    FILE *fp = fopen(file, "wb"), *p;
    struct v2k_initrd_listing l;
    const char *want[] = { "usr", "usr/lib", "init", "usr/lib/virtio_blk.ko" };
    size_t k = 0;

    ck_assert_ptr_nonnull(fp);
    write_sample(fp, "virtio_blk");
    ck_assert_int_eq(fclose(fp), 0);
    /* the host's cpio reads it, names and sizes */
    ck_assert_int_ge(asprintf(&cmd, "cpio -it --quiet < '%s'", file), 0);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        ck_assert_uint_lt(k, 4);
        ck_assert_str_eq(line, want[k]);
        k++;
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_uint_eq(k, 4);
    free(cmd);
    ck_assert_int_ge(asprintf(&cmd, "cpio -i --quiet --to-stdout init < '%s' | grep -qx '#!/bin/sh'", file), 0);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);

    ck_assert_int_eq(v2k_initrd_read(file, "w.cpio", &l), 0);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_ptr_null(l.decompressor);
    ck_assert(S_ISDIR(v2k_initrd_find(&l, "usr/lib")->mode));
    ck_assert(v2k_initrd_has_module(&l, "virtio_blk"));
    ck_assert(v2k_initrd_has_module(&l, "virtio-blk"));
    ck_assert(!v2k_initrd_has_module(&l, "virtio"));
    v2k_initrd_listing_free(&l);
    unlink(file);
    free(file);
}
END_TEST

/* For each compressor: an image made like initramfs-tools makes one (an
 * uncompressed early archive, then a compressed main one) gets the
 * entries of another archive; our reader and Debian's lsinitramfs (what
 * a guest's admin runs, which reads one archive per stream) see every
 * file, the early archive is kept byte for byte. */
START_TEST(test_extend_each_compressor)
{
    static const char *const decomps[] = {
        "zcat", "xzcat", "zstdcat", "lz4cat", "bzcat", NULL,
    };
    const char *decomp = decomps[_i];
    const char *const *comp = v2k_initrd_compressor(decomp);
    char *img = tmp_path("img"), *part = tmp_path("part");
    char *extra = tmp_path("extra"), *out = tmp_path("out"), *cmd = NULL;
    struct v2k_initrd_listing l;
    char why[256];
    long early_len;
    FILE *fp;
    int in, o;

    if (decomp)
        ck_assert_ptr_nonnull(comp);
    fp = fopen(img, "wb");
    ck_assert_ptr_nonnull(fp);
    write_sample(fp, "early");
    early_len = ftell(fp);
    ck_assert_int_eq(fclose(fp), 0);
    fp = fopen(part, "wb");
    ck_assert_ptr_nonnull(fp);
    write_sample(fp, "ext4");
    ck_assert_int_eq(fclose(fp), 0);
    in = open(part, O_RDONLY);
    o = open(img, O_WRONLY | O_APPEND);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(o, 0);
    if (comp)
        ck_assert_int_eq(v2k_initrd_filter(comp, in, o, "test"), 0);
    else {
        char buf[4096];
        ssize_t n;

        while ((n = read(in, buf, sizeof buf)) > 0)
            ck_assert_int_eq(write(o, buf, (size_t)n), n);
    }
    close(in);
    close(o);
    fp = fopen(extra, "wb");
    ck_assert_ptr_nonnull(fp);
    write_sample(fp, "virtio_blk");
    ck_assert_int_eq(fclose(fp), 0);

    ck_assert_int_eq(v2k_initrd_read(img, "img", &l), 0);
    ck_assert(!v2k_initrd_has_module(&l, "virtio_blk"));
    ck_assert_int_eq(v2k_initrd_extend(img, &l, extra, out, "img", why,
                                       sizeof why), 1);
    v2k_initrd_listing_free(&l);
    ck_assert_int_eq(v2k_initrd_read(out, "out", &l), 0);
    ck_assert(v2k_initrd_has_module(&l, "early"));
    ck_assert(v2k_initrd_has_module(&l, "ext4"));
    ck_assert(v2k_initrd_has_module(&l, "virtio_blk"));
    if (decomp) {
        ck_assert_str_eq(l.decompressor, decomp);
        ck_assert_uint_eq(l.compressed_at, (uint64_t)early_len);
    }
    v2k_initrd_listing_free(&l);
    /* the early archive byte for byte */
    ck_assert_int_ge(asprintf(&cmd, "cmp -s -n %ld '%s' '%s'", early_len,
                              img, out), 0);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    /* (lsinitramfs exits 2 on any all-uncompressed image of several
     * archives, cpio(1) saying "premature end of archive": only its
     * listing counts there) */
    ck_assert_int_ge(asprintf(&cmd, "{ lsinitramfs '%s' >'%s.list' 2>/dev/null%s; } && grep -qx usr/lib/virtio_blk.ko '%s.list' && grep -qx usr/lib/ext4.ko '%s.list' && grep -qx usr/lib/early.ko '%s.list'", out, out, decomp ? "" : " || :", out, out, out), 0);
    ck_assert_msg(system(cmd) == 0, "lsinitramfs does not show every file (%s)", decomp ? decomp : "uncompressed");
    free(cmd);
    ck_assert_int_ge(asprintf(&cmd, "%s.list", out), 0);
    unlink(cmd);
    free(cmd);
    unlink(img);
    unlink(part);
    unlink(extra);
    unlink(out);
    free(img);
    free(part);
    free(extra);
    free(out);
}
END_TEST

/* A compression the kernel reads but we do not write (lzma: its streams
 * do not concatenate): not possible, said why. */
START_TEST(test_extend_unknown_compressor)
{
    struct v2k_initrd_listing l = { .decompressor = "lzcat" };
    char why[256];

    ck_assert_ptr_null(v2k_initrd_compressor("lzcat"));
    ck_assert_int_eq(v2k_initrd_extend("/nonexistent", &l, "/nonexistent",
                                       "/nonexistent", "img", why,
                                       sizeof why), 0);
    ck_assert_str_eq(why, "its compression (lzcat) is not one we write");
}
END_TEST

START_TEST(test_moddep_closure)
{
    const char *dep =
        "kernel/drivers/virtio/virtio.ko.xz:\n"
        "kernel/drivers/virtio/virtio_ring.ko.xz:\n"
        "kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/"
        "virtio_pci_legacy_dev.ko.xz kernel/drivers/virtio/virtio_pci_modern"
        "_dev.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio"
        "/virtio_ring.ko.xz\n"
        "kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/"
        "virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz\n"
        "kernel/drivers/net/net-failover.ko.xz: kernel/net/core/failover.ko.xz\n";
    const char *names[] = { "virtio_blk", "virtio_pci", "nosuch",
                            "net_failover" };
    const char *want[] = {
        "kernel/drivers/virtio/virtio.ko.xz",
        "kernel/drivers/virtio/virtio_ring.ko.xz",
        "kernel/drivers/block/virtio_blk.ko.xz",
        "kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz",
        "kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz",
        "kernel/drivers/virtio/virtio_pci.ko.xz",
        "kernel/net/core/failover.ko.xz",
        "kernel/drivers/net/net-failover.ko.xz",
    };
    char **paths, name[64];
    size_t n;

    ck_assert_int_eq(v2k_moddep_closure(dep, names, 4, &paths, &n), 0);
    ck_assert_uint_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(paths[i], want[i]);
        free(paths[i]);
    }
    free(paths);
    v2k_module_name("kernel/drivers/net/net-failover.ko.xz", name,
                    sizeof name);
    ck_assert_str_eq(name, "net_failover");
    ck_assert_int_eq(v2k_moddep_closure(NULL, names, 4, &paths, &n), 0);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_read_errors)
{
    char *file = tmp_path("bad");
    FILE *fp = fopen(file, "wb");
    struct v2k_initrd_listing l;

    ck_assert_ptr_nonnull(fp);
    fputs("not an initramfs", fp);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_int_eq(v2k_initrd_read(file, "bad.img", &l), -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(),
                                 "bad.img: not a cpio archive"));
    ck_assert_uint_eq(l.n, 0);
    unlink(file);
    free(file);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("initrd-image");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_writer_matches_cpio);
    tcase_add_loop_test(tc, test_extend_each_compressor, 0, 6);
    tcase_add_test(tc, test_extend_unknown_compressor);
    tcase_add_test(tc, test_moddep_closure);
    tcase_add_test(tc, test_read_errors);
    suite_add_tcase(s, tc);
    return s;
}
