/* pipeline.c - see pipeline.h. */
#include "pipeline.h"
#include "accel.h"
#include "conversion.h"
#include "copy.h"
#include "domain-xml.h"
#include "error.h"
#include "firmware.h"
#include "format.h"
#include "guestcaps.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "outfile.h"
#include "progress.h"
#include "util.h"
#include "writer.h"

#include <libxml/xmlstring.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const struct v2k_input v2k_input_xen;
extern const struct v2k_input v2k_input_libvirtxml;
extern const struct v2k_input v2k_input_vbox;
extern const struct v2k_input v2k_input_vmx;
extern const struct v2k_input v2k_input_ova;
extern const struct v2k_input v2k_input_libvirt;

static const struct v2k_input *const inputs[] = {
    &v2k_input_disk,
    &v2k_input_xen,
    &v2k_input_libvirtxml,
    &v2k_input_vbox,
    &v2k_input_vmx,
    &v2k_input_ova,
    &v2k_input_libvirt,
    NULL,
};

static const struct v2k_output *const outputs[] = {
    &v2k_output_local,
    &v2k_output_libvirt,
    &v2k_output_qemu,
    &v2k_output_null,
    NULL,
};

const struct v2k_input *const *v2k_inputs(void) { return inputs; }
const struct v2k_output *const *v2k_outputs(void) { return outputs; }

static const struct v2k_input *
find_input(const char *name)
{
    char list[256] = "";

    for (size_t i = 0; inputs[i]; i++)
        if (strcmp(inputs[i]->name, name) == 0)
            return inputs[i];
    for (size_t i = 0; inputs[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", inputs[i]->name);
    v2k_error("-i %s: unknown input mode (input modes: %s)", name, list);
    return NULL;
}

static const struct v2k_output *
find_output(const char *name)
{
    char list[256] = "";

    for (size_t i = 0; outputs[i]; i++)
        if (strcmp(outputs[i]->name, name) == 0)
            return outputs[i];
    for (size_t i = 0; outputs[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", outputs[i]->name);
    v2k_error("-o %s: unknown output mode (output modes: %s)", name, list);
    return NULL;
}

int
v2k_check_vm_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 200) {
        v2k_error("VM name '%s' must be 1 to 200 bytes long", name);
        return -1;
    }
    /* The name becomes the domain XML's <name> and the output files'
     * names, which the XML names: bytes that are not UTF-8 make the XML
     * unreadable (issue #13 item 9). */
    if (!xmlCheckUTF8((const xmlChar *)name)) {
        v2k_error("VM name is not valid UTF-8 (use -on NAME)");
        return -1;
    }
    if (name[0] == '.' || name[0] == '-') {
        v2k_error("VM name '%s' may not start with '%c'", name, name[0]);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '/' || *p < 0x20 || *p == 0x7f) {
            v2k_error("VM name '%s' contains a character not allowed in libvirt names or file names (use -on NAME)", name);
            return -1;
        }
    }
    return 0;
}

static int
replace(char **field, const char *value)
{
    char *s = v2k_strdup(value);
    if (s == NULL)
        return -1;
    free(*field);
    *field = s;
    return 0;
}

int
v2k_pipeline_apply_options(const struct v2k_options *o, struct v2k_source *s)
{
    if (o->output_name && replace(&s->name, o->output_name) == -1)
        return -1;
    if (o->memory_bytes)
        s->memory_bytes = o->memory_bytes;
    if (o->vcpus) {
        s->vcpus = o->vcpus;
        s->sockets = s->cores = s->threads = 0;
    }
    for (size_t i = 0; i < s->nnics; i++) {
        struct v2k_nic *n = &s->nics[i];
        const struct v2k_netmap *hit = NULL;

        /* --mac wins; then a named -n/-b; then a catch-all -n/-b. */
        for (size_t k = 0; k < o->nnetmaps && !hit; k++) {
            const struct v2k_netmap *m = &o->netmaps[k];
            /* --mac MAC:hostdev: is the domain XML's business. */
            if (m->kind == V2K_MAP_MAC && !m->to_hostdev && n->mac &&
                strcasecmp(m->in, n->mac) == 0)
                hit = m;
        }
        /* Pass 0: "-n IN:OUT" naming this source network (or -b for a
         * bridge); pass 1: a catch-all of the same kind; pass 2: a
         * catch-all of the other kind, so "-b br0" alone also moves a
         * NIC that was on a network (what users of -i disk expect). */
        for (int pass = 0; pass < 3 && !hit; pass++) {
            for (size_t k = 0; k < o->nnetmaps && !hit; k++) {
                const struct v2k_netmap *m = &o->netmaps[k];
                enum v2k_net_type t = m->kind == V2K_MAP_BRIDGE
                                          ? V2K_NET_BRIDGE : V2K_NET_NETWORK;
                if (m->kind == V2K_MAP_MAC)
                    continue;
                if (pass == 0 && t == n->net_type && m->in && n->network &&
                    strcmp(m->in, n->network) == 0)
                    hit = m;
                if (pass == 1 && t == n->net_type && m->in == NULL)
                    hit = m;
                if (pass == 2 && t != n->net_type && m->in == NULL)
                    hit = m;
            }
        }
        if (hit) {
            if (replace(&n->network, hit->out) == -1)
                return -1;
            n->net_type = hit->to_bridge ? V2K_NET_BRIDGE : V2K_NET_NETWORK;
        }
    }
    return 0;
}

/* Threads copying d: --parallel, else one per CPU, and at least
 * REMOTE_WORKERS for a disk read over the network, where each thread
 * keeps one ranged read in flight: ESXi throttles each connection, and
 * bench/bench-esx.sh measured 1.9x one connection's rate with 2 and
 * 3.5-4x with 4 behind a per-connection throttle. */
#define REMOTE_WORKERS 4
static bool
remote_disk(const struct v2k_disk *d)
{
    return d->transport == V2K_TRANSPORT_HTTPS ||
           d->transport == V2K_TRANSPORT_SFTP ||
           d->transport == V2K_TRANSPORT_NBD;
}

static unsigned
copy_workers(const struct v2k_options *o, const struct v2k_disk *d)
{
    if (o->workers != 0)
        return o->workers;
    if (remote_disk(d) && v2k_ncpus() < REMOTE_WORKERS)
        return REMOTE_WORKERS;
    return 0;                   /* the copy engine's default */
}

/* Bytes per ranged read for a disk read over the network: each copy
 * chunk is one HTTPS range request (or SFTP read run); larger ones cost
 * fewer round trips and server-side request setups (the datastore's
 * /folder handler opens the file for each).  bench/bench-esx.sh, 1 GiB
 * from govmomi's simulator, curl / v2kvm with 4 in flight: 2 MiB 0.89,
 * 8 MiB 0.92, 16 MiB 0.96, 32 MiB 0.94 (one in flight: 0.64, 0.78,
 * 0.82, 0.83).  Local disks keep the copy engine's default, sized for
 * the CPU caches. */
#define REMOTE_CHUNK (16U << 20)
static size_t
copy_chunk(const struct v2k_disk *d)
{
    return remote_disk(d) ? REMOTE_CHUNK
                          : 0;      /* the copy engine's default */
}

/* Copy source disk i, the output's disk k: the converted overlay merged
 * over the source when conv is set, else the source as it is. */
static int
copy_disk(const struct v2k_options *o, const struct v2k_output *out,
          void *state, const struct v2k_source *s, size_t i, size_t k,
          size_t ncopied, struct v2k_conversion *conv, uint64_t *size)
{
    const struct v2k_disk *d = &s->disks[i];
    const char *tmp = out->disk_tmp_path(state, k);
    struct v2k_writer_opts wopts = {
        .preallocate = o->preallocated,
        /* zlib: what qemu-img convert -c writes and every qemu reads. */
        .compress = o->compressed ? V2K_COMPRESS_ZLIB : V2K_COMPRESS_NONE,
    };
    struct v2k_copy_opts copts = {
        .workers = copy_workers(o, d), .chunk_size = copy_chunk(d),
    };
    struct v2k_copy_stats stats;
    struct v2k_image *img;
    struct v2k_writer *w = NULL;
    struct v2k_progress *p;
    char label[64], h1[32], h2[32];
    double t0 = v2k_now();
    int r = -1;

    /* d->path may be a URI (sftp://, https://), or TAR/MEMBER for a
     * disk inside an OVA (read in place); see conversion.h. */
    img = conv ? v2k_conversion_open_disk(conv, k)
               : v2k_open_source_disk(o, d);
    if (img == NULL)
        return -1;
    *size = img->size;
    if (out->disk_writer) {
        w = out->disk_writer(state, k, img->size, &wopts);
    } else {
        /* Registered for removal only once created (O_EXCL): a file of
         * that name this run did not create is not removed. */
        w = v2k_writer_create(tmp, out->disk_format(state, k), img->size,
                              &wopts);
        if (w && v2k_outfile_register(tmp) == -1)
            goto out;
    }
    if (w == NULL)
        goto out;
    v2k_msg("Copying disk %zu/%zu (%s, %s)", k + 1, ncopied, d->path,
            v2k_human_size(img->size, h1, sizeof h1));
    snprintf(label, sizeof label, "disk %zu/%zu", k + 1, ncopied);
    p = v2k_progress_new(label, img->size);
    copts.progress = p;
    r = v2k_copy(img, w, &copts, &stats);
    v2k_progress_finish(p);
    if (r == 0)
        r = v2k_writer_finish(w);
    if (r == 0)
        v2k_debug("disk %zu: read %s, wrote %s in %.1f s, %u threads",
                  k + 1, v2k_human_size(stats.bytes_read, h1, sizeof h1),
                  v2k_human_size(stats.bytes_written, h2, sizeof h2),
                  v2k_now() - t0, stats.workers);
out:
    if (r == -1)
        v2k_error_prepend("disk %zu (%s): ", i + 1, d->path);
    v2k_writer_free(w);
    if (conv)
        v2k_conversion_close_disk(conv, k, img);
    else
        v2k_image_close(img);
    return r;
}

/* The final JSON line (--machine-readable): what v2kvm-batch records of
 * a VM for its report (batch/state.h, "facts").  sizes: the virtual
 * size of each copied disk, in output order (nsizes of them), or NULL
 * when nothing was copied (an inspection): then the sizes the source
 * states (0 = unknown). */
static void
print_result(const struct v2k_source *s, const struct v2k_options *o,
             const struct v2k_conversion *conv,
             const struct v2k_guestcaps *gc, const uint64_t *sizes,
             size_t nsizes)
{
    struct v2k_json *j = v2k_log_json_begin("result");
    const struct v2k_guest *guest = conv ? v2k_conversion_guest(conv) : NULL;

    if (j == NULL)
        return;
    v2k_json_kv_string(j, "status", "ok");
    v2k_json_kv_string(j, "name", s->name);
    v2k_json_kv_string(j, "output", o->output_mode);
    v2k_json_kv_string(j, "storage", o->output_storage);
    v2k_json_kv_bool(j, "converted", conv != NULL);
    if (conv) {
        v2k_json_kv_string(j, "distro", guest ? guest->distro : NULL);
        v2k_json_kv_double(j, "appliance_seconds",
                           v2k_conversion_appliance_seconds(conv));
    }
    v2k_json_kv_string(j, "product_name", guest ? guest->product_name : NULL);
    /* Without a conversion, what the source's OS hint told the
     * guestcaps (--no-convert), if anything. */
    v2k_json_kv_string(j, "osinfo", guest && guest->osinfo ? guest->osinfo
                                    : gc ? gc->osinfo : NULL);
    v2k_json_kv_string(j, "firmware", v2k_firmware_to_string(s->firmware));
    v2k_json_key(j, "disks");
    v2k_json_begin_array(j);
    if (sizes) {
        for (size_t i = 0; i < nsizes; i++)
            v2k_json_uint(j, sizes[i]);
    } else {
        for (size_t i = 0; i < s->ndisks; i++)
            if (s->disks[i].device == V2K_DEV_DISK)
                v2k_json_uint(j, s->disks[i].size_bytes);
    }
    v2k_json_end_array(j);
    v2k_log_json_end(j);
}

int
v2k_pipeline_check_modes(const struct v2k_options *o)
{
    const struct v2k_output *out;

    if (find_input(o->input_mode) == NULL)
        return -1;
    if (o->print_source)
        return 0;
    if ((out = find_output(o->output_mode)) == NULL)
        return -1;
    if (out->needs_storage && o->output_storage == NULL) {
        v2k_error("-o %s: give the output directory with -os DIR", out->name);
        return -1;
    }
    return 0;
}

int
v2k_pipeline_run(const struct v2k_options *o)
{
    const struct v2k_input *in = find_input(o->input_mode);
    const struct v2k_output *out = NULL;
    struct v2k_source *s = NULL;
    struct v2k_guestcaps gc = { 0 };
    struct v2k_conversion *conv = NULL;
    bool inspect_only;
    void *state = NULL;
    void *istate = NULL;        /* the input's, closed at the end */
    size_t ncopied, k = 0;
    uint64_t *sizes = NULL;     /* each copied disk's virtual size */
    double t0;
    int r = -1;

    if (in == NULL)
        return -1;
    if (!o->print_source && (out = find_output(o->output_mode)) == NULL)
        return -1;
    if (v2k_log_verbose())
        v2k_accel_get();        /* logs which accelerator, and why */

    if (!o->print_source)
        v2k_msg("Opening the source (-i %s)", in->name);
    t0 = v2k_now();
    s = in->open(o, &istate);
    if (s == NULL)
        goto out;
    if (!o->print_source)       /* that prints the source model alone */
        v2k_log_phase("source", v2k_now() - t0);
    if (v2k_pipeline_apply_options(o, s) == -1 ||
        v2k_source_validate(s) == -1 || v2k_check_vm_name(s->name) == -1)
        goto out;
    if (o->print_source) {
        if (o->machine_readable)
            v2k_source_print_json(s, stdout);
        else
            v2k_source_print(s, stdout);
        r = 0;
        goto out;
    }

    /* BIOS or UEFI, from the disks where the source is silent: the
     * rewrite (the UEFI fallback loader) and the outputs follow it. */
    if (v2k_firmware_decide(o, s) == -1)
        goto out;

    /* Linux-like defaults (or with --no-convert, what the source's OS
     * hint says) and the user's overrides (guestcaps.h): the
     * rewrite steps read them (which disk bus the output uses), then say
     * what the converted guest can drive; the overrides are checked again
     * against that. */
    v2k_guestcaps_defaults(&gc, s);
    /* --no-convert inspects nothing: a Windows guest is known by the
     * source's OS hint alone, and has no virtio drivers unless the user
     * says so with --block-driver. */
    if (o->no_convert && v2k_guestcaps_from_hint(&gc, s->os_hint)) {
        if (o->block_driver != V2K_BLOCKDRV_DEFAULT)
            gc.block_bus = V2K_BLOCK_VIRTIO_BLK;
        v2k_debug("guestcaps from the source's OS hint '%s': %s, osinfo %s, NT %u.%u, machine %s, block %s, nic %s, rtc %s",
                  s->os_hint, v2k_os_family_to_string(gc.family),
                  gc.osinfo ? gc.osinfo : "unknown", gc.win_major,
                  gc.win_minor, v2k_machine_to_string(gc.machine),
                  v2k_block_bus_to_string(gc.block_bus),
                  v2k_net_model_to_string(gc.net_model),
                  gc.rtc_utc ? "utc" : "localtime");
    }
    if (v2k_options_apply_guestcaps(o, s, &gc) == -1)
        goto out;
    /* -o null --print-guest: an inspection-only run. */
    inspect_only = o->print_guest && strcmp(out->name, "null") == 0;
    /* The output's storage and names are checked before minutes go into
     * the conversion (setup reads the guestcaps only later, in
     * finalize). */
    state = out->setup(o, s, &gc);
    if (state == NULL)
        goto out;
    if (o->no_convert) {
        v2k_warning("--no-convert: the disks are copied unchanged; the guest may not boot on KVM (no virtio drivers, device names, bootloader or hypervisor tools were changed)");
    } else {
        conv = v2k_conversion_run(o, s, &gc, inspect_only);
        if (conv == NULL)
            goto out;
        if (inspect_only) {
            v2k_msg("Finished inspecting %s", s->name);
            if (o->machine_readable)
                print_result(s, o, conv, &gc, NULL, 0);
            r = 0;
            goto out;
        }
        if (v2k_options_apply_guestcaps(o, s, &gc) == -1)
            goto out;
    }
    v2k_guestcaps_debug(&gc);
    for (size_t i = 0; i < s->ndisks; i++)
        if (s->disks[i].device == V2K_DEV_FLOPPY)
            v2k_warning("floppy drive %zu (%s) is not converted", i + 1,
                        s->disks[i].path ? s->disks[i].path : "empty");
    ncopied = v2k_source_ncopied(s);
    sizes = v2k_calloc(ncopied ? ncopied : 1, sizeof *sizes);
    if (sizes == NULL)
        goto out;
    t0 = v2k_now();
    for (size_t i = 0; i < s->ndisks; i++) {
        if (s->disks[i].device != V2K_DEV_DISK)
            continue;
        if (copy_disk(o, out, state, s, i, k, ncopied, conv,
                      &sizes[k]) == -1)
            goto out;
        k++;
    }
    v2k_log_phase("copy", v2k_now() - t0);
    v2k_msg("Writing the output (-o %s)", out->name);
    t0 = v2k_now();
    if (v2k_check_interrupted() == -1 || out->finalize(state, s, &gc) == -1)
        goto out;
    v2k_log_phase("output", v2k_now() - t0);
    v2k_msg("Finished converting %s", s->name);
    if (o->machine_readable)
        print_result(s, o, conv, &gc, sizes, k);
    r = 0;
out:
    free(sizes);
    v2k_conversion_free(conv);
    if (r == -1)
        v2k_outfile_remove_all();
    if (out && state)
        out->free(state);
    /* After the copy: the OVA's unpacked disks were read until now, and
     * the vSphere session's cookie with them. */
    v2k_input_close(in, istate);
    v2k_guestcaps_clear(&gc);
    v2k_source_free(s);
    return r;
}
