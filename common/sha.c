/* sha.c - see sha.h: SHA-1 and SHA-256 through libcrypto's EVP API. */
#include "sha.h"
#include "error.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

enum { SHA_ALG_SHA1 = 1, SHA_ALG_SHA256 };

static const EVP_MD *
sha_md(int alg)
{
    return alg == SHA_ALG_SHA1 ? EVP_sha1() : EVP_sha256();
}

/* The EVP context, created and initialised on first use. */
static EVP_MD_CTX *
sha_ctx(struct v2k_sha_ctx *c)
{
    EVP_MD_CTX *x;

    if (c->md || c->failed)
        return c->md;
    x = EVP_MD_CTX_new();
    if (x == NULL || EVP_DigestInit_ex(x, sha_md(c->alg), NULL) != 1) {
        EVP_MD_CTX_free(x);
        c->failed = true;
        return NULL;
    }
    c->md = x;
    return x;
}

static void
sha_update(struct v2k_sha_ctx *c, const void *data, size_t len)
{
    EVP_MD_CTX *x = sha_ctx(c);

    if (x && EVP_DigestUpdate(x, data, len) != 1)
        c->failed = true;
}

static int
sha_final(struct v2k_sha_ctx *c, uint8_t *out, size_t len)
{
    EVP_MD_CTX *x = sha_ctx(c);
    unsigned n = 0;
    int r = 0;

    if (x == NULL || c->failed || EVP_DigestFinal_ex(x, out, &n) != 1 ||
        n != len) {
        unsigned long e = ERR_get_error();
        v2k_error("%s: libcrypto failed: %s",
                  c->alg == SHA_ALG_SHA1 ? "SHA1" : "SHA256",
                  e ? ERR_reason_error_string(e) : "out of memory");
        memset(out, 0, len);
        r = -1;
    }
    EVP_MD_CTX_free(x);
    c->md = NULL;
    c->failed = false;
    return r;
}

void
v2k_sha_discard(struct v2k_sha_ctx *c)
{
    EVP_MD_CTX_free(c->md);
    c->md = NULL;
    c->failed = false;
}

void
v2k_sha1_init(struct v2k_sha1 *c)
{
    c->c = (struct v2k_sha_ctx){ .alg = SHA_ALG_SHA1 };
}

void
v2k_sha1_update(struct v2k_sha1 *c, const void *data, size_t len)
{
    sha_update(&c->c, data, len);
}

int
v2k_sha1_final(struct v2k_sha1 *c, uint8_t out[V2K_SHA1_LEN])
{
    return sha_final(&c->c, out, V2K_SHA1_LEN);
}

void
v2k_sha256_init(struct v2k_sha256 *c)
{
    c->c = (struct v2k_sha_ctx){ .alg = SHA_ALG_SHA256 };
}

void
v2k_sha256_update(struct v2k_sha256 *c, const void *data, size_t len)
{
    sha_update(&c->c, data, len);
}

int
v2k_sha256_final(struct v2k_sha256 *c, uint8_t out[V2K_SHA256_LEN])
{
    return sha_final(&c->c, out, V2K_SHA256_LEN);
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
