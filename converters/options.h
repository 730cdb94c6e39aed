/* options.h - v2kvm's command line, parsed once.
 *
 * v2k_options_parse() fills struct v2k_options from argv in virt-v2v's
 * shape (-i MODE -ic URI -if FMT -ip FILE SOURCE... -o MODE -os STORAGE
 * -of FMT -oa ALLOC -on NAME ...).  Strings point into argv (borrowed)
 * except the mapping arrays, which the struct owns (v2k_options_free).
 * Returns 0, or -1 with a message for a usage error, or 1 when --help or
 * --version was handled.
 */
#ifndef V2K_OPTIONS_H
#define V2K_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -n / -b / --mac mappings. */
enum v2k_map_kind { V2K_MAP_NETWORK, V2K_MAP_BRIDGE, V2K_MAP_MAC };

struct v2k_netmap {
    enum v2k_map_kind kind;
    const char *in;             /* source name or MAC; NULL = every one */
    bool to_bridge;             /* target is a bridge (else a network) */
    const char *out;            /* target network or bridge */
};

struct v2k_options {
    const char *input_mode;     /* -i */
    const char *input_uri;      /* -ic */
    const char *input_format;   /* -if */
    const char *password_file;  /* -ip */
    char **sources;             /* the SOURCE arguments (borrowed) */
    size_t nsources;

    const char *output_mode;    /* -o */
    const char *output_storage; /* -os */
    const char *output_format;  /* -of: raw|qcow2 */
    bool preallocated;          /* -oa preallocated */
    const char *output_name;    /* -on */
    bool overwrite;             /* --overwrite */

    struct v2k_netmap *netmaps; /* owned array */
    size_t nnetmaps;

    uint64_t memory_bytes;      /* --memory, 0 = from the source */
    unsigned vcpus;             /* --vcpus, 0 = from the source */
    unsigned workers;           /* --parallel, 0 = cores */

    bool print_source;
    bool machine_readable;
    int verbose;
    bool trace;
    bool quiet;
};

int v2k_options_parse(int argc, char **argv, struct v2k_options *o);
void v2k_options_free(struct v2k_options *o);
void v2k_options_usage(FILE *fp);

#endif
