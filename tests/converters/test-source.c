/* test-source.c - the source model: validation names the field, enum
 * strings, disk names, VM names, and the option/network mapping the
 * pipeline applies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"
#include "error.h"
#include "options.h"
#include "pipeline.h"
#include "source.h"
#include "util.h"

static struct v2k_source *
sample(void)
{
    struct v2k_source *s = v2k_source_new();
    struct v2k_disk *d = v2k_source_add_disk(s);
    struct v2k_nic *n;
    d->path = strdup("/x.img");
    s->name = strdup("vm");
    s->memory_bytes = 1ULL << 30;
    s->vcpus = 2;
    n = v2k_source_add_nic(s);
    n->network = strdup("VM Network");
    n->mac = strdup("00:50:56:aa:bb:cc");
    n = v2k_source_add_nic(s);
    n->network = strdup("other");
    n = v2k_source_add_nic(s);
    n->network = strdup("xenbr0");
    n->net_type = V2K_NET_BRIDGE;
    return s;
}

START_TEST(test_validate_names_the_field)
{
    struct v2k_source *s = sample();
    ck_assert_int_eq(v2k_source_validate(s), 0);
    s->vcpus = 0;
    ck_assert_int_eq(v2k_source_validate(s), -1);
    ck_assert(strstr(v2k_error_message(), "vcpus 0 is out of range"));
    s->vcpus = 1;
    s->memory_bytes = 0;
    ck_assert_int_eq(v2k_source_validate(s), -1);
    ck_assert(strstr(v2k_error_message(), "memory 0 bytes is out of range"));
    s->memory_bytes = 1ULL << 50;
    ck_assert_int_eq(v2k_source_validate(s), -1);
    v2k_source_free(s);
    v2k_source_free(NULL);
}
END_TEST

START_TEST(test_enum_strings_round_trip)
{
    ck_assert_str_eq(v2k_bus_to_string(V2K_BUS_VIRTIO_SCSI), "virtio-scsi");
    ck_assert_int_eq(v2k_bus_from_string("nvme"), V2K_BUS_NVME);
    ck_assert_int_eq(v2k_bus_from_string("bogus"), -1);
    ck_assert_str_eq(v2k_nic_model_to_string(V2K_NIC_VMXNET3), "vmxnet3");
    ck_assert_int_eq(v2k_nic_model_from_string("e1000e"), V2K_NIC_E1000E);
    ck_assert_str_eq(v2k_firmware_to_string(V2K_FW_UEFI), "uefi");
    ck_assert_str_eq(v2k_hypervisor_to_string(V2K_HV_PHYSICAL), "physical");
    ck_assert_str_eq(v2k_bus_to_string((enum v2k_bus)99), "?");
}
END_TEST

START_TEST(test_vm_names)
{
    ck_assert_int_eq(v2k_check_vm_name("web-01.example"), 0);
    ck_assert_int_eq(v2k_check_vm_name("Ünïcode name"), 0);
    ck_assert_int_eq(v2k_check_vm_name(""), -1);
    ck_assert_int_eq(v2k_check_vm_name(".hidden"), -1);
    ck_assert_int_eq(v2k_check_vm_name("-rf"), -1);
    ck_assert_int_eq(v2k_check_vm_name("a/b"), -1);
    ck_assert_int_eq(v2k_check_vm_name("tab\there"), -1);
}
END_TEST

START_TEST(test_network_mapping_precedence)
{
    struct v2k_source *s = sample();
    struct v2k_netmap maps[] = {
        { V2K_MAP_NETWORK, NULL, false, "catchall", false },
        { V2K_MAP_NETWORK, "other", false, "named", false },
        { V2K_MAP_MAC, "00:50:56:AA:BB:CC", true, "br-mac", false },
    };
    struct v2k_options o = { .netmaps = maps, .nnetmaps = 3,
                             .output_name = "renamed", .vcpus = 4 };
    s->sockets = 2;
    ck_assert_int_eq(v2k_pipeline_apply_options(&o, s), 0);
    ck_assert_str_eq(s->name, "renamed");
    ck_assert_uint_eq(s->vcpus, 4);
    ck_assert_uint_eq(s->sockets, 0);           /* topology dropped */
    ck_assert_str_eq(s->nics[0].network, "br-mac");   /* --mac wins */
    ck_assert_int_eq(s->nics[0].net_type, V2K_NET_BRIDGE);
    ck_assert_str_eq(s->nics[1].network, "named");    /* IN:OUT */
    /* a bridge with only a network catch-all: moved to that network */
    ck_assert_str_eq(s->nics[2].network, "catchall");
    ck_assert_int_eq(s->nics[2].net_type, V2K_NET_NETWORK);
    v2k_source_free(s);
}
END_TEST

START_TEST(test_same_kind_catchall_wins)
{
    struct v2k_source *s = sample();
    struct v2k_netmap maps[] = {
        { V2K_MAP_NETWORK, NULL, false, "net", false },
        { V2K_MAP_BRIDGE, NULL, true, "br", false },
    };
    struct v2k_options o = { .netmaps = maps, .nnetmaps = 2 };
    ck_assert_int_eq(v2k_pipeline_apply_options(&o, s), 0);
    ck_assert_str_eq(s->nics[0].network, "net");
    ck_assert_str_eq(s->nics[2].network, "br");
    ck_assert_int_eq(s->nics[2].net_type, V2K_NET_BRIDGE);
    v2k_source_free(s);
}
END_TEST

START_TEST(test_print_json_is_one_line)
{
    struct v2k_source *s = sample();
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    v2k_source_print_json(s, fp);
    fclose(fp);
    ck_assert(strchr(buf, '\n') == buf + len - 1);
    ck_assert(strstr(buf, "\"network\":\"VM Network\"") != NULL);
    ck_assert(strstr(buf, "\"mac\":\"00:50:56:aa:bb:cc\"") != NULL);
    ck_assert(strstr(buf, "\"type\":\"bridge\"") != NULL);
    free(buf);
    v2k_source_free(s);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("source");
    TCase *tc = tcase_create("source");
    tcase_add_test(tc, test_validate_names_the_field);
    tcase_add_test(tc, test_enum_strings_round_trip);
    tcase_add_test(tc, test_vm_names);
    tcase_add_test(tc, test_network_mapping_precedence);
    tcase_add_test(tc, test_same_kind_catchall_wins);
    tcase_add_test(tc, test_print_json_is_one_line);
    suite_add_tcase(s, tc);
    return s;
}
