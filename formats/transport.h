/* transport.h - where an image's bytes come from.
 *
 * A transport is a read-only byte store: a local file or block device
 * (transport-file.c), a member inside an uncompressed tar/OVA
 * (transport-archive.c), HTTPS range reads (transport-https.c), SFTP
 * (transport-sftp.c), NBD exports (transport-nbd.c) and a borrowed buffer (transport-memory.c).  Formats
 * never know which transport they sit on.  A path or URI is opened
 * through the scheme table (v2k_transport_schemes(), transport-uri.c);
 * the remote transports share their connection pool and retry policy
 * (remote.h).
 *
 * Contract for implementations (fill struct v2k_transport_ops):
 *   kind, flags  the transport's name in messages and its properties
 *            (V2K_TRANSPORT_*): the format layer asks the transport an
 *            image was opened through, never its caller, whether an
 *            absolute backing name may be followed.
 *   pread    read exactly count bytes at offset; a short read (EOF) is an
 *            error naming the transport and the offset.  Must be safe to
 *            call from several threads at once.  The wrapper
 *            v2k_transport_pread() has already checked offset + count <=
 *            size.
 *   extents  optional: append extents for [offset, offset + length) to
 *            the list; may stop early but must cover at least one byte.
 *            Without it the whole range is DATA.
 *   open_sibling  optional: open another object next to this one (a
 *            backing file, a VMDK extent, a parent VDI) by the name the
 *            image stores; the transport resolves it relative to itself.
 *   close    free everything the transport owns.
 * name (owned) names the object in messages; size is its length in bytes.
 */
#ifndef V2K_TRANSPORT_H
#define V2K_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extent.h"

struct v2k_transport;

/* Properties of a kind of transport (struct v2k_transport_ops.flags). */
#define V2K_TRANSPORT_LOCAL     (1u << 0)   /* bytes on this machine */
#define V2K_TRANSPORT_REMOTE    (1u << 1)   /* over the network */
/* Absolute backing/extent/parent names stored in an image may be
 * followed (local files made by qemu-img often have them).  Only local
 * files: a remote image's names stay on its server, relative to it, and
 * a tar member's siblings are other members (DESIGN.md: a probed
 * image's backing names are never followed outside the source's base). */
#define V2K_TRANSPORT_FOLLOWS_ABSOLUTE (1u << 2)

struct v2k_transport_ops {
    const char *kind;                           /* "file", "https"... */
    unsigned flags;                             /* V2K_TRANSPORT_* */
    int (*pread)(struct v2k_transport *t, void *buf, size_t count,
                 uint64_t offset);
    int (*extents)(struct v2k_transport *t, uint64_t offset, uint64_t length,
                   struct v2k_extent_list *out);
    struct v2k_transport *(*open_sibling)(struct v2k_transport *t,
                                          const char *name);
    void (*close)(struct v2k_transport *t);
};

struct v2k_transport {
    const struct v2k_transport_ops *ops;
    char *name;                 /* owned: path or URL, for messages */
    uint64_t size;              /* bytes */
    bool is_block_device;
};

/* Checked read: offset + count must lie within the transport. */
int v2k_transport_pread(struct v2k_transport *t, void *buf, size_t count,
                        uint64_t offset);

/* Extents of [offset, offset + length), DATA when the transport has no
 * map.  Appends to out. */
int v2k_transport_extents(struct v2k_transport *t, uint64_t offset,
                          uint64_t length, struct v2k_extent_list *out);

/* Open the object called name next to t (see open_sibling). */
struct v2k_transport *v2k_transport_open_sibling(struct v2k_transport *t,
                                                 const char *name);

/* NULL-safe. */
void v2k_transport_close(struct v2k_transport *t);

/* May an image read through t follow the name it stores for a backing
 * file, extent or parent?  False only for an absolute name when t's
 * kind does not have V2K_TRANSPORT_FOLLOWS_ABSOLUTE.  The one place the
 * rule is decided; the formats call it (through registry.c for backing
 * files). */
bool v2k_transport_may_follow(const struct v2k_transport *t,
                              const char *name);

/* A local file or block device, opened read-only (O_RDONLY; a block
 * device is not locked and not written).  Siblings resolve relative to
 * the file's directory; absolute names are opened as given (flags:
 * LOCAL, FOLLOWS_ABSOLUTE). */
struct v2k_transport *v2k_transport_file_open(const char *path);

/* len bytes at buf, borrowed (they must outlive the transport); name
 * is copied, for messages.  No extents (all DATA); open_sibling fails
 * (transport-memory.c). */
struct v2k_transport *v2k_transport_memory_open(const char *name,
                                                const void *buf, size_t len);

/* --- Remote sources (transport-uri.c, transport-sftp.c,
 * transport-https.c) ------------------------------------------------- */

/* Options for remote transports; every field is optional (NULL/false).
 * Secrets come from files, never from argv: the password file's first
 * line (without its newline) is the SSH password, the cookie file's
 * first line the HTTP Cookie header value. */
struct v2k_remote_opts {
    const char *password_file;  /* SSH password (-ip FILE) */
    const char *ssh_identity;   /* private key file; else ssh-agent and
                                   ~/.ssh/id_rsa as ssh does */
    const char *ssh_known_hosts;/* default ~/.ssh/known_hosts */
    bool ssh_insecure;          /* accept any host key (a warning) */
    const char *cafile;         /* a PEM CA added to the system store */
    bool tls_no_verify;         /* skip TLS verification (a warning) */
    const char *cookie;         /* HTTP Cookie header value, or: */
    const char *cookie_file;    /* its first line */
};

/* Fill o from the environment (strings borrowed from environ):
 * V2K_PASSWORD_FILE, V2K_SSH_IDENTITY, V2K_SSH_KNOWN_HOSTS,
 * V2K_SSH_INSECURE=1, V2K_CAFILE, V2K_TLS_NO_VERIFY=1,
 * V2K_HTTP_COOKIE_FILE.  Fields already set are kept. */
void v2k_remote_opts_from_env(struct v2k_remote_opts *o);

/* One URI scheme (the table is in transport-uri.c).  open is NULL for a
 * scheme that is recognised only to be refused with why_not. */
struct v2k_transport_scheme {
    const char *scheme;         /* "sftp", compared without case */
    unsigned flags;             /* V2K_TRANSPORT_*, as the transport's */
    struct v2k_transport *(*open)(const char *uri,
                                  const struct v2k_remote_opts *opts);
    const char *why_not;        /* open == NULL: the reason, one phrase */
};

/* The table, ended by an entry with scheme NULL. */
const struct v2k_transport_scheme *v2k_transport_schemes(void);

/* Open a path or URI through the scheme table: a plain path or
 * file:///path (local file or block device, or TAR/MEMBER for a disk
 * inside an uncompressed OVA), sftp://[user@]host[:port]/path or
 * ssh://... (SFTP), https://host[:port]/path[?query] (ranged GETs),
 * nbd://host[:port]/export or nbd+unix:///export?socket=PATH (NBD).
 * opts NULL = from the environment (v2k_remote_opts_from_env).  A
 * password inside the URI is refused (use password_file).  Remote
 * transports are thread-safe, keep their connections alive between
 * reads, retry interrupted ranges with back-off within a time budget
 * and resume them (remote.h), and open siblings relative to the URI's
 * directory (keeping an https query string). */
struct v2k_transport *v2k_transport_open_uri(
    const char *uri, const struct v2k_remote_opts *opts);
struct v2k_transport *v2k_transport_sftp_open(
    const char *uri, const struct v2k_remote_opts *opts);
struct v2k_transport *v2k_transport_https_open(
    const char *uri, const struct v2k_remote_opts *opts);
/* nbd://host[:port][/export], nbd+unix:///export?socket=PATH and their
 * TLS forms nbds://, nbds+unix:// (transport-nbd.c, libnbd).  Extents
 * from base:allocation.  A connection lost while reading is made again
 * with back-off for up to V2K_NBD_RECONNECT_TIME seconds (default 300),
 * resuming the read, so a dropped P2V tunnel that comes back does not
 * restart the copy; once the budget has run out, every later read fails
 * at once ("the source is unreachable"); opts is unused. */
struct v2k_transport *v2k_transport_nbd_open(
    const char *uri, const struct v2k_remote_opts *opts);

/* True when s is a URI whose scheme is V2K_TRANSPORT_REMOTE in the
 * table (sftp, ssh, https, http). */
bool v2k_uri_is_remote(const char *s);

/* A copy of uri fit for messages: "user:secret@" becomes "user:***@". */
char *v2k_uri_redact(const char *uri);

/* The URI of name next to base: base's directory + name (percent-
 * escaped), or base's scheme and authority + name when name is
 * absolute; base's query string is kept. */
char *v2k_uri_resolve(const char *base, const char *name);

/* Deep copy and free of remote options (for transports that open
 * siblings later).  free is NULL-safe. */
struct v2k_remote_opts *v2k_remote_opts_dup(const struct v2k_remote_opts *o);
void v2k_remote_opts_free(struct v2k_remote_opts *o);

/* v2k_image_open() for a path or URI (format.h): the transport from
 * v2k_transport_open_uri(uri, opts).  Absolute backing names are
 * followed for local files only (v2k_transport_may_follow). */
struct v2k_image;
struct v2k_image *v2k_image_open_uri(const char *uri, const char *format,
                                     const struct v2k_remote_opts *opts);

/* --- Members of an uncompressed tar/OVA (transport-archive.c) -------- */

/* A regular file inside a tar: its name (owned, "./" stripped) and where
 * its data lies in the tar. */
struct v2k_archive_member {
    char *name;
    uint64_t offset;
    uint64_t size;
};

/* Walk the tar's headers with libarchive (ustar, pax, GNU long names and
 * base-256 sizes), bounded by its size; every member's data must lie
 * inside the file and names with ".." or a leading '/' are refused.
 * Members are the regular files stored contiguously: links, directories
 * and sparse entries are left out; a compressed tar is an error.  *out
 * is owned by the caller (v2k_archive_members_free, NULL-safe). */
int v2k_archive_list(const char *tarpath, struct v2k_archive_member **out,
                     size_t *n);
int v2k_archive_list_transport(struct v2k_transport *tar,
                               struct v2k_archive_member **out, size_t *n);
void v2k_archive_members_free(struct v2k_archive_member *m, size_t n);

/* member of tarpath, read in place (pread at its data offset in the tar;
 * the tar's holes are its extents).  Siblings are other members,
 * relative to member's directory.  Thread-safe as the file transport. */
struct v2k_transport *v2k_transport_archive_open(const char *tarpath,
                                                 const char *member);

/* The same for "TARPATH/MEMBER" (how a v2k_disk names a disk inside an
 * OVA, transport V2K_TRANSPORT_ARCHIVE): the first prefix of path that
 * is a regular file is the tar. */
struct v2k_transport *v2k_transport_archive_open_path(const char *path);

#endif
