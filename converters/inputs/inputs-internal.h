/* inputs-internal.h - helpers the input adapters share.
 *
 * Remote sources (-ic xen+ssh://, -ic vbox+ssh://): the host's files
 * are read over SFTP (formats/transport-sftp.c), so nothing runs on the
 * host but its SFTP server -- no libvirt, and a shell only for
 * `blockdev --getsize64` on a block device (optional: transport-sftp.c).
 * A remote path becomes an sftp://[USER@]HOST[:PORT]/PATH URI;
 * "/~/PATH" is PATH in the login's home directory.  Implemented in
 * inputs/xen.c.  Each function returns NULL / -1 with one message.
 */
#ifndef V2K_INPUTS_INTERNAL_H
#define V2K_INPUTS_INTERNAL_H

#include <limits.h>
#include <stddef.h>

#include "format.h"
#include "source.h"
#include "transport.h"

#define V2K_REMOTE_MAX_CONFIG (16U << 20)   /* xl.cfg, .vbox: cap */

/* "sftp://[USER@]HOST[:PORT]" from -ic SCHEME://[USER@]HOST[:PORT][/]
 * (scheme is "xen+ssh" or "vbox+ssh"); a password in it is refused. */
char *v2k_input_remote_base(const char *ic, const char *scheme);

/* The URI of the remote absolute path on base's host (percent-escaped);
 * a relative path is taken relative to the home directory. */
char *v2k_input_remote_uri(const char *base, const char *path);

/* The whole remote file (at most max bytes, NUL-terminated, no NUL
 * inside: these are text configurations); *len its length. */
char *v2k_input_remote_read(const char *uri,
                            const struct v2k_remote_opts *ropts,
                            size_t max, size_t *len);

/* True when the last error says the remote file does not exist. */
bool v2k_input_remote_enoent(void);

/* Open d->path (a local path, TAR/MEMBER, or a URI; read-only) to learn
 * its format (when unset), size and transport.  ropts/oopts may be NULL
 * (credentials from the environment; defaults). */
int v2k_input_open_disk(struct v2k_disk *d,
                        const struct v2k_remote_opts *ropts,
                        const struct v2k_open_opts *oopts);

/* A disk whose description (xl.cfg without format=, a domain XML
 * <disk> without <driver type>) states no format gets the hypervisor's
 * default, raw, instead of being probed (default-format.c); a warning
 * naming where and d->path when its bytes look like another format.
 * Nothing for CD-ROMs, disks without a path or with a format.  -1 only
 * on ENOMEM. */
int v2k_input_default_raw(struct v2k_disk *d,
                          const struct v2k_remote_opts *ropts,
                          const char *where);

/* The local configuration file a file-based input takes as SOURCE
 * (.vmx, xl.cfg, .vbox, domain XML), read whole: at most max bytes,
 * NUL-terminated, into *buf (owned by the caller), *len its length; and
 * the canonical directory holding it into real (relative disk paths are
 * taken from there).  0, or -1 with one message naming the file. */
int v2k_input_read_local(const char *path, size_t max, char **buf,
                         size_t *len, char real[PATH_MAX]);

/* --- Parsers on a buffer (vmx.c, ova.c; also the fuzz targets) ------- */

/* Turns a file name read from a configuration into the path or URI to
 * open (owned by the caller), or NULL with an error. */
typedef char *v2k_resolve_fn(void *arg, const char *name);

/* A .vmx held in memory (len bytes, no NUL needed) into a new source;
 * name is for messages and the default VM name.  Each disk's fileName
 * becomes resolve(arg, NAME) and is opened (v2k_input_open_disk with
 * ropts) to learn its format and size; resolve NULL keeps the names as
 * written and opens nothing. */
struct v2k_source *v2k_vmx_parse(const char *buf, size_t len,
                                 const char *name, v2k_resolve_fn *resolve,
                                 void *arg,
                                 const struct v2k_remote_opts *ropts);

/* Fuzz entry points, one shape for every parser
 * (tests/fuzz/fuzz-parser.c): parse buf into a new source, touching no
 * file and no network (disks keep their names as written, unopened). */
struct v2k_source *v2k_vmx_parse_buffer(const char *buf, size_t len,
                                        const char *name);
struct v2k_source *v2k_ovf_parse_buffer(const char *buf, size_t len,
                                        const char *name);
struct v2k_source *v2k_xen_parse_buffer(const char *buf, size_t len,
                                        const char *name);
struct v2k_source *v2k_vbox_parse_buffer(const char *buf, size_t len,
                                         const char *name);
struct v2k_source *v2k_libvirtxml_parse_buffer(const char *buf, size_t len,
                                               const char *name);

/* Fuzz entry point for the OVA manifest (tests/fuzz/fuzz-manifest.c):
 * check dir/NAME.mf against the files of the directory package dir
 * whose descriptor is ovf_name (NAME.ovf), as -i ova does before
 * converting: 0 when there is no manifest or every digest matches
 * (ignore: a mismatch is a warning), else -1 with an error naming the
 * manifest's line. */
int v2k_ova_check_manifest_dir(const char *dir, const char *ovf_name,
                               bool ignore);

#endif
