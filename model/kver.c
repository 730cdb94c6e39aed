/* kver.c - see kver.h. */
#include "kver.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

int
v2k_kver_cmp(const char *a, const char *b)
{
    for (;;) {
        while (*a && !isalnum((unsigned char)*a))
            a++;
        while (*b && !isalnum((unsigned char)*b))
            b++;
        if (!*a || !*b)
            return *a ? 1 : *b ? -1 : 0;
        bool na = isdigit((unsigned char)*a), nb = isdigit((unsigned char)*b);
        if (na != nb)
            return na ? 1 : -1;
        const char *ea = a, *eb = b;
        if (na) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            ea = a;
            eb = b;
            while (isdigit((unsigned char)*ea))
                ea++;
            while (isdigit((unsigned char)*eb))
                eb++;
            /* Without leading zeros, the longer number is the larger. */
            if (ea - a != eb - b)
                return ea - a > eb - b ? 1 : -1;
        } else {
            while (isalpha((unsigned char)*ea))
                ea++;
            while (isalpha((unsigned char)*eb))
                eb++;
        }
        size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
        int c = strncmp(a, b, la < lb ? la : lb);
        if (c != 0)
            return c;
        if (la != lb)
            return la > lb ? 1 : -1;
        a = ea;
        b = eb;
    }
}

void
v2k_kver_parse(const char *v, unsigned *major, unsigned *minor,
               unsigned *patch)
{
    unsigned f[3] = { 0, 0, 0 };

    for (int i = 0; i < 3 && isdigit((unsigned char)*v); i++) {
        while (isdigit((unsigned char)*v)) {
            if (f[i] < 100000)
                f[i] = f[i] * 10 + (unsigned)(*v - '0');
            v++;
        }
        if (*v != '.')
            break;
        v++;
    }
    *major = f[0];
    *minor = f[1];
    if (patch)
        *patch = f[2];
}
