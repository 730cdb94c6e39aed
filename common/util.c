/* util.c - see util.h. */
#include "util.h"
#include "cleanup.h"
#include "error.h"
#include "outfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool
v2k_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t i;

    /* Check a 16-byte prefix byte-wise, then compare the buffer with
     * itself shifted by 16: memcmp is vectorised (nbdkit's is_zero). */
    for (i = 0; i < 16 && i < len; i++)
        if (p[i])
            return false;
    if (len <= 16)
        return true;
    return memcmp(p, p + 16, len - 16) == 0;
}

bool
v2k_parse_mac(const char *in, bool dash_ok, char out[18])
{
    if (strlen(in) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = in[i];
        if (i % 3 == 2) {
            if (c != ':' && !(dash_ok && c == '-'))
                return false;
            out[i] = ':';
            continue;
        }
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        out[i] = c;
    }
    out[17] = '\0';
    return true;
}

int
v2k_parse_u64(const char *s, const char *what, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;

    if (s == NULL || *s == '\0') {
        v2k_error("%s: empty number", what);
        return -1;
    }
    for (; *p; p++) {
        if (*p < '0' || *p > '9') {
            v2k_error("%s: '%s' is not a whole number", what, s);
            return -1;
        }
        if (V2K_MUL_OVERFLOW(v, 10, &v) ||
            V2K_ADD_OVERFLOW(v, (uint64_t)(*p - '0'), &v)) {
            v2k_error("%s: '%s' is too large", what, s);
            return -1;
        }
    }
    *out = v;
    return 0;
}

int
v2k_parse_size(const char *s, const char *what, uint64_t *out)
{
    char digits[32];
    size_t n = 0;
    uint64_t v, mul = 1;
    const char *suffix;

    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0 || n >= sizeof digits) {
        v2k_error("%s: '%s' is not a size", what, s);
        return -1;
    }
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (v2k_parse_u64(digits, what, &v) == -1)
        return -1;
    suffix = s + n;
    switch (*suffix) {
    case '\0': break;
    case 'k': case 'K': mul = 1ULL << 10; suffix++; break;
    case 'm': case 'M': mul = 1ULL << 20; suffix++; break;
    case 'g': case 'G': mul = 1ULL << 30; suffix++; break;
    case 't': case 'T': mul = 1ULL << 40; suffix++; break;
    default:
        v2k_error("%s: '%s' has an unknown unit (use K, M, G or T)", what, s);
        return -1;
    }
    if (mul > 1 && *suffix) {
        if (strcmp(suffix, "iB") != 0 && strcmp(suffix, "B") != 0) {
            v2k_error("%s: '%s' has an unknown unit (use K, M, G or T)",
                      what, s);
            return -1;
        }
    }
    if (V2K_MUL_OVERFLOW(v, mul, out)) {
        v2k_error("%s: '%s' is too large", what, s);
        return -1;
    }
    return 0;
}

char *
v2k_human_size(uint64_t bytes, char *buf, size_t buflen)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
                                         "PiB", "EiB" };
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024.0 && u + 1 < V2K_ARRAY_SIZE(units)) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, buflen, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, buflen, "%.1f %s", v, units[u]);
    return buf;
}

void *
v2k_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        v2k_error("out of memory allocating %zu bytes", n);
    return p;
}

void *
v2k_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        v2k_error("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

char *
v2k_strdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        v2k_error("out of memory");
    return p;
}

char *
v2k_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        v2k_error("out of memory");
        return NULL;
    }
    return s;
}

char *
v2k_basename_noext(const char *path, const char *const *exts)
{
    const char *base = strrchr(path, '/');
    size_t len;
    char *r;

    base = base ? base + 1 : path;
    len = strlen(base);
    for (; exts && *exts; exts++) {
        size_t el = strlen(*exts);
        if (len > el && strcasecmp(base + len - el, *exts) == 0) {
            len -= el;
            break;
        }
    }
    r = v2k_malloc(len + 1);
    if (r == NULL)
        return NULL;
    memcpy(r, base, len);
    r[len] = '\0';
    return r;
}

char *
v2k_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *r;

    if (slash == NULL)
        return v2k_strdup(".");
    if (slash == path)
        return v2k_strdup("/");
    r = v2k_malloc((size_t)(slash - path) + 1);
    if (r == NULL)
        return NULL;
    memcpy(r, path, (size_t)(slash - path));
    r[slash - path] = '\0';
    return r;
}

static const char *
file_kind(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISBLK(m))
        return "a block device";
    return "not a regular file";
}

int
v2k_open_regular(const char *path, bool allow_block, struct stat *stp)
{
    struct stat st, fst;
    int fd, fl;

    if (stat(path, &st) == -1) {
        v2k_error_errno(errno, "%s", path);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !(allow_block && S_ISBLK(st.st_mode))) {
        v2k_error("%s: is %s, not a regular file%s", path,
                  file_kind(st.st_mode),
                  allow_block ? " or a block device" : "");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1) {
        v2k_error_errno(errno, "%s", path);
        return -1;
    }
    if (fstat(fd, &fst) == -1) {
        v2k_error_errno(errno, "%s: stat", path);
        close(fd);
        return -1;
    }
    if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino ||
        (fst.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
        v2k_error("%s: the file changed while it was opened", path);
        close(fd);
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
        v2k_error_errno(errno, "%s: fcntl", path);
        close(fd);
        return -1;
    }
    if (stp)
        *stp = fst;
    return fd;
}

/* The rest of v2k_read_file once fd is open. */
static char *
read_fd(int fd, const char *path, size_t max, size_t *lenp)
{
    struct stat st;
    char *buf;
    size_t len = 0;

    if (fstat(fd, &st) == -1) {
        v2k_error_errno(errno, "%s: stat", path);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        v2k_error("%s: file is %llu bytes, more than the %zu allowed", path,
                  (unsigned long long)st.st_size, max);
        return NULL;
    }
    buf = v2k_malloc(max + 1);
    if (buf == NULL)
        return NULL;
    for (;;) {
        ssize_t r = read(fd, buf + len, max + 1 - len);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            v2k_error_errno(errno, "%s: read", path);
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            v2k_error("%s: file is larger than the %zu bytes allowed", path,
                      max);
            free(buf);
            return NULL;
        }
    }
    buf[len] = '\0';
    if (lenp)
        *lenp = len;
    return buf;
}

char *
v2k_read_file(const char *path, size_t max, size_t *lenp)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        v2k_error_errno(errno, "%s", path);
        return NULL;
    }
    return read_fd(fd, path, max, lenp);
}

char *
v2k_read_regular_file(const char *path, size_t max, size_t *lenp)
{
    struct stat st;
    CLEANUP_CLOSE int fd = v2k_open_regular(path, false, &st);

    if (fd == -1)
        return NULL;
    v2k_outfile_note_source(st.st_dev, st.st_ino, path);
    return read_fd(fd, path, max, lenp);
}

double
v2k_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
v2k_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = getrandom(p, len, 0);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            v2k_error_errno(errno, "getrandom");
            return -1;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

int
v2k_uuid_generate(char out[37])
{
    unsigned char b[16];

    if (v2k_random_bytes(b, sizeof b) == -1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* RFC 4122 4.4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

unsigned
v2k_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

size_t
v2k_strv_len(char *const *l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

void
v2k_strv_free(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

void
v2k_strv_free_secret(char **l)
{
    for (size_t i = 0; l && l[i]; i++) {
        explicit_bzero(l[i], strlen(l[i]));
        free(l[i]);
    }
    free(l);
}

bool
v2k_line_keyword(const char *line, const char *kw, unsigned flags,
                 const char **rest)
{
    size_t kl = strlen(kw);
    const char *p = line;

    while (isspace((unsigned char)*p))
        p++;
    if (((flags & V2K_KW_NOCASE) ? strncasecmp(p, kw, kl)
                                 : strncmp(p, kw, kl)) != 0)
        return false;
    if (p[kl] != '\0' && !isspace((unsigned char)p[kl]) &&
        !((flags & V2K_KW_EQUALS) && p[kl] == '='))
        return false;
    if (rest)
        *rest = p + kl;
    return true;
}
