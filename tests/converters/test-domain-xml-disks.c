/* test-domain-xml-disks.c - the domain XML's disk names and the guest's
 * fstab agree, for every output bus (virtio-blk, virtio-scsi, SATA, IDE),
 * both machines, and every layout of up to four devices mixing disks,
 * CD-ROMs and floppies: the XML comes from v2k_domain_xml_format, the
 * fstab lines from the devices step's map (drivers-inject/linux), each
 * source disk's partition must be rewritten to the name its XML <disk>
 * has.  Before disk-names.h the two disagreed whenever a CD-ROM shared
 * the disks' sd/hd prefix (virtio-scsi, SATA, IDE) and came first. */
#include <check.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk-names.h"
#include "domain-xml.h"
#include "error.h"
#include "guestcaps.h"
#include "linux-internal.h"
#include "source.h"

#define MAXDEV 4

/* How the source names its disks inside the guest. */
enum naming {
    NAME_EXPLICIT,              /* target_dev "xvd<disk rank>" */
    NAME_IDE_SLOTS,             /* IDE, slot = position: hd<position> */
    NAME_SCSI,                  /* SCSI: sd<rank among the disks> */
};

/* The XML's <disk device="disk"> target names in order, and every
 * target name (disks and CD-ROMs) to check they are unique. */
static size_t
xml_targets(const char *xml, char disks[][16], char all[][16], size_t *nall)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET);
    xmlNodePtr root, devs = NULL;
    size_t nd = 0;

    ck_assert_ptr_nonnull(doc);
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE &&
            xmlStrcmp(n->name, BAD_CAST "devices") == 0)
            devs = n;
    ck_assert_ptr_nonnull(devs);
    *nall = 0;
    for (xmlNodePtr d = devs->children; d; d = d->next) {
        if (d->type != XML_ELEMENT_NODE ||
            xmlStrcmp(d->name, BAD_CAST "disk") != 0)
            continue;
        xmlChar *kind = xmlGetProp(d, BAD_CAST "device");
        for (xmlNodePtr t = d->children; t; t = t->next) {
            if (t->type != XML_ELEMENT_NODE ||
                xmlStrcmp(t->name, BAD_CAST "target") != 0)
                continue;
            xmlChar *dev = xmlGetProp(t, BAD_CAST "dev");
            ck_assert_ptr_nonnull(dev);
            ck_assert_uint_lt(*nall, MAXDEV);
            snprintf(all[(*nall)++], 16, "%s", (char *)dev);
            if (xmlStrcmp(kind, BAD_CAST "disk") == 0)
                snprintf(disks[nd++], 16, "%s", (char *)dev);
            xmlFree(dev);
        }
        xmlFree(kind);
    }
    xmlFreeDoc(doc);
    return nd;
}

static void
check_layout(const enum v2k_device *devs, size_t n, enum naming naming,
             enum v2k_block_bus bus, enum v2k_machine machine)
{
    static const struct v2k_domain_disk out[MAXDEV] = {
        { "/o/a", "qcow2" }, { "/o/b", "qcow2" }, { "/o/c", "qcow2" },
        { "/o/d", "qcow2" },
    };
    struct v2k_source *s = v2k_source_new();
    struct v2k_guestcaps gc;
    struct v2k_domain_opts d = { .uuid = "6f1f4f4e-1c5a-4e4b-9a55-"
                                         "0123456789ab" };
    struct v2k_linux_devmap m;
    char xdisks[MAXDEV][16], xall[MAXDEV][16], old[MAXDEV][16];
    char what[160];
    size_t ndisks = 0, nall, nx;
    char *xml;

    s->name = strdup("vm");
    s->memory_bytes = 1ULL << 30;
    s->vcpus = 1;
    for (size_t i = 0; i < n; i++) {
        struct v2k_disk *k = v2k_source_add_disk(s);
        k->device = devs[i];
        k->slot = (int)i;
        if (devs[i] != V2K_DEV_DISK)
            continue;
        switch (naming) {
        case NAME_EXPLICIT:
            v2k_disk_name("xvd", ndisks, old[ndisks], 16);
            k->target_dev = strdup(old[ndisks]);
            k->bus = V2K_BUS_XEN;
            break;
        case NAME_IDE_SLOTS:
            v2k_disk_name("hd", i, old[ndisks], 16);
            k->bus = V2K_BUS_IDE;
            break;
        case NAME_SCSI:
            v2k_disk_name("sd", ndisks, old[ndisks], 16);
            k->bus = V2K_BUS_SCSI;
            break;
        }
        k->path = strdup(out[ndisks].path);
        ndisks++;
    }
    snprintf(what, sizeof what, "layout %zu devices naming %d bus %s "
             "machine %s", n, (int)naming, v2k_block_bus_to_string(bus),
             v2k_machine_to_string(machine));
    v2k_guestcaps_defaults(&gc, s);
    gc.block_bus = bus;
    gc.machine = machine;
    xml = v2k_domain_xml_format(s, &gc, out, ndisks, &d);
    ck_assert_msg(xml != NULL, "%s: %s", what, v2k_error_message());
    nx = xml_targets(xml, xdisks, xall, &nall);
    ck_assert_uint_eq(nx, ndisks);
    for (size_t i = 0; i < nall; i++)
        for (size_t j = i + 1; j < nall; j++)
            ck_assert_msg(strcmp(xall[i], xall[j]) != 0,
                          "%s: target %s twice", what, xall[i]);

    ck_assert_int_eq(v2k_linux_devmap_build(&m, s, bus, machine), 0);
    for (size_t k = 0; k < ndisks; k++) {
        char line[64], want[64], *got = NULL;
        int r;

        snprintf(line, sizeof line, "/dev/%s1 / ext4 defaults 0 1", old[k]);
        snprintf(want, sizeof want, "/dev/%s1 / ext4 defaults 0 1",
                 xdisks[k]);
        r = v2k_linux_rewrite_words(&m, line, 1, &got, NULL);
        ck_assert_int_ge(r, 0);
        ck_assert_msg(strcmp(r == 1 ? got : line, want) == 0,
                      "%s: disk %zu: fstab says %s, the XML %s", what, k,
                      r == 1 ? got : line, want);
        free(got);
    }
    v2k_linux_devmap_free(&m);
    free(xml);
    v2k_guestcaps_clear(&gc);
    v2k_source_free(s);
}

/* Every sequence of 1..MAXDEV devices with at least one disk. */
START_TEST(test_every_bus_mix_agrees)
{
    static const enum v2k_block_bus buses[] = {
        V2K_BLOCK_VIRTIO_BLK, V2K_BLOCK_VIRTIO_SCSI, V2K_BLOCK_SATA,
        V2K_BLOCK_IDE,
    };
    static const enum v2k_device kinds[] = {
        V2K_DEV_DISK, V2K_DEV_CDROM, V2K_DEV_FLOPPY,
    };
    unsigned checked = 0;

    for (size_t n = 1; n <= MAXDEV; n++) {
        unsigned combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 3;
        for (unsigned c = 0; c < combos; c++) {
            enum v2k_device devs[MAXDEV];
            bool any_disk = false;
            unsigned x = c;
            for (size_t i = 0; i < n; i++, x /= 3) {
                devs[i] = kinds[x % 3];
                any_disk |= devs[i] == V2K_DEV_DISK;
            }
            if (!any_disk)
                continue;
            for (size_t b = 0; b < sizeof buses / sizeof buses[0]; b++)
                for (int mach = 0; mach < 2; mach++)
                    for (int nm = NAME_EXPLICIT; nm <= NAME_SCSI; nm++) {
                        check_layout(devs, n, (enum naming)nm, buses[b],
                                     mach ? V2K_MACHINE_PC
                                          : V2K_MACHINE_Q35);
                        checked++;
                    }
        }
    }
    ck_assert_uint_gt(checked, 1000);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("domain-xml-disks");
    TCase *tc = tcase_create("agree");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_bus_mix_agrees);
    suite_add_tcase(s, tc);
    return s;
}
