/* The P2V client's settings (p2v/config.h): the kernel command line as
 * /proc/cmdline holds it, options' values, the errors; and the JSON
 * lines it reads back from the host (common/jsonline.h), including
 * hostile ones; and the shell quoting of remote words (p2v/ssh.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "jsonline.h"
#include "ssh.h"

START_TEST(test_cmdline_unattended)
{
    struct v2k_p2v_config c;
    unsigned n = 0;

    v2k_p2v_config_init(&c);
    ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c,
        "BOOT_IMAGE=/live/vmlinuz boot=live components quiet "
        "console=ttyS0,115200 v2kvm.server=10.0.2.2 v2kvm.port=2222 "
        "v2kvm.user=conv v2kvm.identity=https://keys.example/id "
        "v2kvm.hostkey=SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG "
        "v2kvm.disks=sda,nvme0n1 v2kvm.o=local v2kvm.os=/srv/vms "
        "v2kvm.of=raw v2kvm.name=\"db 01\" v2kvm.poweroff=0 "
        "\"v2kvm.remote=sudo -n v2kvm\" v2kvm.reconnect=600\n",
        "/proc/cmdline", &n), 0);
    ck_assert_uint_eq(n, 13);
    ck_assert_str_eq(c.server, "10.0.2.2");
    ck_assert_uint_eq(c.port, 2222);
    ck_assert_str_eq(c.user, "conv");
    ck_assert_str_eq(c.identity, "https://keys.example/id");
    ck_assert_str_eq(c.disks[0], "sda");
    ck_assert_str_eq(c.disks[1], "nvme0n1");
    ck_assert_ptr_null(c.disks[2]);
    ck_assert_str_eq(c.output_storage, "/srv/vms");
    ck_assert_str_eq(c.output_format, "raw");
    ck_assert_str_eq(c.name, "db 01");
    ck_assert_str_eq(c.remote_v2kvm, "sudo -n v2kvm");
    ck_assert_int_eq(c.poweroff, 0);
    ck_assert_uint_eq(c.reconnect_s, 600);
    ck_assert_int_eq(v2k_p2v_config_check(&c), 0);
    v2k_p2v_config_free(&c);
}
END_TEST

START_TEST(test_cmdline_without_ours)
{
    struct v2k_p2v_config c;
    unsigned n = 7;

    v2k_p2v_config_init(&c);
    ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c, "quiet splash", "x",
                                                 &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(v2k_p2v_config_check(&c), -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "--server"));
    ck_assert_int_eq(c.poweroff, -1);
    ck_assert_int_eq(c.list, 0);
    /* v2kvm.list: the discovery-only boot; a bare word means 1 */
    ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c, "quiet v2kvm.list",
                                                 "x", &n), 0);
    ck_assert_int_eq(c.list, 1);
    ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c, "v2kvm.list=0", "x",
                                                 &n), 0);
    ck_assert_int_eq(c.list, 0);
    v2k_p2v_config_free(&c);
}
END_TEST

/* Each bad word: one message naming it; nothing half-applied matters
 * since the run stops. */
START_TEST(test_cmdline_errors)
{
    static const struct { const char *line, *msg; } t[] = {
        { "v2kvm.sever=h", "unknown setting 'v2kvm.sever'" },
        { "v2kvm.port=0", "port '0': a number from 1 to 65535" },
        { "v2kvm.port=22x", "port '22x'" },
        { "v2kvm.server=-oProxyCommand=x", "is not a host name" },
        { "v2kvm.server=\"a b\"", "is not a host name" },
        { "v2kvm.user=root@evil", "is not a user name" },
        { "v2kvm.hostkey=MD5:aa", "SHA256:" },
        { "v2kvm.disks=sda,,sdb", "empty or over-long" },
        { "v2kvm.disks=../etc", "is not a device name" },
        { "v2kvm.disks=", "no disk named" },
        { "v2kvm.poweroff=maybe", "1/yes or 0/no" },
        { "v2kvm.list=all", "list 'all': 1/yes or 0/no" },
        { "v2kvm.reconnect=0", "reconnect '0'" },
        { "v2kvm.name=\"unclosed", "unclosed quote" },
        /* /proc/cmdline ends in '\n': not in the message */
        { "v2kvm.name=\"unclosed\n", "unclosed quote in 'v2kvm.name=unclosed'" },
        { "v2kvm.name=\"db\n01\"", "a control character in 'v2kvm.name=db?01'" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct v2k_p2v_config c;
        v2k_p2v_config_init(&c);
        ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c, t[i].line, "cmd",
                                                     NULL), -1);
        ck_assert_msg(strstr(v2k_error_message(), t[i].msg) != NULL,
                      "%s: %s", t[i].line, v2k_error_message());
        ck_assert_ptr_null(strchr(v2k_error_message(), '\n'));
        v2k_p2v_config_free(&c);
    }
}
END_TEST

START_TEST(test_cmdline_bounded)
{
    struct v2k_p2v_config c;
    char *big = malloc(10000);

    memset(big, 'a', 9999);
    big[9999] = '\0';
    v2k_p2v_config_init(&c);
    ck_assert_int_eq(v2k_p2v_config_from_cmdline(&c, big, "cmd", NULL), -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "longer than"));
    v2k_p2v_config_free(&c);
    free(big);
}
END_TEST

START_TEST(test_jsonline_members)
{
    const char *l = "{\"type\":\"progress\",\"time\":1.5,\"nested\":{\"type\":"
                    "\"x\",\"a\":[1,{\"b\":\"}\"}]},\"label\":\"disk 1/2\","
                    "\"done\":1048576,\"total\":2097152,\"message\":"
                    "\"a \\\"q\\\" \\u00e9\\n\"}";
    char buf[64];
    double v;

    ck_assert(v2k_jsonline_str(l, "type", buf, sizeof buf));
    ck_assert_str_eq(buf, "progress");
    ck_assert(v2k_jsonline_str(l, "label", buf, sizeof buf));
    ck_assert_str_eq(buf, "disk 1/2");
    ck_assert(v2k_jsonline_num(l, "done", &v));
    ck_assert(v == 1048576);
    ck_assert(v2k_jsonline_num(l, "time", &v));
    ck_assert(v == 1.5);
    ck_assert(v2k_jsonline_str(l, "message", buf, sizeof buf));
    ck_assert_str_eq(buf, "a \"q\" ?\n");
    ck_assert(!v2k_jsonline_str(l, "a", buf, sizeof buf));   /* nested */
    ck_assert(!v2k_jsonline_num(l, "label", &v));            /* a string */
    ck_assert(!v2k_jsonline_str(l, "done", buf, sizeof buf));
    /* cut to the buffer */
    ck_assert(v2k_jsonline_str(l, "label", buf, 5));
    ck_assert_str_eq(buf, "disk");
}
END_TEST

START_TEST(test_jsonline_nums)
{
    const char *l = "{\"type\":\"result\",\"nested\":{\"disks\":[9]},"
                    "\"disks\":[ 1073741824 , 2.5e3,0 ],\"empty\":[],"
                    "\"mixed\":[1,\"x\"],\"open\":[1,2";
    double v[3];

    ck_assert_int_eq(v2k_jsonline_nums(l, "disks", v, 3), 3);
    ck_assert(v[0] == 1073741824 && v[1] == 2500 && v[2] == 0);
    ck_assert_int_eq(v2k_jsonline_nums(l, "disks", v, 2), -1);  /* too many */
    ck_assert_int_eq(v2k_jsonline_nums(l, "empty", v, 3), 0);
    ck_assert_int_eq(v2k_jsonline_nums(l, "mixed", v, 3), -1);
    ck_assert_int_eq(v2k_jsonline_nums(l, "type", v, 3), -1);   /* a string */
    ck_assert_int_eq(v2k_jsonline_nums(l, "none", v, 3), -1);
    ck_assert_int_eq(v2k_jsonline_nums("{\"d\":[1,2", "d", v, 3), -1);
    ck_assert_int_eq(v2k_jsonline_nums("{\"d\":[1,]}", "d", v, 3), -1);
}
END_TEST

START_TEST(test_jsonline_hostile)
{
    static const char *bad[] = {
        "", "x", "[]", "{", "{\"type\"", "{\"type\":", "{\"type\":\"a",
        "{\"type\":\"a\\", "{\"type\":\"\\u12\"}", "{\"a\":tru,\"type\":\"x\"}",
        "{\"a\":1 \"type\":\"x\"}", "{\"type\":\"a\x01\"}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"type\":\"x\"}",
    };
    char buf[16];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!v2k_jsonline_str(bad[i], "type", buf, sizeof buf),
                      "found a type in %s", bad[i]);
}
END_TEST

START_TEST(test_shell_quote)
{
    char *q = v2k_p2v_shell_quote("it's $(rm -rf /) `x` \"y\"");
    ck_assert_str_eq(q, "'it'\\''s $(rm -rf /) `x` \"y\"'");
    free(q);
    q = v2k_p2v_shell_quote("");
    ck_assert_str_eq(q, "''");
    free(q);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("p2v-config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_cmdline_unattended);
    tcase_add_test(tc, test_cmdline_without_ours);
    tcase_add_test(tc, test_cmdline_errors);
    tcase_add_test(tc, test_cmdline_bounded);
    tcase_add_test(tc, test_jsonline_members);
    tcase_add_test(tc, test_jsonline_hostile);
    tcase_add_test(tc, test_jsonline_nums);
    tcase_add_test(tc, test_shell_quote);
    suite_add_tcase(s, tc);
    return s;
}
