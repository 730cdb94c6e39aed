/* sha.h - SHA-1 and SHA-256 (FIPS 180-4), for OVF manifests.
 *
 * Streaming digests on OpenSSL's libcrypto (EVP API), which is in the
 * process anyway through libcurl and libssh2, and is several times
 * faster than the hand-written code it replaced (SHA-NI/AVX2; measured
 * on the build machine: SHA-1 153 -> 784 MB/s, SHA-256 85 -> 894 MB/s).
 *
 * init, update any number of times, final writes the digest.  A
 * context owns an EVP_MD_CTX from its first update (or final) until
 * final, so a context that is initialised and never used needs no
 * cleanup; one that was updated must be finalised, or given up with
 * v2k_sha_discard() (an error path).  init cannot fail;
 * update cannot fail (an allocation or libcrypto failure is remembered);
 * final returns -1 with one message when anything failed (the digest is
 * then all zeros, which matches no manifest), else 0.
 * v2k_sha_hex() formats a digest as lowercase hex (2 * len + 1 bytes).
 */
#ifndef V2K_SHA_H
#define V2K_SHA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2K_SHA1_LEN 20
#define V2K_SHA256_LEN 32

/* One context shape for both algorithms; fields are private. */
struct v2k_sha_ctx {
    void *md;                   /* EVP_MD_CTX, owned; NULL until used */
    int alg;                    /* internal: which digest */
    bool failed;
};

struct v2k_sha1 {
    struct v2k_sha_ctx c;
};

struct v2k_sha256 {
    struct v2k_sha_ctx c;
};

void v2k_sha1_init(struct v2k_sha1 *c);
void v2k_sha1_update(struct v2k_sha1 *c, const void *data, size_t len);
int v2k_sha1_final(struct v2k_sha1 *c, uint8_t out[V2K_SHA1_LEN]);

void v2k_sha256_init(struct v2k_sha256 *c);
void v2k_sha256_update(struct v2k_sha256 *c, const void *data, size_t len);
int v2k_sha256_final(struct v2k_sha256 *c, uint8_t out[V2K_SHA256_LEN]);

/* Give up a context without a digest (pass &c.c): frees what it owns;
 * harmless on one never used or already finalised. */
void v2k_sha_discard(struct v2k_sha_ctx *c);

/* out must hold 2 * len + 1 bytes. */
void v2k_sha_hex(const uint8_t *digest, size_t len, char *out);

#endif
