/* error.h - the one error convention of v2kvm.
 *
 * A function that fails returns -1 (or NULL) after recording exactly one
 * message with v2k_error*(): one phrase, no newline, no trailing period,
 * naming the file, field, value or offset concerned.  A caller may add
 * context in front with v2k_error_prepend().  Only the programs' mains
 * print the message ("v2kvm: error: ...") and choose the exit code.
 *
 * A message longer than V2K_ERROR_MAX - 1 bytes keeps its head and its
 * end (the cause, since context is added in front) and loses its middle
 * to " [...] ".
 *
 * The message buffer is thread-local: copy-engine workers each have their
 * own, and a worker's message is handed to the caller by the engine.
 */
#ifndef V2K_ERROR_H
#define V2K_ERROR_H

#include <stddef.h>

#define V2K_ERROR_MAX 1024

/* Record a message, replacing any earlier one. */
void v2k_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record a message followed by ": " and strerror(errnum). */
void v2k_error_errno(int errnum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Put "<formatted>" in front of the current message (add ": " yourself). */
void v2k_error_prepend(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The current message of this thread ("" when none); borrowed. */
const char *v2k_error_message(void);

/* Forget the current message. */
void v2k_error_clear(void);

#endif
