/* tool-inspect.c - v2kvm-inspect: run v2k_inspect on disk images and
 * print struct v2k_guest, for the tests.
 *
 *   v2kvm-inspect [-v] [--text] [--format raw|qcow2]
 *                 [--root single|first|ask|/dev/...] [--key DEV:KEY]...
 *                 IMAGE... [--next [--root R] [--key DEV:KEY]...]...
 *
 * The images are added read-only: libguestfs puts a throwaway writable
 * overlay over each, so v2k_inspect can mount read-write and the images
 * are never changed.
 *
 * Each --next starts another inspection pass on the same launched
 * appliance (a launch costs 20-60 s under TCG) with its own --root and
 * --key options (the first pass takes those before --next); everything
 * is unmounted between passes, LUKS devices unlocked by a pass stay
 * unlocked.  Each pass prints one line on stdout: the guest as JSON (or
 * the text form with --text), or {"error":"MESSAGE"} when it failed, the
 * message also going to stderr as "v2kvm-inspect: error: MESSAGE".
 * Exit 0 when every pass succeeded, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "guestfs-handle.h"
#include "inspect.h"
#include "json.h"
#include "log.h"

#define MAX_PASSES 16
#define MAX_KEYS 16

struct pass {
    struct v2k_inspect_opts io;
    const char *keys[MAX_KEYS + 1];
    size_t nkeys;
};

static void
usage(void)
{
    fprintf(stderr, "usage: v2kvm-inspect [-v] [--text] [--format FMT] "
            "[--root single|first|ask|/dev/...] [--key DEV:KEY]... "
            "IMAGE... [--next [--root R] [--key DEV:KEY]...]...\n");
}

static int
set_root(struct pass *p, const char *arg)
{
    p->io.root_device = NULL;
    if (strcmp(arg, "single") == 0)
        p->io.root_choice = V2K_ROOT_SINGLE;
    else if (strcmp(arg, "first") == 0)
        p->io.root_choice = V2K_ROOT_FIRST;
    else if (strcmp(arg, "ask") == 0)
        p->io.root_choice = V2K_ROOT_ASK;
    else if (strncmp(arg, "/dev/", 5) == 0) {
        p->io.root_choice = V2K_ROOT_DEVICE;
        p->io.root_device = arg;
    } else {
        v2k_error("--root %s: expected single, first, ask or /dev/...", arg);
        return -1;
    }
    return 0;
}

static int
run_pass(guestfs_h *g, struct pass *p, bool text)
{
    struct v2k_guest *guest;

    p->io.keys = p->nkeys ? p->keys : NULL;
    if (guestfs_umount_all(g) == -1) {
        v2k_guestfs_error(g, "umount-all");
        return -1;
    }
    guest = v2k_inspect(g, &p->io);
    if (guest == NULL) {
        const char *msg = v2k_error_message();
        struct v2k_json *j = v2k_json_new(stdout, false);
        if (j) {
            v2k_json_begin_object(j);
            v2k_json_kv_string(j, "error", msg);
            v2k_json_end_object(j);
            v2k_json_free(j);
        }
        fprintf(stderr, "v2kvm-inspect: error: %s\n", msg);
        return -1;
    }
    if (text)
        v2k_guest_print(guest, stdout);
    else
        v2k_guest_print_json(guest, stdout);
    fflush(stdout);
    v2k_guest_free(guest);
    return 0;
}

static int
run(int argc, char **argv, int *failed)
{
    static struct pass passes[MAX_PASSES];
    size_t npasses = 1;
    const char *format = "raw";
    const char *images[64];
    size_t nimages = 0;
    int verbose = 0, ret = -1;
    bool text = false;
    guestfs_h *g = NULL;

    memset(passes, 0, sizeof passes);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        struct pass *p = &passes[npasses - 1];
        bool has_arg = i + 1 < argc;
        if (strcmp(a, "-v") == 0)
            verbose++;
        else if (strcmp(a, "--text") == 0)
            text = true;
        else if (strcmp(a, "--format") == 0 && has_arg)
            format = argv[++i];
        else if (strcmp(a, "--root") == 0 && has_arg) {
            if (set_root(p, argv[++i]) == -1)
                return -1;
        } else if (strcmp(a, "--key") == 0 && has_arg) {
            if (p->nkeys >= MAX_KEYS) {
                v2k_error("too many --key");
                return -1;
            }
            p->keys[p->nkeys++] = argv[++i];
        } else if (strcmp(a, "--next") == 0) {
            if (npasses >= MAX_PASSES) {
                v2k_error("too many --next");
                return -1;
            }
            npasses++;
        } else if (a[0] == '-') {
            usage();
            v2k_error("bad option %s", a);
            return -1;
        } else {
            if (npasses > 1 || nimages >= 64) {
                usage();
                v2k_error("%s: images go before the first --next", a);
                return -1;
            }
            images[nimages++] = a;
        }
    }
    if (nimages == 0) {
        usage();
        v2k_error("expected at least one IMAGE");
        return -1;
    }
    v2k_log_init("v2kvm-inspect", verbose, false, false, false);

    if ((g = v2k_guestfs_create()) == NULL)
        goto out;
    for (size_t i = 0; i < nimages; i++) {
        if (guestfs_add_drive_opts(g, images[i],
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                                   -1) == -1) {
            v2k_guestfs_error(g, images[i]);
            goto out;
        }
    }
    if (guestfs_launch(g) == -1) {
        v2k_guestfs_error(g, "launch");
        goto out;
    }
    for (size_t i = 0; i < npasses; i++)
        if (run_pass(g, &passes[i], text) == -1)
            (*failed)++;
    ret = 0;
out:
    if (g) {
        guestfs_shutdown(g);
        guestfs_close(g);
    }
    return ret;
}

int
main(int argc, char **argv)
{
    int failed = 0;

    if (run(argc, argv, &failed) == -1) {
        fprintf(stderr, "v2kvm-inspect: error: %s\n", v2k_error_message());
        return 1;
    }
    return failed ? 1 : 0;
}
