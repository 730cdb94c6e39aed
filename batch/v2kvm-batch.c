/* v2kvm-batch - migrate many machines from a plan file (v2kvm-batch(1)).
 * The thin main: subcommands, diagnostics, exit codes.  check: 0 the
 * plan is valid, 1 it has errors.  run: 0 every VM done, 1 some failed,
 * 2 the plan has errors (nothing runs), 128 + N stopped by signal N.
 * report: 0 written, 1 a file could not be written, 2 the plan or the
 * state cannot be read.  inspect: 0 nothing would fail, 1 some VM
 * would, 2 the plan has errors.  2 for usage errors. */
#include "error.h"
#include "plan-inspect.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "run.h"
#include "util.h"
#include "version.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *fp)
{
    fprintf(fp,
"usage: v2kvm-batch check PLAN\n"
"       v2kvm-batch run PLAN [--only VM]... [--retry-failed] [--machine-readable]\n"
"                            [--executor local|slurm]\n"
"       v2kvm-batch inspect PLAN [--only VM]... [--timeout S] [--machine-readable]\n"
"       v2kvm-batch report PLAN [--json FILE] [--html FILE]\n"
"       v2kvm-batch --help|--version\n"
"\n"
"Migrates many machines with v2kvm, following a plan file (YAML, schema\n"
"version %d).\n"
"\n"
"  check PLAN   read and check the plan: every error on one line,\n"
"               PLAN:LINE:COLUMN: message; nothing is run or written\n"
"  run PLAN     run the plan's VMs with v2kvm, within its limits; the\n"
"               state (resumable) and one log per VM beside the plan\n"
"    --only VM        only this VM (repeatable)\n"
"    --retry-failed   also redo VMs that failed permanently\n"
"    --machine-readable  one JSON line per event on stdout\n"
"    --executor local|slurm  run v2kvm here (default) or as Slurm jobs\n"
"  report PLAN  what became of each VM, from the state (also while a run\n"
"               goes on): JSON and one self-contained HTML page\n"
"    --json FILE      the JSON report (default STATE.report.json)\n"
"    --html FILE      the HTML report (default STATE.report.html)\n"
"  inspect PLAN open every VM's source and inspect its guest (v2kvm -o\n"
"               null --print-guest), one VM at a time, writing nothing;\n"
"               predict what would fail (error) or need attention\n"
"               (warning); logs in the state's .logs directory\n"
"    --only VM        only this VM (repeatable)\n"
"    --timeout S      stop a VM's v2kvm after S seconds (default %d)\n"
"    --machine-readable  one JSON line per VM on stdout\n"
"\n"
"Exit status: 0 success, 1 the plan has errors (check), some VMs\n"
"failed (run) or would fail (inspect), or a report file could not be\n"
"written (report), 2 usage error (or, for run, inspect and report, a\n"
"plan or state that cannot be read).\n"
"See v2kvm-batch(1).\n", V2K_PLAN_VERSION, V2K_BATCH_INSPECT_TIMEOUT);
}

static int
cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "only", required_argument, NULL, 'o' },
        { "retry-failed", no_argument, NULL, 'r' },
        { "machine-readable", no_argument, NULL, 'm' },
        { "executor", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    struct v2k_batch_run_opts o = { 0 };
    const char **only = NULL;
    size_t nonly = 0;
    const char *plan = NULL;
    int c, rc;

    only = calloc((size_t)argc + 1, sizeof *only);
    if (only == NULL)
        return 2;
    optind = 0;         /* GNU: start over (main parsed with "+") */
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            only[nonly++] = optarg;
            break;
        case 'r':
            o.retry_failed = true;
            break;
        case 'm':
            o.machine_readable = true;
            break;
        case 'e':
            if (strcmp(optarg, "local") == 0) {
                o.executor = V2K_EXECUTOR_LOCAL;
            } else if (strcmp(optarg, "slurm") == 0) {
                o.executor = V2K_EXECUTOR_SLURM;
            } else {
                char msg[160];
                snprintf(msg, sizeof msg, "run: --executor '%.64s': give local or slurm", optarg);
                v2k_log_error(msg);
                free(only);
                return 2;
            }
            break;
        default:
            fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
            free(only);
            return 2;
        }
    }
    if (argc - optind != 1) {
        v2k_log_error("run: give one PLAN file");
        fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
        free(only);
        return 2;
    }
    plan = argv[optind];
    o.only = nonly ? only : NULL;
    o.nonly = nonly;
    v2k_log_init("v2kvm-batch", 0, false, o.machine_readable, false);
    rc = v2k_batch_run(plan, &o);
    free(only);
    return rc;
}

static int
cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "only", required_argument, NULL, 'o' },
        { "timeout", required_argument, NULL, 't' },
        { "machine-readable", no_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    struct v2k_batch_inspect_opts o = { 0 };
    const char **only = NULL;
    size_t nonly = 0;
    uint64_t t;
    int c, rc;

    only = calloc((size_t)argc + 1, sizeof *only);
    if (only == NULL)
        return 2;
    optind = 0;         /* GNU: start over (main parsed with "+") */
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            only[nonly++] = optarg;
            break;
        case 't':
            if (v2k_parse_u64(optarg, "--timeout", &t) == -1 || t == 0 ||
                t > 86400) {
                v2k_log_error("inspect: --timeout: give seconds, 1 to 86400");
                free(only);
                return 2;
            }
            o.timeout = (unsigned)t;
            break;
        case 'm':
            o.machine_readable = true;
            break;
        default:
            fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
            free(only);
            return 2;
        }
    }
    if (argc - optind != 1) {
        v2k_log_error("inspect: give one PLAN file");
        fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
        free(only);
        return 2;
    }
    o.only = nonly ? only : NULL;
    o.nonly = nonly;
    v2k_log_init("v2kvm-batch", 0, false, o.machine_readable, false);
    rc = v2k_batch_inspect(argv[optind], &o);
    free(only);
    return rc;
}

static int
cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", required_argument, NULL, 'j' },
        { "html", required_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    struct v2k_batch_report_opts o = { 0 };
    int c;

    optind = 0;         /* GNU: start over (main parsed with "+") */
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o.json_path = optarg;
            break;
        case 'H':
            o.html_path = optarg;
            break;
        default:
            fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
            return 2;
        }
    }
    if (argc - optind != 1) {
        v2k_log_error("report: give one PLAN file");
        fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
        return 2;
    }
    if (o.json_path && o.html_path && strcmp(o.json_path, o.html_path) == 0) {
        v2k_log_error("report: --json and --html name the same file");
        return 2;
    }
    return v2k_batch_report(argv[optind], &o);
}

static int
cmd_check(const char *path)
{
    struct v2k_plan *p = NULL;
    size_t nwarnings = 0;

    if (v2k_plan_load_print(path, &p, &nwarnings) == -1)
        return 1;
    printf("%s: OK, %zu VM%s, %zu source%s, %zu target%s", path, p->nvms,
           p->nvms == 1 ? "" : "s", p->nsources,
           p->nsources == 1 ? "" : "s", p->ntargets,
           p->ntargets == 1 ? "" : "s");
    if (nwarnings)
        printf(", %zu warning%s", nwarnings, nwarnings == 1 ? "" : "s");
    printf("\n");
    v2k_plan_free(p);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *cmd;
    int c;

    v2k_log_init("v2kvm-batch", 0, false, false, false);
    /* Options before the subcommand only; the subcommands parse their
     * own (run's --only, later). */
    while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("v2kvm-batch %s\n", V2K_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
            return 2;
        }
    }
    if (optind >= argc) {
        v2k_log_error("give a subcommand: check, run, inspect or report");
        fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
        return 2;
    }
    cmd = argv[optind++];
    if (strcmp(cmd, "check") == 0) {
        if (argc - optind != 1) {
            v2k_log_error("check: give one PLAN file");
            fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
            return 2;
        }
        return cmd_check(argv[optind]);
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - optind + 1, argv + optind - 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - optind + 1, argv + optind - 1);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - optind + 1, argv + optind - 1);
    {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown subcommand '%.64s' (check, run, inspect, report)", cmd);
        v2k_log_error(msg);
    }
    fprintf(stderr, "Try 'v2kvm-batch --help'.\n");
    return 2;
}
