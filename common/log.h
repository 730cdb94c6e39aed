/* log.h - what the programs say while they work.
 *
 * Three kinds of line:
 *   v2k_msg()      progress messages, "[   1.2] Copying disk 1/2" on stdout
 *   v2k_warning()  "PROG: warning: ..." on stderr
 *   v2k_debug()    only with -v, "PROG: debug: ..." on stderr
 * With --machine-readable every line is instead one JSON object on stdout
 * ({"type":"message|warning|debug|error|progress|result", ...}) so batch
 * scripts can follow a run.  -q silences v2k_msg.  Thread-safe.
 *
 * Messages carry names and values read from untrusted files, so every
 * line is passed through v2k_log_escape() before it is printed (text or
 * JSON): nothing from an input can drive the terminal.
 */
#ifndef V2K_LOG_H
#define V2K_LOG_H

#include <stdbool.h>
#include <stddef.h>

struct v2k_json;

void v2k_log_init(const char *prog, int verbose, bool quiet,
                  bool machine_readable, bool trace);

const char *v2k_log_prog(void);
bool v2k_log_verbose(void);
bool v2k_log_quiet(void);
bool v2k_log_trace(void);
bool v2k_log_machine_readable(void);

void v2k_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void v2k_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void v2k_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy in to out (outlen bytes, NUL-terminated, cut only between whole
 * characters), escaping what could drive a terminal or reorder the text
 * it is shown in: C0 controls and DEL as \x1b, the C1 controls
 * U+0080..U+009F (as UTF-8) and the bidi controls U+202A..U+202E and
 * U+2066..U+2069 as \u202e, and bytes that are not valid UTF-8 (a raw
 * 0x9b is CSI on 8-bit terminals) as \x9b.  Returns out. */
char *v2k_log_escape(const char *in, char *out, size_t outlen);

/* How long a phase of the work took: "PHASE: 1.2 s" at -v and, with
 * --machine-readable, {"type":"phase","phase":PHASE,"seconds":1.2}
 * (bench/bench-v2v.sh reads them).  v2kvm's phases, in order: "source"
 * (the input opened), "overlays", "launch", "inspect", "step NAME" (each
 * conversion step), "convert" (all steps), "trim", "shutdown", "copy"
 * (every disk), "output" (the output written). */
void v2k_log_phase(const char *phase, double seconds);

/* Report a fatal error the way the mode asks (mains only). */
void v2k_log_error(const char *message);

/* For machine-readable JSON lines built by the caller: begins an object
 * with "type": type and returns the writer; finish with
 * v2k_log_json_end().  Holds the stdout lock in between. */
struct v2k_json *v2k_log_json_begin(const char *type);
void v2k_log_json_end(struct v2k_json *j);

#endif
