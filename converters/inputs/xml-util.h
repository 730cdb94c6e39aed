/* xml-util.h - reading untrusted XML the one safe way (the libvirt XML,
 * .vbox and OVF inputs).
 *
 * v2k_xml_parse() parses from memory with no network access, no entity
 * substitution and no DOCTYPE at all (refused), after a size cap; errors
 * are one line "NAME:LINE: not XML: ...".  The document is the caller's
 * (xmlFreeDoc).  Strings returned by v2k_xml_prop() are the caller's
 * (xmlFree or free: libxml2 uses the system allocator here).
 */
#ifndef V2K_XML_UTIL_H
#define V2K_XML_UTIL_H

#include <stddef.h>

#include <libxml/tree.h>

xmlDoc *v2k_xml_parse(const char *buf, size_t len, const char *name,
                      size_t max);

/* An attribute of n (owned by the caller), or NULL (also for n NULL). */
char *v2k_xml_prop(const xmlNode *n, const char *name);

/* Move a libxml2 string into *field as a v2k_strdup copy; NULL is a
 * no-op.  -1 on ENOMEM. */
int v2k_xml_dup_into(char **field, char *xml_owned);

/* path relative to basedir (absolute paths and a NULL basedir as is). */
char *v2k_path_resolve(const char *basedir, const char *path);

#endif
