/* v2kvm-img - disk image tool on v2kvm's readers and writers.
 *
 *   v2kvm-img info [-f FMT] [--output=json] FILE
 *   v2kvm-img map [-f FMT] [--output=json] FILE
 *   v2kvm-img convert [-f FMT] [-O raw|qcow2] [-c] [-o OPTS]
 *                     [-oa sparse|preallocated] [-m N] [-p] [--verify]
 *                     SRC DST
 *   v2kvm-img compare [-f FMT] [-F FMT] [-q] [-m N] [-p] A B
 *   v2kvm-img check [-f FMT] [--output=json] [-m N] FILE
 *
 * A thin main: the work is in formats/.  Exit codes (docs/v2kvm-img.pod):
 * 0 success, 1 error, 2 usage; compare: 0 identical, 1 different,
 * 2 error; check: 0 clean, 1 corrupt or unreadable, 2 usage.
 */
#include "copy.h"
#include "error.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "outfile.h"
#include "progress.h"
#include "util.h"
#include "version.h"
#include "writer.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: v2kvm-img info [-f FMT] [--output=human|json] FILE\n"
            "       v2kvm-img map [-f FMT] [--output=human|json] FILE\n"
            "       v2kvm-img convert [-f FMT] [-O raw|qcow2] [-c] "
            "[-o OPTIONS]\n"
            "                 [-oa sparse|preallocated] [-m N] [-p] "
            "[--verify] SRC DST\n"
            "       v2kvm-img compare [-f FMT] [-F FMT] [-q] [-m N] [-p] "
            "A B\n"
            "       v2kvm-img check [-f FMT] [--output=human|json] [-m N] "
            "FILE\n"
            "convert -o: cluster_size=SIZE,compression_type=zlib|zstd,"
            "preallocation=off|falloc|full\n"
            "formats:");
    for (const struct v2k_format *const *f = v2k_format_list(); *f; f++)
        fprintf(fp, " %s", (*f)->name);
    fprintf(fp, "\n");
}

/* One line on stderr; the caller returns the exit code. */
static int
die(int code)
{
    v2k_log_error(v2k_error_message());
    return code;
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A bad command line: one line on stderr; -1 (exit 2). */
static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "v2kvm-img: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see v2kvm-img --help)\n");
    return -1;
}

struct opts {
    const char *format;         /* -f */
    const char *format2;        /* -F (compare) */
    bool json;
    const char *out_format;     /* -O */
    unsigned workers;           /* -m */
    uint64_t chunk;             /* --chunk-size */
    bool progress;              /* -p */
    bool quiet;                 /* -q */
    bool verify;                /* --verify */
    bool compress;              /* -c */
    bool have_ctype;            /* -o compression_type= given */
    struct v2k_writer_opts w;
};

enum {
    OPT_OUTPUT = 256, OPT_OA, OPT_VERIFY, OPT_CHUNK, OPT_MACHINE,
};

/* -o key=value[,key=value...] for convert. */
static int
parse_o(char *arg, struct opts *o)
{
    char *next;

    for (char *kv = arg; kv; kv = next) {
        char *v;
        uint64_t n;

        next = strchr(kv, ',');
        if (next)
            *next++ = '\0';
        v = strchr(kv, '=');

        if (v == NULL)
            return usage_error("-o %s: expected key=value", kv);
        *v++ = '\0';
        if (strcmp(kv, "cluster_size") == 0) {
            if (v2k_parse_size(v, "cluster_size", &n) == -1)
                return usage_error("%s", v2k_error_message());
            if (!V2K_IS_POW2(n) || n < 512 || n > (2U << 20))
                return usage_error("cluster_size=%s: a qcow2 cluster size must be a power of two from 512 to 2097152", v);
            o->w.cluster_size = (uint32_t)n;
        } else if (strcmp(kv, "compression_type") == 0) {
            if (strcmp(v, "zlib") == 0)
                o->w.compress = V2K_COMPRESS_ZLIB;
            else if (strcmp(v, "zstd") == 0)
                o->w.compress = V2K_COMPRESS_ZSTD;
            else
                return usage_error("compression_type=%s: use zlib or zstd",
                                   v);
            o->have_ctype = true;
        } else if (strcmp(kv, "preallocation") == 0) {
            if (strcmp(v, "off") == 0)
                o->w.preallocate = false;
            else if (strcmp(v, "falloc") == 0 || strcmp(v, "full") == 0)
                o->w.preallocate = true;
            else
                return usage_error("preallocation=%s: use off, falloc or full", v);
        } else {
            return usage_error("-o %s: unknown option (cluster_size, compression_type, preallocation)", kv);
        }
    }
    return 0;
}

static int
parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "oa", required_argument, NULL, OPT_OA },
        { "verify", no_argument, NULL, OPT_VERIFY },
        { "chunk-size", required_argument, NULL, OPT_CHUNK },
        { "machine-readable", no_argument, NULL, OPT_MACHINE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    uint64_t n;

    /* virt-v2v spells the allocation option "-oa": make it a long one
     * before getopt reads it as -o with the value "a". */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-oa") == 0)
            argv[i] = (char *)"--oa";
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:f:F:O:o:m:pqch", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f': o->format = optarg; break;
        case 'F': o->format2 = optarg; break;
        case 'O':
            if (!v2k_writer_format_known(optarg))
                return usage_error("-O %s: output format must be %s", optarg, v2k_writer_format_names());
            o->out_format = optarg;
            break;
        case 'o':
            if (parse_o(optarg, o) == -1)
                return -1;
            break;
        case 'c': o->compress = true; break;
        case 'p': o->progress = true; break;
        case 'q': o->quiet = true; break;
        case 'm':
            if (v2k_parse_u64(optarg, "-m", &n) == -1 || n == 0 ||
                n > V2K_COPY_MAX_WORKERS)
                return usage_error("-m %s: takes 1 to 64 workers", optarg);
            o->workers = (unsigned)n;
            break;
        case OPT_CHUNK:
            if (v2k_parse_size(optarg, "--chunk-size", &n) == -1 ||
                n < 4096 || n > (256U << 20))
                return usage_error("--chunk-size %s: takes 4K to 256M",
                                   optarg);
            o->chunk = n;
            break;
        case OPT_OA:
            if (strcmp(optarg, "preallocated") == 0)
                o->w.preallocate = true;
            else if (strcmp(optarg, "sparse") == 0)
                o->w.preallocate = false;
            else
                return usage_error("-oa %s: use sparse or preallocated",
                                   optarg);
            break;
        case OPT_VERIFY: o->verify = true; break;
        case OPT_MACHINE:
            v2k_log_init("v2kvm-img", getenv("V2K_DEBUG") ? 1 : 0, false,
                         true, false);
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "json") == 0)
                o->json = true;
            else if (strcmp(optarg, "human") != 0)
                return usage_error("--output=%s: use human or json",
                                   optarg);
            break;
        case 'h': usage(stdout); exit(0);
        case ':':
            if (optopt)
                return usage_error("-%c needs an argument", optopt);
            return usage_error("%s needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return usage_error("unknown option '-%c'", optopt);
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    return optind;
}

/* DATA bytes of img (the whole chain: formats answer for it). */
static int
data_bytes(struct v2k_image *img, uint64_t *out)
{
    struct v2k_extent_list map = { 0 };
    uint64_t off = 0, n = 0;

    while (off < img->size) {
        v2k_extent_list_clear(&map);
        if (v2k_image_extents(img, off, img->size - off, &map) == -1) {
            v2k_extent_list_free(&map);
            return -1;
        }
        for (size_t i = 0; i < map.n; i++)
            if (map.v[i].type == V2K_EXTENT_DATA)
                n += map.v[i].length;
        off = map.v[map.n - 1].offset + map.v[map.n - 1].length;
    }
    v2k_extent_list_free(&map);
    *out = n;
    return 0;
}

static struct v2k_image *
backing_of(struct v2k_image *img)
{
    return img->fmt->backing ? img->fmt->backing(img) : NULL;
}

static int
cmd_info(struct opts *o, const char *path)
{
    struct v2k_image *img = v2k_image_open_uri(path, o->format, NULL);
    struct v2k_image *b;
    uint64_t allocated;
    char h[32], h2[16384];

    if (img == NULL)
        return die(1);
    if (data_bytes(img, &allocated) == -1) {
        v2k_image_close(img);
        return die(1);
    }
    b = backing_of(img);
    if (o->json) {
        struct v2k_json *j = v2k_json_new(stdout, true);
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "filename", path);
        v2k_json_kv_string(j, "format", img->fmt->name);
        v2k_json_kv_uint(j, "virtual-size", img->size);
        v2k_json_kv_uint(j, "data-bytes", allocated);
        if (b) {
            v2k_json_kv_string(j, "backing-filename", v2k_image_name(b));
            v2k_json_kv_string(j, "backing-filename-format", b->fmt->name);
            v2k_json_key(j, "backing-chain");
            v2k_json_begin_array(j);
            for (; b; b = backing_of(b)) {
                v2k_json_begin_object(j);
                v2k_json_kv_string(j, "filename", v2k_image_name(b));
                v2k_json_kv_string(j, "format", b->fmt->name);
                v2k_json_kv_uint(j, "virtual-size", b->size);
                v2k_json_end_object(j);
            }
            v2k_json_end_array(j);
        }
        v2k_json_end_object(j);
        v2k_json_free(j);
    } else {
        printf("image: %s\nformat: %s\n", path, img->fmt->name);
        printf("virtual size: %s (%" PRIu64 " bytes)\n",
               v2k_human_size(img->size, h, sizeof h), img->size);
        printf("data: %s (%" PRIu64 " bytes)\n",
               v2k_human_size(allocated, h, sizeof h), allocated);
        /* Backing names come from the image: escaped as messages. */
        for (unsigned d = 1; b; b = backing_of(b), d++)
            printf("backing file %u: %s (format: %s)\n", d,
                   v2k_log_escape(v2k_image_name(b), h2, sizeof h2),
                   b->fmt->name);
    }
    v2k_image_close(img);
    return 0;
}

static int
cmd_map(struct opts *o, const char *path)
{
    struct v2k_image *img = v2k_image_open_uri(path, o->format, NULL);
    struct v2k_extent_list map = { 0 };
    struct v2k_json *j = NULL;
    uint64_t off = 0;

    if (img == NULL)
        return die(1);
    if (o->json) {
        j = v2k_json_new(stdout, false);
        v2k_json_begin_array(j);
    }
    while (off < img->size) {
        v2k_extent_list_clear(&map);
        if (v2k_image_extents(img, off, img->size - off, &map) == -1) {
            if (j) {
                v2k_json_end_array(j);
                v2k_json_free(j);
            }
            v2k_extent_list_free(&map);
            v2k_image_close(img);
            return die(1);
        }
        for (size_t i = 0; i < map.n; i++) {
            const struct v2k_extent *e = &map.v[i];
            if (j) {
                v2k_json_begin_object(j);
                v2k_json_kv_uint(j, "start", e->offset);
                v2k_json_kv_uint(j, "length", e->length);
                v2k_json_kv_bool(j, "data", e->type == V2K_EXTENT_DATA);
                v2k_json_kv_bool(j, "zero", e->type != V2K_EXTENT_DATA);
                v2k_json_kv_string(j, "type", v2k_extent_type_name(e->type));
                v2k_json_end_object(j);
            } else {
                printf("%#18" PRIx64 " %#18" PRIx64 " %s\n", e->offset,
                       e->length, v2k_extent_type_name(e->type));
            }
        }
        off = map.v[map.n - 1].offset + map.v[map.n - 1].length;
    }
    if (j) {
        v2k_json_end_array(j);
        v2k_json_free(j);
    }
    v2k_extent_list_free(&map);
    v2k_image_close(img);
    return 0;
}

/* Option combinations convert cannot honour: usage errors. */
static int
check_convert_opts(struct opts *o)
{
    const char *of = o->out_format ? o->out_format : "raw";
    bool qcow2 = strcmp(of, "qcow2") == 0;

    if (o->compress && !qcow2)
        return usage_error("-c needs -O qcow2 (output format is %s)", of);
    if (o->w.cluster_size && !qcow2)
        return usage_error("-o cluster_size needs -O qcow2 (output format is %s)", of);
    if (o->have_ctype && !o->compress)
        return usage_error("%s", "-o compression_type needs -c");
    if (o->compress && o->w.preallocate)
        return usage_error("%s", "-c cannot be combined with a preallocated output");
    if (o->compress && !o->have_ctype)
        o->w.compress = V2K_COMPRESS_ZLIB;     /* qemu's default */
    if (!o->compress)
        o->w.compress = V2K_COMPRESS_NONE;
    return 0;
}

static int
cmd_convert(struct opts *o, const char *src, const char *dst)
{
    struct v2k_image *img = v2k_image_open_uri(src, o->format, NULL);
    struct v2k_writer *w = NULL;
    struct v2k_progress *p = NULL;
    struct v2k_copy_opts copts = {
        .workers = o->workers, .chunk_size = o->chunk, .verify = o->verify,
    };
    char *tmp = NULL;
    int r = 1;

    if (img == NULL)
        return die(1);
    /* Opening img noted every file of its chain (outfile.h): refuse to
     * replace any of them before a byte is written. */
    if (v2k_outfile_check_not_source(dst) == -1)
        goto out;
    /* The writer creates tmp with O_EXCL: an existing file or symlink of
     * that name is not ours, so fail without touching it; register tmp
     * for removal only once this run has created it. */
    tmp = v2k_asprintf("%s.v2k-partial", dst);
    if (tmp == NULL)
        goto out;
    w = v2k_writer_create(tmp, o->out_format ? o->out_format : "raw",
                          img->size, &o->w);
    if (w == NULL || v2k_outfile_register(tmp) == -1)
        goto out;
    if (o->progress)
        p = v2k_progress_new("Converting", img->size);
    copts.progress = p;
    if (v2k_copy(img, w, &copts, NULL) == -1 || v2k_writer_finish(w) == -1)
        goto out;
    if (v2k_outfile_commit(tmp, dst, true) == -1)
        goto out;
    r = 0;
out:
    v2k_progress_finish(p);
    if (r)
        die(1);
    v2k_writer_free(w);
    v2k_outfile_remove_all();
    v2k_image_close(img);
    free(tmp);
    return r;
}

static int
cmd_compare(struct opts *o, const char *a_path, const char *b_path)
{
    struct v2k_image *a = NULL, *b = NULL;
    struct v2k_progress *p = NULL;
    struct v2k_copy_opts copts = {
        .workers = o->workers, .chunk_size = o->chunk,
    };
    uint64_t at = 0;
    int r;

    a = v2k_image_open_uri(a_path, o->format, NULL);
    if (a == NULL)
        return die(2);
    b = v2k_image_open_uri(b_path, o->format2, NULL);
    if (b == NULL) {
        v2k_image_close(a);
        return die(2);
    }
    if (o->progress)
        p = v2k_progress_new("Comparing",
                             a->size > b->size ? a->size : b->size);
    copts.progress = p;
    r = v2k_compare(a, b, &copts, &at);
    v2k_progress_finish(p);
    if (r == 0 && !o->quiet)
        printf("Images are identical.\n");
    else if (r == 1 && !o->quiet)
        printf("Content mismatch at offset %" PRIu64 "!\n", at);
    else if (r == -1)
        die(2);
    v2k_image_close(a);
    v2k_image_close(b);
    return r == -1 ? 2 : r;
}

static void
check_json(const char *path, const char *fmt, const char *error,
           const struct v2k_scan_stats *st)
{
    struct v2k_json *j = v2k_json_new(stdout, true);

    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "filename", path);
    v2k_json_kv_string(j, "format", fmt);
    v2k_json_kv_uint(j, "check-errors", error ? 1 : 0);
    if (error)
        v2k_json_kv_string(j, "error", error);
    if (st) {
        v2k_json_kv_uint(j, "extents", st->extents);
        v2k_json_kv_uint(j, "data-bytes", st->data_bytes);
    }
    v2k_json_end_object(j);
    v2k_json_free(j);
}

static int
cmd_check(struct opts *o, const char *path)
{
    struct v2k_image *img = v2k_image_open_uri(path, o->format, NULL);
    struct v2k_copy_opts copts = {
        .workers = o->workers, .chunk_size = o->chunk,
    };
    struct v2k_progress *p = NULL;
    struct v2k_scan_stats st = { 0 };
    char h[32];
    int r;

    if (img == NULL) {
        if (o->json)
            check_json(path, o->format ? o->format : "", v2k_error_message(),
                       NULL);
        return die(1);
    }
    if (o->progress)
        p = v2k_progress_new("Checking", img->size);
    copts.progress = p;
    r = v2k_scan(img, &copts, &st);
    v2k_progress_finish(p);
    if (o->json)
        check_json(path, img->fmt->name, r ? v2k_error_message() : NULL,
                   &st);
    else if (r == 0)
        printf("No errors were found on the image.\n"
               "%" PRIu64 " extents, %s of data read\n", st.extents,
               v2k_human_size(st.data_bytes, h, sizeof h));
    v2k_image_close(img);
    return r == 0 ? 0 : die(1);
}

int
main(int argc, char **argv)
{
    struct opts o = { 0 };
    const char *cmd;
    char **args;
    int i, n;

    v2k_log_init("v2kvm-img", getenv("V2K_DEBUG") ? 1 : 0, false, false,
                 false);
    v2k_signals_install();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("v2kvm-img %s\n", V2K_VERSION);
        return 0;
    }
    if (strcmp(cmd, "info") != 0 && strcmp(cmd, "map") != 0 &&
        strcmp(cmd, "convert") != 0 && strcmp(cmd, "compare") != 0 &&
        strcmp(cmd, "check") != 0) {
        usage_error("unknown command '%s'", cmd);
        return EXIT_USAGE;
    }
    i = parse(argc - 1, argv + 1, &o);
    if (i < 0)
        return EXIT_USAGE;
    args = argv + 1 + i;
    n = argc - 1 - i;
    if (strcmp(cmd, "convert") == 0) {
        if (n != 2) {
            usage_error("%s needs SRC and DST", cmd);
            return EXIT_USAGE;
        }
        if (check_convert_opts(&o) == -1)
            return EXIT_USAGE;
        return cmd_convert(&o, args[0], args[1]);
    }
    if (strcmp(cmd, "compare") == 0) {
        if (n != 2) {
            usage_error("%s needs two images", cmd);
            return EXIT_USAGE;
        }
        return cmd_compare(&o, args[0], args[1]);
    }
    if (n != 1) {
        usage_error("%s needs one image", cmd);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "info") == 0)
        return cmd_info(&o, args[0]);
    if (strcmp(cmd, "map") == 0)
        return cmd_map(&o, args[0]);
    return cmd_check(&o, args[0]);
}
