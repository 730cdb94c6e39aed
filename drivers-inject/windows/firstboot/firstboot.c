/* firstboot.c - the runner of v2kvm-firstboot.exe: the log, the state
 * file, the script queue (the contract is in firstboot.h).  Windows only.
 * Every buffer is fixed-size: paths up to FB_PATH_MAX characters (longer
 * ones are refused), FB_MAX_SCRIPTS scripts per pass, files read up to
 * FB_FILE_MAX bytes. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "firstboot.h"

#define FB_FILE_MAX (1024 * 1024)
#define FB_LINE_MAX 1024

volatile long fb_stop_requested;

/* --- the log -------------------------------------------------------- */

static HANDLE log_file = INVALID_HANDLE_VALUE;
static HANDLE log_com = INVALID_HANDLE_VALUE;
static int log_stdout;

/* OUT = A\B, or -1 when it does not fit in N characters. */
static int path_join(wchar_t *out, size_t n, const wchar_t *a,
                     const wchar_t *b)
{
    size_t la = wcslen(a), lb = wcslen(b);
    size_t sep = la > 0 && a[la - 1] != L'\\' ? 1 : 0;

    if (la + sep + lb + 1 > n)
        return -1;
    wmemmove(out, a, la);
    if (sep)
        out[la] = L'\\';
    wmemmove(out + la + sep, b, lb + 1);
    return 0;
}

const char *fb_u8(const wchar_t *w, char *buf, int n)
{
    if (n <= 0)
        return "";
    if (WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, n, NULL, NULL) == 0) {
        /* Too long: cut, on a character boundary of the ASCII kind. */
        int i;
        for (i = 0; i < n - 4 && w[i]; i++)
            buf[i] = w[i] < 0x80 ? (char)w[i] : '?';
        snprintf(buf + i, (size_t)(n - i), "...");
    }
    return buf;
}

static void write_all(HANDLE h, const char *s, DWORD len)
{
    DWORD done;

    while (len > 0) {
        if (!WriteFile(h, s, len, &done, NULL) || done == 0)
            return;
        s += done;
        len -= done;
    }
}

void fb_log_open(const wchar_t *dir, int to_stdout)
{
    wchar_t path[FB_PATH_MAX];
    COMMTIMEOUTS to = { 0 };

    log_stdout = to_stdout;
    if (path_join(path, FB_PATH_MAX, dir, L"log.txt") == 0)
        log_file = CreateFileW(path, FILE_APPEND_DATA,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                               OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (log_file == INVALID_HANDLE_VALUE && to_stdout)
        fprintf(stderr, "v2kvm-firstboot: cannot open the log in its directory (error %lu)\n", GetLastError());
    /* The serial console: absent or busy is fine.  Writes time out after
     * 2 s so that a port nobody reads never blocks the runner. */
    log_com = CreateFileW(L"\\\\.\\COM1", GENERIC_WRITE, 0, NULL,
                          OPEN_EXISTING, 0, NULL);
    if (log_com != INVALID_HANDLE_VALUE) {
        to.WriteTotalTimeoutConstant = 2000;
        SetCommTimeouts(log_com, &to);
    }
}

void fb_log_close(void)
{
    if (log_file != INVALID_HANDLE_VALUE) {
        FlushFileBuffers(log_file);
        CloseHandle(log_file);
    }
    if (log_com != INVALID_HANDLE_VALUE)
        CloseHandle(log_com);
    log_file = log_com = INVALID_HANDLE_VALUE;
}

void fb_log(const char *fmt, ...)
{
    char line[FB_LINE_MAX + 512];
    SYSTEMTIME t;
    va_list ap;
    size_t len;
    int k;
    DWORD done;

    GetSystemTime(&t);
    k = snprintf(line, sizeof line, "%04u-%02u-%02u %02u:%02u:%02uZ ",
                 t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond);
    if (k < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(line + k, sizeof line - (size_t)k - 2, fmt, ap);
    va_end(ap);
    len = strlen(line);
    memcpy(line + len, "\r\n", 3);
    len += 2;
    if (log_file != INVALID_HANDLE_VALUE)
        write_all(log_file, line, (DWORD)len);
    if (log_com != INVALID_HANDLE_VALUE &&
        (!WriteFile(log_com, line, (DWORD)len, &done, NULL) || done < len)) {
        CloseHandle(log_com);          /* nobody reads it: stop trying */
        log_com = INVALID_HANDLE_VALUE;
    }
    if (log_stdout) {
        line[len - 2] = '\n';
        line[len - 1] = '\0';
        fputs(line, stdout);
        fflush(stdout);
    }
}

static void flush_log(void)
{
    if (log_file != INVALID_HANDLE_VALUE)
        FlushFileBuffers(log_file);
}

/* --- small files ---------------------------------------------------- */

/* Reads PATH (at most FB_FILE_MAX bytes) into a malloc'd, NUL-terminated
 * buffer.  Returns NULL with *missing set when the file does not exist,
 * NULL and a log line on another error. */
static char *read_small(const wchar_t *path, int *missing)
{
    char u8[FB_PATH_MAX];
    HANDLE h;
    LARGE_INTEGER size;
    DWORD got;
    char *buf;

    *missing = 0;
    h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
            *missing = 1;
        else
            fb_log("cannot open %s: error %lu", fb_u8(path, u8, sizeof u8), e);
        return NULL;
    }
    if (!GetFileSizeEx(h, &size) || size.QuadPart > FB_FILE_MAX) {
        fb_log("%s: unreadable or larger than %d bytes", fb_u8(path, u8, sizeof u8), FB_FILE_MAX);
        CloseHandle(h);
        return NULL;
    }
    buf = malloc((size_t)size.QuadPart + 1);
    if (!buf || !ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL)) {
        fb_log("cannot read %s: error %lu", fb_u8(path, u8, sizeof u8), GetLastError());
        free(buf);
        CloseHandle(h);
        return NULL;
    }
    buf[got] = '\0';
    CloseHandle(h);
    return buf;
}

/* Writes DATA to PATH through PATH.tmp, flushed, then renamed over it,
 * so that a power loss leaves the old or the new file.  0 or -1. */
static int write_atomic(const wchar_t *path, const char *data, size_t len)
{
    wchar_t tmp[FB_PATH_MAX];
    char u8[FB_PATH_MAX];
    HANDLE h;
    DWORD done;
    int ok, r;

    r = _snwprintf(tmp, FB_PATH_MAX, L"%ls.tmp", path);

    if (r < 0 || r >= FB_PATH_MAX) {
        fb_log("path too long: %s", fb_u8(path, u8, sizeof u8));
        return -1;
    }
    tmp[FB_PATH_MAX - 1] = L'\0';
    h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fb_log("cannot create %s: error %lu", fb_u8(tmp, u8, sizeof u8), GetLastError());
        return -1;
    }
    ok = WriteFile(h, data, (DWORD)len, &done, NULL) && done == len &&
         FlushFileBuffers(h);
    CloseHandle(h);
    if (!ok || !MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING |
                                       MOVEFILE_WRITE_THROUGH)) {
        fb_log("cannot write %s: error %lu", fb_u8(path, u8, sizeof u8), GetLastError());
        DeleteFileW(tmp);
        return -1;
    }
    return 0;
}

/* --- configuration ---------------------------------------------------- */

/* "  key = value  " lines; [sections], ; and # comments are ignored. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    v = strtoul(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (*end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int fb_config_load(const wchar_t *dir, struct fb_config *cfg)
{
    wchar_t path[FB_PATH_MAX];
    char *buf, *line, *next, *eq;
    int missing, bad = 0;

    cfg->max_attempts = FB_DEFAULT_MAX_ATTEMPTS;
    cfg->max_reboots = FB_DEFAULT_MAX_REBOOTS;
    if (path_join(path, FB_PATH_MAX, dir, L"config.ini") < 0)
        return -1;
    buf = read_small(path, &missing);
    if (!buf)
        return missing ? 0 : -1;
    for (line = buf; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '\r' || *line == '#' || *line == ';' ||
            *line == '[')
            continue;
        eq = strchr(line, '=');
        if (eq) {
            char *k = eq;
            while (k > line && (k[-1] == ' ' || k[-1] == '\t'))
                k--;
            *k = '\0';
        }
        if (eq && strcmp(line, "max_attempts") == 0) {
            if (parse_uint(eq + 1, 1, 1000, &cfg->max_attempts) < 0)
                bad = 1;
        } else if (eq && strcmp(line, "max_reboots") == 0) {
            if (parse_uint(eq + 1, 0, 1000, &cfg->max_reboots) < 0)
                bad = 1;
        } else {
            fb_log("config.ini: ignoring the line starting \"%.40s\"", line);
            continue;
        }
        if (bad) {
            fb_log("config.ini: bad value for %s (max_attempts 1..1000, max_reboots 0..1000)", line);
            break;
        }
    }
    free(buf);
    return bad ? -1 : 0;
}

/* --- the state: attempts per script, reboots ---------------------------- */

struct fb_entry {
    wchar_t name[FB_NAME_MAX];
    unsigned attempts;
};

static struct {
    unsigned reboots;
    unsigned n;
    struct fb_entry e[FB_MAX_SCRIPTS];
} state;

static wchar_t state_path[FB_PATH_MAX];

/* "reboots=N" and "attempts=K NAME" lines (UTF-8). */
static int state_load(const wchar_t *dir)
{
    char *buf, *line, *next, *sp;
    int missing;
    unsigned v;

    memset(&state, 0, sizeof state);
    if (path_join(state_path, FB_PATH_MAX, dir, L"state.txt") < 0)
        return -1;
    buf = read_small(state_path, &missing);
    if (!buf)
        return missing ? 0 : -1;
    for (line = buf; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        if (strncmp(line, "reboots=", 8) == 0 &&
            parse_uint(line + 8, 0, 100000, &v) == 0) {
            state.reboots = v;
        } else if (strncmp(line, "attempts=", 9) == 0 &&
                   (sp = strchr(line + 9, ' ')) != NULL) {
            *sp = '\0';
            if (parse_uint(line + 9, 0, 100000, &v) < 0 ||
                state.n == FB_MAX_SCRIPTS ||
                MultiByteToWideChar(CP_UTF8, 0, sp + 1, -1,
                                    state.e[state.n].name, FB_NAME_MAX) == 0) {
                fb_log("state.txt: ignoring the entry of %.300s", sp + 1);
                continue;
            }
            state.e[state.n++].attempts = v;
        } else if (*line) {
            fb_log("state.txt: ignoring the line \"%.300s\"", line);
        }
    }
    free(buf);
    return 0;
}

static int state_save(void)
{
    /* Each entry: "attempts=" + up to 10 digits + ' ' + name (3 bytes of
     * UTF-8 per UTF-16 unit at most) + "\r\n". */
    static char buf[32 + FB_MAX_SCRIPTS * (24 + 3 * FB_NAME_MAX)];
    char name[3 * FB_NAME_MAX];
    size_t len;
    unsigned i;

    len = (size_t)snprintf(buf, sizeof buf, "reboots=%u\r\n", state.reboots);
    for (i = 0; i < state.n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "attempts=%u %s\r\n",
                                state.e[i].attempts,
                                fb_u8(state.e[i].name, name, sizeof name));
    return write_atomic(state_path, buf, len);
}

static struct fb_entry *state_get(const wchar_t *name)
{
    unsigned i;

    for (i = 0; i < state.n; i++)
        if (_wcsicmp(state.e[i].name, name) == 0)
            return &state.e[i];
    if (state.n == FB_MAX_SCRIPTS)
        return NULL;
    wcsncpy(state.e[state.n].name, name, FB_NAME_MAX - 1);
    state.e[state.n].name[FB_NAME_MAX - 1] = L'\0';
    state.e[state.n].attempts = 0;
    return &state.e[state.n++];
}

static void state_drop(const wchar_t *name)
{
    unsigned i;

    for (i = 0; i < state.n; i++)
        if (_wcsicmp(state.e[i].name, name) == 0) {
            state.e[i] = state.e[--state.n];
            return;
        }
}

/* --- the queue ------------------------------------------------------ */

enum kind { K_OTHER, K_CMD, K_PS1 };

static enum kind script_kind(const wchar_t *name)
{
    const wchar_t *dot = wcsrchr(name, L'.');

    if (!dot)
        return K_OTHER;
    if (_wcsicmp(dot, L".bat") == 0 || _wcsicmp(dot, L".cmd") == 0)
        return K_CMD;
    if (_wcsicmp(dot, L".ps1") == 0)
        return K_PS1;
    return K_OTHER;
}

static int name_cmp(const wchar_t *a, const wchar_t *b)
{
    int c = _wcsicmp(a, b);
    return c ? c : wcscmp(a, b);
}

/* The FB_MAX_SCRIPTS first files of DIR in name order into NAMES;
 * *MORE when there were more.  Returns the count, or -1 (logged). */
static int list_dir(const wchar_t *dir, wchar_t (*names)[FB_NAME_MAX],
                    int *more)
{
    wchar_t pat[FB_PATH_MAX];
    char u8[FB_PATH_MAX];
    WIN32_FIND_DATAW fd;
    HANDLE h;
    int n = 0, lo, hi;

    *more = 0;
    if (path_join(pat, FB_PATH_MAX, dir, L"*") < 0)
        return -1;
    h = FindFirstFileW(pat, &fd);
    if (h == INVALID_HANDLE_VALUE) {
        if (GetLastError() == ERROR_FILE_NOT_FOUND)
            return 0;
        fb_log("cannot list %s: error %lu", fb_u8(dir, u8, sizeof u8), GetLastError());
        return -1;
    }
    do {
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        /* Sorted insertion, keeping the smallest FB_MAX_SCRIPTS names. */
        lo = 0;
        hi = n;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (name_cmp(names[mid], fd.cFileName) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (n == FB_MAX_SCRIPTS) {
            *more = 1;
            if (lo == n)
                continue;
            n--;
        }
        memmove(names[lo + 1], names[lo], (size_t)(n - lo) * sizeof names[0]);
        wcsncpy(names[lo], fd.cFileName, FB_NAME_MAX - 1);
        names[lo][FB_NAME_MAX - 1] = L'\0';
        n++;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    return n;
}

struct fb_dirs {
    const wchar_t *top;
    wchar_t queue[FB_PATH_MAX];
    wchar_t done[FB_PATH_MAX];
    wchar_t failed[FB_PATH_MAX];
};

/* Moves NAME from the queue to TO ("done" or "failed"), drops its state
 * and saves it.  0 or -1 (logged). */
static int move_script(const struct fb_dirs *d, const wchar_t *name,
                       const wchar_t *to)
{
    wchar_t src[FB_PATH_MAX], dst[FB_PATH_MAX];
    char u8[FB_PATH_MAX];

    if (path_join(src, FB_PATH_MAX, d->queue, name) < 0 ||
        path_join(dst, FB_PATH_MAX, to, name) < 0 ||
        !MoveFileExW(src, dst, MOVEFILE_REPLACE_EXISTING |
                               MOVEFILE_WRITE_THROUGH)) {
        fb_log("cannot move %s out of scripts: error %lu", fb_u8(name, u8, sizeof u8), GetLastError());
        return -1;
    }
    state_drop(name);
    return state_save();
}

/* Copies a script's output into the log, line by line. */
struct out_lines {
    const char *name;
    char line[FB_LINE_MAX];
    size_t len;
};

static void out_flush(struct out_lines *o)
{
    if (o->len && o->line[o->len - 1] == '\r')
        o->len--;
    o->line[o->len] = '\0';
    fb_log("[%s] %s", o->name, o->line);
    o->len = 0;
}

static void out_feed(struct out_lines *o, const char *buf, DWORD n)
{
    DWORD i;

    for (i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            out_flush(o);
            continue;
        }
        if (o->len == sizeof o->line - 1)
            out_flush(o);
        o->line[o->len++] = buf[i];
    }
}

/* Runs one script, its output into the log.  Returns 0 with *CODE, or -1
 * when it could not be started (logged). */
static int run_script(const struct fb_dirs *d, const wchar_t *name,
                      enum kind kind, const char *u8name, DWORD *code)
{
    static wchar_t cmd[2 * FB_PATH_MAX];
    wchar_t path[FB_PATH_MAX], sys[MAX_PATH];
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE rd = NULL, wr = NULL, nul;
    struct out_lines out;
    char buf[4096];
    UINT ls;
    int r;

    ls = GetSystemDirectoryW(sys, MAX_PATH);
    if (ls == 0 || ls >= MAX_PATH || path_join(path, FB_PATH_MAX, d->queue, name) < 0) {
        fb_log("cannot build the command of %s", u8name);
        return -1;
    }
    if (kind == K_PS1)
        r = _snwprintf(cmd, sizeof cmd / sizeof cmd[0],
                       L"\"%ls\\WindowsPowerShell\\v1.0\\powershell.exe\" -ExecutionPolicy Bypass -NoProfile -NonInteractive -File \"%ls\"",
                       sys, path);
    else
        r = _snwprintf(cmd, sizeof cmd / sizeof cmd[0],
                       L"\"%ls\\cmd.exe\" /c \"\"%ls\"\"", sys, path);
    if (r < 0 || (size_t)r >= sizeof cmd / sizeof cmd[0]) {
        fb_log("the command of %s is too long", u8name);
        return -1;
    }
    if (!CreatePipe(&rd, &wr, &sa, 0) ||
        !SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0)) {
        fb_log("cannot create a pipe: error %lu", GetLastError());
        if (rd) {
            CloseHandle(rd);
            CloseHandle(wr);
        }
        return -1;
    }
    nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                      &sa, OPEN_EXISTING, 0, NULL);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = nul;
    si.hStdOutput = wr;
    si.hStdError = wr;
    /* The working directory is the firstboot directory. */
    if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL,
                        d->top, &si, &pi)) {
        fb_log("cannot start %s: error %lu", u8name, GetLastError());
        CloseHandle(rd);
        CloseHandle(wr);
        if (nul != INVALID_HANDLE_VALUE)
            CloseHandle(nul);
        return -1;
    }
    CloseHandle(wr);
    if (nul != INVALID_HANDLE_VALUE)
        CloseHandle(nul);
    CloseHandle(pi.hThread);

    /* Read while the script runs; once it has exited, take what is left
     * and stop, even if a process it started keeps the pipe open. */
    out.name = u8name;
    out.len = 0;
    for (;;) {
        int exited = WaitForSingleObject(pi.hProcess, 0) == WAIT_OBJECT_0;
        DWORD avail = 0, got;

        if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
            break;                      /* every writer has closed it */
        if (avail > 0) {
            if (!ReadFile(rd, buf, avail < sizeof buf ? avail : sizeof buf,
                          &got, NULL))
                break;
            out_feed(&out, buf, got);
            continue;
        }
        if (exited)
            break;
        WaitForSingleObject(pi.hProcess, 100);
    }
    if (out.len)
        out_flush(&out);
    CloseHandle(rd);
    WaitForSingleObject(pi.hProcess, INFINITE);
    if (!GetExitCodeProcess(pi.hProcess, code))
        *code = 1;
    CloseHandle(pi.hProcess);
    return 0;
}

static wchar_t names[FB_MAX_SCRIPTS][FB_NAME_MAX];

/* Sentinel "complete" or "failed" with a summary; the state is reset
 * (a later queue starts with fresh counts). */
static enum fb_result finish(const struct fb_dirs *d)
{
    static char text[256 + FB_MAX_SCRIPTS * (16 + 3 * FB_NAME_MAX)];
    wchar_t path[FB_PATH_MAX];
    char u8[3 * FB_NAME_MAX];
    int ndone, nfailed, more_done, more_failed, i;
    size_t len;

    ndone = list_dir(d->done, names, &more_done);
    nfailed = list_dir(d->failed, names, &more_failed);
    if (ndone < 0 || nfailed < 0)
        return FB_ERROR;
    len = (size_t)snprintf(text, sizeof text, "v2kvm-firstboot: %s: %d%s scripts succeeded, %d%s failed\r\n",
                           nfailed ? "failed" : "complete",
                           ndone, more_done ? "+" : "", nfailed, more_failed ? "+" : "");
    for (i = 0; i < nfailed; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "failed: %s\r\n",
                                fb_u8(names[i], u8, sizeof u8));
    if (path_join(path, FB_PATH_MAX, d->top, nfailed ? L"complete" : L"failed") == 0)
        DeleteFileW(path);
    if (path_join(path, FB_PATH_MAX, d->top, nfailed ? L"failed" : L"complete") < 0 ||
        write_atomic(path, text, len) < 0)
        return FB_ERROR;
    fb_log("queue empty: %d%s succeeded, %d%s failed; wrote the sentinel \"%s\"",
           ndone, more_done ? "+" : "", nfailed, more_failed ? "+" : "",
           nfailed ? "failed" : "complete");
    state.reboots = 0;
    state.n = 0;
    if (state_save() < 0)
        return FB_ERROR;
    return nfailed ? FB_DONE_FAILED : FB_DONE_OK;
}

static int make_dir(const wchar_t *path)
{
    char u8[FB_PATH_MAX];

    if (CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS)
        return 0;
    fb_log("cannot create %s: error %lu", fb_u8(path, u8, sizeof u8), GetLastError());
    return -1;
}

enum fb_result fb_run(const wchar_t *dir, const struct fb_config *cfg,
                      int *finished)
{
    static struct fb_dirs d;
    char u8[3 * FB_NAME_MAX];
    int n, i, more, pass, reboot_wanted = 0, stop_pass;
    enum fb_result r;

    *finished = 0;
    d.top = dir;
    if (path_join(d.queue, FB_PATH_MAX, dir, L"scripts") < 0 ||
        path_join(d.done, FB_PATH_MAX, dir, L"scripts-done") < 0 ||
        path_join(d.failed, FB_PATH_MAX, dir, L"scripts-failed") < 0) {
        fb_log("the directory's path is too long");
        return FB_ERROR;
    }
    if (make_dir(d.queue) < 0 || make_dir(d.done) < 0 ||
        make_dir(d.failed) < 0 || state_load(dir) < 0)
        return FB_ERROR;
    fb_log("v2kvm-firstboot starts in %s: reboots so far %u (limit %u), attempts per script %u",
           fb_u8(dir, u8, sizeof u8), state.reboots, cfg->max_reboots, cfg->max_attempts);

    /* Passes over the queue until it is empty or a reboot is wanted (a
     * pass that wants none has moved every script it saw; more passes
     * take scripts queued meanwhile or beyond FB_MAX_SCRIPTS). */
    for (pass = 0; !reboot_wanted; pass++) {
        n = list_dir(d.queue, names, &more);
        if (n < 0)
            return FB_ERROR;
        if (n == 0)
            break;
        if (pass == 64) {
            fb_log("still %d scripts after 64 passes: the rest waits for a reboot", n);
            reboot_wanted = 1;
            break;
        }
        for (i = 0, stop_pass = 0; i < n && !stop_pass; i++) {
            const wchar_t *name = names[i];
            enum kind kind = script_kind(name);
            struct fb_entry *e;
            DWORD code;

            fb_u8(name, u8, sizeof u8);
            if (fb_stop_requested) {
                fb_log("stop requested: the remaining scripts wait for the next boot");
                return FB_ERROR;
            }
            if (kind == K_OTHER) {
                fb_log("%s is not a .bat, .cmd or .ps1 script: moved to scripts-failed unrun", u8);
                if (move_script(&d, name, d.failed) < 0)
                    return FB_ERROR;
                continue;
            }
            e = state_get(name);
            if (!e) {
                fb_log("state.txt is full (%d scripts)", FB_MAX_SCRIPTS);
                return FB_ERROR;
            }
            if (e->attempts >= cfg->max_attempts) {
                fb_log("giving up on %s after %u attempts (the last one did not finish)", u8, e->attempts);
                if (move_script(&d, name, d.failed) < 0)
                    return FB_ERROR;
                continue;
            }
            e->attempts++;
            if (state_save() < 0)
                return FB_ERROR;
            fb_log("running %s (attempt %u of %u)", u8, e->attempts, cfg->max_attempts);
            flush_log();
            if (run_script(&d, name, kind, u8, &code) < 0)
                code = 1;               /* as a failure: retried, bounded */
            else
                fb_log("%s exited with code %lu", u8, code);
            flush_log();
            if (code == 0 || code == FB_EXIT_NO_REBOOT) {
                fb_log("%s succeeded", u8);
                if (move_script(&d, name, d.done) < 0)
                    return FB_ERROR;
            } else if (code == FB_EXIT_REBOOT) {
                fb_log("%s succeeded and wants a reboot before the next script", u8);
                if (move_script(&d, name, d.done) < 0)
                    return FB_ERROR;
                reboot_wanted = stop_pass = 1;
            } else if (e->attempts >= cfg->max_attempts) {
                fb_log("giving up on %s after %u attempts, exit code %lu", u8, e->attempts, code);
                if (move_script(&d, name, d.failed) < 0)
                    return FB_ERROR;
            } else if (code == FB_EXIT_RETRY) {
                fb_log("%s asks to be retried after a reboot", u8);
                reboot_wanted = stop_pass = 1;
            } else {
                fb_log("%s failed (exit code %lu): retried at the next boot", u8, code);
                reboot_wanted = 1;
            }
        }
    }

    if (reboot_wanted && state.reboots >= cfg->max_reboots) {
        fb_log("reboot limit reached (%u reboots): giving up on the remaining scripts", state.reboots);
        while ((n = list_dir(d.queue, names, &more)) > 0)
            for (i = 0; i < n; i++) {
                fb_log("giving up on %s: reboot limit reached", fb_u8(names[i], u8, sizeof u8));
                if (move_script(&d, names[i], d.failed) < 0)
                    return FB_ERROR;
            }
        if (n < 0)
            return FB_ERROR;
        reboot_wanted = 0;
    }
    if (reboot_wanted) {
        state.reboots++;
        if (state_save() < 0)
            return FB_ERROR;
        fb_log("reboot requested (reboot %u of at most %u)", state.reboots, cfg->max_reboots);
    }
    n = list_dir(d.queue, names, &more);
    if (n < 0)
        return FB_ERROR;
    if (n == 0) {
        r = finish(&d);
        if (r == FB_ERROR)
            return r;
        *finished = 1;
        if (!reboot_wanted)
            return r;
    }
    flush_log();
    return FB_REBOOT;
}
