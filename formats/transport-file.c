/* transport-file.c - local files and block devices, read-only.
 *
 * Opened O_RDONLY: the source is never written.  A block device is not
 * locked (O_EXCL would fail on a mounted disk, and the P2V client reads
 * disks the running system still holds); its size comes from
 * BLKGETSIZE64.  Regular files report holes through SEEK_DATA/SEEK_HOLE.
 *
 * Anything else (a FIFO, a character device, a socket, a directory) is
 * refused before it is opened: opening a FIFO for reading blocks until a
 * writer comes, forever if none does.  The file is stat'ed first, then
 * opened with O_NONBLOCK (in case it was swapped for a FIFO in between:
 * the fstat after the open must find the same file), and O_NONBLOCK is
 * cleared again.  Every file opened is noted as a source file, so that
 * no output can replace it (outfile.h).
 */
#include "transport.h"
#include "error.h"
#include "outfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_transport {
    struct v2k_transport t;     /* first: the generic part */
    int fd;
    char *dir;                  /* directory for siblings */
};

static int
file_pread(struct v2k_transport *t, void *buf, size_t count, uint64_t offset)
{
    struct file_transport *f = (struct file_transport *)t;
    char *p = buf;

    while (count > 0) {
        ssize_t r = pread(f->fd, p, count, (off_t)offset);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            v2k_error_errno(errno, "%s: read at offset %llu", t->name,
                            (unsigned long long)offset);
            return -1;
        }
        if (r == 0) {
            v2k_error("%s: unexpected end of file at offset %llu (truncated?)", t->name, (unsigned long long)offset);
            return -1;
        }
        p += r;
        count -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}

static int
file_extents(struct v2k_transport *t, uint64_t offset, uint64_t length,
             struct v2k_extent_list *out)
{
    struct file_transport *f = (struct file_transport *)t;
    uint64_t end = offset + length;

    if (t->is_block_device)
        return v2k_extent_list_add(out, offset, length, V2K_EXTENT_DATA);
    while (offset < end) {
        off_t data = lseek(f->fd, (off_t)offset, SEEK_DATA);
        off_t hole;

        if (data == -1) {
            if (errno == ENXIO)          /* only a hole up to EOF */
                return v2k_extent_list_add(out, offset, end - offset,
                                           V2K_EXTENT_ZERO);
            if (errno == EINVAL || errno == EOPNOTSUPP)
                return v2k_extent_list_add(out, offset, end - offset,
                                           V2K_EXTENT_DATA);
            v2k_error_errno(errno, "%s: SEEK_DATA at %llu", t->name,
                            (unsigned long long)offset);
            return -1;
        }
        if ((uint64_t)data > offset) {
            uint64_t z = (uint64_t)data < end ? (uint64_t)data : end;
            if (v2k_extent_list_add(out, offset, z - offset,
                                    V2K_EXTENT_ZERO) == -1)
                return -1;
            offset = z;
            continue;
        }
        hole = lseek(f->fd, (off_t)offset, SEEK_HOLE);
        if (hole == -1) {
            v2k_error_errno(errno, "%s: SEEK_HOLE at %llu", t->name,
                            (unsigned long long)offset);
            return -1;
        }
        if ((uint64_t)hole > end || (uint64_t)hole <= offset)
            hole = (off_t)end;
        if (v2k_extent_list_add(out, offset, (uint64_t)hole - offset,
                                V2K_EXTENT_DATA) == -1)
            return -1;
        offset = (uint64_t)hole;
    }
    return 0;
}

static struct v2k_transport *
file_open_sibling(struct v2k_transport *t, const char *name)
{
    struct file_transport *f = (struct file_transport *)t;
    struct v2k_transport *r;
    char *path;

    if (name[0] == '/')
        return v2k_transport_file_open(name);
    path = v2k_asprintf("%s/%s", f->dir, name);
    if (path == NULL)
        return NULL;
    r = v2k_transport_file_open(path);
    free(path);
    return r;
}

static void
file_close(struct v2k_transport *t)
{
    struct file_transport *f = (struct file_transport *)t;
    close(f->fd);
    free(f->dir);
    free(t->name);
    free(f);
}

static const struct v2k_transport_ops file_ops = {
    .kind = "file",
    .flags = V2K_TRANSPORT_LOCAL | V2K_TRANSPORT_FOLLOWS_ABSOLUTE,
    .pread = file_pread,
    .extents = file_extents,
    .open_sibling = file_open_sibling,
    .close = file_close,
};

struct v2k_transport *
v2k_transport_file_open(const char *path)
{
    struct file_transport *f;
    struct stat st;
    int fd;

    fd = v2k_open_regular(path, true, &st);
    if (fd == -1)
        return NULL;
    v2k_outfile_note_source(st.st_dev, st.st_ino, path);
    f = v2k_calloc(1, sizeof *f);
    if (f == NULL) {
        close(fd);
        return NULL;
    }
    f->t.ops = &file_ops;
    f->fd = fd;
    f->t.name = v2k_strdup(path);
    f->dir = v2k_dirname(path);
    if (f->t.name == NULL || f->dir == NULL)
        goto fail;
    if (S_ISBLK(st.st_mode)) {
        uint64_t size;
        if (ioctl(fd, BLKGETSIZE64, &size) == -1) {
            v2k_error_errno(errno, "%s: BLKGETSIZE64", path);
            goto fail;
        }
        f->t.size = size;
        f->t.is_block_device = true;
    } else {
        f->t.size = (uint64_t)st.st_size;
    }
    return &f->t;

fail:
    free(f->t.name);
    free(f->dir);
    close(fd);
    free(f);
    return NULL;
}
