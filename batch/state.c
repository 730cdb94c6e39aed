/* state.c - see state.h. */
#include "state.h"
#include "cleanup.h"
#include "error.h"
#include "jsonline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct v2k_state {
    sqlite3 *db;
    char *path;
    int lockfd;
    bool has_facts;             /* the vm_facts table exists */
};

static const char *const phases[] = {
    "pending", "running", "converting", "copying", "done", "failed",
    "interrupted",
};

static const char *const classes[] = { "", "transient", "permanent" };

const char *
v2k_vm_phase_to_string(enum v2k_vm_phase ph)
{
    return (size_t)ph < V2K_ARRAY_SIZE(phases) ? phases[ph] : "unknown";
}

int
v2k_vm_phase_from_string(const char *s)
{
    for (size_t i = 0; i < V2K_ARRAY_SIZE(phases); i++)
        if (strcmp(phases[i], s) == 0)
            return (int)i;
    return -1;
}

const char *
v2k_error_class_to_string(enum v2k_error_class c)
{
    return (size_t)c < V2K_ARRAY_SIZE(classes) ? classes[c] : "unknown";
}

/* The schema, version V2K_STATE_SCHEMA_VERSION.  Times are Unix seconds
 * (REAL).  phases keeps one row per phase entered per attempt, the
 * history the report reads; vms is the current state. */
static const char schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " plan TEXT,"
    " pid INTEGER NOT NULL,"
    " started REAL NOT NULL,"
    " finished REAL,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('running', 'finished', 'failed', 'interrupted')));"
    "CREATE TABLE vms ("
    " name TEXT PRIMARY KEY,"
    " ord INTEGER NOT NULL,"
    " phase TEXT NOT NULL CHECK (phase IN ('pending', 'running',"
    "  'converting', 'copying', 'done', 'failed', 'interrupted')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " run INTEGER REFERENCES runs(id),"
    " bytes_copied INTEGER NOT NULL DEFAULT 0,"
    " bytes_total INTEGER NOT NULL DEFAULT 0,"
    " warnings INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " error_class TEXT CHECK (error_class IN ('transient', 'permanent')),"
    " started REAL,"
    " finished REAL,"
    " updated REAL NOT NULL);"
    "CREATE TABLE phases ("
    " vm TEXT NOT NULL REFERENCES vms(name),"
    " attempt INTEGER NOT NULL,"
    " phase TEXT NOT NULL,"
    " run INTEGER,"
    " started REAL NOT NULL,"
    " finished REAL);"
    "CREATE INDEX phases_vm ON phases (vm, attempt);"
    "CREATE TABLE warnings ("
    " vm TEXT NOT NULL REFERENCES vms(name),"
    " attempt INTEGER NOT NULL,"
    " at REAL NOT NULL,"
    " message TEXT NOT NULL);"
    "CREATE TABLE outputs ("
    " vm TEXT NOT NULL REFERENCES vms(name),"
    " attempt INTEGER NOT NULL,"
    " path TEXT NOT NULL,"
    " PRIMARY KEY (vm, attempt, path));";

/* Added to version 1 after its first release: created on every
 * read-write open, so older databases get it too (state.h, "Facts"). */
static const char facts_schema[] =
    "CREATE TABLE IF NOT EXISTS vm_facts ("
    " vm TEXT NOT NULL REFERENCES vms(name),"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (vm, key));";

double
v2k_state_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
db_error(struct v2k_state *st, const char *what)
{
    v2k_error("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
    return -1;
}

static int
exec(struct v2k_state *st, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        v2k_error("%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *
prepare(struct v2k_state *st, const char *sql)
{
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_error(st, "prepare");
        return NULL;
    }
    return s;
}

static void
finalize(sqlite3_stmt **s)
{
    sqlite3_finalize(*s);
}
#define CLEANUP_STMT __attribute__((cleanup(finalize)))

/* BEGIN IMMEDIATE: the write lock now, not at the first write, so a
 * transaction never fails half-way on a busy database. */
static int
begin(struct v2k_state *st)
{
    return exec(st, "BEGIN IMMEDIATE");
}

static int
commit(struct v2k_state *st)
{
    return exec(st, "COMMIT");
}

static void
rollback(struct v2k_state *st)
{
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
schema_init(struct v2k_state *st)
{
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    int r, version = 0;

    if (begin(st) == -1)
        return -1;
    s = prepare(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (s == NULL || sqlite3_step(s) != SQLITE_ROW)
        goto fail;
    if (sqlite3_column_int(s, 0) == 0) {
        if (exec(st, schema) == -1)
            goto fail;
        sqlite3_finalize(s);
        s = prepare(st, "INSERT INTO schema_version VALUES (?)");
        if (s == NULL)
            goto fail;
        sqlite3_bind_int(s, 1, V2K_STATE_SCHEMA_VERSION);
        if (sqlite3_step(s) != SQLITE_DONE) {
            db_error(st, "schema");
            goto fail;
        }
    } else {
        sqlite3_finalize(s);
        s = prepare(st, "SELECT max(version) FROM schema_version");
        if (s == NULL)
            goto fail;
        r = sqlite3_step(s);
        if (r == SQLITE_ROW)
            version = sqlite3_column_int(s, 0);
        if (version != V2K_STATE_SCHEMA_VERSION) {
            v2k_error("%s: state schema version %d, this program reads %d", st->path, version, V2K_STATE_SCHEMA_VERSION);
            goto fail;
        }
    }
    if (exec(st, facts_schema) == -1)
        goto fail;
    st->has_facts = true;
    return commit(st);
fail:
    rollback(st);
    return -1;
}

struct v2k_state *
v2k_state_open(const char *path)
{
    struct v2k_state *st = v2k_calloc(1, sizeof *st);

    if (st == NULL)
        return NULL;
    st->lockfd = -1;
    st->path = v2k_strdup(path);
    if (st->path == NULL)
        goto fail;
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        db_error(st, "open");
        goto fail;
    }
    /* The coordinator's lock: flock, not SQLite's fcntl locks, so that
     * it is independent of SQLite's and is dropped by the kernel when
     * the process dies. */
    st->lockfd = open(path, O_RDWR | O_CLOEXEC);
    if (st->lockfd == -1) {
        v2k_error_errno(errno, "%s", path);
        goto fail;
    }
    if (flock(st->lockfd, LOCK_EX | LOCK_NB) == -1) {
        if (errno == EWOULDBLOCK)
            v2k_error("%s: in use by another v2kvm-batch (one coordinator per plan)", path);
        else
            v2k_error_errno(errno, "%s: lock", path);
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 10000);
    if (exec(st, "PRAGMA journal_mode=WAL") == -1 ||
        exec(st, "PRAGMA synchronous=FULL") == -1 ||
        exec(st, "PRAGMA foreign_keys=ON") == -1 ||
        schema_init(st) == -1)
        goto fail;
    return st;
fail:
    v2k_state_close(st);
    return NULL;
}

/* The read-only side of schema_init: the version, and whether the
 * facts table is there yet. */
static int
schema_check(struct v2k_state *st)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT (SELECT max(version) FROM schema_version), (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vm_facts')");
    int version;

    if (s == NULL)
        return -1;
    if (sqlite3_step(s) != SQLITE_ROW)
        return db_error(st, "schema");
    version = sqlite3_column_int(s, 0);
    if (version != V2K_STATE_SCHEMA_VERSION) {
        v2k_error("%s: state schema version %d, this program reads %d",
                  st->path, version, V2K_STATE_SCHEMA_VERSION);
        return -1;
    }
    st->has_facts = sqlite3_column_int(s, 1) > 0;
    return 0;
}

struct v2k_state *
v2k_state_open_readonly(const char *path)
{
    struct v2k_state *st;
    struct stat sb;

    /* SQLite would report a missing file as "unable to open". */
    if (stat(path, &sb) == -1) {
        v2k_error_errno(errno, "%s", path);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        v2k_error("%s: not a regular file", path);
        return NULL;
    }
    st = v2k_calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->lockfd = -1;
    st->path = v2k_strdup(path);
    if (st->path == NULL)
        goto fail;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        db_error(st, "open");
        goto fail;
    }
    /* A coordinator's transaction is short: wait for it. */
    sqlite3_busy_timeout(st->db, 10000);
    if (schema_check(st) == -1)
        goto fail;
    return st;
fail:
    v2k_state_close(st);
    return NULL;
}

void
v2k_state_close(struct v2k_state *st)
{
    if (st == NULL)
        return;
    if (st->db)
        sqlite3_close(st->db);
    /* After SQLite's close: closing another descriptor of the database
     * file would drop SQLite's POSIX locks (fcntl's per-process rule). */
    if (st->lockfd >= 0)
        close(st->lockfd);
    free(st->path);
    free(st);
}

/* Runs sql with the time t bound to every parameter: 0, or -1 with the
 * error recorded.  *changes (when not NULL) gets the rows it changed. */
static int
exec_at(struct v2k_state *st, const char *sql, double t, size_t *changes)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, sql);

    if (s == NULL)
        return -1;
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++)
        sqlite3_bind_double(s, i, t);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, "recover");
    if (changes)
        *changes = (size_t)sqlite3_changes(st->db);
    return 0;
}

int
v2k_state_recover(struct v2k_state *st, size_t *n)
{
    double t = v2k_state_now();

    if (n)
        *n = 0;
    if (begin(st) == -1)
        return -1;
    /* The history gets an "interrupted" row, like any other move. */
    if (exec_at(st, "UPDATE phases SET finished = ? WHERE finished IS NULL AND vm IN (SELECT name FROM vms WHERE phase IN ('running', 'converting', 'copying'))", t, NULL) == -1 ||
        exec_at(st, "INSERT INTO phases (vm, attempt, phase, run, started, finished) SELECT name, attempts, 'interrupted', run, ?1, ?1 FROM vms WHERE phase IN ('running', 'converting', 'copying')", t, NULL) == -1 ||
        exec_at(st, "UPDATE vms SET phase = 'interrupted', finished = ?1, updated = ?1 WHERE phase IN ('running', 'converting', 'copying')", t, n) == -1 ||
        exec_at(st, "UPDATE runs SET status = 'interrupted', finished = ? WHERE status = 'running'", t, NULL) == -1) {
        rollback(st);
        return -1;
    }
    return commit(st);
}

int64_t
v2k_state_run_begin(struct v2k_state *st, const char *plan_path)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "INSERT INTO runs (plan, pid, started, status) VALUES (?, ?, ?, 'running')");

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, plan_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, getpid());
    sqlite3_bind_double(s, 3, v2k_state_now());
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, "run");
    return sqlite3_last_insert_rowid(st->db);
}

int
v2k_state_run_end(struct v2k_state *st, int64_t run, bool ok)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "UPDATE runs SET status = ?, finished = ? WHERE id = ?");

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, ok ? "finished" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, v2k_state_now());
    sqlite3_bind_int64(s, 3, run);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, "run");
    return 0;
}

int
v2k_state_add_vms(struct v2k_state *st, const char *const *names, size_t n)
{
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    CLEANUP_STMT sqlite3_stmt *o = NULL;
    double t = v2k_state_now();

    if (begin(st) == -1)
        return -1;
    /* Plan order: a VM added later goes after the known ones; a known
     * VM takes its place in the current plan. */
    s = prepare(st, "INSERT INTO vms (name, ord, phase, updated) VALUES (?, ?, 'pending', ?) ON CONFLICT (name) DO UPDATE SET ord = excluded.ord");
    if (s == NULL)
        goto fail;
    o = prepare(st, "UPDATE vms SET ord = ord + ?");
    if (o == NULL)
        goto fail;
    /* Old VMs no longer in the plan go after the plan's own. */
    sqlite3_bind_int64(o, 1, (sqlite3_int64)n);
    if (sqlite3_step(o) != SQLITE_DONE)
        goto dbfail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        sqlite3_bind_double(s, 3, t);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto dbfail;
    }
    return commit(st);
dbfail:
    db_error(st, "add VMs");
fail:
    rollback(st);
    return -1;
}

/* The current phase and attempts of vm (inside a transaction). */
static int
current(struct v2k_state *st, const char *vm, int *phase, int *attempts)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT phase, attempts FROM vms WHERE name = ?");
    int r;

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_DONE) {
        v2k_error("%s: no VM called '%s' in the state", st->path, vm);
        return -1;
    }
    if (r != SQLITE_ROW)
        return db_error(st, vm);
    *phase = v2k_vm_phase_from_string((const char *)sqlite3_column_text(s, 0));
    *attempts = sqlite3_column_int(s, 1);
    if (*phase < 0) {
        v2k_error("%s: VM '%s' has an unknown phase", st->path, vm);
        return -1;
    }
    return 0;
}

static bool
allowed(enum v2k_vm_phase from, enum v2k_vm_phase to)
{
    switch (to) {
    case V2K_PHASE_RUNNING:
        return from == V2K_PHASE_PENDING || from == V2K_PHASE_INTERRUPTED ||
            from == V2K_PHASE_FAILED;
    case V2K_PHASE_CONVERTING:
        return from == V2K_PHASE_RUNNING;
    case V2K_PHASE_COPYING:
        return from == V2K_PHASE_CONVERTING || from == V2K_PHASE_RUNNING;
    case V2K_PHASE_DONE:
        return from == V2K_PHASE_COPYING;
    case V2K_PHASE_FAILED:
    case V2K_PHASE_INTERRUPTED:
        return from == V2K_PHASE_RUNNING || from == V2K_PHASE_CONVERTING ||
            from == V2K_PHASE_COPYING;
    case V2K_PHASE_PENDING:
        return false;
    }
    return false;
}

static bool
terminal(enum v2k_vm_phase ph)
{
    return ph == V2K_PHASE_DONE || ph == V2K_PHASE_FAILED ||
        ph == V2K_PHASE_INTERRUPTED;
}

/* The body of every transition (inside the caller's transaction). */
static int
move(struct v2k_state *st, const char *vm, enum v2k_vm_phase to,
     int64_t run, enum v2k_error_class cls, const char *message)
{
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    int from, attempts;
    double t = v2k_state_now();

    if (current(st, vm, &from, &attempts) == -1)
        return -1;
    if (!allowed((enum v2k_vm_phase)from, to)) {
        v2k_error("%s: VM '%s' cannot go from %s to %s", st->path, vm,
                  phases[from], phases[to]);
        return -1;
    }
    if (to == V2K_PHASE_RUNNING)
        attempts++;
    s = prepare(st, "UPDATE phases SET finished = ? WHERE vm = ? AND finished IS NULL");
    if (s == NULL)
        return -1;
    sqlite3_bind_double(s, 1, t);
    sqlite3_bind_text(s, 2, vm, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, vm);
    sqlite3_finalize(s);
    s = prepare(st, "INSERT INTO phases (vm, attempt, phase, run, started, finished) VALUES (?, ?, ?, ?, ?, ?)");
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, attempts);
    sqlite3_bind_text(s, 3, phases[to], -1, SQLITE_STATIC);
    if (run > 0)
        sqlite3_bind_int64(s, 4, run);
    sqlite3_bind_double(s, 5, t);
    if (terminal(to))
        sqlite3_bind_double(s, 6, t);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, vm);
    sqlite3_finalize(s);
    if (to == V2K_PHASE_RUNNING)
        /* A new attempt: its counters start again; the last error is
         * kept until the attempt ends (the report shows why it was
         * retried). */
        s = prepare(st, "UPDATE vms SET phase = ?2, attempts = ?3, run = ?4, started = ?5, finished = NULL, updated = ?5, bytes_copied = 0, bytes_total = 0 WHERE name = ?1");
    else if (to == V2K_PHASE_FAILED)
        s = prepare(st, "UPDATE vms SET phase = ?2, finished = ?5, updated = ?5, error_class = ?6, last_error = ?7 WHERE name = ?1");
    else if (to == V2K_PHASE_DONE)
        s = prepare(st, "UPDATE vms SET phase = ?2, finished = ?5, updated = ?5, error_class = NULL, last_error = NULL WHERE name = ?1");
    else
        s = prepare(st, "UPDATE vms SET phase = ?2, updated = ?5, finished = CASE WHEN ?2 = 'interrupted' THEN ?5 ELSE finished END WHERE name = ?1");
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, phases[to], -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, attempts);
    if (run > 0)
        sqlite3_bind_int64(s, 4, run);
    sqlite3_bind_double(s, 5, t);
    if (to == V2K_PHASE_FAILED) {
        sqlite3_bind_text(s, 6, cls == V2K_ERRCLASS_TRANSIENT ? "transient" : "permanent", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, message ? message : "", -1, SQLITE_STATIC);
    }
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, vm);
    return 0;
}

int
v2k_state_transition(struct v2k_state *st, const char *vm,
                     enum v2k_vm_phase to, int64_t run)
{
    if (to == V2K_PHASE_FAILED) {
        v2k_error("%s: VM '%s': a failure needs its class and message (v2k_state_fail)", st->path, vm);
        return -1;
    }
    if (begin(st) == -1)
        return -1;
    if (move(st, vm, to, run, V2K_ERRCLASS_NONE, NULL) == -1) {
        rollback(st);
        return -1;
    }
    return commit(st);
}

int
v2k_state_fail(struct v2k_state *st, const char *vm,
               enum v2k_error_class cls, const char *message)
{
    if (begin(st) == -1)
        return -1;
    if (move(st, vm, V2K_PHASE_FAILED, 0, cls, message) == -1) {
        rollback(st);
        return -1;
    }
    return commit(st);
}

/* One statement with vm as ?1, text (or a) as ?2, b as ?3 and the time
 * as ?4; a statement that uses fewer leaves the rest unbound (SQLite
 * refuses those binds, which is fine).  Outside a transaction it is its
 * own (autocommit). */
static int
update_one(struct v2k_state *st, const char *sql, const char *vm,
           const char *text, sqlite3_int64 a, sqlite3_int64 b)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, sql);

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 2, a);
    sqlite3_bind_int64(s, 3, b);
    sqlite3_bind_double(s, 4, v2k_state_now());
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, vm);
    if (sqlite3_changes(st->db) == 0 && strncmp(sql, "INSERT OR IGNORE", 16) != 0) {
        v2k_error("%s: no VM called '%s' in the state", st->path, vm);
        return -1;
    }
    return 0;
}

int
v2k_state_set_bytes(struct v2k_state *st, const char *vm, uint64_t copied,
                    uint64_t total)
{
    if (copied > INT64_MAX || total > INT64_MAX) {
        v2k_error("%s: VM '%s': byte count out of range", st->path, vm);
        return -1;
    }
    return update_one(st, "UPDATE vms SET bytes_copied = ?2, bytes_total = ?3, updated = ?4 WHERE name = ?1", vm, NULL, (sqlite3_int64)copied, (sqlite3_int64)total);
}

int
v2k_state_add_warning(struct v2k_state *st, const char *vm,
                      const char *message)
{
    int r;

    if (begin(st) == -1)
        return -1;
    r = update_one(st, "UPDATE vms SET warnings = warnings + 1, updated = ?4 WHERE name = ?1", vm, message, 0, 0);
    if (r == 0)
        r = update_one(st, "INSERT INTO warnings (vm, attempt, at, message) SELECT name, attempts, ?4, ?2 FROM vms WHERE name = ?1", vm, message, 0, 0);
    if (r == -1) {
        rollback(st);
        return -1;
    }
    return commit(st);
}

int
v2k_state_add_output(struct v2k_state *st, const char *vm, const char *path)
{
    return update_one(st, "INSERT OR IGNORE INTO outputs (vm, attempt, path) SELECT name, attempts, ?2 FROM vms WHERE name = ?1", vm, path, 0, 0);
}

static char *
column_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);

    return t ? v2k_strdup((const char *)t) : NULL;
}

#define VM_COLUMNS "name, phase, attempts, bytes_copied, bytes_total, warnings, last_error, error_class, started, finished"

/* A row of VM_COLUMNS into out; -1 when out of memory. */
static int
fill_vm(sqlite3_stmt *s, struct v2k_state_vm *out)
{
    const char *cls;
    int r;

    out->name = column_dup(s, 0);
    if (out->name == NULL)
        return -1;
    r = v2k_vm_phase_from_string((const char *)sqlite3_column_text(s, 1));
    out->phase = r < 0 ? V2K_PHASE_PENDING : (enum v2k_vm_phase)r;
    out->attempts = (unsigned)sqlite3_column_int(s, 2);
    out->bytes_copied = (uint64_t)sqlite3_column_int64(s, 3);
    out->bytes_total = (uint64_t)sqlite3_column_int64(s, 4);
    out->warnings = (unsigned)sqlite3_column_int(s, 5);
    if (sqlite3_column_type(s, 6) != SQLITE_NULL &&
        (out->last_error = column_dup(s, 6)) == NULL)
        return -1;
    cls = (const char *)sqlite3_column_text(s, 7);
    out->error_class = cls == NULL ? V2K_ERRCLASS_NONE
        : strcmp(cls, "transient") == 0 ? V2K_ERRCLASS_TRANSIENT
                                        : V2K_ERRCLASS_PERMANENT;
    out->started = sqlite3_column_double(s, 8);
    out->finished = sqlite3_column_double(s, 9);
    return 0;
}

int
v2k_state_get(struct v2k_state *st, const char *vm, struct v2k_state_vm *out)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT " VM_COLUMNS " FROM vms WHERE name = ?");
    int r;

    memset(out, 0, sizeof *out);
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_DONE) {
        v2k_error("%s: no VM called '%s' in the state", st->path, vm);
        return -1;
    }
    if (r != SQLITE_ROW)
        return db_error(st, vm);
    if (fill_vm(s, out) == -1) {
        v2k_state_vm_clear(out);
        return -1;
    }
    return 0;
}

void
v2k_state_vm_clear(struct v2k_state_vm *v)
{
    free(v->name);
    free(v->last_error);
    memset(v, 0, sizeof *v);
}

char **
v2k_state_next(struct v2k_state *st, const struct v2k_state_select *sel,
               size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    CLEANUP_STMT sqlite3_stmt *k = NULL;
    char **out = NULL;
    size_t cap = 0;
    int r;

    *n = 0;
    k = prepare(st, "SELECT 1 FROM vms WHERE name = ?");
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i < sel->nonly; i++) {
        sqlite3_reset(k);
        sqlite3_bind_text(k, 1, sel->only[i], -1, SQLITE_STATIC);
        r = sqlite3_step(k);
        if (r == SQLITE_DONE) {
            v2k_error("--only %s: no VM of that name in the plan", sel->only[i]);
            return NULL;
        }
        if (r != SQLITE_ROW) {
            db_error(st, "select");
            return NULL;
        }
    }
    s = prepare(st, "SELECT name FROM vms WHERE (phase IN ('pending', 'interrupted') OR (phase = 'failed' AND (?1 OR (error_class = 'transient' AND attempts < 1 + ?2)))) ORDER BY ord");
    if (s == NULL)
        return NULL;
    sqlite3_bind_int(s, 1, sel->retry_failed);
    sqlite3_bind_int64(s, 2, sel->max_retries);
    out = v2k_calloc(1, sizeof *out);
    if (out == NULL)
        return NULL;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        bool want = sel->nonly == 0;

        for (size_t i = 0; !want && i < sel->nonly; i++)
            want = strcmp(sel->only[i], name) == 0;
        if (!want)
            continue;
        if (*n + 2 > cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **no = realloc(out, ncap * sizeof *no);
            if (no == NULL) {
                v2k_error("out of memory");
                goto fail;
            }
            out = no;
            cap = ncap;
        }
        if ((out[*n] = v2k_strdup(name)) == NULL)
            goto fail;
        out[++*n] = NULL;
    }
    if (r != SQLITE_DONE) {
        db_error(st, "select");
        goto fail;
    }
    return out;
fail:
    v2k_strv_free(out);
    *n = 0;
    return NULL;
}

int
v2k_state_count(struct v2k_state *st, enum v2k_vm_phase ph, size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT count(*) FROM vms WHERE phase = ?");

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, v2k_vm_phase_to_string(ph), -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return db_error(st, "count");
    *n = (size_t)sqlite3_column_int64(s, 0);
    return 0;
}

/* --- what the report reads ------------------------------------------- */

/* Grows *arr (of elements of size) to hold one more than *n; -1 when
 * out of memory.  Doubling, bounded by V2K_STATE_MAX_LIST (the callers'
 * LIMIT). */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p;
    size_t ncap;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    p = realloc(*arr, ncap * size);
    if (p == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

#define LIMIT " LIMIT 10000"
_Static_assert(V2K_STATE_MAX_LIST == 10000, "LIMIT follows the bound");

int
v2k_state_list(struct v2k_state *st, struct v2k_state_vm **out, size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT " VM_COLUMNS " FROM vms ORDER BY ord, name" LIMIT);
    struct v2k_state_vm *v = NULL;
    size_t cap = 0;
    int r;

    *out = NULL;
    *n = 0;
    if (s == NULL)
        return -1;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (grow((void **)&v, &cap, *n, sizeof *v) == -1)
            goto fail;
        memset(&v[*n], 0, sizeof *v);
        if (fill_vm(s, &v[(*n)++]) == -1)
            goto fail;
    }
    if (r != SQLITE_DONE) {
        db_error(st, "list");
        goto fail;
    }
    *out = v;
    return 0;
fail:
    v2k_state_vms_free(v, *n);
    *n = 0;
    return -1;
}

void
v2k_state_vms_free(struct v2k_state_vm *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        v2k_state_vm_clear(&v[i]);
    free(v);
}

int
v2k_state_phases(struct v2k_state *st, const char *vm,
                 struct v2k_state_phase **out, size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT phase, attempt, run, started, finished FROM phases WHERE vm = ? ORDER BY rowid" LIMIT);
    struct v2k_state_phase *v = NULL;
    size_t cap = 0;
    int r;

    *out = NULL;
    *n = 0;
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int ph = v2k_vm_phase_from_string((const char *)sqlite3_column_text(s, 0));

        if (ph < 0)             /* not ours: skipped, not guessed */
            continue;
        if (grow((void **)&v, &cap, *n, sizeof *v) == -1) {
            free(v);
            *n = 0;
            return -1;
        }
        v[*n].phase = (enum v2k_vm_phase)ph;
        v[*n].attempt = (unsigned)sqlite3_column_int(s, 1);
        v[*n].run = sqlite3_column_int64(s, 2);
        v[*n].started = sqlite3_column_double(s, 3);
        v[*n].finished = sqlite3_column_double(s, 4);
        ++*n;
    }
    if (r != SQLITE_DONE) {
        free(v);
        *n = 0;
        return db_error(st, vm);
    }
    *out = v;
    return 0;
}

/* The first column of sql (vm bound to ?1) as a NULL-terminated list. */
static char **
strings(struct v2k_state *st, const char *sql, const char *vm, size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, sql);
    char **v = NULL;
    size_t cap = 0;
    int r;

    *n = 0;
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    if (grow((void **)&v, &cap, 0, sizeof *v) == -1)
        return NULL;
    v[0] = NULL;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (grow((void **)&v, &cap, *n + 1, sizeof *v) == -1)
            goto fail;
        if ((v[*n] = column_dup(s, 0)) == NULL) {
            v2k_error("out of memory");
            goto fail;
        }
        v[++*n] = NULL;
    }
    if (r != SQLITE_DONE) {
        db_error(st, vm);
        goto fail;
    }
    return v;
fail:
    v2k_strv_free(v);
    *n = 0;
    return NULL;
}

char **
v2k_state_warnings(struct v2k_state *st, const char *vm, size_t *n)
{
    return strings(st, "SELECT message FROM warnings WHERE vm = ?1 ORDER BY rowid" LIMIT, vm, n);
}

char **
v2k_state_outputs(struct v2k_state *st, const char *vm, size_t *n)
{
    return strings(st, "SELECT DISTINCT path FROM outputs WHERE vm = ?1 ORDER BY path" LIMIT, vm, n);
}

int
v2k_state_runs(struct v2k_state *st, struct v2k_state_run **out, size_t *n)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "SELECT id, plan, status, started, finished FROM runs ORDER BY id" LIMIT);
    struct v2k_state_run *v = NULL;
    size_t cap = 0;
    int r;

    *out = NULL;
    *n = 0;
    if (s == NULL)
        return -1;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (grow((void **)&v, &cap, *n, sizeof *v) == -1)
            goto fail;
        memset(&v[*n], 0, sizeof *v);
        v[*n].id = sqlite3_column_int64(s, 0);
        v[*n].plan = column_dup(s, 1);
        v[*n].status = column_dup(s, 2);
        v[*n].started = sqlite3_column_double(s, 3);
        v[*n].finished = sqlite3_column_double(s, 4);
        ++*n;
        if (v[*n - 1].status == NULL) {
            v2k_error("out of memory");
            goto fail;
        }
    }
    if (r != SQLITE_DONE) {
        db_error(st, "runs");
        goto fail;
    }
    *out = v;
    return 0;
fail:
    v2k_state_runs_free(v, *n);
    *n = 0;
    return -1;
}

void
v2k_state_runs_free(struct v2k_state_run *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].plan);
        free(r[i].status);
    }
    free(r);
}

/* Inside or outside a transaction; vm must exist. */
static int
set_fact(struct v2k_state *st, const char *vm, const char *key,
         const char *value)
{
    CLEANUP_STMT sqlite3_stmt *s = prepare(st, "INSERT OR REPLACE INTO vm_facts (vm, key, value) VALUES (?, ?, ?)");

    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(st, vm);
    return 0;
}

int
v2k_state_set_fact(struct v2k_state *st, const char *vm, const char *key,
                   const char *value)
{
    int phase, attempts;

    if (begin(st) == -1)
        return -1;
    if (current(st, vm, &phase, &attempts) == -1 ||
        set_fact(st, vm, key, value) == -1) {
        rollback(st);
        return -1;
    }
    return commit(st);
}

int
v2k_state_get_fact(struct v2k_state *st, const char *vm, const char *key,
                   char **value)
{
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    int r;

    *value = NULL;
    if (!st->has_facts)         /* a database from before the facts */
        return 0;
    s = prepare(st, "SELECT value FROM vm_facts WHERE vm = ? AND key = ?");
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_DONE)
        return 0;
    if (r != SQLITE_ROW)
        return db_error(st, vm);
    *value = column_dup(s, 0);
    if (*value == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    return 0;
}

int
v2k_state_record_result(struct v2k_state *st, const char *vm,
                        const char *line)
{
    static const char *const keys[] = {
        "distro", "product_name", "osinfo", "firmware",
    };
    CLEANUP_STMT sqlite3_stmt *s = NULL;
    char buf[1024], sizes[V2K_STATE_MAX_DISKS * 21 + 1];
    double d[V2K_STATE_MAX_DISKS];
    int phase, attempts, nd;
    size_t off = 0;

    if (!v2k_jsonline_str(line, "type", buf, sizeof buf) ||
        strcmp(buf, "result") != 0) {
        v2k_error("%s: VM '%s': not a result line from v2kvm", st->path, vm);
        return -1;
    }
    if (begin(st) == -1)
        return -1;
    if (current(st, vm, &phase, &attempts) == -1)
        goto fail;
    s = prepare(st, "DELETE FROM vm_facts WHERE vm = ?");
    if (s == NULL)
        goto fail;
    sqlite3_bind_text(s, 1, vm, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        db_error(st, vm);
        goto fail;
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(keys); i++)
        if (v2k_jsonline_str(line, keys[i], buf, sizeof buf) &&
            set_fact(st, vm, keys[i], buf) == -1)
            goto fail;
    nd = v2k_jsonline_nums(line, "disks", d, V2K_ARRAY_SIZE(d));
    if (nd >= 0) {
        sizes[0] = '\0';
        for (int i = 0; i < nd; i++) {
            /* Sizes are whole bytes below 2^63 (SQLite's integers). */
            if (!(d[i] >= 0 && d[i] < 0x1p63))
                continue;
            off += (size_t)snprintf(sizes + off, sizeof sizes - off, "%s%llu",
                                    off ? " " : "",
                                    (unsigned long long)d[i]);
        }
        if (set_fact(st, vm, "disks", sizes) == -1)
            goto fail;
    }
    return commit(st);
fail:
    rollback(st);
    return -1;
}

char *
v2k_state_vm_file(const char *dir, const char *name, const char *suffix)
{
    char *s = v2k_asprintf("%s/%s%s", dir, name, suffix);
    char *b, *end;

    if (s == NULL)
        return NULL;
    b = s + strlen(dir) + 1;
    end = s + strlen(s) - strlen(suffix);
    if (*b == '.')
        *b = '_';
    for (char *c = b; c < end; c++)
        if (*c == '/')
            *c = '_';
    return s;
}
