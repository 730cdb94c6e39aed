/* v2kvm-p2v.c - the P2V client: runs on the physical server booted from
 * the v2kvm live ISO and describes it for the conversion server.
 *
 * It discovers the machine (discover.h) and prints it (--list, text or
 * JSON), writes the libvirt domain XML of the selected disks as the
 * conversion server will read them over NBD (physxml.h), or sends them
 * there (--server, session.h), with the settings from options or, for
 * the boot image, from the kernel command line (--boot, config.h), or
 * asked in a text UI (--interactive, or --boot without v2kvm.server=:
 * ui.h).
 *
 * It links only libc (a test reads its NEEDED entries): no libguestfs,
 * libvirt, libxml2 or curl on the live ISO.
 *
 * Exit: 0 success, 1 any error (one line on stderr, nothing on stdout).
 */
#include "cleanup.h"
#include "config.h"
#include "discover.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "physxml.h"
#include "session.h"
#include "ssh.h"
#include "ui.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "v2kvm-p2v"
#define NBD_DEFAULT_PORT 10809          /* IANA's port for NBD */
#define MAX_SELECTED 1024

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: " PROG " [--root DIR] --list [--json]\n"
            "       " PROG " [--root DIR] --print-xml [--disks NAME,...] "
            "[--name NAME]\n"
            "                 [--network NET] [--nbd-socket-dir DIR | "
            "--nbd-host HOST [--nbd-port-base PORT]]\n"
            "       " PROG " [--root DIR] --server HOST [--port N] "
            "[--user USER]\n"
            "                 [--identity FILE|URL | --password-file FILE]\n"
            "                 [--hostkey SHA256:... | --known-hosts FILE]\n"
            "                 [--disks NAME,...] [--name NAME] "
            "[--network NET]\n"
            "                 [-o OUT] [-os DIR] [-of FMT] "
            "[--remote-v2kvm CMD]\n"
            "                 [--reconnect S] [--poweroff] [--log FILE] "
            "[--disk-path NAME=FILE]\n"
            "                 [--machine-readable] [-v]\n"
            "       " PROG " --boot   (settings from v2kvm.* on "
            "/proc/cmdline)\n"
            "       " PROG " --interactive [transfer options as defaults]"
            "   (a text UI)\n"
            "       " PROG " --help | --version\n"
            "\n"
            "Describe this physical machine for conversion to KVM.\n"
            "\n"
            "  --root DIR           read DIR/sys and DIR/proc (default /)\n"
            "  --list               CPU, memory, firmware, disks offered "
            "and hidden\n"
            "                       (with the reason), removable drives, "
            "NICs\n"
            "  --json               --list as one JSON object\n"
            "  --print-xml          the libvirt domain XML for the "
            "conversion server\n"
            "  --disks NAME,...     the disks to copy (default: every "
            "offered disk);\n"
            "                       an md array or volume group is taken "
            "whole or not at all\n"
            "  --name NAME          the domain name (default: the host "
            "name)\n"
            "  --network NET        libvirt network of every NIC "
            "(default: default)\n"
            "  --nbd-socket-dir DIR each disk read from the Unix socket "
            "DIR/NAME.sock\n"
            "  --nbd-host HOST      each disk read over TCP from HOST "
            "(default: localhost)\n"
            "  --nbd-port-base PORT the first disk on PORT, the next on "
            "PORT+1... (default: %d)\n"
            "\n"
            "Exit status: 0 success, 1 error.\n", NBD_DEFAULT_PORT);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; returns the exit code 1. */
static int
fail(const char *fmt, ...)
{
    char buf[V2K_ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    v2k_error("%s", buf);               /* for the text UI's result box */
    v2k_log_error(buf);
    return 1;
}

/* Text that came from the machine, made safe for a terminal. */
static const char *
esc(const char *s, char *buf, size_t len)
{
    return v2k_log_escape(s, buf, len);
}

static void
list_disks(const struct v2k_p2v_machine *m, enum v2k_p2v_disk_state state,
           const char *title)
{
    bool any = false;

    for (size_t i = 0; i < m->ndisks; i++) {
        const struct v2k_p2v_disk *d = &m->disks[i];
        char name[128], path[256], size[32], model[256], serial[256];
        char note[1024];

        if (d->state != state)
            continue;
        if (!any)
            printf("\n%s\n  %-12s %-22s %-9s %10s  %s\n", title, "NAME",
                   "DEVICE", "KIND", "SIZE",
                   state == V2K_P2V_OFFERED ? "MODEL (SERIAL); RELATION"
                                            : "MODEL (SERIAL); REASON");
        any = true;
        esc(d->model, model, sizeof model);
        esc(d->serial, serial, sizeof serial);
        esc(state == V2K_P2V_OFFERED ? d->relation : d->reason, note,
            sizeof note);
        printf("  %-12s %-22s %-9s %10s  %s%s%s%s%s%s\n",
               esc(d->name, name, sizeof name),
               esc(d->dev_path, path, sizeof path),
               v2k_p2v_disk_kind_to_string(d->kind),
               v2k_human_size(d->size_bytes, size, sizeof size),
               *model ? model : "-", *serial ? " (" : "", serial,
               *serial ? ")" : "", *note ? "; " : "", note);
    }
    if (!any)
        printf("\n%s\n  (none)\n", title);
}

static void
print_text(const struct v2k_p2v_machine *m)
{
    char a[256], b[256], s1[32], s2[32];

    printf("Host      %s\n", *m->hostname ? esc(m->hostname, a, sizeof a)
                                          : "(unknown)");
    printf("CPU       %u vCPUs: %u socket%s x %u core%s x %u thread%s "
           "(%s%s%s)\n", m->cpus, m->sockets, m->sockets == 1 ? "" : "s",
           m->cores, m->cores == 1 ? "" : "s", m->threads,
           m->threads == 1 ? "" : "s",
           *m->cpu_vendor ? esc(m->cpu_vendor, a, sizeof a) : "unknown vendor",
           *m->cpu_model ? ", " : "", esc(m->cpu_model, b, sizeof b));
    if (m->memory_bytes)
        printf("Memory    %s (MemTotal), %s for the guest (rounded up to "
               "256 MiB)\n",
               v2k_human_size(m->memory_bytes, s1, sizeof s1),
               v2k_human_size(m->memory_rounded_bytes, s2, sizeof s2));
    else
        printf("Memory    unknown (no MemTotal in proc/meminfo)\n");
    printf("Firmware  %s\n", m->uefi ? "UEFI" : "BIOS");
    printf("Arch      %s\n", esc(m->arch, a, sizeof a));
    list_disks(m, V2K_P2V_OFFERED, "Disks offered (all selected by default):");
    list_disks(m, V2K_P2V_HIDDEN, "Disks not offered:");
    list_disks(m, V2K_P2V_REMOVABLE, "Removable drives (never copied):");
    if (m->ngroups)
        printf("\nCopied together (all of them or none):\n");
    for (size_t g = 0; g < m->ngroups; g++) {
        char label[256], name[128];
        printf("  %s:", esc(m->groups[g].label, label, sizeof label));
        for (size_t k = 0; k < m->groups[g].nmembers; k++)
            printf("%s %s", k ? "," : "",
                   esc(m->disks[m->groups[g].members[k]].name, name,
                       sizeof name));
        printf("\n");
    }
    printf("\nNetwork interfaces:\n");
    if (m->nnics == 0)
        printf("  (none)\n");
    for (size_t i = 0; i < m->nnics; i++) {
        const struct v2k_p2v_nic *n = &m->nics[i];
        char name[128], drv[128], st[64], speed[32] = "";
        if (n->speed_mbps)
            snprintf(speed, sizeof speed, ", %llu Mb/s",
                     (unsigned long long)n->speed_mbps);
        printf("  %-12s %-17s %-10s %s%s%s%s\n", esc(n->name, name, sizeof name),
               *n->mac ? n->mac : "-",
               *n->driver ? esc(n->driver, drv, sizeof drv) : "-",
               *n->operstate ? esc(n->operstate, st, sizeof st) : "unknown",
               n->carrier == 1 ? ", carrier" : n->carrier == 0
                                 ? ", no carrier" : "",
               speed, n->wireless ? ", wireless" : "");
    }
}

/* A string field: null when unknown. */
static void
kv_text(struct v2k_json *j, const char *k, const char *v)
{
    if (*v)
        v2k_json_kv_string(j, k, v);
    else {
        v2k_json_key(j, k);
        v2k_json_null(j);
    }
}

static int
print_json(const struct v2k_p2v_machine *m)
{
    struct v2k_json *j = v2k_json_new(stdout, true);

    if (j == NULL)
        return fail("out of memory");
    v2k_json_begin_object(j);
    kv_text(j, "hostname", m->hostname);
    v2k_json_kv_string(j, "arch", m->arch);
    v2k_json_key(j, "cpu");
    v2k_json_begin_object(j);
    v2k_json_kv_uint(j, "vcpus", m->cpus);
    v2k_json_kv_uint(j, "sockets", m->sockets);
    v2k_json_kv_uint(j, "cores", m->cores);
    v2k_json_kv_uint(j, "threads", m->threads);
    kv_text(j, "vendor", m->cpu_vendor);
    kv_text(j, "model", m->cpu_model);
    v2k_json_end_object(j);
    v2k_json_key(j, "memory");
    v2k_json_begin_object(j);
    v2k_json_kv_uint(j, "bytes", m->memory_bytes);
    v2k_json_kv_uint(j, "rounded_bytes", m->memory_rounded_bytes);
    v2k_json_end_object(j);
    v2k_json_kv_string(j, "firmware", m->uefi ? "uefi" : "bios");
    v2k_json_key(j, "disks");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < m->ndisks; i++) {
        const struct v2k_p2v_disk *d = &m->disks[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "name", d->name);
        v2k_json_kv_string(j, "kernel_name", d->kname);
        v2k_json_kv_string(j, "path", d->dev_path);
        v2k_json_kv_string(j, "kind", v2k_p2v_disk_kind_to_string(d->kind));
        v2k_json_kv_string(j, "state", v2k_p2v_disk_state_to_string(d->state));
        kv_text(j, "reason", d->reason);
        kv_text(j, "relation", d->relation);
        kv_text(j, "model", d->model);
        kv_text(j, "serial", d->serial);
        v2k_json_kv_uint(j, "size_bytes", d->size_bytes);
        v2k_json_kv_bool(j, "removable", d->removable);
        v2k_json_kv_bool(j, "read_only", d->read_only);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_key(j, "groups");
    v2k_json_begin_array(j);
    for (size_t g = 0; g < m->ngroups; g++) {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "label", m->groups[g].label);
        v2k_json_key(j, "members");
        v2k_json_begin_array(j);
        for (size_t k = 0; k < m->groups[g].nmembers; k++)
            v2k_json_string(j, m->disks[m->groups[g].members[k]].name);
        v2k_json_end_array(j);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_key(j, "nics");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < m->nnics; i++) {
        const struct v2k_p2v_nic *n = &m->nics[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "name", n->name);
        kv_text(j, "mac", n->mac);
        kv_text(j, "driver", n->driver);
        kv_text(j, "operstate", n->operstate);
        v2k_json_key(j, "carrier");
        if (n->carrier < 0)
            v2k_json_null(j);
        else
            v2k_json_bool(j, n->carrier == 1);
        v2k_json_kv_uint(j, "speed_mbps", n->speed_mbps);
        v2k_json_kv_bool(j, "wireless", n->wireless);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_end_object(j);
    v2k_json_free(j);
    return 0;
}

/* A domain name libvirt takes (config.h). */
static bool
good_name(const char *s)
{
    return v2k_p2v_config_good_name(s);
}

struct xml_opts {
    const char *disks, *name, *network, *socket_dir, *host;
    unsigned port_base;
};

static int
print_xml(const struct v2k_p2v_machine *m, const struct xml_opts *x)
{
    CLEANUP_FREE struct v2k_p2v_xml_disk *sel = NULL;
    CLEANUP_FREE char *list = NULL;
    CLEANUP_FREE char *buf = NULL;
    char **paths = NULL;
    size_t n = 0, len = 0;
    FILE *mem;
    int r = 1;
    struct v2k_p2v_xml_options o = {
        .name = x->name ? x->name
                : good_name(m->hostname) ? m->hostname : "p2v",
        .network = x->network,
    };

    if (!good_name(o.name))
        return fail("--name '%s': a domain name must be 1 to 200 characters without '/' or control characters", o.name);
    sel = calloc(MAX_SELECTED, sizeof *sel);
    paths = calloc(MAX_SELECTED, sizeof *paths);
    if (sel == NULL || paths == NULL) {
        free(paths);
        return fail("out of memory");
    }
    if (x->disks) {
        char *save = NULL, *t;
        list = strdup(x->disks);
        if (list == NULL)
            goto out;
        /* strtok_r would skip an empty item; say so instead */
        if (*list == '\0' || *list == ',' || strstr(list, ",,") ||
            list[strlen(list) - 1] == ',') {
            fail("--disks '%s': an empty disk name", x->disks);
            goto out;
        }
        for (t = strtok_r(list, ",", &save); t && n < MAX_SELECTED;
             t = strtok_r(NULL, ",", &save))
            sel[n++].disk = t;
    } else {
        for (size_t i = 0; i < m->ndisks && n < MAX_SELECTED; i++)
            if (m->disks[i].state == V2K_P2V_OFFERED)
                sel[n++].disk = m->disks[i].name;
        if (n == 0) {
            fail("no disk is offered on this machine (see --list)");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        /* "dm-0" given for a multipath LUN: its offered name, mpatha */
        const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, sel[i].disk);
        if (d)
            sel[i].disk = d->name;
        sel[i].export_name = sel[i].disk;
        if (x->socket_dir) {
            paths[i] = v2k_asprintf("%s/%s.sock", x->socket_dir, sel[i].disk);
            if (paths[i] == NULL) {
                fail("out of memory");
                goto out;
            }
            sel[i].socket = paths[i];
        } else {
            sel[i].host = x->host ? x->host : "localhost";
            sel[i].port = x->port_base + (unsigned)i;
            if (sel[i].port > 65535) {
                fail("--nbd-port-base %u: disk %zu would need port %u, above 65535", x->port_base, i + 1, sel[i].port);
                goto out;
            }
        }
    }
    /* Whole or nothing on stdout: built in memory first. */
    mem = open_memstream(&buf, &len);
    if (mem == NULL) {
        fail("open_memstream: %s", strerror(errno));
        goto out;
    }
    if (v2k_p2v_write_xml(mem, m, sel, n, &o) == -1) {
        fclose(mem);
        fail("%s", v2k_error_message());
        goto out;
    }
    if (fclose(mem) == EOF) {
        fail("writing the domain XML: %s", strerror(errno));
        goto out;
    }
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF) {
        fail("writing to stdout: %s", strerror(errno));
        goto out;
    }
    r = 0;
out:
    for (size_t i = 0; i < MAX_SELECTED; i++)
        free(paths[i]);
    free(paths);
    return r;
}

/* --- the transfer (session.h) ----------------------------------------- */

#define DISK_PATHS_MAX 64
#define BOOT_LOG "/var/log/v2kvm-p2v.log"

struct transfer {
    const struct v2k_p2v_machine *m;
    struct v2k_p2v_xml_disk *sel;       /* n of them */
    size_t n;
    struct v2k_p2v_xml_options o;
};

/* session.h's make_xml: the selection with the host's sockets. */
static char *
transfer_xml(void *arg, const char *const *sockets)
{
    struct transfer *t = arg;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    if (mem == NULL) {
        v2k_error("open_memstream: %s", strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < t->n; i++) {
        t->sel[i].socket = sockets[i];
        t->sel[i].host = NULL;
        t->sel[i].export_name = "";
    }
    if (v2k_p2v_write_xml(mem, t->m, t->sel, t->n, &t->o) == -1) {
        fclose(mem);
        free(buf);
        return NULL;
    }
    if (fclose(mem) == EOF) {
        free(buf);
        v2k_error("writing the domain XML: %s", strerror(errno));
        return NULL;
    }
    return buf;
}

/* A line in the client's log (--log): the screen's messages go to the
 * console; the log keeps the settings and the outcome. */
static FILE *logfp;

static void
log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
log_line(const char *fmt, ...)
{
    va_list ap;
    time_t now = time(NULL);
    char ts[32];

    if (logfp == NULL)
        return;
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", gmtime(&now));
    fprintf(logfp, "%s ", ts);
    va_start(ap, fmt);
    vfprintf(logfp, fmt, ap);
    va_end(ap);
    fputc('\n', logfp);
    fflush(logfp);
}

static int
run_transfer(const struct v2k_p2v_machine *m, struct v2k_p2v_config *cfg,
             const char *const *disk_paths, size_t npaths, const char *name,
             v2k_p2v_progress_fn progress, void *parg)
{
    struct v2k_p2v_xml_disk sel[MAX_SELECTED];
    struct v2k_p2v_send_disk send[MAX_SELECTED];
    struct transfer t = { .m = m, .sel = sel };
    const char *names[MAX_SELECTED];
    int r;

    memset(sel, 0, sizeof sel);
    if (v2k_p2v_config_check(cfg) == -1)
        return fail("%s", v2k_error_message());
    t.o.name = name ? name : cfg->name ? cfg->name
               : good_name(m->hostname) ? m->hostname : "p2v";
    t.o.network = cfg->network;
    if (!good_name(t.o.name))
        return fail("name '%s': a domain name must be 1 to 200 characters without '/' or control characters", t.o.name);
    if (cfg->disks) {
        for (size_t i = 0; cfg->disks[i] && t.n < MAX_SELECTED; i++) {
            const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, cfg->disks[i]);
            sel[t.n++].disk = d ? d->name : cfg->disks[i];
        }
    } else {
        for (size_t i = 0; i < m->ndisks && t.n < MAX_SELECTED; i++)
            if (m->disks[i].state == V2K_P2V_OFFERED)
                sel[t.n++].disk = m->disks[i].name;
    }
    if (t.n == 0)
        return fail("no disk is offered on this machine (see --list)");
    for (size_t i = 0; i < t.n; i++)
        names[i] = sel[i].disk;
    if (v2k_p2v_check_selection(m, names, t.n) == -1)
        return fail("%s", v2k_error_message());
    for (size_t i = 0; i < t.n; i++) {
        const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, sel[i].disk);
        send[i].name = sel[i].disk;
        send[i].path = d ? d->dev_path : NULL;
        /* --disk-path NAME=FILE: serve FILE as disk NAME (tests, and a
         * disk image on a rescue system). */
        for (size_t k = 0; k < npaths; k++) {
            size_t len = strcspn(disk_paths[k], "=");
            if (strncmp(disk_paths[k], sel[i].disk, len) == 0 &&
                sel[i].disk[len] == '\0')
                send[i].path = disk_paths[k] + len + 1;
        }
        if (send[i].path == NULL)
            return fail("disk %s: no device path", sel[i].disk);
        log_line("disk %s: %s", send[i].name, send[i].path);
    }
    log_line("server %s port %u user %s, guest %s", cfg->server,
             cfg->port ? cfg->port : 22, cfg->user ? cfg->user : "root",
             t.o.name);
    struct v2k_p2v_session_args a = {
        .config = cfg, .disks = send, .ndisks = (unsigned)t.n,
        .make_xml = transfer_xml, .xml_arg = &t, .guest_name = t.o.name,
        .progress = progress, .progress_arg = parg,
    };
    r = v2k_p2v_session_run(&a);
    if (r == -1) {
        log_line("error: %s", v2k_error_message());
        return fail("%s", v2k_error_message());
    }
    log_line("done: %s converted on %s", t.o.name, cfg->server);
    return 0;
}

/* The text UI's way to run the transfer (ui.h). */
struct ui_transfer {
    const struct v2k_p2v_machine *m;
    const char *const *disk_paths;
    size_t npaths;
};

static int
ui_transfer(void *arg, struct v2k_p2v_config *cfg, v2k_p2v_progress_fn fn,
            void *parg)
{
    struct ui_transfer *t = arg;

    return run_transfer(t->m, cfg, t->disk_paths, t->npaths, NULL, fn,
                        parg) == 0 ? 0 : -1;
}

/* v2kvm.list=1, a discovery-only run: what --list and --print-xml
 * print (every offered disk, NBD over TCP from localhost as the
 * defaults say), on stdout; with --boot also on /dev/console (the
 * serial console: stdout is tty1) and in the log, for an admin who
 * wants to see what the client would take before sending anything.
 * The text is made once, in a temporary file behind stdout, so the
 * three copies are the same. */
static int
list_only(const char *root, bool boot)
{
    struct v2k_p2v_machine *m = NULL;
    struct xml_opts x = { .port_base = NBD_DEFAULT_PORT };
    FILE *tmp = tmpfile();
    CLEANUP_FREE char *text = NULL;
    int saved = -1, r = 1;
    long len;

    if (tmp == NULL)
        return fail("tmpfile: %s", strerror(errno));
    if (v2k_p2v_discover(root, &m) == -1) {
        fclose(tmp);
        return fail("%s", v2k_error_message());
    }
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    if (saved == -1 || dup2(fileno(tmp), STDOUT_FILENO) == -1) {
        r = fail("dup: %s", strerror(errno));
        goto out;
    }
    printf("v2kvm-p2v: discovery only (v2kvm.list=1): nothing is sent\n");
    print_text(m);
    printf("\nThe domain XML (--print-xml):\n");
    fflush(stdout);
    r = print_xml(m, &x);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    len = ftell(tmp);
    if (len < 0 || fseek(tmp, 0, SEEK_SET) == -1 ||
        (text = calloc(1, (size_t)len + 1)) == NULL ||
        fread(text, 1, (size_t)len, tmp) != (size_t)len) {
        r = fail("reading back the listing: %s", strerror(errno));
        goto out;
    }
    fwrite(text, 1, (size_t)len, stdout);
    fflush(stdout);
    if (boot) {
        FILE *con = fopen("/dev/console", "we");
        if (con) {
            fwrite(text, 1, (size_t)len, con);
            fprintf(con, "v2kvm-p2v: discovery done%s\n",
                     r == 0 ? "" : " (with an error)");
            fclose(con);
        }
        if (logfp)
            fwrite(text, 1, (size_t)len, logfp);
        log_line("discovery only (v2kvm.list=1): done");
    }
out:
    if (saved != -1)
        close(saved);
    fclose(tmp);
    v2k_p2v_machine_free(m);
    return r;
}

int
main(int argc, char **argv)
{
    enum { OPT_ROOT = 256, OPT_LIST, OPT_JSON, OPT_XML, OPT_DISKS,
           OPT_NAME, OPT_NETWORK, OPT_SOCKDIR, OPT_HOST, OPT_PORT,
           OPT_HELP, OPT_VERSION, OPT_SERVER, OPT_SPORT, OPT_USER,
           OPT_IDENTITY, OPT_PWFILE, OPT_HOSTKEY, OPT_KNOWN, OPT_O, OPT_OS,
           OPT_OF, OPT_REMOTE, OPT_RECONNECT, OPT_POWEROFF, OPT_BOOT,
           OPT_CMDLINE, OPT_DISKPATH, OPT_LOG, OPT_MR, OPT_VERBOSE,
           OPT_INTERACTIVE };
    static const struct option longopts[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "list", no_argument, NULL, OPT_LIST },
        { "json", no_argument, NULL, OPT_JSON },
        { "print-xml", no_argument, NULL, OPT_XML },
        { "disks", required_argument, NULL, OPT_DISKS },
        { "name", required_argument, NULL, OPT_NAME },
        { "network", required_argument, NULL, OPT_NETWORK },
        { "nbd-socket-dir", required_argument, NULL, OPT_SOCKDIR },
        { "nbd-host", required_argument, NULL, OPT_HOST },
        { "nbd-port-base", required_argument, NULL, OPT_PORT },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { "server", required_argument, NULL, OPT_SERVER },
        { "port", required_argument, NULL, OPT_SPORT },
        { "user", required_argument, NULL, OPT_USER },
        { "identity", required_argument, NULL, OPT_IDENTITY },
        { "password-file", required_argument, NULL, OPT_PWFILE },
        { "hostkey", required_argument, NULL, OPT_HOSTKEY },
        { "known-hosts", required_argument, NULL, OPT_KNOWN },
        { "o", required_argument, NULL, OPT_O },
        { "os", required_argument, NULL, OPT_OS },
        { "of", required_argument, NULL, OPT_OF },
        { "remote-v2kvm", required_argument, NULL, OPT_REMOTE },
        { "reconnect", required_argument, NULL, OPT_RECONNECT },
        { "poweroff", no_argument, NULL, OPT_POWEROFF },
        { "boot", no_argument, NULL, OPT_BOOT },
        { "cmdline", required_argument, NULL, OPT_CMDLINE },
        { "disk-path", required_argument, NULL, OPT_DISKPATH },
        { "log", required_argument, NULL, OPT_LOG },
        { "machine-readable", no_argument, NULL, OPT_MR },
        { "verbose", no_argument, NULL, OPT_VERBOSE },
        { "interactive", no_argument, NULL, OPT_INTERACTIVE },
        { NULL, 0, NULL, 0 },
    };
    struct xml_opts x = { .port_base = NBD_DEFAULT_PORT };
    const char *root = "/", *port = NULL;
    bool list = false, json = false, xml = false;
    struct v2k_p2v_machine *m = NULL;
    /* Freed on every way out (config_free leaves it zeroed, so the
     * explicit frees below are harmless): the error paths return at
     * once. */
    __attribute__((cleanup(v2k_p2v_config_free)))
    struct v2k_p2v_config cfg = { .poweroff = -1 };
    const char *disk_paths[DISK_PATHS_MAX];
    const char *cmdline = NULL, *logpath = NULL;
    size_t npaths = 0;
    bool boot = false, transfer = false, mr = false, interactive = false;
    int c, r, verbose = 0;

    /* ssh runs this program as SSH_ASKPASS for a password (ssh.h). */
    if (v2k_p2v_askpass_main(argc, argv, &r))
        return r;
    v2k_p2v_config_init(&cfg);
    v2k_log_init(PROG, 0, false, false, false);
    opterr = 0;
    int idx = -1;
    while ((c = getopt_long_only(argc, argv, ":v", longopts, &idx)) != -1) {
        const char *key = NULL;
        switch (c) {
        case OPT_SERVER: key = "server"; break;
        case OPT_SPORT: key = "port"; break;
        case OPT_USER: key = "user"; break;
        case OPT_IDENTITY: key = "identity"; break;
        case OPT_PWFILE: key = "password_file"; break;
        case OPT_HOSTKEY: key = "hostkey"; break;
        case OPT_KNOWN: key = "known_hosts"; break;
        case OPT_O: key = "o"; break;
        case OPT_OS: key = "os"; break;
        case OPT_OF: key = "of"; break;
        case OPT_REMOTE: key = "remote"; break;
        case OPT_RECONNECT: key = "reconnect"; break;
        case OPT_POWEROFF: cfg.poweroff = 1; continue;
        case OPT_BOOT: boot = true; continue;
        case OPT_CMDLINE: cmdline = optarg; continue;
        case OPT_LOG: logpath = optarg; continue;
        case OPT_MR: mr = true; continue;
        case OPT_INTERACTIVE: interactive = true; continue;
        case OPT_VERBOSE: case 'v': verbose++; continue;
        case OPT_DISKPATH:
            if (strchr(optarg, '=') == NULL || optarg[0] == '=' ||
                npaths == DISK_PATHS_MAX)
                return fail("--disk-path '%s': give NAME=FILE", optarg);
            disk_paths[npaths++] = optarg;
            continue;
        }
        if (key) {
            char where[64];
            transfer = true;
            snprintf(where, sizeof where, "--%s",
                     idx >= 0 ? longopts[idx].name : "?");
            idx = -1;
            if (v2k_p2v_config_set(&cfg, key, optarg, where) == -1)
                return fail("%s", v2k_error_message());
            continue;
        }
        idx = -1;
        switch (c) {
        case OPT_ROOT: root = optarg; break;
        case OPT_LIST: list = true; break;
        case OPT_JSON: json = true; break;
        case OPT_XML: xml = true; break;
        case OPT_DISKS: x.disks = optarg; break;
        case OPT_NAME: x.name = optarg; break;
        case OPT_NETWORK: x.network = optarg; break;
        case OPT_SOCKDIR: x.socket_dir = optarg; break;
        case OPT_HOST: x.host = optarg; break;
        case OPT_PORT: port = optarg; break;
        case OPT_HELP: usage(stdout); return 0;
        case OPT_VERSION: printf(PROG " %s\n", V2K_VERSION); return 0;
        case ':':
            return fail("%s needs an argument (see " PROG " --help)",
                        argv[optind - 1]);
        default:
            return fail("unknown option '%s' (see " PROG " --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s' (see " PROG " --help)",
                    argv[optind]);
    v2k_log_init(PROG, verbose, false, mr, false);
    if (boot || cmdline) {
        CLEANUP_FREE char *text = NULL;
        const char *where = cmdline ? "--cmdline" : "/proc/cmdline";
        unsigned found = 0;

        if (cmdline == NULL &&
            (text = v2k_read_file("/proc/cmdline", 65536, NULL)) == NULL)
            return fail("%s", v2k_error_message());
        if (cfg.poweroff < 0 && boot)
            cfg.poweroff = 1;
        if (v2k_p2v_config_from_cmdline(&cfg, cmdline ? cmdline : text,
                                        where, &found) == -1)
            return fail("%s", v2k_error_message());
        if (cfg.list == 1) {
            if (boot)
                logfp = fopen(logpath ? logpath : BOOT_LOG, "ae");
            r = list_only(root, boot);
            if (cfg.poweroff == 1) {
                const char *off[] = { "systemctl", "poweroff", NULL };
                log_line("powering off");
                fflush(NULL);
                execvp(off[0], (char *const *)off);
                r = fail("poweroff: %s", strerror(errno));
            }
            v2k_p2v_config_free(&cfg);
            if (logfp)
                fclose(logfp);
            return r;
        }
        if (cfg.server == NULL)
            interactive = true;         /* asked in the text UI */
        transfer = true;
    }
    if (interactive && mr) {
        v2k_p2v_config_free(&cfg);
        return fail("the text UI does not go with --machine-readable: give the settings (--server ... or v2kvm.server=) for an unattended run");
    }
    if (interactive || transfer) {
        if (list || xml || x.socket_dir || x.host || port || x.network)
            return fail("--list, --print-xml and the --nbd options do not go with a transfer");
        if (x.disks && v2k_p2v_config_set(&cfg, "disks", x.disks,
                                          "--disks") == -1)
            return fail("%s", v2k_error_message());
        if (x.name && v2k_p2v_config_set(&cfg, "name", x.name,
                                         "--name") == -1)
            return fail("%s", v2k_error_message());
        if (logpath || boot) {
            logfp = fopen(logpath ? logpath : BOOT_LOG, "ae");
            if (logfp == NULL)
                return fail("--log %s: %s", logpath ? logpath : BOOT_LOG,
                            strerror(errno));
        }
        if (v2k_p2v_discover(root, &m) == -1)
            return fail("%s", v2k_error_message());
        if (interactive) {
            struct ui_transfer ut = { m, disk_paths, npaths };
            struct v2k_p2v_ui_args ua = {
                .m = m, .config = &cfg, .transfer = ui_transfer,
                .transfer_arg = &ut, .log_fd = logfp ? fileno(logfp) : -1,
                .log_path = logfp ? (logpath ? logpath : BOOT_LOG) : NULL,
            };
            r = v2k_p2v_ui_run(&ua) == 0 ? 0
                                         : fail("%s", v2k_error_message());
        } else
            r = run_transfer(m, &cfg, disk_paths, npaths, NULL, NULL, NULL);
        v2k_p2v_machine_free(m);
        if (r == 0 && cfg.poweroff == 1) {
            const char *off[] = { "systemctl", "poweroff", NULL };
            log_line("powering off");
            fflush(NULL);
            execvp(off[0], (char *const *)off);
            r = fail("poweroff: %s", strerror(errno));
        }
        v2k_p2v_config_free(&cfg);
        if (logfp)
            fclose(logfp);
        return r;
    }
    if (npaths)
        return fail("--disk-path goes with a transfer (--server)");
    if (list == xml)
        return fail("give one of --list and --print-xml (see " PROG " --help)");
    if (json && !list)
        return fail("--json goes with --list");
    if (list && (x.disks || x.name || x.network || x.socket_dir || x.host ||
                 port))
        return fail("--disks, --name, --network and the --nbd options go with --print-xml");
    if (x.socket_dir && (x.host || port))
        return fail("--nbd-socket-dir and --nbd-host/--nbd-port-base are alternatives");
    if (x.socket_dir && x.socket_dir[0] != '/')
        return fail("--nbd-socket-dir '%s': give an absolute path", x.socket_dir);
    if (x.network && !good_name(x.network))
        return fail("--network '%s': not a libvirt network name", x.network);
    if (port) {
        uint64_t v;
        if (v2k_parse_u64(port, "--nbd-port-base", &v) == -1)
            return fail("%s", v2k_error_message());
        if (v == 0 || v > 65535)
            return fail("--nbd-port-base %s: a port is 1 to 65535", port);
        x.port_base = (unsigned)v;
    }
    if (x.host && *x.host == '\0')
        return fail("--nbd-host: empty host name");

    if (v2k_p2v_discover(root, &m) == -1)
        return fail("%s", v2k_error_message());
    if (list && json)
        r = print_json(m);
    else if (list) {
        print_text(m);
        r = 0;
    } else
        r = print_xml(m, &x);
    if (r == 0 && (fflush(stdout) == EOF || ferror(stdout)))
        r = fail("writing to stdout: %s", strerror(errno));
    v2k_p2v_machine_free(m);
    return r;
}
