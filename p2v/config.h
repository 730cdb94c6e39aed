/* config.h - what a P2V run is told: the conversion host, how to log
 * in, which disks, and what the host makes of them.
 *
 * The same settings come from the command line (--server HOST ...) or
 * from the kernel command line of the boot image (v2kvm.server=HOST
 * ...; the unattended mode).  Both fill one struct v2k_p2v_config with
 * the same names:
 *
 *   option           kernel option        meaning (default)
 *   --server H       v2kvm.server=H       conversion host (required)
 *   --port N         v2kvm.port=N         its SSH port (22)
 *   --user U         v2kvm.user=U         login (root)
 *   --identity F     v2kvm.identity=F|URL private key: a file, or an
 *                                         https:// URL fetched once
 *   --password-file F v2kvm.password_file=F  the password's first line
 *   --hostkey FP     v2kvm.hostkey=FP     the host key's fingerprint
 *                                         (SHA256:..., ssh-keygen -l)
 *   --known-hosts F  v2kvm.known_hosts=F  else ~/.ssh/known_hosts; a
 *                                         host key found in neither is
 *                                         refused (no trust on first use)
 *   --disks a,b      v2kvm.disks=a,b      disks to send (every offered)
 *   -o/-os/-of       v2kvm.o= .os= .of=   v2kvm's output (local,
 *                                         /var/tmp, qcow2)
 *   --name N         v2kvm.name=N         the guest's name (hostname)
 *   --network N      v2kvm.network=N      the NICs' libvirt network
 *                                         (default)
 *   --remote-v2kvm C v2kvm.remote=C       the command on the host (v2kvm)
 *   --reconnect S    v2kvm.reconnect=S    seconds without a link before
 *                                         both sides give up (300)
 *   --poweroff       v2kvm.poweroff=1     power off when done (the
 *                                         boot image's default: 1)
 *   (none)           v2kvm.list=1         discovery only: print what
 *                                         --list and --print-xml print
 *                                         (on the console, with
 *                                         --boot), send nothing (0)
 *
 * Kernel command line syntax (the kernel's own, Documentation/admin-
 * guide/kernel-parameters.rst): words split on blanks, a value may be
 * in double quotes ("v2kvm.name=\"db 01\"" is not kernel syntax: the
 * quotes go around the whole word or the value: v2kvm.name="db 01").
 * Unknown v2kvm.* keys are errors (a typo must not silently turn an
 * unattended run into an interactive one), and so is a control
 * character (a quoted newline) in a v2kvm.* word; other words are
 * ignored.
 *
 * Strings in the struct are owned by it (v2k_p2v_config_free).
 */
#ifndef V2K_P2V_CONFIG_H
#define V2K_P2V_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define V2K_P2V_DEFAULT_RECONNECT 300   /* s, as V2K_NBD_RECONNECT_TIME */

struct v2k_p2v_config {
    char *server;
    unsigned port;              /* 0 = 22 */
    char *user;                 /* NULL = root */
    char *identity;             /* file or https:// URL, or NULL */
    char *password_file;
    char *hostkey;              /* SHA256:... or NULL */
    char *known_hosts;
    char **disks;               /* NULL-terminated, or NULL = all */
    char *output;               /* -o, NULL = local */
    char *output_storage;       /* -os, NULL = /var/tmp */
    char *output_format;        /* -of, NULL = qcow2 */
    char *name;
    char *network;
    char *remote_v2kvm;         /* NULL = "v2kvm" */
    unsigned reconnect_s;       /* 0 = V2K_P2V_DEFAULT_RECONNECT */
    int poweroff;               /* -1 unset, 0, 1 */
    int list;                   /* 1: discovery only (v2kvm.list) */
};

void v2k_p2v_config_init(struct v2k_p2v_config *c);
void v2k_p2v_config_free(struct v2k_p2v_config *c);

/* Set one setting by its kernel name without the "v2kvm." prefix
 * ("server", "disks", "o"...).  where names the source for messages
 * ("/proc/cmdline", "--port").  -1 with one message for an unknown key
 * or a bad value. */
int v2k_p2v_config_set(struct v2k_p2v_config *c, const char *key,
                       const char *value, const char *where);

/* Apply every v2kvm.KEY=VALUE word of a kernel command line (as
 * /proc/cmdline holds it).  *found (optional) counts them.  -1 with one
 * message on the first bad one. */
int v2k_p2v_config_from_cmdline(struct v2k_p2v_config *c, const char *cmdline,
                                const char *where, unsigned *found);

/* A domain name libvirt takes: 1 to 200 characters, no '/', no control
 * characters.  The name setting is checked with it. */
bool v2k_p2v_config_good_name(const char *s);

/* The settings a run needs are there (server).  -1 with a message. */
int v2k_p2v_config_check(const struct v2k_p2v_config *c);

#endif
