/* ssh.c - SSH to the conversion host through ssh(1) (ssh.h). */
#include "ssh.h"
#include "error.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSH_CONNECT_TIMEOUT "15"
#define SSH_ALIVE_INTERVAL "5"
#define SSH_ALIVE_COUNT "3"
#define ASKPASS_ENV "V2K_P2V_ASKPASS_FILE"
#define KEY_MAX (64 * 1024)
#define KEYSCAN_TIMEOUT 30

char *
v2k_p2v_shell_quote(const char *text)
{
    size_t n = 2;
    char *out, *o;

    for (const char *p = text; *p; p++)
        n += *p == '\'' ? 4 : 1;
    out = v2k_malloc(n + 1);
    if (out == NULL)
        return NULL;
    o = out;
    *o++ = '\'';
    for (const char *p = text; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

bool
v2k_p2v_askpass_main(int argc, char **argv, int *rc)
{
    const char *file = getenv(ASKPASS_ENV);
    char *pw;
    size_t n;

    (void)argv;
    if (file == NULL || argc > 2)
        return false;
    *rc = 1;
    pw = v2k_read_file(file, 4096, NULL);
    if (pw == NULL)
        return true;
    n = strcspn(pw, "\r\n");
    if (fwrite(pw, 1, n, stdout) == n && putchar('\n') != EOF &&
        fflush(stdout) == 0)
        *rc = 0;
    explicit_bzero(pw, strlen(pw));
    free(pw);
    return true;
}

/* The https:// identity fetched into dir/identity (0600). */
static char *
fetch_identity(const char *url, const char *dir)
{
    char *path = v2k_asprintf("%s/identity", dir);
    char *err = NULL;
    const char *argv[] = { "curl", "-f", "-s", "-S", "--proto", "=https",
                           "--max-filesize", "65536", "-m", "60", "-o",
                           path, "--", url, NULL };
    int fd, r;

    if (path == NULL)
        return NULL;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        v2k_error_errno(errno, "%s", path);
        free(path);
        return NULL;
    }
    close(fd);
    r = v2k_proc_run(argv, NULL, NULL, 0, NULL, &err, 4096, 90);
    if (r != 0) {
        char line[256];
        if (r > 0)
            v2k_error("identity %s: %s", url,
                      v2k_proc_last_line(err ? err : "", line, sizeof line));
        unlink(path);
        free(path);
        path = NULL;
    }
    free(err);
    return path;
}

/* The SHA256 fingerprint of one known_hosts line ("[h]:p ssh-ed25519
 * AAAA..."), through ssh-keygen -l: "256 SHA256:xxx [h]:p (ED25519)".
 * type (optional) gets "ED25519".  false when ssh-keygen cannot read
 * it. */
static bool
line_fingerprint(const char *line, char *fp, size_t fplen, char *type,
                 size_t typelen)
{
    const char *kg[] = { "ssh-keygen", "-l", "-E", "sha256", "-f", "-",
                         NULL };
    char *out = NULL;
    bool ok = false;

    if (v2k_proc_run(kg, NULL, line, strlen(line), &out, NULL, 4096,
                     30) == 0 && out) {
        const char *f = strchr(out, ' ');
        const char *t = strrchr(out, '(');
        size_t n = f ? strcspn(f + 1, " \n") : 0;

        if (f && n > 7 && n < fplen && strncmp(f + 1, "SHA256:", 7) == 0) {
            snprintf(fp, fplen, "%.*s", (int)n, f + 1);
            if (type)
                snprintf(type, typelen, "%.*s",
                         t ? (int)strcspn(t + 1, ")\n") : 1, t ? t + 1 : "?");
            ok = true;
        }
    }
    free(out);
    return ok;
}

/* ssh-keyscan's lines for host:port (malloc'd), or NULL with a
 * message. */
static char *
keyscan(const char *host, const char *port, const char *where)
{
    const char *scan[] = { "ssh-keyscan", "-T", "15", "-p", port, host,
                           NULL };
    char *keys = NULL;
    int r;

    r = v2k_proc_run(scan, NULL, NULL, 0, &keys, NULL, KEY_MAX,
                     KEYSCAN_TIMEOUT);
    if (r != 0 || keys == NULL || keys[0] == '\0') {
        v2k_error("cannot reach %s to read its host key (ssh-keyscan found none)",
                  where);
        free(keys);
        return NULL;
    }
    return keys;
}

int
v2k_p2v_ssh_scan_hostkeys(const char *host, unsigned port,
                          struct v2k_p2v_hostkey *keys, size_t max,
                          size_t *n)
{
    char portstr[8], *where, *text, *line, *save = NULL;

    *n = 0;
    snprintf(portstr, sizeof portstr, "%u", port ? port : 22);
    where = v2k_asprintf("%s:%s", host, portstr);
    if (where == NULL)
        return -1;
    text = keyscan(host, portstr, where);
    for (line = text ? strtok_r(text, "\n", &save) : NULL; line && *n < max;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (line_fingerprint(line, keys[*n].fp, sizeof keys[*n].fp,
                             keys[*n].type, sizeof keys[*n].type))
            (*n)++;
    }
    if (text && *n == 0)
        v2k_error("%s: ssh-keyscan gave no host key ssh-keygen can read",
                  where);
    free(where);
    free(text);
    return *n ? 0 : -1;
}

/* The key of the host whose fingerprint is fp, from ssh-keyscan, into
 * dir/known_hosts. */
static char *
known_hosts_from_fingerprint(const struct v2k_p2v_ssh *s, const char *host,
                             const char *fp, const char *dir)
{
    char *keys, *path = NULL, *match = NULL;
    char *line, *save = NULL;

    keys = keyscan(host, s->port, s->where);
    if (keys == NULL)
        goto out;
    for (line = strtok_r(keys, "\n", &save); line && !match;
         line = strtok_r(NULL, "\n", &save)) {
        char lfp[128];

        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (line_fingerprint(line, lfp, sizeof lfp, NULL, 0) &&
            strcmp(lfp, fp) == 0)
            match = v2k_strdup(line);
    }
    if (match == NULL) {
        v2k_error("the host key of %s does not match %s: refusing to connect (someone may be in the way, or the fingerprint is wrong)", s->where, fp);
        goto out;
    }
    path = v2k_asprintf("%s/known_hosts", dir);
    if (path) {
        FILE *f = fopen(path, "we");
        if (f == NULL || fprintf(f, "%s\n", match) < 0 || fclose(f) != 0) {
            v2k_error_errno(errno, "%s", path);
            free(path);
            path = NULL;
        }
    }
out:
    free(keys);
    free(match);
    return path;
}

int
v2k_p2v_ssh_init(struct v2k_p2v_ssh *s, const struct v2k_p2v_config *c,
                 const char *dir)
{
    char self[4096];
    ssize_t n;

    memset(s, 0, sizeof *s);
    s->dir = (char *)dir;
    snprintf(s->port, sizeof s->port, "%u", c->port ? c->port : 22);
    s->target = v2k_asprintf("%s@%s", c->user ? c->user : "root", c->server);
    s->where = v2k_asprintf("%s:%s", c->server, s->port);
    if (s->target == NULL || s->where == NULL)
        goto fail;
    if (c->hostkey) {
        s->known_hosts = known_hosts_from_fingerprint(s, c->server,
                                                      c->hostkey, dir);
        if (s->known_hosts == NULL)
            goto fail;
    } else {
        const char *home = getenv("HOME");
        s->known_hosts = c->known_hosts
                             ? v2k_strdup(c->known_hosts)
                             : v2k_asprintf("%s/.ssh/known_hosts",
                                            home ? home : "/root");
        if (s->known_hosts == NULL)
            goto fail;
        if (access(s->known_hosts, R_OK) != 0) {
            v2k_error("%s: cannot read it (%s), so the host key of %s cannot be checked: give --hostkey SHA256:... (ssh-keygen -lf on the host's key)", s->known_hosts, strerror(errno), s->where);
            goto fail;
        }
    }
    if (c->identity && strncmp(c->identity, "https://", 8) == 0) {
        s->identity = fetch_identity(c->identity, dir);
        if (s->identity == NULL)
            goto fail;
    } else if (c->identity) {
        if (access(c->identity, R_OK) != 0) {
            v2k_error_errno(errno, "identity %s", c->identity);
            goto fail;
        }
        s->identity = v2k_strdup(c->identity);
        if (s->identity == NULL)
            goto fail;
    }
    if (c->password_file) {
        if (access(c->password_file, R_OK) != 0) {
            v2k_error_errno(errno, "password file %s", c->password_file);
            goto fail;
        }
        s->password_file = v2k_strdup(c->password_file);
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (s->password_file == NULL || n <= 0)
            goto fail;
        self[n] = '\0';
        s->askpass = v2k_strdup(self);
        if (s->askpass == NULL)
            goto fail;
    }
    return 0;
fail:
    v2k_p2v_ssh_free(s);
    return -1;
}

void
v2k_p2v_ssh_free(struct v2k_p2v_ssh *s)
{
    free(s->target);
    free(s->where);
    free(s->known_hosts);
    free(s->identity);
    free(s->password_file);
    free(s->askpass);
    memset(s, 0, sizeof *s);
}

char **
v2k_p2v_ssh_argv(const struct v2k_p2v_ssh *s, const char *const *extra,
                 const char *cmd)
{
    char **v = v2k_calloc(64, sizeof *v);
    size_t n = 0;

#define ADD(x)                                                          \
    do {                                                                \
        if (n < 62 && (v[n] = v2k_strdup(x)) != NULL)                   \
            n++;                                                        \
        else                                                            \
            goto fail;                                                  \
    } while (0)
#define OPT(x) do { ADD("-o"); ADD(x); } while (0)
    if (v == NULL)
        return NULL;
    ADD("ssh");
    ADD("-F");
    ADD("none");
    ADD("-p");
    ADD(s->port);
    OPT("StrictHostKeyChecking=yes");
    ADD("-o");
    {
        char *o = v2k_asprintf("UserKnownHostsFile=%s", s->known_hosts);
        if (o == NULL)
            goto fail;
        v[n++] = o;
    }
    ADD("-o");
    ADD("GlobalKnownHostsFile=/dev/null");
    OPT("ConnectTimeout=" SSH_CONNECT_TIMEOUT);
    OPT("ServerAliveInterval=" SSH_ALIVE_INTERVAL);
    OPT("ServerAliveCountMax=" SSH_ALIVE_COUNT);
    OPT("LogLevel=ERROR");
    if (s->password_file) {
        OPT("BatchMode=no");
        OPT("PreferredAuthentications=password,keyboard-interactive");
        OPT("NumberOfPasswordPrompts=1");
        OPT("PubkeyAuthentication=no");
    } else {
        OPT("BatchMode=yes");
        if (s->identity) {
            OPT("IdentitiesOnly=yes");
            OPT("PreferredAuthentications=publickey");
            ADD("-i");
            ADD(s->identity);
        }
    }
    for (size_t i = 0; extra && extra[i]; i++)
        ADD(extra[i]);
    ADD(s->target);
    if (cmd) {
        ADD("--");
        ADD(cmd);
    }
    return v;
#undef ADD
#undef OPT
fail:
    v2k_p2v_ssh_argv_free(v);
    return NULL;
}

void
v2k_p2v_ssh_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

const char *const *
v2k_p2v_ssh_env(const struct v2k_p2v_ssh *s)
{
    static __thread char askpass[4200], file[4200];
    static __thread const char *env[5];

    if (s->password_file == NULL)
        return NULL;
    snprintf(askpass, sizeof askpass, "SSH_ASKPASS=%s", s->askpass);
    snprintf(file, sizeof file, ASKPASS_ENV "=%s", s->password_file);
    env[0] = askpass;
    env[1] = "SSH_ASKPASS_REQUIRE=force";
    env[2] = file;
    env[3] = "DISPLAY=none";
    env[4] = NULL;
    return env;
}

void
v2k_p2v_ssh_error(const struct v2k_p2v_ssh *s, const char *text)
{
    char line[512];

    v2k_proc_last_line(text ? text : "", line, sizeof line);
    if (strstr(text, "Permission denied"))
        v2k_error("ssh %s (port %s): permission denied: wrong %s", s->target,
                  s->port,
                  s->password_file ? "password" : "key, or the key is not in the host's authorized_keys");
    else if (strstr(text, "Host key verification failed") ||
             strstr(text, "IDENTIFICATION HAS CHANGED") ||
             strstr(text, "host key is known"))
        v2k_error("the host key of %s is not the one in %s: refusing to connect (check the host, or give --hostkey SHA256:...)", s->where, s->known_hosts);
    else if (strstr(text, "Connection refused") ||
             strstr(text, "No route to host") ||
             strstr(text, "timed out") ||
             strstr(text, "Could not resolve") ||
             strstr(text, "Network is unreachable") ||
             strstr(text, "Connection closed") ||
             strstr(text, "Connection reset"))
        v2k_error("cannot reach %s: %s", s->where, line);
    else
        v2k_error("ssh %s: %s", s->where, line[0] ? line : "failed");
}

int
v2k_p2v_ssh_run(const struct v2k_p2v_ssh *s, const char *cmd, const char *in,
                size_t len, char **out, char **errout, unsigned timeout_s)
{
    char **argv = v2k_p2v_ssh_argv(s, NULL, cmd);
    char *err = NULL;
    int r;

    if (errout)
        *errout = NULL;
    if (argv == NULL)
        return -1;
    r = v2k_proc_run((const char *const *)argv, v2k_p2v_ssh_env(s), in, len,
                     out, &err, 1 << 20, timeout_s);
    v2k_p2v_ssh_argv_free(argv);
    if (r == 255) {
        v2k_p2v_ssh_error(s, err ? err : "");
        r = -1;
        if (out) {
            free(*out);
            *out = NULL;
        }
    }
    if (errout) {
        *errout = err;
        err = NULL;
    }
    free(err);
    return r;
}
