/* nbdkit-v2kvm-plugin - serve any disk image v2kvm can read over NBD.
 *
 *   nbdkit v2kvm file=PATH|URI [format=FMT] [parent=NAME]...
 *
 * A thin front end on formats/ (as v2kvm-img is): the image is opened
 * once, when nbdkit is ready to serve, and shared by every connection,
 * read-only.  Our pread and extents are thread-safe (format.h), so the
 * thread model is PARALLEL.  Man page: nbdkit-v2kvm-plugin.pod.
 */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "error.h"
#include "format.h"
#include "version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static char *file;                  /* absolute path or URI, owned */
static const char *format;          /* NULL = probe; points into argv */
static const char **parents;        /* NULL-ended parent=, owned array of
                                       strings in argv */
static size_t nparents;
static struct v2k_image *image;     /* opened by get_ready */

/* Hand our one message to nbdkit; the client sees EIO. */
static int
fail(void)
{
    nbdkit_error("%s", v2k_error_message());
    nbdkit_set_error(EIO);
    return -1;
}

static void
v2kvm_unload(void)
{
    v2k_image_close(image);
    free(file);
    free(parents);
}

static int
v2kvm_config(const char *key, const char *value)
{
    if (strcmp(key, "file") == 0) {
        free(file);
        /* nbdkit may chdir("/") when it daemonizes; a URI (sftp://,
         * https://) stays as it is. */
        if (v2k_uri_is_remote(value) || strncmp(value, "file:", 5) == 0)
            file = strdup(value);
        else
            file = nbdkit_absolute_path(value);
        if (file == NULL)
            nbdkit_error("strdup: %m");
        return file ? 0 : -1;
    }
    if (strcmp(key, "parent") == 0) {
        const char **v = realloc(parents, (nparents + 2) * sizeof *v);
        if (v == NULL) {
            nbdkit_error("realloc: %m");
            return -1;
        }
        parents = v;
        parents[nparents++] = value;
        parents[nparents] = NULL;
        return 0;
    }
    if (strcmp(key, "format") == 0) {
        if (v2k_format_lookup(value) == NULL) {
            char list[256] = "";
            for (const struct v2k_format *const *f = v2k_format_list();
                 *f; f++) {
                size_t n = strlen(list);
                snprintf(list + n, sizeof list - n, "%s%s",
                         n ? ", " : "", (*f)->name);
            }
            nbdkit_error("format=%s: unknown format (this build reads: %s)",
                         value, list);
            return -1;
        }
        format = value;
        return 0;
    }
    nbdkit_error("unknown parameter '%s' (use file=PATH [format=FMT] [parent=NAME]...)", key);
    return -1;
}

static int
v2kvm_config_complete(void)
{
    if (file == NULL) {
        nbdkit_error("the file parameter is required (file=PATH)");
        return -1;
    }
    return 0;
}

#define v2kvm_config_help \
    "file=<PATH>     (required) The disk image to serve.\n" \
    "format=<FMT>    Its format (default: probe by magic).\n" \
    "parent=<NAME>   A possible parent of a differencing image (repeat)."

/* Open once, before serving: a bad image fails nbdkit at startup with
 * our message instead of failing every connection. */
static int
v2kvm_get_ready(void)
{
    /* As v2kvm opens a source disk (conversion.c): credentials from the
     * environment, absolute backing names for local images only (the
     * transport's property). */
    struct v2k_open_opts oo = {
        .parent_candidates = parents,
    };
    struct v2k_transport *t = v2k_transport_open_uri(file, NULL);

    image = t ? v2k_image_open_transport(t, format, &oo) : NULL;
    return image ? 0 : fail();
}

static void
v2kvm_dump_plugin(void)
{
    printf("v2kvm_formats=");
    for (const struct v2k_format *const *f = v2k_format_list(); *f; f++)
        printf("%s%s", f == v2k_format_list() ? "" : ",", (*f)->name);
    printf("\n");
}

static void *
v2kvm_open(int readonly)
{
    (void)readonly;
    return image;               /* shared; nothing per connection */
}

static void
v2kvm_close(void *handle)
{
    (void)handle;
}

static int64_t
v2kvm_get_size(void *handle)
{
    struct v2k_image *img = handle;
    return (int64_t)img->size;
}

static int
v2kvm_can_write(void *handle)
{
    (void)handle;
    return 0;                   /* sources are never written */
}

static int
v2kvm_can_multi_conn(void *handle)
{
    (void)handle;
    return 1;                   /* read-only: every connection agrees */
}

static int
v2kvm_pread(void *handle, void *buf, uint32_t count, uint64_t offset,
            uint32_t flags)
{
    (void)flags;
    if (v2k_image_pread(handle, buf, count, offset) == -1)
        return fail();
    return 0;
}

/* DATA must be read; ZERO and UNALLOCATED both read as zero and are not
 * stored as data in the chain (format.h), which NBD says as HOLE|ZERO:
 * clients such as qemu-img and nbdcopy then skip them. */
static uint32_t
nbd_type(enum v2k_extent_type type)
{
    switch (type) {
    case V2K_EXTENT_DATA:
        return 0;
    case V2K_EXTENT_ZERO:
    case V2K_EXTENT_UNALLOCATED:
        break;
    }
    return NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO;
}

static int
v2kvm_extents(void *handle, uint32_t count, uint64_t offset, uint32_t flags,
              struct nbdkit_extents *extents)
{
    struct v2k_extent_list map = { 0 };
    int r = 0;

    if (v2k_image_extents(handle, offset, count, &map) == -1) {
        v2k_extent_list_free(&map);
        return fail();
    }
    for (size_t i = 0; i < map.n; i++) {
        const struct v2k_extent *e = &map.v[i];
        if (nbdkit_add_extent(extents, e->offset, e->length,
                              nbd_type(e->type)) == -1) {
            r = -1;             /* nbdkit has set the error */
            break;
        }
        if (flags & NBDKIT_FLAG_REQ_ONE)
            break;
    }
    v2k_extent_list_free(&map);
    return r;
}

static struct nbdkit_plugin plugin = {
    .name = "v2kvm",
    .longname = "v2kvm disk image reader",
    .version = V2K_VERSION,
    .description = "serve raw, qcow2, vmdk, vdi, vhd and vhdx images "
                   "read-only with v2kvm's readers",
    .unload = v2kvm_unload,
    .config = v2kvm_config,
    .config_complete = v2kvm_config_complete,
    .config_help = v2kvm_config_help,
    .magic_config_key = "file",
    .get_ready = v2kvm_get_ready,
    .dump_plugin = v2kvm_dump_plugin,
    .open = v2kvm_open,
    .close = v2kvm_close,
    .get_size = v2kvm_get_size,
    .can_write = v2kvm_can_write,
    .can_multi_conn = v2kvm_can_multi_conn,
    .pread = v2kvm_pread,
    .extents = v2kvm_extents,
    .errno_is_preserved = 0,
};

NBDKIT_REGISTER_PLUGIN(plugin)
