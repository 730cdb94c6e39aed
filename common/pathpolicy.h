/* pathpolicy.h - where the files a VM description names may lie.
 *
 * A VM description written by someone else (.vmx, OVF, xl.cfg, libvirt
 * XML, .vbox) and the images it names can refer to any file: a VMDK
 * extent "/etc/shadow", a backing name "../../x", a disk that is a
 * symlink.  Following such a reference copies a host file into the
 * output.  So every local file such a source reaches -- its disks, and
 * their extents, data files and backing/parent images -- must lie, once
 * symlinks are resolved (realpath), inside the confinement root (the
 * directory holding the description) or inside a directory the user
 * allowed with --allow-path DIR.  A disk named by the user on the
 * command line (-i disk PATH) has no root: it and its chain are followed
 * anywhere, as qemu-img does for local images.
 *
 * The allowed directories are process-wide: set once while the options
 * are parsed, before any thread starts; read-only afterwards.  Remote
 * files (sftp://, https://) are not checked here: they are on the source
 * host and read with the user's own login.
 */
#ifndef V2K_PATHPOLICY_H
#define V2K_PATHPOLICY_H

/* Allow references into dir (and below) from any source: dir is
 * canonicalised now (it must exist).  -1 with one message naming it. */
int v2k_pathpolicy_allow(const char *dir);

/* Forget every allowed directory (tests, and the end of main). */
void v2k_pathpolicy_reset(void);

/* Check that path, which referrer names as ref (for the message; e.g.
 * the .vmx and its fileName value, or a VMDK and its extent name), lies
 * inside root or an allowed directory after resolving symlinks (ref
 * NULL: referrer is path itself, named by a description).  root
 * NULL = not confined: always 0.  A path that does not resolve (missing
 * file) passes: opening it fails with its own message.  -1 with one
 * message naming the referrer, the reference and where it leads. */
int v2k_pathpolicy_check(const char *root, const char *path,
                         const char *referrer, const char *ref);

#endif
