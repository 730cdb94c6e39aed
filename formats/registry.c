/* registry.c - the table of formats, probing, and the checked wrappers
 * every caller goes through (format.h). */
#include "format.h"
#include "error.h"
#include "pathpolicy.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

extern const struct v2k_format v2k_format_raw;
extern const struct v2k_format v2k_format_qcow2;
extern const struct v2k_format v2k_format_vdi;
extern const struct v2k_format v2k_format_vhd;
extern const struct v2k_format v2k_format_vhdx;
extern const struct v2k_format v2k_format_vmdk;

/* Add a format: one line here, one file beside this one. */
static const struct v2k_format *const formats[] = {
    &v2k_format_raw,
    &v2k_format_qcow2,
    &v2k_format_vdi,
    &v2k_format_vhd,
    &v2k_format_vhdx,
    &v2k_format_vmdk,
    NULL,
};

/* Formats v2kvm does not read but can recognise by magic: better a
 * clear refusal than copying a container's bytes as if they were a raw
 * disk.  Magics from qemu's block drivers (qed.h, parallels.c, bochs.c,
 * cloop.c, dmg.c) and the LUKS on-disk format. */
static const struct {
    const char *name;
    size_t offset;
    const char *magic;
    size_t len;
} unsupported[] = {
    { "QED", 0, "QED\0", 4 },
    { "Parallels", 0, "WithoutFreeSpace", 16 },
    { "Parallels", 0, "WithouFreSpacExt", 16 },
    { "Bochs", 0, "Bochs Virtual HD Image", 22 },
    { "cloop", 0, "#!/bin/sh\n#V2.0 Format", 23 },
    { "LUKS-encrypted", 0, "LUKS\xba\xbe", 6 },
};

const struct v2k_format *const *
v2k_format_list(void)
{
    return formats;
}

const struct v2k_format *
v2k_format_lookup(const char *name)
{
    for (size_t i = 0; formats[i]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

#define PROBE_BYTES 4096

const struct v2k_format *
v2k_format_probe(struct v2k_transport *t)
{
    unsigned char buf[PROBE_BYTES];
    size_t len = t->size < PROBE_BYTES ? (size_t)t->size : PROBE_BYTES;
    const struct v2k_format *best = NULL;
    int best_score = 0;

    if (v2k_transport_pread(t, buf, len, 0) == -1)
        return NULL;
    for (size_t i = 0; formats[i]; i++) {
        int score = formats[i]->probe(buf, len, t->size);
        if (score > best_score) {
            best = formats[i];
            best_score = score;
        }
    }
    if (best_score <= 1 && t->size >= 2 * V2K_PROBE_TAIL) {
        unsigned char tail[V2K_PROBE_TAIL];

        if (v2k_transport_pread(t, tail, sizeof tail,
                                t->size - sizeof tail) == -1)
            return NULL;
        for (size_t i = 0; formats[i]; i++) {
            int score = formats[i]->probe_tail
                            ? formats[i]->probe_tail(tail, sizeof tail,
                                                     t->size)
                            : 0;
            if (score > best_score) {
                best = formats[i];
                best_score = score;
            }
        }
    }
    if (best_score <= 1) {
        for (size_t i = 0; i < V2K_ARRAY_SIZE(unsupported); i++) {
            size_t o = unsupported[i].offset, l = unsupported[i].len;
            if (o + l <= len && memcmp(buf + o, unsupported[i].magic, l) == 0) {
                v2k_error("%s: this is a %s image, which v2kvm cannot read (convert it with qemu-img first, or force the raw format if it really is a raw disk)", t->name,
                          unsupported[i].name);
                return NULL;
            }
        }
    }
    if (best == NULL)
        v2k_error("%s: unknown disk image format", t->name);
    return best;
}

struct v2k_image *
v2k_image_open_transport(struct v2k_transport *t, const char *format,
                         const struct v2k_open_opts *opts)
{
    static const struct v2k_open_opts defaults = { 0 };
    const struct v2k_format *fmt;
    struct v2k_image *img;

    if (opts == NULL)
        opts = &defaults;
    if (opts->depth > V2K_MAX_CHAIN_DEPTH) {
        v2k_error("%s: backing chain deeper than %d images (a loop?)",
                  t->name, V2K_MAX_CHAIN_DEPTH);
        v2k_transport_close(t);
        return NULL;
    }
    /* The top of a confined chain (a disk a VM description names); the
     * rest is checked where it is named (v2k_image_open_sibling). */
    if (opts->depth == 0 && strcmp(t->ops->kind, "file") == 0 &&
        v2k_pathpolicy_check(opts->confine_dir, t->name, t->name,
                             NULL) == -1) {
        v2k_transport_close(t);
        return NULL;
    }
    if (format) {
        fmt = v2k_format_lookup(format);
        if (fmt == NULL) {
            v2k_error("%s: unknown format '%s'", t->name, format);
            v2k_transport_close(t);
            return NULL;
        }
    } else {
        fmt = v2k_format_probe(t);
        if (fmt == NULL) {
            v2k_transport_close(t);
            return NULL;
        }
    }
    img = v2k_calloc(1, sizeof *img);
    if (img == NULL) {
        v2k_transport_close(t);
        return NULL;
    }
    img->fmt = fmt;
    img->transport = t;
    img->state = v2k_calloc(1, fmt->instance_size ? fmt->instance_size : 1);
    if (img->state == NULL || fmt->open(img, opts) == -1) {
        v2k_transport_close(t);
        free(img->state);
        free(img);
        return NULL;
    }
    return img;
}

struct v2k_image *
v2k_image_open(const char *path, const char *format,
               const struct v2k_open_opts *opts)
{
    struct v2k_transport *t = v2k_transport_file_open(path);
    if (t == NULL)
        return NULL;
    return v2k_image_open_transport(t, format, opts);
}

struct v2k_image *
v2k_image_open_backing(struct v2k_image *img, const char *name,
                       const char *format, const struct v2k_open_opts *opts)
{
    struct v2k_open_opts sub = { 0 };
    struct v2k_transport *t;

    if (opts)
        sub = *opts;
    sub.depth++;
    if (sub.depth > V2K_MAX_CHAIN_DEPTH) {
        v2k_error("%s: backing chain deeper than %d images (a loop?)",
                  v2k_image_name(img), V2K_MAX_CHAIN_DEPTH);
        return NULL;
    }
    if (!v2k_transport_may_follow(img->transport, name)) {
        v2k_error("%s: refusing to follow absolute backing name '%s'",
                  v2k_image_name(img), name);
        return NULL;
    }
    t = v2k_image_open_sibling(img, name, &sub);
    if (t == NULL) {
        v2k_error_prepend("%s: backing file: ", v2k_image_name(img));
        return NULL;
    }
    return v2k_image_open_transport(t, format, &sub);
}

struct v2k_transport *
v2k_image_open_sibling(struct v2k_image *img, const char *name,
                       const struct v2k_open_opts *opts)
{
    struct v2k_transport *t = v2k_transport_open_sibling(img->transport,
                                                         name);

    if (t && opts && strcmp(t->ops->kind, "file") == 0 &&
        v2k_pathpolicy_check(opts->confine_dir, t->name, v2k_image_name(img),
                             name) == -1) {
        v2k_transport_close(t);
        return NULL;
    }
    return t;
}

int
v2k_image_pread(struct v2k_image *img, void *buf, size_t count,
                uint64_t offset)
{
    if (offset > img->size || count > img->size - offset) {
        v2k_error("%s: read of %zu bytes at offset %llu is past the end of the virtual disk (%llu bytes)", v2k_image_name(img), count,
                  (unsigned long long)offset,
                  (unsigned long long)img->size);
        return -1;
    }
    if (count == 0)
        return 0;
    return img->fmt->pread(img, buf, count, offset);
}

int
v2k_image_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
                  struct v2k_extent_list *out)
{
    size_t first = out->n, i;
    uint64_t prev_len = first ? out->v[first - 1].length : 0;
    uint64_t pos = offset;

    if (offset > img->size || length > img->size - offset) {
        v2k_error("%s: extents request past the end of the virtual disk",
                  v2k_image_name(img));
        return -1;
    }
    if (length == 0)
        return 0;
    if (img->fmt->extents == NULL)
        return v2k_extent_list_add(out, offset, length, V2K_EXTENT_DATA);
    if (img->fmt->extents(img, offset, length, out) == -1)
        return -1;
    /* Hold the format to its contract: a bug here would silently drop
     * or duplicate guest data in the copy.  The first new extent may
     * have merged into the caller's last one (v2k_extent_list_add joins
     * contiguous extents of one type): then that one grew, and it must
     * have ended exactly at offset. */
    i = first;
    if (first > 0 && out->v[first - 1].length != prev_len) {
        const struct v2k_extent *m = &out->v[first - 1];
        if (m->offset + prev_len != offset)
            goto bad;
        pos = m->offset + m->length;
    }
    for (; i < out->n; i++) {
        if (out->v[i].offset != pos || out->v[i].length == 0)
            goto bad;
        pos += out->v[i].length;
    }
    if (pos == offset || pos > offset + length)
        goto bad;
    return 0;

bad:
    v2k_error("%s: %s reader returned a bad extent list at %llu",
              v2k_image_name(img), img->fmt->name, (unsigned long long)pos);
    return -1;
}

int
v2k_image_pread_backing(struct v2k_image *backing, void *buf, size_t count,
                        uint64_t offset)
{
    size_t n = 0;

    if (backing && offset < backing->size) {
        uint64_t left = backing->size - offset;
        n = left < count ? (size_t)left : count;
        if (v2k_image_pread(backing, buf, n, offset) == -1)
            return -1;
    }
    memset((char *)buf + n, 0, count - n);
    return 0;
}

int
v2k_image_extents_backing(struct v2k_image *backing, uint64_t offset,
                          uint64_t length, struct v2k_extent_list *out)
{
    uint64_t end = offset + length;
    uint64_t stop = backing && backing->size < end ? backing->size : end;

    if (backing == NULL)
        stop = offset;
    /* The backing may answer in pieces (it may stop early). */
    while (offset < stop) {
        if (v2k_image_extents(backing, offset, stop - offset, out) == -1)
            return -1;
        offset = out->v[out->n - 1].offset + out->v[out->n - 1].length;
    }
    if (offset < end)
        return v2k_extent_list_add(out, offset, end - offset,
                                   V2K_EXTENT_UNALLOCATED);
    return 0;
}

void
v2k_image_close(struct v2k_image *img)
{
    if (img == NULL)
        return;
    img->fmt->close(img);
    v2k_transport_close(img->transport);
    free(img->state);
    free(img);
}

const char *
v2k_image_name(const struct v2k_image *img)
{
    return img->transport->name;
}
