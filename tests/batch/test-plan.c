/* test-plan.c - the plan parser (batch/plan.c): good plans fill the
 * struct and give the v2kvm command line that run will exec; each bad
 * plan is refused with one line per problem naming PLAN:LINE:COL, all
 * of them, not only the first. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "plan.h"
#include "util.h"

static char dir[4096];
static char plan_path[4200];

/* A directory with the files the plans below name. */
static void
put(const char *name, const char *text, mode_t mode)
{
    char path[4300];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static void
setup(void)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");
    char sub[4300];

    snprintf(dir, sizeof dir, "%s/test-plan.XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    put("web.vmx", "config.version = \"8\"\n", 0644);
    put("sda.img", "", 0644);
    put("sdb.img", "", 0644);
    put("pw", "secret\n", 0600);
    put("pw-open", "secret\n", 0644);
    put("luks.key", "key\n", 0600);
    put("hook.sh", "#!/bin/sh\nexit 0\n", 0755);
    put("not-exec.sh", "#!/bin/sh\nexit 0\n", 0644);
    snprintf(sub, sizeof sub, "%s/out", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    snprintf(plan_path, sizeof plan_path, "%s/plan.yaml", dir);
}

static void
teardown(void)
{
    char cmd[4400];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int
load(const char *yaml, struct v2k_plan **p, struct v2k_plan_diags *d)
{
    put("plan.yaml", yaml, 0644);
    return v2k_plan_load(plan_path, p, d);
}

/* True when a diagnostic is "PLAN:loc: ...text..." (loc "LINE:COL"). */
static bool
has(const struct v2k_plan_diags *d, const char *loc, const char *text)
{
    char head[4300];

    snprintf(head, sizeof head, "%s:%s: ", plan_path, loc);
    for (size_t i = 0; i < d->nlines; i++)
        if (strncmp(d->lines[i], head, strlen(head)) == 0 &&
            strstr(d->lines[i] + strlen(head), text))
            return true;
    for (size_t i = 0; i < d->nlines; i++)
        fprintf(stderr, "  diag: %s\n", d->lines[i]);
    return false;
}

/* The common head: one source of each sort used and a local target. */
#define HEAD \
    "version: 1\n"                                  /* 1 */ \
    "sources:\n"                                    /* 2 */ \
    "  files:\n"                                    /* 3 */ \
    "    kind: vmx\n"                               /* 4 */ \
    "  esx:\n"                                      /* 5 */ \
    "    kind: libvirt\n"                           /* 6 */ \
    "    uri: esx://root@esx01.example.com\n"       /* 7 */ \
    "    password_file: pw\n"                       /* 8 */ \
    "targets:\n"                                    /* 9 */ \
    "  lab:\n"                                      /* 10 */ \
    "    kind: local\n"                             /* 11 */ \
    "    storage: out\n"                            /* 12 */

START_TEST(test_good_plan_fills_the_struct)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - name: web\n"
                          "    source: files\n"
                          "    target: lab\n"
                          "    path: web.vmx\n"
                          "  - name: db\n"
                          "    source: esx\n"
                          "    target: lab\n"
                          "    vm: db01\n", &p, &d), 0);
    ck_assert_uint_eq(d.nerrors, 0);
    ck_assert_uint_eq(d.nwarnings, 0);
    ck_assert_uint_eq(p->version, 1);
    ck_assert_uint_eq(p->nvms, 2);
    ck_assert_uint_eq(p->nsources, 2);
    ck_assert_uint_eq(p->ntargets, 1);
    ck_assert_str_eq(p->name, "plan");
    ck_assert(strstr(p->state_path, "/plan.state") != NULL);
    /* The limits' defaults. */
    ck_assert_uint_eq(p->limits.max_in_flight,
                      V2K_PLAN_DEFAULT_MAX_IN_FLIGHT);
    ck_assert_uint_eq(p->limits.per_source_host_disks,
                      V2K_PLAN_DEFAULT_HOST_DISKS);
    ck_assert(p->limits.memory_budget == 0);
    ck_assert_uint_eq(p->limits.transient_retries, V2K_PLAN_DEFAULT_RETRIES);
    ck_assert_str_eq(p->vms[0].name, "web");
    ck_assert_str_eq(p->vms[0].target_name, "web");
    ck_assert_ptr_eq(p->vms[0].source, &p->sources[0]);
    ck_assert(strstr(p->vms[0].paths[0], "/web.vmx") != NULL);
    ck_assert_str_eq(p->vms[1].vm, "db01");
    ck_assert_str_eq(p->vms[1].source->host, "esx01.example.com");
    ck_assert_str_eq(p->vms[0].source->host, "localhost");
    ck_assert_ptr_eq(v2k_plan_find_vm(p, "db"), &p->vms[1]);
    ck_assert_ptr_null(v2k_plan_find_vm(p, "nope"));
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);
}
END_TEST

/* The example shipped in batch/examples is a valid plan (its secrets
 * may be checked out 0644: warnings, not errors). */
START_TEST(test_example_plan_is_valid)
{
    const char *src = getenv("V2K_SOURCE_DIR");
    char path[4096];
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_ptr_nonnull(src);
    snprintf(path, sizeof path, "%s/batch/examples/plan.yaml", src);
    if (v2k_plan_load(path, &p, &d) != 0)
        for (size_t i = 0; i < d.nlines; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
    ck_assert_uint_eq(d.nerrors, 0);
    ck_assert_uint_eq(p->nvms, 5);
    ck_assert_str_eq(p->name, "wave1");
    /* The state is named after the file, not the plan's name. */
    ck_assert(strstr(p->state_path, "/examples/plan.state") != NULL);
    ck_assert(p->limits.memory_budget == 12ULL << 30);
    ck_assert_uint_eq(p->vms[0].disks, 2);
    ck_assert_uint_eq(p->vms[4].disks, 2);
    ck_assert_uint_eq(p->vms[1].pre.timeout, 120);      /* from defaults */
    ck_assert_uint_eq(p->vms[1].post.timeout, 600);
    ck_assert_str_eq(p->vms[1].post.args[1], "5432");
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);
}
END_TEST

START_TEST(test_syntax_error_names_its_line)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("version: 1\n"
                          "vms:\n"
                          "  - name: a\n"
                          "    path: [unclosed\n"
                          "  - name: b\n", &p, &d), -1);
    ck_assert_ptr_null(p);
    ck_assert_uint_eq(d.nerrors, 1);
    ck_assert(has(&d, "5:9", "YAML syntax error"));
    ck_assert(strstr(v2k_error_message(), "1 error") != NULL);
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_unknown_key_lists_known_ones)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - name: web\n"
                          "    source: files\n"
                          "    target: lab\n"
                          "    path: web.vmx\n"
                          "    colour: blue\n"
                          "extra: 1\n", &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 2);
    ck_assert(has(&d, "18:5", "vm 'web': unknown key 'colour' (known: name, vm, path, disks"));
    ck_assert(has(&d, "19:1", "the plan: unknown key 'extra' (known: version, name, state, defaults, limits"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_missing_source_file)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - name: web\n"
                          "    source: files\n"
                          "    target: lab\n"
                          "    path: gone.vmx\n", &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 1);
    ck_assert(has(&d, "17:11", "vm 'web': path: "));
    ck_assert(has(&d, "17:11", "/gone.vmx: No such file or directory"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_duplicate_names_and_outputs)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "defaults:\n"                     /* 13 */
                          "  source: esx\n"
                          "  target: lab\n"
                          "vms:\n"                          /* 16 */
                          "  - name: a\n"
                          "    vm: a\n"
                          "  - name: b\n"                   /* 19 */
                          "    vm: b\n"
                          "    target_name: a\n"
                          "  - name: b\n"                   /* 22 */
                          "    vm: c\n"
                          "    target_name: c\n", &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 2);
    ck_assert(has(&d, "19:5", "vm 'b': duplicate target output 'a' on target 'lab' (also written by vm 'a' at line 17)"));
    ck_assert(has(&d, "22:5", "vm 'b': duplicate VM name (first at line 19)"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_open_credentials_warn)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("version: 1\n"
                          "sources:\n"
                          "  esx:\n"
                          "    kind: libvirt\n"
                          "    uri: esx://esx01\n"
                          "    password_file: pw-open\n"
                          "targets: {lab: {kind: local, storage: out}}\n"
                          "vms:\n"
                          "  - {name: a, source: esx, target: lab, vm: a}\n",
                          &p, &d), 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(d.nerrors, 0);
    ck_assert_uint_eq(d.nwarnings, 1);
    ck_assert(has(&d, "6:20", "warning: source 'esx': password_file: "));
    ck_assert(has(&d, "6:20", "is readable by everyone (mode 0644): chmod 600 "));
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);
}
END_TEST

START_TEST(test_missing_credentials_and_key_files)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("version: 1\n"
                          "sources:\n"
                          "  esx:\n"
                          "    kind: libvirt\n"
                          "    uri: esx://esx01\n"
                          "    password_file: no-such-pw\n"
                          "targets: {lab: {kind: local, storage: out}}\n"
                          "vms:\n"
                          "  - name: a\n"
                          "    source: esx\n"
                          "    target: lab\n"
                          "    vm: a\n"
                          "    luks_keys:\n"
                          "      - {device: /dev/sda2, key_file: no-such-key}\n"
                          "      - {device: /dev/sda3}\n", &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 3);
    ck_assert(has(&d, "6:20", "password_file: "));
    ck_assert(has(&d, "6:20", "no-such-pw: No such file or directory"));
    ck_assert(has(&d, "14:39", "no-such-key: No such file or directory"));
    ck_assert(has(&d, "15:9", "key_file: missing (required)"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_inline_password_refused)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("version: 1\n"
                          "sources:\n"
                          "  esx:\n"
                          "    kind: libvirt\n"
                          "    uri: esx://esx01\n"
                          "    password: hunter2\n"
                          "targets: {lab: {kind: local, storage: out}}\n"
                          "vms:\n"
                          "  - name: a\n"
                          "    source: esx\n"
                          "    target: lab\n"
                          "    vm: a\n"
                          "    luks_keys: [{device: /dev/sda2, key: abc}]\n",
                          &p, &d), -1);
    ck_assert(has(&d, "6:5", "inline password refused: put it in a file (chmod 600) and name the file with password_file"));
    ck_assert(has(&d, "13:37", "inline key refused"));
    /* The value is never repeated in a message. */
    for (size_t i = 0; i < d.nlines; i++)
        ck_assert(strstr(d.lines[i], "hunter2") == NULL);
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_bad_limits)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "limits:\n"                       /* 13 */
                          "  max_in_flight: 0\n"
                          "  per_source_host_disks: many\n"
                          "  memory_budget: 1G\n"
                          "  transient_retries: -1\n"
                          "vms:\n"
                          "  - {name: a, source: esx, target: lab, vm: a}\n",
                          &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 4);
    ck_assert(has(&d, "14:18", "limits: max_in_flight: 0 is out of range (1 to 1000)"));
    ck_assert(has(&d, "15:26", "limits: per_source_host_disks: must be a whole number, not 'many'"));
    ck_assert(has(&d, "16:18", "less than one conversion needs (1.5 GiB for its appliance)"));
    ck_assert(has(&d, "17:22", "limits: transient_retries: must be a whole number"));
    v2k_plan_diags_free(&d);

    ck_assert_int_eq(load(HEAD
                          "limits: {memory_budget: 12GiB, max_in_flight: 6}\n"
                          "vms:\n"
                          "  - {name: a, source: esx, target: lab, vm: a}\n",
                          &p, &d), 0);
    ck_assert(p->limits.memory_budget == 12ULL << 30);
    ck_assert_uint_eq(p->limits.max_in_flight, 6);
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);

    ck_assert_int_eq(load(HEAD
                          "limits: {memory_budget: 12 apples}\n"
                          "vms:\n"
                          "  - {name: a, source: esx, target: lab, vm: a}\n",
                          &p, &d), -1);
    ck_assert(has(&d, "13:25", "is not a size (like 12GiB) or auto"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_unknown_references)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "vms:\n"                          /* 13 */
                          "  - name: a\n"
                          "    source: nosuch\n"
                          "    target: elsewhere\n"
                          "    network_map: nets\n"
                          "    storage_map: disks\n"
                          "  - name: b\n"                   /* 19 */
                          "    vm: b\n", &p, &d), -1);
    ck_assert(has(&d, "15:13", "vm 'a': source: no source called 'nosuch' in the plan (source: files, esx)"));
    ck_assert(has(&d, "16:13", "vm 'a': target: no target called 'elsewhere' in the plan (target: lab)"));
    ck_assert(has(&d, "17:18", "no network map called 'nets'"));
    ck_assert(has(&d, "18:18", "no storage map called 'disks'"));
    ck_assert(has(&d, "19:5", "vm 'b': source: missing (give source: here or in defaults)"));
    ck_assert(has(&d, "19:5", "vm 'b': target: missing"));
    ck_assert_uint_eq(d.nerrors, 6);
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_size_and_count_bounds)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;
    size_t big = V2K_PLAN_MAX_SIZE + 1, n = 0;
    char *buf = malloc(big + 64 * (V2K_PLAN_MAX_VMS + 2));

    ck_assert_ptr_nonnull(buf);
    memset(buf, '#', big);
    ck_assert_int_eq(v2k_plan_parse_buffer(buf, big, "big.yaml", dir, &p, &d), -1);
    ck_assert_uint_eq(d.nlines, 1);
    ck_assert(strstr(d.lines[0], "big.yaml: ") == d.lines[0]);
    ck_assert(strstr(d.lines[0], "larger than a plan may be") != NULL);
    v2k_plan_diags_free(&d);

    n = (size_t)snprintf(buf, 64, "version: 1\nvms:\n");
    for (int i = 0; i <= V2K_PLAN_MAX_VMS; i++)
        n += (size_t)snprintf(buf + n, 64, "- {name: v%d}\n", i);
    ck_assert_int_eq(v2k_plan_parse_buffer(buf, n, "many.yaml", dir, &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 1);
    ck_assert(strstr(d.lines[0], "many.yaml:3:1: vms: 10001 VMs, more than 10000") != NULL);
    v2k_plan_diags_free(&d);

    /* A flow list of 600000 one-character items (1.2 MB): the node cap
     * stops the tree, not the memory. */
    n = (size_t)snprintf(buf, 64, "version: 1\nx: [");
    for (int i = 0; i < 600000; i++)
        n += (size_t)snprintf(buf + n, 8, "1,");
    n += (size_t)snprintf(buf + n, 8, "]\n");
    ck_assert_int_eq(v2k_plan_parse_buffer(buf, n, "nodes.yaml", dir, &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 1);
    ck_assert(strstr(d.lines[0], "too many YAML nodes (more than 500000)") != NULL);
    v2k_plan_diags_free(&d);
    free(buf);
}
END_TEST

START_TEST(test_aliases_nul_and_control_refused)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;
    static const char nul[] = "version: 1\n\0vms: []\n";

    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - &x {name: a, source: esx, target: lab, vm: a}\n"
                          "  - *x\n", &p, &d), -1);
    ck_assert(has(&d, "14:5", "YAML anchors (&x) are not supported"));
    v2k_plan_diags_free(&d);

    ck_assert_int_eq(v2k_plan_parse_buffer(nul, sizeof nul - 1, "nul.yaml", dir, &p, &d), -1);
    ck_assert(strstr(d.lines[0], "NUL byte") != NULL);
    v2k_plan_diags_free(&d);

    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - {name: \"a\\x1b[2J\", source: esx, target: lab, vm: a}\n",
                          &p, &d), -1);
    ck_assert(has(&d, "14:12", "control character (0x1b)"));
    v2k_plan_diags_free(&d);

    ck_assert_int_eq(load("version: 1\nvms: []\n---\nversion: 1\n", &p, &d), -1);
    ck_assert(has(&d, "3:1", "a plan is one YAML document"));
    v2k_plan_diags_free(&d);
}
END_TEST

START_TEST(test_version_required)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("vms: []\n", &p, &d), -1);
    ck_assert(has(&d, "1:1", "version: missing"));
    ck_assert(has(&d, "1:6", "vms: empty"));
    v2k_plan_diags_free(&d);
    ck_assert_int_eq(load("version: 2\nvms: []\n", &p, &d), -1);
    ck_assert(has(&d, "1:10", "version: '2' is not a plan version this program reads (1)"));
    v2k_plan_diags_free(&d);
    ck_assert_int_eq(load("", &p, &d), -1);
    ck_assert(has(&d, "1:1", "the plan is empty"));
    v2k_plan_diags_free(&d);
}
END_TEST

/* Every error is reported, in line order, not only the first. */
START_TEST(test_all_errors_in_line_order)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load(HEAD
                          "  broken:\n"                     /* 13 */
                          "    kind: tape\n"
                          "vms:\n"
                          "  - name: a\n"                   /* 16 */
                          "    source: files\n"
                          "    target: lab\n"
                          "    path: nope.vmx\n"
                          "    vcpus: 0\n"
                          "    block_driver: ide\n"
                          "    hooks: {pre: {program: not-exec.sh}}\n"
                          "    root: ask\n", &p, &d), -1);
    ck_assert_uint_eq(d.nerrors, 6);
    ck_assert(has(&d, "14:11", "target 'broken': kind: 'tape' is not one of local, libvirt, qemu"));
    ck_assert(has(&d, "19:11", "nope.vmx"));
    ck_assert(has(&d, "20:12", "vcpus: 0 is out of range"));
    ck_assert(has(&d, "21:19", "'ide' is not one of virtio-blk, virtio-scsi"));
    ck_assert(has(&d, "22:28", "vm 'a': hooks: pre: program: "));
    ck_assert(has(&d, "22:28", "not-exec.sh: not an executable file"));
    ck_assert(has(&d, "23:11", "root: 'ask' is not one of single, first"));
    v2k_plan_diags_free(&d);

    /* memory: a size in whole KiB ("3000" is bytes). */
    ck_assert_int_eq(load(HEAD
                          "vms:\n"
                          "  - {name: a, source: esx, target: lab, vm: a, memory: 3000}\n",
                          &p, &d), -1);
    ck_assert(has(&d, "14:56", "memory: '3000' is not a size in whole KiB"));
    for (size_t i = 1; i < d.nlines; i++) {
        const char *a = d.lines[i - 1] + strlen(plan_path) + 1;
        const char *b = d.lines[i] + strlen(plan_path) + 1;
        ck_assert_int_le(strtol(a, NULL, 10), strtol(b, NULL, 10));
    }
    v2k_plan_diags_free(&d);
}
END_TEST


/* Mapping and target rules: exactly one destination per NIC entry, a
 * hostdev only for a MAC, options only where v2kvm takes them. */
START_TEST(test_maps_and_target_rules)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;

    ck_assert_int_eq(load("version: 1\n"
                          "sources: {s: {kind: libvirt, uri: \"esx://h\"}}\n"
                          "targets:\n"
                          "  a: {kind: local, storage: out, format: raw, compressed: true}\n"
                          "  b: {kind: local, qemu_boot: true, uri: \"qemu:///system\"}\n"
                          "  c: {kind: qemu, storage: nodir}\n"
                          "network_maps:\n"
                          "  n:\n"
                          "    - {source: x, mac: \"52:54:00:00:00:01\", network: y}\n"
                          "    - {source: x}\n"
                          "    - {source: x, network: y, bridge: z}\n"
                          "    - {source: x, hostdev: \"0000:03:10.1\"}\n"
                          "    - {mac: not-a-mac, network: y}\n"
                          "storage_maps:\n"
                          "  m: [{source: ds1}]\n"
                          "vms: [{name: v, source: s, target: a, vm: v, path: x.vmx}]\n",
                          &p, &d), -1);
    ck_assert(has(&d, "4:59", "target 'a': compressed: only with format qcow2"));
    ck_assert(has(&d, "5:6", "target 'b': storage: missing (kind local writes into a directory)"));
    ck_assert(has(&d, "5:31", "qemu_boot: only with kind qemu"));
    ck_assert(has(&d, "5:42", "target 'b': uri: only kind libvirt takes a connection URI"));
    ck_assert(has(&d, "6:28", "target 'c': storage: "));
    ck_assert(has(&d, "6:28", "/nodir: No such file or directory"));
    ck_assert(has(&d, "9:7", "network map 'n': give source or mac, not both"));
    ck_assert(has(&d, "10:7", "give exactly one of network, bridge or hostdev"));
    ck_assert(has(&d, "11:7", "give exactly one of network, bridge or hostdev"));
    ck_assert(has(&d, "12:7", "hostdev: only for a NIC chosen by mac"));
    ck_assert(has(&d, "13:13", "mac: 'not-a-mac' is not a MAC address"));
    ck_assert(has(&d, "15:7", "storage map 'm': storage: missing (required)"));
    ck_assert(has(&d, "16:52", "vm 'v': path: source 's' is remote (uri); name the VM with vm:"));
    ck_assert_uint_eq(d.nerrors, 12);
    v2k_plan_diags_free(&d);
}
END_TEST

/* The command line run will exec: every plan setting as v2kvm's
 * option, sources last after "--". */
START_TEST(test_vm_argv)
{
    struct v2k_plan *p;
    struct v2k_plan_diags d;
    char **av;
    const char *want0[] = {
        "/usr/bin/v2kvm", "-i", "libvirt", "-ic", "esx://root@esx01.example.com",
        "-ip", NULL /* dir/pw */, "-o", "libvirt", "-os", "fast",
        "-oc", "qemu:///system", "-of", "raw", "-oa", "preallocated",
        "-on", "db-kvm", "-oo", "machine=q35",
        "-n", "VM Network:default", "-b", "br0",
        "--mac", "52:54:00:12:34:56:hostdev:0000:03:10.1",
        "--memory", "4194304K", "--vcpus", "4", "--block-driver",
        "virtio-scsi", "--root", "/dev/sda2", "--key", NULL /* luks */,
        "--machine-readable", "--", "db01", NULL,
    };
    char pw[4300], key[4400];

    ck_assert_int_eq(load("version: 1\n"
                          "sources:\n"
                          "  esx:\n"
                          "    kind: libvirt\n"
                          "    uri: esx://root@esx01.example.com\n"
                          "    password_file: pw\n"
                          "  raw:\n"
                          "    kind: disk\n"
                          "    format: raw\n"
                          "targets:\n"
                          "  lab: {kind: local, storage: out}\n"
                          "  prod:\n"
                          "    kind: libvirt\n"
                          "    uri: qemu:///system\n"
                          "    storage: slow\n"
                          "    format: raw\n"
                          "    allocation: preallocated\n"
                          "    machine: q35\n"
                          "network_maps:\n"
                          "  std:\n"
                          "    - {source: VM Network, network: default}\n"
                          "    - {bridge: br0}\n"
                          "    - {mac: 52-54-00-12-34-56, hostdev: \"0000:03:10.1\"}\n"
                          "storage_maps:\n"
                          "  ssd:\n"
                          "    - {source: datastore2, storage: other}\n"
                          "    - {storage: fast}\n"
                          "vms:\n"
                          "  - name: db\n"
                          "    source: esx\n"
                          "    target: prod\n"
                          "    vm: db01\n"
                          "    target_name: db-kvm\n"
                          "    network_map: std\n"
                          "    storage_map: ssd\n"
                          "    memory: 4GiB\n"
                          "    vcpus: 4\n"
                          "    block_driver: virtio-scsi\n"
                          "    root: /dev/sda2\n"
                          "    luks_keys: [{device: /dev/sda2, key_file: luks.key}]\n"
                          "  - name: tools\n"
                          "    source: raw\n"
                          "    target: lab\n"
                          "    disks: [sda.img, sdb.img, \"nbd://host/x\"]\n"
                          "    no_convert: true\n",
                          &p, &d), 0);
    snprintf(pw, sizeof pw, "%s/pw", dir);
    snprintf(key, sizeof key, "/dev/sda2:file:%s/luks.key", dir);
    want0[6] = pw;
    want0[36] = key;
    av = v2k_plan_vm_argv(p, &p->vms[0], "/usr/bin/v2kvm");
    ck_assert_ptr_nonnull(av);
    for (size_t i = 0; i < V2K_ARRAY_SIZE(want0); i++) {
        if (want0[i] == NULL || av[i] == NULL) {
            ck_assert_ptr_eq(want0[i], av[i]);
            break;
        }
        ck_assert_str_eq(av[i], want0[i]);
    }
    v2k_strv_free(av);

    av = v2k_plan_vm_argv(p, &p->vms[1], "v2kvm");
    ck_assert_ptr_nonnull(av);
    {
        const char *want1[] = {
            "v2kvm", "-i", "disk", "-if", "raw", "-o", "local", "-os",
            NULL /* dir/out */, "-of", "qcow2", "-on", "tools",
            "--no-convert", "--machine-readable", "--", NULL, NULL,
            "nbd://host/x", NULL,
        };
        char out[4300], a[4300], b[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        snprintf(a, sizeof a, "%s/sda.img", dir);
        snprintf(b, sizeof b, "%s/sdb.img", dir);
        want1[8] = out;
        want1[16] = a;
        want1[17] = b;
        ck_assert_uint_eq(v2k_strv_len(av), V2K_ARRAY_SIZE(want1) - 1);
        for (size_t i = 0; i + 1 < V2K_ARRAY_SIZE(want1); i++)
            ck_assert_str_eq(av[i], want1[i]);
    }
    ck_assert_uint_eq(p->vms[1].disks, 3);
    v2k_strv_free(av);
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_good_plan_fills_the_struct);
    tcase_add_test(tc, test_example_plan_is_valid);
    tcase_add_test(tc, test_syntax_error_names_its_line);
    tcase_add_test(tc, test_unknown_key_lists_known_ones);
    tcase_add_test(tc, test_missing_source_file);
    tcase_add_test(tc, test_duplicate_names_and_outputs);
    tcase_add_test(tc, test_open_credentials_warn);
    tcase_add_test(tc, test_missing_credentials_and_key_files);
    tcase_add_test(tc, test_inline_password_refused);
    tcase_add_test(tc, test_bad_limits);
    tcase_add_test(tc, test_unknown_references);
    tcase_add_test(tc, test_size_and_count_bounds);
    tcase_add_test(tc, test_aliases_nul_and_control_refused);
    tcase_add_test(tc, test_version_required);
    tcase_add_test(tc, test_all_errors_in_line_order);
    tcase_add_test(tc, test_maps_and_target_rules);
    tcase_add_test(tc, test_vm_argv);
    suite_add_tcase(s, tc);
    return s;
}
