/* raw.c - raw disk images: the virtual disk is the transport's bytes.
 *
 * The worked example of a format (nbdkit's example1): probe, open, pread,
 * extents, close.  Holes in the file (SEEK_HOLE) are reported as ZERO.
 */
#include "format.h"
#include "error.h"

static int
raw_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    (void)buf;
    (void)len;
    (void)size;
    return 1;                   /* anything is a raw disk, as a last resort */
}

static int
raw_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    (void)opts;
    if (img->transport->size == 0) {
        v2k_error("%s: empty file, not a disk image", img->transport->name);
        return -1;
    }
    /* A disk is a whole number of 512-byte sectors; anything else is a
     * truncated copy or not a disk. */
    if (img->transport->size % 512 != 0) {
        v2k_error("%s: size %llu is not a multiple of 512 bytes (truncated copy?)", img->transport->name,
                  (unsigned long long)img->transport->size);
        return -1;
    }
    img->size = img->transport->size;
    return 0;
}

static int
raw_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    return v2k_transport_pread(img->transport, buf, count, offset);
}

static int
raw_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
            struct v2k_extent_list *out)
{
    return v2k_transport_extents(img->transport, offset, length, out);
}

static void
raw_close(struct v2k_image *img)
{
    (void)img;
}

const struct v2k_format v2k_format_raw = {
    .name = "raw",
    .description = "raw disk image or block device",
    .instance_size = 0,
    .probe = raw_probe,
    .open = raw_open,
    .pread = raw_pread,
    .extents = raw_extents,
    .close = raw_close,
};
