/* ui.h - the P2V client's interactive text UI (issue 17): the settings
 * asked on the console in whiptail boxes, then the transfer with a
 * progress gauge.  Owned by the P2V client (p2v/); used by
 * v2kvm-p2v.c for --interactive, and for --boot when the kernel command
 * line has no v2kvm.server=.
 *
 * Contract:
 *   - The boxes are the real whiptail(1) program (newt), or dialog(1)
 *     when whiptail is absent, run through proc.h with the terminal on
 *     their stdin/stdout and their answer read from their stderr: the
 *     client links no curses library.  Neither installed: -1 at once.
 *   - Screens, in order: conversion host (server, port, user); how to
 *     log in (a key file or https:// URL, a password, or ssh-agent and
 *     ~/.ssh); the host key (unless a fingerprint or known_hosts file was
 *     given: the key ssh-keyscan sees is shown for the admin to compare,
 *     and "Yes" pins it as the hostkey setting for this run only); the
 *     disks (a checklist of the offered ones, the hidden ones named with
 *     their reason); the output (-o, -os, -of, the guest's name); a
 *     summary to confirm.  Cancel or Esc goes one screen back; on the
 *     first screen it quits: -1, "cancelled...", nothing started.
 *   - Every value goes through v2k_p2v_config_set() and the disks
 *     through v2k_p2v_check_selection(), as on the command line: a bad
 *     value shows that one-line message and the same box again.  The
 *     values already in the config (options, kernel command line) are
 *     the defaults shown.
 *   - A typed password is written to a file in a private directory
 *     (0700, the file 0600) that becomes the password_file setting
 *     (ssh reads it through SSH_ASKPASS, ssh.h); it is never on a
 *     command line, on the screen or in the log, and is removed when
 *     v2k_p2v_ui_run returns.
 *   - During the transfer a whiptail --gauge shows the host's progress
 *     (per disk, MiB/s, time left); the client's own lines (stdout and
 *     stderr) go to log_fd meanwhile so they do not scribble on the
 *     gauge.  The result ends in a message box.
 *
 * Returns 0 when the host converted the machine; -1 with one message
 * (v2k_error) when cancelled, when no box program runs, or when the
 * transfer failed (its own message).  The config is left with the
 * settings chosen.
 */
#ifndef V2K_P2V_UI_H
#define V2K_P2V_UI_H

#include "config.h"
#include "discover.h"
#include "session.h"

/* Runs the transfer with the settings in cfg, progress to fn(parg):
 * 0, or -1 with one message. */
typedef int (*v2k_p2v_ui_transfer_fn)(void *arg, struct v2k_p2v_config *cfg,
                                      v2k_p2v_progress_fn fn, void *parg);

struct v2k_p2v_ui_args {
    const struct v2k_p2v_machine *m;
    struct v2k_p2v_config *config;      /* the defaults in, the choice out */
    v2k_p2v_ui_transfer_fn transfer;
    void *transfer_arg;
    int log_fd;                 /* the client's lines during the gauge;
                                 * -1: /dev/null */
    const char *log_path;       /* named in the result box, or NULL */
};

int v2k_p2v_ui_run(const struct v2k_p2v_ui_args *a);

#endif
