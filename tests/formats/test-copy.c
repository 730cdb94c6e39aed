/* test-copy.c - the copy engine, compare and scan on a synthetic
 * in-memory image (a test-only format and transport) and the raw writer:
 * mixed extents with unaligned boundaries copy exactly, zero granules
 * stay holes, source errors propagate with their message, results do not
 * depend on the number of workers, and verification catches a source
 * that reads differently the second time. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "error.h"
#include "format.h"
#include "writer.h"

/* ---- a tiny in-memory format --------------------------------------- */

#define MAX_EXT 16

struct mem {
    unsigned char *data;                /* the guest bytes */
    struct v2k_extent ext[MAX_EXT];     /* the map, covering the disk */
    size_t next;
    uint64_t fail_at[2];                /* reads touching these fail */
    size_t nfail;
    uint64_t flip_at;                   /* the 2nd read of it differs */
    unsigned flip_reads;
    pthread_mutex_t lock;
};

static int
mem_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct mem *m = img->state;

    for (size_t i = 0; i < m->nfail; i++) {
        if (m->fail_at[i] >= offset && m->fail_at[i] < offset + count) {
            v2k_error("%s: injected read error at %llu",
                      v2k_image_name(img),
                      (unsigned long long)m->fail_at[i]);
            return -1;
        }
    }
    memcpy(buf, m->data + offset, count);
    if (m->flip_at && m->flip_at >= offset && m->flip_at < offset + count) {
        pthread_mutex_lock(&m->lock);
        if (++m->flip_reads >= 2)
            ((unsigned char *)buf)[m->flip_at - offset] ^= 0xff;
        pthread_mutex_unlock(&m->lock);
    }
    return 0;
}

/* Answers at most two extents per call, to exercise early stops. */
static int
mem_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
            struct v2k_extent_list *out)
{
    struct mem *m = img->state;
    unsigned given = 0;

    for (size_t i = 0; i < m->next && given < 2; i++) {
        const struct v2k_extent *e = &m->ext[i];
        uint64_t s = e->offset, end = e->offset + e->length;
        if (end <= offset || s >= offset + length)
            continue;
        if (s < offset)
            s = offset;
        if (end > offset + length)
            end = offset + length;
        if (v2k_extent_list_add(out, s, end - s, e->type) == -1)
            return -1;
        given++;
    }
    return 0;
}

static void
mem_close(struct v2k_image *img)
{
    struct mem *m = img->state;
    pthread_mutex_destroy(&m->lock);
    free(m->data);
}

static const struct v2k_format mem_format = {
    .name = "mem",
    .description = "test-only in-memory image",
    .instance_size = sizeof(struct mem),
    .pread = mem_pread,
    .extents = mem_extents,
    .close = mem_close,
};

static void
memt_close(struct v2k_transport *t)
{
    free(t->name);
    free(t);
}

static const struct v2k_transport_ops mem_transport_ops = {
    .kind = "mem",
    .close = memt_close,
};

/* An image of size bytes with the given map (types only matter; the
 * caller fills m->data, keeping non-DATA ranges zero). */
static struct v2k_image *
mem_image(uint64_t size, const struct v2k_extent *ext, size_t n)
{
    struct v2k_image *img = calloc(1, sizeof *img);
    struct v2k_transport *t = calloc(1, sizeof *t);
    struct mem *m = calloc(1, sizeof *m);

    ck_assert(img && t && m && n <= MAX_EXT);
    t->ops = &mem_transport_ops;
    t->name = strdup("mem:test");
    t->size = size;
    img->fmt = &mem_format;
    img->transport = t;
    img->size = size;
    img->state = m;
    m->data = calloc(1, size);
    ck_assert(m->data != NULL);
    memcpy(m->ext, ext, n * sizeof *ext);
    m->next = n;
    pthread_mutex_init(&m->lock, NULL);
    return img;
}

static void
fill_pattern(struct v2k_image *img, uint64_t off, uint64_t len)
{
    struct mem *m = img->state;
    for (uint64_t i = off; i < off + len; i++)
        m->data[i] = (unsigned char)(i * 7 + 1) | 1;    /* never 0 */
}

/* ---- helpers -------------------------------------------------------- */

static char tmpdir[4096];

static void
setup(void)
{
    const char *base = getenv("V2K_TEST_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test-copy.XXXXXX",
             base ? base : "/tmp");
    ck_assert(mkdtemp(tmpdir) != NULL);
}

static void
teardown(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Copy img to a raw file; returns 0/-1 as v2k_copy. */
static int
copy_to(struct v2k_image *img, const char *name, unsigned workers,
        size_t chunk, bool verify, char *path, size_t pathlen,
        struct v2k_copy_stats *st)
{
    struct v2k_copy_opts o = {
        .workers = workers, .chunk_size = chunk, .verify = verify,
    };
    struct v2k_writer *w;
    int r;

    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    w = v2k_writer_create(path, "raw", img->size, NULL);
    ck_assert_msg(w != NULL, "%s", v2k_error_message());
    r = v2k_copy(img, w, &o, st);
    if (r == 0)
        r = v2k_writer_finish(w);
    v2k_writer_free(w);
    return r;
}

static unsigned char *
slurp(const char *path, uint64_t size)
{
    unsigned char *b = malloc(size);
    int fd = open(path, O_RDONLY);
    struct stat s;

    ck_assert(b && fd >= 0);
    ck_assert_int_eq(fstat(fd, &s), 0);
    ck_assert_uint_eq((uint64_t)s.st_size, size);
    ck_assert_int_eq(pread(fd, b, size, 0), (ssize_t)size);
    close(fd);
    return b;
}

/* True when [off, off + len) of path is a hole. */
static bool
is_hole(const char *path, off_t off, off_t len)
{
    int fd = open(path, O_RDONLY);
    off_t d;

    ck_assert(fd >= 0);
    d = lseek(fd, off, SEEK_DATA);
    close(fd);
    return (d == -1 && errno == ENXIO) || d >= off + len;
}

/* A 3 MiB + 1536 byte disk (not a multiple of the 4 KiB granule):
 *   DATA   [0, 5000)            unaligned end
 *   ZERO   [5000, 70001)        unaligned both ends
 *   DATA   [70001, 1 MiB + 100) with zero granules inside
 *   UNALL  [1 MiB + 100, 2 MiB)
 *   DATA   [2 MiB, 2 MiB + 4096)
 *   ZERO   [2 MiB + 4096, 3 MiB)
 *   DATA   [3 MiB, end)         the partial last granule */
#define SIZE ((3ULL << 20) + 1536)
#define ZRUN_OFF (512ULL << 10)         /* zero granules inside DATA */
#define ZRUN_LEN (128ULL << 10)

static struct v2k_image *
mixed_image(void)
{
    static const struct v2k_extent ext[] = {
        { 0, 5000, V2K_EXTENT_DATA },
        { 5000, 65001, V2K_EXTENT_ZERO },
        { 70001, (1ULL << 20) + 100 - 70001, V2K_EXTENT_DATA },
        { (1ULL << 20) + 100, (1ULL << 20) - 100, V2K_EXTENT_UNALLOCATED },
        { 2ULL << 20, 4096, V2K_EXTENT_DATA },
        { (2ULL << 20) + 4096, (1ULL << 20) - 4096, V2K_EXTENT_ZERO },
        { 3ULL << 20, 1536, V2K_EXTENT_DATA },
    };
    struct v2k_image *img = mem_image(SIZE, ext, 7);

    fill_pattern(img, 0, 5000);
    fill_pattern(img, 70001, ZRUN_OFF - 70001);
    fill_pattern(img, ZRUN_OFF + ZRUN_LEN,
                 (1ULL << 20) + 100 - ZRUN_OFF - ZRUN_LEN);
    fill_pattern(img, 2ULL << 20, 4096);
    fill_pattern(img, 3ULL << 20, 1536);
    return img;
}

/* ---- tests ---------------------------------------------------------- */

START_TEST(test_copy_mixed_extents_exact)
{
    struct v2k_image *img = mixed_image();
    struct mem *m = img->state;
    struct v2k_copy_stats st;
    char path[4200];
    unsigned char *out;

    ck_assert_msg(copy_to(img, "mixed.raw", 2, 64 << 10, false, path,
                          sizeof path, &st) == 0, "%s", v2k_error_message());
    out = slurp(path, SIZE);
    ck_assert(memcmp(out, m->data, SIZE) == 0);
    /* ZERO and UNALLOCATED granules were never read. */
    ck_assert_uint_gt(st.bytes_skipped, (1ULL << 20) + (512ULL << 10));
    ck_assert_uint_eq(st.bytes_read + st.bytes_skipped, SIZE);
    free(out);
    v2k_image_close(img);
}
END_TEST

START_TEST(test_copy_zero_granules_stay_holes)
{
    struct v2k_image *img = mixed_image();
    struct v2k_copy_stats st;
    char path[4200];

    ck_assert(copy_to(img, "holes.raw", 4, 1 << 20, false, path,
                      sizeof path, &st) == 0);
    /* Zero granules inside a DATA extent were read but not written. */
    ck_assert(is_hole(path, ZRUN_OFF, ZRUN_LEN));
    ck_assert(is_hole(path, (1ULL << 20) + 4096, (1ULL << 20) - 4096));
    ck_assert(!is_hole(path, 0, 4096));
    ck_assert_uint_lt(st.bytes_written, st.bytes_read - ZRUN_LEN + 1);
    v2k_image_close(img);
}
END_TEST

START_TEST(test_copy_workers_1_and_8_agree)
{
    struct v2k_image *img = mixed_image();
    struct mem *m = img->state;
    char p1[4200], p8[4200];
    unsigned char *a, *b;

    ck_assert(copy_to(img, "w1.raw", 1, 8192, false, p1, sizeof p1,
                      NULL) == 0);
    ck_assert(copy_to(img, "w8.raw", 8, 8192, false, p8, sizeof p8,
                      NULL) == 0);
    a = slurp(p1, SIZE);
    b = slurp(p8, SIZE);
    ck_assert(memcmp(a, b, SIZE) == 0);
    ck_assert(memcmp(a, m->data, SIZE) == 0);
    ck_assert(is_hole(p1, ZRUN_OFF, ZRUN_LEN));
    ck_assert(is_hole(p8, ZRUN_OFF, ZRUN_LEN));
    free(a);
    free(b);
    v2k_image_close(img);
}
END_TEST

START_TEST(test_copy_read_error_propagates)
{
    struct v2k_image *img = mixed_image();
    struct mem *m = img->state;
    char path[4200];

    m->fail_at[0] = (2ULL << 20) + 10;
    m->nfail = 1;
    ck_assert_int_eq(copy_to(img, "err.raw", 8, 4096, false, path,
                             sizeof path, NULL), -1);
    ck_assert_str_eq(v2k_error_message(),
                     "mem:test: injected read error at 2097162");
    v2k_image_close(img);
}
END_TEST

START_TEST(test_copy_verify_passes_and_catches_change)
{
    struct v2k_image *img = mixed_image();
    struct mem *m = img->state;
    char path[4200];

    ck_assert_msg(copy_to(img, "v.raw", 2, 64 << 10, true, path,
                          sizeof path, NULL) == 0, "%s",
                  v2k_error_message());
    /* A source that reads differently the second time: the verification
     * pass names the first differing offset. */
    m->flip_at = 4321;
    ck_assert_int_eq(copy_to(img, "v2.raw", 8, 4096, true, path,
                             sizeof path, NULL), -1);
    ck_assert_msg(strstr(v2k_error_message(), "verification failed") &&
                  strstr(v2k_error_message(), "at offset 4321"),
                  "%s", v2k_error_message());
    v2k_image_close(img);
}
END_TEST

START_TEST(test_compare_first_difference_and_tails)
{
    struct v2k_image *a = mixed_image(), *b = mixed_image();
    struct v2k_extent all = { 0, SIZE + 8192, V2K_EXTENT_DATA };
    struct v2k_image *longer = mem_image(SIZE + 8192, &all, 1);
    struct v2k_copy_opts o = { .workers = 8, .chunk_size = 4096 };
    uint64_t at = 0;

    ck_assert_int_eq(v2k_compare(a, b, &o, &at), 0);
    /* Two differences: the lower one is reported whatever the timing. */
    ((struct mem *)b->state)->data[3000000] ^= 1;
    ((struct mem *)b->state)->data[70005] ^= 1;
    ck_assert_int_eq(v2k_compare(a, b, &o, &at), 1);
    ck_assert_uint_eq(at, 70005);
    /* A longer image with a zero tail is identical; a non-zero byte in
     * the tail is a difference there. */
    memcpy(((struct mem *)longer->state)->data,
           ((struct mem *)a->state)->data, SIZE);
    ck_assert_int_eq(v2k_compare(a, longer, &o, &at), 0);
    ((struct mem *)longer->state)->data[SIZE + 5000] = 9;
    ck_assert_int_eq(v2k_compare(longer, a, &o, &at), 1);
    ck_assert_uint_eq(at, SIZE + 5000);
    v2k_image_close(a);
    v2k_image_close(b);
    v2k_image_close(longer);
}
END_TEST

START_TEST(test_scan_reports_lowest_error)
{
    struct v2k_image *img = mixed_image();
    struct mem *m = img->state;
    struct v2k_copy_opts o = { .workers = 8, .chunk_size = 4096 };
    struct v2k_scan_stats st;

    ck_assert_int_eq(v2k_scan(img, &o, &st), 0);
    ck_assert_uint_eq(st.data_bytes, 5000 + ((1ULL << 20) + 100 - 70001) +
                                     4096 + 1536);
    m->fail_at[0] = (3ULL << 20) + 7;
    m->fail_at[1] = 4999;
    m->nfail = 2;
    ck_assert_int_eq(v2k_scan(img, &o, &st), -1);
    ck_assert_str_eq(v2k_error_message(),
                     "mem:test: injected read error at 4999");
    v2k_image_close(img);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("copy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_copy_mixed_extents_exact);
    tcase_add_test(tc, test_copy_zero_granules_stay_holes);
    tcase_add_test(tc, test_copy_workers_1_and_8_agree);
    tcase_add_test(tc, test_copy_read_error_propagates);
    tcase_add_test(tc, test_copy_verify_passes_and_catches_change);
    tcase_add_test(tc, test_compare_first_difference_and_tails);
    tcase_add_test(tc, test_scan_reports_lowest_error);
    suite_add_tcase(s, tc);
    return s;
}
