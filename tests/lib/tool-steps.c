/* tool-steps.c - v2kvm-steps: run some rewrite steps on guest images,
 * for the tests.
 *
 *   v2kvm-steps [-v] [--block-driver virtio-blk|virtio-scsi]
 *               [--names xvda,xvdb] [--bus ide|sata|scsi|xen|...]
 *               [--format raw|qcow2] [--xen-pv] [--root first|single|DEV]
 *               [--new-macs] [--rebuild-initramfs] STEPS IMAGE...
 *
 * Launches libguestfs on the images READ-WRITE (pass scratch copies),
 * inspects (the root and its filesystems mounted), builds a source whose
 * disks are the images in order (bus --bus, default scsi; names from
 * --names, else none), sets the default guestcaps and --block-driver
 * (MACs kept unless --new-macs; --rebuild-initramfs as v2kvm's), runs
 * the Linux steps named in STEPS
 * (comma-separated as V2K_ONLY_STEPS;
 * "all" = every step, "" = none; several lists separated by ';' run
 * one after the other, each failure printed and the next list run),
 * prints what each list left in the guestcaps on stdout:
 *   kernel=VER virtio_1_0=yes|no rng=yes|no balloon=yes|no machine=q35|pc
 * and shuts the appliance down cleanly (so every write reaches the
 * images).  Exit 0, or 1 with "v2kvm-steps: error: MESSAGE" on stderr.
 *
 * To save appliance launches (each is 20-60 s under TCG), the test can
 * prepare and read back the guest in the same run:
 *   --rm GUEST          delete a guest file before the steps (the guest
 *                       is inspected again afterwards, so inspection sees
 *                       the change: e.g. a kernel's virtio modules gone)
 *   --upload HOST:GUEST copy a host file into the guest before the steps
 *                       (its directory made when missing)
 *   --download GUEST:HOST  copy a guest file out after the steps (done
 *                       whether the steps succeeded or not; a missing
 *                       guest file is skipped)
 * and give the source NICs (none by default) for the "network" step:
 *   --nic MAC[@SLOT]    a NIC with the source MAC and PCI slot number
 * and its firmware (BIOS by default) for the "efiboot" step:
 *   --uefi              the source boots with UEFI
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "error.h"
#include "guestcaps.h"
#include "guestfs-handle.h"
#include "inspect.h"
#include "log.h"
#include "options.h"
#include "source.h"
#include "util.h"

static void
usage(void)
{
    fprintf(stderr, "usage: v2kvm-steps [-v] [--block-driver virtio-blk|"
            "virtio-scsi] [--names N1,N2] [--bus BUS] [--format FMT] "
            "[--xen-pv] [--root first|single|/dev/...] [--new-macs] [--uefi] "
            "[--rebuild-initramfs] [--nic MAC[@SLOT]]... STEPS IMAGE...\n");
}

static int
run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "block-driver", required_argument, NULL, 'B' },
        { "names", required_argument, NULL, 'n' },
        { "bus", required_argument, NULL, 'b' },
        { "format", required_argument, NULL, 'f' },
        { "root", required_argument, NULL, 'r' },
        { "xen-pv", no_argument, NULL, 'x' },
        { "upload", required_argument, NULL, 'U' },
        { "rm", required_argument, NULL, 'R' },
        { "download", required_argument, NULL, 'D' },
        { "new-macs", no_argument, NULL, 'm' },
        { "nic", required_argument, NULL, 'N' },
        { "uefi", no_argument, NULL, 'E' },
        { "rebuild-initramfs", no_argument, NULL, 'I' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    const char *names = NULL, *format = "raw", *root = "single";
    enum v2k_block_bus bus_out = V2K_BLOCK_VIRTIO_BLK;
    enum v2k_bus bus_in = V2K_BUS_SCSI;
    bool xen_pv = false, keep_macs = true, uefi = false;
    int verbose = 0, c, i, ret = -1;
    struct v2k_options o;
    struct v2k_guestcaps gc = { 0 };
    struct v2k_source *src = NULL;
    struct v2k_guest *guest = NULL;
    struct v2k_inspect_opts io = { V2K_ROOT_SINGLE, NULL, NULL };
    guestfs_h *g = NULL;
    const char *steps;
    char *namebuf = NULL, *save = NULL, *tok;
    const char *uploads[32], *rms[32], *downloads[32], *nicargs[8];
    size_t nup = 0, nrm = 0, ndown = 0, nnic = 0, j;
    int steps_rc = 0;

    memset(&o, 0, sizeof o);
    while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        switch (c) {
        case 'B':
            if (strcmp(optarg, "virtio-scsi") == 0)
                bus_out = V2K_BLOCK_VIRTIO_SCSI;
            else if (strcmp(optarg, "virtio-blk") == 0)
                bus_out = V2K_BLOCK_VIRTIO_BLK;
            else {
                v2k_error("--block-driver %s: virtio-blk or virtio-scsi",
                          optarg);
                return -1;
            }
            break;
        case 'n': names = optarg; break;
        case 'b': {
            int b = v2k_bus_from_string(optarg);
            if (b < 0) {
                v2k_error("--bus %s: unknown bus", optarg);
                return -1;
            }
            bus_in = (enum v2k_bus)b;
            break;
        }
        case 'f': format = optarg; break;
        case 'r': root = optarg; break;
        case 'x': xen_pv = true; break;
        case 'U':
        case 'R':
        case 'D': {
            const char **arr = c == 'U' ? uploads : c == 'R' ? rms : downloads;
            size_t *n = c == 'U' ? &nup : c == 'R' ? &nrm : &ndown;
            if (*n == 32) {
                v2k_error("too many --upload/--rm/--download");
                return -1;
            }
            if (c != 'R' && strchr(optarg, ':') == NULL) {
                v2k_error("%s: expected A:B", optarg);
                return -1;
            }
            arr[(*n)++] = optarg;
            break;
        }
        case 'm': keep_macs = false; break;
        case 'E':
            uefi = true;
            break;
        case 'N':
            if (nnic == 8) {
                v2k_error("too many --nic");
                return -1;
            }
            nicargs[nnic++] = optarg;
            break;
        case 'I': o.rebuild_initramfs = true; break;
        case 'v': verbose++; break;
        default:
            usage();
            v2k_error("bad option");
            return -1;
        }
    }
    if (argc - optind < 2) {
        usage();
        v2k_error("expected STEPS and at least one IMAGE");
        return -1;
    }
    v2k_log_init("v2kvm-steps", verbose, false, false, false);
    o.verbose = verbose;
    steps = argv[optind++];
    if (strcmp(root, "first") == 0)
        io.root_choice = V2K_ROOT_FIRST;
    else if (strcmp(root, "single") != 0) {
        io.root_choice = V2K_ROOT_DEVICE;
        io.root_device = root;
    }

    if ((src = v2k_source_new()) == NULL)
        goto out;
    src->name = v2k_strdup("steps");
    src->xen_pv = xen_pv;
    src->firmware = uefi ? V2K_FW_UEFI : V2K_FW_BIOS;
    if (names && (namebuf = v2k_strdup(names)) == NULL)
        goto out;
    tok = namebuf ? strtok_r(namebuf, ",", &save) : NULL;
    for (i = optind; i < argc; i++) {
        struct v2k_disk *d = v2k_source_add_disk(src);
        if (d == NULL)
            goto out;
        d->path = v2k_strdup(argv[i]);
        d->format = v2k_strdup(format);
        d->device = V2K_DEV_DISK;
        d->bus = bus_in;
        d->slot = i - optind;
        if (tok) {
            d->target_dev = v2k_strdup(tok);
            tok = strtok_r(NULL, ",", &save);
        }
    }

    for (j = 0; j < nnic; j++) {
        struct v2k_nic *n = v2k_source_add_nic(src);
        const char *at = strchr(nicargs[j], '@');
        char mac[18], in[18];

        if (n == NULL)
            goto out;
        snprintf(in, sizeof in, "%.*s",
                 (int)(at ? (size_t)(at - nicargs[j]) : strlen(nicargs[j])),
                 nicargs[j]);
        if (!v2k_parse_mac(in, false, mac)) {
            v2k_error("--nic %s: not MAC[@SLOT]", nicargs[j]);
            goto out;
        }
        n->mac = v2k_strdup(mac);
        n->pci_slot = -1;
        if (at) {
            uint64_t slot;

            if (v2k_parse_u64(at + 1, "--nic SLOT", &slot) == -1 ||
                slot > 65535) {
                v2k_error("--nic %s: SLOT must be 0..65535", nicargs[j]);
                goto out;
            }
            n->pci_slot = (int)slot;
        }
        n->model = V2K_NIC_VMXNET3;
    }

    g = v2k_guestfs_create();
    if (g == NULL)
        goto out;
    for (i = optind; i < argc; i++)
        if (guestfs_add_drive_opts(g, argv[i],
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                                   -1) == -1) {
            v2k_guestfs_error(g, argv[i]);
            goto out;
        }
    if (guestfs_launch(g) == -1) {
        v2k_guestfs_error(g, "launch");
        goto out;
    }
    guest = v2k_inspect(g, &io);
    if (guest == NULL)
        goto out;
    if (nrm) {
        for (j = 0; j < nrm; j++)
            if (guestfs_rm_rf(g, rms[j]) == -1) {
                v2k_guestfs_error(g, rms[j]);
                goto out;
            }
        v2k_guest_free(guest);
        if (guestfs_umount_all(g) == -1) {
            guest = NULL;
            v2k_guestfs_error(g, "umount-all");
            goto out;
        }
        if ((guest = v2k_inspect(g, &io)) == NULL)
            goto out;
    }
    for (j = 0; j < nup; j++) {
        const char *colon = strchr(uploads[j], ':');
        char *host = strndup(uploads[j], (size_t)(colon - uploads[j]));
        char *dir = v2k_strdup(colon + 1);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        int r;

        /* the guest directory is made as needed */
        if (slash && slash != dir) {
            *slash = '\0';
            if (guestfs_is_dir(g, dir) == 0 && guestfs_mkdir_p(g, dir) == -1)
                v2k_guestfs_error(g, dir);
        }
        free(dir);
        r = host ? guestfs_upload(g, host, colon + 1) : -1;
        free(host);
        if (r == -1) {
            v2k_guestfs_error(g, uploads[j]);
            goto out;
        }
    }

    /* STEPS may hold several lists separated by ';', run one after the
     * other on the same guest even when one fails (each failure printed
     * as it happens): a refusal and what follows it in one launch. */
    {
        char *lists = v2k_strdup(steps), *lsave = NULL, *one;
        unsigned failed = 0;

        if (lists == NULL)
            goto out;
        for (one = strtok_r(lists, ";", &lsave); one;
             one = strtok_r(NULL, ";", &lsave)) {
            struct v2k_convert_ctx ctx = {
                .g = g, .guest = guest, .src = src, .gc = &gc,
                .opts = { .machine_fixed = o.machine != NULL,
                          .rebuild_initramfs = o.rebuild_initramfs },
                .keep_macs = keep_macs,
                .only_steps = strcmp(one, "all") == 0 ? NULL : one,
            };
            int cr;
            const struct v2k_kernel *k;

            v2k_guestcaps_clear(&gc);
            v2k_guestcaps_defaults(&gc, src);
            gc.block_bus = bus_out;
            cr = v2k_convert_guest(&ctx);
            v2k_edit_set_clear(&ctx.edited);
            if (cr == -1) {
                fprintf(stderr, "v2kvm-steps: error: %s\n",
                        v2k_error_message());
                failed++;
                continue;
            }
            k = guest->default_kernel >= 0 &&
                        (size_t)guest->default_kernel < guest->nkernels
                    ? &guest->kernels[guest->default_kernel] : NULL;
            printf("kernel=%s virtio_1_0=%s rng=%s balloon=%s "
                   "machine=%s\n", k && k->version ? k->version : "none",
                   gc.virtio_1_0 ? "yes" : "no",
                   gc.virtio_rng ? "yes" : "no",
                   gc.virtio_balloon ? "yes" : "no",
                   v2k_machine_to_string(gc.machine));
            fflush(stdout);
        }
        free(lists);
        if (failed) {
            v2k_error("%u step list(s) failed (errors above)", failed);
            steps_rc = -1;
        }
    }
    /* Keep the steps' error message; downloads only add their own. */
    for (j = 0; j < ndown; j++) {
        const char *colon = strchr(downloads[j], ':');
        char *gpath = strndup(downloads[j], (size_t)(colon - downloads[j]));
        if (gpath && guestfs_exists(g, gpath) == 1 &&
            guestfs_download(g, gpath, colon + 1) == -1 && steps_rc == 0) {
            v2k_guestfs_error(g, downloads[j]);
            steps_rc = -1;
        }
        free(gpath);
    }
    ret = steps_rc;
out:
    free(namebuf);
    v2k_source_free(src);
    v2k_guest_free(guest);
    v2k_guestcaps_clear(&gc);
    if (g) {
        /* Keep the first error; a failed shutdown may have lost writes. */
        if ((guestfs_umount_all(g) == -1 || guestfs_shutdown(g) == -1) &&
            ret == 0) {
            v2k_guestfs_error(g, "shutdown");
            ret = -1;
        }
        guestfs_close(g);
    }
    return ret;
}

int
main(int argc, char **argv)
{
    if (run(argc, argv) == -1) {
        fprintf(stderr, "v2kvm-steps: error: %s\n", v2k_error_message());
        return 1;
    }
    return 0;
}
