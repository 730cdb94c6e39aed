/* grub-menu.c - see grub-menu.h. */
#include "grub-menu.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255        /* titles, ids, kernel words */
#define MAX_NESTING 64          /* open blocks we track */

/* One shell-like word of a grub.cfg line at *p: '...' literal, "..."
 * with backslash escapes, bare text up to a blank or a brace; parts run
 * together ('a'"b" is one word).  buf gets it (cut at len - 1); *p moves
 * past it.  False at the end of the line or at '{'. */
static bool
next_word(const char **p, char *buf, size_t len)
{
    const char *s = *p;
    size_t n = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0' || *s == '{' || *s == '}')
        return false;
    while (*s && *s != ' ' && *s != '\t' && *s != '{' && *s != '}') {
        char q = 0, c;
        if (*s == '\'' || *s == '"')
            q = *s++;
        while ((c = *s) != '\0') {
            if (q ? c == q : (c == ' ' || c == '\t' || c == '{' ||
                              c == '}' || c == '\'' || c == '"'))
                break;
            if (c == '\\' && q != '\'' && s[1])
                c = *++s;
            if (n + 1 < len)
                buf[n++] = c;
            s++;
        }
        if (q && *s == q)
            s++;
    }
    buf[n] = '\0';
    *p = s;
    return true;
}

/* Net brace depth change of a line, braces inside quotes not counted. */
static int
brace_delta(const char *line)
{
    char q = 0;
    int d = 0;

    for (const char *c = line; *c; c++) {
        if (q) {
            if (*c == q)
                q = 0;
            else if (*c == '\\' && q == '"' && c[1])
                c++;
        } else if (*c == '\'' || *c == '"')
            q = *c;
        else if (*c == '#' && (c == line || isspace((unsigned char)c[-1])))
            break;              /* a comment */
        else if (*c == '{')
            d++;
        else if (*c == '}')
            d--;
    }
    return d;
}

struct open_block {
    size_t item;
    int depth;                  /* depth before its line */
    bool entered;               /* its '{' was seen */
};

/* Fill a new item from the words after menuentry/submenu. */
static int
add_item(struct v2k_grub_menu *m, const char *rest, bool submenu,
         int parent, unsigned pos)
{
    char word[NAME_MAX_LEN + 1], title[NAME_MAX_LEN + 1] = "";
    char id[NAME_MAX_LEN + 1] = "";
    bool have_title = false;
    struct v2k_grub_item *it;

    while (next_word(&rest, word, sizeof word)) {
        if (strcmp(word, "--id") == 0 ||
            strcmp(word, "$menuentry_id_option") == 0) {
            if (next_word(&rest, word, sizeof word))
                snprintf(id, sizeof id, "%s", word);
        } else if (strcmp(word, "--class") == 0 ||
                   strcmp(word, "--users") == 0 ||
                   strcmp(word, "--hotkey") == 0) {
            next_word(&rest, word, sizeof word);
        } else if (strncmp(word, "--", 2) == 0) {
            ;                   /* --unrestricted and the like */
        } else if (!have_title) {
            snprintf(title, sizeof title, "%s", word);
            have_title = true;
        }
    }
    it = realloc(m->items, (m->n + 1) * sizeof *it);
    if (it == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    m->items = it;
    it = &m->items[m->n];
    memset(it, 0, sizeof *it);
    it->submenu = submenu;
    it->parent = parent;
    it->pos = pos;
    it->title = v2k_strdup(title);
    it->id = id[0] ? v2k_strdup(id) : NULL;
    m->n++;
    if (it->title == NULL || (id[0] && it->id == NULL))
        return -1;
    return 0;
}

static int
set_kernel(struct v2k_grub_item *it, const char *rest)
{
    char word[NAME_MAX_LEN + 1];

    if (!next_word(&rest, word, sizeof word))
        return 0;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    it->kernel = v2k_strdup(word);
    it->kernel_args = v2k_strdup(rest);
    return it->kernel && it->kernel_args ? 0 : -1;
}

int
v2k_grub_menu_parse(const char *cfg, struct v2k_grub_menu *m)
{
    struct open_block open[MAX_NESTING];
    size_t nopen = 0, ntop = 0;
    unsigned *nchild = NULL;    /* children counted per submenu item */
    int depth = 0, ret = -1;
    const char *p = cfg;
    char *line = NULL;

    m->items = NULL;
    m->n = 0;
    nchild = calloc(V2K_GRUB_MAX_ITEMS, sizeof *nchild);
    if (nchild == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    while (*p) {
        const char *nl = strchr(p, '\n'), *s, *rest;
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int before = depth;

        free(line);
        if ((line = strndup(p, len)) == NULL) {
            v2k_error("out of memory");
            goto out;
        }
        p += len + (nl ? 1 : 0);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        for (s = line; *s == ' ' || *s == '\t'; s++)
            ;
        if (*s == '#')
            continue;
        bool menu = v2k_line_keyword(s, "menuentry", 0, &rest);
        bool sub = !menu && v2k_line_keyword(s, "submenu", 0, &rest);
        if ((menu || sub) && m->n < V2K_GRUB_MAX_ITEMS &&
            nopen < MAX_NESTING) {
            int parent = -1;
            for (size_t k = nopen; k-- > 0;)
                if (m->items[open[k].item].submenu) {
                    parent = (int)open[k].item;
                    break;
                }
            unsigned pos = parent < 0 ? (unsigned)ntop++
                                      : nchild[parent]++;
            if (add_item(m, rest, sub, parent, pos) == -1)
                goto out;
            open[nopen].item = m->n - 1;
            open[nopen].depth = before;
            open[nopen].entered = false;
            nopen++;
        } else if (nopen && !m->items[open[nopen - 1].item].submenu &&
                   m->items[open[nopen - 1].item].kernel == NULL &&
                   (v2k_line_keyword(s, "linux", 0, &rest) ||
                    v2k_line_keyword(s, "linux16", 0, &rest) ||
                    v2k_line_keyword(s, "linuxefi", 0, &rest))) {
            if (set_kernel(&m->items[open[nopen - 1].item], rest) == -1)
                goto out;
        }
        depth += brace_delta(s);
        if (depth < 0)
            depth = 0;
        if (nopen && depth > open[nopen - 1].depth)
            open[nopen - 1].entered = true;
        while (nopen && open[nopen - 1].entered &&
               depth <= open[nopen - 1].depth)
            nopen--;
    }
    ret = 0;
out:
    free(line);
    free(nchild);
    if (ret == -1)
        v2k_grub_menu_free(m);
    return ret;
}

void
v2k_grub_menu_free(struct v2k_grub_menu *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].title);
        free(m->items[i].id);
        free(m->items[i].kernel);
        free(m->items[i].kernel_args);
    }
    free(m->items);
    m->items = NULL;
    m->n = 0;
}

/* The item of menu parent (-1 top) that one path component names. */
static int
find_in(const struct v2k_grub_menu *m, int parent, const char *comp)
{
    char *end;
    unsigned long num;

    errno = 0;
    num = strtoul(comp, &end, 0);       /* grub_strtoul(val, &tail, 0) */
    if (errno == 0 && end != comp && *end == '\0' && isdigit((unsigned char)*comp)) {
        for (size_t i = 0; i < m->n; i++)
            if (m->items[i].parent == parent && m->items[i].pos == num)
                return (int)i;
        return -1;
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i].parent == parent &&
            ((m->items[i].id && strcmp(m->items[i].id, comp) == 0) ||
             strcmp(m->items[i].title, comp) == 0))
            return (int)i;
    return -1;
}

int
v2k_grub_menu_find(const struct v2k_grub_menu *m, const char *path)
{
    char comp[NAME_MAX_LEN + 1];
    const char *p = path;
    int parent = -1, it = -1;

    for (;;) {
        size_t n = 0;

        /* One component: up to a '>' that is not ">>". */
        while (*p && !(*p == '>' && p[1] != '>')) {
            if (*p == '>')
                p++;            /* ">>" is a literal '>' */
            if (n + 1 < sizeof comp)
                comp[n++] = *p;
            p++;
        }
        comp[n] = '\0';
        it = find_in(m, parent, comp);
        if (it < 0)
            return -1;
        if (!m->items[it].submenu)
            return it;          /* GRUB ignores the rest of the path */
        parent = it;
        if (*p != '>')
            break;
        p++;
    }
    /* A submenu: its first entry, and so on down. */
    while (it >= 0 && m->items[it].submenu)
        it = find_in(m, it, "0");
    return it;
}

char *
v2k_grub_menu_path(const struct v2k_grub_menu *m, size_t i)
{
    size_t chain[MAX_NESTING], depth = 0, len = 1;
    char *out, *o;

    for (int k = (int)i; k >= 0 && depth < MAX_NESTING;
         k = m->items[k].parent)
        chain[depth++] = (size_t)k;
    for (size_t d = 0; d < depth; d++) {
        const struct v2k_grub_item *it = &m->items[chain[d]];
        len += 2 * strlen(it->id ? it->id : it->title) + 1;
    }
    if ((out = o = malloc(len)) == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    for (size_t d = depth; d-- > 0;) {
        const struct v2k_grub_item *it = &m->items[chain[d]];
        for (const char *c = it->id ? it->id : it->title; *c; c++) {
            if (*c == '>')
                *o++ = '>';
            *o++ = *c;
        }
        if (d)
            *o++ = '>';
    }
    *o = '\0';
    return out;
}
