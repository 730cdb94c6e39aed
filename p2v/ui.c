/* ui.c - the P2V client's text UI through whiptail or dialog (ui.h). */
#include "ui.h"
#include "error.h"
#include "log.h"
#include "proc.h"
#include "ssh.h"
#include "util.h"
#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ANSWER_MAX 4096         /* one box's answer */
#define ARGS_MAX 320            /* a checklist of 64 disks x 3, and more */
#define HOSTKEYS_MAX 8

/* The boxes' exit status (whiptail(1), dialog(1)). */
#define BOX_OK 0
#define BOX_CANCEL 1
#define BOX_ESC 255

enum step {
    S_SERVER, S_PORT, S_USER, S_AUTH, S_AUTHVAL, S_HOSTKEY, S_DISKS,
    S_O, S_OS, S_OF, S_NAME, S_CONFIRM, S_END
};

enum auth { AUTH_KEY, AUTH_PASSWORD, AUTH_AGENT };

/* What a screen asks next. */
enum move { NEXT, BACK, AGAIN, QUIT, FAIL };

struct ui {
    const struct v2k_p2v_ui_args *a;
    struct v2k_p2v_config *c;
    const char *prog;           /* "whiptail" or "dialog" */
    bool dialog;
    int tty_out;                /* the terminal, kept while the gauge runs */
    int width;
    enum auth auth;
    bool pinned;                /* hostkey set by this UI, not given */
    bool user_hostkey;          /* hostkey or known_hosts given */
    char *user_pwfile;          /* a password file given (owned) */
    char dir[64];               /* private directory for the password */
    char *pwfile;               /* our password file (owned) */
    int gauge_fd;               /* the gauge's stdin, or -1 */
    pid_t gauge;
    char glabel[64];
};

/* Append to buf (len bytes) at *off, never past its end. */
static void appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void
appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*off >= len - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *off, len - *off, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off = *off + (size_t)n < len - 1 ? *off + (size_t)n : len - 1;
}

/* --- running the box program ------------------------------------------ */

/* Is prog in PATH? */
static bool
in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char *dirs = v2k_strdup(path && *path ? path : "/usr/bin:/bin");
    char *save = NULL;
    bool found = false;

    if (dirs == NULL)
        return false;
    for (char *d = strtok_r(dirs, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *f = v2k_asprintf("%s/%s", d, prog);
        found = f && access(f, X_OK) == 0;
        free(f);
    }
    free(dirs);
    return found;
}

/* The label option for a button: whiptail says --ok-button, dialog
 * --ok-label. */
static const char *
button(const struct ui *u, const char *which)
{
    static const char *const w[][3] = {
        { "ok", "--ok-button", "--ok-label" },
        { "cancel", "--cancel-button", "--cancel-label" },
        { "yes", "--yes-button", "--yes-label" },
        { "no", "--no-button", "--no-label" },
    };
    for (size_t i = 0; i < V2K_ARRAY_SIZE(w); i++)
        if (strcmp(w[i][0], which) == 0)
            return w[i][u->dialog ? 2 : 1];
    return "--ok-button";
}

/* Run the box program with the common options and args (NULL-ended):
 * the screen on the terminal, its answer (stderr) into *answer (owned,
 * optional).  Its exit status: BOX_OK, BOX_CANCEL (Cancel, No), BOX_ESC;
 * -1 with a message when it did not run. */
static int
box(struct ui *u, const char *title, char **answer, const char *const *args)
{
    const char *argv[ARGS_MAX + 8];
    char *buf = NULL;
    size_t n = 0, len = 0;
    int p[2], st, r = -1;
    pid_t pid;

    if (answer)
        *answer = NULL;
    argv[n++] = u->prog;
    argv[n++] = "--backtitle";
    argv[n++] = "v2kvm-p2v " V2K_VERSION ": this machine to a KVM guest";
    argv[n++] = "--title";
    argv[n++] = title;
    for (size_t i = 0; args[i] && n < V2K_ARRAY_SIZE(argv) - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe2(p, O_CLOEXEC) == -1) {
        v2k_error_errno(errno, "pipe");
        return -1;
    }
    pid = v2k_proc_spawn(argv, NULL, STDIN_FILENO, u->tty_out, p[1]);
    close(p[1]);
    if (pid == -1) {
        close(p[0]);
        return -1;
    }
    for (;;) {
        char tmp[512];
        ssize_t k = read(p[0], tmp, sizeof tmp);
        if (k == -1 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (len + (size_t)k < ANSWER_MAX) {
            char *b = realloc(buf, len + (size_t)k + 1);
            if (b == NULL)
                continue;
            buf = b;
            memcpy(buf + len, tmp, (size_t)k);
            len += (size_t)k;
            buf[len] = '\0';
        }
        explicit_bzero(tmp, sizeof tmp);
    }
    close(p[0]);
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(st))
        r = WEXITSTATUS(st);
    if (r == 127 || r == -1) {
        v2k_error("%s did not run (exit %d)", u->prog, r);
        r = -1;
    }
    if (answer && r >= 0) {
        *answer = buf ? buf : v2k_strdup("");
        buf = NULL;
    }
    if (buf) {
        explicit_bzero(buf, len);
        free(buf);
    }
    return r;
}

static void
msgbox(struct ui *u, const char *title, const char *text)
{
    char w[16];
    snprintf(w, sizeof w, "%d", u->width);
    box(u, title, NULL,
        (const char *const[]){ "--msgbox", text, "14", w, NULL });
}

/* The last error in a box: the one line, the same screen again. */
static enum move
show_error(struct ui *u, const char *title)
{
    char text[V2K_ERROR_MAX + 8];

    snprintf(text, sizeof text, "%s", v2k_error_message());
    msgbox(u, title, text);
    return AGAIN;
}

/* Cancel or Esc: back one screen, or out from the first one. */
static enum move
cancelled(enum step s)
{
    if (s == S_SERVER) {
        v2k_error("cancelled at the first screen: nothing was started on the conversion host");
        return QUIT;
    }
    return BACK;
}

/* --- the settings ------------------------------------------------------- */

/* A text field of the config: shown with its value (or the default),
 * set through v2k_p2v_config_set; an empty answer restores the
 * default. */
struct field {
    enum step step;
    const char *key;            /* config_set's key */
    const char *title;          /* the screen, also "where" in messages */
    const char *prompt;
    const char *dflt;           /* shown when unset */
};

static const struct field fields[] = {
    { S_SERVER, "server", "conversion host",
      "The conversion host runs v2kvm and sshd.\n\nIts name or address:",
      "" },
    { S_PORT, "port", "conversion host", "Its SSH port:", "22" },
    { S_USER, "user", "conversion host",
      "The user to log in as (one who can run v2kvm there):", "root" },
    { S_O, "o", "output",
      "v2kvm's output mode on the host (-o: local, libvirt, qemu...):",
      "local" },
    { S_OS, "os", "output",
      "Where the output goes on the host (-os: a directory for -o local):",
      "/var/tmp" },
    { S_OF, "of", "output", "The disks' format (-of: qcow2 or raw):",
      "qcow2" },
    { S_NAME, "name", "output", "The guest's name:", "p2v" },
};

/* The current value of a field as text, into buf. */
static const char *
field_value(const struct ui *u, const struct field *f, char *buf,
            size_t len)
{
    const struct v2k_p2v_config *c = u->c;
    const char *v = NULL;

    if (strcmp(f->key, "port") == 0) {
        if (c->port) {
            snprintf(buf, len, "%u", c->port);
            return buf;
        }
    } else if (strcmp(f->key, "server") == 0)
        v = c->server;
    else if (strcmp(f->key, "user") == 0)
        v = c->user;
    else if (strcmp(f->key, "o") == 0)
        v = c->output;
    else if (strcmp(f->key, "os") == 0)
        v = c->output_storage;
    else if (strcmp(f->key, "of") == 0)
        v = c->output_format;
    else if (strcmp(f->key, "name") == 0) {
        v = c->name;
        /* the name the run would take: the host name, else "p2v" */
        if (v == NULL && v2k_p2v_config_good_name(u->a->m->hostname))
            v = u->a->m->hostname;
    }
    snprintf(buf, len, "%s", v ? v : f->dflt);
    return buf;
}

/* Unset a field (its default applies). */
static void
field_clear(struct ui *u, const struct field *f)
{
    struct v2k_p2v_config *c = u->c;
    char **p = NULL;

    if (strcmp(f->key, "port") == 0)
        c->port = 0;
    else if (strcmp(f->key, "user") == 0)
        p = &c->user;
    else if (strcmp(f->key, "o") == 0)
        p = &c->output;
    else if (strcmp(f->key, "os") == 0)
        p = &c->output_storage;
    else if (strcmp(f->key, "of") == 0)
        p = &c->output_format;
    else if (strcmp(f->key, "name") == 0)
        p = &c->name;
    if (p) {
        free(*p);
        *p = NULL;
    }
}

/* The answer without the line end whiptail may add. */
static void
chomp(char *s)
{
    s[strcspn(s, "\n")] = '\0';
}

static enum move
field_screen(struct ui *u, const struct field *f)
{
    char cur[512], w[16];
    char *ans = NULL;
    enum move mv;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    field_value(u, f, cur, sizeof cur);
    r = box(u, f->title, &ans,
            (const char *const[]){ button(u, "cancel"),
                                   f->step == S_SERVER ? "Quit" : "Back",
                                   "--inputbox", f->prompt, "12", w, cur,
                                   NULL });
    if (r == -1)
        return FAIL;
    if (r != BOX_OK) {
        free(ans);
        return cancelled(f->step);
    }
    chomp(ans);
    if (ans[0] == '\0' && strcmp(f->key, "server") != 0) {
        field_clear(u, f);
        mv = NEXT;
    } else if (v2k_p2v_config_set(u->c, f->key, ans, f->title) == -1)
        mv = show_error(u, f->title);
    else
        mv = NEXT;
    free(ans);
    return mv;
}

/* --- how to log in ------------------------------------------------------ */

static void
drop_password(struct ui *u)
{
    if (u->pwfile) {
        unlink(u->pwfile);
        free(u->pwfile);
        u->pwfile = NULL;
    }
    free(u->c->password_file);
    u->c->password_file = NULL;
}

static enum move
auth_screen(struct ui *u)
{
    static const char *const tags[] = { "key", "password", "agent" };
    char w[16];
    char *ans = NULL;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    r = box(u, "login", &ans,
            (const char *const[]){
                button(u, "cancel"), "Back", "--default-item",
                tags[u->auth], "--menu", "How to log in to the conversion host:",
                "12", w, "3",
                "key", "a private key: a file here, or an https:// URL",
                "password", "a password (typed on the next screen)",
                "agent", "ssh-agent, or the keys in ~/.ssh",
                NULL });
    if (r == -1)
        return FAIL;
    if (r != BOX_OK) {
        free(ans);
        return BACK;
    }
    chomp(ans);
    for (size_t i = 0; i < V2K_ARRAY_SIZE(tags); i++)
        if (strcmp(ans, tags[i]) == 0)
            u->auth = (enum auth)i;
    free(ans);
    if (u->auth == AUTH_AGENT) {
        drop_password(u);
        free(u->c->identity);
        u->c->identity = NULL;
    }
    return NEXT;
}

static enum move
key_screen(struct ui *u)
{
    char w[16];
    char *ans = NULL;
    enum move mv = NEXT;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    r = box(u, "login", &ans,
            (const char *const[]){
                button(u, "cancel"), "Back", "--inputbox",
                "The private key: a file on this machine, or an https:// URL (fetched once):",
                "12", w, u->c->identity ? u->c->identity : "", NULL });
    if (r == -1)
        return FAIL;
    if (r != BOX_OK) {
        free(ans);
        return BACK;
    }
    chomp(ans);
    if (ans[0] == '\0') {
        v2k_error("login: give a key file or an https:// URL (or choose another way to log in)");
        mv = show_error(u, "login");
    } else if (strncmp(ans, "https://", 8) != 0 && access(ans, R_OK) != 0) {
        /* as ssh.c says it at the start of the transfer, but now */
        v2k_error_errno(errno, "identity %s", ans);
        mv = show_error(u, "login");
    } else if (v2k_p2v_config_set(u->c, "identity", ans, "login") == -1)
        mv = show_error(u, "login");
    else
        drop_password(u);
    free(ans);
    return mv;
}

/* The password into our private file; the setting names it. */
static int
save_password(struct ui *u, const char *pw)
{
    int fd;

    if (u->dir[0] == '\0') {
        snprintf(u->dir, sizeof u->dir, "%s", "/tmp/v2kvm-p2v-ui.XXXXXX");
        if (mkdtemp(u->dir) == NULL) {
            v2k_error_errno(errno, "mkdtemp /tmp");
            u->dir[0] = '\0';
            return -1;
        }
    }
    drop_password(u);
    u->pwfile = v2k_asprintf("%s/password", u->dir);
    if (u->pwfile == NULL)
        return -1;
    fd = open(u->pwfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1 || write(fd, pw, strlen(pw)) != (ssize_t)strlen(pw) ||
        write(fd, "\n", 1) != 1) {
        v2k_error_errno(errno, "%s", u->pwfile);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return v2k_p2v_config_set(u->c, "password_file", u->pwfile, "login");
}

static enum move
password_screen(struct ui *u)
{
    char w[16], prompt[512];
    char *ans = NULL;
    enum move mv = NEXT;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    /* A password file given with the options stays the default. */
    if (u->user_pwfile)
        snprintf(prompt, sizeof prompt, "The password of %s (empty: the one in %s):", u->c->user ? u->c->user : "root", u->user_pwfile);
    else
        snprintf(prompt, sizeof prompt, "The password of %s on %s:",
                 u->c->user ? u->c->user : "root", u->c->server);
    r = box(u, "login", &ans,
            (const char *const[]){ button(u, "cancel"), "Back",
                                   "--passwordbox", prompt, "10", w, NULL });
    if (r == -1)
        return FAIL;
    if (r != BOX_OK) {
        if (ans) {
            explicit_bzero(ans, strlen(ans));
            free(ans);
        }
        return BACK;
    }
    chomp(ans);
    if (ans[0] == '\0' && u->user_pwfile) {
        drop_password(u);
        if (v2k_p2v_config_set(u->c, "password_file", u->user_pwfile,
                               "login") == -1)
            mv = show_error(u, "login");
    } else if (ans[0] == '\0') {
        v2k_error("login: an empty password");
        mv = show_error(u, "login");
    } else if (save_password(u, ans) == -1)
        mv = show_error(u, "login");
    explicit_bzero(ans, strlen(ans));
    free(ans);
    if (mv == NEXT) {
        free(u->c->identity);
        u->c->identity = NULL;
    }
    return mv;
}

/* --- the host key ------------------------------------------------------- */

static enum move
hostkey_screen(struct ui *u)
{
    struct v2k_p2v_hostkey keys[HOSTKEYS_MAX];
    const struct v2k_p2v_hostkey *k;
    char w[16], text[2048], where[300], lower[16];
    size_t n = 0;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    snprintf(where, sizeof where, "%s port %u", u->c->server,
             u->c->port ? u->c->port : 22);
    snprintf(text, sizeof text, "Reading the host key of %s...", where);
    box(u, "host key", NULL,
        (const char *const[]){ "--infobox", text, "8", w, NULL });
    if (u->pinned) {            /* the host may have changed: ask again */
        free(u->c->hostkey);
        u->c->hostkey = NULL;
        u->pinned = false;
    }
    if (v2k_p2v_ssh_scan_hostkeys(u->c->server, u->c->port, keys,
                                  HOSTKEYS_MAX, &n) == -1) {
        show_error(u, "host key");
        return BACK;
    }
    /* ED25519 first: every OpenSSH since 6.5 has one, and it is the key
     * the admin is told to look at. */
    k = &keys[0];
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].type, "ED25519") == 0)
            k = &keys[i];
    for (size_t i = 0; i < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)k->type[i]);
    lower[sizeof lower - 1] = '\0';
    snprintf(text, sizeof text,
             "The conversion host %s shows this %s host key:\n\n"
             "  %s\n\n"
             "Compare it with the host's own key: on the host, run\n"
             "  ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub\n\n"
             "The same? Yes trusts this key for this run only.",
             where, k->type, k->fp, lower);
    r = box(u, "host key", NULL,
            (const char *const[]){ button(u, "yes"), "Yes, the same",
                                   button(u, "no"), "No, back",
                                   "--defaultno", "--yesno", text, "16", w,
                                   NULL });
    if (r == -1)
        return FAIL;
    if (r != BOX_OK)
        return BACK;
    if (v2k_p2v_config_set(u->c, "hostkey", k->fp, "host key") == -1)
        return show_error(u, "host key");
    u->pinned = true;
    return NEXT;
}

/* --- the disks ---------------------------------------------------------- */

static bool
selected(const struct v2k_p2v_config *c, const struct v2k_p2v_disk *d)
{
    if (c->disks == NULL)
        return true;
    for (size_t i = 0; c->disks[i]; i++)
        if (strcmp(c->disks[i], d->name) == 0 ||
            strcmp(c->disks[i], d->kname) == 0)
            return true;
    return false;
}

static enum move
disks_screen(struct ui *u)
{
    const struct v2k_p2v_machine *m = u->a->m;
    const char *args[ARGS_MAX];
    char *items[64];
    char names_buf[64][128];
    const char *names[64];
    char text[2048], w[16], h[16], lh[16];
    char *ans = NULL, *list = NULL;
    size_t n = 0, nsel = 0, a = 0, off = 0;
    unsigned lines = 3;
    enum move mv = NEXT;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    appendf(text, sizeof text, &off, "%s",
            "The disks to copy (Space selects, Enter goes on):");
    for (size_t i = 0; i < m->ndisks; i++) {
        const struct v2k_p2v_disk *d = &m->disks[i];
        char name[128], why[256];
        if (d->state == V2K_P2V_OFFERED)
            continue;
        if (lines == 3) {
            appendf(text, sizeof text, &off, "\n%s", "Not offered:");
            lines++;
        }
        if (lines < 9)
            appendf(text, sizeof text, &off, "\n  %s: %s",
                    v2k_log_escape(d->name, name, sizeof name),
                    v2k_log_escape(d->reason, why, sizeof why));
        else if (lines == 9)
            appendf(text, sizeof text, &off, "\n  %s",
                    "... (v2kvm-p2v --list shows all)");
        if (lines <= 9)
            lines++;
    }
    args[a++] = button(u, "cancel");
    args[a++] = "Back";
    args[a++] = "--separate-output";
    args[a++] = "--checklist";
    args[a++] = text;
    args[a++] = h;
    args[a++] = w;
    args[a++] = lh;
    for (size_t i = 0; i < m->ndisks && n < V2K_ARRAY_SIZE(items); i++) {
        const struct v2k_p2v_disk *d = &m->disks[i];
        char size[32], model[128], rel[256];
        if (d->state != V2K_P2V_OFFERED)
            continue;
        v2k_log_escape(d->model, model, sizeof model);
        v2k_log_escape(d->relation, rel, sizeof rel);
        items[n] = v2k_asprintf("%9s  %s%s%s",
                                v2k_human_size(d->size_bytes, size,
                                               sizeof size),
                                *model ? model : "-", *rel ? "; " : "", rel);
        if (items[n] == NULL) {
            mv = FAIL;
            goto out;
        }
        args[a++] = d->name;
        args[a++] = items[n++];
        args[a++] = selected(u->c, d) ? "ON" : "OFF";
    }
    args[a] = NULL;
    if (n == 0) {
        v2k_error("no disk is offered on this machine (see v2kvm-p2v --list)");
        msgbox(u, "disks", v2k_error_message());
        mv = FAIL;
        goto out;
    }
    snprintf(lh, sizeof lh, "%zu", n < 8 ? n : 8);
    snprintf(h, sizeof h, "%u", (unsigned)(n < 8 ? n : 8) + lines + 6);
    r = box(u, "disks", &ans, args);
    if (r == -1) {
        mv = FAIL;
        goto out;
    }
    if (r != BOX_OK) {
        mv = BACK;
        goto out;
    }
    for (char *save = NULL, *t = strtok_r(ans, "\n\" ", &save);
         t && nsel < V2K_ARRAY_SIZE(names); t = strtok_r(NULL, "\n\" ", &save)) {
        snprintf(names_buf[nsel], sizeof names_buf[nsel], "%s", t);
        names[nsel] = names_buf[nsel];
        nsel++;
    }
    if (v2k_p2v_check_selection(m, names, nsel) == -1) {
        mv = show_error(u, "disks");
        goto out;
    }
    for (size_t i = 0; i < nsel; i++) {
        char *l = v2k_asprintf("%s%s%s", list ? list : "", list ? "," : "",
                               names[i]);
        free(list);
        list = l;
        if (list == NULL) {
            mv = FAIL;
            goto out;
        }
    }
    if (v2k_p2v_config_set(u->c, "disks", list, "disks") == -1)
        mv = show_error(u, "disks");
out:
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(ans);
    free(list);
    return mv;
}

/* --- the summary -------------------------------------------------------- */

static enum move
confirm_screen(struct ui *u)
{
    const struct v2k_p2v_config *c = u->c;
    char text[4096], w[16], name[256], disks[1024] = "";
    size_t off = 0;
    int r;

    snprintf(w, sizeof w, "%d", u->width);
    for (size_t i = 0; c->disks && c->disks[i]; i++)
        appendf(disks, sizeof disks, &off, "%s%s", i ? ", " : "",
                c->disks[i]);
    snprintf(text, sizeof text,
             "Conversion host  %s port %u, user %s\n"
             "Login            %s%s\n"
             "Host key         %s%s\n"
             "Disks            %s\n"
             "Output           -o %s -os %s -of %s\n"
             "Guest name       %s\n\n"
             "The disks are read, never written. Convert now?",
             c->server, c->port ? c->port : 22, c->user ? c->user : "root",
             c->identity ? "key " : c->password_file ? "password" :
                                    "ssh-agent or ~/.ssh keys",
             c->identity ? c->identity : "",
             c->hostkey ? c->hostkey : c->known_hosts ? "as in " : "",
             c->hostkey ? "" : c->known_hosts ? c->known_hosts : "",
             disks[0] ? disks : "every offered disk",
             c->output ? c->output : "local",
             c->output_storage ? c->output_storage : "/var/tmp",
             c->output_format ? c->output_format : "qcow2",
             v2k_log_escape(c->name ? c->name : "(the host name)", name,
                            sizeof name));
    r = box(u, "summary", NULL,
            (const char *const[]){ button(u, "yes"), "Convert",
                                   button(u, "no"), "Back", "--yesno", text,
                                   "16", w, NULL });
    if (r == -1)
        return FAIL;
    return r == BOX_OK ? NEXT : BACK;
}

/* --- the transfer ------------------------------------------------------- */

static void
gauge_write(struct ui *u, int percent, const char *text)
{
    char buf[1024];
    int n;

    if (u->gauge_fd < 0)
        return;
    n = snprintf(buf, sizeof buf, "XXX\n%d\n%s\nXXX\n", percent, text);
    if (n > 0 && write(u->gauge_fd, buf, (size_t)n) != n) {
        close(u->gauge_fd);     /* the gauge is gone: the copy goes on */
        u->gauge_fd = -1;
    }
}

/* session.h's progress: one disk's percentage, its rate and time left. */
static void
on_progress(void *arg, const char *label, double done, double total,
            double rate)
{
    struct ui *u = arg;
    char text[512], eta[32] = "", lab[128];
    int pct = total > 0 ? (int)(100.0 * done / total) : 0;

    if (rate > 0 && total > done) {
        unsigned left = (unsigned)((total - done) / rate);
        snprintf(eta, sizeof eta, ", %u:%02u left", left / 60, left % 60);
    }
    /* As many lines as the first text: whiptail keeps the height. */
    snprintf(text, sizeof text,
             "Converting on %s\n\n%s\n%.1f of %.1f MiB, %.1f MiB/s%s",
             u->c->server, v2k_log_escape(label, lab, sizeof lab),
             done / 1048576.0, total / 1048576.0, rate / 1048576.0, eta);
    gauge_write(u, pct > 100 ? 100 : pct, text);
}

static int
gauge_start(struct ui *u)
{
    char w[16], text[512];
    int p[2];

    snprintf(w, sizeof w, "%d", u->width);
    /* Four lines: the gauge's text keeps the first one's height. */
    snprintf(text, sizeof text,
             "Connecting to %s\n\nServing the disks, starting v2kvm there...\n ",
             u->c->server);
    if (pipe2(p, O_CLOEXEC) == -1) {
        v2k_error_errno(errno, "pipe");
        return -1;
    }
    const char *argv[] = { u->prog, "--backtitle",
                           "v2kvm-p2v " V2K_VERSION ": this machine to a KVM guest",
                           "--title", "transfer", "--gauge", text, "11", w,
                           "0", NULL };
    u->gauge = v2k_proc_spawn(argv, NULL, p[0], u->tty_out, -1);
    close(p[0]);
    if (u->gauge == -1) {
        close(p[1]);
        return -1;
    }
    u->gauge_fd = p[1];
    return 0;
}

static void
gauge_stop(struct ui *u)
{
    int st;

    if (u->gauge_fd >= 0)
        close(u->gauge_fd);
    u->gauge_fd = -1;
    if (u->gauge > 0)
        while (waitpid(u->gauge, &st, 0) == -1 && errno == EINTR)
            ;
    u->gauge = 0;
}

/* The result box's text on success: where the output is. */
static void
success_text(struct ui *u, char *text, size_t len)
{
    const struct v2k_p2v_config *c = u->c;
    const char *name = c->name ? c->name
                       : v2k_p2v_config_good_name(u->a->m->hostname)
                           ? u->a->m->hostname : "p2v";
    size_t off = 0;

    appendf(text, len, &off, "Done: %s converted on %s.\n\n", name,
            c->server);
    if (c->output && strcmp(c->output, "local") != 0) {
        appendf(text, len, &off, "Output: -o %s -os %s, guest %s.",
                c->output,
                c->output_storage ? c->output_storage : "/var/tmp", name);
        return;
    }
    appendf(text, len, &off, "On the host, in %s:\n  %s.xml",
            c->output_storage ? c->output_storage : "/var/tmp", name);
    for (size_t i = 0; c->disks && c->disks[i]; i++)
        appendf(text, len, &off, "\n  %s-%s", name, c->disks[i]);
}

static int
transfer(struct ui *u)
{
    char text[4096], err[V2K_ERROR_MAX];
    int out_fd = u->a->log_fd;
    int save1 = -1, save2 = -1, r;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;

    if (gauge_start(u) == -1)
        return -1;
    sigaction(SIGPIPE, &ign, &old);
    if (out_fd < 0)
        out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    /* The client's own lines (session.c's messages, warnings) go to the
     * log while the gauge has the screen. */
    fflush(stdout);
    fflush(stderr);
    save1 = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    save2 = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
    }
    r = u->a->transfer(u->a->transfer_arg, u->c, on_progress, u);
    snprintf(err, sizeof err, "%s", r == 0 ? "" : v2k_error_message());
    fflush(stdout);
    fflush(stderr);
    if (save1 >= 0) {
        dup2(save1, STDOUT_FILENO);
        close(save1);
    }
    if (save2 >= 0) {
        dup2(save2, STDERR_FILENO);
        close(save2);
    }
    if (out_fd >= 0 && out_fd != u->a->log_fd)
        close(out_fd);
    gauge_stop(u);
    sigaction(SIGPIPE, &old, NULL);
    if (r == 0) {
        success_text(u, text, sizeof text);
        msgbox(u, "done", text);
        return 0;
    }
    snprintf(text, sizeof text, "The conversion failed:\n\n%s%s%s", err,
             u->a->log_path ? "\n\nThe log: " : "",
             u->a->log_path ? u->a->log_path : "");
    msgbox(u, "failed", text);
    v2k_error("%s", err);
    return -1;
}

/* --- the whole UI -------------------------------------------------------- */

static bool
skipped(const struct ui *u, enum step s)
{
    switch (s) {
    case S_AUTHVAL:
        return u->auth == AUTH_AGENT;
    case S_HOSTKEY:
        return u->user_hostkey;
    default:
        return false;
    }
}

static enum move
screen(struct ui *u, enum step s)
{
    for (size_t i = 0; i < V2K_ARRAY_SIZE(fields); i++)
        if (fields[i].step == s)
            return field_screen(u, &fields[i]);
    switch (s) {
    case S_AUTH:
        return auth_screen(u);
    case S_AUTHVAL:
        return u->auth == AUTH_KEY ? key_screen(u) : password_screen(u);
    case S_HOSTKEY:
        return hostkey_screen(u);
    case S_DISKS:
        return disks_screen(u);
    case S_CONFIRM:
        return confirm_screen(u);
    default:
        return NEXT;
    }
}

static int
terminal_width(int fd)
{
    struct winsize ws;

    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 44)
        return ws.ws_col >= 80 ? 76 : ws.ws_col - 4;
    return 76;
}

int
v2k_p2v_ui_run(const struct v2k_p2v_ui_args *a)
{
    struct ui u = { .a = a, .c = a->config, .gauge_fd = -1, .tty_out = -1 };
    enum step s = S_SERVER;
    int rc = -1;

    if (in_path("whiptail"))
        u.prog = "whiptail";
    else if (in_path("dialog")) {
        u.prog = "dialog";
        u.dialog = true;
    } else {
        v2k_error("the interactive mode needs whiptail (or dialog): install the whiptail package, or give the settings (--server... or v2kvm.server=)");
        return -1;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        v2k_error("the interactive mode needs a terminal on stdin and stdout");
        return -1;
    }
    /* Where stderr is not the UI's terminal (the boot image: the journal
     * and the serial console), say where the questions are: a serial or
     * IPMI console user would otherwise see nothing. */
    if (!isatty(STDERR_FILENO)) {
        const char *tty = ttyname(STDIN_FILENO);
        fprintf(stderr, "v2kvm-p2v: interactive mode: the questions are on %s\n",
                tty ? tty : "the console");
    }
    u.tty_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (u.tty_out == -1) {
        v2k_error_errno(errno, "dup stdout");
        return -1;
    }
    u.width = terminal_width(u.tty_out);
    u.user_hostkey = u.c->hostkey != NULL || u.c->known_hosts != NULL;
    u.auth = u.c->password_file ? AUTH_PASSWORD : AUTH_KEY;
    if (u.c->password_file &&
        (u.user_pwfile = v2k_strdup(u.c->password_file)) == NULL)
        goto out;
    while (s < S_END) {
        enum move mv;

        if (skipped(&u, s)) {
            s++;
            continue;
        }
        mv = screen(&u, s);
        if (mv == QUIT || mv == FAIL)
            goto out;
        if (mv == NEXT)
            s++;
        else if (mv == BACK) {
            do
                s--;
            while (s > S_SERVER && skipped(&u, s));
        }
    }
    if (v2k_p2v_config_check(u.c) == -1)
        goto out;
    rc = transfer(&u);
out:
    drop_password(&u);
    free(u.user_pwfile);
    if (u.dir[0])
        rmdir(u.dir);
    if (u.tty_out >= 0)
        close(u.tty_out);
    return rc;
}
