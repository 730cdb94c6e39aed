/* win-stub.c - a stand-in Windows program for the first-boot script
 * tests (tests/drivers-inject/test-windows-firstboot-scripts.sh), built
 * by mingw-w64 and copied under the names the scripts call: pnputil.exe,
 * msiexec.exe, blnsvr.exe, uninst.exe, _uninst.exe...
 *
 * Its name (the file's, without .exe, lower-cased) says what it plays.
 * Its files are in the directory %V2K_STUB_DIR% (default C:\v2k-stub):
 *   log.txt     each call appends a line "NAME ARGS" (ARGS: the command
 *               line as the caller wrote it, program name removed)
 *   codes.txt   rules, one a line: "NAME PATTERN CODE [TIMES]"; the
 *               first rule whose NAME is this program's and whose
 *               PATTERN ("*", or a case-insensitive substring of ARGS)
 *               matches gives the exit code; with TIMES, the rule
 *               applies to its first TIMES matching calls only (then the
 *               next rules are tried): "pnputil vioscsi.inf 5 2" fails
 *               twice, then a later rule (or 0) applies.  No rule: 0.
 *   count-N.txt the number of calls rule N (its line number) has taken
 * It also says on stdout what it was called with and what it returns.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static char dir[MAX_PATH];

static void
lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The command line without the program name (quoted or not). */
static const char *
args_of(const char *cl)
{
    if (*cl == '"') {
        cl = strchr(cl + 1, '"');
        cl = cl ? cl + 1 : "";
    } else {
        while (*cl && *cl != ' ' && *cl != '\t')
            cl++;
    }
    while (*cl == ' ' || *cl == '\t')
        cl++;
    return cl;
}

/* The count of rule N, then stored as count + 1 if BUMP. */
static long
counter(int n, int bump)
{
    char path[MAX_PATH + 32];
    long c = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s\\count-%d.txt", dir, n);
    f = fopen(path, "r");
    if (f) {
        char buf[32];
        if (fgets(buf, sizeof buf, f))
            c = strtol(buf, NULL, 10);
        fclose(f);
    }
    if (bump) {
        f = fopen(path, "w");
        if (f) {
            fprintf(f, "%ld\n", c + 1);
            fclose(f);
        }
    }
    return c;
}

static int
exit_code(const char *name, const char *args)
{
    char path[MAX_PATH + 32], buf[1024], largs[8192];
    FILE *f;
    int n = 0, code = 0;

    snprintf(largs, sizeof largs, "%s", args);
    lower(largs);
    snprintf(path, sizeof path, "%s\\codes.txt", dir);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(buf, sizeof buf, f)) {
        char *fld[4] = { NULL, NULL, NULL, NULL }, *p = buf;
        int k = 0;

        n++;
        while (k < 4) {
            while (*p && isspace((unsigned char)*p))
                p++;
            if (*p == '\0')
                break;
            fld[k++] = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
            if (*p)
                *p++ = '\0';
        }
        if (k < 3 || fld[0][0] == '#')
            continue;
        lower(fld[0]);
        lower(fld[1]);
        if (strcmp(fld[0], name) != 0 ||
            (strcmp(fld[1], "*") != 0 && strstr(largs, fld[1]) == NULL))
            continue;
        if (k == 4) {
            if (counter(n, 0) >= strtol(fld[3], NULL, 10))
                continue;
            counter(n, 1);
        }
        code = (int)strtol(fld[2], NULL, 10);
        break;
    }
    fclose(f);
    return code;
}

int
main(void)
{
    char self[MAX_PATH], path[MAX_PATH + 32], *name, *dot;
    const char *args = args_of(GetCommandLineA());
    DWORD l;
    FILE *f;
    int code;

    l = GetEnvironmentVariableA("V2K_STUB_DIR", dir, sizeof dir);
    if (l == 0 || l >= sizeof dir)
        snprintf(dir, sizeof dir, "C:\\v2k-stub");
    l = GetModuleFileNameA(NULL, self, sizeof self);
    if (l == 0 || l >= sizeof self)
        return 99;
    name = strrchr(self, '\\');
    name = name ? name + 1 : self;
    dot = strrchr(name, '.');
    if (dot)
        *dot = '\0';
    lower(name);

    code = exit_code(name, args);
    snprintf(path, sizeof path, "%s\\log.txt", dir);
    f = fopen(path, "a");
    if (f == NULL)
        return 98;
    fprintf(f, "%s %s\n", name, args);
    fclose(f);
    printf("stub %s: %s -> %d\n", name, args, code);
    fflush(stdout);
    return code;
}
