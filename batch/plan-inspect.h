/* plan-inspect.h - v2kvm-batch inspect PLAN: the dry run (v2kvm-batch(1),
 * "INSPECT").
 *
 * For each selected VM, one after the other (one libguestfs appliance
 * at a time, whatever the plan's limits: a dry run is not in a hurry and
 * the host may be converting), runs the VM's own v2kvm command with
 * its output replaced (v2k_plan_vm_argv_mode):
 *   1. --print-source --machine-readable: opens the source, prints its
 *      model (disks and their virtual sizes, firmware);
 *   2. unless the VM is no_convert: -o null --print-guest
 *      --machine-readable: launches the appliance, inspects the guest,
 *      prints it, converts and writes nothing;
 * and predicts from what they print, each prediction one line with a
 * severity (error: the conversion will fail; warning: it needs
 * attention; info).  Nothing is written to the sources or the targets,
 * and the run state (the SQLite file) is neither created nor opened;
 * each VM's v2kvm output goes to STATE.logs/VM.inspect.log (the
 * directory is created if needed, the file replaced).
 *
 * A line v2kvm prints is read up to V2K_BATCH_INSPECT_MAX_LINE bytes; a
 * longer one is skipped (said in the predictions when it was the one
 * needed).  Each v2kvm run is killed after the timeout (SIGTERM, then
 * SIGKILL V2K_BATCH_INSPECT_GRACE seconds later).
 */
#ifndef V2K_BATCH_INSPECT_H
#define V2K_BATCH_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#define V2K_BATCH_INSPECT_MAX_LINE (4u << 20)
#define V2K_BATCH_INSPECT_TIMEOUT 1800  /* seconds per v2kvm run */
#define V2K_BATCH_INSPECT_GRACE 10

struct v2k_batch_inspect_opts {
    const char *const *only;    /* --only VM..., or NULL: every VM */
    size_t nonly;
    bool machine_readable;      /* JSON lines on stdout, one per VM */
    unsigned timeout;           /* seconds per v2kvm run, 0 = default */
};

/* 0 no VM has an error prediction, 1 some has, 2 the plan has errors or
 * --only names a VM the plan does not have (nothing is inspected). */
int v2k_batch_inspect(const char *plan_path,
                      const struct v2k_batch_inspect_opts *opts);

#endif
