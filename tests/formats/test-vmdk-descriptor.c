/* test-vmdk-descriptor.c - the VMDK descriptor parser reads what VMware
 * and qemu write and names the line of what it cannot read. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vmdk-internal.h"

static int
parse(const char *text, struct v2k_vmdk_desc *d)
{
    return v2k_vmdk_desc_parse("t.vmdk", text, strlen(text), d);
}

/* Expect failure with a message containing want. */
static void
parse_fails(const char *text, const char *want)
{
    struct v2k_vmdk_desc d;

    ck_assert_int_eq(parse(text, &d), -1);
    ck_assert_msg(strstr(v2k_error_message(), want) != NULL,
                  "message '%s' lacks '%s'", v2k_error_message(), want);
    ck_assert_ptr_null(d.extents);
    ck_assert_ptr_null(d.create_type);
}

/* What qemu-img create -o subformat=twoGbMaxExtentSparse writes. */
START_TEST(test_vmdk_desc_reads_qemu_split)
{
    struct v2k_vmdk_desc d;
    const char *t =
        "# Disk DescriptorFile\n"
        "version=1\n"
        "CID=d9a4e1e\n"
        "parentCID=ffffffff\n"
        "createType=\"twoGbMaxExtentSparse\"\n"
        "\n"
        "# Extent description\n"
        "RW 4194304 SPARSE \"disk-s001.vmdk\"\n"
        "RW 2097152 SPARSE \"disk-s002.vmdk\"\n"
        "\n"
        "# The Disk Data Base\n"
        "#DDB\n"
        "\n"
        "ddb.virtualHWVersion = \"4\"\n"
        "ddb.geometry.cylinders = \"6241\"\n"
        "ddb.geometry.heads = \"16\"\n"
        "ddb.geometry.sectors = \"63\"\n"
        "ddb.adapterType = \"ide\"\n";

    ck_assert_int_eq(parse(t, &d), 0);
    ck_assert_uint_eq(d.version, 1);
    ck_assert(d.has_cid);
    ck_assert_uint_eq(d.cid, 0xd9a4e1e);
    ck_assert_uint_eq(d.parent_cid, 0xffffffff);
    ck_assert_str_eq(d.create_type, "twoGbMaxExtentSparse");
    ck_assert_ptr_null(d.parent_hint);
    ck_assert_str_eq(d.adapter_type, "ide");
    ck_assert_uint_eq(d.cylinders, 6241);
    ck_assert_uint_eq(d.heads, 16);
    ck_assert_uint_eq(d.sectors, 63);
    ck_assert_uint_eq(d.n_extents, 2);
    ck_assert_int_eq(d.extents[0].access, V2K_VMDK_RW);
    ck_assert_int_eq(d.extents[0].kind, V2K_VMDK_SPARSE);
    ck_assert_uint_eq(d.extents[0].sectors, 4194304);
    ck_assert_str_eq(d.extents[0].file, "disk-s001.vmdk");
    ck_assert_uint_eq(d.extents[0].line, 8);
    ck_assert_uint_eq(d.extents[1].sectors, 2097152);
    ck_assert_str_eq(d.extents[1].file, "disk-s002.vmdk");
    v2k_vmdk_desc_free(&d);
}
END_TEST

/* An ESX snapshot descriptor with CRLF line ends, blanks around '=',
 * every extent kind, and keys we ignore. */
START_TEST(test_vmdk_desc_reads_esx_kinds_crlf)
{
    struct v2k_vmdk_desc d;
    const char *t =
        "# Disk DescriptorFile\r\n"
        "version=3\r\n"
        "encoding=\"UTF-8\"\r\n"
        "CID=fffffffe\r\n"
        "parentCID = 1234abcd\r\n"
        "isNativeSnapshot=\"no\"\r\n"
        "createType=\"vmfsSparse\"\r\n"
        "parentFileNameHint=\"win-000001.vmdk\"\r\n"
        "  RW 100 FLAT \"a b.vmdk\" 7  \r\n"
        "RDONLY 200 ZERO\r\n"
        "NOACCESS 300 VMFS \"c.vmdk\"\r\n"
        "RW 400 VMFSSPARSE \"d-delta.vmdk\"\r\n"
        "RW 500 VMFSRDM \"e-rdm.vmdk\"\r\n"
        "RW 600 VMFSRAW \"f.vmdk\"\r\n"
        "RW 700 SESPARSE \"g-sesparse.vmdk\"\r\n"
        "changeTrackPath=\"x-ctk.vmdk\"\r\n"
        "ddb.uuid = \"60 00 C2 9c\"\r\n"
        "ddb.longContentID = \"0123\"\r\n";

    ck_assert_int_eq(parse(t, &d), 0);
    ck_assert_uint_eq(d.version, 3);
    ck_assert_uint_eq(d.cid, 0xfffffffe);
    ck_assert_uint_eq(d.parent_cid, 0x1234abcd);
    ck_assert_str_eq(d.parent_hint, "win-000001.vmdk");
    ck_assert_uint_eq(d.n_extents, 7);
    ck_assert_int_eq(d.extents[0].kind, V2K_VMDK_FLAT);
    ck_assert_str_eq(d.extents[0].file, "a b.vmdk");
    ck_assert_uint_eq(d.extents[0].offset, 7);
    ck_assert_int_eq(d.extents[1].access, V2K_VMDK_RDONLY);
    ck_assert_int_eq(d.extents[1].kind, V2K_VMDK_ZERO);
    ck_assert_ptr_null(d.extents[1].file);
    ck_assert_int_eq(d.extents[2].access, V2K_VMDK_NOACCESS);
    ck_assert_int_eq(d.extents[2].kind, V2K_VMDK_VMFS);
    ck_assert_uint_eq(d.extents[2].offset, 0);
    ck_assert_int_eq(d.extents[3].kind, V2K_VMDK_VMFSSPARSE);
    ck_assert_int_eq(d.extents[4].kind, V2K_VMDK_VMFSRDM);
    ck_assert_int_eq(d.extents[5].kind, V2K_VMDK_VMFSRAW);
    ck_assert_int_eq(d.extents[6].kind, V2K_VMDK_SESPARSE);
    ck_assert_uint_eq(d.extents[6].line, 15);
    ck_assert_str_eq(v2k_vmdk_kind_name(d.extents[6].kind), "SESPARSE");
    v2k_vmdk_desc_free(&d);
}
END_TEST

/* An embedded descriptor is padded with zeros: the parse stops at the
 * first NUL, whatever len says. */
START_TEST(test_vmdk_desc_stops_at_nul)
{
    struct v2k_vmdk_desc d;
    char buf[256];
    const char *t = "createType=\"monolithicSparse\"\nRW 8 SPARSE \"x\"\n";

    memset(buf, 0, sizeof buf);
    memcpy(buf, t, strlen(t));
    buf[200] = 'Z';             /* garbage after the NUL is never read */
    ck_assert_int_eq(v2k_vmdk_desc_parse("t.vmdk", buf, sizeof buf, &d), 0);
    ck_assert_uint_eq(d.n_extents, 1);
    ck_assert_uint_eq(d.parent_cid, V2K_VMDK_CID_NOPARENT);
    ck_assert(!d.has_cid);
    v2k_vmdk_desc_free(&d);
}
END_TEST

START_TEST(test_vmdk_desc_rejects_bad_extent_lines)
{
    parse_fails("createType=\"x\"\nRW 10 BOGUS \"a\"\n",
                "t.vmdk: descriptor line 2: unknown extent type 'BOGUS'");
    parse_fails("createType=\"x\"\n\nRW 0 FLAT \"a\" 0\n",
                "descriptor line 3: extent size '0' is not a positive");
    parse_fails("RW 99999999999999999999 FLAT \"a\" 0\n",
                "descriptor line 1: extent size '99999999999999999999'");
    parse_fails("RW 10 FLAT a.vmdk 0\n",
                "descriptor line 1: FLAT extent without a quoted file name");
    parse_fails("RW 10 FLAT \"a.vmdk 0\n",
                "descriptor line 1: FLAT extent without a quoted file name");
    parse_fails("RW 10 FLAT \"\" 0\n",
                "descriptor line 1: FLAT extent without a quoted file name");
    parse_fails("RW 10 FLAT \"a\" 1x\n",
                "descriptor line 1: extent offset '1x' is not a number");
    parse_fails("RW 10 FLAT \"a\" 1 2\n",
                "descriptor line 1: unexpected '2' after the extent");
    parse_fails("RW 10 ZERO \"a\"\n",
                "descriptor line 1: unexpected '\"a\"' after the extent");
    parse_fails("RW 10 SPARSE \"a\" 5\n",
                "descriptor line 1: SPARSE extent with offset 5");
    parse_fails("RW\n", "descriptor line 1: extent size '' is not");
}
END_TEST

START_TEST(test_vmdk_desc_rejects_bad_header_lines)
{
    parse_fails("version=1\nthis is not a descriptor\n",
                "t.vmdk: descriptor line 2: cannot parse 'this is not a "
                "descriptor'");
    parse_fails("version=4\n", "descriptor line 1: version '4' is not 1, 2 "
                               "or 3");
    parse_fails("CID=123456789\n", "descriptor line 1: CID '123456789' is "
                                   "not a 32-bit hexadecimal number");
    parse_fails("parentCID=zz\n", "descriptor line 1: parentCID 'zz'");
    parse_fails("createType=\"x\ny=1\n",
                "descriptor line 1: unterminated quoted value");
    parse_fails("createType=\"x\" junk\n",
                "descriptor line 1: unexpected 'junk' after the quoted value");
    parse_fails("= 3\n", "descriptor line 1: cannot parse '= 3'");
    /* Binary garbage is cut from the message. */
    parse_fails("ab\x01\x02\n", "descriptor line 1: cannot parse 'ab'");
    parse_fails("version=1\nCID=1\n", "t.vmdk: descriptor has no createType");
}
END_TEST

START_TEST(test_vmdk_desc_rejects_over_limit)
{
    struct v2k_vmdk_desc d;
    size_t len = V2K_VMDK_DESC_MAX + 1;
    char *big = malloc(len);

    ck_assert_ptr_nonnull(big);
    memset(big, '#', len);
    ck_assert_int_eq(v2k_vmdk_desc_parse("t.vmdk", big, len, &d), -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(),
                                 "larger than the 1048576 byte limit"));
    free(big);
}
END_TEST

/* A quoted value may hold '=' and '#'; a later key replaces an earlier. */
START_TEST(test_vmdk_desc_quoted_values)
{
    struct v2k_vmdk_desc d;

    ck_assert_int_eq(parse("createType=\"a\"\ncreateType=\"b=#c\"\n"
                           "parentFileNameHint=\"\"\n", &d), 0);
    ck_assert_str_eq(d.create_type, "b=#c");
    ck_assert_ptr_null(d.parent_hint);
    v2k_vmdk_desc_free(&d);
    v2k_vmdk_desc_free(NULL);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("vmdk-descriptor");
    TCase *tc = tcase_create("vmdk-descriptor");

    tcase_add_test(tc, test_vmdk_desc_reads_qemu_split);
    tcase_add_test(tc, test_vmdk_desc_reads_esx_kinds_crlf);
    tcase_add_test(tc, test_vmdk_desc_stops_at_nul);
    tcase_add_test(tc, test_vmdk_desc_rejects_bad_extent_lines);
    tcase_add_test(tc, test_vmdk_desc_rejects_bad_header_lines);
    tcase_add_test(tc, test_vmdk_desc_rejects_over_limit);
    tcase_add_test(tc, test_vmdk_desc_quoted_values);
    suite_add_tcase(s, tc);
    return s;
}
