/* v2kvm-img - disk image tool on v2kvm's readers and writers.
 *
 *   v2kvm-img info [-f FMT] [--output=json] FILE
 *   v2kvm-img map [-f FMT] [--output=json] FILE
 *   v2kvm-img convert [-f FMT] [-O raw|qcow2] [-m N] [-p] SRC DST
 *
 * A thin main: the work is in formats/.  Exit codes: 0 success, 1 error,
 * 2 usage.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: v2kvm-img info [-f FMT] [--output=human|json] FILE\n"
            "       v2kvm-img map [-f FMT] [--output=human|json] FILE\n"
            "       v2kvm-img convert [-f FMT] [-O raw|qcow2] [-m N] [-p] "
            "SRC DST\n"
            "formats:");
    for (const struct v2k_format *const *f = v2k_format_list(); *f; f++)
        fprintf(fp, " %s", (*f)->name);
    fprintf(fp, "\n");
}

static int
die(void)
{
    v2k_log_error(v2k_error_message());
    return 1;
}

struct common_opts {
    const char *format;
    bool json;
    const char *out_format;
    unsigned workers;
    bool progress;
};

static int
parse(int argc, char **argv, struct common_opts *o)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    uint64_t n;

    optind = 1;
    while ((c = getopt_long(argc, argv, "f:O:m:ph", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->format = optarg; break;
        case 'O': o->out_format = optarg; break;
        case 'p': o->progress = true; break;
        case 'm':
            if (v2k_parse_u64(optarg, "-m", &n) == -1 || n == 0 || n > 64) {
                fprintf(stderr, "v2kvm-img: -m takes 1 to 64 workers\n");
                return -1;
            }
            o->workers = (unsigned)n;
            break;
        case 'o':
            if (strcmp(optarg, "json") == 0)
                o->json = true;
            else if (strcmp(optarg, "human") != 0) {
                fprintf(stderr, "v2kvm-img: --output is human or json\n");
                return -1;
            }
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    return optind;
}

static int
cmd_info(struct common_opts *o, const char *path)
{
    struct v2k_image *img = v2k_image_open(path, o->format, NULL);
    struct v2k_extent_list map = { 0 };
    uint64_t allocated = 0, off = 0;

    if (img == NULL)
        return die();
    while (off < img->size) {
        v2k_extent_list_clear(&map);
        if (v2k_image_extents(img, off, img->size - off, &map) == -1) {
            v2k_extent_list_free(&map);
            v2k_image_close(img);
            return die();
        }
        for (size_t i = 0; i < map.n; i++)
            if (map.v[i].type == V2K_EXTENT_DATA)
                allocated += map.v[i].length;
        off = map.v[map.n - 1].offset + map.v[map.n - 1].length;
    }
    v2k_extent_list_free(&map);
    if (o->json) {
        struct v2k_json *j = v2k_json_new(stdout, true);
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "filename", path);
        v2k_json_kv_string(j, "format", img->fmt->name);
        v2k_json_kv_uint(j, "virtual-size", img->size);
        v2k_json_kv_uint(j, "data-bytes", allocated);
        v2k_json_end_object(j);
        v2k_json_free(j);
    } else {
        char h[32];
        printf("image: %s\nformat: %s\n", path, img->fmt->name);
        printf("virtual size: %s (%" PRIu64 " bytes)\n",
               v2k_human_size(img->size, h, sizeof h), img->size);
        printf("data: %s (%" PRIu64 " bytes)\n",
               v2k_human_size(allocated, h, sizeof h), allocated);
    }
    v2k_image_close(img);
    return 0;
}

static int
cmd_map(struct common_opts *o, const char *path)
{
    struct v2k_image *img = v2k_image_open(path, o->format, NULL);
    struct v2k_extent_list map = { 0 };
    struct v2k_json *j = NULL;
    uint64_t off = 0;

    if (img == NULL)
        return die();
    if (o->json) {
        j = v2k_json_new(stdout, false);
        v2k_json_begin_array(j);
    }
    while (off < img->size) {
        v2k_extent_list_clear(&map);
        if (v2k_image_extents(img, off, img->size - off, &map) == -1) {
            v2k_extent_list_free(&map);
            v2k_image_close(img);
            return die();
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

static int
cmd_convert(struct common_opts *o, const char *src, const char *dst)
{
    struct v2k_image *img = v2k_image_open(src, o->format, NULL);
    struct v2k_writer *w = NULL;
    struct v2k_progress *p = NULL;
    struct v2k_copy_opts copts = { .workers = o->workers };
    char *tmp = NULL;
    int r = 1;

    if (img == NULL)
        return die();
    tmp = v2k_asprintf("%s.v2k-partial", dst);
    if (tmp == NULL || v2k_outfile_register(tmp) == -1)
        goto out;
    w = v2k_writer_create(tmp, o->out_format ? o->out_format : "raw",
                          img->size, NULL);
    if (w == NULL)
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
        die();
    v2k_outfile_remove_all();
    v2k_writer_free(w);
    v2k_image_close(img);
    free(tmp);
    return r;
}

int
main(int argc, char **argv)
{
    struct common_opts o = { 0 };
    const char *cmd;
    int i;

    v2k_log_init("v2kvm-img", getenv("V2K_DEBUG") ? 1 : 0, false, false,
                 false);
    v2k_signals_install();
    if (argc < 2) {
        usage(stderr);
        return 2;
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
    i = parse(argc - 1, argv + 1, &o);
    if (i < 0) {
        usage(stderr);
        return 2;
    }
    i += 1;                     /* back to argv indexing */
    if ((strcmp(cmd, "info") == 0 || strcmp(cmd, "map") == 0) &&
        argc - i == 1)
        return cmd[0] == 'i' ? cmd_info(&o, argv[i]) : cmd_map(&o, argv[i]);
    if (strcmp(cmd, "convert") == 0 && argc - i == 2)
        return cmd_convert(&o, argv[i], argv[i + 1]);
    usage(stderr);
    return 2;
}
