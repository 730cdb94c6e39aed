/* ova-manifest.c - the OVA's manifest (see ova-internal.h). */
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "outfile.h"
#include "ova-internal.h"
#include "sha.h"
#include "transport.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MF_MAX_SIZE (1U << 20)

/* --- Manifest ---------------------------------------------------------- */

static int
hash_file(const struct ova *p, const char *href, bool sha256, char *hex)
{
    struct v2k_transport *t = v2k_ova_open_file(p, href);
    CLEANUP_FREE uint8_t *buf = NULL;
    struct v2k_sha1 c1;
    struct v2k_sha256 c2;
    uint8_t d[V2K_SHA256_LEN];

    if (t == NULL)
        return -1;
    if ((buf = v2k_malloc(OVA_HASH_CHUNK)) == NULL) {
        v2k_transport_close(t);
        return -1;
    }
    v2k_sha1_init(&c1);
    v2k_sha256_init(&c2);
    for (uint64_t off = 0; off < t->size;) {
        size_t n = t->size - off < OVA_HASH_CHUNK ? (size_t)(t->size - off)
                                                  : OVA_HASH_CHUNK;
        if (v2k_check_interrupted() == -1 ||
            v2k_transport_pread(t, buf, n, off) == -1) {
            v2k_sha_discard(&c1.c);
            v2k_sha_discard(&c2.c);
            v2k_transport_close(t);
            return -1;
        }
        if (sha256)
            v2k_sha256_update(&c2, buf, n);
        else
            v2k_sha1_update(&c1, buf, n);
        off += n;
    }
    v2k_transport_close(t);
    if (sha256) {
        v2k_sha256_final(&c2, d);
        v2k_sha_hex(d, V2K_SHA256_LEN, hex);
    } else {
        v2k_sha1_final(&c1, d);
        v2k_sha_hex(d, V2K_SHA1_LEN, hex);
    }
    return 0;
}

/* One manifest line "ALG(NAME)= HEX" (ovftool, ESXi) or "ALG (NAME) =
 * HEX" (VirtualBox, as openssl dgst -r writes it): 0 when it checks
 * out (or is blank), -1 with an error naming the manifest, line and
 * file. */
static int
check_mf_line(const struct ova *p, const char *mf, int line, char *s)
{
    char *open_p, *close_p, *eq, *h;
    bool sha256;
    char want[2 * V2K_SHA256_LEN + 1], got[2 * V2K_SHA256_LEN + 1];
    size_t hl;

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return 0;
    if (strncmp(s, "SHA1", 4) == 0)
        sha256 = false, open_p = s + 4;
    else if (strncmp(s, "SHA256", 6) == 0)
        sha256 = true, open_p = s + 6;
    else
        open_p = NULL;
    while (open_p && (*open_p == ' ' || *open_p == '\t'))
        open_p++;
    if (open_p == NULL || *open_p != '(') {
        v2k_error("%s:%d: '%.40s': not a SHA1(...)= or SHA256(...)= line",
                  mf, line, s);
        return -1;
    }
    /* The digest has no '=': the last one ends the name's ")". */
    eq = strrchr(open_p, '=');
    for (close_p = eq ? eq - 1 : NULL;
         close_p && close_p > open_p && (*close_p == ' ' || *close_p == '\t');
         close_p--)
        ;
    if (close_p == NULL || close_p <= open_p || *close_p != ')') {
        v2k_error("%s:%d: no ')=' after the file name", mf, line);
        return -1;
    }
    *close_p = '\0';
    for (h = eq + 1; *h == ' ' || *h == '\t'; h++)
        ;
    hl = strcspn(h, " \t\r");
    if (hl != (sha256 ? 64u : 40u)) {
        v2k_error("%s:%d: %s: the digest is not %d hex digits", mf, line,
                  open_p + 1, sha256 ? 64 : 40);
        return -1;
    }
    for (size_t i = 0; i < hl; i++) {
        if (!isxdigit((unsigned char)h[i])) {
            v2k_error("%s:%d: %s: the digest is not hex", mf, line,
                      open_p + 1);
            return -1;
        }
        want[i] = (char)tolower((unsigned char)h[i]);
    }
    want[hl] = '\0';
    if (hash_file(p, open_p + 1, sha256, got) == -1) {
        v2k_error_prepend("%s:%d: ", mf, line);
        return -1;
    }
    if (strcmp(want, got) == 0) {
        v2k_debug("%s: %s of %s matches", mf, sha256 ? "SHA256" : "SHA1",
                  open_p + 1);
        return 0;
    }
    v2k_error("%s:%d: %s of %s is %s, not %s as the manifest says (the package is corrupt or was modified; -io ova-ignore-manifest converts it anyway)", mf, line, sha256 ? "SHA256" : "SHA1",
              open_p + 1, got, want);
    return -1;
}

int
v2k_ova_check_manifest(const struct ova *p, bool ignore)
{
    /* NAME.ovf -> NAME.mf (DSP0243 5.1: same base name). */
    CLEANUP_FREE char *mf = v2k_asprintf("%.*s.mf",
                                         (int)strlen(p->ovf_name) - 4,
                                         p->ovf_name);
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE char *where = NULL;
    struct stat st;
    size_t len = 0;
    char *s, *nl;
    int line = 1;
    bool present;

    if (mf == NULL)
        return -1;
    if (p->tar) {
        present = v2k_ova_member(p, mf) != NULL;
    } else {
        CLEANUP_FREE char *path = v2k_asprintf("%s/%s", p->dir, mf);
        present = path && stat(path, &st) == 0;
    }
    if (!present) {
        v2k_debug("%s: no manifest %s: nothing to verify", p->src, mf);
        return 0;
    }
    if (ignore) {
        /* Not read at all: a manifest we cannot parse (or a digest that
         * does not match) is what the option is for. */
        v2k_warning("%s/%s: the manifest is not checked (-io ova-ignore-manifest)", p->src, mf);
        return 0;
    }
    buf = v2k_ova_read_small(p, mf, MF_MAX_SIZE, &len);
    where = v2k_asprintf("%s/%s", p->src, mf);
    if (buf == NULL || where == NULL)
        return -1;
    if (strlen(buf) != len) {
        v2k_error("%s: NUL byte in the manifest", where);
        return -1;
    }
    /* Lines end in LF or CRLF (Windows exports). */
    for (s = buf; *s; s = nl ? nl + 1 : s + strlen(s), line++) {
        nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        if (check_mf_line(p, where, line, s) == -1)
            return -1;
        if (nl == NULL)
            break;
    }
    return 0;
}
