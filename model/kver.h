/* kver.h - Linux kernel version strings ("6.1.0-28-amd64",
 * "4.18.0-80.1.2.el8_0.x86_64", "2.6.18-398.el5xen"): one order for the
 * inspector (newest first) and the kernel step (which one to boot).
 * Pure functions, no allocation.
 */
#ifndef V2K_KVER_H
#define V2K_KVER_H

/* Compare like rpmvercmp (rpm's lib/rpmvercmp.c): separators (anything
 * not alphanumeric) only split; numeric runs compare numerically (leading
 * zeros ignored, any length), alphabetic runs by strcmp; a numeric run is
 * newer than an alphabetic one ("80.1.el8" > "80.el8": z-stream
 * updates); with all runs equal, the one with more runs is newer.
 * <0, 0, >0. */
int v2k_kver_cmp(const char *a, const char *b);

/* The leading "MAJOR.MINOR.PATCH" of v (missing fields 0, each capped at
 * 100000); patch may be NULL. */
void v2k_kver_parse(const char *v, unsigned *major, unsigned *minor,
                    unsigned *patch);

#endif
