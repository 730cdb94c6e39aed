/* ova-internal.h - the parts of -i ova (inputs/ova.c, see its comment
 * for the package layout) and what they share.
 *
 *   ova.c           the package: a tar (members listed once) or a
 *                   directory; its files by name; the input's setup
 *   ova-manifest.c  the .mf checked against the package's files
 *   ova-unpack.c    compressed and chunked files streamed into a
 *                   temporary file
 *   ova-ovf.c       the .ovf descriptor into a struct v2k_source
 *
 * Every function returns -1 / NULL with one message naming the package
 * file (and line or field); strings returned are the caller's.
 */
#ifndef V2K_OVA_INTERNAL_H
#define V2K_OVA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "source.h"
#include "transport.h"

#define OVF_MAX_SIZE (16U << 20)
#define OVA_HASH_CHUNK (1U << 20)

/* The input's state (input.h), owned by the pipeline from ova_open() on
 * and freed by v2k_ova_state_free() at its close: the temporary files of
 * unpacked disks, which the copy reads. */
struct v2k_ova_state {
    char **tmp;                 /* paths (owned), also in outfile.h */
    size_t ntmp;
};

/* Where the package's files are: a tar (members listed once) or a
 * directory. */
struct ova {
    const char *src;            /* as given, for messages */
    char *dir;                  /* directory package: its real path */
    char *tar;                  /* tar package: its real path */
    struct v2k_archive_member *m;
    size_t nm;
    char *ovf_name;             /* member or file name of the .ovf */
    xmlDoc *doc;
    xmlNode *refs, *disks, *vs;
    bool no_files;              /* descriptor only: open no file */
    struct v2k_ova_state *st;   /* temporary files go here (borrowed) */
};

/* --- ova.c: package files ------------------------------------------- */

/* The tar member called name (the last one of that name), or NULL. */
const struct v2k_archive_member *v2k_ova_member(const struct ova *p,
                                                const char *name);

/* 0 when href names a file inside the package, else -1 with an error. */
int v2k_ova_check_href(const struct ova *p, const char *href);

/* A transport for one package file (the caller closes it). */
struct v2k_transport *v2k_ova_open_file(const struct ova *p,
                                        const char *href);

/* A whole small package file (at most max bytes), NUL-terminated; *len
 * its length. */
char *v2k_ova_read_small(const struct ova *p, const char *href, size_t max,
                         size_t *len);

/* --- ova-manifest.c ----------------------------------------------------- */

/* Check NAME.mf beside NAME.ovf, when there is one: 0 when every digest
 * matches.  ignore (-io ova-ignore-manifest): the manifest is not read,
 * a warning says so. */
int v2k_ova_check_manifest(const struct ova *p, bool ignore);

/* --- ova-unpack.c ------------------------------------------------------- */

/* Stream href (gzip and/or chunked) into a new temporary file, recorded
 * in p->st (removed by v2k_ova_state_free(), and through outfile.h on a
 * second signal); its path (the caller's), or NULL.  capacity (0:
 * unknown) bounds what decompression may produce. */
char *v2k_ova_unpack_to_tmp(const struct ova *p, const char *href,
                            bool gzip, bool chunked, uint64_t chunk_size,
                            uint64_t stored_size, uint64_t capacity);

/* Remove the temporary files and free st (NULL-safe). */
void v2k_ova_state_free(struct v2k_ova_state *st);

/* --- ova-ovf.c ---------------------------------------------------------- */

/* The descriptor buf (len bytes; where names it in messages) into a new
 * source; p->doc keeps the parsed document (freed with p).  Disks are
 * opened to learn their format and size unless p->no_files. */
struct v2k_source *v2k_ovf_parse(struct ova *p, const char *buf, size_t len,
                                 const char *where);

#endif
