/* run.h - v2kvm-batch run PLAN: the local executor (v2kvm-batch(1),
 * "RUN").
 *
 * Runs each selected VM's v2kvm command (v2k_plan_vm_argv) as a child
 * process in its own process group, its output appended to
 * STATE.logs/VM.log, following its --machine-readable JSON lines into
 * the state (state.h).  Limits, retries, hooks, signals and the exit
 * status are described in the manual.
 *
 * With the Slurm executor the same argv runs as a task of a job array
 * on the cluster's nodes (the filesystem is shared), appending to the
 * same log, which the coordinator reads to follow the same JSON lines;
 * its job ids are kept in STATE.slurm/jobs until the arrays are over,
 * so that the next coordinator cancels what a killed one left.
 *
 * The v2kvm program: $V2KVM_BATCH_V2KVM when set, else "v2kvm" in the
 * directory of v2kvm-batch, else ../converters/v2kvm from it (the build
 * tree), else "v2kvm" from PATH.
 */
#ifndef V2K_BATCH_RUN_H
#define V2K_BATCH_RUN_H

#include <stdbool.h>
#include <stddef.h>

/* Where the VMs' v2kvm commands run: children of the coordinator, or
 * tasks of Slurm job arrays (slurm.h; v2kvm-batch(1), "SLURM"). */
enum v2k_batch_executor { V2K_EXECUTOR_LOCAL, V2K_EXECUTOR_SLURM };

struct v2k_batch_run_opts {
    const char *const *only;    /* --only VM..., or NULL */
    size_t nonly;
    bool retry_failed;
    bool machine_readable;      /* JSON lines on stdout, one per event */
    enum v2k_batch_executor executor;
};

/* 0 every selected VM done, 1 some failed (or were interrupted by a
 * signal: then 128 + the signal), 2 the plan has errors or the state
 * cannot be opened, or (slurm) the cluster cannot take the jobs:
 * nothing runs. */
int v2k_batch_run(const char *plan_path,
                  const struct v2k_batch_run_opts *opts);

/* The v2kvm program, as above (owned; NULL when out of memory).
 * inspect runs the same one. */
char *v2k_batch_v2kvm_program(void);

/* Before the first v2kvm child that launches an appliance (inspect):
 * when V2K_ACCEL is unset or empty, probe once here (accel.h) and export
 * V2K_ACCEL=kvm|tcg, so that no child probes again (on a machine whose
 * /dev/kvm hangs, each probe costs V2K_ACCEL_PROBE_TIMEOUT_S); says
 * which accelerator and why in one message.  A V2K_ACCEL already set is
 * left to the children.  run's local executor does the same in a helper
 * process, its copies starting meanwhile; the Slurm executor leaves the
 * probe to its nodes. */
void v2k_batch_share_accel(void);

#endif
