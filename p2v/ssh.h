/* ssh.h - the P2V client's SSH connections to the conversion host,
 * through OpenSSH's ssh(1) (the boot image has openssh-client).
 *
 * Trust.  The host key is always checked (StrictHostKeyChecking=yes):
 * against the known_hosts file given or ~/.ssh/known_hosts, or, with a
 * fingerprint (--hostkey SHA256:...), against the keys ssh-keyscan
 * fetches: the one whose fingerprint matches is written to a private
 * known_hosts, and a host that shows none is refused.  Nothing is
 * trusted on first use: virt-p2v's StrictHostKeyChecking=no is what
 * this replaces.
 *
 * Login.  A private key (a file, or an https:// URL fetched once with
 * curl into the private directory, mode 0600; IdentitiesOnly), or a
 * password read from a file and handed to ssh through SSH_ASKPASS (this
 * program, in askpass mode: v2k_p2v_askpass_main), never on a command
 * line; or, with neither, ssh-agent and ~/.ssh keys.  No prompt ever
 * waits on the console (BatchMode for keys, one password try).
 *
 * Every connection has ServerAliveInterval 5 and ServerAliveCountMax 3:
 * a dead link is noticed in about 15 s.  Configuration files are not
 * read (-F none).
 *
 * Errors: ssh's own reason is mapped to one line that names the host and
 * says what to do: unreachable, permission denied, host key mismatch or
 * unknown.
 */
#ifndef V2K_P2V_SSH_H
#define V2K_P2V_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct v2k_p2v_ssh {
    char *target;               /* "user@host" (owned) */
    char *where;                /* "host:port" for messages (owned) */
    char port[8];
    char *known_hosts;          /* the file ssh checks against (owned) */
    char *identity;             /* local key file or NULL (owned) */
    char *password_file;        /* or NULL (owned) */
    char *askpass;              /* this program, for SSH_ASKPASS (owned) */
    char *dir;                  /* private directory (borrowed) */
};

/* Set s up from c; dir is a private directory (0700) that outlives s
 * (fetched keys and the fingerprint's known_hosts go there).  Checks
 * the host key source now: -1 with one message when none can work. */
int v2k_p2v_ssh_init(struct v2k_p2v_ssh *s, const struct v2k_p2v_config *c,
                     const char *dir);
void v2k_p2v_ssh_free(struct v2k_p2v_ssh *s);

/* ssh's argv: the common options, then extra (NULL-terminated, may be
 * NULL), the target, and cmd (one string: the remote shell's command
 * line; NULL for none, as with -N).  Owned by the caller
 * (v2k_p2v_ssh_argv_free). */
char **v2k_p2v_ssh_argv(const struct v2k_p2v_ssh *s, const char *const *extra,
                        const char *cmd);
void v2k_p2v_ssh_argv_free(char **argv);

/* The environment ssh needs (SSH_ASKPASS... for a password), a static
 * NULL-terminated list valid while s lives. */
const char *const *v2k_p2v_ssh_env(const struct v2k_p2v_ssh *s);

/* Run cmd on the host: in (len bytes) on its stdin, its stdout in *out
 * and its stderr in *err (each owned, optional).  The remote exit status
 * (0-254); -1 with one message when ssh itself failed (unreachable,
 * denied, host key) or timed out. */
int v2k_p2v_ssh_run(const struct v2k_p2v_ssh *s, const char *cmd,
                    const char *in, size_t len, char **out, char **err,
                    unsigned timeout_s);

/* A host key as ssh-keygen -l shows it: "SHA256:..." and "ED25519". */
struct v2k_p2v_hostkey {
    char fp[128];
    char type[16];
};

/* The keys host:port (0 = 22) shows, through ssh-keyscan and ssh-keygen
 * -l (the text UI shows them for the admin to compare, before one is
 * pinned with the hostkey setting).  At most max into keys, *n of them;
 * -1 with one message when none could be read (host unreachable). */
int v2k_p2v_ssh_scan_hostkeys(const char *host, unsigned port,
                              struct v2k_p2v_hostkey *keys, size_t max,
                              size_t *n);

/* ssh's stderr (its last line) as one message naming the host. */
void v2k_p2v_ssh_error(const struct v2k_p2v_ssh *s, const char *stderr_text);

/* The askpass mode: when this program runs as SSH_ASKPASS, print the
 * password file's first line.  true when it was that mode (*rc then is
 * the exit code). */
bool v2k_p2v_askpass_main(int argc, char **argv, int *rc);

/* text with every character a POSIX shell treats specially quoted: the
 * word as the remote shell must see it.  Owned by the caller. */
char *v2k_p2v_shell_quote(const char *text);

#endif
