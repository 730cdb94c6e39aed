/* xml-util.h - reading untrusted XML the one safe way (the libvirt XML,
 * .vbox and OVF inputs).
 *
 * v2k_xml_parse() parses from memory with no network access, no entity
 * substitution and no DOCTYPE at all (refused), after a size cap; errors
 * are one line "NAME:LINE: not XML: ...".  The document is the caller's
 * (xmlFreeDoc).  Strings returned by v2k_xml_prop() are the caller's
 * (xmlFree or free: libxml2 uses the system allocator here).
 *
 * Elements are matched by local name (writers disagree on namespace
 * prefixes).  The tree helpers accept a NULL node and then find nothing,
 * so lookups chain: v2k_xml_child(v2k_xml_child(n, "a"), "b").
 *
 *   CLEANUP_XMLDOC xmlDoc *doc = v2k_xml_parse(...);   xmlFreeDoc at scope
 *                                                      exit (NULL: nothing)
 */
#ifndef V2K_XML_UTIL_H
#define V2K_XML_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

static inline void
v2k_cleanup_xmldoc(xmlDoc **doc)
{
    if (*doc)
        xmlFreeDoc(*doc);
}

static inline void
v2k_cleanup_xmlparserctxt(xmlParserCtxt **ctxt)
{
    if (*ctxt)
        xmlFreeParserCtxt(*ctxt);
}

#define CLEANUP_XMLDOC __attribute__((cleanup(v2k_cleanup_xmldoc)))
#define CLEANUP_XMLPARSERCTXT \
    __attribute__((cleanup(v2k_cleanup_xmlparserctxt)))

xmlDoc *v2k_xml_parse(const char *buf, size_t len, const char *name,
                      size_t max);

/* n is an element called name. */
bool v2k_xml_is(const xmlNode *n, const char *name);

/* n's first child element called name, or NULL. */
xmlNode *v2k_xml_child(const xmlNode *n, const char *name);

/* The first element called name below n (depth first), or NULL. */
xmlNode *v2k_xml_find(const xmlNode *n, const char *name);

/* n's text content with leading and trailing white space removed (owned
 * by the caller), or NULL (n NULL, or out of memory). */
char *v2k_xml_text(const xmlNode *n);

/* v2k_xml_text() of n's child called name. */
char *v2k_xml_child_text(const xmlNode *n, const char *name);

/* n's text content as it is, "" for an empty element (owned by the
 * caller); NULL for n NULL, or out of memory (with an error). */
char *v2k_xml_content(const xmlNode *n);

/* An attribute of n (owned by the caller), or NULL (also for n NULL). */
char *v2k_xml_prop(const xmlNode *n, const char *name);

/* Move a libxml2 string into *field as a v2k_strdup copy; NULL is a
 * no-op.  -1 on ENOMEM. */
int v2k_xml_dup_into(char **field, char *xml_owned);

/* path relative to basedir (absolute paths and a NULL basedir as is). */
char *v2k_path_resolve(const char *basedir, const char *path);

#endif
