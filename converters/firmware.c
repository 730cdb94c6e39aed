/* firmware.c - the converted guest's firmware (firmware.h). */
#include <stdlib.h>

#include "conversion.h"
#include "error.h"
#include "firmware.h"
#include "format.h"
#include "log.h"
#include "parttable.h"

struct esp_reader {
    struct v2k_image *img;
    uint64_t start;             /* the ESP's first byte on the disk */
};

static int
esp_read(void *opaque, void *buf, size_t len, uint64_t off)
{
    struct esp_reader *r = opaque;

    return v2k_image_pread(r->img, buf, len, r->start + off);
}

/* Look into the EFI system partition ev names (fatdir.h): sets
 * ev->esp_content and ev->esp_loader; -1 with a message. */
static int
esp_look(struct v2k_image *img, const struct v2k_disk *d,
         struct v2k_pt_evidence *ev)
{
    struct esp_reader r = { .img = img };
    uint64_t size = 0;
    int c;

    if (ev->esp_first_lba <= img->size / ev->sector) {
        r.start = ev->esp_first_lba * ev->sector;
        size = img->size - r.start;
        if (ev->esp_sectors <= size / ev->sector)
            size = ev->esp_sectors * ev->sector;
    }
    c = v2k_fat_find_loader(esp_read, &r, size, ev->esp_loader,
                            sizeof ev->esp_loader);
    if (c == -1) {
        v2k_error_prepend("%s: reading EFI system partition %d: ", d->path,
                          ev->esp);
        return -1;
    }
    ev->esp_content = (enum v2k_esp_content)c;
    return 0;
}

/* The evidence of disk d into *ev; -1 with a message. */
static int
disk_evidence(const struct v2k_options *o, const struct v2k_disk *d,
              struct v2k_pt_evidence *ev)
{
    struct v2k_image *img = v2k_open_source_disk(o, d);
    uint8_t *buf = NULL;
    size_t n;
    int r = -1;

    if (img == NULL)
        return -1;
    n = img->size < V2K_PT_READ_BYTES ? (size_t)img->size
                                      : V2K_PT_READ_BYTES;
    if ((buf = malloc(n ? n : 1)) == NULL)
        v2k_error("out of memory");
    else if (v2k_image_pread(img, buf, n, 0) == -1)
        v2k_error_prepend("%s: reading the partition table: ", d->path);
    else {
        v2k_pt_evidence(buf, n, ev);
        r = ev->esp ? esp_look(img, d, ev) : 0;
    }
    free(buf);
    v2k_image_close(img);
    return r;
}

int
v2k_firmware_decide(const struct v2k_options *o, struct v2k_source *s)
{
    struct v2k_pt_evidence ev = { 0 };
    enum v2k_firmware disk = V2K_FW_UNKNOWN;
    size_t k = 0, which = 0;
    char words[200] = "no disk";

    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *d = &s->disks[i];
        bool bios, uefi;

        if (d->device != V2K_DEV_DISK || d->path == NULL)
            continue;
        k++;
        if (disk_evidence(o, d, &ev) == -1)
            return -1;
        bios = v2k_pt_bios_capable(&ev);
        uefi = v2k_pt_uefi_capable(&ev);
        if (k == 1 || bios || uefi) {
            which = k;
            v2k_pt_describe(&ev, words, sizeof words);
        }
        if (bios || uefi) {
            disk = uefi && !bios ? V2K_FW_UEFI
                 : bios && !uefi ? V2K_FW_BIOS : V2K_FW_UNKNOWN;
            break;
        }
    }
    if (s->firmware == V2K_FW_UNKNOWN) {
        s->firmware = disk == V2K_FW_UEFI ? V2K_FW_UEFI : V2K_FW_BIOS;
        v2k_msg("Firmware: %s (the source does not say; disk %zu: %s)",
                s->firmware == V2K_FW_UEFI ? "UEFI" : "BIOS", which, words);
    } else if (disk != V2K_FW_UNKNOWN && disk != s->firmware) {
        v2k_warning("the source says %s firmware, but disk %zu can only start under %s (%s): converted for %s",
                    s->firmware == V2K_FW_UEFI ? "UEFI" : "BIOS", which,
                    disk == V2K_FW_UEFI ? "UEFI" : "BIOS", words,
                    disk == V2K_FW_UEFI ? "UEFI" : "BIOS");
        s->firmware = disk;
        if (disk == V2K_FW_BIOS)
            s->secure_boot = false;
    } else
        v2k_msg("Firmware: %s (as the source says; disk %zu: %s)",
                s->firmware == V2K_FW_UEFI ? "UEFI" : "BIOS", which, words);
    return 0;
}
