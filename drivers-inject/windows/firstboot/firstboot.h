/* firstboot.h - v2kvm-firstboot.exe: the Windows first-boot script runner.
 *
 * Built for Windows only (mingw-w64, see CMakeLists.txt here); never part
 * of the host library.  The converter installs it as
 *   C:\Program Files\v2kvm\Firstboot\v2kvm-firstboot.exe
 * and registers it as the automatic own-process service "v2kvm-firstboot"
 * (LocalSystem, ImagePath "...\v2kvm-firstboot.exe" service).
 *
 * Its directory (DIR) holds:
 *   scripts\         queued scripts, run in name order (case-insensitive):
 *                    NNNN-name.bat, .cmd (cmd.exe /c) or .ps1 (powershell.exe
 *                    -ExecutionPolicy Bypass -NoProfile -NonInteractive
 *                    -File); any other file there is moved to
 *                    scripts-failed unrun
 *   scripts-done\    scripts that succeeded
 *   scripts-failed\  scripts given up on
 *   log.txt          every line timestamped (UTC), UTF-8; script output is
 *                    copied in as it comes (the console code page)
 *   state.txt        per-script attempt counts and the reboot count,
 *                    rewritten whole (temporary file + rename) each time
 *   config.ini       optional: max_attempts=N, max_reboots=M
 *   complete/failed  the sentinel written when the queue is empty: a
 *                    summary; "failed" when anything is in scripts-failed
 * Log lines also go to COM1 (if present: a headless KVM guest's serial
 * log shows progress) and, in "run" mode, to stdout.
 *
 * Script exit codes:
 *   0, 250   success: moved to scripts-done (250 is virt-v2v's "no
 *            reboot"; here no success asks for a reboot except 3010)
 *   3010     success, reboot wanted (ERROR_SUCCESS_REBOOT_REQUIRED):
 *            moved to scripts-done, the pass stops and the machine
 *            reboots before the next script
 *   249      not yet: retry at the next boot; the pass stops (reboot)
 *   other    failure: retried at the next boot; later scripts still run
 * Each script's attempt count is incremented and saved before it runs
 * (a crash or power loss mid-script counts).  A script that ends an
 * attempt without success having used max_attempts attempts (default 3),
 * 249 included, is moved to scripts-failed: "giving up on X after N
 * attempts, exit code C"; one that was cut short by a crash on its last
 * attempt is given up on without running again.
 *
 * Reboots: after a pass in which a script wanted one (249, 3010, or a
 * failure still under its attempt limit), the runner reboots, counting
 * reboots in state.txt; at max_reboots (default 10) it stops rebooting:
 * "reboot limit reached", the remaining scripts go to scripts-failed.
 * When the queue is empty, the sentinel is written and, in service mode,
 * the service disables itself (SERVICE_DISABLED).
 *
 * Usage:
 *   v2kvm-firstboot.exe service      (run by the SCM; DIR = the exe's)
 *   v2kvm-firstboot.exe run --dir DIR [--max-attempts N]
 *                       [--max-reboots M] [--no-reboot]
 * "run" is the same runner in the foreground, logging to stdout too; it
 * reboots the machine like the service unless --no-reboot (the tests:
 * each run is then one "boot").  Options override config.ini.  Exit
 * codes of "run" (enum fb_result): 0 done, all succeeded; 1 done,
 * something failed; 2 usage or I/O error; 3 reboot wanted (the reboot is
 * already counted; with --no-reboot, run again as the next boot).
 */
#ifndef V2K_FIRSTBOOT_H
#define V2K_FIRSTBOOT_H

#include <wchar.h>

#define FB_SERVICE_NAME L"v2kvm-firstboot"

#define FB_EXIT_RETRY 249
#define FB_EXIT_NO_REBOOT 250
#define FB_EXIT_REBOOT 3010

#define FB_DEFAULT_MAX_ATTEMPTS 3
#define FB_DEFAULT_MAX_REBOOTS 10

/* Bounds: scripts taken per pass (more wait for the next pass), the
 * length of a script's name, of any path. */
#define FB_MAX_SCRIPTS 512
#define FB_NAME_MAX 256
#define FB_PATH_MAX 4096

enum fb_result {
    FB_DONE_OK = 0,
    FB_DONE_FAILED = 1,
    FB_ERROR = 2,
    FB_REBOOT = 3,
};

struct fb_config {
    unsigned max_attempts;
    unsigned max_reboots;
    int no_reboot;              /* record "reboot requested", do not reboot */
};

/* Runner (firstboot.c). */

/* Defaults, then DIR\config.ini's max_attempts/max_reboots if present.
 * Returns 0, or -1 for a bad value or an unreadable file (logged: open
 * the log first). */
int fb_config_load(const wchar_t *dir, struct fb_config *cfg);

/* One boot: runs passes over DIR\scripts until the queue is empty or a
 * reboot is wanted.  Does not reboot: returns FB_REBOOT for the caller to
 * do it (after which the reboot is already counted in state.txt).
 * *finished is set when the queue is empty and the sentinel written (the
 * service then disables itself). */
enum fb_result fb_run(const wchar_t *dir, const struct fb_config *cfg,
                      int *finished);

/* Checked between scripts: nonzero stops the pass (service stop). */
extern volatile long fb_stop_requested;

/* The log: DIR\log.txt, COM1, and stdout when TO_STDOUT.  Opened by
 * the caller before fb_config_load and fb_run. */
void fb_log_open(const wchar_t *dir, int to_stdout);
void fb_log(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
void fb_log_close(void);

/* UTF-8 copy of W into BUF (cut to N bytes). */
const char *fb_u8(const wchar_t *w, char *buf, int n);

/* Service glue (service.c): reboot with a reason; 0 or -1 (logged). */
int fb_reboot(void);

#endif
