/* slurm.h - the Slurm commands of v2kvm-batch run --executor slurm
 * (v2kvm-batch(1), "SLURM").
 *
 * Each function runs one of Slurm's client programs (sbatch, squeue,
 * scontrol, scancel, from PATH, with the caller's environment, so
 * SLURM_CONF applies) through proc.h, with a timeout, and parses its
 * output.  Nothing here knows plans or the state.
 *
 * Errors follow error.h: -1 with one message naming the program and
 * the last line it printed ("sbatch: error: ...", or "sbatch: No such
 * file or directory" when it is not installed).  Strings returned are
 * owned by the caller.
 */
#ifndef V2K_BATCH_SLURM_H
#define V2K_BATCH_SLURM_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds any one Slurm command may take before it is killed and the
 * call fails: a controller that does not answer is an error, not a
 * hang. */
#define V2K_SLURM_TIMEOUT 30

/* The license called name: 1 defined (*total gets its count), 0 the
 * cluster does not define it, -1 scontrol failed (no cluster). */
int v2k_slurm_license(const char *name, unsigned *total);

/* sbatch --parsable ARGS... SCRIPT: the job id (of the array), or NULL. */
char *v2k_slurm_submit(const char *const *args, const char *script);

/* A task of an array still known to squeue, in one of Slurm's job
 * states (PENDING, RUNNING, COMPLETING, ...). */
struct v2k_slurm_task {
    char job[32];               /* the array's job id */
    unsigned task;              /* its index in the array */
    char state[24];
};

/* squeue -r for the arrays jobs[0..n): every task not gone yet, in
 * *tasks (caller frees), their number in *ntasks.  0, or -1. */
int v2k_slurm_queue(const char *const *jobs, size_t n,
                    struct v2k_slurm_task **tasks, size_t *ntasks);

/* How task of array job ended, from scontrol show job (while the
 * controller still remembers it, MinJobAge): its JobState in state
 * ("" when forgotten) and exit code in *code.  0, or -1. */
int v2k_slurm_task_end(const char *job, unsigned task, char *state,
                       size_t len, int *code);

/* scontrol release JOB_TASK: let a task submitted with --hold be
 * scheduled.  0, or -1. */
int v2k_slurm_release(const char *job, unsigned task);

/* scancel every array in jobs[0..n) (all their tasks).  0, or -1. */
int v2k_slurm_cancel(const char *const *jobs, size_t n);

#endif
