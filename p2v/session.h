/* session.h - one P2V transfer: this machine's disks to the conversion
 * host, converted there by v2kvm.
 *
 * What happens (and which process does it):
 *   1. a private directory here (mkdtemp, 0700): sockets, keys;
 *   2. ssh: a run directory on the host (mktemp -d under $TMPDIR or
 *      /var/tmp), with run.sh (remote-run.sh), physical.xml (the domain
 *      XML, its disks NBD sources on Unix sockets in that directory) and
 *      command (the v2kvm command line);
 *   3. one nbdkit per disk here, read-only (-r), on a Unix socket in the
 *      private directory;
 *   4. the tunnel: one ssh -N with a -R forward per disk, host socket ->
 *      local socket (a Unix socket in a 0700 directory: no other user of
 *      the host can read the disks, as a TCP port on its loopback would
 *      allow);
 *   5. run.sh start: v2kvm -i libvirtxml physical.xml ... --machine-
 *      readable, detached from SSH, V2K_NBD_RECONNECT_TIME set to the
 *      reconnect budget;
 *   6. run.sh follow: its JSON lines come back over SSH; progress per disk
 *      (MiB/s, ETA) on the screen, or JSON lines with --machine-readable;
 *   7. the end: v2kvm's status; on failure its error line.
 *
 * The link drops: the tunnel or the follow connection dies.  Each is
 * made again with back-off (1 s doubling to 16 s); the host's v2kvm
 * waits for its NBD disks meanwhile (transport-nbd.c) and resumes where
 * it was, and following resumes at the last byte of output read.  After
 * reconnect_s seconds without a working link both sides give up: here a
 * one-line error, there v2kvm fails and leaves nothing under the output
 * name.
 */
#ifndef V2K_P2V_SESSION_H
#define V2K_P2V_SESSION_H

#include <stdbool.h>

#include "config.h"

/* A disk to send: its name on this machine (sda) and the file or device
 * to serve (/dev/sda, or an image file for tests). */
struct v2k_p2v_send_disk {
    const char *name;
    const char *path;
};

/* Make the domain XML with the disks' NBD sockets on the host:
 * sockets[i] is disk i's socket path there.  Returns malloc'd XML, or
 * NULL with a message. */
typedef char *(*v2k_p2v_xml_fn)(void *arg, const char *const *sockets);

/* Progress of the host's copy for a caller that shows it itself (the
 * text UI's gauge): the host's label ("disk 1/2"), bytes done
 * and total, and the recent rate in bytes/s (0 while unknown).  Called
 * at most every half second per label, and at a label's end. */
typedef void (*v2k_p2v_progress_fn)(void *arg, const char *label,
                                    double done, double total,
                                    double bytes_per_s);

struct v2k_p2v_session_args {
    const struct v2k_p2v_config *config;
    const struct v2k_p2v_send_disk *disks;
    unsigned ndisks;
    v2k_p2v_xml_fn make_xml;
    void *xml_arg;
    const char *guest_name;         /* -on */
    v2k_p2v_progress_fn progress;   /* NULL: lines on stdout */
    void *progress_arg;
};

/* Run the whole transfer.  0 when the host converted the machine; -1
 * with one message (also written to the log) otherwise. */
int v2k_p2v_session_run(const struct v2k_p2v_session_args *a);

/* The embedded remote-run.sh (generated from p2v/remote-run.sh). */
extern const char v2k_p2v_remote_run_sh[];

#endif
