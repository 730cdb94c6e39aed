/* outputs/qemu.c - -o qemu -os DIR [--qemu-boot]: DIR/NAME-sda... and
 * DIR/NAME.sh, a readable script that runs the guest with
 * qemu-system-x86_64 directly (no libvirt).
 *
 * The script decides the accelerator when it runs, not when it is
 * written (it may run on another host): like common/accel.c it boots a
 * one-sector guest under KVM first and falls back to TCG (and -cpu max
 * instead of -cpu host) when that fails, so a missing or broken
 * /dev/kvm still boots.  Extra qemu arguments come from "$@" and
 * $V2K_QEMU_ARGS; the first serial port is $V2K_SERIAL (default
 * mon:stdio).  Files are written under temporary names and renamed at the
 * end, the script last, as for -o local.
 */
#include "disk-names.h"
#include "domain-xml.h"
#include "error.h"
#include "log.h"
#include "outfile.h"
#include "output.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct qemu {
    const struct v2k_options *o;
    char *dir;
    struct v2k_outdisks disks;
    char *sh_final, *sh_tmp;
};

static void
qemu_free(void *state)
{
    struct qemu *q = state;

    if (q == NULL)
        return;
    v2k_outdisks_free(&q->disks);
    free(q->sh_final);
    free(q->sh_tmp);
    free(q->dir);
    free(q);
}

static void *
qemu_setup(const struct v2k_options *o, const struct v2k_source *s,
           const struct v2k_guestcaps *gc)
{
    struct qemu *q;

    (void)gc;
    if (o->output_storage == NULL) {
        v2k_error("-o qemu: give the output directory with -os DIR");
        return NULL;
    }
    q = v2k_calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->o = o;
    q->dir = v2k_output_dir("-o qemu: -os", o->output_storage);
    if (q->dir == NULL ||
        v2k_outdisks_init(&q->disks, q->dir, s->name, v2k_source_ncopied(s),
                          o->overwrite) == -1)
        goto fail;
    q->sh_final = v2k_asprintf("%s/%s.sh", q->dir, s->name);
    q->sh_tmp = v2k_asprintf("%s/.%s.sh.part", q->dir, s->name);
    if (q->sh_final == NULL || q->sh_tmp == NULL ||
        v2k_output_check_free(q->sh_final, o->overwrite) == -1)
        goto fail;
    if (v2k_output_check_tmp(q->sh_tmp) == -1)
        goto fail;
    if (o->hugepages || o->blkio_weight || o->cpu_pinning ||
        o->seclabel != V2K_SECLABEL_DEFAULT)
        v2k_warning("-o qemu: -oo hugepages, blkio-weight, cpu-pinning and seclabel are libvirt settings and are not in the script");
    return q;

fail:
    qemu_free(q);
    return NULL;
}

static const char *
qemu_disk_tmp_path(void *state, size_t i)
{
    return ((struct qemu *)state)->disks.tmp[i];
}

static const char *
qemu_disk_format(void *state, size_t i)
{
    (void)i;
    return ((struct qemu *)state)->o->output_format;
}

/* Characters the shell never treats specially. */
static bool
shell_safe(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("-_./=:,+@%", *s)))
            return false;
    return true;
}

/* s as one shell word: as is when safe, else in single quotes. */
static void
put_word(FILE *fp, const char *s)
{
    if (shell_safe(s)) {
        fputs(s, fp);
        return;
    }
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

/* One line of the qemu command: "    -OPTION VALUE \\\n", where the value
 * is printf-formatted and then shell-quoted. */
static void __attribute__((format(printf, 3, 4)))
opt(FILE *fp, const char *option, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(fp, "    %s ", option);
    put_word(fp, buf);
    fputs(" \\\n", fp);
}

/* A value inside a qemu option list: commas are doubled (qemu-options,
 * "-drive file=a,,b" names the file "a,b").  Returns a malloc'd string. */
static char *
qemu_escape(const char *s)
{
    size_t n = strlen(s), commas = 0;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        commas += s[i] == ',';
    out = v2k_malloc(n + commas + 1);
    if (out == NULL)
        return NULL;
    for (p = out; *s; s++) {
        *p++ = *s;
        if (*s == ',')
            *p++ = ',';
    }
    *p = '\0';
    return out;
}

/* The device name of a virtio device: transitional for old guests. */
static const char *
vdev(const struct v2k_guestcaps *gc, const char *base, char *buf,
     size_t len)
{
    snprintf(buf, len, "%s%s", base, gc->virtio_1_0 ? "" : "-transitional");
    return buf;
}

static const char probe_fn[] =
"# Use KVM only when it really runs a guest: /dev/kvm may be missing, or\n"
"# present but unable to run one (qemu aborts, or the guest hangs).  Boot\n"
"# this host's kernel ($SUPERMIN_KERNEL, else the newest /boot/vmlinuz-*)\n"
"# with -accel kvm, no disk and panic=-1: KVM works when the kernel runs\n"
"# to its panic within 10 s (about 4 s under TCG, 1 s under a healthy\n"
"# KVM).  A boot sector is not enough (a nested KVM can run one and still\n"
"# hang every Linux kernel); it is the fallback when no kernel is\n"
"# readable: mov al,1; out 0xf4,al makes qemu exit with (1 << 1) | 1 = 3.\n"
"kvm_works() {\n"
"    [ -e /dev/kvm ] || return 1\n"
"    kernel=${SUPERMIN_KERNEL:-}\n"
"    [ -n \"$kernel\" ] ||\n"
"        kernel=$(ls -1v /boot/vmlinuz-* 2>/dev/null | tail -n 1) || true\n"
"    probe=$(mktemp) || return 1\n"
"    rc=0\n"
"    if [ -n \"$kernel\" ] && [ -r \"$kernel\" ]; then\n"
"        timeout 10 \"$qemu\" -accel kvm -cpu host -display none \\\n"
"            -nodefaults -no-user-config -m 256 -no-reboot \\\n"
"            -kernel \"$kernel\" -append 'console=ttyS0 panic=-1 loglevel=4' \\\n"
"            -serial \"file:$probe\" </dev/null >/dev/null 2>&1 || rc=$?\n"
"        [ \"$rc\" = 0 ] && grep -aq 'Kernel panic' \"$probe\" || rc=1\n"
"    else\n"
"        { printf '\\260\\001\\346\\364\\364\\353\\375'\n"
"          head -c 503 /dev/zero\n"
"          printf '\\125\\252'; } >\"$probe\"\n"
"        timeout 10 \"$qemu\" -accel kvm -display none -nodefaults \\\n"
"            -no-user-config -m 16 -device isa-debug-exit,iobase=0xf4,iosize=4 \\\n"
"            -drive file=\"$probe\",format=raw,if=ide </dev/null >/dev/null 2>&1 ||\n"
"            rc=$?\n"
"        [ \"$rc\" = 3 ] && rc=0 || rc=1\n"
"    fi\n"
"    rm -f \"$probe\"\n"
"    return \"$rc\"\n"
"}\n"
"\n";

static int
write_script(struct qemu *q, const struct v2k_source *s,
             const struct v2k_guestcaps *gc, FILE *fp)
{
    const struct v2k_options *o = q->o;
    bool windows = gc->family == V2K_OS_WINDOWS;
    bool pc = gc->machine == V2K_MACHINE_PC;
    bool uefi = s->firmware == V2K_FW_UEFI, sb = uefi && s->secure_boot;
    enum v2k_hyperv hv = v2k_hyperv_level(gc, false);
    char dev[64], *e, *qga;
    size_t k = 0, ide, ide_disks, ncd = 0;

    if (v2k_disk_targets_check(s, gc->block_bus, gc->machine) == -1)
        return -1;

    fprintf(fp, "#!/bin/sh -\n");
    fprintf(fp, "# Runs the VM ");
    put_word(fp, s->name);
    fprintf(fp, " (converted by v2kvm %s) with qemu.\n", V2K_VERSION);
    fprintf(fp,
"#\n"
"# Extra qemu arguments go after the script's own:\n"
"#   %s.sh -display none\n"
"# Environment:\n"
"#   QEMU=PATH          qemu binary (default: qemu-system-x86_64)\n"
"#   V2K_ACCEL=kvm|tcg  skip the KVM probe\n"
"#   V2K_SERIAL=DEV     first serial port (default: mon:stdio)\n"
"#   V2K_QEMU_ARGS      more qemu arguments (split on white space)\n"
"#   V2K_QGA_SOCKET     the guest agent's socket (default: next to the disks)\n",
            shell_safe(s->name) ? s->name : "NAME");
    if (uefi)
        fprintf(fp,
"#   OVMF_CODE, OVMF_VARS  UEFI firmware and its variable store template\n");
    fprintf(fp, "set -eu\n\nqemu=${QEMU:-qemu-system-x86_64}\n\n");
    fputs(probe_fn, fp);
    fprintf(fp,
"case ${V2K_ACCEL:-} in\n"
"kvm) accel=kvm:tcg cpu=host ;;\n"
"tcg) accel=tcg cpu=max ;;\n"
"*)   if kvm_works; then accel=kvm:tcg cpu=host; "
"else accel=tcg cpu=max; fi ;;\n"
"esac\n");
    if (o->cpu && strcmp(o->cpu, "host-passthrough") != 0) {
        fprintf(fp, "cpu=");
        put_word(fp, o->cpu);
        fprintf(fp, "    # --cpu\n");
    }
    fprintf(fp, "echo \"$0: accelerator ${accel%%%%:*}, cpu $cpu\" >&2\n\n");
    if (hv != V2K_HYPERV_NONE) {
        /* domain-xml.h's v2k_hyperv_level(), decided with the
         * accelerator. */
        fprintf(fp, "# Hyper-V enlightenments for Windows (TCG cannot set VP_INDEX: the basic\n# ones only).\n");
        fprintf(fp, "hv=,hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_time\n");
        if (hv == V2K_HYPERV_FULL)
            fprintf(fp, "[ \"$accel\" = tcg ] ||\n    hv=$hv,hv_vpindex,hv_runtime,hv_synic,hv_stimer,hv_reset,hv_frequencies,hv_tlbflush,hv_ipi\n");
        fprintf(fp, "\n");
    }
    /* The QEMU guest agent's socket, next to the disks unless that path
     * is too long for a UNIX socket (107 bytes). */
    e = v2k_asprintf("%s/%s.qga", q->dir, s->name);
    qga = e ? qemu_escape(e) : NULL;
    free(e);
    e = qemu_escape(s->name);
    if (qga == NULL || e == NULL) {
        free(qga);
        free(e);
        return -1;
    }
    fprintf(fp, "qga=${V2K_QGA_SOCKET:-");
    put_word(fp, qga);
    fprintf(fp, "}\n[ ${#qga} -le 107 ] || qga=${XDG_RUNTIME_DIR:-/tmp}/");
    put_word(fp, e);
    fprintf(fp, ".qga\n\n");
    free(qga);
    free(e);
    if (uefi) {
        /* Debian's ovmf package; the variable store is the guest's own
         * copy, next to its disks. */
        fprintf(fp, "code=${OVMF_CODE:-/usr/share/OVMF/%s}\n",
                sb ? "OVMF_CODE_4M.secboot.fd" : "OVMF_CODE_4M.fd");
        fprintf(fp, "vars=");
        e = v2k_asprintf("%s/%s-VARS.fd", q->dir, s->name);
        if (e == NULL)
            return -1;
        put_word(fp, e);
        free(e);
        fprintf(fp, "\n[ -f \"$vars\" ] || cp \"${OVMF_VARS:-"
                "/usr/share/OVMF/%s}\" \"$vars\"\n\n",
                sb ? "OVMF_VARS_4M.ms.fd" : "OVMF_VARS_4M.fd");
    }
    fprintf(fp, "# shellcheck disable=SC2086\nexec \"$qemu\" \\\n");
    e = qemu_escape(s->name);
    if (e == NULL)
        return -1;
    opt(fp, "-name", "%s", e);
    free(e);
    /* Windows: no HPET, PIT ticks delayed (virt-install's timers). */
    fprintf(fp, "    -machine %s,accel=$accel%s%s \\\n", pc ? "pc" : "q35",
            sb ? ",smm=on" : "", windows ? ",hpet=off" : "");
    fprintf(fp, "    -cpu \"$cpu%s\" \\\n",
            hv != V2K_HYPERV_NONE ? "$hv" : "");
    if (windows)
        opt(fp, "-global", "kvm-pit.lost_tick_policy=delay");
    if (s->sockets && s->cores && s->threads &&
        (unsigned long long)s->sockets * s->cores * s->threads == s->vcpus)
        opt(fp, "-smp", "%u,sockets=%u,cores=%u,threads=%u", s->vcpus,
            s->sockets,
            s->cores, s->threads);
    else
        opt(fp, "-smp", "%u", s->vcpus);
    opt(fp, "-m", "%lluM", (unsigned long long)(s->memory_bytes >> 20) ?
                         (unsigned long long)(s->memory_bytes >> 20) : 1);
    fprintf(fp, "    -nodefaults -no-user-config \\\n");
    opt(fp, "-rtc", "base=%s,driftfix=slew", gc->rtc_utc ? "utc" : "localtime");
    if (uefi) {
        fprintf(fp, "    -drive if=pflash,format=raw,unit=0,readonly=on,"
                "file=\"$code\" \\\n");
        fprintf(fp, "    -drive if=pflash,format=raw,unit=1,file=\"$vars\" "
                "\\\n");
        if (sb)
            fprintf(fp, "    -global driver=cfi.pflash01,property=secure,"
                    "value=on \\\n");
    }
    if (gc->block_bus == V2K_BLOCK_VIRTIO_SCSI) {
        opt(fp, "-device", "%s,id=scsi0", vdev(gc, "virtio-scsi-pci", dev, sizeof dev));
    }
    /* Disks on SATA/IDE take the first units, CD-ROMs the next ones, as
     * the domain XML places them (disk-names.h). */
    ide_disks = gc->block_bus == V2K_BLOCK_SATA ||
                gc->block_bus == V2K_BLOCK_IDE ? v2k_source_ncopied(s) : 0;
    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *d = &s->disks[i];
        const char *boot = k == 0 ? ",bootindex=1" : "";
        char idebus[32];

        if (d->device == V2K_DEV_FLOPPY)
            continue;
        ide = d->device == V2K_DEV_CDROM ? ide_disks + ncd++ : k;
        /* q35's AHCI has six one-device buses ide.0-5; pc's IDE has two
         * buses of two units. */
        if (pc)
            snprintf(idebus, sizeof idebus, "ide.%zu,unit=%zu", ide / 2,
                     ide % 2);
        else
            snprintf(idebus, sizeof idebus, "ide.%zu", ide);
        if (d->device == V2K_DEV_CDROM) {
            opt(fp, "-drive", "if=none,id=cd%zu,media=cdrom,readonly=on", i);
            opt(fp, "-device", "ide-cd,drive=cd%zu,bus=%s", i, idebus);
            continue;
        }
        e = qemu_escape(q->disks.final[k]);
        if (e == NULL)
            return -1;
        opt(fp, "-drive", "file=%s,format=%s,if=none,id=disk%zu,discard=unmap", e,
            o->output_format, k);
        free(e);
        switch (gc->block_bus) {
        case V2K_BLOCK_VIRTIO_BLK:
            opt(fp, "-device", "%s,drive=disk%zu%s",
                vdev(gc, "virtio-blk-pci", dev, sizeof dev), k, boot);
            break;
        case V2K_BLOCK_VIRTIO_SCSI:
            opt(fp, "-device", "scsi-hd,drive=disk%zu,bus=scsi0.0%s", k,
                boot);
            break;
        case V2K_BLOCK_SATA:
        case V2K_BLOCK_IDE:
            opt(fp, "-device", "ide-hd,drive=disk%zu,bus=%s%s", k, idebus,
                boot);
            break;
        }
        k++;
    }
    for (size_t i = 0; i < s->nnics; i++) {
        const struct v2k_nic *n = &s->nics[i];
        const char *vf = v2k_nic_hostdev(n, o->netmaps, o->nnetmaps);
        const char *model;
        char mac[32] = "";

        if (vf) {
            /* The VF keeps the MAC the host's PF driver gives it. */
            opt(fp, "-device", "vfio-pci,host=%s", vf);
            continue;
        }
        if (n->net_type == V2K_NET_BRIDGE) {
            /* Needs qemu-bridge-helper allowed for this bridge in
             * /etc/qemu/bridge.conf. */
            e = qemu_escape(n->network ? n->network : "br0");
            if (e == NULL)
                return -1;
            opt(fp, "-netdev", "bridge,id=net%zu,br=%s", i, e);
            free(e);
        } else {
            /* A libvirt network has no meaning to qemu alone: user-mode
             * networking (NAT), as libvirt's default network would.  A
             * direct (macvtap) NIC too: its tap device is libvirt's to
             * create (said once, in the conversion's log). */
            if (n->net_type == V2K_NET_DIRECT)
                v2k_warning("NIC %zu: direct (macvtap on %s): the qemu script uses user-mode networking instead", i,
                            n->network ? n->network : "?");
            opt(fp, "-netdev", "user,id=net%zu", i);
        }
        model = gc->net_model == V2K_NETM_E1000 ? "e1000"
                : gc->net_model == V2K_NETM_RTL8139
                    ? "rtl8139" : vdev(gc, "virtio-net-pci", dev, sizeof dev);
        if (n->mac)
            snprintf(mac, sizeof mac, ",mac=%s", n->mac);
        opt(fp, "-device", "%s,netdev=net%zu%s", model, i, mac);
    }
    if (gc->virtio_balloon) {
        opt(fp, "-device", "%s", vdev(gc, "virtio-balloon-pci", dev, sizeof dev));
    }
    if (gc->virtio_rng) {
        opt(fp, "-object", "rng-random,id=rng0,filename=/dev/urandom");
        opt(fp, "-device", "%s,rng=rng0", vdev(gc, "virtio-rng-pci", dev, sizeof dev));
    }
    if (gc->pvpanic) {
        opt(fp, "-device", "pvpanic");
    }
    /* qemu-guest-agent's port, as in the domain XML. */
    opt(fp, "-device", "%s", vdev(gc, "virtio-serial-pci", dev, sizeof dev));
    fprintf(fp, "    -chardev \"socket,id=qga0,path=$qga,server=on,wait=off\" \\\n");
    opt(fp, "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0");
    opt(fp, "-device", "%s", windows ? "qxl-vga" : gc->virtio_1_0 ? "virtio-vga"
                                                       : "VGA");
    opt(fp, "-device", "qemu-xhci");
    opt(fp, "-device", "usb-tablet");
    opt(fp, "-vnc", "127.0.0.1:0,to=99");
    fprintf(fp, "    -serial \"${V2K_SERIAL:-mon:stdio}\" \\\n");
    fprintf(fp, "    ${V2K_QEMU_ARGS:-} \"$@\"\n");
    return 0;
}

/* --qemu-boot: run the script in the background, detached, its output
 * (and the guest's console) in DIR/NAME.log. */
static int
boot(struct qemu *q, const struct v2k_source *s)
{
    char *log = v2k_asprintf("%s/%s.log", q->dir, s->name);
    pid_t pid;
    int status;

    if (log == NULL)
        return -1;
    pid = fork();
    if (pid == -1) {
        v2k_error_errno(errno, "--qemu-boot: fork");
        free(log);
        return -1;
    }
    if (pid == 0) {
        /* Double fork: the guest outlives v2kvm without a zombie. */
        if (fork() != 0)
            _exit(0);
        setsid();
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        execl("/bin/sh", "sh", q->sh_final, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    v2k_msg("Started %s in the background (console in %s)", s->name, log);
    free(log);
    return 0;
}

static int
qemu_finalize(void *state, const struct v2k_source *s,
              const struct v2k_guestcaps *gc)
{
    struct qemu *q = state;
    char *text = NULL;
    size_t len = 0;
    FILE *fp;
    int fd = -1, r = -1;

    fp = open_memstream(&text, &len);
    if (fp == NULL) {
        v2k_error_errno(errno, "%s: open_memstream", q->sh_tmp);
        return -1;
    }
    if (write_script(q, s, gc, fp) == -1) {
        fclose(fp);
        goto out;
    }
    if (fclose(fp) != 0) {
        v2k_error_errno(errno, "%s: building the script", q->sh_tmp);
        goto out;
    }
    if (v2k_outfile_register(q->sh_tmp) == -1)
        goto out;
    fd = open(q->sh_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (fd == -1) {
        v2k_error_errno(errno, "%s: create", q->sh_tmp);
        v2k_outfile_forget(q->sh_tmp);  /* not ours (EEXIST): left alone */
        goto out;
    }
    if (v2k_pwrite_all(fd, q->sh_tmp, text, len, 0) == -1)
        goto out;
    if (close(fd) == -1) {
        fd = -1;
        v2k_error_errno(errno, "%s: close", q->sh_tmp);
        goto out;
    }
    fd = -1;
    if (v2k_outdisks_commit_with(&q->disks, q->sh_tmp, q->sh_final,
                                 q->o->overwrite) == -1)
        goto out;
    r = 0;
    if (q->o->qemu_boot)
        r = boot(q, s);
out:
    if (fd >= 0)
        close(fd);
    free(text);
    return r;
}

const struct v2k_output v2k_output_qemu = {
    .name = "qemu",
    .help = "disks and a qemu-system-x86_64 script in the directory -os",
    .needs_storage = true,
    .setup = qemu_setup,
    .disk_tmp_path = qemu_disk_tmp_path,
    .disk_format = qemu_disk_format,
    .finalize = qemu_finalize,
    .free = qemu_free,
};
