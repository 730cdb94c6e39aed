/* proc.h - child processes: the P2V client's (ssh, nbdkit, curl) and
 * v2kvm-batch's Slurm commands (sbatch, squeue, scontrol, scancel).
 *
 * Programs are run from an argv, never through a shell on this machine.
 * Children get SIGTERM when the client dies (PR_SET_PDEATHSIG), so a
 * killed client leaves no tunnel or NBD server behind.
 */
#ifndef V2K_PROC_H
#define V2K_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Start argv[0] (looked up in PATH) with the extra environment env
 * ("K=V" strings, NULL-terminated, or NULL); fds stdin/stdout/stderr
 * are dup'ed to 0/1/2 (-1: /dev/null).  The pid, or -1 with a message. */
pid_t v2k_proc_spawn(const char *const *argv, const char *const *env,
                     int in_fd, int out_fd, int err_fd);

/* Run argv to its end: in (len bytes, may be NULL) on its stdin, its
 * stdout into *out and stderr into *err (each optional, NUL-terminated,
 * at most max bytes kept; owned by the caller).  timeout_s 0 = none;
 * past it the child is killed.  Its exit status (0-255), 128 + signal,
 * or -1 with a message when it could not run or timed out. */
int v2k_proc_run(const char *const *argv, const char *const *env,
                 const char *in, size_t len, char **out, char **err,
                 size_t max, unsigned timeout_s);

/* SIGTERM pid (then SIGKILL after 2 s) and reap it.  pid <= 0: no-op. */
void v2k_proc_stop(pid_t pid);

/* Reaped without waiting?  1 ended (status in *status as v2k_proc_run
 * says), 0 still running, -1 no such child. */
int v2k_proc_poll(pid_t pid, int *status);

/* The last non-empty line of text, trimmed, in buf. */
const char *v2k_proc_last_line(const char *text, char *buf, size_t len);

#endif
