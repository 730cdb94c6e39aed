/* test-state.c - the batch run's state (batch/state.c): phases and
 * their order, the retry bound, --only and --retry-failed, one
 * coordinator at a time, and a coordinator killed (SIGKILL) in the
 * middle of its transitions leaving a database that opens consistent,
 * with its in-flight VMs interrupted and chosen again; what the report
 * reads (lists, history, facts from v2kvm's result line), read-only
 * while a coordinator holds the state. */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "state.h"
#include "util.h"

static char dir[4096];
static char db[4200];

static void
setup(void)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");

    snprintf(dir, sizeof dir, "%s/test-state.XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/plan.state", dir);
}

static void
teardown(void)
{
    char cmd[4400];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* One value of a query on a second, read-only connection (SQLite's own
 * locks let it read while the coordinator holds its flock). */
static char *
query(const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    char *r = NULL;

    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        r = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return r ? r : strdup("");
}

static void
assert_query(const char *sql, const char *want)
{
    char *got = query(sql);

    if (strcmp(got, want) != 0)
        fprintf(stderr, "query: %s\n  got: %s\n want: %s\n", sql, got, want);
    ck_assert_str_eq(got, want);
    free(got);
}

static const char *const names[] = { "web", "db", "app" };

static struct v2k_state *
fresh(void)
{
    struct v2k_state *st = v2k_state_open(db);

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(v2k_state_add_vms(st, names, 3), 0);
    return st;
}

static enum v2k_vm_phase
phase(struct v2k_state *st, const char *vm, unsigned *attempts)
{
    struct v2k_state_vm v;
    enum v2k_vm_phase ph;

    ck_assert_int_eq(v2k_state_get(st, vm, &v), 0);
    ph = v.phase;
    if (attempts)
        *attempts = v.attempts;
    v2k_state_vm_clear(&v);
    return ph;
}

/* "a,b,c" of what v2k_state_next chooses. */
static char *
next(struct v2k_state *st, bool retry_failed, unsigned retries,
     const char *const *only, size_t nonly)
{
    struct v2k_state_select sel = { only, nonly, retry_failed, retries };
    size_t n;
    char **l = v2k_state_next(st, &sel, &n);
    char buf[1024] = "";

    ck_assert_ptr_nonnull(l);
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
                 i ? "," : "", l[i]);
    v2k_strv_free(l);
    return strdup(buf);
}

#define ASSERT_NEXT(st, rf, retries, only, nonly, want) do {        \
        char *got_ = next((st), (rf), (retries), (only), (nonly));  \
        ck_assert_str_eq(got_, (want));                             \
        free(got_);                                                 \
    } while (0)

START_TEST(test_open_creates_wal_schema)
{
    struct v2k_state *st = fresh();

    assert_query("PRAGMA journal_mode", "wal");
    assert_query("SELECT version FROM schema_version", "1");
    assert_query("SELECT group_concat(name || ':' || phase, ' ') FROM (SELECT * FROM vms ORDER BY ord)", "web:pending db:pending app:pending");
    v2k_state_close(st);
    /* Reopened: the same VMs, none added twice, plan order kept. */
    st = v2k_state_open(db);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(v2k_state_add_vms(st, (const char *const[]){ "db", "new" }, 2), 0);
    assert_query("SELECT count(*) FROM vms", "4");
    ASSERT_NEXT(st, false, 2, NULL, 0, "db,new,web,app");
    v2k_state_close(st);
}
END_TEST

START_TEST(test_one_coordinator_at_a_time)
{
    struct v2k_state *st = fresh(), *st2;

    st2 = v2k_state_open(db);
    ck_assert_ptr_null(st2);
    ck_assert(strstr(v2k_error_message(), "in use by another v2kvm-batch") != NULL);
    v2k_state_close(st);
    st2 = v2k_state_open(db);
    ck_assert_ptr_nonnull(st2);
    v2k_state_close(st2);
}
END_TEST

START_TEST(test_phases_in_order)
{
    struct v2k_state *st = fresh();
    int64_t run = v2k_state_run_begin(st, "plan.yaml");
    unsigned attempts;

    ck_assert(run > 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_DONE, run), -1);
    ck_assert(strstr(v2k_error_message(), "VM 'web' cannot go from pending to done") != NULL);
    ck_assert_int_eq(v2k_state_transition(st, "nope", V2K_PHASE_RUNNING, run), -1);
    ck_assert(strstr(v2k_error_message(), "no VM called 'nope'") != NULL);

    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_CONVERTING, run), 0);
    ck_assert_int_eq(v2k_state_add_warning(st, "web", "no virtio drivers for NIC 2"), 0);
    ck_assert_int_eq(v2k_state_set_bytes(st, "web", 512, 1024), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_COPYING, run), 0);
    ck_assert_int_eq(v2k_state_add_output(st, "web", "/out/web-sda"), 0);
    ck_assert_int_eq(v2k_state_add_output(st, "web", "/out/web-sda"), 0);
    ck_assert_int_eq(v2k_state_set_bytes(st, "web", 1024, 1024), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_DONE, run), 0);
    ck_assert_int_eq(phase(st, "web", &attempts), V2K_PHASE_DONE);
    ck_assert_uint_eq(attempts, 1);
    ck_assert_int_eq(v2k_state_run_end(st, run, true), 0);
    /* Done is final. */
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, run), -1);
    assert_query("SELECT group_concat(phase, ',') FROM (SELECT phase FROM phases WHERE vm = 'web' ORDER BY rowid)", "running,converting,copying,done");
    assert_query("SELECT count(*) FROM phases WHERE finished IS NULL", "0");
    assert_query("SELECT warnings || ' ' || bytes_copied || '/' || bytes_total FROM vms WHERE name = 'web'", "1 1024/1024");
    assert_query("SELECT group_concat(path) FROM outputs WHERE vm = 'web'", "/out/web-sda");
    assert_query("SELECT status FROM runs", "finished");
    ASSERT_NEXT(st, false, 2, NULL, 0, "db,app");
    ASSERT_NEXT(st, true, 2, NULL, 0, "db,app");
    v2k_state_close(st);
}
END_TEST

/* Transient failures are retried up to the bound; permanent ones and
 * exhausted ones only with --retry-failed. */
START_TEST(test_retry_bound_and_classes)
{
    struct v2k_state *st = fresh();
    struct v2k_state_vm v;

    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(v2k_state_fail(st, "web", V2K_ERRCLASS_TRANSIENT, "esx01: connection reset"), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(v2k_state_fail(st, "db", V2K_ERRCLASS_PERMANENT, "web.vmx: not a VMX file"), 0);
    ck_assert_int_eq(v2k_state_transition(st, "app", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(v2k_state_transition(st, "app", V2K_PHASE_COPYING, 0), 0);

    ck_assert_int_eq(v2k_state_get(st, "web", &v), 0);
    ck_assert_int_eq(v.phase, V2K_PHASE_FAILED);
    ck_assert_int_eq(v.error_class, V2K_ERRCLASS_TRANSIENT);
    ck_assert_str_eq(v.last_error, "esx01: connection reset");
    ck_assert(v.finished >= v.started && v.started > 0);
    v2k_state_vm_clear(&v);

    /* app is in flight: never chosen. */
    ASSERT_NEXT(st, false, 2, NULL, 0, "web");
    ASSERT_NEXT(st, false, 0, NULL, 0, "");
    ASSERT_NEXT(st, true, 0, NULL, 0, "web,db");
    /* Two more transient failures: 3 attempts = 1 + 2 retries, done. */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, 0), 0);
        ck_assert_int_eq(v2k_state_fail(st, "web", V2K_ERRCLASS_TRANSIENT, "reset"), 0);
    }
    ASSERT_NEXT(st, false, 2, NULL, 0, "");
    ASSERT_NEXT(st, false, 3, NULL, 0, "web");
    ASSERT_NEXT(st, true, 2, NULL, 0, "web,db");
    /* A new attempt after a failure, then success: the error is gone. */
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_COPYING, 0), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_DONE, 0), 0);
    ck_assert_int_eq(v2k_state_get(st, "db", &v), 0);
    ck_assert_ptr_null(v.last_error);
    ck_assert_int_eq(v.error_class, V2K_ERRCLASS_NONE);
    ck_assert_uint_eq(v.attempts, 2);
    v2k_state_vm_clear(&v);
    v2k_state_close(st);
}
END_TEST

START_TEST(test_only)
{
    static const char *const app_web[] = { "app", "web" };
    static const char *const app[] = { "app" };
    struct v2k_state *st = fresh();
    struct v2k_state_select sel = {
        (const char *const[]){ "app", "ghost" }, 2, false, 2,
    };
    size_t n;

    ASSERT_NEXT(st, false, 2, app_web, 2, "web,app");
    ck_assert_ptr_null(v2k_state_next(st, &sel, &n));
    ck_assert_str_eq(v2k_error_message(), "--only ghost: no VM of that name in the plan");
    ck_assert_int_eq(v2k_state_transition(st, "app", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(v2k_state_fail(st, "app", V2K_ERRCLASS_PERMANENT, "bad"), 0);
    ASSERT_NEXT(st, false, 2, app, 1, "");
    ASSERT_NEXT(st, true, 2, app, 1, "app");
    v2k_state_close(st);
}
END_TEST

/* A coordinator that went away without ending its run (closed here;
 * killed in the next test): its VMs in flight are interrupted on the
 * next open, and chosen again. */
START_TEST(test_recover_interrupted)
{
    struct v2k_state *st = fresh();
    int64_t run = v2k_state_run_begin(st, "plan.yaml");
    size_t n;

    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_CONVERTING, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_RUNNING, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_COPYING, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_DONE, run), 0);
    v2k_state_close(st);

    st = v2k_state_open(db);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(v2k_state_recover(st, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(phase(st, "web", NULL), V2K_PHASE_INTERRUPTED);
    ck_assert_int_eq(phase(st, "db", NULL), V2K_PHASE_DONE);
    assert_query("SELECT status FROM runs", "interrupted");
    assert_query("SELECT count(*) FROM phases WHERE finished IS NULL", "0");
    ASSERT_NEXT(st, false, 0, NULL, 0, "web,app");
    /* Nothing more to recover. */
    ck_assert_int_eq(v2k_state_recover(st, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(phase(st, "web", NULL), V2K_PHASE_RUNNING);
    v2k_state_close(st);
}
END_TEST

#define KILL_VMS 40

/* The child: a coordinator moving KILL_VMS VMs through their phases as
 * fast as it can, telling the parent (one byte) once it has started. */
static void
busy_coordinator(int fd)
{
    char name[32];
    const char *list[KILL_VMS];
    static char store[KILL_VMS][32];
    struct v2k_state *st = v2k_state_open(db);
    int64_t run;

    if (st == NULL)
        _exit(3);
    for (int i = 0; i < KILL_VMS; i++) {
        snprintf(store[i], sizeof store[i], "vm%02d", i);
        list[i] = store[i];
    }
    if (v2k_state_add_vms(st, list, KILL_VMS) == -1)
        _exit(4);
    run = v2k_state_run_begin(st, "plan.yaml");
    if (write(fd, "x", 1) != 1)
        _exit(5);
    for (int pass = 0;; pass++) {
        for (int i = 0; i < KILL_VMS; i++) {
            snprintf(name, sizeof name, "vm%02d", i);
            if (v2k_state_transition(st, name, V2K_PHASE_RUNNING, run) == -1)
                continue;       /* done in an earlier pass */
            v2k_state_transition(st, name, V2K_PHASE_CONVERTING, run);
            v2k_state_add_warning(st, name, "a warning");
            v2k_state_set_bytes(st, name, 1, 2);
            v2k_state_transition(st, name, V2K_PHASE_COPYING, run);
            v2k_state_add_output(st, name, "/out/disk");
            if ((i + pass) % 3 == 0)
                v2k_state_fail(st, name, V2K_ERRCLASS_TRANSIENT, "reset");
            else
                v2k_state_transition(st, name, V2K_PHASE_DONE, run);
        }
    }
}

/* Killed at a few points in its work: each time the database opens,
 * passes SQLite's integrity check, every VM's phase is the last entry
 * of its history, and after recovery nothing is left in flight. */
START_TEST(test_sigkill_mid_transition)
{
    static const int delays_ms[] = { 0, 3, 10, 25, 60 };
    size_t interrupted = 0;

    for (size_t k = 0; k < V2K_ARRAY_SIZE(delays_ms); k++) {
        int fds[2];
        pid_t pid;
        char c;
        int status;
        struct v2k_state *st;
        size_t n;
        char **todo;
        struct v2k_state_select sel = { NULL, 0, false, 1000 };

        ck_assert_int_eq(pipe(fds), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            busy_coordinator(fds[1]);
            _exit(0);
        }
        close(fds[1]);
        ck_assert_int_eq(read(fds[0], &c, 1), 1);
        close(fds[0]);
        usleep((useconds_t)delays_ms[k] * 1000);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        st = v2k_state_open(db);
        ck_assert_ptr_nonnull(st);
        assert_query("PRAGMA integrity_check", "ok");
        /* Each VM's phase is its history's last (the transaction of a
         * transition is all or nothing). */
        assert_query("SELECT count(*) FROM vms v WHERE attempts > 0 AND phase != (SELECT phase FROM phases p WHERE p.vm = v.name ORDER BY rowid DESC LIMIT 1)", "0");
        assert_query("SELECT count(*) FROM vms v WHERE attempts != (SELECT coalesce(max(attempt), 0) FROM phases p WHERE p.vm = v.name)", "0");
        assert_query("SELECT count(*) FROM vms WHERE warnings != (SELECT count(*) FROM warnings w WHERE w.vm = vms.name)", "0");
        ck_assert_int_eq(v2k_state_recover(st, &n), 0);
        ck_assert_uint_le(n, 1);        /* one VM at a time in flight */
        interrupted += n;
        assert_query("SELECT count(*) FROM vms WHERE phase IN ('running', 'converting', 'copying')", "0");
        assert_query("SELECT count(*) FROM phases WHERE finished IS NULL", "0");
        assert_query("SELECT count(*) FROM runs WHERE status = 'running'", "0");
        /* Whatever is not done is chosen again (the bound is high). */
        todo = v2k_state_next(st, &sel, &n);
        ck_assert_ptr_nonnull(todo);
        {
            char *done = query("SELECT count(*) FROM vms WHERE phase = 'done'");
            ck_assert_uint_eq(n + strtoul(done, NULL, 10), KILL_VMS);
            free(done);
        }
        v2k_strv_free(todo);
        v2k_state_close(st);
    }
    /* The kills did land inside a VM's transitions (a transaction takes
     * an fsync, the time between two is nothing): otherwise this test
     * proved little. */
    ck_assert_uint_ge(interrupted, 1);
}
END_TEST

/* Run a statement on a connection of our own (as an older program
 * would have left the database). */
static void
exec_sql(const char *sql)
{
    sqlite3 *h;

    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* The lists the report reads: plan order, history oldest first with
 * its run, warnings in order, outputs sorted and once each, runs. */
START_TEST(test_report_lists)
{
    struct v2k_state *st = fresh();
    int64_t run = v2k_state_run_begin(st, "plan.yaml");
    struct v2k_state_vm *vms;
    struct v2k_state_phase *ph;
    struct v2k_state_run *runs;
    size_t n;
    char **l;

    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, run), 0);
    ck_assert_int_eq(v2k_state_add_warning(st, "web", "first"), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_COPYING, run), 0);
    ck_assert_int_eq(v2k_state_add_warning(st, "web", "second"), 0);
    ck_assert_int_eq(v2k_state_add_output(st, "web", "/out/web.xml"), 0);
    ck_assert_int_eq(v2k_state_add_output(st, "web", "/out/web-sda"), 0);
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_DONE, run), 0);
    ck_assert_int_eq(v2k_state_transition(st, "db", V2K_PHASE_RUNNING, run), 0);
    ck_assert_int_eq(v2k_state_fail(st, "db", V2K_ERRCLASS_PERMANENT, "db.vmx: not a VMX file"), 0);
    ck_assert_int_eq(v2k_state_run_end(st, run, false), 0);

    ck_assert_int_eq(v2k_state_list(st, &vms, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(vms[0].name, "web");
    ck_assert_int_eq(vms[0].phase, V2K_PHASE_DONE);
    ck_assert_ptr_null(vms[0].last_error);
    ck_assert_str_eq(vms[1].name, "db");
    ck_assert_int_eq(vms[1].phase, V2K_PHASE_FAILED);
    ck_assert_str_eq(vms[1].last_error, "db.vmx: not a VMX file");
    ck_assert_int_eq(vms[1].error_class, V2K_ERRCLASS_PERMANENT);
    ck_assert_str_eq(vms[2].name, "app");
    ck_assert_int_eq(vms[2].phase, V2K_PHASE_PENDING);
    v2k_state_vms_free(vms, n);

    ck_assert_int_eq(v2k_state_phases(st, "web", &ph, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(ph[0].phase, V2K_PHASE_RUNNING);
    ck_assert_int_eq(ph[1].phase, V2K_PHASE_COPYING);
    ck_assert_int_eq(ph[2].phase, V2K_PHASE_DONE);
    ck_assert(ph[0].started > 0 && ph[0].finished >= ph[0].started);
    ck_assert(ph[1].started >= ph[0].finished);
    ck_assert(ph[2].started == ph[2].finished);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(ph[i].run, run);
        ck_assert_uint_eq(ph[i].attempt, 1);
    }
    free(ph);
    ck_assert_int_eq(v2k_state_phases(st, "app", &ph, &n), 0);
    ck_assert_uint_eq(n, 0);
    free(ph);

    l = v2k_state_warnings(st, "web", &n);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0], "first");
    ck_assert_str_eq(l[1], "second");
    ck_assert_ptr_null(l[2]);
    v2k_strv_free(l);
    l = v2k_state_outputs(st, "web", &n);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0], "/out/web-sda");
    ck_assert_str_eq(l[1], "/out/web.xml");
    v2k_strv_free(l);
    l = v2k_state_warnings(st, "app", &n);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(l[0]);
    v2k_strv_free(l);

    ck_assert_int_eq(v2k_state_runs(st, &runs, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(runs[0].id, run);
    ck_assert_str_eq(runs[0].plan, "plan.yaml");
    ck_assert_str_eq(runs[0].status, "failed");
    ck_assert(runs[0].finished >= runs[0].started);
    v2k_state_runs_free(runs, n);
    v2k_state_close(st);
}
END_TEST

/* v2kvm's result line becomes facts; a later attempt's line replaces
 * them all (a fact it lacks is gone); other lines are refused. */
START_TEST(test_record_result)
{
    struct v2k_state *st = fresh();
    char *v;

    ck_assert_int_eq(v2k_state_get_fact(st, "web", "firmware", &v), 0);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(v2k_state_record_result(st, "web", "{\"type\":\"result\",\"status\":\"ok\",\"name\":\"web\",\"converted\":true,\"distro\":\"debian\",\"appliance_seconds\":12.5,\"product_name\":\"Debian GNU/Linux 12 (bookworm)\",\"osinfo\":\"debian12\",\"firmware\":\"uefi\",\"disks\":[1073741824, 2147483648]}"), 0);
    ck_assert_int_eq(v2k_state_get_fact(st, "web", "product_name", &v), 0);
    ck_assert_str_eq(v, "Debian GNU/Linux 12 (bookworm)");
    free(v);
    ck_assert_int_eq(v2k_state_get_fact(st, "web", "firmware", &v), 0);
    ck_assert_str_eq(v, "uefi");
    free(v);
    ck_assert_int_eq(v2k_state_get_fact(st, "web", "disks", &v), 0);
    ck_assert_str_eq(v, "1073741824 2147483648");
    free(v);
    assert_query("SELECT group_concat(key, ',') FROM (SELECT key FROM vm_facts WHERE vm = 'web' ORDER BY key)", "disks,distro,firmware,osinfo,product_name");
    /* --no-convert: null OS fields, an empty disk list is a fact too. */
    ck_assert_int_eq(v2k_state_record_result(st, "web", "{\"type\":\"result\",\"status\":\"ok\",\"converted\":false,\"product_name\":null,\"osinfo\":null,\"firmware\":\"bios\",\"disks\":[]}"), 0);
    assert_query("SELECT group_concat(key || '=' || value, ',') FROM (SELECT * FROM vm_facts WHERE vm = 'web' ORDER BY key)", "disks=,firmware=bios");
    ck_assert_int_eq(v2k_state_record_result(st, "web", "{\"type\":\"progress\",\"done\":1}"), -1);
    ck_assert(strstr(v2k_error_message(), "VM 'web': not a result line") != NULL);
    ck_assert_int_eq(v2k_state_record_result(st, "nope", "{\"type\":\"result\"}"), -1);
    ck_assert(strstr(v2k_error_message(), "no VM called 'nope'") != NULL);
    /* More disks than the bound: none recorded rather than a few. */
    {
        char line[4096];
        size_t off = (size_t)snprintf(line, sizeof line, "{\"type\":\"result\",\"disks\":[");
        for (int i = 0; i <= V2K_STATE_MAX_DISKS; i++)
            off += (size_t)snprintf(line + off, sizeof line - off, "%s1", i ? "," : "");
        snprintf(line + off, sizeof line - off, "]}");
        ck_assert_int_eq(v2k_state_record_result(st, "web", line), 0);
        assert_query("SELECT count(*) FROM vm_facts WHERE vm = 'web'", "0");
    }
    ck_assert_int_eq(v2k_state_set_fact(st, "db", "firmware", "bios"), 0);
    ck_assert_int_eq(v2k_state_set_fact(st, "nope", "firmware", "bios"), -1);
    v2k_state_close(st);
}
END_TEST

/* The report's reader: no lock (works while the coordinator holds the
 * state), no writes, a database from before vm_facts read without
 * facts, a missing file named. */
/* A VM's file name: '/' and a leading '.' never leave the directory. */
START_TEST(test_vm_file)
{
    static const struct { const char *name, *want; } cases[] = {
        { "web1", "D/web1.log" },
        { "../etc/passwd", "D/_._etc_passwd.log" },
        { "a/b/c", "D/a_b_c.log" },
        { ".hidden", "D/_hidden.log" },
        { "x.y", "D/x.y.log" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *f = v2k_state_vm_file("D", cases[i].name, ".log");

        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(f, cases[i].want);
        free(f);
    }
}
END_TEST

START_TEST(test_readonly)
{
    struct v2k_state *st = fresh(), *ro;
    struct v2k_state_vm *vms;
    size_t n;
    char *v;

    ck_assert_int_eq(v2k_state_set_fact(st, "web", "firmware", "uefi"), 0);
    ro = v2k_state_open_readonly(db);
    ck_assert_ptr_nonnull(ro);
    ck_assert_int_eq(v2k_state_list(ro, &vms, &n), 0);
    ck_assert_uint_eq(n, 3);
    v2k_state_vms_free(vms, n);
    ck_assert_int_eq(v2k_state_get_fact(ro, "web", "firmware", &v), 0);
    ck_assert_str_eq(v, "uefi");
    free(v);
    /* The coordinator goes on and the reader sees it. */
    ck_assert_int_eq(v2k_state_transition(st, "web", V2K_PHASE_RUNNING, 0), 0);
    ck_assert_int_eq(phase(ro, "web", NULL), V2K_PHASE_RUNNING);
    ck_assert_int_eq(v2k_state_set_bytes(ro, "web", 1, 2), -1);
    v2k_state_close(ro);
    v2k_state_close(st);

    exec_sql("DROP TABLE vm_facts");
    ro = v2k_state_open_readonly(db);
    ck_assert_ptr_nonnull(ro);
    ck_assert_int_eq(v2k_state_get_fact(ro, "web", "firmware", &v), 0);
    ck_assert_ptr_null(v);
    v2k_state_close(ro);
    assert_query("SELECT count(*) FROM sqlite_master WHERE name = 'vm_facts'", "0");
    /* A coordinator's open adds it. */
    st = v2k_state_open(db);
    ck_assert_ptr_nonnull(st);
    v2k_state_close(st);
    assert_query("SELECT count(*) FROM sqlite_master WHERE name = 'vm_facts'", "1");

    exec_sql("UPDATE schema_version SET version = 2");
    ck_assert_ptr_null(v2k_state_open_readonly(db));
    ck_assert(strstr(v2k_error_message(), "state schema version 2") != NULL);

    ck_assert_ptr_null(v2k_state_open_readonly("/nonexistent/plan.state"));
    ck_assert(strstr(v2k_error_message(), "/nonexistent/plan.state: No such file") != NULL);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("state");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_open_creates_wal_schema);
    tcase_add_test(tc, test_one_coordinator_at_a_time);
    tcase_add_test(tc, test_phases_in_order);
    tcase_add_test(tc, test_retry_bound_and_classes);
    tcase_add_test(tc, test_only);
    tcase_add_test(tc, test_recover_interrupted);
    tcase_add_test(tc, test_sigkill_mid_transition);
    tcase_add_test(tc, test_report_lists);
    tcase_add_test(tc, test_record_result);
    tcase_add_test(tc, test_readonly);
    tcase_add_test(tc, test_vm_file);
    suite_add_tcase(s, tc);
    return s;
}
