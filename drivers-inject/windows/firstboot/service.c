/* service.c - v2kvm-firstboot.exe's main, its "run" mode and the Windows
 * service glue: the service control dispatcher, disabling the service
 * once the queue is done, rebooting.  Windows only (firstboot.h). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "firstboot.h"

static wchar_t fb_dir[FB_PATH_MAX];

static void usage(void)
{
    fputs("usage: v2kvm-firstboot.exe service\n"
          "       v2kvm-firstboot.exe run --dir DIR [--max-attempts N] [--max-reboots M] [--no-reboot]\n"
          "Runs the scripts queued in DIR\\scripts (see firstboot.h); exit codes of run:\n"
          "0 all done and succeeded, 1 done with failures, 2 usage or I/O error, 3 reboot wanted.\n",
          stderr);
}

/* --- reboot ---------------------------------------------------------- */

int fb_reboot(void)
{
    const DWORD reason = SHTDN_REASON_MAJOR_APPLICATION |
                         SHTDN_REASON_MINOR_INSTALLATION |
                         SHTDN_REASON_FLAG_PLANNED;
    HANDLE token;
    TOKEN_PRIVILEGES tp;

    if (OpenProcessToken(GetCurrentProcess(),
                         TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token)) {
        tp.PrivilegeCount = 1;
        tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
        if (LookupPrivilegeValueW(NULL, SE_SHUTDOWN_NAME,
                                  &tp.Privileges[0].Luid))
            AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL);
        CloseHandle(token);
    }
    if (InitiateSystemShutdownExW(NULL, (LPWSTR)L"v2kvm first boot: a script asked for a reboot",
                                  0, TRUE, TRUE, reason))
        return 0;
    fb_log("InitiateSystemShutdownEx failed (error %lu): trying ExitWindowsEx", GetLastError());
    if (ExitWindowsEx(EWX_REBOOT | EWX_FORCEIFHUNG, reason))
        return 0;
    fb_log("cannot reboot: error %lu", GetLastError());
    return -1;
}

/* --- run mode ---------------------------------------------------------- */

static int parse_count(const wchar_t *s, unsigned lo, unsigned hi,
                       unsigned *out)
{
    wchar_t *end;
    unsigned long v;

    if (!s || *s < L'0' || *s > L'9')
        return -1;
    v = wcstoul(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int run_mode(int argc, wchar_t **argv)
{
    struct fb_config cfg;
    const wchar_t *dir = NULL;
    unsigned attempts = 0, reboots = 0;
    int have_attempts = 0, have_reboots = 0, no_reboot = 0, finished, i;
    DWORD len, attr;
    enum fb_result r;

    for (i = 2; i < argc; i++) {
        const wchar_t *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (wcscmp(argv[i], L"--dir") == 0 && val) {
            dir = val;
            i++;
        } else if (wcscmp(argv[i], L"--max-attempts") == 0) {
            if (parse_count(val, 1, 1000, &attempts) < 0) {
                fputs("v2kvm-firstboot: --max-attempts wants a number from 1 to 1000\n", stderr);
                return FB_ERROR;
            }
            have_attempts = 1;
            i++;
        } else if (wcscmp(argv[i], L"--max-reboots") == 0) {
            if (parse_count(val, 0, 1000, &reboots) < 0) {
                fputs("v2kvm-firstboot: --max-reboots wants a number from 0 to 1000\n", stderr);
                return FB_ERROR;
            }
            have_reboots = 1;
            i++;
        } else if (wcscmp(argv[i], L"--no-reboot") == 0) {
            no_reboot = 1;
        } else {
            usage();
            return FB_ERROR;
        }
    }
    if (!dir) {
        usage();
        return FB_ERROR;
    }
    len = GetFullPathNameW(dir, FB_PATH_MAX, fb_dir, NULL);
    if (len == 0 || len >= FB_PATH_MAX) {
        fputs("v2kvm-firstboot: --dir: bad or too long a path\n", stderr);
        return FB_ERROR;
    }
    attr = GetFileAttributesW(fb_dir);
    if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) {
        fputs("v2kvm-firstboot: --dir: no such directory\n", stderr);
        return FB_ERROR;
    }
    fb_log_open(fb_dir, 1);
    if (fb_config_load(fb_dir, &cfg) < 0) {
        fb_log_close();
        return FB_ERROR;
    }
    if (have_attempts)
        cfg.max_attempts = attempts;
    if (have_reboots)
        cfg.max_reboots = reboots;
    cfg.no_reboot = no_reboot;
    r = fb_run(fb_dir, &cfg, &finished);
    if (r == FB_REBOOT) {
        if (cfg.no_reboot)
            fb_log("--no-reboot: not rebooting (exit code 3)");
        else if (fb_reboot() == 0)
            fb_log("rebooting now");
    }
    fb_log_close();
    return r;
}

/* --- service mode ------------------------------------------------------ */

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;

static void set_status(DWORD state, DWORD exit_code)
{
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = state;
    status.dwControlsAccepted = state == SERVICE_RUNNING ?
        SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status.dwWin32ExitCode = exit_code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
    status.dwServiceSpecificExitCode = exit_code;
    status.dwWaitHint = state == SERVICE_STOP_PENDING ? 30000 : 0;
    status.dwCheckPoint = 0;
    SetServiceStatus(status_handle, &status);
}

/* Stop or shutdown: the runner stops after the script that runs. */
static DWORD WINAPI control(DWORD code, DWORD type, LPVOID data,
                            LPVOID ctx)
{
    (void)type;
    (void)data;
    (void)ctx;
    switch (code) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        InterlockedExchange(&fb_stop_requested, 1);
        set_status(SERVICE_STOP_PENDING, 0);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void disable_self(void)
{
    SC_HANDLE scm, svc;

    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    svc = scm ? OpenServiceW(scm, FB_SERVICE_NAME, SERVICE_CHANGE_CONFIG) : NULL;
    if (svc && ChangeServiceConfigW(svc, SERVICE_NO_CHANGE, SERVICE_DISABLED,
                                    SERVICE_NO_CHANGE, NULL, NULL, NULL, NULL,
                                    NULL, NULL, NULL))
        fb_log("service disabled: it will not run again");
    else
        fb_log("cannot disable the service: error %lu", GetLastError());
    if (svc)
        CloseServiceHandle(svc);
    if (scm)
        CloseServiceHandle(scm);
}

/* The runner's thread: the dispatcher starts ServiceMain in a thread of
 * its own, and the control handler answers on the main thread meanwhile. */
static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
    struct fb_config cfg;
    wchar_t *slash;
    DWORD len;
    int finished = 0;
    enum fb_result r = FB_ERROR;

    (void)argc;
    (void)argv;
    status_handle = RegisterServiceCtrlHandlerExW(FB_SERVICE_NAME, control, NULL);
    if (!status_handle)
        return;
    set_status(SERVICE_RUNNING, 0);

    len = GetModuleFileNameW(NULL, fb_dir, FB_PATH_MAX);
    slash = len > 0 && len < FB_PATH_MAX ? wcsrchr(fb_dir, L'\\') : NULL;
    if (!slash) {
        set_status(SERVICE_STOPPED, FB_ERROR);
        return;
    }
    *slash = L'\0';
    fb_log_open(fb_dir, 0);
    if (fb_config_load(fb_dir, &cfg) < 0) {
        fb_log("config.ini: using the defaults (%d attempts, %d reboots)", FB_DEFAULT_MAX_ATTEMPTS, FB_DEFAULT_MAX_REBOOTS);
        cfg.max_attempts = FB_DEFAULT_MAX_ATTEMPTS;
        cfg.max_reboots = FB_DEFAULT_MAX_REBOOTS;
    }
    cfg.no_reboot = 0;
    r = fb_run(fb_dir, &cfg, &finished);
    if (finished)
        disable_self();
    if (r == FB_REBOOT) {
        set_status(SERVICE_STOP_PENDING, 0);
        if (fb_reboot() == 0)
            fb_log("rebooting now");
    }
    fb_log_close();
    set_status(SERVICE_STOPPED, r == FB_ERROR ? FB_ERROR : 0);
}

static int service_mode(void)
{
    SERVICE_TABLE_ENTRYW table[] = {
        { (LPWSTR)FB_SERVICE_NAME, service_main },
        { NULL, NULL },
    };

    if (StartServiceCtrlDispatcherW(table))
        return 0;
    if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
        fputs("v2kvm-firstboot: \"service\" is for the service manager; use \"run --dir DIR\" by hand\n", stderr);
    else
        fprintf(stderr, "v2kvm-firstboot: StartServiceCtrlDispatcher failed: error %lu\n", GetLastError());
    return FB_ERROR;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc >= 2 && wcscmp(argv[1], L"service") == 0 && argc == 2)
        return service_mode();
    if (argc >= 2 && wcscmp(argv[1], L"run") == 0)
        return run_mode(argc, argv);
    usage();
    return FB_ERROR;
}
