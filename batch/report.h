/* report.h - v2kvm-batch report PLAN: what happened to a plan's VMs, as
 * JSON and as one self-contained HTML page (v2kvm-batch(1), "REPORT").
 *
 * Reads the plan and its state (state.h, opened read-only without the
 * coordinator's lock, so a report can be made while a run goes on) and
 * the tail of each VM's log (STATE.logs/VM.log, at most
 * V2K_REPORT_TAIL_BYTES read from its end, the last V2K_REPORT_TAIL_LINES
 * lines kept).  A plan whose state does not exist yet gets a report of
 * pending VMs.  Every string from the plan, the state or a log is
 * escaped for where it goes (JSON, HTML text, attributes, SVG); bytes
 * that are not UTF-8 and control characters become '?'.
 *
 * Both files are written under a temporary name in their directory and
 * renamed: a reader never sees half a report under the final name.
 */
#ifndef V2K_BATCH_REPORT_H
#define V2K_BATCH_REPORT_H

#define V2K_REPORT_VERSION 1
#define V2K_REPORT_TAIL_LINES 20
#define V2K_REPORT_TAIL_BYTES (16u << 10)

struct v2k_batch_report_opts {
    const char *json_path;      /* NULL = STATE.report.json */
    const char *html_path;      /* NULL = STATE.report.html */
};

/* 0 both files written, 1 one could not be written (the other may
 * have been), 2 the plan has errors or the state cannot be read
 * (nothing written).  Messages go to stderr (log.h). */
int v2k_batch_report(const char *plan_path,
                     const struct v2k_batch_report_opts *opts);

#endif
