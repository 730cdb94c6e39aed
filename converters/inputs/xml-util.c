/* xml-util.c - see xml-util.h. */
#include "xml-util.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

xmlDoc *
v2k_xml_parse(const char *buf, size_t len, const char *name, size_t max)
{
    CLEANUP_XMLPARSERCTXT xmlParserCtxt *ctxt = NULL;
    xmlDoc *doc;

    if (len > max || len > (size_t)0x7fffffff) {
        v2k_error("%s: %zu bytes is more than the %zu allowed", name, len,
                  max);
        return NULL;
    }
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (doc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "parse error";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            msg[strcspn(msg, "\n")] = '\0';
        }
        v2k_error("%s:%d: not XML: %s", name, e ? e->line : 0, msg);
        return NULL;
    }
    /* No DOCTYPE means no entity declarations to expand or fetch. */
    if (doc->intSubset || doc->extSubset) {
        v2k_error("%s: a DOCTYPE is not allowed", name);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

bool
v2k_xml_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNode *
v2k_xml_child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (v2k_xml_is(c, name))
            return c;
    return NULL;
}

xmlNode *
v2k_xml_find(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        xmlNode *r;
        if (v2k_xml_is(c, name))
            return c;
        if ((r = v2k_xml_find(c, name)) != NULL)
            return r;
    }
    return NULL;
}

char *
v2k_xml_text(const xmlNode *n)
{
    char *t, *s, *e;

    if (n == NULL || (t = (char *)xmlNodeGetContent(n)) == NULL)
        return NULL;
    for (s = t; isspace((unsigned char)*s); s++)
        ;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    memmove(t, s, (size_t)(e - s));
    t[e - s] = '\0';
    return t;
}

char *
v2k_xml_child_text(const xmlNode *n, const char *name)
{
    return v2k_xml_text(v2k_xml_child(n, name));
}

char *
v2k_xml_content(const xmlNode *n)
{
    xmlChar *t;
    char *r;

    if (n == NULL)
        return NULL;
    t = xmlNodeGetContent(n);
    r = v2k_strdup(t ? (const char *)t : "");
    xmlFree(t);
    return r;
}

char *
v2k_xml_prop(const xmlNode *n, const char *name)
{
    return n ? (char *)xmlGetProp(n, (const xmlChar *)name) : NULL;
}

int
v2k_xml_dup_into(char **field, char *xml_owned)
{
    if (xml_owned == NULL)
        return 0;
    *field = v2k_strdup(xml_owned);
    xmlFree(xml_owned);
    return *field ? 0 : -1;
}

char *
v2k_path_resolve(const char *basedir, const char *path)
{
    if (path[0] == '/' || basedir == NULL)
        return v2k_strdup(path);
    return v2k_asprintf("%s/%s", basedir, path);
}
