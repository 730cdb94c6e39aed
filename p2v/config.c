/* config.c - P2V settings from options and the kernel command line
 * (config.h). */
#include "config.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CMDLINE_MAX 4096            /* COMMAND_LINE_SIZE on x86 is 2048 */
#define DISKS_MAX 64

void
v2k_p2v_config_init(struct v2k_p2v_config *c)
{
    memset(c, 0, sizeof *c);
    c->poweroff = -1;
}

static void
free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

void
v2k_p2v_config_free(struct v2k_p2v_config *c)
{
    free(c->server);
    free(c->user);
    free(c->identity);
    free(c->password_file);
    free(c->hostkey);
    free(c->known_hosts);
    free_list(c->disks);
    free(c->output);
    free(c->output_storage);
    free(c->output_format);
    free(c->name);
    free(c->network);
    free(c->remote_v2kvm);
    memset(c, 0, sizeof *c);
}

static int
set_str(char **dst, const char *value)
{
    char *v = v2k_strdup(value);

    if (v == NULL)
        return -1;
    free(*dst);
    *dst = v;
    return 0;
}

/* "sda,nvme0n1" into a NULL-terminated list of names (each a plain
 * device name: letters, digits, '!', '-', '_', '.'; no '/'). */
static int
set_disks(struct v2k_p2v_config *c, const char *value, const char *where)
{
    char **l = v2k_calloc(DISKS_MAX + 1, sizeof *l);
    const char *p = value;
    size_t n = 0;

    if (l == NULL)
        return -1;
    while (*p) {
        size_t len = strcspn(p, ",");

        if (len == 0 || len > 64) {
            v2k_error("%s: disks '%s': an empty or over-long name", where,
                      value);
            goto fail;
        }
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr("!-_.", p[i])) {
                v2k_error("%s: disks '%s': '%.*s' is not a device name (like sda or nvme0n1)", where, value, (int)len, p);
                goto fail;
            }
        if (n == DISKS_MAX) {
            v2k_error("%s: disks: more than %d", where, DISKS_MAX);
            goto fail;
        }
        l[n] = v2k_asprintf("%.*s", (int)len, p);
        if (l[n++] == NULL)
            goto fail;
        p += len;
        if (*p == ',')
            p++;
    }
    if (n == 0) {
        v2k_error("%s: disks: no disk named", where);
        goto fail;
    }
    free_list(c->disks);
    c->disks = l;
    return 0;
fail:
    free_list(l);
    return -1;
}

static int
set_uint(unsigned *dst, const char *value, unsigned min, unsigned max,
         const char *what, const char *where)
{
    uint64_t n;

    if (v2k_parse_u64(value, what, &n) == -1 || n < min || n > max) {
        v2k_error("%s: %s '%s': a number from %u to %u is needed", where,
                  what, value, min, max);
        return -1;
    }
    *dst = (unsigned)n;
    return 0;
}

static int
set_bool(int *dst, const char *value, const char *what, const char *where)
{
    if (strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 ||
        strcmp(value, "true") == 0 || strcmp(value, "") == 0)
        *dst = 1;
    else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0 ||
             strcmp(value, "false") == 0)
        *dst = 0;
    else {
        v2k_error("%s: %s '%s': 1/yes or 0/no", where, what, value);
        return -1;
    }
    return 0;
}

/* A host name or address: no blanks, no shell or ssh option syntax. */
static bool
plain_word(const char *s)
{
    if (*s == '\0' || *s == '-')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".-_:[]%", *s))
            return false;
    return true;
}

static bool has_cntrl(const char *s);

bool
v2k_p2v_config_good_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 200 || strchr(s, '/'))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int
v2k_p2v_config_set(struct v2k_p2v_config *c, const char *key,
                   const char *value, const char *where)
{
    /* No setting takes a control character (a file name with a newline
     * would reach the host's command line and our one-line messages):
     * refused here for every source of settings, the options included. */
    if (has_cntrl(value)) {
        v2k_error("%s: the value of %s holds a control character (a newline?)",
                  where, key);
        return -1;
    }
    if (strcmp(key, "server") == 0) {
        if (!plain_word(value)) {
            v2k_error("%s: server '%s' is not a host name or address", where,
                      value);
            return -1;
        }
        return set_str(&c->server, value);
    }
    if (strcmp(key, "port") == 0)
        return set_uint(&c->port, value, 1, 65535, "port", where);
    if (strcmp(key, "user") == 0) {
        if (!plain_word(value) || strchr(value, ':') || strchr(value, '[')) {
            v2k_error("%s: user '%s' is not a user name", where, value);
            return -1;
        }
        return set_str(&c->user, value);
    }
    if (strcmp(key, "identity") == 0)
        return set_str(&c->identity, value);
    if (strcmp(key, "password_file") == 0)
        return set_str(&c->password_file, value);
    if (strcmp(key, "hostkey") == 0) {
        if (strncmp(value, "SHA256:", 7) != 0 || strlen(value) < 20) {
            v2k_error("%s: hostkey '%s': a SHA256:... fingerprint as ssh-keygen -l prints it is needed", where, value);
            return -1;
        }
        return set_str(&c->hostkey, value);
    }
    if (strcmp(key, "known_hosts") == 0)
        return set_str(&c->known_hosts, value);
    if (strcmp(key, "disks") == 0)
        return set_disks(c, value, where);
    if (strcmp(key, "o") == 0)
        return set_str(&c->output, value);
    if (strcmp(key, "os") == 0)
        return set_str(&c->output_storage, value);
    if (strcmp(key, "of") == 0)
        return set_str(&c->output_format, value);
    if (strcmp(key, "name") == 0) {
        if (!v2k_p2v_config_good_name(value)) {
            v2k_error("%s: name '%s': a domain name must be 1 to 200 characters without '/' or control characters", where, value);
            return -1;
        }
        return set_str(&c->name, value);
    }
    if (strcmp(key, "network") == 0)
        return set_str(&c->network, value);
    if (strcmp(key, "remote") == 0)
        return set_str(&c->remote_v2kvm, value);
    if (strcmp(key, "reconnect") == 0)
        return set_uint(&c->reconnect_s, value, 1, 86400, "reconnect", where);
    if (strcmp(key, "poweroff") == 0)
        return set_bool(&c->poweroff, value, "poweroff", where);
    if (strcmp(key, "list") == 0)
        return set_bool(&c->list, value, "list", where);
    v2k_error("%s: unknown setting 'v2kvm.%s'", where, key);
    return -1;
}

/* A control character in a word of the kernel command line (a newline
 * inside quotes, or the '\n' that ends /proc/cmdline, taken into the
 * word by an unclosed quote) would break a message over lines (error.h:
 * one line): found by fuzz-p2vcmdline.  No setting needs one. */
static bool
has_cntrl(const char *s)
{
    for (; *s; s++)
        if (iscntrl((unsigned char)*s))
            return true;
    return false;
}

/* The word for a message: control characters shown as '?'. */
static void
printable(char *s)
{
    for (; *s; s++)
        if (iscntrl((unsigned char)*s))
            *s = '?';
}

/* The error for a word with an unclosed quote, which took in the rest
 * of the line: not its blanks at the end (/proc/cmdline's '\n'). */
static void
unclosed(char *word, const char *where)
{
    size_t w = strlen(word);

    while (w > 0 && isspace((unsigned char)word[w - 1]))
        word[--w] = '\0';
    printable(word);
    v2k_error("%s: an unclosed quote in '%s'", where, word);
}

int
v2k_p2v_config_from_cmdline(struct v2k_p2v_config *c, const char *cmdline,
                            const char *where, unsigned *found)
{
    size_t len = strlen(cmdline);
    char *word;
    const char *p = cmdline;
    unsigned n = 0;
    int rc = 0;

    if (len > CMDLINE_MAX) {
        v2k_error("%s: the command line is longer than %d bytes", where,
                  CMDLINE_MAX);
        return -1;
    }
    word = v2k_malloc(len + 1);
    if (word == NULL)
        return -1;
    while (rc == 0) {
        bool quoted = false;
        size_t w = 0;

        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        /* A word: quotes toggle, and are dropped (as the kernel's
         * next_arg() reads "key=\"a b\"" as key, a b). */
        for (; *p && (quoted || !isspace((unsigned char)*p)); p++) {
            if (*p == '"')
                quoted = !quoted;
            else
                word[w++] = *p;
        }
        word[w] = '\0';
        if (quoted) {
            unclosed(word, where);
            rc = -1;
            break;
        }
        if (w < 6 || memcmp(word, "v2kvm.", 6) != 0)
            continue;
        if (has_cntrl(word)) {
            printable(word);
            v2k_error("%s: a control character in '%s'", where, word);
            rc = -1;
            break;
        }
        char *eq = strchr(word, '=');
        if (eq)
            *eq = '\0';
        rc = v2k_p2v_config_set(c, word + 6, eq ? eq + 1 : "", where);
        n++;
    }
    free(word);
    if (found)
        *found = n;
    return rc;
}

int
v2k_p2v_config_check(const struct v2k_p2v_config *c)
{
    if (c->server == NULL) {
        v2k_error("no conversion host: give --server HOST (or v2kvm.server= on the kernel command line)");
        return -1;
    }
    if (c->identity && c->password_file) {
        v2k_error("give an identity or a password file, not both");
        return -1;
    }
    return 0;
}
