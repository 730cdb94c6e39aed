/* fuzz-p2vondisk.c - libFuzzer target for the P2V client's reader of md
 * superblocks and LVM2 labels (p2v/ondisk.h, v2k_p2v_ondisk_probe()), in
 * the static library v2k-p2v: the input is the device, served from a
 * memfd (the probe reads a file descriptor).  Whatever the bytes, the
 * probe must return, read nothing past the device, allocate no more
 * than its cap, and fill only NUL-terminated, printable strings and
 * counts within their caps.  Besides any sanitizer report, leak or
 * timeout, these are bugs (abort()): a string without its NUL or with a
 * control character (it goes into the client's listing and messages),
 * an md set of 0 or more than V2K_P2V_MD_MAX_DISKS disks, a role
 * outside the set.
 */
#include "ondisk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    if (n == cap)
        abort();                /* no NUL within the field */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            abort();            /* would reach a terminal or a message */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    struct v2k_p2v_ondisk od;

    if (fd == -1 && (fd = memfd_create("ondisk", MFD_CLOEXEC)) == -1)
        return 0;
    if (ftruncate(fd, 0) == -1 ||
        (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        return 0;
    v2k_p2v_ondisk_probe(fd, size, &od);
    check_string(od.md_version, sizeof od.md_version);
    check_string(od.md_uuid, sizeof od.md_uuid);
    check_string(od.md_name, sizeof od.md_name);
    check_string(od.md_level, sizeof od.md_level);
    check_string(od.pv_uuid, sizeof od.pv_uuid);
    check_string(od.vg_name, sizeof od.vg_name);
    check_string(od.vg_id, sizeof od.vg_id);
    if (od.kind == V2K_P2V_ONDISK_MD &&
        (od.md_raid_disks == 0 ||
         od.md_raid_disks > V2K_P2V_MD_MAX_DISKS ||
         od.md_role >= (int)od.md_raid_disks ||
         od.md_role < V2K_P2V_MD_ROLE_JOURNAL))
        abort();
    return 0;
}
