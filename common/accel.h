/* accel.h - which accelerator really runs a guest here: KVM or TCG.
 *
 * /dev/kvm is not trusted: some machines have none, others have one that
 * cannot run a guest (qemu aborts with "failed to set MSR 0x10a", or
 * hangs), and libguestfs then fails to launch.  v2k_accel_get() probes
 * once per process: it boots a one-sector guest that writes to qemu's
 * isa-debug-exit port (answers in well under a second under TCG) with
 * -accel kvm and a 3 s timeout (a KVM slower than that is
 * too slow to run a guest).  Any failure means TCG.  V2K_ACCEL=kvm|tcg
 * in the environment skips the probe.  The outcome is logged with -v.
 */
#ifndef V2K_ACCEL_H
#define V2K_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

enum v2k_accel { V2K_ACCEL_TCG, V2K_ACCEL_KVM };

/* TCG runs the probe in about 0.3 s and a healthy KVM faster.  A KVM
 * that needs longer than this cannot run a real guest in useful time: a
 * nested KVM seen here took 6 s for the sector, and its libguestfs
 * appliance never got past SeaBIOS in two hours. */
#define V2K_ACCEL_PROBE_TIMEOUT_S 3.0

/* The accelerator to use (probed on the first call; thread-safe). */
enum v2k_accel v2k_accel_get(void);

/* Why v2k_accel_get() chose what it chose (borrowed, static). */
const char *v2k_accel_reason(void);

/* "kvm" or "tcg". */
const char *v2k_accel_name(enum v2k_accel a);

/* Boot the probe sector with qemu's -accel accel ("kvm" or "tcg"),
 * waiting at most timeout_s.  true when the guest answered; else false
 * with a reason in why.  Exposed for tests. */
bool v2k_accel_try(const char *accel, double timeout_s, char *why,
                   size_t whylen);

#endif
