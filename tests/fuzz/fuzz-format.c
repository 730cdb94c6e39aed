/* fuzz-format.c - libFuzzer target for one image format's reader.
 *
 * Compiled once per registered format with -DV2K_FUZZ_FORMAT="qcow2"
 * (fuzz-qcow2, ...), and once without it (fuzz-probe: the format is
 * probed, as for an image of unknown origin).  The input is the whole
 * image file, served by a memory transport: backing and parent names
 * cannot be followed, no file is touched.  Each input is opened, its
 * extents are walked and a few chunks are read, all bounded, so that a
 * huge virtual size costs no more than a small one.  Any sanitizer
 * report, leak, timeout or allocation over libFuzzer's malloc limit is
 * a bug in a reader: inputs must fail with a message, never crash.
 */
#include "error.h"
#include "format.h"
#include "transport.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef V2K_FUZZ_FORMAT
#define FORMAT V2K_FUZZ_FORMAT
#else
#define FORMAT NULL
#endif

#define MAX_EXTENTS 1000            /* stop walking the map after these */
#define EXTENTS_STEP (64ULL << 20)  /* virtual bytes per extents call */
#define CHUNK (64U << 10)           /* bytes per read */
#define MAX_READS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the chunk at offset (clipped to the disk); errors are expected. */
static void
read_at(struct v2k_image *img, unsigned char *buf, uint64_t offset)
{
    size_t n = CHUNK;

    if (offset >= img->size)
        return;
    if (img->size - offset < n)
        n = (size_t)(img->size - offset);
    v2k_image_pread(img, buf, n, offset);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char buf[CHUNK];
    struct v2k_extent_list map = { 0 };
    struct v2k_transport *t;
    struct v2k_image *img;
    uint64_t pos = 0, reads[MAX_READS];
    size_t nextents = 0, nreads = 0;

    t = v2k_transport_memory_open("fuzz-input", data, size);
    if (t == NULL)
        return 0;
    img = v2k_image_open_transport(t, FORMAT, NULL);
    if (img == NULL)
        return 0;

    /* The whole map, in the steps the copy engine uses, remembering the
     * start of the first few DATA extents to read there. */
    while (pos < img->size && nextents < MAX_EXTENTS) {
        uint64_t len = img->size - pos;

        if (len > EXTENTS_STEP)
            len = EXTENTS_STEP;
        v2k_extent_list_clear(&map);
        if (v2k_image_extents(img, pos, len, &map) == -1)
            break;
        for (size_t i = 0; i < map.n; i++)
            if (map.v[i].type == V2K_EXTENT_DATA && nreads < MAX_READS - 3)
                reads[nreads++] = map.v[i].offset;
        nextents += map.n;
        pos = map.v[map.n - 1].offset + map.v[map.n - 1].length;
    }
    v2k_extent_list_free(&map);

    /* And the start, the middle and the end of the disk. */
    reads[nreads++] = 0;
    reads[nreads++] = img->size / 2;
    reads[nreads++] = img->size > CHUNK ? img->size - CHUNK : 0;
    for (size_t i = 0; i < nreads; i++)
        read_at(img, buf, reads[i]);

    v2k_image_close(img);
    v2k_error_clear();
    return 0;
}
