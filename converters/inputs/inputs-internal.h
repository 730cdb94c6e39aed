/* inputs-internal.h - helpers the input adapters share.
 *
 * Remote sources (-ic xen+ssh://, -ic vbox+ssh://): the host's files
 * are read over SFTP (formats/transport-sftp.c), so nothing runs on the
 * host but its SFTP server -- no shell, no libvirt.  A remote path
 * becomes an sftp://[USER@]HOST[:PORT]/PATH URI; "/~/PATH" is PATH in
 * the login's home directory (libcurl resolves it).  Implemented in
 * inputs/xen.c.  Each function returns NULL / -1 with one message.
 */
#ifndef V2K_INPUTS_INTERNAL_H
#define V2K_INPUTS_INTERNAL_H

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

#endif
