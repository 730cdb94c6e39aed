/* source.c - see source.h. */
#include "source.h"
#include "error.h"
#include "json.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* One table per enum, indexed by value (VIR_ENUM_IMPL's idea). */
#define ENUM_TABLE(fn, type, ...)                                         \
    static const char *const fn##_names[] = { __VA_ARGS__ };              \
    const char *fn##_to_string(type v)                                    \
    {                                                                     \
        return (size_t)v < V2K_ARRAY_SIZE(fn##_names) ? fn##_names[v]     \
                                                      : "?";              \
    }                                                                     \
    static int __attribute__((unused)) fn##_lookup(const char *s)         \
    {                                                                     \
        for (size_t i = 0; i < V2K_ARRAY_SIZE(fn##_names); i++)           \
            if (strcmp(fn##_names[i], s) == 0)                            \
                return (int)i;                                            \
        return -1;                                                        \
    }

ENUM_TABLE(v2k_hypervisor, enum v2k_hypervisor, "unknown", "vmware", "xen",
           "virtualbox", "kvm", "hyperv", "physical")
ENUM_TABLE(v2k_firmware, enum v2k_firmware, "unknown", "bios", "uefi")
ENUM_TABLE(v2k_bus, enum v2k_bus, "unknown", "ide", "sata", "scsi",
           "virtio-blk", "virtio-scsi", "nvme", "xen", "floppy")
ENUM_TABLE(v2k_device, enum v2k_device, "disk", "cdrom", "floppy")
ENUM_TABLE(v2k_transport_kind, enum v2k_transport_kind, "file", "block",
           "https", "sftp", "archive", "nbd")
ENUM_TABLE(v2k_nic_model, enum v2k_nic_model, "unknown", "virtio", "e1000",
           "e1000e", "rtl8139", "pcnet", "vmxnet3", "xen")
ENUM_TABLE(v2k_net_type, enum v2k_net_type, "network", "bridge",
           "direct")
ENUM_TABLE(v2k_video, enum v2k_video, "unknown", "vga", "cirrus", "vmvga",
           "qxl", "virtio", "xen", "vbox")

int v2k_bus_from_string(const char *s) { return v2k_bus_lookup(s); }
int v2k_nic_model_from_string(const char *s) { return v2k_nic_model_lookup(s); }

struct v2k_source *
v2k_source_new(void)
{
    return v2k_calloc(1, sizeof(struct v2k_source));
}

void
v2k_source_free(struct v2k_source *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ndisks; i++) {
        free(s->disks[i].path);
        free(s->disks[i].format);
        free(s->disks[i].model);
        free(s->disks[i].serial);
        free(s->disks[i].target_dev);
        v2k_strv_free(s->disks[i].parent_chain);
        v2k_strv_free(s->disks[i].backing_chain);
        free(s->disks[i].confine_dir);
    }
    for (size_t i = 0; i < s->nnics; i++) {
        free(s->nics[i].mac);
        free(s->nics[i].network);
        free(s->nics[i].direct_mode);
    }
    free(s->disks);
    free(s->nics);
    free(s->name);
    free(s->uuid);
    free(s->sound);
    free(s->os_hint);
    free(s->xen_type);
    free(s->console);
    free(s->bootloader);
    free(s->kernel);
    free(s->ramdisk);
    free(s->cmdline);
    free(s);
}

struct v2k_disk *
v2k_source_add_disk(struct v2k_source *s)
{
    struct v2k_disk *d = realloc(s->disks, (s->ndisks + 1) * sizeof *d);
    if (d == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    s->disks = d;
    d = &s->disks[s->ndisks++];
    memset(d, 0, sizeof *d);
    d->slot = -1;
    return d;
}

struct v2k_nic *
v2k_source_add_nic(struct v2k_source *s)
{
    struct v2k_nic *n = realloc(s->nics, (s->nnics + 1) * sizeof *n);
    if (n == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    s->nics = n;
    n = &s->nics[s->nnics++];
    memset(n, 0, sizeof *n);
    n->pci_slot = -1;
    return n;
}

int
v2k_source_validate(const struct v2k_source *s)
{
    if (s->name == NULL || s->name[0] == '\0') {
        v2k_error("source: the VM has no name (use -on NAME)");
        return -1;
    }
    if (s->ndisks == 0) {
        v2k_error("source '%s': no disks", s->name);
        return -1;
    }
    if (s->memory_bytes == 0 || s->memory_bytes > V2K_MAX_MEMORY_BYTES) {
        v2k_error("source '%s': memory %llu bytes is out of range (1 byte to 16 TiB)", s->name, (unsigned long long)s->memory_bytes);
        return -1;
    }
    if (s->vcpus == 0 || s->vcpus > V2K_MAX_VCPUS) {
        v2k_error("source '%s': vcpus %u is out of range (1 to %d)", s->name,
                  s->vcpus, V2K_MAX_VCPUS);
        return -1;
    }
    return 0;
}

static const char *
or_unknown(const char *s)
{
    return s ? s : "(unknown)";
}

void
v2k_source_print(const struct v2k_source *s, FILE *fp)
{
    char h[32];

    fprintf(fp, "    source name: %s\n", or_unknown(s->name));
    if (s->uuid)
        fprintf(fp, "           uuid: %s\n", s->uuid);
    fprintf(fp, "     hypervisor: %s\n",
            v2k_hypervisor_to_string(s->hypervisor));
    fprintf(fp, "       firmware: %s%s\n", v2k_firmware_to_string(s->firmware),
            s->secure_boot ? " (secure boot)" : "");
    fprintf(fp, "         memory: %s (%llu bytes)\n",
            v2k_human_size(s->memory_bytes, h, sizeof h),
            (unsigned long long)s->memory_bytes);
    fprintf(fp, "          vcpus: %u", s->vcpus);
    if (s->sockets || s->cores || s->threads)
        fprintf(fp, " (sockets %u, cores %u, threads %u)", s->sockets,
                s->cores, s->threads);
    fprintf(fp, "\n          video: %s\n", v2k_video_to_string(s->video));
    if (s->sound)
        fprintf(fp, "          sound: %s\n", s->sound);
    if (s->os_hint)
        fprintf(fp, "        OS hint: %s\n", s->os_hint);
    if (s->xen_type)
        fprintf(fp, "       Xen type: %s%s\n", s->xen_type,
                s->xen_pv ? " (paravirtualised)" : "");
    if (s->console)
        fprintf(fp, "        console: %s\n", s->console);
    if (s->bootloader)
        fprintf(fp, "     bootloader: %s\n", s->bootloader);
    if (s->kernel)
        fprintf(fp, "         kernel: %s\n", s->kernel);
    if (s->ramdisk)
        fprintf(fp, "        ramdisk: %s\n", s->ramdisk);
    if (s->cmdline)
        fprintf(fp, "        cmdline: %s\n", s->cmdline);
    fprintf(fp, "disks:\n");
    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *d = &s->disks[i];
        fprintf(fp, "  %zu: %s [%s over %s] %s", i,
                d->path ? d->path : "(empty)",
                d->format ? d->format : "probe",
                v2k_transport_kind_to_string(d->transport),
                v2k_device_to_string(d->device));
        fprintf(fp, " bus %s", v2k_bus_to_string(d->bus));
        if (d->slot >= 0)
            fprintf(fp, " slot %d", d->slot);
        if (d->size_bytes)
            fprintf(fp, " size %s", v2k_human_size(d->size_bytes, h, sizeof h));
        if (d->model)
            fprintf(fp, " model \"%s\"", d->model);
        if (d->serial)
            fprintf(fp, " serial \"%s\"", d->serial);
        if (d->target_dev)
            fprintf(fp, " (%s)", d->target_dev);
        for (size_t k = 0; d->parent_chain && d->parent_chain[k]; k++)
            fprintf(fp, "%s%s", k ? ", " : " parents ", d->parent_chain[k]);
        for (size_t k = 0; d->backing_chain && d->backing_chain[k]; k++)
            fprintf(fp, "%s%s", k ? " <- " : " on ", d->backing_chain[k]);
        fprintf(fp, "\n");
    }
    fprintf(fp, "NICs:\n");
    for (size_t i = 0; i < s->nnics; i++) {
        const struct v2k_nic *n = &s->nics[i];
        fprintf(fp, "  %zu: %s \"%s\"", i,
                v2k_net_type_to_string(n->net_type), or_unknown(n->network));
        if (n->net_type == V2K_NET_DIRECT && n->direct_mode)
            fprintf(fp, " mode %s", n->direct_mode);
        fprintf(fp, " mac %s model %s", or_unknown(n->mac),
                v2k_nic_model_to_string(n->model));
        if (n->pci_slot >= 0)
            fprintf(fp, " pci-slot %d", n->pci_slot);
        fprintf(fp, "\n");
    }
}

void
v2k_source_print_json(const struct v2k_source *s, FILE *fp)
{
    struct v2k_json *j = v2k_json_new(fp, false);

    if (j == NULL)
        return;
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "name", s->name);
    v2k_json_kv_string(j, "uuid", s->uuid);
    v2k_json_kv_string(j, "hypervisor", v2k_hypervisor_to_string(s->hypervisor));
    v2k_json_kv_string(j, "firmware", v2k_firmware_to_string(s->firmware));
    v2k_json_kv_bool(j, "secure_boot", s->secure_boot);
    v2k_json_kv_uint(j, "memory_bytes", s->memory_bytes);
    v2k_json_kv_uint(j, "vcpus", s->vcpus);
    v2k_json_key(j, "topology");
    v2k_json_begin_object(j);
    v2k_json_kv_uint(j, "sockets", s->sockets);
    v2k_json_kv_uint(j, "cores", s->cores);
    v2k_json_kv_uint(j, "threads", s->threads);
    v2k_json_end_object(j);
    v2k_json_kv_string(j, "video", v2k_video_to_string(s->video));
    v2k_json_kv_uint(j, "video_ram_bytes", s->video_ram_bytes);
    v2k_json_kv_string(j, "sound", s->sound);
    v2k_json_kv_string(j, "os_hint", s->os_hint);
    v2k_json_kv_bool(j, "xen_pv", s->xen_pv);
    v2k_json_kv_string(j, "xen_type", s->xen_type);
    v2k_json_kv_string(j, "console", s->console);
    v2k_json_kv_string(j, "bootloader", s->bootloader);
    v2k_json_kv_string(j, "kernel", s->kernel);
    v2k_json_kv_string(j, "ramdisk", s->ramdisk);
    v2k_json_kv_string(j, "cmdline", s->cmdline);
    v2k_json_key(j, "disks");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *d = &s->disks[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "path", d->path);
        v2k_json_kv_string(j, "format", d->format);
        v2k_json_kv_string(j, "transport",
                           v2k_transport_kind_to_string(d->transport));
        v2k_json_kv_string(j, "device", v2k_device_to_string(d->device));
        v2k_json_kv_string(j, "bus", v2k_bus_to_string(d->bus));
        v2k_json_kv_int(j, "slot", d->slot);
        v2k_json_kv_uint(j, "size_bytes", d->size_bytes);
        v2k_json_kv_string(j, "model", d->model);
        v2k_json_kv_string(j, "serial", d->serial);
        v2k_json_kv_string(j, "target_dev", d->target_dev);
        v2k_json_key(j, "parent_chain");
        v2k_json_begin_array(j);
        for (size_t k = 0; d->parent_chain && d->parent_chain[k]; k++)
            v2k_json_string(j, d->parent_chain[k]);
        v2k_json_end_array(j);
        v2k_json_key(j, "backing_chain");
        v2k_json_begin_array(j);
        for (size_t k = 0; d->backing_chain && d->backing_chain[k]; k++)
            v2k_json_string(j, d->backing_chain[k]);
        v2k_json_end_array(j);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_key(j, "nics");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < s->nnics; i++) {
        const struct v2k_nic *n = &s->nics[i];
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "mac", n->mac);
        v2k_json_kv_string(j, "network", n->network);
        v2k_json_kv_string(j, "type", v2k_net_type_to_string(n->net_type));
        if (n->net_type == V2K_NET_DIRECT)
            v2k_json_kv_string(j, "mode", n->direct_mode);
        v2k_json_kv_string(j, "model", v2k_nic_model_to_string(n->model));
        if (n->pci_slot >= 0)
            v2k_json_kv_int(j, "pci_slot", n->pci_slot);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_end_object(j);
    v2k_json_free(j);
}
