/* sha.h - SHA-1 and SHA-256 (FIPS 180-4), for OVF manifests.
 *
 * Small streaming implementations so that the core library needs no
 * libcrypto: init, update any number of times, final writes the digest.
 * The contexts hold no pointers; none of these functions can fail.
 * v2k_sha_hex() formats a digest as lowercase hex (2 * len + 1 bytes).
 */
#ifndef V2K_SHA_H
#define V2K_SHA_H

#include <stddef.h>
#include <stdint.h>

#define V2K_SHA1_LEN 20
#define V2K_SHA256_LEN 32

struct v2k_sha1 {
    uint32_t h[5];
    uint64_t len;               /* bytes hashed so far */
    uint8_t buf[64];
    size_t fill;
};

struct v2k_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
};

void v2k_sha1_init(struct v2k_sha1 *c);
void v2k_sha1_update(struct v2k_sha1 *c, const void *data, size_t len);
void v2k_sha1_final(struct v2k_sha1 *c, uint8_t out[V2K_SHA1_LEN]);

void v2k_sha256_init(struct v2k_sha256 *c);
void v2k_sha256_update(struct v2k_sha256 *c, const void *data, size_t len);
void v2k_sha256_final(struct v2k_sha256 *c, uint8_t out[V2K_SHA256_LEN]);

/* out must hold 2 * len + 1 bytes. */
void v2k_sha_hex(const uint8_t *digest, size_t len, char *out);

#endif
