/* accel.h - which accelerator really runs a guest here: KVM or TCG.
 *
 * /dev/kvm is not trusted: some machines have none, others have one that
 * cannot run a guest (qemu aborts with "failed to set MSR 0x10a", or
 * hangs), and libguestfs then fails to launch.  v2k_accel_get() probes
 * once per process: it boots the kernel libguestfs's appliance will boot
 * ($SUPERMIN_KERNEL, else the newest readable /boot/vmlinuz-*) with
 * -accel kvm, no disk and panic=-1, and KVM counts as working only when
 * that kernel runs to its panic ("Kernel panic" on the serial port, qemu
 * exiting by itself) within V2K_ACCEL_PROBE_TIMEOUT_S.  A boot sector is
 * not enough: a nested KVM seen here (and on CI) runs one, even one that
 * enters long mode, in 1.5 s, yet hangs every Linux kernel while it
 * decompresses, before it prints a line.  Without a readable kernel the
 * boot-sector probe (isa-debug-exit) is the fallback.  Any failure means
 * TCG.  V2K_ACCEL=kvm|tcg in the environment skips the probe (a batch
 * driver probes once and passes it on).  The outcome is logged with -v.
 */
#ifndef V2K_ACCEL_H
#define V2K_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

enum v2k_accel { V2K_ACCEL_TCG, V2K_ACCEL_KVM };

/* The kernel probe takes about 4 s under TCG and 1 s or less under a
 * healthy KVM; a KVM that needs longer than this cannot run the
 * appliance in useful time. */
#define V2K_ACCEL_PROBE_TIMEOUT_S 10.0

/* The accelerator to use (probed on the first call; thread-safe). */
enum v2k_accel v2k_accel_get(void);

/* Why v2k_accel_get() chose what it chose (borrowed, static). */
const char *v2k_accel_reason(void);

/* "kvm" or "tcg". */
const char *v2k_accel_name(enum v2k_accel a);

/* The kernel the probe boots, into buf: $SUPERMIN_KERNEL, else the
 * newest readable /boot/vmlinuz-* (version order).  false when none. */
bool v2k_accel_kernel(char *buf, size_t len);

/* Run the probe (the kernel, else the boot sector) with qemu's -accel
 * accel ("kvm" or "tcg"), waiting at most timeout_s.  true when it ran
 * to its end; else false with a reason in why.  Exposed for tests. */
bool v2k_accel_try(const char *accel, double timeout_s, char *why,
                   size_t whylen);

#endif
