/* state.h - where a batch run is, kept in SQLite so that it survives
 * SIGKILL and power loss (v2kvm-batch(1), "STATE").
 *
 * One database per plan (struct v2k_plan's state_path), opened in WAL
 * mode with synchronous=FULL: a transition that returned 0 is on disk.
 * Every transition is one IMMEDIATE transaction, so a reader after a
 * crash sees each VM either before or after it, never half-way.
 *
 * The coordinator that opens the state holds an exclusive lock on it
 * (flock on the database file, released by the kernel when the process
 * dies, however it dies).  A second opener fails with "in use".  So, on
 * open, a run still marked "running" belongs to a coordinator that is
 * gone: v2k_state_recover() marks that run "interrupted" and its VMs
 * that were in flight (running, converting, copying) "interrupted", to
 * be cleaned up and done again.
 *
 * Phases of a VM: pending -> running -> converting -> copying -> done,
 * or -> failed (with an error class: transient, e.g. the network, is
 * retried automatically up to the plan's bound; permanent, e.g. bad
 * input, never without --retry-failed), or -> interrupted (its
 * coordinator died).  "attempts" counts the entries into running.
 *
 * Facts: what v2kvm's final JSON line ({"type":"result"}) says of a VM
 * (OS, firmware, disk sizes), kept as key/value text in vm_facts, a
 * table created on open when missing: a database of version 1 made
 * before it is still read (v2k_state_open_readonly sees no facts).
 *
 * The report reads the state with v2k_state_open_readonly(), which
 * takes no coordinator lock and never writes: it works while a run is
 * going (WAL: it sees the last committed transition).
 *
 * Errors follow error.h: -1/NULL with one message naming the database.
 * Strings returned are owned by the caller.
 */
#ifndef V2K_STATE_H
#define V2K_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2K_STATE_SCHEMA_VERSION 1

enum v2k_vm_phase {
    V2K_PHASE_PENDING, V2K_PHASE_RUNNING, V2K_PHASE_CONVERTING,
    V2K_PHASE_COPYING, V2K_PHASE_DONE, V2K_PHASE_FAILED,
    V2K_PHASE_INTERRUPTED,
};
const char *v2k_vm_phase_to_string(enum v2k_vm_phase ph);
int v2k_vm_phase_from_string(const char *s);    /* -1 when unknown */

enum v2k_error_class {
    V2K_ERRCLASS_NONE, V2K_ERRCLASS_TRANSIENT, V2K_ERRCLASS_PERMANENT,
};
const char *v2k_error_class_to_string(enum v2k_error_class c);

struct v2k_state;

/* Open or create the database at path and take the coordinator's lock.
 * A database of a newer schema is refused. */
struct v2k_state *v2k_state_open(const char *path);
void v2k_state_close(struct v2k_state *st);

/* Open an existing database at path to read it: no lock, no recovery,
 * no schema change.  Only the queries (v2k_state_get, _list, _count,
 * _phases, _warnings, _outputs, _runs, _facts) work on it; a write is
 * an error.  A missing file: NULL with errno ENOENT in the message. */
struct v2k_state *v2k_state_open_readonly(const char *path);

/* Mark what a dead coordinator left in flight as interrupted (see
 * above); *n (optional) gets the number of VMs marked. */
int v2k_state_recover(struct v2k_state *st, size_t *n);

/* A run: one invocation of the coordinator.  Its id, or -1. */
int64_t v2k_state_run_begin(struct v2k_state *st, const char *plan_path);
int v2k_state_run_end(struct v2k_state *st, int64_t run, bool ok);

/* Add the plan's VMs (in plan order) that the state does not know yet,
 * as pending.  VMs no longer in the plan are kept (the report shows
 * them); they are never selected to run. */
int v2k_state_add_vms(struct v2k_state *st, const char *const *names,
                      size_t n);

/* Move vm to phase to, in run (attempts + 1 on entering running; the
 * finish time of the phase left and the start of the new one are
 * recorded).  Allowed moves: pending/interrupted/failed -> running,
 * running -> converting -> copying -> done (running -> copying when
 * nothing is converted, --no-convert), running/converting/copying ->
 * failed (use v2k_state_fail) or interrupted.  Anything else is an
 * error naming both phases. */
int v2k_state_transition(struct v2k_state *st, const char *vm,
                         enum v2k_vm_phase to, int64_t run);

/* -> failed with class and message (one line, kept as last error). */
int v2k_state_fail(struct v2k_state *st, const char *vm,
                   enum v2k_error_class cls, const char *message);

int v2k_state_set_bytes(struct v2k_state *st, const char *vm,
                        uint64_t copied, uint64_t total);
int v2k_state_add_warning(struct v2k_state *st, const char *vm,
                          const char *message);
int v2k_state_add_output(struct v2k_state *st, const char *vm,
                         const char *path);

struct v2k_state_vm {
    char *name;
    enum v2k_vm_phase phase;
    unsigned attempts;
    uint64_t bytes_copied, bytes_total;
    unsigned warnings;
    char *last_error;           /* or NULL */
    enum v2k_error_class error_class;
    double started, finished;   /* of the current attempt (Unix time,
                                   0 = not yet) */
};
int v2k_state_get(struct v2k_state *st, const char *vm,
                  struct v2k_state_vm *out);
void v2k_state_vm_clear(struct v2k_state_vm *v);

/* Which VMs to start, in plan order: pending and interrupted ones, and
 * failed ones with a transient error and fewer than 1 + max_retries
 * attempts; with retry_failed every failed one too.  only (NULL = all)
 * limits the choice to those names; a name the state does not know is
 * an error.  Done VMs and those in flight are never chosen. */
struct v2k_state_select {
    const char *const *only;
    size_t nonly;
    bool retry_failed;
    unsigned max_retries;
};
char **v2k_state_next(struct v2k_state *st,
                      const struct v2k_state_select *sel, size_t *n);

/* Where a VM's files go in one of the state's directories (the logs,
 * STATE.logs; the Slurm tasks' files, STATE.slurm): DIR/NAME SUFFIX with
 * '/' in the name and a leading '.' made '_' (plan names are otherwise
 * any text).  NULL when out of memory; the caller frees. */
char *v2k_state_vm_file(const char *dir, const char *name,
                        const char *suffix);

/* The clock of every time the state keeps: wall time, Unix seconds
 * (v2k_now() is monotonic). */
double v2k_state_now(void);

/* Number of VMs in phase ph. */
int v2k_state_count(struct v2k_state *st, enum v2k_vm_phase ph,
                    size_t *n);

/* --- what the report reads (and facts, which run records) ------------ */

/* At most this many rows of one list are returned (the first ones in
 * the list's order), so that a report of a state grown without bound
 * stays bounded. */
#define V2K_STATE_MAX_LIST 10000

/* Every VM the state knows, in plan order (those no longer in the plan
 * last): *out an array of *n (owned, free with v2k_state_vms_free). */
int v2k_state_list(struct v2k_state *st, struct v2k_state_vm **out,
                   size_t *n);
void v2k_state_vms_free(struct v2k_state_vm *v, size_t n);

/* One row of a VM's phase history: a phase entered in an attempt.
 * finished is 0 while the phase goes on; the terminal phases (done,
 * failed, interrupted) start and finish at the same time. */
struct v2k_state_phase {
    enum v2k_vm_phase phase;
    unsigned attempt;
    int64_t run;                /* 0 = not known */
    double started, finished;
};
/* vm's history, oldest first: *out (owned, free()) of *n rows. */
int v2k_state_phases(struct v2k_state *st, const char *vm,
                     struct v2k_state_phase **out, size_t *n);

/* vm's warnings (every attempt, oldest first) or its outputs' paths
 * (every attempt, sorted): a NULL-terminated list (owned, free with
 * v2k_strv_free) of *n strings, or NULL on error. */
char **v2k_state_warnings(struct v2k_state *st, const char *vm, size_t *n);
char **v2k_state_outputs(struct v2k_state *st, const char *vm, size_t *n);

/* One invocation of the coordinator. status: running, finished,
 * failed or interrupted. */
struct v2k_state_run {
    int64_t id;
    char *plan;                 /* owned, or NULL */
    char *status;               /* owned */
    double started, finished;   /* finished 0 while it runs */
};
/* Every run, oldest first: *out (owned, v2k_state_runs_free) of *n. */
int v2k_state_runs(struct v2k_state *st, struct v2k_state_run **out,
                   size_t *n);
void v2k_state_runs_free(struct v2k_state_run *r, size_t n);

/* Set (insert or replace) vm's fact key to value (one line of text). */
int v2k_state_set_fact(struct v2k_state *st, const char *vm,
                       const char *key, const char *value);
/* vm's fact key: 0 with *value owned (NULL when the state has none). */
int v2k_state_get_fact(struct v2k_state *st, const char *vm,
                       const char *key, char **value);

/* Record the facts of v2kvm's final line {"type":"result",...} (line,
 * as v2kvm printed it) for vm, in one transaction: "distro",
 * "product_name", "osinfo", "firmware" (strings, when present) and
 * "disks" (the virtual sizes of the copied disks in bytes, decimal,
 * separated by spaces; at most V2K_STATE_MAX_DISKS).  Facts of an
 * earlier attempt that this line lacks are removed.  A line that is
 * not a result object is an error. */
#define V2K_STATE_MAX_DISKS 64
int v2k_state_record_result(struct v2k_state *st, const char *vm,
                            const char *line);

#endif
