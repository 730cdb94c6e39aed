/* xml-util.c - see xml-util.h. */
#include "xml-util.h"
#include "error.h"
#include "util.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

xmlDoc *
v2k_xml_parse(const char *buf, size_t len, const char *name, size_t max)
{
    xmlParserCtxt *ctxt;
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
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    /* No DOCTYPE means no entity declarations to expand or fetch. */
    if (doc->intSubset || doc->extSubset) {
        v2k_error("%s: a DOCTYPE is not allowed", name);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
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
