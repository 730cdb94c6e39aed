/* sha.c - see sha.h.  Constants from FIPS 180-4 sections 4.2 and 5.3. */
#include "sha.h"

#include <string.h>

static inline uint32_t
rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static inline uint32_t
ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static inline uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* --- SHA-1 (FIPS 180-4 6.1) ------------------------------------------ */

static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80], a, b, c, d, e, t;

    for (int i = 0; i < 16; i++)
        w[i] = be32(p + 4 * i);
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        t = rol(a, 5) + f + e + k + w[i];
        e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

void
v2k_sha1_init(struct v2k_sha1 *c)
{
    static const uint32_t iv[5] = {
        0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
    };
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->fill = 0;
}

/* The update loop both hashes share: whole blocks straight from data,
 * the rest buffered. */
#define SHA_UPDATE(c, data, len, block)                                   \
    do {                                                                  \
        const uint8_t *p_ = (data);                                       \
        size_t n_ = (len);                                                \
        (c)->len += n_;                                                   \
        if ((c)->fill) {                                                  \
            size_t k_ = 64 - (c)->fill < n_ ? 64 - (c)->fill : n_;        \
            memcpy((c)->buf + (c)->fill, p_, k_);                         \
            (c)->fill += k_;                                              \
            p_ += k_;                                                     \
            n_ -= k_;                                                     \
            if ((c)->fill < 64)                                           \
                break;                                                    \
            block((c)->h, (c)->buf);                                      \
            (c)->fill = 0;                                                \
        }                                                                 \
        for (; n_ >= 64; p_ += 64, n_ -= 64)                              \
            block((c)->h, p_);                                            \
        memcpy((c)->buf, p_, n_);                                         \
        (c)->fill = n_;                                                   \
    } while (0)

/* Padding (FIPS 180-4 5.1.1): 0x80, zeros, the bit length big-endian. */
#define SHA_FINAL(c, block)                                               \
    do {                                                                  \
        uint64_t bits_ = (c)->len * 8;                                    \
        (c)->buf[(c)->fill++] = 0x80;                                     \
        if ((c)->fill > 56) {                                             \
            memset((c)->buf + (c)->fill, 0, 64 - (c)->fill);              \
            block((c)->h, (c)->buf);                                      \
            (c)->fill = 0;                                                \
        }                                                                 \
        memset((c)->buf + (c)->fill, 0, 56 - (c)->fill);                  \
        put_be32((c)->buf + 56, (uint32_t)(bits_ >> 32));                 \
        put_be32((c)->buf + 60, (uint32_t)bits_);                         \
        block((c)->h, (c)->buf);                                          \
    } while (0)

void
v2k_sha1_update(struct v2k_sha1 *c, const void *data, size_t len)
{
    SHA_UPDATE(c, data, len, sha1_block);
}

void
v2k_sha1_final(struct v2k_sha1 *c, uint8_t out[V2K_SHA1_LEN])
{
    SHA_FINAL(c, sha1_block);
    for (int i = 0; i < 5; i++)
        put_be32(out + 4 * i, c->h[i]);
}

/* --- SHA-256 (FIPS 180-4 6.2) ---------------------------------------- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void
sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], s[8];

    for (int i = 0; i < 16; i++)
        w[i] = be32(p + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
                      (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
                      (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(s, h, sizeof s);
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25);
        uint32_t ch = (s[4] & s[5]) ^ (~s[4] & s[6]);
        uint32_t t1 = s[7] + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22);
        uint32_t maj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);
        memmove(s + 1, s, 7 * sizeof *s);
        s[4] += t1;
        s[0] = t1 + S0 + maj;
    }
    for (int i = 0; i < 8; i++)
        h[i] += s[i];
}

void
v2k_sha256_init(struct v2k_sha256 *c)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->fill = 0;
}

void
v2k_sha256_update(struct v2k_sha256 *c, const void *data, size_t len)
{
    SHA_UPDATE(c, data, len, sha256_block);
}

void
v2k_sha256_final(struct v2k_sha256 *c, uint8_t out[V2K_SHA256_LEN])
{
    SHA_FINAL(c, sha256_block);
    for (int i = 0; i < 8; i++)
        put_be32(out + 4 * i, c->h[i]);
}

void
v2k_sha_hex(const uint8_t *digest, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * len] = '\0';
}
